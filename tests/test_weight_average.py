"""helpers.weight_average: the average moves at its decay, and forgets the random start quickly."""
import copy

import torch
import torch.nn as nn

from helpers.weight_average import WeightAverage


def test_weight_average_follows_the_weights_at_its_decay():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    average = WeightAverage(model, decay=0.9)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    average.steps = 1000  # past the warm-up, where the decay is lowered
    with torch.no_grad():
        model[0].weight += 1.0
    model(torch.randn(8, 3, 5, 5))  # a training-mode pass moves BatchNorm's statistics and its counter
    average.update(model)
    state = average.model.state_dict()
    assert torch.allclose(state["0.weight"], start["0.weight"] + 0.1)  # 0.9 * old + 0.1 * (old + 1)
    assert torch.allclose(state["1.running_mean"], 0.9 * start["1.running_mean"] + 0.1 * model[1].running_mean)
    assert state["1.num_batches_tracked"] == 1  # a count is copied, not averaged
    assert not any(p.requires_grad for p in average.model.parameters())


def test_weight_average_forgets_the_random_start_quickly():
    model = nn.Linear(2, 2)
    average = WeightAverage(model, decay=0.99)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.fill_(1.0)
    average.update(model)  # first step: decay (1 + 0) / (10 + 0) = 0.1, so 90% of the new weights
    assert torch.allclose(average.model.weight, 0.1 * start + 0.9)
    average.update(model)  # second: decay 2 / 11
    assert torch.allclose(average.model.weight, 2 / 11 * (0.1 * start + 0.9) + 9 / 11)


def test_the_foreach_update_gives_the_per_tensor_loop_numbers():
    """update() lerps all tensors in one foreach call; on the CPU its numbers are bit for bit
    those of the per-tensor loop it replaced (the CPU histories must not change)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(30, 5))
    average = WeightAverage(model, decay=0.99)
    looped = copy.deepcopy(average.model)
    for step in range(5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        model(torch.randn(4, 3, 32, 32))  # BatchNorm's statistics and counter move
        decay = min(0.99, (1 + step) / (10 + step))
        with torch.no_grad():  # the loop before foreach
            for mean, current in zip(looped.state_dict().values(), model.state_dict().values()):
                if mean.is_floating_point():
                    mean.lerp_(current, 1 - decay)
                else:
                    mean.copy_(current)
        average.update(model)
        for name, value in looped.state_dict().items():
            assert torch.equal(average.model.state_dict()[name], value), name
