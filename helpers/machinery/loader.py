"""Batches as the model wants them: augmented, normalised, channels-last, on the device.

    train_batches   the training images, shuffled and augmented by the recipe, a new order each epoch
    eval_batches    the test images, in order, not augmented

A standard loader asks the dataset for one image at a time, makes a float tensor of each and
collates them. Here a worker is handed a whole batch of indices, augments the uint8 images and
returns one uint8 array (a quarter of float32's bytes to move); the main process then normalises
the whole batch on the device in one fused operation (transforms.normalize). What that saves is
measured by `python -m helpers.bench` against the write-ups' loader.
"""
import os
import numpy as np
import torch

from helpers import KitError
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

    def __iter__(self):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n) if self.shuffle else np.arange(self.n)
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


class DeviceBatches:
    """Iterates (images, labels): images normalised float32 (B, 3, 32, 32), channels-last, and
    labels, both on `device`. `.split` is the uint8 split behind it (for showing images)."""

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

    def set_epoch(self, epoch):
        """A new order and new augmentations, a function of (seed, epoch)."""
        self.sampler.set_epoch(epoch)

    @property
    def batch_size(self):
        return self.sampler.batch_size

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for images, labels in self.loader:
            yield normalize(images, self.mean, self.std, self.device), labels.to(self.device, non_blocking=True)


def train_batches(data, recipe, device, workers=None):
    """The training loader every run uses (fit, the LR range test, the benchmark): the recipe's
    batch size, augmentation and seed. The last, incomplete batch is dropped when there is more
    than one batch, so that every step sees a full batch (BatchNorm's statistics)."""
    transform = train_transforms(data.mean, recipe)
    return DeviceBatches(data.train, recipe.batch_size, data.mean, data.std, device, transform=transform, shuffle=True,
                         seed=recipe.seed, drop_last=len(data.train) > recipe.batch_size, workers=workers)


def eval_batches(data, device, batch_size=512):
    """The test images in order, not augmented."""
    return DeviceBatches(data.test, batch_size, data.mean, data.std, device)
