"""The flagship network, `Net`, and the blocks it is built of.

    C1  32x32   3 → 32   3x3 conv, then a residual pair of 3x3 convs
    C2  16x16  32 → 64   stride-2 3x3 conv (downsampling without max-pooling), residual pair
    C3   8x8   64 → 128  stride-2 depthwise separable conv, residual pair of depthwise separables
    C4   8x8  128 → 128  dilated (d=2) depthwise separable conv, then a depthwise separable
    out        128 → 10  global average pooling and one linear layer

Where the budget goes: full 3x3 convolutions where the maps are large and the channels few (C1,
C2), depthwise separable ones where channels are many (C3, C4): a 3x3 conv from 128 to 128
channels costs 147,456 weights, a depthwise separable one 1,152 + 16,384 = 17,536.
The residual pairs (out = x + f(x)) let gradients reach the early layers in a short run.
"""
import torch.nn as nn


def norm_layer(norm, channels):
    """BatchNorm normalises each channel over the batch; GroupNorm over groups of channels within
    one image; LayerNorm over all channels of one image, which for a feature map is GroupNorm
    with a single group."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "group":
        return nn.GroupNorm(num_groups=min(8, channels), num_channels=channels)
    if norm == "layer":
        return nn.GroupNorm(num_groups=1, num_channels=channels)
    raise ValueError(f"unknown norm {norm!r}: use 'batch', 'group' or 'layer'")


class ConvBlock(nn.Sequential):
    """conv → norm → ReLU (→ dropout). `padding` defaults to what keeps the size at stride 1."""

    def __init__(self, c_in, c_out, kernel=3, stride=1, dilation=1, padding=None, norm="batch", dropout=0.0):
        padding = dilation * (kernel - 1) // 2 if padding is None else padding
        layers = [nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation, bias=False),
                  norm_layer(norm, c_out), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout2d(dropout))
        super().__init__(*layers)


class DepthwiseSeparable(nn.Sequential):
    """A 3x3 depthwise conv (one filter per channel: where to look) followed by a 1x1 pointwise
    conv (how to mix channels), then norm and ReLU: the same shape out as a 3x3 conv for about
    1/8 of its weights at 64 channels and more."""

    def __init__(self, c_in, c_out, stride=1, dilation=1, norm="batch", dropout=0.0):
        layers = [nn.Conv2d(c_in, c_in, 3, stride, dilation, dilation, groups=c_in, bias=False),
                  nn.Conv2d(c_in, c_out, 1, bias=False),
                  norm_layer(norm, c_out), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout2d(dropout))
        super().__init__(*layers)


class Residual(nn.Module):
    """out = x + body(x). No convolution sits on the shortcut, so the receptive field grows along
    the body alone and the RF calculator can follow the layers in order."""

    def __init__(self, *body):
        super().__init__()
        self.body = nn.Sequential(*body)

    def forward(self, x):
        return x + self.body(x)


WIDTHS = (32, 64, 128, 128)  # channels of C1, C2, C3, C4


class Net(nn.Module):
    """The kit's flagship: C1-C2-C3-C4-output, no max-pooling, under 200,000 parameters."""

    def __init__(self, norm="batch", dropout=0.0, widths=WIDTHS, num_classes=10):
        super().__init__()
        c1, c2, c3, c4 = widths
        block = lambda *a, **k: ConvBlock(*a, norm=norm, dropout=dropout, **k)
        separable = lambda *a, **k: DepthwiseSeparable(*a, norm=norm, dropout=dropout, **k)
        self.config = dict(norm=norm, dropout=dropout, widths=list(widths), num_classes=num_classes)
        self.c1 = nn.Sequential(block(3, c1), Residual(block(c1, c1), block(c1, c1)))
        self.c2 = nn.Sequential(block(c1, c2, stride=2), Residual(block(c2, c2), block(c2, c2)))
        self.c3 = nn.Sequential(separable(c2, c3, stride=2), Residual(separable(c3, c3), separable(c3, c3)))
        self.c4 = nn.Sequential(separable(c3, c4, dilation=2), separable(c4, c4))
        self.output = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c4, num_classes))

    def features(self, x):
        """The last feature map, before global average pooling (for Grad-CAM and RF checks)."""
        return self.c4(self.c3(self.c2(self.c1(x))))

    def forward(self, x):
        return self.output(self.features(x))


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
