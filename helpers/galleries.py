"""Grids of images for the notebooks: samples, augmentations, misclassified images, Grad-CAM.

Each function draws one matplotlib figure and returns it (plots.save_figure writes it). Images
may be uint8 (N, H, W, 3) or float in [0, 1], as NumPy arrays or tensors on any device.
"""
import copy
import math

import matplotlib.pyplot as plt
import numpy as np

from helpers.plots import RIGHT, WRONG, as_numpy

CELL = 1.3  # inches a small image gets in a grid: 32x32 pixels drawn at about 4x


def _displayable(image):
    """uint8 stays as it is; floats are clipped to [0, 1], which is what imshow expects of them."""
    image = as_numpy(image)
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
    images = as_numpy(images)
    labels = None if labels is None else as_numpy(labels)
    predictions = None if predictions is None else as_numpy(predictions)
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
    images = [as_numpy(image) for image in images]
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
    images, predicted, true = as_numpy(images), as_numpy(predicted), as_numpy(true)
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
    images, heatmaps = as_numpy(images), as_numpy(heatmaps)
    predicted, true = as_numpy(predicted), as_numpy(true)
    fig, axes = _image_grid(len(images), ncols, title, cell=1.8, title_lines=2)
    for i, ax in enumerate(axes):
        height, width = images[i].shape[:2]
        ax.imshow(_displayable(images[i]), interpolation="nearest")
        # `extent` stretches a heatmap of any resolution (e.g. 8x8) over the whole image.
        ax.imshow(heatmaps[i], cmap="jet", alpha=alpha, vmin=0, vmax=1, interpolation="bilinear",
                  extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        _verdict_title(ax, int(predicted[i]), int(true[i]), classes)
    return fig


def show_gradcam_stages(images, heatmaps, title=None, alpha=0.5):
    """One column an image, one row a layer: the original, then its Grad-CAM heatmap at each layer
    (`heatmaps` is {layer name: (N, H, W) array}), to see how the evidence sharpens or spreads."""
    images = [as_numpy(image) for image in images]
    rows = ["image", *heatmaps]
    ncols = len(images)
    fig, axes = _image_grid(len(rows) * ncols, ncols, title, cell=1.3, title_lines=0)
    for row, name in enumerate(rows):
        for col, image in enumerate(images):
            ax = axes[row * ncols + col]
            ax.imshow(_displayable(image), interpolation="nearest")
            if name != "image":
                height, width = image.shape[:2]
                ax.imshow(as_numpy(heatmaps[name][col]), cmap="jet", alpha=alpha, vmin=0, vmax=1,
                          interpolation="bilinear", extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        _row_label(axes[row * ncols], name)
    return fig
