"""The course kit's helpers: what the lessons import, one idea a module, each short enough to read.

    data              CIFAR-10 as uint8 arrays in memory, subsets, mean/std
    transforms        the Albumentations pipelines (what the student edits) and the normalisation
    model             the flagship `Net` and its building blocks
    attention         a small self-attention network (optional notebook)
    receptive_field   the receptive-field recurrence, computed from any model, and measured with gradients
    rf_calculator     notebook 02's editable layer list
    convolutions      what normal, depthwise separable and dilated convolutions cost, counted and timed
    assignment        the course's assignment, checked rule by rule on any network
    recipe            the training recipe: optimiser, OneCycleLR, weight decay, L1
    training          the training step, the epoch, predictions, and the whole run (`fit`)
    weight_average    the exponential moving average of the weights that is evaluated
    lr_range_test     Leslie Smith's LR range test
    evaluation        class-wise accuracy, confusion matrix, misclassified images
    grad_cam          where in an image the evidence for a class lies
    plots, galleries  charts, and grids of images

Behind them, and not needed to follow the course:
    machinery/        device and precision, the loader, checkpoints, the model registry, the shipped
                      weights, the notebooks' setup cell
    train/            `python -m helpers.train`: the whole run from the command line
"""
import os
from pathlib import Path

# Albumentations asks the internet for a newer version at import; the kit must work offline.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
# torch's CPU threads (GNU OpenMP) spin for milliseconds after every operation unless told to
# sleep; on a 2-core machine (Colab) that spinning takes the cores the loader's workers need.
# It must be set before torch is imported: the notebooks' setup cell imports helpers first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class KitError(Exception):
    """A problem the user can fix. The message says what went wrong and what to do."""


def shown_path(path):
    """`path` as the kit's messages show it: relative to the current folder when inside it
    (runs/net), or inside the kit (../runs/net, from a notebook in notebooks/), else as it is
    (/content/drive/MyDrive/cifar10-kit/runs/net): never the absolute path of the machine that ran it."""
    path, here = Path(os.path.abspath(path)), os.getcwd()
    for base in (here, KIT_FOLDER):
        try:
            path.relative_to(base)
        except ValueError:
            continue
        return os.path.relpath(path, here)
    return str(path)


KIT_FOLDER = Path(__file__).resolve().parents[1]
