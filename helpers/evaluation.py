"""Evaluating a trained model: which one to evaluate, and what it gets right and wrong.

    load_trained      a checkpoint → the model it was saved from, weights loaded, in eval mode
    class_accuracy    accuracy per class: the average hides which classes are hard
    confusion_matrix  counts[true, predicted]: which classes are taken for which
    misclassified     the indices of the images the model got wrong

Where the model looked: grad_cam.py.

Predictions and labels may be torch tensors (on any device) or NumPy arrays.
"""
import numpy as np
import torch

from helpers.machinery.checkpoints import load_trained  # noqa: F401  (notebook 05 loads its model from here)


def as_numpy(values):
    """A tensor on any device, a list or an array → a NumPy array (the plots and galleries use it too)."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def class_accuracy(predictions, labels, classes):
    """{class name: accuracy % on the images of that class} (NaN for a class with no images)."""
    predictions, labels = as_numpy(predictions), as_numpy(labels)
    accuracies = {}
    for index, name in enumerate(classes):
        of_class = labels == index
        accuracies[name] = 100 * float((predictions[of_class] == index).mean()) if of_class.any() else float("nan")
    return accuracies


def confusion_matrix(predictions, labels, num_classes=10):
    """matrix[t, p] = how many images of true class t were predicted as class p. The diagonal holds
    the correct predictions; row t sums to the number of images of class t."""
    predictions, labels = as_numpy(predictions).astype(np.int64), as_numpy(labels).astype(np.int64)
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)  # add.at counts repeated (t, p) pairs; matrix[...] += 1 would not
    return matrix


def misclassified(predictions, labels):
    """Indices (into the evaluated split) of the images whose prediction is wrong, in order."""
    return np.flatnonzero(as_numpy(predictions) != as_numpy(labels))
