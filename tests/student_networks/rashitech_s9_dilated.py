# Source: RashiTech/ERA-V1 -- "S9/model.py", class Net_dilated (commit 3cbb0c5228384bfab08213d3e1e8b559945610e9)
# Student's torchsummary (S9/S9_Dilated_Conv.ipynb, "model1 = Net_dilated(norm='BN')" then
#   summary(model1, input_size=(3, 32, 32))): "Total params: 189,840"
# Features: fixed-size nn.AvgPool2d(kernel_size=9) as GAP INSIDE the last Sequential, then a 1x1 conv
#   classifier, x.view(-1, 10) + F.log_softmax; downsampling by 2x2 kernels with stride=2 and padding=1
#   (32->17, 17->9); dilation=2 padding=1 conv shrinks 32->30; padded 1x1 convs GROW the map
#   (30->32, 9->11); depthwise 3x3 (groups=64) + padded 1x1 pointwise; norm chosen by a helper method
#   user_norm('BN'|'LN'|'GN'); no norm/ReLU after the dilated and strided convs; dropout 0.02.
#   The file's other classes (Net_S8, Net1..) belong to other sessions and are left out.
import torch
import torch.nn as nn
import torch.nn.functional as F

class Net_dilated(nn.Module):
    def __init__(self, norm='BN',groupsize=1,drop=0.02):
        super(Net_dilated, self).__init__()

        # CONVOLUTION BLOCK 1
        self.convblock1 = nn.Sequential(
            nn.Conv2d(in_channels=3, out_channels=16, kernel_size=(3, 3), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,16,groupsize),
            nn.Dropout(drop),
            nn.Conv2d(in_channels=16, out_channels=32, kernel_size=(3, 3), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,32,groupsize),
            nn.Dropout(drop),
            # Dilated Conv layer
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=(3, 3),dilation =2, padding=1, bias=False)
        )

        # CONVOLUTION BLOCK 2
        self.convblock2 = nn.Sequential(
            nn.Conv2d(in_channels=64, out_channels=64, kernel_size=(3, 3), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,64,groupsize),
            nn.Dropout(drop),
            nn.Conv2d(in_channels=64, out_channels=32, kernel_size=(1, 1), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,32,groupsize),
            nn.Dropout(drop),
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=(2, 2),stride =2, padding=1, bias=False)

        )

        # CONVOLUTION BLOCK 3
        self.convblock3 = nn.Sequential(
            nn.Conv2d(in_channels=64, out_channels=64, kernel_size=(3, 3), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,64,groupsize),
            nn.Dropout(drop),
            nn.Conv2d(in_channels=64, out_channels=96, kernel_size=(3, 3), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,96,groupsize),
            nn.Dropout(drop),
            nn.Conv2d(in_channels=96, out_channels=64, kernel_size=(2, 2), stride =2, padding=1, bias=False)
        )
        # CONVOLUTION BLOCK 4
        self.convblock4 = nn.Sequential(
            # Depthwise separable Conv layer
            nn.Conv2d(in_channels=64, out_channels=64, kernel_size=(3, 3), groups = 64 ,padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,64,groupsize),
            nn.Dropout(drop),
            # Pointwise conv layer
            nn.Conv2d(in_channels=64, out_channels=16, kernel_size=(1, 1), padding=1, bias=False),
            nn.ReLU(),
            self.user_norm(norm,16,groupsize),
            nn.Dropout(drop),
            nn.AvgPool2d(kernel_size=9),
            nn.Conv2d(in_channels=16, out_channels=10, kernel_size=(1, 1), padding=0, bias=False))

    def forward(self, x):
        x = self.convblock1(x)
        x = self.convblock2(x)
        x = self.convblock3(x)
        x = self.convblock4(x)
        x = x.view(-1, 10)
        return F.log_softmax(x, dim=-1)

    def user_norm(self, norm, channels,groupsize=1):
        if norm == 'BN':
            return nn.BatchNorm2d(channels)
        elif norm == 'LN':
            return nn.GroupNorm(1,channels) #(equivalent with LayerNorm)
        elif norm == 'GN':
            return nn.GroupNorm(groupsize,channels) #groups=2


NETWORK = Net_dilated
SOURCE = "RashiTech/ERA-V1:S9/model.py"
TORCHSUMMARY_TOTAL = 189840
