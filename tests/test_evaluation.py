"""helpers.evaluation: the counts on a hand-made example, Grad-CAM's shape and range, checkpoints."""
import math

import numpy as np
import pytest
import torch

from helpers import KitError
from helpers.evaluation import class_accuracy, confusion_matrix, grad_cam, load_trained, misclassified
from helpers.model import Net
from helpers.training import Recipe, save_checkpoint

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


def test_grad_cam_shape_and_range_on_an_untrained_net():
    torch.manual_seed(0)
    model = Net().train()
    images = torch.randn(4, 3, 32, 32)
    heatmaps = grad_cam(model, images, model.c4)
    assert heatmaps.shape == (4, 32, 32)
    assert heatmaps.min() >= 0.0 and heatmaps.max() <= 1.0
    assert np.isclose(heatmaps.reshape(4, -1).max(1), 1.0).any()  # scaled to [0, 1] per image
    # left as found: training mode, no hooks, no gradients on the weights
    assert model.training
    assert not model.c4._forward_hooks
    assert all(p.grad is None for p in model.parameters())


def test_grad_cam_explains_the_class_it_is_given():
    torch.manual_seed(0)
    model = Net().eval()
    images = torch.randn(2, 3, 32, 32)
    for_cats = grad_cam(model, images, model.c4, classes=[3, 3])
    for_trucks = grad_cam(model, images, model.c4, classes=torch.tensor([9, 9]))
    assert for_cats.shape == for_trucks.shape == (2, 32, 32)
    assert not np.allclose(for_cats, for_trucks)


def test_load_trained_round_trip(tmp_path):
    torch.manual_seed(0)
    model = Net(norm="group", widths=(8, 16, 32, 32))
    path = tmp_path / "best.pt"
    save_checkpoint(path, model, epoch=3, history=[{"epoch": 3, "test_acc": 12.5}], recipe=Recipe(epochs=3))
    loaded, state = load_trained(path)
    assert type(loaded) is Net and loaded.config == model.config
    assert not loaded.training
    assert state["epoch"] == 3 and state["recipe"]["epochs"] == 3
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    images = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(loaded(images), model.eval()(images))


def test_load_trained_rebuilds_an_attention_net(tmp_path):
    from helpers.attention import AttentionNet

    model = AttentionNet(residual=False)
    save_checkpoint(tmp_path / "best.pt", model)
    loaded, _ = load_trained(tmp_path / "best.pt")
    assert type(loaded) is AttentionNet and loaded.config == model.config


def test_load_trained_on_a_missing_file_says_to_train_first(tmp_path):
    path = tmp_path / "runs" / "net" / "best.pt"
    with pytest.raises(KitError) as raised:
        load_trained(path)
    message = str(raised.value)
    assert str(path) in message
    assert "04" in message and "helpers.train" in message
