"""helpers.attention: the shapes, the parameters counted by hand, the config a checkpoint needs."""
import json

import torch

from helpers.attention import AttentionNet
from helpers.model import count_parameters


def test_attention_net_output_shape_and_parameter_count():
    model = AttentionNet()
    assert model(torch.randn(4, 3, 32, 32)).shape == (4, 10)

    convs = 3 * 16 * 9 + 16 * 32 * 9 + 32 * 48 * 9  # 3x3 kernels, no bias (BatchNorm follows)
    batch_norms = 2 * (16 + 32 + 48)  # a scale and a shift per channel
    one_block = 3 * (48 * 8) + 8 * 48  # query, key, value 48 → 8, out 8 → 48, no biases
    output = 48 * 10 + 10
    by_hand = convs + batch_norms + 4 * one_block + output
    assert by_hand == 18_864 + 192 + 6_144 + 490
    assert count_parameters(model) == by_hand
    assert abs(by_hand - 25_700) / 25_700 < 0.01  # the write-up's "about 25,700"


def test_attention_net_rebuilds_from_its_config():
    model = AttentionNet(residual=False)
    config = json.loads(json.dumps(model.config))  # as a checkpoint or metrics.json stores it
    rebuilt = AttentionNet(**config)
    assert rebuilt.config == model.config
    rebuilt.load_state_dict(model.state_dict())  # same layers, same shapes
