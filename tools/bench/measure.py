"""The benchmark's measurements, each on the same data and device:

  1. the input pipeline: images a second delivered to the device, normalised, by the kit's
     training loader (augmented by CPU workers, and augmented on the device) and by the
     write-ups' seed-style loader (baseline_loader.py), all running the course's whole augmentation;
  2. the training step of Net on a batch already on the device (compute alone), in float32, then
     with channels-last and mixed precision added one at a time; the last is how the kit trains;
  3. evaluation as the kit evaluates;
  4. one epoch, augmented by the workers and on the device: estimated from 1-3, or measured.
"""
import gc
import time
from dataclasses import replace

import numpy as np
import torch

from tools.bench.baseline_loader import SEED_STYLE_BATCH_SIZE, SEED_STYLE_WORKERS, seed_style_loader
from tools.bench.timing import endless, synchronize, time_window
from helpers.machinery.device import autocast, gradient_scaler, run_precision, to_device
from helpers.machinery.loader import eval_batches, train_batches
from helpers.training import RunState, evaluate, train_epoch, training_step
from helpers.model import Net
from helpers.recipe import Recipe, make_optimizer
from helpers.transforms import normalize

# What one epoch is, for the estimate: CIFAR-10's training and test splits.
EPOCH_TRAIN_IMAGES = 50_000
EPOCH_TEST_IMAGES = 10_000


# ---- 1. The input pipeline -------------------------------------------------------------------

def measure_seed_style_loader(data, device, seconds):
    loader = seed_style_loader(data.train, data.mean, data.std, device)
    batches = endless(loader)

    def deliver():  # the batch is normalised already: it only moves to the device
        images, labels = next(batches)
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        return len(images)

    # Warm-up: the workers start and hand over their first batches before the clock runs.
    result = time_window(deliver, seconds, device, warmup=2 * SEED_STYLE_WORKERS)
    batches.close()  # ends the iterator and with it the workers, before the next window starts
    return {**result, "batch_size": SEED_STYLE_BATCH_SIZE, "workers": SEED_STYLE_WORKERS}


def measure_kit_loader(data, device, batch_size, workers, seconds, augment_on="workers"):
    """The loader `fit` trains with (loader.train_batches). augment_on="workers": a worker
    augments a whole uint8 batch, the batch is normalised on the device, channels-last;
    "device": the split is on the device already, and batches are augmented there."""
    recipe = Recipe(batch_size=batch_size, augment_on=augment_on)  # the course's whole augmentation
    loader = train_batches(data, recipe, device, workers)
    batches = endless(loader)

    def deliver():  # as train_epoch receives a batch
        images, labels = next(batches)
        return len(images)

    result = time_window(deliver, seconds, device, warmup=2 * max(workers, 1))
    batches.close()  # the loader and its persistent workers end with it, before the next window starts
    gc.collect()
    return {**result, "batch_size": batch_size, "augment_on": loader.augment_on,
            **({"workers": workers} if loader.augment_on == "workers" else {})}


# ---- 2. The training step -----------------------------------------------------------------
# The kit trains with channels-last memory (what cuDNN's tensor cores and the CPU's oneDNN read
# fastest) in mixed precision: float16 with a gradient scaler on CUDA, bfloat16 on a CPU with
# bfloat16 instructions (machinery/device.py's run_precision). Each is added on its own so the table
# shows what each one brings.

def training_settings(device):
    """(name, lower precision dtype or None, channels-last) for each setting; the last is the kit's."""
    settings = [("float32", None, False), ("float32, channels-last", None, True)]
    dtype = run_precision(device, Recipe())  # what the default recipe trains in
    if dtype is not None:
        settings.append((f"{str(dtype).removeprefix('torch.')} mixed precision, channels-last", dtype, True))
    return settings


def device_batch(split, batch_size, mean, std, device, channels_last):
    """`batch_size` real images (repeated if the split is smaller), normalised, on the device."""
    indices = np.arange(batch_size) % len(split)
    images = normalize(torch.from_numpy(split.images[indices]), mean, std, device, channels_last)
    return images, torch.from_numpy(split.labels[indices]).to(device)


