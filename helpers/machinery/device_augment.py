"""The lessons' Albumentations pipeline, replayed on the device a whole batch at a time.

Albumentations augments one image at a time on the CPU. On Colab's two cores that is what bounds
an epoch, while the GPU waits. This module reads the pipeline that `transforms.train_transforms`
builds (the Compose object itself: Albumentations stays what students read and edit), draws the
same random parameters as Albumentations 2.0.8 draws them, and applies them to a batch in a few
tensor operations: HorizontalFlip and Affine as one `affine_grid`/`grid_sample`, CoarseDropout as
a mask. The result is Albumentations' own to within one grey level (tests/test_device_augment.py).
A pipeline it cannot reproduce exactly is refused (CannotReplay), and the run keeps the CPU workers.

    DeviceAugmentation   from a Compose: .sample(n, generator) draws, .prepare(draws, device), .apply(images, ...)
    Draws                the parameters of n images, as Albumentations would have drawn them
    CannotReplay         why a pipeline cannot be replayed, in one line

loader.OnDeviceBatches uses it: the uint8 split on the device, shuffled and augmented there.
"""
import functools
from dataclasses import dataclass

import cv2
import torch
import torch.nn.functional as F

import albumentations as A

from helpers import KitError
from helpers.transforms import per_channel


class CannotReplay(KitError):
    """The pipeline holds something the device replay does not reproduce exactly."""


@dataclass
class Draws:
    """The random parameters of n images, one row an image, in Albumentations' terms."""
    flip: torch.Tensor    # (n,) bool: HorizontalFlip fired
    matrix: torch.Tensor  # (n, 3, 3) float64: Affine's, source pixel → output pixel (identity: it did not fire)
    holes: torch.Tensor   # (n, K, 4) int64: CoarseDropout's holes, x_min, y_min, x_max, y_max (empty: none)


class DeviceAugmentation:
    """HorizontalFlip, then Affine, then CoarseDropout (each optional, in that order), with the
    settings read from an Albumentations Compose; anything else raises CannotReplay."""

    def __init__(self, compose, height=32, width=32):
        self.height, self.width = height, width
        self.flip = self.affine = self.dropout = None
        if not isinstance(compose, A.Compose) or compose.p != 1:
            raise CannotReplay(f"the pipeline must be an A.Compose applied always (p=1), not a "
                               f"{type(compose).__name__} with p={getattr(compose, 'p', None)}")
        still_possible = ["flip", "affine", "dropout"]  # the order the replay applies them in
        for transform in compose.transforms:
            step = {A.HorizontalFlip: "flip", A.Affine: "affine", A.CoarseDropout: "dropout"}.get(type(transform))
            if step is None:  # exact types: a subclass (ShiftScaleRotate is one of Affine) draws otherwise
                raise CannotReplay(f"{type(transform).__name__} cannot be replayed on the device "
                                   f"(only HorizontalFlip, Affine and CoarseDropout, in that order)")
            if step not in still_possible:
                raise CannotReplay(f"{type(transform).__name__} is repeated or out of order "
                                   f"(the device replays HorizontalFlip, Affine, CoarseDropout in that order)")
            still_possible = still_possible[still_possible.index(step) + 1:]
            setattr(self, step, transform)
        if self.affine is not None:
            self._check_affine(self.affine)
        if self.dropout is not None:
            self._check_dropout(self.dropout)

    @staticmethod
    def _check_affine(affine):
        problems = [
            (affine.interpolation != cv2.INTER_LINEAR, "interpolation other than INTER_LINEAR"),
            (affine.border_mode != cv2.BORDER_CONSTANT, "border_mode other than BORDER_CONSTANT"),
            (any(v != 0 for r in affine.shear.values() for v in r), "shear"),
            (affine.fit_output, "fit_output=True"),
            (affine.balanced_scale, "balanced_scale=True"),
            (_rgb(affine.fill) is None, f"fill={affine.fill!r} (a number or an RGB triple is needed)"),
        ]
        for problem, what in problems:
            if problem:
                raise CannotReplay(f"Affine with {what} cannot be replayed on the device")

    @staticmethod
    def _check_dropout(dropout):
        if _rgb(dropout.fill) is None:
            raise CannotReplay(f"CoarseDropout with fill={dropout.fill!r} cannot be replayed on the device "
                               f"(a number or an RGB triple is needed)")

    # ---- Drawing the parameters, as Albumentations 2.0.8 draws them ----------------------------

    def sample(self, n, generator):
        """The parameters of n images, drawn with `generator` (a CPU torch.Generator: the same
        draws on every device). Each step fires with its p; the distributions are Albumentations'."""
        uniform = lambda low, high, *shape: low + (high - low) * torch.rand(shape or (n,), generator=generator,
                                                                            dtype=torch.float64)
        fires = lambda transform: uniform(0, 1) < (transform.p if transform is not None else 0)
        height, width = self.height, self.width
        flip = fires(self.flip)

        matrix = torch.eye(3, dtype=torch.float64).repeat(n, 1, 1)
        if self.affine is not None:
            affine, fired = self.affine, fires(self.affine)
            if affine.translate_percent is not None:  # Albumentations: int(uniform * size), towards zero
                tx = (uniform(*affine.translate_percent["x"]) * width).trunc()
                ty = (uniform(*affine.translate_percent["y"]) * height).trunc()
            else:  # translate_px: randint, both ends included
                tx, ty = (_integers(int(low), int(high) + 1, n, generator)
                          for low, high in (affine.translate_px["x"], affine.translate_px["y"]))
            sx = uniform(*affine.scale["x"])  # x and y scales drawn independently
            sy = sx if affine.keep_ratio else uniform(*affine.scale["y"])
            degrees = uniform(*affine.rotate)
            matrix[fired] = affine_matrix(tx, ty, sx, sy, degrees, height, width)[fired]

        holes = torch.zeros(n, 0, 4, dtype=torch.int64)
        if self.dropout is not None:
            dropout, fired = self.dropout, fires(self.dropout)
            fewest, most = dropout.num_holes_range
            count = _integers(fewest, most + 1, n, generator)
            if dropout.hole_height_range[1] >= 1:  # sizes in pixels, both ends included
                h = _integers(int(dropout.hole_height_range[0]), int(min(dropout.hole_height_range[1], height)) + 1,
                              (n, most), generator)
                w = _integers(int(dropout.hole_width_range[0]), int(min(dropout.hole_width_range[1], width)) + 1,
                              (n, most), generator)
            else:  # fractions of the image
                h = (height * uniform(*dropout.hole_height_range, n, most)).long()
                w = (width * uniform(*dropout.hole_width_range, n, most)).long()
            y = (uniform(0, 1, n, most) * (height - h + 1)).long()  # a corner where the whole hole fits
            x = (uniform(0, 1, n, most) * (width - w + 1)).long()
            holes = torch.stack([x, y, x + w, y + h], dim=-1)
            used = fired[:, None] & (torch.arange(most) < count[:, None])
            holes[~used] = 0
        return Draws(flip, matrix, holes)

    # ---- Applying them to a batch ------------------------------------------------------------

    def prepare(self, draws, device):
        """(theta, holes) on `device` for `apply`: theta (n, 2, 3) is the matrix grid_sample needs,
        computed once for all n images (on the CPU: no per-batch work, no wait for the GPU)."""
        return sampling_theta(draws.flip, draws.matrix, self.height, self.width).to(device), draws.holes.to(device)

    def apply(self, images, theta, holes):
        """uint8 images (B, H, W, 3) → the augmented uint8 images (B, H, W, 3), on their device."""
        x = images.permute(0, 3, 1, 2).float()
        if self.flip is not None or self.affine is not None:
            # grid_sample fills outside the image with zeros: subtracting the fill first and adding
            # it back makes the border the fill colour, blended at the edges as OpenCV blends it.
            fill = per_channel(_rgb(self.affine.fill) if self.affine is not None else (0, 0, 0), x.device)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            x = (x + fill).round_().clamp_(0, 255)  # Albumentations hands on uint8 images
        if self.dropout is not None and holes.shape[1]:
            rows = torch.arange(self.height, device=x.device).view(1, 1, -1, 1)
            cols = torch.arange(self.width, device=x.device).view(1, 1, 1, -1)
            x_min, y_min, x_max, y_max = (corner[..., None, None] for corner in holes.unbind(-1))
            inside = ((rows >= y_min) & (rows < y_max) & (cols >= x_min) & (cols < x_max)).any(1, keepdim=True)
            x = torch.where(inside, per_channel(_rgb(self.dropout.fill), x.device), x)
        return x.to(torch.uint8).permute(0, 2, 3, 1)


