"""Grad-CAM: where in an image the evidence for a class lies, at any layer. Notebook 05."""
import torch
import torch.nn.functional as F


def grad_cam(model, images, target_layer, classes=None):
    """Grad-CAM (Selvaraju et al., 2017), as notebook 05 derives it: with A_k the k-th feature map
    that `target_layer` outputs and y_c the logit of class c,

        w_k = mean over positions of d y_c / d A_k,     heatmap = ReLU(sum_k w_k A_k),

    upsampled bilinearly to the image size and scaled to [0, 1] per image.

    images: normalised float tensor (B, 3, H, W). classes: the class index to explain per image
    (a sequence or tensor of B ints); None explains the predicted class. Returns a NumPy array
    (B, H, W) in [0, 1]. The model is left as it was found: same mode, no hooks, no .grad.
    """
    was_training = model.training
    model.eval()  # BatchNorm with its running statistics: each image explained on its own
    device = next(model.parameters()).device
    images = images.to(device)
    captured = {}
    # A forward hook is called with the layer's output: keep it, still attached to the graph.
    hook = target_layer.register_forward_hook(lambda module, inputs, output: captured.update(activations=output))
    try:
        with torch.enable_grad():
            logits = model(images)
            if classes is None:
                classes = logits.argmax(1)
            classes = torch.as_tensor(classes, device=device).long().view(-1)
            scores = logits.gather(1, classes[:, None]).sum()  # images are independent: one backward for all
            activations = captured["activations"]
            # d scores / d activations only: torch.autograd.grad does not touch the weights' .grad.
            (gradients,) = torch.autograd.grad(scores, activations)
    finally:
        hook.remove()
        model.train(was_training)
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (B, K, 1, 1): w_k per image
    heatmaps = F.relu((weights * activations.detach()).sum(dim=1, keepdim=True))  # (B, 1, h, w)
    heatmaps = F.interpolate(heatmaps, size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    low = heatmaps.amin(dim=(1, 2), keepdim=True)
    high = heatmaps.amax(dim=(1, 2), keepdim=True)
    heatmaps = (heatmaps - low) / (high - low).clamp_min(1e-8)  # an all-zero map stays all zero
    return heatmaps.cpu().numpy()
