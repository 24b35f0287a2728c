"""The baseline: the course write-ups' loader, kept as they built it (the point is to compare
against it). torchvision's CIFAR10 hands out PIL images, np.array turns them back into arrays, an
Albumentations Compose with Normalize and ToTensorV2 makes a float tensor per image, the default
collate stacks 128 of them, 2 workers.
"""
import numpy as np
import torch
from PIL import Image

import albumentations as A  # helpers/__init__ has already turned off its online version check
from albumentations.pytorch import ToTensorV2

from helpers.recipe import Recipe
from helpers.transforms import train_transforms

SEED_STYLE_BATCH_SIZE = 128
SEED_STYLE_WORKERS = 2


class SeedStyleCIFAR10(torch.utils.data.Dataset):
    """The write-ups' dataset. torchvision's CIFAR10 keeps the images as one uint8 array `data`
    and the labels as a list `targets`, and makes a PIL image of each sample it hands out; the
    write-ups' subclass turned that back into an array for Albumentations, whose Compose then
    augmented, normalised and made a float tensor of it, one image at a time."""

    def __init__(self, split, transform):
        self.data = split.images
        self.targets = split.labels.tolist()
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[index], self.targets[index]
        image = Image.fromarray(image)  # what torchvision.datasets.CIFAR10 does
        image = np.array(image)  # what the write-ups did: Albumentations wants an array
        image = self.transform(image=image)["image"]  # float32 (3, 32, 32), normalised
        return image, target


def seed_style_transforms(mean, std):
    """The kit's own augmentation steps (the default recipe's: flip, Affine, CoarseDropout), then Normalize and ToTensorV2 as the write-ups had them:
    the same augmentation on both sides, so the comparison is of the pipelines alone."""
    return A.Compose([*train_transforms(mean, Recipe()).transforms,
                      A.Normalize(mean=mean, std=std, max_pixel_value=255.0), ToTensorV2()])


def seed_style_loader(split, mean, std, device):
    """As the write-ups built it: batch 128, 2 workers, shuffled, default collate, memory pinned
    for a GPU, workers started afresh every epoch (DataLoader's default)."""
    return torch.utils.data.DataLoader(SeedStyleCIFAR10(split, seed_style_transforms(mean, std)),
                                       batch_size=SEED_STYLE_BATCH_SIZE, shuffle=True,
                                       num_workers=SEED_STYLE_WORKERS, pin_memory=device.type == "cuda")
