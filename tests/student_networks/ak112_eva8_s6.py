# Source: ak112/TSAI-EVA8.0 -- "06_AdvancedConvolution/model.py" (commit 004fd7f5a868782b783df42053a29b8655c878e3)
#   EVA8 Session 6 "Advanced Convolutions" (C1C2C3C4O, <200k, RF>44, no MaxPool).
# Student's torchsummary (06_AdvancedConvolution/AdvancedConvolution.ipynb, "summary(model, input_size=(3, 32, 32))"):
#   "Total params: 159,552"
# Features: fixed-size nn.AvgPool2d(kernel_size=3) in a Sequential applied to a 4x4 map -- NOT global:
#   it averages only the top-left 3x3 window (4 // 3 = 1 output); no classifier after it (the last 3x3
#   conv emits 10 channels, no BN/ReLU), x.view(-1, 10) + F.log_softmax; downsampling by three
#   dilated-AND-strided convs (dilation=2, stride=2, padding=2); depthwise with channel multiplier 2
#   (groups=32, 32->64) + 1x1 pointwise; extra dilation=2 padding=2 conv; 5x5 first conv; dropout 0.05.
import torch
import torch.nn as nn
import torch.nn.functional as F

class Cifar10Net(nn.Module):
    def __init__(self):
        super(Cifar10Net, self).__init__()
        self.conv1 = nn.Sequential(

            nn.Conv2d(3, 128, 5, stride=1, padding=2, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(128),
            nn.Dropout(0.05),

            nn.Conv2d(128, 64, 3, stride=1, padding=1, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(64),
            nn.Dropout(0.05),

            nn.Conv2d(64, 32, 3, stride=1, padding=1, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),
        )

        self.conv2 = nn.Sequential(

            nn.Conv2d(32, 32, 3, dilation=2, stride=2, padding=2, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 64, 3, stride=1, padding=1, groups=32, bias=False),
            nn.Conv2d(64, 32, 1, stride=1, padding=0, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 64, 3, stride=1, padding=1, groups=32, bias=False),
            nn.Conv2d(64, 32, 1, stride=1, padding=0, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),
        )

        self.conv3 = nn.Sequential(

            nn.Conv2d(32, 32, 3, stride=2, padding=2, dilation=2, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 32, 3, stride=1, padding=2, dilation=2, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 32, 3, stride=1, padding=1, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),
        )

        self.conv4 = nn.Sequential(

            nn.Conv2d(32, 32, 3, stride=2, padding=2, dilation=2, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 64, 3, stride=1, padding=1, groups=32, bias=False),
            nn.Conv2d(64, 32, 1, stride=1, padding=0, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(32),
            nn.Dropout(0.05),

            nn.Conv2d(32, 10, 3, stride=1, padding=1, bias=False),

        )

        self.gap = nn.Sequential(

            nn.AvgPool2d(kernel_size=3),
        )

    def forward(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.conv4(x)
        x = self.gap(x)

        x = x.view(-1, 10)

        return F.log_softmax(x, dim=1)


NETWORK = Cifar10Net
SOURCE = "ak112/TSAI-EVA8.0:06_AdvancedConvolution/model.py"
TORCHSUMMARY_TOTAL = 159552
