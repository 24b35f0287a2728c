"""The course kit's helpers: one concept a module, imported by the notebooks.

    data              CIFAR-10 as uint8 arrays in memory, subsets, mean/std
    transforms        the Albumentations pipelines and the on-device normalisation
    loader            batches, augmented and normalised, on the device
    model             the flagship `Net` and its building blocks
    attention         a small self-attention network (one write-up's model)
    registry          the models by name (a student's from a file), rebuilt from a checkpoint
    assignment        the course's assignment, checked rule by rule on any network
    receptive_field   the receptive-field table, computed from any model, and measured
    rf_calculator     notebook 02's editable layer list
    recipe            the training recipe: optimiser, OneCycleLR, weight decay, L1
    device            device, precision, memory layout, seed
    weight_average    the exponential moving average of the weights that is evaluated
    whitening         a frozen first layer of patch-whitening filters from the data
    loops             the training step, the epoch, predictions, and the whole run (`fit`)
    checkpoints       checkpoints and metrics.json, written atomically; trained models loaded back
    lr_range_test     Leslie Smith's LR range test
    evaluation        class-wise accuracy, confusion matrix, misclassified images
    grad_cam          where in an image the evidence for a class lies
    reference         the shipped weights (trained/) and their run's metrics: the expected results
    plots, galleries  charts, and grids of images
    notebook          the notebooks' setup cell
    train             `python -m helpers.train`: the whole run from the command line
    bench             `python -m helpers.bench`: input pipeline and training-step speed (benchmark/)
"""
import os

# Albumentations asks the internet for a newer version at import; the kit must work offline.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
# torch's CPU threads (GNU OpenMP) spin for milliseconds after every operation unless told to
# sleep; on a 2-core machine (Colab) that spinning takes the cores the loader's workers need.
# It must be set before torch is imported: the notebooks' setup cell imports helpers first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class KitError(Exception):
    """A problem the user can fix. The message says what went wrong and what to do."""
