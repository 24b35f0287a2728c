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


def test_the_hook_keeps_the_layers_output_and_is_removed_even_after_an_error():
    from helpers.grad_cam import ActivationHook

    torch.manual_seed(0)
    model = Net().eval()
    with ActivationHook(model.c4) as hook:
        model(torch.randn(2, 3, 32, 32))
    assert hook.activations.shape == (2, 128, 8, 8) and hook.activations.grad_fn is not None
    assert not model.c4._forward_hooks
    try:
        with ActivationHook(model.c4):
            model(torch.randn(2, 3, 31))  # a wrong shape: the forward pass fails
    except RuntimeError:
        pass
    assert not model.c4._forward_hooks


def test_class_activation_map_is_the_formula_written_out():
    from helpers.grad_cam import class_activation_map

    torch.manual_seed(0)
    model = Net().eval()
    images = torch.randn(3, 3, 32, 32)
    classes = torch.tensor([1, 5, 9])
    maps = model.features(images)  # A: the output of c4
    scores = model.output(maps).gather(1, classes[:, None]).sum()
    (gradients,) = torch.autograd.grad(scores, maps)
    expected = torch.relu((gradients.mean(dim=(2, 3), keepdim=True) * maps).sum(dim=1))
    assert torch.allclose(class_activation_map(model, images, model.c4, classes), expected.detach(), atol=1e-6)