def affine_matrix(tx, ty, sx, sy, degrees, height, width):
    """Albumentations' Affine matrix (fgeometric.create_affine_transformation_matrix, no shear) for
    each image: scale, rotate about the image centre, translate; source pixel → output pixel."""
    cx, cy = width / 2 - 0.5, height / 2 - 0.5  # the centre of the middle pixel
    radians = torch.deg2rad(degrees % 360)
    cos, sin = radians.cos(), radians.sin()
    a, b, c, d = sx * cos, sy * sin, -sx * sin, sy * cos  # rotation · scale
    matrix = torch.zeros(len(tx), 3, 3, dtype=torch.float64)
    matrix[:, 0, 0], matrix[:, 0, 1], matrix[:, 1, 0], matrix[:, 1, 1], matrix[:, 2, 2] = a, b, c, d, 1
    matrix[:, 0, 2] = cx + tx - (a * cx + b * cy)  # about the centre: p → RS (p - c) + c + t
    matrix[:, 1, 2] = cy + ty - (c * cx + d * cy)
    return matrix


def sampling_theta(flip, matrix, height, width):
    """What affine_grid needs: for each output position, where to read in the source, in grid
    coordinates (-1 to 1 across the image, align_corners=False). OpenCV's matrix M maps source
    pixels to output pixels, so that is N · inv(M) · inv(N), N taking pixels to grid coordinates.
    A flip comes before the Affine: it mirrors where the source is read (x → -x)."""
    to_grid = torch.tensor([[2 / width, 0, 1 / width - 1], [0, 2 / height, 1 / height - 1], [0, 0, 1]],
                           dtype=torch.float64)
    theta = to_grid @ torch.linalg.inv(matrix) @ torch.linalg.inv(to_grid)
    theta[flip, 0] *= -1
    return theta[:, :2].float()


def _integers(low, high, shape, generator):
    """Uniform integers in [low, high), as numpy's Generator.integers draws them (in distribution)."""
    return torch.randint(low, high, shape if isinstance(shape, tuple) else (shape,), generator=generator)


def _rgb(fill):
    """An Albumentations fill as an (r, g, b) tuple of numbers, or None when it is not one."""
    if isinstance(fill, (int, float)):
        return (float(fill),) * 3
    if isinstance(fill, (tuple, list)) and len(fill) == 3 and all(isinstance(v, (int, float)) for v in fill):
        return tuple(float(v) for v in fill)
    return None