def measure_training_step(data, device, batch_size, seconds, dtype, channels_last):
    torch.manual_seed(0)
    recipe = Recipe()
    model = (to_device(Net(), device) if channels_last else Net().to(device)).train()
    optimizer = make_optimizer(model, recipe)
    scaler = gradient_scaler(dtype)
    images, labels = device_batch(data.train, batch_size, data.mean, data.std, device, channels_last)

    def step():  # what train_epoch does with each batch
        training_step(model, images, labels, optimizer, dtype, scaler, recipe.label_smoothing, recipe.l1)
        return batch_size

    # Warm-up: the first steps allocate memory and pick the convolution algorithms.
    result = time_window(step, seconds, device, warmup=5 if device.type == "cuda" else 1)
    return {**result, "batch_size": batch_size, "precision": str(dtype or torch.float32).removeprefix("torch."),
            "channels_last": channels_last}


# ---- 3. Evaluation ------------------------------------------------------------------------

@torch.no_grad()
def measure_evaluation(data, device, batch_size, seconds):
    """As `training.predict` evaluates: the test batches (no workers: they only slice an array,
    normalised on the device), the forward pass without gradients."""
    model = to_device(Net(), device).eval()
    batches = endless(eval_batches(data, device, batch_size))
    dtype = run_precision(device, Recipe())

    def step():
        images, labels = next(batches)
        with autocast(device, dtype):
            model(images)
        return len(images)

    result = time_window(step, seconds, device, warmup=3 if device.type == "cuda" else 1)
    return {**result, "batch_size": batch_size}


# ---- 4. One epoch -------------------------------------------------------------------------

def estimate_epoch(loader, training_step, evaluation):
    """Training: the loader's workers prepare the next batches while the device computes, so the
    slower of the two sets the pace; augmented on the device, the device does one after the
    other, so their times add up. Then the test set is evaluated: twice with the default
    recipe's weight average (the average, then the training weights). Each was measured with the
    machine to itself; in a real epoch the main process, which drives the GPU, shares the CPU
    cores with the workers, so on a small machine this is the best case (--measure-epoch times
    a real epoch)."""
    loader_seconds = EPOCH_TRAIN_IMAGES / loader["images_per_second"]
    step_seconds = EPOCH_TRAIN_IMAGES / training_step["images_per_second"]
    if loader["augment_on"] == "device":
        bound_by, train_seconds = "device (augmentation, then the step)", loader_seconds + step_seconds
    else:
        bound_by = "loader" if loader_seconds > step_seconds else "training step"
        train_seconds = max(loader_seconds, step_seconds)
    evaluations = 2 if Recipe().ema_decay else 1
    evaluation_seconds = evaluations * EPOCH_TEST_IMAGES / evaluation["images_per_second"]
    return {"train_images": EPOCH_TRAIN_IMAGES, "test_images": EPOCH_TEST_IMAGES, "bound_by": bound_by,
            "augment_on": loader["augment_on"], "evaluations": evaluations,
            "loader_seconds": loader_seconds, "training_step_seconds": step_seconds,
            "train_seconds": train_seconds, "evaluation_seconds": evaluation_seconds,
            "seconds": train_seconds + evaluation_seconds}


def measure_epoch(data, device, batch_size, workers, augment_on="workers"):
    """Not an estimate: the first two epochs of the default recipe as `fit` runs them, loader and
    evaluation included, augmented where `augment_on` says; the second is timed (the first
    starts the workers and warms the device)."""
    recipe = Recipe(batch_size=batch_size, augment_on=augment_on)
    torch.manual_seed(recipe.seed)
    model = to_device(Net(), device)
    train_loader = train_batches(data, recipe, device, workers)
    test_loader = eval_batches(data, device, max(batch_size, 512))
    dtype = run_precision(device, recipe)
    run = RunState.start(model, recipe, len(train_loader), dtype)
    for epoch in (1, 2):  # of recipe.epochs: the learning rate follows the default schedule
        train_loader.set_epoch(epoch)
        synchronize(device)
        start = time.perf_counter()
        train_epoch(run, train_loader, dtype, progress=False)
        synchronize(device)
        trained = time.perf_counter()
        for evaluated in (run.average.model, model) if run.average else (model,):  # as fit: the average, the weights
            evaluate(evaluated, test_loader, dtype=dtype)
        synchronize(device)
        end = time.perf_counter()
    train_images = len(train_loader) * batch_size if train_loader.sampler.drop_last else len(data.train)
    return {"augment_on": train_loader.augment_on, "train_images": train_images, "test_images": len(data.test),
            "evaluations": 2 if run.average else 1,
            "train_seconds": trained - start,
            "evaluation_seconds": end - trained, "seconds": end - start,
            "train_images_per_second": train_images / (trained - start)}
