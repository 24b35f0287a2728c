"""The recipe: every setting of a training run in one dataclass, and what it builds.

    Recipe            epochs, batch, optimiser, schedule, regularisation, augmentation, seed
    make_optimizer    SGD (Nesterov) or AdamW, with weight decay on conv and linear weights only
    make_scheduler    OneCycleLR over the whole run
    l1_penalty        sum of |w| over conv and linear weights

Why each default is what it is: notebook 04; what each one measured: RESULTS.md.
"""
import math
import numbers
from dataclasses import dataclass, fields

import torch

from helpers import KitError


ADAM_MAX_LR = 0.01  # Adam's peak LR: its good LRs are about ten times smaller than SGD's (notebook 06)


@dataclass
class Recipe:
    epochs: int = 30
    batch_size: int = 128
    optimizer: str = "sgd"  # or "adam"
    max_lr: float = 0.2  # SGD; for Adam ADAM_MAX_LR
    momentum: float = 0.9  # SGD momentum, or Adam's beta1
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    l1: float = 0.0  # L1 penalty factor on conv and linear weights, e.g. 5e-5
    pct_start: float = 0.25  # share of the run spent climbing to max_lr
    ema_decay: float = 0.99  # weight average kept per step (0: evaluate the training weights themselves)
    mixed_precision: bool = True  # float16 on CUDA, bfloat16 on CPUs that have it (device.lower_precision)
    seed: int = 0
    # Augmentation (transforms.train_transforms reads these). The default is the course's pipeline:
    # flip, shift-scale-rotate and CoarseDropout, each with p = 0.5.
    flip: bool = True
    shift_scale_rotate: bool = True
    coarse_dropout: bool = True
    pad_crop: bool = False
    to_gray: bool = False
    color_jitter: bool = False
    # Where the augmentation runs: "workers" (Albumentations in CPU worker processes), "device" (the
    # same pipeline replayed in batched tensor operations on the GPU), or "auto" (the device on a GPU
    # when the pipeline can be replayed there). A run records which one it used; resume keeps it.
    augment_on: str = "auto"

    def check(self):
        """Refuse, before any training, a setting with which a run cannot learn. The command line
        and `fit` both call it: one place says what is possible."""
        for name, low in (("epochs", -math.inf), ("batch_size", -math.inf), ("seed", 0)):  # below 1: said next
            value = getattr(self, name)  # whole numbers; the seed one NumPy takes
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (low <= value < 2**32):
                raise KitError(f"{name.replace('_', ' ')} {value!r} is not possible: a whole number from "
                               f"{1 if low < 0 else low} to {2**32 - 1} (--{name.replace('_', '-')}).")
        if self.epochs <= 0:
            raise KitError(f"epochs {self.epochs} is not possible: train for 1 or more epochs (--epochs, EPOCHS).")
        if self.batch_size <= 0:
            raise KitError(f"batch size {self.batch_size} is not possible: use a positive number such as 128 "
                           f"(--batch-size, BATCH_SIZE).")
        if not (math.isfinite(self.max_lr) and self.max_lr > 0):
            raise KitError(f"max LR {self.max_lr} is not possible: it must be a positive, finite number such as 0.1 "
                           f"(--max-lr, MAX_LR; the LR range test of notebook 04 suggests one).")
        if self.optimizer not in ("sgd", "adam"):
            raise KitError(f"unknown optimizer {self.optimizer!r}: use sgd or adam.")
        if self.augment_on not in ("auto", "device", "workers"):
            raise KitError(f"augment_on {self.augment_on!r} is not possible: use auto, device or workers.")
        sgd = self.optimizer == "sgd"  # OneCycleLR cycles SGD's momentum by 0.05 each way: it must stay in [0, 1)
        for name, low, high, high_included, what in (
                ("momentum", 0.05 if sgd else 0.0, 0.95 if sgd else 1.0, False,
                 "SGD's momentum is from 0.05 to below 0.95, as OneCycleLR cycles it by 0.05 each way (0.9 is usual)"
                 if sgd else "Adam's beta1 is from 0 to below 1 (0.9 is usual)"),
                ("weight_decay", 0.0, math.inf, False, "a weight decay is 0 or more, such as 5e-4"),
                ("label_smoothing", 0.0, 1.0, True, "label smoothing is from 0 to 1, such as 0.1"),
                ("l1", 0.0, math.inf, False, "an L1 factor is 0 or more, such as 5e-5"),
                ("ema_decay", 0.0, 1.0, False, "the weight average's decay is 0 (none) to below 1, such as 0.99"),
                ("pct_start", 0.0, 1.0, False, "pct_start, the share of the run that climbs, is above 0 and below 1, "
                                               "such as 0.25")):
            value = getattr(self, name)
            number = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            if not (number and low <= value and (value <= high if high_included else value < high)
                    and (name != "pct_start" or value > 0)):
                raise KitError(f"{name.replace('_', ' ')} {value!r} is not possible: {what} "
                               f"(--{name.replace('_', '-')}).")
        return self

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def parameter_groups(model, weight_decay):
    """Weight decay for conv and linear weights (ndim > 1), none for norm scales and biases."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model, recipe, lr=None):
    """The recipe's optimiser, at `lr` (default: the recipe's max LR; the scheduler then sets it).

    On CUDA the step is fused: one kernel for all the weights instead of several per tensor, and
    the gradient scaler's overflow check stays on the GPU instead of waiting for it every step.
    On the CPU torch's default step is kept: the fused AdamW rounds differently, and the CPU
    histories must stay what they were."""
    groups = parameter_groups(model, recipe.weight_decay)
    lr = recipe.max_lr if lr is None else lr
    fused = True if all(p.is_cuda for g in groups for p in g["params"]) else None
    if recipe.check().optimizer == "sgd":  # check: the one place that says which optimisers there are
        return torch.optim.SGD(groups, lr=lr, momentum=recipe.momentum, nesterov=recipe.nesterov, fused=fused)
    # AdamW: weight decay applied to the weights, not to the gradient
    return torch.optim.AdamW(groups, lr=lr, betas=(recipe.momentum, 0.999), fused=fused)


def onecycle_pct_start(recipe, steps_per_epoch):
    """OneCycleLR divides by the length of its climb, pct_start * steps - 1: a tiny run of a few
    steps gets a climb of at least 1.5 steps (and at most 3/4 of the run), so it is never zero."""
    return min(max(recipe.pct_start, 1.5 / (recipe.epochs * steps_per_epoch)), 0.75)


def make_scheduler(optimizer, recipe, steps_per_epoch):
    """OneCycleLR: max_lr/10 → max_lr over pct_start of the steps, then cosine down to max_lr/1000.
    SGD's momentum cycles the other way, momentum ± 0.05: less momentum while the steps are largest."""
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.max_lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch,
        pct_start=onecycle_pct_start(recipe, steps_per_epoch), div_factor=10, final_div_factor=100,
        anneal_strategy="cos", cycle_momentum=recipe.optimizer == "sgd",
        base_momentum=recipe.momentum - 0.05, max_momentum=recipe.momentum + 0.05)


def l1_penalty(model):
    """Sum of |w| over conv and linear weights (not norms or biases): added to the loss times a
    small factor, it pushes unneeded weights to exactly zero."""
    return sum(p.abs().sum() for p in model.parameters() if p.ndim > 1)
