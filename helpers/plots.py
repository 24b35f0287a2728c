"""Plots for the notebooks: image grids, class statistics, training curves, model diagnostics.

Every function draws one matplotlib figure and returns it, so that a notebook shows it and
`save_figure` can write it for the README. Nothing here computes a result: the numbers come from
the other helpers (data, training, evaluation, receptive_field); this module only draws them.

    images      show_images, show_class_samples, show_augmentations, show_misclassified, show_gradcam
    data        plot_channel_histograms, plot_class_counts
    training    plot_history, plot_lr, plot_lr_range_test, plot_accuracy_curves
    evaluation  plot_class_accuracy, plot_confusion_matrix
    model       plot_rf_heatmap
    files       save_figure

Images may be uint8 (N, H, W, 3) or float in [0, 1], as NumPy arrays or CPU tensors.
"""
import copy
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

CELL = 1.3  # inches a small image gets in a grid: 32x32 pixels drawn at about 4x
RIGHT, WRONG = "tab:green", "tab:red"
CHANNELS = (("R", "tab:red"), ("G", "tab:green"), ("B", "tab:blue"))


def _numpy(values):
    """A tensor (on the CPU or a GPU), a list or an array → a NumPy array."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def _displayable(image):
    """uint8 stays as it is; floats are clipped to [0, 1], which is what imshow expects of them."""
    image = _numpy(image)
    return image if image.dtype == np.uint8 else np.clip(image, 0, 1)


def _image_grid(n, ncols, title=None, cell=CELL, title_lines=1):
    """A figure with exactly `n` image axes in rows of `ncols` (no empty axes left over)."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = plt.figure(figsize=(ncols * cell, nrows * (cell + 0.15 * title_lines) + (0.4 if title else 0)),
                     layout="constrained")  # fits titles and row labels without overlaps or gaps
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.02, hspace=0.02)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]
    for ax in axes:  # no ticks, no frame; the axis stays on so that a row label (ylabel) shows
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig, axes


def _verdict_title(ax, predicted, true, classes):
    """'pred: X / true: Y' on two lines, green when right, red when wrong."""
    colour = RIGHT if predicted == true else WRONG
    ax.set_title(f"pred: {classes[predicted]}\ntrue: {classes[true]}", color=colour, fontsize=8)


# ---- Images -----------------------------------------------------------------------------------

def show_images(images, labels, classes, ncols=10, title=None, predictions=None):
    """A grid of images titled with their class, or with prediction and truth (green: right,
    red: wrong) when `predictions` are given."""
    images = _numpy(images)
    labels = None if labels is None else _numpy(labels)
    predictions = None if predictions is None else _numpy(predictions)
    fig, axes = _image_grid(len(images), ncols, title, title_lines=1 if predictions is None else 2)
    for i, ax in enumerate(axes):
        ax.imshow(_displayable(images[i]), interpolation="nearest")
        if predictions is not None:
            _verdict_title(ax, int(predictions[i]), int(labels[i]), classes)
        elif labels is not None:
            ax.set_title(classes[int(labels[i])], fontsize=9)
    return fig


def _row_label(ax, text):
    """A label left of the first image of a row."""
    ax.set_ylabel(text, rotation=0, ha="right", va="center", fontsize=9)


def show_class_samples(split, classes, per_class=8, seed=0, title=None):
    """`per_class` random images of each class, one row a class (`split` is a data.Split)."""
    rng = np.random.default_rng(seed)
    fig, axes = _image_grid(len(classes) * per_class, per_class, title, cell=0.9, title_lines=0)
    for row, name in enumerate(classes):
        of_class = np.flatnonzero(split.labels == row)
        chosen = rng.choice(of_class, size=min(per_class, len(of_class)), replace=False)
        for col, index in enumerate(chosen):
            axes[row * per_class + col].imshow(split.images[index], interpolation="nearest")
        _row_label(axes[row * per_class], name)
    return fig


def always_applied(transform):
    """A copy of an Albumentations transform that always fires (p = 1), also every step inside a
    Compose: the picture must show what a transform does, not how often. The original is unchanged."""
    transform = copy.deepcopy(transform)
    transform.p = 1.0
    for step in getattr(transform, "transforms", []):  # a Compose: make each of its steps fire too
        step.p = 1.0
    return transform


def show_augmentations(images, transforms, title=None, seed=0):
    """The original images in the first row, then one row a transform applied to the same images.

    `transforms` is a dict name → Albumentations transform (or Compose). Each is applied as a copy
    that always fires (`always_applied`: p forced to 1), seeded with `seed`, so the rows are the
    same on every run; in training each transform fires only with its own probability p.
    """
    images = [_numpy(image) for image in images]
    rows = {"original": images}
    for name, transform in transforms.items():
        transform = always_applied(transform)
        transform.set_random_seed(seed)  # Albumentations' own generator: same draws every run
        rows[name] = [transform(image=image)["image"] for image in images]
    ncols = len(images)
    fig, axes = _image_grid(len(rows) * ncols, ncols, title, cell=1.1, title_lines=0)
    for row, (name, row_images) in enumerate(rows.items()):
        for col, image in enumerate(row_images):
            axes[row * ncols + col].imshow(_displayable(image), interpolation="nearest")
        _row_label(axes[row * ncols], name)
    return fig


