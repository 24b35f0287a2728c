import pytest
import torch
import torch.nn as nn

from helpers.model import Net, count_parameters
from helpers.receptive_field import receptive_field


def conv(c_in, c_out, k=3):  # a bias-free conv and its norm (scale and shift)
    return c_in * c_out * k * k + 2 * c_out


def separable(c_in, c_out):  # depthwise 3x3, pointwise 1x1, norm
    return c_in * 9 + c_in * c_out + 2 * c_out


def test_parameter_count_by_hand():
    c1, c2, c3, c4 = 32, 64, 128, 128
    expected = (conv(3, c1) + 2 * conv(c1, c1)                      # C1
                + conv(c1, c2) + 2 * conv(c2, c2)                   # C2
                + separable(c2, c3) + 2 * separable(c3, c3)         # C3
                + separable(c3, c4) + separable(c4, c4)             # C4
                + c4 * 10 + 10)                                      # output
    assert count_parameters(Net()) == expected
    assert expected < 200_000


@pytest.mark.parametrize("norm", ["batch", "group", "layer"])
def test_output_shape_for_every_norm(norm):
    net = Net(norm=norm)
    assert net(torch.randn(4, 3, 32, 32)).shape == (4, 10)
    assert net.features(torch.randn(4, 3, 32, 32)).shape == (4, 128, 8, 8)
    # GroupNorm and LayerNorm (GroupNorm with one group) have as many parameters as BatchNorm
    assert count_parameters(net) == count_parameters(Net())


def test_course_constraints():
    net = Net()
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert not any(isinstance(m, nn.MaxPool2d) for m in net.modules())
    assert any(m.groups == m.in_channels > 1 for m in convs), "a depthwise convolution"
    assert any(m.dilation[0] > 1 for m in convs), "a dilated convolution"
    assert any(isinstance(m, nn.AdaptiveAvgPool2d) for m in net.modules()), "global average pooling"
    assert receptive_field(net) > 44


def test_unknown_norm_is_refused():
    with pytest.raises(ValueError, match="unknown norm"):
        Net(norm="instance")
