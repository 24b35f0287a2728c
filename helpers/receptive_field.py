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

from helpers.machinery.device import evaluation_mode
from helpers.machinery.forward_trace import run_until, trace_forward


@dataclass
class LayerSpec:
    name: str
    kernel: int
    padding: int = 0
    stride: int = 1
    dilation: int = 1


def _first(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def _stage(path):
    """"C3" for a module under a model's top-level c3 (the lessons' stage names), else the path's first part."""
    top = path.split(".")[0]
    return top.upper() if len(top) == 2 and top[0] in "cC" and top[1].isdigit() else top or "forward"


def readable_name(op, number):
    """"C3 conv 2: depthwise 3x3" for the `number`-th convolution of its stage, "C2 nn.MaxPool2d 2x2"
    for a pooling: the lessons' stage names (C1-C4, from a model's top-level c1-c4) and what the layer is."""
    stage = _stage(op.path)
    k, s, d = op.kernel, op.stride, op.dilation
    if op.kind == "conv":
        kind = ("depthwise " if op.groups == op.in_channels > 1 else "pointwise " if k == 1 else "") + f"{k}x{k}"
        kind += "" if op.name.startswith("nn.") else " (F.conv2d in forward)"
    else:
        kind = f"{op.name.split(' (')[0]} {k}x{k}"
    kind += (f", stride {s}" if s > 1 else "") + (f", dilation {d}" if d > 1 else "")
    return f"{stage} conv {number}: {kind}" if op.kind == "conv" else f"{stage} {kind}"


def spatial_layers(trace):
    """The convolutions and poolings of a traced forward pass that lead to the map whose RF is the
    network's: every one before the global pooling (which is not a layer of the table: averaging
    all positions widens no position's field)."""
    ops = trace.ops[:next(i for i, op in enumerate(trace.ops) if op is trace.pool)] if trace.pool else trace.ops
    return [op for op in ops if op.kind == "conv" or not op.is_global]


def layer_specs(model, input_size=32, in_channels=3):
    """The model's convolutions and poolings in the order a forward pass runs them, up to its global
    pooling, named as the lessons name them ("C2 conv 1: 3x3, stride 2"): nn modules and the
    functions forward calls (F.conv2d, F.max_pool2d) alike."""
    return [spec for spec, _ in _specs_and_ops(trace_forward(model, input_size, channels=in_channels))]


def _specs_and_ops(trace):
    out, per_stage = [], {}
    for op in spatial_layers(trace):
        stage = _stage(op.path)
        per_stage[stage] = per_stage.get(stage, 0) + (op.kind == "conv")
        out.append((LayerSpec(readable_name(op, per_stage[stage]), op.kernel, op.padding, op.stride, op.dilation), op))
    return out


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
    r_in, r_out. Accepts a list of LayerSpec / (k, p, s, d) tuples (one chain, layer after layer),
    or an nn.Module: its layers up to the global pooling, each with the field of the tensor it
    really read (on a residual block's shortcut, the field of the block's input)."""
    if isinstance(model_or_specs, nn.Module):
        return [_row(spec, op.n_in, op.n_out, op.field_in.j, op.field_out.j, op.field_in.r, op.field_out.r)
                for spec, op in _specs_and_ops(trace_forward(model_or_specs, input_size))]
    specs = [s if isinstance(s, LayerSpec) else LayerSpec(str(i + 1), *s) for i, s in enumerate(model_or_specs)]
    n, j, r = input_size, 1, 1  # the input: every pixel sees itself
    rows = []
    for spec in specs:
        k_eff, n_out, j_out, r_out = rf_step(n, j, r, spec.kernel, spec.padding, spec.stride, spec.dilation)
        rows.append(_row(spec, n, n_out, j, j_out, r, r_out))
        n, j, r = n_out, j_out, r_out
    return rows


def _row(spec, n_in, n_out, j_in, j_out, r_in, r_out):
    return dict(name=spec.name, kernel=spec.kernel, padding=spec.padding, stride=spec.stride, dilation=spec.dilation,
                k_eff=spec.dilation * (spec.kernel - 1) + 1, n_in=n_in, n_out=n_out, j_in=j_in, j_out=j_out,
                r_in="?" if r_in is None else r_in, r_out="?" if r_out is None else r_out)


def receptive_field(model_or_specs, input_size=32):
    """The RF in input pixels: of the map entering a model's global average pooling (the course's
    convention, notebook 02), or of its last map when it has none; of the last layer of a list.
    None where the model calls an operation the recurrence cannot follow (F.interpolate, ...)."""
    if isinstance(model_or_specs, nn.Module):
        trace = trace_forward(model_or_specs, input_size)
        return trace.final.r if trace.final is not None else None
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
    with evaluation_mode(module):
        yield next(module.parameters(), torch.empty(0)).device


def measure_network_field(model, trace, input_size=32):
    """The RF of the map `trace` names (the one entering global pooling), measured with gradients:
    (side, None), or (None, why not). The network runs only as far as that map, on an image large
    enough that no border cuts the field, so a pool sized for 32x32 (AvgPool2d(8)) or a classifier
    over a flattened map never runs. A network that does not run on a larger image is measured at
    input_size: there the borders cut the field, so the measurement can confirm the computed field
    but not measure it."""
    final = trace.final
    if final is None:
        return None, "the network has no map with positions to measure"
    r = final.r or 2 * input_size
    side = max(3 * input_size, -(-(r + 2 * final.j + 8) // input_size) * input_size)
    with evaluation_mode(model):  # BatchNorm with fixed statistics: in training mode every pixel reaches every output
        try:
            measured, heatmap = measured_receptive_field(run_until(model, trace.final_at), input_size=side)
        except Exception as error:  # the network needs its own input size: confirm the field at it
            return _confirm_at(model, trace, input_size, f"the network does not run on a {side}x{side} image "
                                                         f"({type(error).__name__}: {str(error).splitlines()[0][:120]})")
    if measured >= side - 2 * final.j and final.mixers:
        return None, (f"every pixel reaches every position through {', '.join(sorted(final.mixers))}, which mixes all "
                      f"positions, so gradients cannot measure the layers' field")
    return measured, None


def _confirm_at(model, trace, input_size, why_not_larger):
    """At the network's own input size: do the gradients reach exactly the computed field, cut by the
    image's borders, for the centre position? (side, None) when they do, else (None, why)."""
    final = trace.final
    try:
        heatmap = input_gradient(run_until(model, trace.final_at), input_size)
    except Exception as error:
        return None, f"{why_not_larger}, nor can gradients reach its input ({type(error).__name__})"
    rows = torch.nonzero(heatmap.sum(dim=1)).flatten()
    if final.r is None or not len(rows):
        return None, why_not_larger
    n = heatmap.shape[0]
    with torch.no_grad():
        device = next(model.parameters(), torch.empty(0)).device
        side = run_until(model, trace.final_at)(torch.zeros(1, 3, input_size, input_size, device=device)).shape[2]
    centre = final.c0 + (side // 2) * final.j
    expected = (max(0, int(centre - (final.r - 1) / 2)), min(n - 1, int(centre + (final.r - 1) / 2)))
    seen = (int(rows[0]), int(rows[-1]))
    if seen == expected:
        return final.r, None
    return None, (f"{why_not_larger}; at {input_size}x{input_size} the centre position sees rows {seen[0]}-{seen[1]}, "
                  f"the layers say {expected[0]}-{expected[1]}")

