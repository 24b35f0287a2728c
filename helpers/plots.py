"""Charts for the notebooks: class statistics, training curves, model diagnostics.

Every function draws one matplotlib figure and returns it, so that a notebook shows it and
`save_figure` can write it for the README. Nothing here computes a result: the numbers come from
the other helpers; this module only draws them. Grids of images: galleries.py.

    data        plot_channel_histograms, plot_class_counts
    training    plot_history, plot_lr, plot_lr_range_test, plot_accuracy_curves
    evaluation  plot_class_accuracy, plot_confusion_matrix
    model       plot_rf_heatmap
    files       save_figure
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from helpers.evaluation import as_numpy

RIGHT, WRONG = "tab:green", "tab:red"
CHANNELS = (("R", "tab:red"), ("G", "tab:green"), ("B", "tab:blue"))


# ---- The data ---------------------------------------------------------------------------------

def plot_channel_histograms(images, mean=None, std=None, title=None):
    """How often each pixel value 0..255 occurs, one panel a channel (R, G, B). With `mean` and
    `std` (in [0, 1] units, as data.channel_stats gives them) the mean is drawn as a line and
    mean ± std as a band."""
    images = as_numpy(images)
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

def plot_history(history, title=None, reference=None, reference_label="reference run"):
    """Loss and accuracy per epoch, train vs test (`history` as training.fit returns it). With a
    weight average, "test" is the average's and a dotted line shows the training weights'.
    `reference`: another history (the kit's full run), drawn in grey underneath, to compare with."""
    epochs = [h["epoch"] for h in history]
    marker = "o" if len(epochs) <= 30 else None
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    if reference:
        ref_epochs = [h["epoch"] for h in reference]
        for split, style in (("train", "--"), ("test", "-")):
            for ax, key in ((loss_ax, f"{split}_loss"), (acc_ax, f"{split}_acc")):
                ax.plot(ref_epochs, [h[key] for h in reference], style, color="0.7", lw=1.5, zorder=0,
                        label=f"{split}, {reference_label}")
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
    # One legend for both panels, below them: inside an axes it would hide the first epochs, where the curves start.
    handles, labels = acc_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3), fontsize="small", frameon=False)
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

def plot_class_accuracy(accuracies, title=None, reference=None, reference_label="reference run"):
    """A bar a class: its test accuracy in % (`accuracies` is {class: %}, e.g. evaluation.class_accuracy).
    `reference` ({class: %}, the kit's full run) is drawn as a black mark on each bar, to compare with."""
    fig, ax = _bar_chart(accuracies, "accuracy (%)", title, "%.1f")
    if reference:
        names = list(accuracies)
        ax.scatter(names, [reference[name] for name in names], marker="_", s=600, color="black", zorder=3,
                   label=reference_label)
        ax.legend(loc="lower right", fontsize=8)
    ax.set_ylim(0, 105)
    return fig


def plot_confusion_matrix(matrix, classes, title=None):
    """matrix[true, predicted] as a grid with the count in each cell. Only the mistakes are
    coloured, on a scale of their own (0 to the largest confusion): on one scale with the diagonal
    (hundreds of right answers a class) every confusion would look near-white. The diagonal, what
    was right, is grey with its count in bold."""
    matrix = as_numpy(matrix)
    diagonal = np.eye(*matrix.shape, dtype=bool)
    mistakes = np.ma.masked_where(diagonal, matrix)
    largest = max(float(mistakes.max() or 0), 1.0)
    fig, ax = plt.subplots(figsize=(7.5, 6), layout="constrained")
    cmap = plt.get_cmap("Reds").with_extremes(bad="0.85")  # the masked diagonal: light grey
    shown = ax.imshow(mistakes, cmap=cmap, vmin=0, vmax=largest)
    fig.colorbar(shown, ax=ax, shrink=0.8, label="images (off the diagonal: the mistakes)")
    for (t, p), count in np.ndenumerate(matrix):
        on_diagonal = t == p
        ax.text(p, t, f"{count:g}", ha="center", va="center", fontsize=8,
                fontweight="bold" if on_diagonal else "normal",
                color="white" if not on_diagonal and count > largest / 2 else "black")
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
    heatmap = as_numpy(heatmap).astype(np.float64)
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


def plot_dilated_taps(dilations=(1, 2, 4), kernel=3, title=None):
    """A kernel's taps on the pixel grid at each dilation: the same 9 weights, spread d pixels
    apart, spanning k_eff = d (k - 1) + 1 pixels."""
    span = max(dilations) * (kernel - 1) + 1
    fig, axes = plt.subplots(1, len(dilations), figsize=(3.2 * len(dilations), 3.4), layout="constrained")
    for ax, d in zip(np.atleast_1d(axes), dilations):
        grid = np.zeros((span, span))
        offset = (span - (d * (kernel - 1) + 1)) // 2
        for i in range(kernel):
            for j in range(kernel):
                grid[offset + i * d, offset + j * d] = 1
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=1.3)
        ax.set_xticks(np.arange(-0.5, span, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, span, 1), minor=True)
        ax.grid(which="minor", color="0.8", lw=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(f"dilation {d}: spans {d * (kernel - 1) + 1} x {d * (kernel - 1) + 1}")
    fig.suptitle(title or f"a {kernel}x{kernel} kernel's {kernel * kernel} taps on the pixel grid", fontsize=11)
    return fig
