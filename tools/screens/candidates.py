"""The architectures screened against `Net` for issue 14 (RESULTS.md, "Screens: one change at a time"): each within the
course's rules and budget, none kept. Train one with
`python -m helpers.train --model tools/screens/candidates.py:Wide --out runs/wide`.
gpu_queue.sh ran the screens (jobs*.txt, a run a line) on a lent GPU, four at a time."""
import torch.nn as nn

from helpers.model import ConvBlock, DepthwiseSeparable, Residual


class Head(nn.Sequential):
    def __init__(self, c, n=10):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n))


class Staged(nn.Module):
    def features(self, x):
        return self.c4(self.c3(self.c2(self.c1(x))))

    def forward(self, x):
        return self.output(self.features(x))


class Wide(Staged):
    """48@32 full convs, 96@16, C3 stays at 16x16 with dilated DS convs, C4 192@8."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(ConvBlock(3, 48), Residual(ConvBlock(48, 48), ConvBlock(48, 48)))
        self.c2 = nn.Sequential(ConvBlock(48, 96, stride=2),
                                Residual(DepthwiseSeparable(96, 96), DepthwiseSeparable(96, 96)))
        self.c3 = nn.Sequential(Residual(DepthwiseSeparable(96, 96, dilation=2), DepthwiseSeparable(96, 96, dilation=4)))
        self.c4 = nn.Sequential(DepthwiseSeparable(96, 192, stride=2), DepthwiseSeparable(192, 192))
        self.output = Head(192)


class Downsample(nn.Sequential):
    """Page's conv-then-pool without the pool: a stride-1 conv at the large size, then a
    stride-2 depthwise 3x3 (a learned pooling, one filter a channel)."""

    def __init__(self, c_in, c_out, separable=False):
        first = DepthwiseSeparable(c_in, c_out) if separable else ConvBlock(c_in, c_out)
        super().__init__(first, nn.Conv2d(c_out, c_out, 3, 2, 1, groups=c_out, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class PageDown(Staged):
    """Net's widths, downsampling as conv at the large size then depthwise stride 2."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(ConvBlock(3, 32), Residual(ConvBlock(32, 32), ConvBlock(32, 32)))
        self.c2 = nn.Sequential(Downsample(32, 64), Residual(ConvBlock(64, 64), ConvBlock(64, 64)))
        self.c3 = nn.Sequential(Downsample(64, 128, separable=True),
                                Residual(DepthwiseSeparable(128, 128), DepthwiseSeparable(128, 128)))
        self.c4 = nn.Sequential(DepthwiseSeparable(128, 128, dilation=2), DepthwiseSeparable(128, 128))
        self.output = Head(128)


def Mixer(c, kernel=7, dilation=1):
    """x + pw(relu(bn(pw(bn(dw_kxk(x)))))): a large depthwise kernel to look, two 1x1s to mix."""
    return Residual(nn.Conv2d(c, c, kernel, 1, dilation * (kernel - 1) // 2, dilation, groups=c, bias=False),
                    nn.BatchNorm2d(c), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                    nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))


class Tiny(Staged):
    """Tiniest-like: full convs at 32x32, large depthwise kernels at 16x16 (C3 dilated), C4 at 8x8."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(ConvBlock(3, 48), Residual(ConvBlock(48, 48), ConvBlock(48, 48)))
        self.c2 = nn.Sequential(DepthwiseSeparable(48, 96, stride=2), Mixer(96, 7), Mixer(96, 7))
        self.c3 = nn.Sequential(Mixer(96, 7, dilation=3), Mixer(96, 7, dilation=3))
        self.c4 = nn.Sequential(DepthwiseSeparable(96, 128, stride=2),
                                Residual(DepthwiseSeparable(128, 128), DepthwiseSeparable(128, 128)))
        self.output = Head(128)


class Wide16(Staged):
    """Everything at 32 and 16: 40@32, then 80@16 full pair, C3 dilated DS at 16, C4 at 16 wider DS."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(ConvBlock(3, 40), Residual(ConvBlock(40, 40), ConvBlock(40, 40)))
        self.c2 = nn.Sequential(ConvBlock(40, 80, stride=2), Residual(ConvBlock(80, 80), DepthwiseSeparable(80, 80)))
        self.c3 = nn.Sequential(Residual(DepthwiseSeparable(80, 80, dilation=2), DepthwiseSeparable(80, 80, dilation=4)))
        self.c4 = nn.Sequential(DepthwiseSeparable(80, 160, stride=2), DepthwiseSeparable(160, 160))
        self.output = Head(160)


def pair(make, c, n):
    return [Residual(make(c, c), make(c, c)) for _ in range(n)]


class Deep(Staged):
    """ResNet-20's shape within the rules: thinner, `pairs` residual pairs in C1, C2 and C3."""

    def __init__(self, w=(24, 48, 96, 96), pairs=(2, 2, 2)):
        super().__init__()
        c1, c2, c3, c4 = w
        self.c1 = nn.Sequential(ConvBlock(3, c1), *pair(ConvBlock, c1, pairs[0]))
        self.c2 = nn.Sequential(ConvBlock(c1, c2, stride=2), *pair(ConvBlock, c2, pairs[1]))
        self.c3 = nn.Sequential(DepthwiseSeparable(c2, c3, stride=2), *pair(DepthwiseSeparable, c3, pairs[2]))
        self.c4 = nn.Sequential(Residual(DepthwiseSeparable(c3, c4, dilation=2), DepthwiseSeparable(c4, c4)))
        self.output = Head(c4)


class Deep3(Deep):
    """Three residual pairs at 32 and 16, thinner still."""

    def __init__(self):
        super().__init__(w=(20, 40, 96, 96), pairs=(3, 3, 2))
