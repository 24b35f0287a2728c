"""The receptive field (RF), computed layer by layer from the model itself, and measured.

    rf_step                   one layer of the recurrence: (n, j, r) in → k_eff and (n, j, r) out
    layer_specs               the model's convolutions and poolings, in the order they run
    receptive_field_table     one row a layer: kernel, padding, stride, dilation, j, n, r in and out
    input_gradient            |d output / d input| for one output position: which pixels reach it
    measured_receptive_field  the RF found with gradients, to check the table

The formulas, derived in notebook 02, are rf_step's four lines. The table follows the layers in
the order they run, i.e. along the longest chain; a residual shortcut without layers adds none.
"""
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class LayerSpec:
    name: str
    kernel: int
    padding: int = 0
    stride: int = 1
    dilation: int = 1


def _first(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def readable_name(path, module, number):
    """"C3 conv 2: depthwise 3x3" for the module at `path` ("c3.1.body.0.0"), the `number`-th of its
    stage: the lessons' stage names (C1-C4, from a model's top-level c1-c4) and what the layer is."""
    stage = path.split(".")[0]
    stage = stage.upper() if len(stage) == 2 and stage[0] == "c" and stage[1].isdigit() else stage or "layer"
    k, s, d = _first(module.kernel_size), _first(module.stride), _first(getattr(module, "dilation", 1))
    if isinstance(module, nn.Conv2d):
        kind = ("depthwise " if module.groups == module.in_channels > 1 else
                "pointwise " if k == 1 else "")
        kind += f"{k}x{k}"
    else:
        kind = f"{type(module).__name__} {k}x{k}"
    kind += (f", stride {s}" if s > 1 else "") + (f", dilation {d}" if d > 1 else "")
    return f"{stage} conv {number}: {kind}" if isinstance(module, nn.Conv2d) else f"{stage} {kind}"


def layer_specs(model, input_size=32, in_channels=3):
    """The model's convolutions and poolings in the order a forward pass runs them, named as the
    lessons name them ("C2 conv 1: 3x3, stride 2")."""
    specs, hooks, per_stage = [], [], {}
    for path, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            stage = path.split(".")[0]
            per_stage[stage] = per_stage.get(stage, 0) + 1
            spec = LayerSpec(readable_name(path, module, per_stage[stage]), _first(module.kernel_size),
                             _first(module.padding), _first(module.stride), _first(getattr(module, "dilation", 1)))
            hooks.append(module.register_forward_hook(lambda m, i, o, spec=spec: specs.append(spec)))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            device = next(model.parameters()).device
            model(torch.zeros(1, in_channels, input_size, input_size, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return specs


def rf_step(n, j, r, kernel, padding=0, stride=1, dilation=1):
    """One layer of the recurrence. In: the map size n, the jump j (input pixels between two
    neighbouring positions of the map) and the RF r of the layer's input. Out: k_eff, n, j, r."""
    k_eff = dilation * (kernel - 1) + 1  # a dilated kernel spans k_eff pixels
    n_out = (n + 2 * padding - k_eff) // stride + 1  # positions the kernel fits in
    j_out = j * stride  # stride multiplies the jump
    r_out = r + (k_eff - 1) * j  # each extra tap adds one jump of input
    return k_eff, n_out, j_out, r_out


def receptive_field_table(model_or_specs, input_size=32):
    """One dict a layer: name, kernel, padding, stride, dilation, k_eff, n_in, n_out, j_in, j_out,
    r_in, r_out. Accepts an nn.Module or a list of LayerSpec / (k, p, s, d) tuples."""
    if isinstance(model_or_specs, nn.Module):
        specs = layer_specs(model_or_specs, input_size)
    else:
        specs = [s if isinstance(s, LayerSpec) else LayerSpec(str(i + 1), *s) for i, s in enumerate(model_or_specs)]
    n, j, r = input_size, 1, 1  # the input: every pixel sees itself
    rows = []
    for spec in specs:
        k_eff, n_out, j_out, r_out = rf_step(n, j, r, spec.kernel, spec.padding, spec.stride, spec.dilation)
        rows.append(dict(name=spec.name, kernel=spec.kernel, padding=spec.padding, stride=spec.stride,
                         dilation=spec.dilation, k_eff=k_eff, n_in=n, n_out=n_out,
                         j_in=j, j_out=j_out, r_in=r, r_out=r_out))
        n, j, r = n_out, j_out, r_out
    return rows


def receptive_field(model_or_specs, input_size=32):
    """The RF of the last layer's output, in input pixels."""
    return receptive_field_table(model_or_specs, input_size)[-1]["r_out"]


TABLE_COLUMNS = ["name", "kernel", "padding", "stride", "dilation", "j_in", "n_in", "n_out", "r_in", "r_out", "j_out"]


def format_table(rows):
    """The table as aligned text: kernel, padding, stride, dilation, then j, n and r in and out."""
    columns = TABLE_COLUMNS
    widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
    line = lambda values: "  ".join(str(v).rjust(widths[c]) if c != "name" else str(v).ljust(widths[c]) for c, v in zip(columns, values))
    return "\n".join([line(columns)] + [line([row[c] for c in columns]) for row in rows])


def input_gradient(features, input_size=96, position=None, in_channels=3, samples=4, seed=0):
    """|d output / d input pixel| for one position of the feature map (default: the centre), summed
    over channels and `samples` random inputs, as an (H, W) map: exactly zero where a pixel cannot
    change that output. Several inputs, so that a ReLU that happens to be off does not hide a pixel.
    `features` maps images to a feature map: a module or a function such as `net.features`."""
    x = torch.randn(samples, in_channels, input_size, input_size, generator=torch.Generator().manual_seed(seed))
    x.requires_grad_()
    with _evaluation_mode(features) as device:  # BatchNorm with fixed statistics: images stay apart
        out = features(x.to(device))
    row, col = position if position is not None else (out.shape[2] // 2, out.shape[3] // 2)
    out[:, :, row, col].sum().backward()
    return x.grad.abs().sum(dim=(0, 1))


def measured_receptive_field(features, input_size=96, in_channels=3, samples=4, seed=0):
    """The RF measured: the side of the square of input pixels that reach the centre output.
    The input is larger than the RF, so no image border cuts the field. Returns (side, heatmap)."""
    heatmap = input_gradient(features, input_size, None, in_channels, samples, seed)
    rows = torch.nonzero(heatmap.sum(dim=1)).flatten()  # rows with at least one pixel that reaches it
    cols = torch.nonzero(heatmap.sum(dim=0)).flatten()
    side = max(int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1))
    return side, heatmap


@contextmanager
def _evaluation_mode(features):
    """Run `features` (a module, or a method of one) in eval mode on its device; restore the mode."""
    module = getattr(features, "__self__", features)
    if not isinstance(module, nn.Module):
        yield "cpu"
        return
    was_training = module.training
    module.eval()
    try:
        yield next(module.parameters(), torch.empty(0)).device
    finally:
        module.train(was_training)
