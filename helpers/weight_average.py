"""An exponential moving average of the weights: what the kit evaluates and saves.

    average = decay * average + (1 - decay) * weights        after every step

While the LR is high the weights bounce across a valley of the loss; their average lies nearer
its floor. Notebook 04 (section 2 and the curves) shows what it brings.
"""
import copy

import torch


class WeightAverage:
    """The average of a model's weights and BatchNorm statistics, as a model of its own
    (`.model`). Early on the decay is lowered, (1 + step) / (10 + step), so that the random
    starting weights are soon forgotten."""

    def __init__(self, model, decay):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay, self.steps = decay, 0

    @torch.no_grad()
    def update(self, model):
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        floats, counts = ([], []), ([], [])  # (average, current) tensors
        for average, current in zip(self.model.state_dict().values(), model.state_dict().values()):
            kind = floats if average.is_floating_point() else counts  # counts: BatchNorm's batches seen
            kind[0].append(average)
            kind[1].append(current)
        # All tensors at once: on a GPU a handful of kernels instead of one per tensor (~70 a
        # step); on the CPU the same per-tensor lerp as before, so the same numbers.
        if floats[0]:
            torch._foreach_lerp_(*floats, 1 - decay)
        if counts[0]:
            torch._foreach_copy_(*counts)
