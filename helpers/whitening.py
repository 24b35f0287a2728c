"""A first convolution whose weights come from the data: patch whitening (airbench, Jordan 2024).

The 3x3x3 = 27 values of an image patch are strongly correlated (neighbouring pixels, and the
three colours of one pixel, move together). Principal component analysis of many training patches
gives 27 directions v_i with variances λ_i; a filter v_i / sqrt(λ_i) measures how much of direction
i a patch holds, in units of its spread. The first convolution gets the strongest directions, each
as +v_i and -v_i (ReLU keeps one side of each), and is frozen: the network starts from decorrelated
inputs of equal scale, which the later layers learn from faster.
"""
import torch
import torch.nn as nn

from helpers.transforms import normalize


def patch_whitening_filters(images, mean, std, channels, kernel=3, eps=1e-2, max_images=5000):
    """(channels, 3, kernel, kernel) filters: ± the top channels/2 principal directions of the
    normalised kernel x kernel patches of `images` (uint8, N x H x W x 3), each divided by the
    square root of its variance (plus eps, so that tiny variances do not explode)."""
    x = normalize(torch.from_numpy(images[:max_images]), mean, std, "cpu", channels_last=False)
    patches = nn.functional.unfold(x, kernel).transpose(1, 2).reshape(-1, 3 * kernel * kernel).double()
    covariance = torch.cov(patches.T)
    variances, directions = torch.linalg.eigh(covariance)  # ascending
    top = channels // 2
    filters = (directions[:, -top:] / (variances[-top:] + eps).sqrt()).T.flip(0)  # strongest first
    filters = torch.cat([filters, -filters]).float()
    return filters.reshape(-1, 3, kernel, kernel)


def whiten_first_conv(model, data):
    """Set the model's first Conv2d (3 input channels, an even number of outputs) to patch-whitening
    filters of the training images and freeze it. Returns that layer."""
    first = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    if first.in_channels != 3 or first.out_channels % 2 or first.kernel_size[0] != first.kernel_size[1]:
        raise ValueError(f"patch whitening needs a square first convolution from 3 channels to an even number; "
                         f"this one is {first}")
    filters = patch_whitening_filters(data.train.images, data.mean, data.std, first.out_channels, first.kernel_size[0])
    with torch.no_grad():
        first.weight.copy_(filters.to(first.weight.device))
    first.weight.requires_grad_(False)
    return first
