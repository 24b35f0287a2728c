"""Leslie Smith's LR range test: how large may the learning rate be? (Notebook 04, section 3.)

    lr_range_test    train with an LR growing exponentially, record the smoothed loss
    suggest_max_lr   half the LR at which that loss was lowest
"""
import math
from dataclasses import replace

import numpy as np
import torch
from tqdm.auto import tqdm

from helpers import KitError
from helpers.machinery.device import run_precision, to_device
from helpers.machinery.loader import train_batches
from helpers.training import training_step
from helpers.recipe import make_optimizer


def lr_range_test(model, data, recipe, device="cpu", start_lr=1e-4, end_lr=10.0, steps=100, progress=True,
                  augmentation=None):
    """Up to `steps` training steps at LRs from start_lr to end_lr (exponentially spaced), with the
    recipe's batches and training step; stops early once the loss has diverged (4x its lowest).
    `augmentation`: your own A.Compose, as `fit` takes it (None: the recipe's pipeline).
    The model's weights (and train/eval mode) are restored afterwards, also when it fails or is
    interrupted. Returns (lrs, smoothed losses); when NaN or inf ended the test (the loss, or the
    weights), only the steps before are in them, and `losses.stopped` says where (else None)."""
    device = torch.device(device)
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training
    try:
        return _range_test(model, data, recipe, device, start_lr, end_lr, steps, progress, augmentation)
    finally:  # whatever ends it (an error, Ctrl-C): the weights are the caller's again
        model.load_state_dict(saved)
        model.train(was_training)


class RangeTestLosses(list):
    """The smoothed losses, with `stopped`: why the test ended early on a non-finite value, or None."""
    stopped = None


def _range_test(model, data, recipe, device, start_lr, end_lr, steps, progress, augmentation):
    to_device(model, device).train()
    recipe = replace(recipe, l1=0.0)  # the loss alone: the test measures how fast it falls
    batches = train_batches(data, recipe, device, log=lambda line: None, augmentation=augmentation)  # fit says where
    optimizer = make_optimizer(model, recipe, lr=start_lr)
    dtype = run_precision(device, recipe)
    if dtype == torch.float16:  # not here: its gradient scaler skips steps, which would skip LRs
        dtype = None
    gamma = (end_lr / start_lr) ** (1 / max(steps - 1, 1))
    lrs, losses, smoothed, best = [], RangeTestLosses(), 0.0, float("inf")
    bar = tqdm(total=steps, desc="LR range test", leave=False, disable=not progress)
    epoch, diverged = 0, False
    while len(lrs) < steps and not diverged:
        batches.set_epoch(epoch := epoch + 1)
        for images, labels in batches:
            lr = start_lr * gamma ** len(lrs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss, _ = training_step(model, images, labels, optimizer, dtype, label_smoothing=recipe.label_smoothing)
            smoothed = 0.9 * smoothed + 0.1 * loss.item()  # exponential moving average, bias-corrected below
            value = smoothed / (1 - 0.9 ** (len(lrs) + 1))
            weights_finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
            if not (math.isfinite(value) and weights_finite):  # NaN never compares as "4x the best": stop on it here
                what = f"the loss became {value}" if not math.isfinite(value) else "the weights became NaN or inf"
                losses.stopped = f"{what} at LR {lr:.3g} (step {len(lrs) + 1})"
                diverged = True
                break
            lrs.append(lr)
            losses.append(value)
            best = min(best, value)
            bar.update()
            diverged = value > 4 * best  # nothing more to learn
            if len(lrs) >= steps or diverged:
                break
    bar.close()
    return lrs, losses


def suggest_max_lr(lrs, losses, log=print):
    """A max LR for OneCycleLR: half the LR at which the smoothed loss was lowest. At that LR the
    loss is about to turn up; half of it still falls steeply, and OneCycle stays at its peak only
    briefly before annealing. When NaN or inf ended the test, the suggestion comes only from the
    steps before it, and `log` says so; with no step before it there is none (KitError)."""
    values = np.asarray(losses, dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    stopped = getattr(losses, "stopped", None)
    if len(bad):  # a loss after NaN or inf is no evidence: only the steps before the first one count
        stopped = stopped or f"the loss was {values[bad[0]]} at LR {lrs[bad[0]]:.3g} (step {bad[0] + 1})"
        values = values[:bad[0]]
    if not len(values):
        raise KitError(f"the LR range test recorded no finite loss{f' ({stopped})' if stopped else ''}: the network's "
                       f"forward pass returns NaN or inf at every LR, or the first LR is already too high; run it on "
                       f"one batch and look, or start lower (start_lr).")
    best = int(np.argmin(values))
    if stopped:
        log(f"the LR range test ended early: {stopped}; the suggestion comes from the {len(values)} step(s) before it "
            f"(lowest loss at LR {lrs[best]:.3g}).")
    return lrs[best] / 2
