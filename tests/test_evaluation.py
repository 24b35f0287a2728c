"""helpers.evaluation: the counts on a hand-made example."""
import math

import numpy as np
import pytest
import torch

from helpers.evaluation import class_accuracy, confusion_matrix, misclassified

# Three classes, six images:   true      0  0  0  1  1  2
#                              predicted 0  1  0  1  2  2
LABELS = [0, 0, 0, 1, 1, 2]
PREDICTIONS = [0, 1, 0, 1, 2, 2]
CLASSES = ("cat", "dog", "frog")


def test_class_accuracy_by_hand():
    accuracies = class_accuracy(torch.tensor(PREDICTIONS), torch.tensor(LABELS), CLASSES)
    # cat: 2 of 3 right; dog: 1 of 2; frog: 1 of 1.
    assert accuracies == pytest.approx({"cat": 200 / 3, "dog": 50.0, "frog": 100.0})


def test_class_accuracy_of_a_class_without_images_is_nan():
    accuracies = class_accuracy(np.array([0, 1]), np.array([0, 1]), ("cat", "dog", "frog"))
    assert accuracies["cat"] == 100.0 and math.isnan(accuracies["frog"])


def test_confusion_matrix_by_hand():
    matrix = confusion_matrix(PREDICTIONS, LABELS, num_classes=3)
    # rows: true class, columns: predicted class
    expected = np.array([[2, 1, 0],
                         [0, 1, 1],
                         [0, 0, 1]])
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(LABELS) and np.trace(matrix) == 4  # 4 of 6 right


def test_confusion_matrix_counts_repeated_pairs():
    matrix = confusion_matrix(np.array([1, 1, 1]), np.array([0, 0, 0]), num_classes=2)
    assert matrix[0, 1] == 3


def test_misclassified_by_hand():
    np.testing.assert_array_equal(misclassified(torch.tensor(PREDICTIONS), torch.tensor(LABELS)), [1, 4])
