"""What a convolution costs: parameters and multiply-adds counted from the layers themselves, per
stage of a model, and the time a layer takes on this device (notebook 02).

    multiply_adds    multiply-adds of one forward pass, counted layer by layer
    stage_costs      parameters and multiply-adds of each top-level stage of a model (Net: c1..c4, output)
    plot_stage_costs each stage's share of the parameters beside its share of the multiply-adds
    time_forward     milliseconds of one forward pass of a layer, measured on its device

A k x k convolution from c_in to c_out channels in `groups` groups has k² c_in c_out / groups
weights, and uses each once at every position of its output map. Counting that from
`weight.numel()` and the output's size covers normal, depthwise (groups = c_in), pointwise and
dilated convolutions alike: dilation spreads the taps, it adds none.
"""
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn

from helpers.machinery.device import autocast, evaluation_mode

COUNTED = (nn.Conv2d, nn.Linear)  # the layers that multiply; norms, ReLUs and pooling add little


def multiply_adds(model, x):
    """Multiply-adds of `model(x)` for one image: each weight once per output position of its layer."""
    per_layer = _per_layer_multiply_adds(model, x)
    return sum(per_layer.values())


def _per_layer_multiply_adds(model, x):
    """{module path: multiply-adds for one image} for every convolution and linear layer that runs."""
    counts, hooks = {}, []

    def count(path):
        def hook(module, inputs, output):
            positions = output.shape[2] * output.shape[3] if output.dim() == 4 else 1
            counts[path] = counts.get(path, 0) + module.weight.numel() * positions
        return hook

    for path, module in model.named_modules():
        if isinstance(module, COUNTED):
            hooks.append(module.register_forward_hook(count(path)))
    try:
        with evaluation_mode(model), torch.no_grad():
            model(x[:1])
    finally:
        for hook in hooks:
            hook.remove()
    return counts


def stage_costs(model, input_size=32, in_channels=3):
    """One dict a top-level stage of `model` (Net: c1, c2, c3, c4, output), in the order they are
    defined: name, parameters, multiply-adds (one 32x32 image), and each as a share of the total."""
    x = torch.zeros(1, in_channels, input_size, input_size, device=next(model.parameters()).device)
    per_layer = _per_layer_multiply_adds(model, x)
    rows = []
    for name, stage in model.named_children():
        rows.append(dict(name=name.upper() if name[0] == "c" else name,
                         parameters=sum(p.numel() for p in stage.parameters()),
                         multiply_adds=sum(n for path, n in per_layer.items() if path.split(".")[0] == name)))
    total_parameters = sum(row["parameters"] for row in rows)
    total_multiply_adds = sum(row["multiply_adds"] for row in rows)
    for row in rows:
        row["parameter_share"] = row["parameters"] / total_parameters
        row["multiply_add_share"] = row["multiply_adds"] / total_multiply_adds
    return rows


def format_stage_costs(rows):
    """The per-stage table as text, with a total line."""
    lines = [f"{'stage':<8}{'parameters':>12}{'share':>8}{'multiply-adds':>16}{'share':>8}"]
    for row in rows:
        lines.append(f"{row['name']:<8}{row['parameters']:>12,}{row['parameter_share']:>8.1%}"
                     f"{row['multiply_adds']:>16,}{row['multiply_add_share']:>8.1%}")
    lines.append(f"{'total':<8}{sum(r['parameters'] for r in rows):>12,}{'':>8}"
                 f"{sum(r['multiply_adds'] for r in rows):>16,}")
    return "\n".join(lines)


def plot_stage_costs(rows, title=None):
    """Each stage's share of the parameters beside its share of the multiply-adds."""
    names = [row["name"] for row in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    for offset, key, label in ((-0.2, "parameter_share", "parameters"), (0.2, "multiply_add_share", "multiply-adds")):
        shares = [100 * row[key] for row in rows]
        bars = ax.bar(x + offset, shares, width=0.4, label=label)
        ax.bar_label(bars, fmt="%.0f%%", fontsize=8)
    ax.set_xticks(x, names)
    ax.set(ylabel="share of the whole network (%)")
    ax.legend()
    ax.set_title(title or "where the network spends its parameters and its multiply-adds", fontsize=11)
    return fig


def time_forward(layer, x, dtype=None, repeats=20):
    """Milliseconds of one `layer(x)` on x's device, inference only (no gradients), computed in
    `dtype` as training's autocast does (None: float32). A few calls first, unmeasured: they pick
    the algorithms and allocate memory. Then the fastest of `repeats` calls: other work on the
    machine can only ever add time. On a GPU the clock waits for the work to finish
    (synchronize), not just for it to be queued."""
    synchronize = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
    times = []
    with torch.no_grad(), autocast(x.device, dtype):
        for call in range(3 + repeats):
            synchronize()
            started = time.perf_counter()
            layer(x)
            synchronize()
            if call >= 3:
                times.append(time.perf_counter() - started)
    return 1000 * min(times)