def show_misclassified(images, predicted, true, classes, n=20, ncols=10, title=None):
    """The first `n` images whose prediction differs from the truth, titled with both."""
    images, predicted, true = _numpy(images), _numpy(predicted), _numpy(true)
    wrong = np.flatnonzero(predicted != true)[:n]
    if len(wrong) == 0:
        fig, ax = plt.subplots(figsize=(4, 1), layout="constrained")
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
        if title:
            ax.set_title(title)
        return fig
    return show_images(images[wrong], true[wrong], classes, ncols, title, predictions=predicted[wrong])


def show_gradcam(images, heatmaps, predicted, true, classes, ncols=5, title=None, alpha=0.5):
    """Each image with its Grad-CAM heatmap over it (jet colours: red is where the evidence for
    the predicted class lies), titled with prediction and truth."""
    images, heatmaps = _numpy(images), _numpy(heatmaps)
    predicted, true = _numpy(predicted), _numpy(true)
    fig, axes = _image_grid(len(images), ncols, title, cell=1.8, title_lines=2)
    for i, ax in enumerate(axes):
        height, width = images[i].shape[:2]
        ax.imshow(_displayable(images[i]), interpolation="nearest")
        # `extent` stretches a heatmap of any resolution (e.g. 8x8) over the whole image.
        ax.imshow(heatmaps[i], cmap="jet", alpha=alpha, vmin=0, vmax=1, interpolation="bilinear",
                  extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        _verdict_title(ax, int(predicted[i]), int(true[i]), classes)
    return fig


# ---- The data ---------------------------------------------------------------------------------

def plot_channel_histograms(images, mean=None, std=None, title=None):
    """How often each pixel value 0..255 occurs, one panel a channel (R, G, B). With `mean` and
    `std` (in [0, 1] units, as data.channel_stats gives them) the mean is drawn as a line and
    mean ± std as a band."""
    images = _numpy(images)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True, layout="constrained")
    for c, (ax, (name, colour)) in enumerate(zip(axes, CHANNELS)):
        counts = np.bincount(images[..., c].ravel(), minlength=256)
        ax.stairs(counts / counts.sum(), np.arange(257), fill=True, color=colour, alpha=0.6)
        ax.set_xlim(0, 255)
        ax.set_xlabel(f"{name} pixel value")
        heading = name
        if mean is not None:
            ax.axvline(mean[c] * 255, color="black", lw=1, label="mean")
            heading += f": mean {mean[c]:.3f}"
            if std is not None:
                ax.axvspan((mean[c] - std[c]) * 255, (mean[c] + std[c]) * 255, color="grey", alpha=0.2,
                           label="mean ± std")
                heading += f", std {std[c]:.3f}"
        ax.set_title(heading, fontsize=10)
    axes[0].set_ylabel("share of pixels")
    if mean is not None:
        axes[-1].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def _bar_chart(values, ylabel, title, fmt):
    names = list(values)
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(names)), 3.5), layout="constrained")
    bars = ax.bar(names, [values[name] for name in names], color="tab:blue")
    ax.bar_label(bars, fmt=fmt, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=45)
    ax.margins(y=0.12)  # room for the numbers above the bars
    if title:
        ax.set_title(title)
    return fig, ax


def plot_class_counts(counts, title=None):
    """A bar a class: how many images it has (`counts` is {class: count}, e.g. data.class_counts)."""
    fig, _ = _bar_chart(counts, "images", title, "%d")
    return fig


# ---- Training ---------------------------------------------------------------------------------

def plot_history(history, title=None):
    """Loss and accuracy per epoch, train vs test (`history` as training.fit returns it).
    Train accuracy is measured on augmented images while the weights still change, test accuracy
    on clean images after the epoch: a test curve above the train curve is normal early on. With a
    weight average, "test" is the average's and a dotted line shows the training weights'."""
    epochs = [h["epoch"] for h in history]
    marker = "o" if len(epochs) <= 30 else None
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    averaged = all("training_weights_test_acc" in h for h in history)
    for split, style in (("train", "--"), ("test", "-")):
        label = "test (weight average)" if split == "test" and averaged else split
        loss_ax.plot(epochs, [h[f"{split}_loss"] for h in history], style, marker=marker, label=label)
        acc_ax.plot(epochs, [h[f"{split}_acc"] for h in history], style, marker=marker, label=label)
    if averaged:
        acc_ax.plot(epochs, [h["training_weights_test_acc"] for h in history], ":", marker=marker,
                    label="test (training weights)")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_lr(history, title=None):
    """The learning rate of every optimiser step of the run (each epoch's "lrs"), against epochs."""
    xs, lrs = [], []
    for h in history:  # step i of epoch e is drawn at e - 1 + i / steps: the x axis counts epochs
        steps = len(h["lrs"])
        xs += [h["epoch"] - 1 + i / steps for i in range(steps)]
        lrs += h["lrs"]
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.plot(xs, lrs)
    ax.set(xlabel="epoch", ylabel="learning rate", title=title or "learning rate per step")
    ax.grid(alpha=0.3)
    return fig


