"""Batches as the model wants them: augmented, normalised, channels-last, on the device.

    train_batches    the training images, shuffled and augmented by the recipe, a new order each epoch
    augment_where    where a pipeline runs (the device or the CPU workers), and the one line that says why
    eval_batches     the test images, in order, not augmented
    WorkerBatches    augmented by Albumentations in CPU worker processes, a batch a worker
    OnDeviceBatches  the whole uint8 split on the device, augmented there (device_augment)

A standard loader asks the dataset for one image at a time, makes a float tensor of each and
collates them. Here a worker is handed a whole batch of indices, augments the uint8 images and
returns one uint8 array (a quarter of float32's bytes to move); the main process then normalises
the whole batch on the device in one fused operation (transforms.normalize). What that saves is
measured by `python -m tools.bench` against the write-ups' loader.

On a GPU with few CPU cores (Colab: 2) even that keeps the GPU waiting for the workers. There the
training split (150 MB of uint8) goes to the GPU once, and each epoch is shuffled and augmented on
the GPU, the same pipeline replayed in a few batched operations (OnDeviceBatches).
"""
import os
import numpy as np
import torch

from helpers import KitError
from helpers.machinery.device_augment import CannotReplay, DeviceAugmentation
from helpers.transforms import normalize, train_transforms


def worker_count():
    """One worker a CPU core this process may use (Colab: 2)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class BatchSampler:
    """Yields (epoch, batch_number, indices). The order is a function of (seed, epoch) alone, so a
    resumed run sees the very batches an uninterrupted run would."""

    def __init__(self, n, batch_size, shuffle, seed=0, drop_last=False):
        if batch_size <= 0:
            raise KitError(f"batch size {batch_size} is not possible: use a positive number such as 128 or 512.")
        self.n, self.batch_size, self.shuffle, self.seed, self.drop_last = n, batch_size, shuffle, seed, drop_last
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def order(self):
        """This epoch's order of the n images."""
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n) if self.shuffle else np.arange(self.n)

    def __iter__(self):
        order = self.order()
        for number in range(len(self)):
            yield self.epoch, number, order[number * self.batch_size:(number + 1) * self.batch_size]


class AugmentedBatches(torch.utils.data.Dataset):
    """dataset[(epoch, number, indices)] → (uint8 images (B, 32, 32, 3), int64 labels (B,))."""

    def __init__(self, split, transform=None, seed=0):
        self.split, self.transform, self.seed = split, transform, seed

    def __getitem__(self, key):
        epoch, number, indices = key
        images = self.split.images[indices]
        transform = self.transform
        if transform is not None:
            # Albumentations has its own random generator: seeding it from (seed, epoch, batch)
            # makes the augmentation independent of which worker draws the batch.
            transform.set_random_seed(int(np.random.default_rng([self.seed, epoch, number]).integers(2**31)))
            images = np.stack([transform(image=image)["image"] for image in images])
        return torch.from_numpy(images), torch.from_numpy(self.split.labels[indices])


class Batches:
    """What every loader of the kit offers: epochs, batches, their size, and `augment_on`, where
    its augmentation runs (what a run records)."""

    def set_epoch(self, epoch):
        """A new order and new augmentations, a function of (seed, epoch)."""
        self.sampler.set_epoch(epoch)

    @property
    def batch_size(self):
        return self.sampler.batch_size

    def __len__(self):
        return len(self.sampler)


class WorkerBatches(Batches):
    """Iterates (images, labels): images normalised float32 (B, 3, 32, 32), channels-last, and
    labels, both on `device`. `.split` is the uint8 split behind it (for showing images)."""
    augment_on = "workers"

    def __init__(self, split, batch_size, mean, std, device, transform=None, shuffle=False, seed=0,
                 drop_last=False, workers=None):
        self.split, self.mean, self.std, self.device = split, mean, std, torch.device(device)
        self.sampler = BatchSampler(len(split), batch_size, shuffle, seed, drop_last)
        if workers is None:  # augmenting takes a worker a core; slicing an array needs none
            workers = worker_count() if transform is not None else 0
        self.loader = torch.utils.data.DataLoader(
            AugmentedBatches(split, transform, seed),
            batch_size=None,  # the sampler already yields whole batches
            sampler=self.sampler,
            num_workers=workers,
            persistent_workers=workers > 0,  # kept alive between epochs
            prefetch_factor=4 if workers > 0 else None,
            pin_memory=self.device.type == "cuda",
        )

    def __iter__(self):
        for images, labels in self.loader:
            yield normalize(images, self.mean, self.std, self.device), labels.to(self.device, non_blocking=True)


