"""A small self-attention network: the course's "basic attention model".

    conv    32x32   3 → 16   3x3 conv, BatchNorm, ReLU  (padding 1, no max-pooling: the size stays 32x32)
    conv    32x32  16 → 32   3x3 conv, BatchNorm, ReLU
    conv    32x32  32 → 48   3x3 conv, BatchNorm, ReLU
    GAP            48        global average pooling: one 48-vector per image
    4 x AttentionBlock  48 → 48
    out            48 → 10   one linear layer

The attention step, for a batch of B images (`AttentionBlock.forward` follows it line by line):

    x                         (B, 48)     the image's features
    q = x Wq                  (B, 8)      query (Wq: 48x8)
    k = x Wk                  (B, 8)      key   (Wk: 48x8)
    v = x Wv                  (B, 8)      value (Wv: 48x8)
    scores = q kᵀ / √8        (B, 8, 8)   per image the outer product: scores[i, j] = q[i] k[j] / √8
    attn = softmax over j     (B, 8, 8)   row i sums to 1: how much entry i takes of each v[j]
    z = attn v                (B, 8)      z[i] = Σ_j attn[i, j] v[j]
    out = z Wo                (B, 48)     back to the width of x (Wo: 8x48)

The "tokens" are the 8 entries of one image's query, key and value: an image's features attend
to each other; images do not attend to other images. Why the √8 comes before the softmax, what
the residual brings, and where the 25,690 parameters sit: the optional notebook 06, section 3.
"""
import math

import torch.nn as nn


class AttentionBlock(nn.Module):
    """Self-attention over the 8 entries of a per-image query, key and value (see the module
    docstring for the shapes), projected back to `width` features."""

    def __init__(self, width=48, attention_size=8):
        super().__init__()
        self.query = nn.Linear(width, attention_size, bias=False)
        self.key = nn.Linear(width, attention_size, bias=False)
        self.value = nn.Linear(width, attention_size, bias=False)
        self.out = nn.Linear(attention_size, width, bias=False)
        self.scale = math.sqrt(attention_size)

    def forward(self, x):  # x: (B, 48)
        q, k, v = self.query(x), self.key(x), self.value(x)  # each (B, 8)
        scores = q.unsqueeze(2) * k.unsqueeze(1) / self.scale  # (B, 8, 1) * (B, 1, 8) → (B, 8, 8)
        attn = scores.softmax(dim=-1)  # scale first, then softmax: see the module docstring
        z = (attn @ v.unsqueeze(2)).squeeze(2)  # (B, 8, 8) @ (B, 8, 1) → (B, 8)
        return self.out(z)  # (B, 48)


def conv_bn_relu(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class AttentionNet(nn.Module):
    """Three convs, global average pooling, four attention blocks, one linear layer (~25,700
    parameters). `residual=True` (the default) adds each block's input to its output."""

    def __init__(self, residual=True, num_classes=10):
        super().__init__()
        self.config = dict(residual=residual, num_classes=num_classes)  # rebuild: AttentionNet(**config)
        self.residual = residual
        self.convs = nn.Sequential(conv_bn_relu(3, 16), conv_bn_relu(16, 32), conv_bn_relu(32, 48))
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (B, 48, 32, 32) → (B, 48)
        self.blocks = nn.ModuleList(AttentionBlock(48, 8) for _ in range(4))
        self.output = nn.Linear(48, num_classes)

    def features(self, x):
        """The last feature map, before pooling (for Grad-CAM and receptive-field checks)."""
        return self.convs(x)

    def forward(self, x):  # x: (B, 3, 32, 32)
        x = self.pool(self.features(x))  # (B, 48)
        for block in self.blocks:
            x = x + block(x) if self.residual else block(x)
        return self.output(x)  # (B, 10)
