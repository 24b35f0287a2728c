"""The course kit's helpers: one concept a module, imported by the notebooks.

    data              CIFAR-10 as uint8 arrays in memory, subsets, mean/std, batch loaders
    transforms        the Albumentations pipelines and the on-device normalisation
    model             the flagship `Net` and its building blocks
    attention         a small self-attention network (one write-up's model)
    receptive_field   the receptive-field table, computed from any model
    training          train/test loops, optimiser, OneCycleLR, checkpoints, LR range test
    evaluation        predictions, class-wise accuracy, confusion matrix, Grad-CAM
    plots             curves, image grids, galleries
    train             `python -m helpers.train`: the whole run from the command line
    bench             `python -m helpers.bench`: input pipeline and training-step speed
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
