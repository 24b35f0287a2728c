"""Every plot function draws a figure from small synthetic inputs (no data set, no training)."""
import matplotlib

matplotlib.use("Agg")  # no display: draw into memory

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import plots
from helpers.data import CLASSES

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
    assert len(fig.axes[0].texts) == 100  # (the second axes is the colour bar)


def test_the_confusion_matrix_colours_the_mistakes_on_their_own_scale():
    """A diagonal of hundreds would leave confusions of 100 near-white: the diagonal is masked, the
    colour scale ends at the largest confusion."""
    matrix = np.full((10, 10), 3)
    np.fill_diagonal(matrix, 900)
    matrix[5, 3] = 102
    image = plots.plot_confusion_matrix(matrix, CLASSES).axes[0].images[0]
    assert image.get_clim() == (0, 102)
    assert image.get_array().mask[np.eye(10, dtype=bool)].all() and not image.get_array().mask[5, 3]


def test_the_curves_legend_sits_outside_the_axes():
    """Inside an axes the legend hid the student's first epochs: one legend for the figure, below."""
    fig = plots.plot_history(HISTORY, reference=HISTORY[:2])
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 4


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


def test_the_reference_run_is_drawn_beside_the_students():
    fig = plots.plot_history(HISTORY, reference=HISTORY[:2])
    assert len(fig.axes[0].lines) == 4  # the reference's train and test loss, then the run's
    fig = plots.plot_class_accuracy({name: 50.0 for name in CLASSES}, reference={name: 60.0 for name in CLASSES})
    assert fig.axes[0].collections and fig.axes[0].get_legend() is not None


def test_dilated_taps_show_nine_taps_at_each_dilation():
    fig = plots.plot_dilated_taps((1, 2, 4))
    assert len(fig.axes) == 3
    assert all((ax.images[0].get_array() == 1).sum() == 9 for ax in fig.axes)
    assert fig.axes[2].get_title() == "dilation 4: spans 9 x 9"
