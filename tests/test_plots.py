"""Every plot function draws a figure from small synthetic inputs (no data set, no training)."""
import matplotlib

matplotlib.use("Agg")  # no display: draw into memory

import albumentations as A
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers import plots
from helpers.data import CLASSES, Split
from helpers.transforms import train_transforms

rng = np.random.default_rng(0)
IMAGES = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
LABELS = np.array([0, 1, 2, 3, 4, 5])
PREDICTED = np.array([0, 1, 9, 3, 8, 5])  # two wrong
HISTORY = [{"epoch": e, "train_loss": 2.0 / e, "train_acc": 30.0 + 10 * e, "test_loss": 1.8 / e,
            "test_acc": 35.0 + 10 * e, "lrs": list(np.linspace(0.01 * e, 0.02 * e, 5))} for e in (1, 2, 3)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_show_images_uint8_and_float():
    fig = plots.show_images(IMAGES, LABELS, CLASSES, ncols=4, title="six")
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert fig.axes[0].get_title() == "airplane"
    fig = plots.show_images(torch.rand(3, 32, 32, 3), LABELS[:3], CLASSES)
    assert len(fig.axes) == 3


def test_show_images_with_predictions_colours_right_and_wrong():
    fig = plots.show_images(IMAGES, LABELS, CLASSES, predictions=PREDICTED)
    titles = [ax.title for ax in fig.axes]
    assert titles[2].get_text() == "pred: truck\ntrue: bird"
    assert titles[0].get_color() == plots.RIGHT and titles[2].get_color() == plots.WRONG


def test_show_class_samples_one_row_a_class():
    labels = np.repeat(np.arange(10), 3)
    split = Split(rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8), labels)
    fig = plots.show_class_samples(split, CLASSES, per_class=3)
    assert len(fig.axes) == 30 and len(image_axes(fig)) == 30


def test_show_augmentations_rows_and_original_untouched():
    steps = train_transforms((0.5, 0.5, 0.5), pad_crop=True).transforms
    flip = steps[2]
    transforms = {"flip": flip, "pad + crop": A.Compose([steps[0], steps[1]])}
    fig = plots.show_augmentations(IMAGES[:4], transforms)
    assert len(fig.axes) == 3 * 4
    assert flip.p == 0.5  # always_applied works on a copy
    flipped = fig.axes[4].images[0].get_array()
    assert np.array_equal(np.asarray(flipped), IMAGES[0][:, ::-1])  # p = 1: the flip did happen


def test_plot_channel_histograms():
    fig = plots.plot_channel_histograms(IMAGES, mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2), title="h")
    assert len(fig.axes) == 3
    assert len(plots.plot_channel_histograms(IMAGES).axes) == 3


def test_bar_charts():
    counts = {name: i + 1 for i, name in enumerate(CLASSES)}
    assert len(plots.plot_class_counts(counts, title="counts").axes[0].patches) == 10
    assert len(plots.plot_class_accuracy({name: 50.0 for name in CLASSES}).axes[0].patches) == 10


def test_training_curves():
    assert len(plots.plot_history(HISTORY, title="run").axes) == 2
    fig = plots.plot_lr(HISTORY)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines[0].get_xdata()) == 15
    lrs = list(np.geomspace(1e-4, 1, 20))
    fig = plots.plot_lr_range_test(lrs, list(np.linspace(2, 1, 20)), suggested=0.01)
    assert len(fig.axes) == 1 and fig.axes[0].get_xscale() == "log"
    fig = plots.plot_accuracy_curves({"BatchNorm": HISTORY, "GroupNorm": HISTORY, "LayerNorm": HISTORY})
    assert len(fig.axes[0].lines) == 3


def test_confusion_matrix_has_a_number_a_cell():
    matrix = rng.integers(0, 20, (10, 10))
    fig = plots.plot_confusion_matrix(matrix, CLASSES)
    assert len(fig.axes) == 1 and len(fig.axes[0].texts) == 100


def test_show_misclassified_keeps_only_the_wrong_ones():
    fig = plots.show_misclassified(IMAGES, PREDICTED, LABELS, CLASSES)
    assert len(fig.axes) == 2
    assert len(plots.show_misclassified(IMAGES, LABELS, LABELS, CLASSES).axes) == 1  # "none" message


def test_show_gradcam_overlays_a_heatmap():
    heatmaps = rng.random((4, 8, 8))
    fig = plots.show_gradcam(IMAGES[:4], heatmaps, PREDICTED[:4], LABELS[:4], CLASSES, ncols=2)
    assert len(fig.axes) == 4 and all(len(ax.images) == 2 for ax in fig.axes)


def test_plot_rf_heatmap():
    heatmap = np.zeros((40, 40))
    heatmap[10:29, 12:31] = rng.random((19, 19)) + 0.01
    fig = plots.plot_rf_heatmap(torch.from_numpy(heatmap), computed_rf=19, measured_rf=19)
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    assert len(fig.axes[0].patches) == 2


def test_save_figure(tmp_path):
    fig = plots.plot_class_counts({"a": 1, "b": 2})
    path = plots.save_figure(fig, "counts", tmp_path / "figures")
    assert path == tmp_path / "figures" / "counts.png" and path.stat().st_size > 0
