"""helpers.lr_range_test: the LR grows as planned, the test stops once the loss explodes, the
model comes back unchanged, and the suggestion is half the LR of the lowest loss."""
import numpy as np
import pytest
import torch

from helpers import KitError
from helpers.lr_range_test import lr_range_test, suggest_max_lr
from helpers.model import Net
from helpers.recipe import Recipe
from tests.conftest import nan_from_step, random_data


def test_suggest_max_lr_is_half_the_lr_of_the_lowest_loss():
    assert suggest_max_lr([0.001, 0.01, 0.1, 1.0], [2.3, 2.0, 1.5, 9.0]) == pytest.approx(0.05)


def test_the_lr_grows_exponentially_and_the_weights_come_back():
    torch.manual_seed(0)
    model = Net(widths=(8, 16, 16, 16))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lrs, losses = lr_range_test(model, random_data(), Recipe(batch_size=16), steps=8, end_lr=1e-2, progress=False)
    assert len(lrs) == len(losses) == 8  # 4 batches an epoch: the test runs on into a second epoch
    assert lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(1e-2)
    assert np.allclose(np.diff(np.log(lrs)), np.log(100) / 7)  # the same factor each step
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_the_test_stops_once_the_loss_explodes():
    torch.manual_seed(0)
    lrs, losses = lr_range_test(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(batch_size=16),
                                start_lr=1e-3, end_lr=1e6, steps=60, progress=False)
    assert len(lrs) < 60 and losses[-1] > 4 * min(losses)


def test_a_nan_loss_stops_the_test_and_the_suggestion_ignores_it(monkeypatch):
    """Item 10: a training step that returns NaN from step 13 on: the test stops there, records
    only finite losses, and suggests half the LR of the lowest of them."""
    import helpers.lr_range_test as module
    nan_from_step(monkeypatch, module, first=13)
    torch.manual_seed(0)
    lrs, losses = lr_range_test(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(batch_size=16), steps=40,
                                end_lr=1.0, progress=False)
    assert len(lrs) == len(losses) == 12 and np.isfinite(losses).all()
    assert suggest_max_lr(lrs, losses) == lrs[int(np.argmin(losses))] / 2


def test_suggest_max_lr_skips_nan_losses():
    assert suggest_max_lr([0.001, 0.01, 0.1, 1.0], [2.3, 2.0, float("nan"), 9.0]) == pytest.approx(0.005)
    with pytest.raises(KitError, match="no finite loss"):
        suggest_max_lr([0.001, 0.01], [float("nan"), float("nan")])
