"""The recipe: every setting of a training run in one dataclass, and what it builds.

    Recipe            epochs, batch, optimiser, schedule, regularisation, augmentation, seed
    make_optimizer    SGD (Nesterov) or AdamW, with weight decay on conv and linear weights only
    make_scheduler    OneCycleLR over the whole run
    l1_penalty        sum of |w| over conv and linear weights

Why each default is what it is: notebook 04, section 2; what each one measured: README.
"""
from dataclasses import dataclass, fields

import torch

from helpers import KitError


@dataclass
class Recipe:
    epochs: int = 30
    batch_size: int = 128  # 390 steps an epoch: measured +0.7 points at the end over 512 (README)
    optimizer: str = "sgd"  # or "adam"
    max_lr: float = 0.2  # SGD; for Adam about 0.01
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
    coarse_dropout_off_last: int = 0  # the last N epochs train without CoarseDropout (0: on throughout)
    pad_crop: bool = False
    to_gray: bool = False
    color_jitter: bool = False
    whiten_first_layer: bool = False  # the first conv frozen to patch-whitening filters of the data (whitening.py)

    AUGMENTATIONS = ("flip", "shift_scale_rotate", "coarse_dropout", "pad_crop", "to_gray", "color_jitter")

    def augmentations(self):
        return {name: getattr(self, name) for name in self.AUGMENTATIONS}

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
    """The recipe's optimiser, at `lr` (default: the recipe's max LR; the scheduler then sets it)."""
    groups = parameter_groups(model, recipe.weight_decay)
    lr = recipe.max_lr if lr is None else lr
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=recipe.momentum, nesterov=recipe.nesterov)
    if recipe.optimizer == "adam":  # AdamW: weight decay applied to the weights, not to the gradient
        return torch.optim.AdamW(groups, lr=lr, betas=(recipe.momentum, 0.999))
    raise KitError(f"unknown optimizer {recipe.optimizer!r}: use sgd or adam.")


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
