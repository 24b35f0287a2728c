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


def lr_range_test(model, data, recipe, device="cpu", start_lr=1e-4, end_lr=10.0, steps=100, progress=True):
    """Up to `steps` training steps at LRs from start_lr to end_lr (exponentially spaced), with the
    recipe's batches and training step; stops early once the loss has diverged (4x its lowest).
    The model's weights are restored afterwards. Returns (lrs, smoothed losses)."""
    device = torch.device(device)
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    to_device(model, device).train()
    recipe = replace(recipe, l1=0.0)  # the loss alone: the test measures how fast it falls
    batches = train_batches(data, recipe, device)
    optimizer = make_optimizer(model, recipe, lr=start_lr)
    dtype = run_precision(device, recipe.mixed_precision)
    if dtype == torch.float16:  # not here: its gradient scaler skips steps, which would skip LRs
        dtype = None
    gamma = (end_lr / start_lr) ** (1 / max(steps - 1, 1))
    lrs, losses, smoothed, best = [], [], 0.0, float("inf")
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
            if not math.isfinite(value):  # NaN never compares as "4x the best": stop on it here
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
    model.load_state_dict(saved)
    return lrs, losses


def suggest_max_lr(lrs, losses):
    """A max LR for OneCycleLR: half the LR at which the smoothed loss was lowest. At that LR the
    loss is about to turn up; half of it still falls steeply, and OneCycle stays at its peak only
    briefly before annealing."""
    finite = np.isfinite(losses)
    if not finite.any():
        raise KitError("the LR range test recorded no finite loss: the network's forward pass returns NaN or inf at "
                       "every LR; run it on one batch and look.")
    return lrs[int(np.argmin(np.where(finite, losses, np.inf)))] / 2
