"""helpers.recipe: weight decay and L1 on the right tensors, and OneCycleLR on runs of any length."""
import pytest
import torch
import torch.nn as nn

from helpers.recipe import Recipe, l1_penalty, make_optimizer, make_scheduler, parameter_groups


def test_weight_decay_spares_norms_and_biases():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(1, 3, 5, 5))  # materialise the lazy layer
    decayed, spared = parameter_groups(model, 5e-4)
    assert decayed["weight_decay"] == 5e-4 and spared["weight_decay"] == 0.0
    assert [p.ndim for p in decayed["params"]] == [4, 2]  # the conv's and the linear layer's weights
    assert len(spared["params"]) == 4  # conv bias, BatchNorm scale and shift, linear bias


def test_l1_penalty_sums_conv_and_linear_weights_only():
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 3))
    conv, norm, _, linear = model
    with torch.no_grad():
        conv.weight.copy_(torch.arange(-4.0, 4.0).reshape(2, 1, 2, 2))  # |-4| + ... + |3| = 16
        linear.weight.fill_(-0.5)  # 6 weights of |-0.5| = 3
        for p in (conv.bias, norm.weight, norm.bias, linear.bias):
            p.fill_(100.0)  # biases and norm scales are not penalised: these must not count
    assert l1_penalty(model).item() == pytest.approx(16 + 3)


def planned_lrs(recipe, steps_per_epoch):
    optimizer = make_optimizer(nn.Linear(2, 2), recipe)
    scheduler = make_scheduler(optimizer, recipe, steps_per_epoch)
    lrs = []
    for _ in range(recipe.epochs * steps_per_epoch):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_onecycle_climbs_to_max_lr_then_anneals():
    lrs = planned_lrs(Recipe(epochs=4, max_lr=0.2), steps_per_epoch=25)
    peak = max(range(len(lrs)), key=lrs.__getitem__)
    assert lrs[0] == pytest.approx(0.02) and lrs[peak] == pytest.approx(0.2, rel=1e-3)
    assert peak == pytest.approx(0.25 * 100, abs=1)  # pct_start of the steps
    assert lrs[-1] < 0.002  # ends near max_lr / 1000


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_a_run_of_a_few_steps_still_gets_a_schedule(steps):
    """OneCycleLR divides by the length of its climb: with pct_start 0.25 of 2 steps that would
    be zero. The guard gives it at least 1.5 steps, and the LRs stay finite and positive."""
    lrs = planned_lrs(Recipe(epochs=1, max_lr=0.2), steps_per_epoch=steps)
    assert len(lrs) == steps and all(0 < lr <= 0.2 + 1e-9 for lr in lrs)
