# Source: yuvaraj-venkataswamy/ERA-V1 -- "session9/model.py", class Net
#   (commit 5a40a0525aa9933afc4c765a0dc5965b0fd584ce)
# Student's torchsummary (session9/S9.ipynb, "model = m.Net(0.01)" then model_summary(model, (3, 32, 32));
#   also in session9/README.md): "Total params: 94,292"
# Features: TWO PARALLEL BRANCHES from the input (branch A: dilation=2 padding=1 convs shrinking
#   32->30->28; branch B: unpadded 3x3 convs 32->30->28), each with one stride-2 conv, joined by
#   torch.cat along channels (48+48=96); depthwise 3x3 (groups=96, unpadded, 14->12) + 1x1 pointwise;
#   stride-2 conv 12->6; last conv emits 10 channels then ReLU -> BatchNorm2d(10) -> Dropout before a
#   fixed-size nn.AvgPool2d(kernel_size=6) GAP; no classifier after GAP; y.view(-1, 10) + F.log_softmax.
#   Only change: constructor default dropout_value=0.01 (the value the student passed in the notebook).
import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self, dropout_value=0.01):
        super(Net, self).__init__()

        # CONVOLUTION BLOCK 1A
        self.convblock1A = nn.Sequential(
            nn.Conv2d(in_channels = 3, out_channels = 12, kernel_size = (3, 3), stride = 1, padding = 1, dilation = 2, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(12),
            nn.Dropout(dropout_value)
        ) # output_size = 30

        # CONVOLUTION BLOCK 2A
        self.convblock2A = nn.Sequential(
            nn.Conv2d(in_channels = 12, out_channels = 24, kernel_size = (3, 3), stride = 1, padding = 1, dilation = 2, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(24),
            nn.Dropout(dropout_value)
        ) # output_size = 28

        # CONVOLUTION BLOCK 3A
        self.convblock3A = nn.Sequential(
            nn.Conv2d(in_channels = 24, out_channels = 48, kernel_size=(3, 3), stride = 2, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(48),
            nn.Dropout(dropout_value)
        ) # output_size = 14

        # CONVOLUTION BLOCK 4A
        self.convblock4A = nn.Sequential(
            nn.Conv2d(in_channels = 48, out_channels = 48, kernel_size=(3, 3), stride = 1, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(48),
            nn.Dropout(dropout_value)
        ) # output_size = 14

        # CONVOLUTION BLOCK 1B
        self.convblock1B = nn.Sequential(
            nn.Conv2d(in_channels = 3, out_channels = 12, kernel_size = (3, 3), stride = 1, padding = 0, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(12),
            nn.Dropout(dropout_value)
        ) # output_size = 30

        # CONVOLUTION BLOCK 2B
        self.convblock2B = nn.Sequential(
            nn.Conv2d(in_channels = 12, out_channels = 24, kernel_size = (3, 3), stride = 1, padding = 0, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(24),
            nn.Dropout(dropout_value)
        ) # output_size = 28

        # CONVOLUTION BLOCK 3B
        self.convblock3B = nn.Sequential(
            nn.Conv2d(in_channels = 24, out_channels = 48, kernel_size=(3, 3), stride = 2, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(48),
            nn.Dropout(dropout_value)
        ) # output_size = 14

        # CONVOLUTION BLOCK 4B
        self.convblock4B = nn.Sequential(
            nn.Conv2d(in_channels = 48, out_channels = 48, kernel_size=(3, 3), stride = 1, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(48),
            nn.Dropout(dropout_value)
        ) # output_size = 14

        ## CONVOLUTION BLOCK 4 - Depthwise Convolution
        self.depthwise_separable_block = nn.Sequential(
            nn.Conv2d(in_channels = 96, out_channels = 96, kernel_size = (3, 3), padding = 0, groups = 96, bias = False),
            nn.Conv2d(in_channels = 96, out_channels = 60, kernel_size = (1, 1), padding = 0, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(60),
            nn.Dropout(dropout_value)
        ) ## output_size = 12

        ## CONVOLUTION BLOCK 5 - Reduction
        self.convblock5 = nn.Sequential(
            nn.Conv2d(in_channels = 60, out_channels = 30, kernel_size=(3, 3), stride = 2, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(30),
            nn.Dropout(dropout_value),
            nn.Conv2d(in_channels = 30, out_channels = 10, kernel_size=(3, 3), stride = 1, padding = 1, dilation = 1, bias = False),
            nn.ReLU(),
            nn.BatchNorm2d(10),
            nn.Dropout(dropout_value)
        ) # output_size = 6

        # Global Average Pooling
        self.gap = nn.Sequential(
            nn.AvgPool2d(kernel_size = 6) ## Global Average Pooling
        ) # output_size = 1

    def forward(self, x):
        x1 = self.convblock1A(x)
        x1 = self.convblock2A(x1)
        x1 = self.convblock3A(x1)
        x1 = self.convblock4A(x1)

        x2 = self.convblock1B(x)
        x2 = self.convblock2B(x2)
        x2 = self.convblock3B(x2)
        x2 = self.convblock4B(x2)

        y = torch.cat((x1,x2), 1)

        y = self.depthwise_separable_block(y)
        y = self.convblock5(y)
        y = self.gap(y)

        y = y.view(-1, 10)
        return F.log_softmax(y, dim=-1)


NETWORK = Net
SOURCE = "yuvaraj-venkataswamy/ERA-V1:session9/model.py"
TORCHSUMMARY_TOTAL = 94292
