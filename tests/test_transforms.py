import warnings

import numpy as np
import pytest
import torch

from helpers.recipe import Recipe
from helpers.transforms import mean_pixel, normalize, train_transforms

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.247, 0.2435, 0.2616)
ALL_OPTIONS = dict(coarse_dropout=True, pad_crop=True, to_gray=True, color_jitter=True)


def test_every_option_builds_without_deprecation_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a renamed Albumentations argument warns: fail on it
        transform = train_transforms(MEAN, Recipe(**ALL_OPTIONS))
        transform(image=np.zeros((32, 32, 3), np.uint8))
    names = [type(t).__name__ for t in transform.transforms]
    assert names == ["PadIfNeeded", "RandomCrop", "HorizontalFlip", "Affine", "CoarseDropout", "ToGray", "ColorJitter"]


@pytest.mark.parametrize("options", [{}, ALL_OPTIONS])
def test_train_transforms_keep_shape_and_dtype(options):
    transform = train_transforms(MEAN, Recipe(**options))
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for seed in range(20):
        transform.set_random_seed(seed)
        out = transform(image=image)["image"]
        assert out.shape == (32, 32, 3) and out.dtype == np.uint8


def test_coarse_dropout_cuts_one_16x16_hole_filled_with_the_mean():
    transform = train_transforms(MEAN, Recipe(flip=False, shift_scale_rotate=False, coarse_dropout=True))
    image = np.zeros((32, 32, 3), np.uint8)  # black, so the hole stands out
    fill = np.array(mean_pixel(MEAN))
    holes = 0
    for seed in range(20):
        transform.set_random_seed(seed)
        out = transform(image=image)["image"]
        filled = np.all(out == fill, axis=-1)
        if filled.any():
            holes += 1
            rows, cols = np.flatnonzero(filled.any(1)), np.flatnonzero(filled.any(0))
            assert filled.sum() == 256 and len(rows) == 16 and len(cols) == 16  # one 16x16 square
            assert np.all(out[~filled] == 0)  # nothing else touched
    assert 3 <= holes <= 17  # p = 0.5: about half of 20 images get a hole


def test_a_mean_pixel_normalises_to_zero():
    batch = torch.tensor(mean_pixel(MEAN), dtype=torch.uint8).expand(2, 32, 32, 3)
    x = normalize(batch, MEAN, STD, "cpu")
    assert x.shape == (2, 3, 32, 32) and x.dtype == torch.float32
    assert x.abs().max() < 0.01  # rounding the mean to a whole pixel value costs < 0.5/255/std
    white = normalize(torch.full((1, 32, 32, 3), 255, dtype=torch.uint8), MEAN, STD, "cpu")
    assert torch.allclose(white[0, :, 0, 0], (1 - torch.tensor(MEAN)) / torch.tensor(STD))


def test_the_default_augmentation_is_the_default_recipes():
    """One default: train_transforms without a recipe builds what Recipe() asks for."""
    names = [type(t).__name__ for t in train_transforms(MEAN).transforms]
    expected = {"flip": "HorizontalFlip", "shift_scale_rotate": "Affine", "coarse_dropout": "CoarseDropout"}
    assert names == [step for name, step in expected.items() if getattr(Recipe(), name)]