def plot_lr_range_test(lrs, losses, suggested=None, title=None):
    """The smoothed loss against a learning rate that grows exponentially (log x axis), with the
    suggested max LR as a vertical line."""
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    if suggested is not None:
        ax.axvline(suggested, color="tab:red", ls="--", label=f"suggested max LR {suggested:.3g}")
        ax.legend()
    ax.set(xlabel="learning rate (log scale)", ylabel="smoothed training loss", title=title or "LR range test")
    ax.grid(alpha=0.3, which="both")
    return fig


def plot_accuracy_curves(curves, title=None):
    """Test accuracy per epoch, one line a run (`curves` is {label: history}), to compare runs
    such as BatchNorm vs GroupNorm vs LayerNorm."""
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    for label, history in curves.items():
        epochs = [h["epoch"] for h in history]
        ax.plot(epochs, [h["test_acc"] for h in history], marker="o" if len(epochs) <= 30 else None,
                label=f"{label} (best {max(h['test_acc'] for h in history):.1f}%)")
    ax.set(xlabel="epoch", ylabel="test accuracy (%)", title=title or "test accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


# ---- Evaluation -------------------------------------------------------------------------------

def plot_class_accuracy(accuracies, title=None):
    """A bar a class: its test accuracy in % (`accuracies` is {class: %}, e.g. evaluation.class_accuracy)."""
    fig, ax = _bar_chart(accuracies, "accuracy (%)", title, "%.1f")
    ax.set_ylim(0, 105)
    return fig


def plot_confusion_matrix(matrix, classes, title=None):
    """matrix[true, predicted] as a coloured grid with the count in each cell: the diagonal is
    what was right, a bright cell off it is a pair of classes the model confuses."""
    matrix = _numpy(matrix)
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    ax.imshow(matrix, cmap="Blues")
    threshold = matrix.max() / 2  # white numbers on dark cells, black on light ones
    for (t, p), count in np.ndenumerate(matrix):
        ax.text(p, t, f"{count:g}", ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "black")
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set(xlabel="predicted", ylabel="true", title=title or "confusion matrix")
    return fig


# ---- The model --------------------------------------------------------------------------------

def plot_rf_heatmap(heatmap, computed_rf, measured_rf, title=None):
    """The measured receptive field beside the computed one.

    `heatmap` is |d centre output / d input pixel| (receptive_field.measured_receptive_field),
    drawn on a log colour scale so that the faint edge of the field shows; pixels with no
    influence at all stay white. The solid square has the computed RF as its side, centred on the
    measured region; the dashed one outlines the pixels that do have a gradient (the measured RF).
    """
    heatmap = _numpy(heatmap).astype(np.float64)
    rows, cols = np.nonzero(heatmap)
    centre_row, centre_col = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
    fig, ax = plt.subplots(figsize=(6.5, 6), layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")  # zeros are masked by LogNorm
    shown = ax.imshow(np.ma.masked_equal(heatmap, 0), cmap=cmap,
                      norm=LogNorm(vmin=heatmap[heatmap > 0].min(), vmax=heatmap.max()))
    fig.colorbar(shown, ax=ax, label="|gradient| (log scale)")
    # A pixel spans [i - 0.5, i + 0.5]: a square of side s around the centre c starts at c - s/2.
    ax.add_patch(Rectangle((centre_col - computed_rf / 2, centre_row - computed_rf / 2), computed_rf, computed_rf,
                           fill=False, color="tab:red", lw=2, label=f"computed RF: {computed_rf} px"))
    ax.add_patch(Rectangle((cols.min() - 0.5, rows.min() - 0.5), cols.max() - cols.min() + 1,
                           rows.max() - rows.min() + 1, fill=False, color="black", lw=1.5, ls="--",
                           label=f"measured RF: {measured_rf} px"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize=9)  # below: no pixel hidden
    ax.set(xlabel="input x (pixels)", ylabel="input y (pixels)")
    fig.suptitle(title or "which input pixels reach the centre output", fontsize=11)
    return fig


# ---- Files ------------------------------------------------------------------------------------

def save_figure(fig, name, folder):
    """Write `fig` as folder/name.png (100 dpi, cropped to its content) and return that path."""
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path
