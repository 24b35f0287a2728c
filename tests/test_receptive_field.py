import pytest
import torch
import torch.nn as nn

from helpers.model import Net
from helpers.receptive_field import (LayerSpec, format_table, input_gradient, measured_receptive_field,
                                     receptive_field_table, rf_step)

# Hand-checked on paper (32x32 input): (kernel, padding, stride, dilation) → (n_out, r_out)
HAND_TABLE = [
    ((3, 1, 1, 1), (32, 3)), ((3, 1, 1, 1), (32, 5)), ((1, 0, 1, 1), (32, 5)), ((3, 0, 2, 2), (14, 9)),
    ((3, 1, 1, 2), (12, 17)), ((3, 1, 1, 1), (12, 21)), ((1, 0, 1, 1), (12, 21)), ((3, 0, 2, 2), (4, 29)),
    ((3, 1, 1, 1), (4, 37)), ((1, 0, 1, 1), (4, 37)), ((3, 1, 1, 1), (4, 45)), ((1, 0, 1, 1), (4, 45)),
    ((3, 1, 1, 1), (4, 53)), ((3, 1, 1, 1), (4, 61)),
]


def test_table_from_layer_specs_matches_the_hand_checked_table():
    rows = receptive_field_table([spec for spec, _ in HAND_TABLE])
    assert [(row["n_out"], row["r_out"]) for row in rows] == [expected for _, expected in HAND_TABLE]
    assert rows[3]["k_eff"] == 5 and rows[3]["j_out"] == 2 and rows[7]["j_out"] == 4


def test_table_walked_from_a_module_matches_the_hand_checked_table():
    layers, channels = [], 3
    for (k, p, s, d), _ in HAND_TABLE:
        layers += [nn.Conv2d(channels, 8, k, s, p, d), nn.ReLU()]
        channels = 8
    rows = receptive_field_table(nn.Sequential(*layers))
    assert [(row["n_out"], row["r_out"]) for row in rows] == [expected for _, expected in HAND_TABLE]


def test_pooling_counts_like_a_strided_kernel():
    rows = receptive_field_table(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1)))
    assert [(r["n_out"], r["j_out"], r["r_out"]) for r in rows] == [(32, 1, 3), (16, 2, 4), (16, 2, 8)]


def test_net_receptive_field_equals_the_one_measured_with_gradients():
    net = Net()
    computed = receptive_field_table(net)[-1]["r_out"]
    measured, heatmap = measured_receptive_field(net.features)
    assert computed == measured > 44
    assert heatmap.shape == (96, 96)


def test_format_table_has_a_row_a_layer():
    text = format_table(receptive_field_table([LayerSpec("a", 3, 1), LayerSpec("b", 3, 1, 2)]))
    assert len(text.splitlines()) == 3 and "r_out" in text.splitlines()[0]


def test_rf_step_is_the_four_formulas():
    # notebook 02's hand table, layer 2 and 3: (n, j, r) in → (k_eff, n, j, r) out
    assert rf_step(32, 1, 3, kernel=3, padding=1, stride=2) == (3, 16, 2, 5)
    assert rf_step(16, 2, 5, kernel=3, padding=2, dilation=2) == (5, 16, 2, 13)
    assert rf_step(32, 1, 1, kernel=3, dilation=8) == (17, 16, 1, 17)  # downsampling by dilation, no padding


def test_a_corner_output_of_net_does_not_see_the_whole_image():
    torch.manual_seed(0)
    net = Net().train()
    seen = {position: int((input_gradient(net.features, 32, position) > 0).sum()) for position in [(0, 0), (-1, -1)]}
    assert seen == {(0, 0): 31 * 31, (-1, -1): 32 * 32}  # centred on pixel (0, 0), it reaches 30 pixels on
    assert net.training  # the measurement puts the model back in the mode it found it in


@pytest.mark.parametrize("dilations, side, reached", [((2, 4, 8), 29, 15 * 15), ((1, 2, 4, 8), 31, 31 * 31)])
def test_dilated_stacks_without_padding_leave_holes_unless_a_dense_layer_starts(dilations, side, reached):
    torch.manual_seed(0)
    channels = [3] + [4] * len(dilations)
    stack = nn.Sequential(*[nn.Conv2d(channels[i], channels[i + 1], 3, dilation=d) for i, d in enumerate(dilations)])
    measured, heatmap = measured_receptive_field(stack, input_size=32)
    assert measured == side == receptive_field_table(stack)[-1]["r_out"]
    assert int((heatmap > 0).sum()) == reached
