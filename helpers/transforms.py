"""The Albumentations pipelines (Albumentations 2.x) and the normalisation done on the device.

Augmentations work on uint8 HWC images, one image at a time, in the loader's CPU workers (or
replayed on the GPU in batched tensor operations: machinery/device_augment.py). The
normalisation ((x/255 - mean) / std) is not among them: it runs once per batch on the device,
where it is one fused tensor operation instead of 512 small NumPy ones, and the batch travels
as uint8 (a quarter of float32's bytes).
"""
import functools

import cv2
import torch

import albumentations as A  # helpers/__init__ has already turned off its online version check

from helpers.recipe import Recipe


def mean_pixel(mean):
    """The dataset mean as a uint8 RGB fill value: a hole filled with it normalises to zero,
    so the network sees "no information" there rather than a black patch that is itself a signal."""
    return tuple(int(round(m * 255)) for m in mean)


def train_transforms(mean, recipe=None):
    """The training augmentation that `recipe`'s switches ask for (None: the default recipe's).
    The course's pipeline is flip, shift-scale-rotate and CoarseDropout, each with p = 0.5.
    Whatever a step uncovers or cuts out is filled with the dataset's mean colour, which
    normalises to 0: "nothing here", like a convolution's zero padding."""
    recipe = recipe or Recipe()
    fill = mean_pixel(mean)
    steps = []
    if recipe.pad_crop:  # pad 4 pixels a side, then take a random 32x32 window: shifts of up to 4 pixels
        steps += [A.PadIfNeeded(40, 40, border_mode=cv2.BORDER_CONSTANT, fill=fill),
                  A.RandomCrop(32, 32)]
    if recipe.flip:  # a mirrored cat is a cat; a mirrored image is a new training sample
        steps.append(A.HorizontalFlip(p=0.5))
    if recipe.shift_scale_rotate:  # 2.x's Affine replaces ShiftScaleRotate; ±15°, not its default ±45°, which at
        # 32x32 turns the image's corners out of the frame and fills the frame's corners with the fill colour
        steps.append(A.Affine(translate_percent=(-0.0625, 0.0625), scale=(0.9, 1.1), rotate=(-15, 15),
                              border_mode=cv2.BORDER_CONSTANT, fill=fill, p=0.5))
    if recipe.coarse_dropout:  # one 16x16 hole (1.x: max_holes=1, max_height=16, max_width=16, fill_value=mean):
        # the network must recognise the object from its other parts
        steps.append(A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(16, 16),
                                     hole_width_range=(16, 16), fill=fill, p=0.5))
    if recipe.to_gray:
        steps.append(A.ToGray(num_output_channels=3, p=0.1))
    if recipe.color_jitter:
        steps.append(A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.05, p=0.5))
    return A.Compose(steps)


def normalize(images, mean, std, device, channels_last=True):
    """uint8 (B, H, W, 3) on any device → normalised float32 (B, 3, H, W) on `device`, by default
    channels-last in memory as the kit's models are (see machinery.device.to_device).

    (x / 255 - mean) / std is computed as x * scale + offset, with scale = 1 / (255 std) and
    offset = -mean / std made once: one copy makes the float tensor, already in the memory layout
    the model wants, and one fused multiply-add normalises it, instead of four passes over the
    batch while the loader's workers want the same cores."""
    images = images.to(device, non_blocking=True).permute(0, 3, 1, 2)
    images = images.to(torch.float32, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    scale, offset = _scale_and_offset(tuple(mean), tuple(std), images.device)
    return torch.addcmul(offset, images, scale)


@functools.lru_cache(maxsize=16)
def _scale_and_offset(mean, std, device):
    mean, std = per_channel(mean, device), per_channel(std, device)
    return 1 / (255 * std), -mean / std


@functools.lru_cache(maxsize=16)
def per_channel(values, device):
    """(r, g, b) as a (1, 3, 1, 1) float32 tensor on `device`, made once: not a copy to the GPU every batch."""
    return torch.tensor(values, dtype=torch.float32, device=device).view(1, 3, 1, 1)
