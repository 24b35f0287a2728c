# Source: asravankumar/ERAV4_ASSIGNMENT7 -- "models.py", class Model1 (commit 431e86ed89190c8844b2d192668cd40a35675859)
#   ERA V4 Session 7 (same C1C2C3C4O / <200k / RF>44 / 85% assignment).
# Student's torchsummary (FifthSuccessful.ipynb -- the final model, whose Model1 is this file's -- and
#   README.md): "Total params: 92,394"
# Features: layers built by module-level FACTORY FUNCTIONS returning nn.Sequential (conv_bn_act,
#   dws_bn_act); two stride-2 3x3 convs, one of them the depthwise conv of a depthwise-separable pair
#   (groups=in_ch, stride=2) + 1x1 pointwise; 1x1 "squeeze" convs; last conv dilation=2 with padding=1
#   (shrinks 8->6); nn.ReLU(inplace=True); nn.AdaptiveAvgPool2d(1) + torch.flatten(x, 1) + nn.Linear;
#   returns raw logits (no log_softmax). Only change: constructor default num_classes=10.
import torch
import torch.nn as nn
import torch.nn.functional as F

dropout_value = 0.1

def conv_bn_act(in_ch, out_ch, kernel=3, stride=1, padding=1, dilation=1, dropout_p=0.05):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=kernel, stride=stride,
                  padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout_p)
    )

def dws_bn_act(in_ch, out_ch, kernel_size=3, stride=1, padding=1, dilation=1,dropout_p=0.05):
    return nn.Sequential(
        nn.Conv2d(in_ch, in_ch, kernel_size=kernel_size, stride=stride,
                            padding=padding, dilation=dilation, groups=in_ch, bias=False),
        nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout_p)
    )

class Model1(nn.Module):
    def __init__(self, num_classes=10):
        super(Model1, self).__init__()

        # CONVOLUTION BLOCK 1
        self.c1_1 = conv_bn_act(3, 32, kernel=3, stride=1, padding=1, dilation=1)
        self.c1_2 = conv_bn_act(32, 64, kernel=3, stride=2, padding=1, dilation=1)
        self.onexonec1_1 = conv_bn_act(64, 16, kernel=1, stride=1, padding=0, dilation=1)

        # CONVOLUTION BLOCK 2
        self.c2_1 = conv_bn_act(16, 32, kernel=3, stride=1, padding=1, dilation=1)
        self.c2_2 = dws_bn_act(32, 16, kernel_size=3, stride=2, padding=1, dilation=1)
        #self.onexonec2_1 = conv_bn_act(64, 32, kernel=1, stride=1, padding=0, dilation=1)

        # CONVOLUTION BLOCK 3
        self.c3_1 = conv_bn_act(16, 32, kernel=3, stride=1, padding=1, dilation=1)
        self.c3_2 = conv_bn_act(32, 64, kernel=3, stride=1, padding=1, dilation=1)
        self.onexonec3_1 = conv_bn_act(64, 16, kernel=1, stride=1, padding=0, dilation=1)

        # CONVOLUTION BLOCK 4
        self.c4_1 = conv_bn_act(16, 32, kernel=3, stride=1, padding=1, dilation=1)
        self.c4_2 = conv_bn_act(32, 64, kernel=3, stride=1, padding=1, dilation=1)
        self.c5 = conv_bn_act(64, 32, kernel=3, stride=1, padding=1, dilation=2)

        # OUTPUT BLOCK
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        # Block 1
        x = self.c1_1(x)
        x = self.c1_2(x)
        x = self.onexonec1_1(x)

        # Block 2
        x = self.c2_1(x)
        x = self.c2_2(x)
        #x = self.onexonec2_1(x)

        # Block 3
        x = self.c3_1(x)
        x = self.c3_2(x)
        x = self.onexonec3_1(x)

        # Block 4 (dilated)
        x = self.c4_1(x)
        x = self.c4_2(x)
        x = self.c5(x)

        # Output Block
        x = self.gap(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        # x = x.view(-1, 10)
        return x

NETWORK = Model1
SOURCE = "asravankumar/ERAV4_ASSIGNMENT7:models.py"
TORCHSUMMARY_TOTAL = 92394
