"""helpers.convolutions: multiply-adds and parameters counted from the layers, per stage of Net,
and the timer notebook 02 uses."""
import pytest
import torch
import torch.nn as nn

from helpers.convolutions import (format_stage_costs, multiply_adds, plot_stage_costs, stage_costs,
                                  time_forward)
from helpers.model import Net, count_parameters


@pytest.mark.parametrize("layer, expected", [
    (nn.Conv2d(64, 64, 3, padding=1, bias=False), 9 * 64 * 64 * 16 * 16),  # normal: k² c_in c_out H W
    (nn.Conv2d(64, 64, 3, padding=2, dilation=2, bias=False), 9 * 64 * 64 * 16 * 16),  # dilated: the same
    (nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), 9 * 64 * 16 * 16),  # depthwise: k² c H W
    (nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.Conv2d(64, 128, 1, bias=False)),
     (9 * 64 + 64 * 128) * 16 * 16),  # depthwise separable
    (nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False), 9 * 64 * 64 * 8 * 8),  # stride: a quarter of the positions
    (nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)), 64 * 10),
])
def test_multiply_adds_are_weights_times_output_positions(layer, expected):
    assert multiply_adds(layer, torch.zeros(2, 64, 16, 16)) == expected  # for one image, whatever the batch


def test_net_stages_add_up_and_show_the_lessons_contrast():
    net = Net()
    rows = stage_costs(net)
    assert [row["name"] for row in rows] == ["C1", "C2", "C3", "C4", "output"]
    assert sum(row["parameters"] for row in rows) == count_parameters(net)
    assert sum(row["multiply_add_share"] for row in rows) == pytest.approx(1)
    share = lambda names, key: sum(row[key] for row in rows if row["name"] in names)
    # notebook 02: C1 holds few parameters and much compute; C3 + C4 the other way round
    assert share(["C1"], "parameter_share") < 0.15 and share(["C1"], "multiply_add_share") > 0.35
    assert share(["C3", "C4"], "parameter_share") > 0.35 and share(["C3", "C4"], "multiply_add_share") < 0.15
    assert rows[0]["multiply_adds"] == 9 * (3 * 32 + 32 * 32 * 2) * 32 * 32  # three 3x3 convs at 32x32
    text = format_stage_costs(rows)
    assert text.splitlines()[-1].startswith("total") and f"{count_parameters(net):,}" in text


def test_stage_costs_leave_the_model_as_it_was():
    net = Net().train()
    stage_costs(net)
    assert net.training and not any(m._forward_hooks for m in net.modules())


def test_plot_stage_costs_draws_two_bars_a_stage():
    fig = plot_stage_costs(stage_costs(Net()))
    assert sum(len(container) for container in fig.axes[0].containers) == 2 * 5


def test_time_forward_returns_milliseconds():
    ms = time_forward(nn.Conv2d(8, 8, 3, padding=1), torch.zeros(2, 8, 8, 8), repeats=3)
    assert 0 < ms < 10_000