class OnDeviceBatches(Batches):
    """As WorkerBatches, but the uint8 split is copied to `device` once, and each epoch is shuffled
    (BatchSampler's order) and augmented there by `augmentation` (a device_augment.DeviceAugmentation;
    None: not augmented). Its draws come from a CPU generator seeded from (seed, epoch): a resumed
    run sees the same batches, on any device."""
    augment_on = "device"

    def __init__(self, split, batch_size, mean, std, device, augmentation=None, shuffle=False, seed=0,
                 drop_last=False):
        self.split, self.mean, self.std, self.device = split, mean, std, torch.device(device)
        self.augmentation = augmentation
        self.sampler = BatchSampler(len(split), batch_size, shuffle, seed, drop_last)
        self.images = torch.from_numpy(split.images).to(self.device)
        self.labels = torch.from_numpy(split.labels).to(self.device)

    def __iter__(self):
        sampler, size = self.sampler, self.sampler.batch_size
        # One copy to the device an epoch: the order and every image's parameters. After that
        # nothing in the loop waits for the CPU.
        order = torch.from_numpy(sampler.order()).to(self.device)
        if self.augmentation is not None:
            # (seed, epoch, 1): a random stream apart from the order's (seed, epoch)
            seed = int(np.random.default_rng([sampler.seed, sampler.epoch, 1]).integers(2**63))
            draws = self.augmentation.sample(len(order), torch.Generator().manual_seed(seed))
            theta, holes = self.augmentation.prepare(draws, self.device)
        for number in range(len(self)):
            batch = slice(number * size, (number + 1) * size)
            indices = order[batch]
            images = self.images[indices]
            if self.augmentation is not None:
                images = self.augmentation.apply(images, theta[batch], holes[batch])
            yield normalize(images, self.mean, self.std, self.device), self.labels[indices]


def train_batches(data, recipe, device, workers=None, log=print, augmentation=None):
    """The training loader every run uses (fit, the LR range test, the benchmark): the recipe's
    batch size, augmentation and seed. The last, incomplete batch is dropped when there is more
    than one batch, so that every step sees a full batch (BatchNorm's statistics).

    `augmentation`: the student's own A.Compose (machinery/pipelines.py), or None for the course's
    pipeline, which the recipe's switches build (transforms.train_transforms). Where it runs is
    recipe.augment_on: "workers" (Albumentations on CPU workers), "device" (replayed on the device;
    refused when the pipeline cannot be), or "auto": the device on a CUDA GPU when the pipeline can
    be replayed there, else the workers. One line says which and why (`augment_where`). The loader's
    `.augment_on` says which it is ("workers" or "device"): what the run records."""
    device = torch.device(device)
    transform = train_transforms(data.mean, recipe) if augmentation is None else augmentation
    drop_last = len(data.train) > recipe.batch_size
    replay, line = augment_where(transform, recipe.augment_on, device, data.train.images.shape[1:3],
                                 workers if workers is not None else worker_count(), yours=augmentation is not None)
    if line:
        log(line)
    if replay is not None:
        return OnDeviceBatches(data.train, recipe.batch_size, data.mean, data.std, device, replay, shuffle=True,
                               seed=recipe.seed, drop_last=drop_last)
    return WorkerBatches(data.train, recipe.batch_size, data.mean, data.std, device, transform=transform, shuffle=True,
                         seed=recipe.seed, drop_last=drop_last, workers=workers)


def augment_where(transform, augment_on, device, size=(32, 32), workers=1, yours=False):
    """Where `transform` runs: (a DeviceAugmentation to replay it on the device, or None for the CPU
    workers, and the one line that says which and why, or '' where there is nothing to say).

    augment_on="device" that cannot be replayed is refused (KitError). With "auto" the replay is
    used on a CUDA GPU whenever it reproduces the pipeline. The line is said on a GPU, whenever
    the student's own pipeline (`yours`) trains, and when "device" was asked for; the kit's own
    pipeline on the CPU, the only place it can run there, is said nothing about."""
    device = torch.device(device)
    whose = "your augmentation" if yours else "augmentation"
    workers_text = f"the CPU workers ({workers})" if workers else "the CPU (in the main process)"
    try:
        replay = DeviceAugmentation(transform, *size)
        reason = None
    except CannotReplay as why:
        replay, reason = None, str(why)
    if augment_on == "device" or (augment_on == "auto" and device.type == "cuda"):
        if replay is not None:
            where = "the GPU" if device.type == "cuda" else f"the {device.type.upper()} as batched tensor operations"
            return replay, (f"{whose}: on {where}, replayed a whole batch at a time (it reproduces every step of the "
                            f"pipeline: {', '.join(type(t).__name__ for t in transform.transforms)})")
        if augment_on == "device":
            raise KitError(f"augment_on=device is not possible: {reason}; use auto or workers.")
        return None, f"{whose}: on {workers_text}, not the GPU: {reason}"
    if augment_on == "workers":
        return None, f"{whose}: on {workers_text}, as augment_on=workers asks" if yours or device.type == "cuda" else ""
    # auto, not on a GPU
    if not yours:
        return None, ""
    on_gpu = "it would run there too" if replay is not None else f"it would stay on the workers there too: {reason}"
    return None, f"{whose}: on {workers_text}, as this run has no GPU (on a GPU {on_gpu})"


def eval_batches(data, device, batch_size=512):
    """The test images in order, not augmented. On a GPU they are copied there once (30 MB of
    uint8), not a batch at a time from the CPU."""
    device = torch.device(device)
    batches = OnDeviceBatches if device.type == "cuda" else WorkerBatches
    return batches(data.test, batch_size, data.mean, data.std, device)
