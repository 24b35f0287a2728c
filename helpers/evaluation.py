"""Evaluating a trained model: load it back, count what it gets right, and look where it looks.

    load_trained      a checkpoint → the model it was saved from, weights loaded, in eval mode
    class_accuracy    accuracy per class: the average hides which classes are hard
    confusion_matrix  counts[true, predicted]: which classes are taken for which
    misclassified     the indices of the images the model got wrong
    grad_cam          a heatmap per image of where the evidence for a class lies

Predictions and labels may be torch tensors (on any device) or NumPy arrays.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from helpers import KitError
from helpers.training import CheckpointError, load_checkpoint, to_device


def load_trained(checkpoint_path, device="cpu"):
    """Rebuild the model a checkpoint was saved from and load its weights. Returns (model, state):
    `state` also holds the run's history, recipe and data (mean, std, classes, description)."""
    path = Path(checkpoint_path)
    if not path.is_file():
        raise KitError(f"no trained model at {path}: run notebook 04_training first (or "
                       f"`python -m helpers.train --out {path.parent}`), or check the path.")
    device = torch.device(device)
    state = load_checkpoint(path, map_location=device)  # weights_only: no code in the file runs
    model = build_from_architecture(state["architecture"], path)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise CheckpointError(f"{path} does not fit the {state['architecture']['class']} it names: "
                              f"{str(error).splitlines()[1:2]}") from None
    return to_device(model, device).eval(), state  # channels-last, as it was trained


def build_from_architecture(architecture, path="the checkpoint"):
    """architecture = {"class": name, **constructor arguments}, as training.describe_model writes it."""
    kwargs = {k: v for k, v in architecture.items() if k != "class"}
    name = architecture.get("class")
    if name == "Net":
        from helpers.model import Net
        return Net(**kwargs)
    if name == "AttentionNet":
        from helpers.attention import AttentionNet  # imported here: only its checkpoints need it
        return AttentionNet(**kwargs)
    raise CheckpointError(f"{path} holds a {name!r}, which the kit cannot rebuild: it knows Net and AttentionNet.")


def _numpy(values):
    """A tensor on any device, a list or an array → a NumPy array."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def class_accuracy(predictions, labels, classes):
    """{class name: accuracy % on the images of that class} (NaN for a class with no images)."""
    predictions, labels = _numpy(predictions), _numpy(labels)
    accuracies = {}
    for index, name in enumerate(classes):
        of_class = labels == index
        accuracies[name] = 100 * float((predictions[of_class] == index).mean()) if of_class.any() else float("nan")
    return accuracies


def confusion_matrix(predictions, labels, num_classes=10):
    """matrix[t, p] = how many images of true class t were predicted as class p. The diagonal holds
    the correct predictions; row t sums to the number of images of class t."""
    predictions, labels = _numpy(predictions).astype(np.int64), _numpy(labels).astype(np.int64)
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)  # add.at counts repeated (t, p) pairs; matrix[...] += 1 would not
    return matrix


def misclassified(predictions, labels):
    """Indices (into the evaluated split) of the images whose prediction is wrong, in order."""
    return np.flatnonzero(_numpy(predictions) != _numpy(labels))


def grad_cam(model, images, target_layer, classes=None):
    """Grad-CAM (Selvaraju et al., 2017): which parts of each image made the model say a class.

    Let A_k be the k-th feature map that `target_layer` outputs (for Net: `model.c4`, the last
    8x8 maps before global average pooling) and y_c the score (logit) of class c. Then

        w_k     = mean over positions (i, j) of  d y_c / d A_k[i, j]    how much map k matters for c
        heatmap = ReLU( sum_k  w_k * A_k )                              where those maps fire

    ReLU keeps only the evidence *for* the class. The heatmap has the layer's resolution (8x8 for
    Net); it is upsampled bilinearly to the image size and scaled to [0, 1] per image. The last
    convolutional layer is the usual choice: its maps still have positions, and they are the most
    class-specific the network has.

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
