"""helpers.grad_cam: the heatmaps' shape and range, and that the class asked about matters."""
import numpy as np
import torch

from helpers.grad_cam import grad_cam
from helpers.model import Net


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
