# Source: sunpau/ERA_V1_S9 -- "model.py", classes Block / DepthwiseSeparable / Net
#   (commit 32679eac6a6a41b76ef362c936310ab86a6fda49; the network is unchanged since 748cedee, the notebook commit)
# Student's torchsummary (S9.ipynb, "model = Net(drop=0.1)" then summary(model, input_size=(3, 32, 32))):
#   "Total params: 132,330"
# Features: helper blocks override __call__ instead of forward (so nn.Module hooks on Block /
#   DepthwiseSeparable never fire and Block.forward is not defined; only their inner Sequentials are
#   hooked); downsampling by 2x2 kernels with dilation=2, stride=2, padding=1 (32->16->8); depthwise 3x3
#   (groups=C) UNPADDED, shrinking 8->6->4->2, + 1x1 pointwise; one net-level nn.Dropout reused twice;
#   nn.AdaptiveAvgPool2d(1) then 1x1 conv classifier (bias), x.view(-1, 10) + F.log_softmax.
#   Receptive field works out at 43 (< 44) -- a network that FAILS the RF rule, recorded as written.
#   Only C1..C3 blocks (no separate C4). Constructor default drop=0.0 is the student's own.
import torch
import torch.nn as nn
import torch.nn.functional as F

#-----------------------S9 Assignment----------------
class Block(nn.Module):
    """
    This class defines a convolution layer followed by
    normalization and activation function. Relu is used as activation function.
    """
    def __init__(self, input_size, output_size, dropout = 0.0):
        """Initialize Block

        Args:
            input_size (int): Input Channel Size
            output_size (int): Output Channel Size
            padding (int, optional): Padding to be used for convolution layer. Defaults to 1.
            norm (str, optional): Type of normalization to be used. Allowed values ['bn', 'gn', 'ln']. Defaults to 'bn'.
        """
        super(Block, self).__init__()

        # self.norm = nn.BatchNorm2d(output_size)
        # self.relu = nn.ReLU()
        # self.dropout = nn.Dropout(dropout)

        self.conv1 = nn.Sequential(nn.Conv2d(input_size, output_size, 3, padding=1, bias=False),
                     nn.ReLU(),
                     nn.BatchNorm2d(output_size),
                     nn.Dropout(dropout))
        self.conv2 = nn.Sequential(nn.Conv2d(output_size, output_size, 3, padding=1, bias=False),
                     nn.ReLU(),
                     nn.BatchNorm2d(output_size),
                     nn.Dropout(dropout))
        #3rd layer
        self.conv3 = nn.Sequential(nn.Conv2d(output_size, output_size, 2, padding=1, stride=2, dilation=2, bias=False),
                     nn.ReLU(),
                     nn.BatchNorm2d(output_size),
                     nn.Dropout(dropout))

    def __call__(self, x):
        """
        Args:
            x (tensor): Input tensor to this block
        Returns:
            tensor: Return processed tensor
        """
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.conv3(x)

        return x

class DepthwiseSeparable(nn.Module):
    """
    This class implements depwise separable convolution.

    """
    def __init__(self, input_size, output_size):
        """Initialize Block

        Args:
            input_size (int): Input Channel Size
            output_size (int): Output Channel Size
        """
        super(DepthwiseSeparable, self).__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(input_size, input_size, 3,  groups=input_size, bias=False),
                     nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(input_size, output_size, 1, bias=False),
                     nn.ReLU(),
                     nn.BatchNorm2d(output_size))

    def __call__(self, x):
        """
        Args:
            x (tensor): Input tensor to this block

        Returns:
            tensor: Return processed tensor
        """
        x = self.conv1(x)
        x = self.conv2(x)

        return x

class Net(nn.Module):
    """ Network Class

    Args:
        nn (nn.Module): Instance of pytorch Module
    """

    def __init__(self, drop = 0.0):
        """Initialize Network
        """
        super(Net, self).__init__()
        self.drop = drop
        # Conv
        self.block1 = Block(3, 32, dropout=self.drop)
        self.block2 = Block(32, 64, dropout=self.drop)
        #the 3rd block has 3 layers and all implemented as Depthwise-separable
        self.dropout = nn.Dropout(self.drop)
        self.block3_l1 = DepthwiseSeparable(64,128)
        self.block3_l2 = DepthwiseSeparable(128,128)
        self.block3_l3 = DepthwiseSeparable(128,128)

        #output layer
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Conv2d(128, 10, 1)

    def forward(self, x):

        # Conv Layer
        x = self.block1(x)
        x = self.block2(x)

        x = self.block3_l1(x)
        x = self.dropout(x)
        x = self.block3_l2(x)
        x = self.dropout(x)
        x = self.block3_l3(x)

        # Output Layer
        x = self.gap(x)
        x = self.flat(x)
        x = x.view(-1, 10)

        # Output Layer
        return F.log_softmax(x, dim=1)


NETWORK = Net
SOURCE = "sunpau/ERA_V1_S9:model.py"
TORCHSUMMARY_TOTAL = 132330
