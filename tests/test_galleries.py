"""Every gallery draws a figure from small synthetic inputs (no data set, no training)."""
import matplotlib

matplotlib.use("Agg")  # no display: draw into memory

import albumentations as A
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers import galleries, plots
from helpers.data import CLASSES, Split
from helpers.recipe import Recipe
from helpers.transforms import train_transforms

rng = np.random.default_rng(0)
IMAGES = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
LABELS = np.array([0, 1, 2, 3, 4, 5])
PREDICTED = np.array([0, 1, 9, 3, 8, 5])  # two wrong


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_show_images_uint8_and_float():
    fig = galleries.show_images(IMAGES, LABELS, CLASSES, ncols=4, title="six")
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert fig.axes[0].get_title() == "airplane"
    fig = galleries.show_images(torch.rand(3, 32, 32, 3), LABELS[:3], CLASSES)
    assert len(fig.axes) == 3


def test_show_images_with_predictions_colours_right_and_wrong():
    fig = galleries.show_images(IMAGES, LABELS, CLASSES, predictions=PREDICTED)
    titles = [ax.title for ax in fig.axes]
    assert titles[2].get_text() == "pred: truck\ntrue: bird"
    assert titles[0].get_color() == plots.RIGHT and titles[2].get_color() == plots.WRONG


def test_show_class_samples_one_row_a_class():
    labels = np.repeat(np.arange(10), 3)
    split = Split(rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8), labels)
    fig = galleries.show_class_samples(split, CLASSES, per_class=3)
    assert len(fig.axes) == 30 and len(image_axes(fig)) == 30


def test_show_augmentations_rows_and_original_untouched():
    steps = train_transforms((0.5, 0.5, 0.5), Recipe(pad_crop=True, coarse_dropout=True)).transforms
    flip = steps[2]
    transforms = {"flip": flip, "pad + crop": A.Compose([steps[0], steps[1]])}
    fig = galleries.show_augmentations(IMAGES[:4], transforms)
    assert len(fig.axes) == 3 * 4
    assert flip.p == 0.5  # always_applied works on a copy
    flipped = fig.axes[4].images[0].get_array()
    assert np.array_equal(np.asarray(flipped), IMAGES[0][:, ::-1])  # p = 1: the flip did happen


def test_show_misclassified_keeps_only_the_wrong_ones():
    fig = galleries.show_misclassified(IMAGES, PREDICTED, LABELS, CLASSES)
    assert len(fig.axes) == 2
    assert len(galleries.show_misclassified(IMAGES, LABELS, LABELS, CLASSES).axes) == 1  # "none" message


def test_show_gradcam_overlays_a_heatmap():
    heatmaps = rng.random((4, 8, 8))
    fig = galleries.show_gradcam(IMAGES[:4], heatmaps, PREDICTED[:4], LABELS[:4], CLASSES, ncols=2)
    assert len(fig.axes) == 4 and all(len(ax.images) == 2 for ax in fig.axes)


def test_show_gradcam_stages_one_row_a_layer():
    heatmaps = {name: np.random.default_rng(0).random((3, 32, 32)) for name in ("C1", "C2", "C4")}
    fig = galleries.show_gradcam_stages(IMAGES[:3], heatmaps)
    assert len(fig.axes) == 4 * 3 and fig.axes[3].get_ylabel() == "C1"
    assert all(len(ax.images) == 2 for ax in fig.axes[3:])  # image and heatmap over it
