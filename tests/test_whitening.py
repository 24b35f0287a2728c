"""helpers.whitening: the first convolution's outputs on training patches are decorrelated, of unit
variance, and the layer is frozen."""
import torch
import torch.nn as nn

from helpers.model import Net
from helpers.transforms import normalize
from helpers.whitening import whiten_first_conv
from tests.conftest import random_data


def test_whitened_outputs_are_decorrelated_with_unit_variance(subset):
    net = Net()
    first = whiten_first_conv(net, subset)
    assert not first.weight.requires_grad and first.weight.shape == (32, 3, 3, 3)
    x = normalize(torch.from_numpy(subset.train.images[:2000]), subset.mean, subset.std, "cpu", channels_last=False)
    with torch.no_grad():
        out = nn.functional.conv2d(x, first.weight)  # no padding: whole patches only
    top = out[:, :16].permute(1, 0, 2, 3).reshape(16, -1)  # the +v_i half; the other is its negative
    covariance = torch.cov(top)
    variances = covariance.diagonal()  # λ / (λ + eps): near 1 for the strong directions, less for the weakest
    assert torch.allclose(variances[:4], torch.ones(4), atol=0.1) and 0.4 < variances.min() < variances.max() < 1.1
    assert (covariance - torch.diag(covariance.diagonal())).abs().max() < 0.05  # decorrelated
    assert torch.equal(first.weight[16:], -first.weight[:16])


def test_a_frozen_first_layer_stays_frozen_through_a_run(tmp_path):
    from helpers.loops import fit
    from helpers.recipe import Recipe
    from tests.conftest import QUIET

    net = Net(widths=(8, 16, 16, 16))
    fit(net, random_data(), Recipe(epochs=1, batch_size=16, whiten_first_layer=True, ema_decay=0), tmp_path, **QUIET)
    first = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    refit = Net(widths=(8, 16, 16, 16))
    assert torch.equal(first.weight, whiten_first_conv(refit, random_data()).weight)  # unchanged by training
