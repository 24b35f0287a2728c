"""Grad-CAM: where in an image the evidence for a class lies, at any layer. Notebook 05 shows the
first two pieces, which are the lesson:

    ActivationHook        a forward hook that keeps what a layer outputs, still attached to the graph
    class_activation_map  Grad-CAM's formula on those feature maps: ReLU(sum_k w_k A_k)
    grad_cam              the heatmaps to draw: eval mode, upsampled to the image, scaled to [0, 1]
"""
import torch
import torch.nn.functional as F

from helpers.machinery.device import evaluation_mode


class ActivationHook:
    """Keeps what `layer` outputs on the next forward pass, still attached to the autograd graph, so
    that the gradient of a score with respect to it can be taken. Use it in a `with` block: the hook
    is removed on leaving it, and the model is left as it was."""

    def __init__(self, layer):
        self.activations = None
        self.handle = layer.register_forward_hook(self.keep)

    def keep(self, module, inputs, output):  # PyTorch calls this after every forward pass of `layer`
        self.activations = output

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.handle.remove()


def class_activation_map(model, images, layer, classes=None):
    """Grad-CAM (Selvaraju et al., 2017) at `layer`, as notebook 05 derives it: with A_k the k-th
    feature map the layer outputs and y_c the logit of class c (`classes`, one per image; None: the
    predicted one),  w_k = mean over positions of dy_c/dA_k,  map = ReLU(sum_k w_k A_k).
    Returns (B, h, w) at the layer's resolution, not scaled."""
    with ActivationHook(layer) as hook, torch.enable_grad():
        logits = model(images)
        classes = logits.argmax(1) if classes is None else torch.as_tensor(classes, device=logits.device).long().view(-1)
        score = logits.gather(1, classes[:, None]).sum()  # images are independent: one backward for all
        (gradients,) = torch.autograd.grad(score, hook.activations)  # dy_c/dA only: the weights' .grad stay untouched
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (B, K, 1, 1): w_k, the mean gradient of map k
    return F.relu((weights * hook.activations.detach()).sum(dim=1))  # (B, h, w): where the evidence is


def grad_cam(model, images, target_layer, classes=None):
    """Grad-CAM heatmaps to draw over the images: `class_activation_map` in eval mode, upsampled
    bilinearly to the image size and scaled to [0, 1] per image.

    images: normalised float tensor (B, 3, H, W). classes: the class index to explain per image
    (a sequence or tensor of B ints); None explains the predicted class. Returns a NumPy array
    (B, H, W) in [0, 1]. The model is left as it was found: same mode, no hooks, no .grad.
    """
    with evaluation_mode(model):  # BatchNorm with its running statistics: each image explained on its own
        images = images.to(next(model.parameters()).device)
        heatmaps = class_activation_map(model, images, target_layer, classes)[:, None]  # (B, 1, h, w)
    heatmaps = F.interpolate(heatmaps, size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    low = heatmaps.amin(dim=(1, 2), keepdim=True)
    high = heatmaps.amax(dim=(1, 2), keepdim=True)
    heatmaps = (heatmaps - low) / (high - low).clamp_min(1e-8)  # an all-zero map stays all zero
    return heatmaps.cpu().numpy()
