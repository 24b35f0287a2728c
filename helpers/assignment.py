"""The course's assignment, checked: one call on any network gives each rule, what was measured,
pass or fail, and for a failure what to change. Notebook 03, "Your turn", and the README state the
rules; `Net` is the kit's own answer.

    check_assignment   model (and optionally its run's history) → a list of Check rows
    format_checks      those rows as a table a student reads at a glance

What is measured comes from running the model on one dummy 32x32 image: forward hooks on its
layers and a TorchFunctionMode on the functions it calls, so a `F.max_pool2d` in `forward` is seen
as surely as an `nn.MaxPool2d` module.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from helpers.model import count_parameters
from helpers.receptive_field import measured_receptive_field, receptive_field

MAX_PARAMETERS = 200_000
MIN_RECEPTIVE_FIELD = 45  # "more than 44"
TARGET_ACCURACY = 85.0
STAGES = ("c1", "c2", "c3", "c4")
# Norms whose statistics, even in eval mode, are taken over every position of an image: through them every pixel
# reaches every output, and a receptive field measured with gradients is the whole image.
SPATIAL_NORMS = (nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)
MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)


@dataclass
class Check:
    rule: str
    measured: str
    passed: bool
    fix: str = ""


class _Trace(TorchFunctionMode):
    """Records the pooling functions a forward pass calls: (name, input, output)."""

    POOLING = ("max_pool", "adaptive_max_pool", "avg_pool", "adaptive_avg_pool", "mean")

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        if any(name.startswith(p) for p in self.POOLING) and args and isinstance(args[0], torch.Tensor):
            self.calls.append((name, args[0], out))
        return out


def _trace(model, input_size=32):
    """Run one dummy image: the convolutions in the order they run (module, input, output), the
    pooling modules and functions, each stage's output, the logits."""
    convs, pools, stages, hooks = [], [], {}, []
    for path, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(lambda m, i, o: convs.append((m, i[0], o))))
        elif isinstance(module, (*MAX_POOLS, nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
            hooks.append(module.register_forward_hook(lambda m, i, o: pools.append((type(m).__name__, i[0], o))))
        if path.lower() in STAGES:
            hooks.append(module.register_forward_hook(lambda m, i, o, path=path: stages.setdefault(path.lower(), o)))
    was_training = model.training
    model.eval()
    trace = _Trace()
    try:
        with torch.no_grad(), trace:
            device = next(model.parameters()).device
            logits = model(torch.zeros(1, 3, input_size, input_size, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    # A pooling module calls its function (nn.MaxPool2d calls F.max_pool2d): count it once, as the module.
    by_modules = {id(out) for _, _, out in pools}
    calls = [(f"{'x' if name == 'mean' else 'F'}.{name} (in forward)", x, out) for name, x, out in trace.calls
             if id(out) not in by_modules]
    return convs, pools + calls, stages, logits


def _is_global_average(name, x, out):
    """Average pooling (a module, F.adaptive_avg_pool2d, F.avg_pool2d or x.mean over H and W)
    that turns a map of more than one position into one value a channel."""
    if "max" in name or x.dim() != 4 or x.shape[-1] * x.shape[-2] <= 1:
        return False
    return out.numel() == x.shape[0] * x.shape[1]


def _feature_map(model, input_size):
    """A function x → the map that enters global average pooling, for measuring the RF."""
    def features(x):
        trace = _Trace()
        captured = []
        hooks = [m.register_forward_hook(lambda m, i, o: captured.append((type(m).__name__, i[0], o)))
                 for m in model.modules() if isinstance(m, (nn.AvgPool2d, nn.AdaptiveAvgPool2d))]
        try:
            with trace:
                model(x)
        finally:
            for hook in hooks:
                hook.remove()
        maps = [x for name, x, out in captured + trace.calls if _is_global_average(name, x, out)]
        return maps[0]
    return features


def _describe_conv(conv):
    """"3x3, 32→64"; a depthwise one says so, "depthwise 3x3, 64→64 (groups=64)": one filter a channel,
    not a full convolution."""
    shape = f"{conv.kernel_size[0]}x{conv.kernel_size[1]}, {conv.in_channels}→{conv.out_channels}"
    if conv.groups == conv.in_channels > 1:
        return f"depthwise {shape} (groups={conv.groups})"
    return f"grouped {shape} (groups={conv.groups})" if conv.groups > 1 else shape


def _functional_pools(pools):
    """The poolings `forward` calls as functions (F.max_pool2d, F.avg_pool2d, ...) that shrink the map
    without being global: the layer-by-layer RF table, which follows nn modules, does not see them."""
    return [name for name, x, out in pools if name.startswith("F.") and not _is_global_average(name, x, out)
            and out.dim() == 4 and out.shape[-1] < x.shape[-1]]


def check_assignment(model, history=None, input_size=32):
    """Each rule of the assignment as a Check. `history`: the run's list of epochs (fit's return
    value, or metrics.json's "epochs"), for the accuracy rule; without it that rule is not checked."""
    convs, pools, stages, logits = _trace(model, input_size)
    checks = []

    params = count_parameters(model)
    checks.append(Check("parameters under 200,000", f"{params:,}", params < MAX_PARAMETERS,
                        f"{params - MAX_PARAMETERS + 1:,} too many: fewer channels, or depthwise separable convolutions "
                        f"where the channels are many"))

    max_pools = [name for name, _, _ in pools if "max" in name.lower()]
    checks.append(Check("no max-pooling", ", ".join(max_pools) or "none", not max_pools,
                        "downsample with a stride-2 convolution (or a dilated one without padding) instead"))

    separable = [(a, b) for (a, _, _), (b, _, _) in zip(convs, convs[1:])
                 if a.groups == a.in_channels > 1 and a.kernel_size[0] > 1 and b.kernel_size == (1, 1)
                 and b.in_channels == a.out_channels]
    checks.append(Check("a depthwise separable convolution",
                        f"{len(separable)}: {_describe_conv(separable[0][0])} + pointwise "
                        f"{_describe_conv(separable[0][1])}" if separable else "none", bool(separable),
                        "add a Conv2d(c, c, 3, padding=1, groups=c) followed by a Conv2d(c, c_out, 1) "
                        "(helpers.model.DepthwiseSeparable)"))

    dilated = [conv for conv, _, _ in convs if max(conv.dilation) > 1]
    dilations = ", ".join(str(d) for d in sorted({conv.dilation[0] for conv in dilated}))
    checks.append(Check("a dilated convolution", f"{len(dilated)}: dilation {dilations}" if dilated else "none",
                        bool(dilated), "give one 3x3 convolution dilation=2 (and padding=2 to keep the size)"))

    gap = [(name, x) for name, x, out in pools if _is_global_average(name, x, out)]
    late_convs = [conv for conv, x, _ in convs if gap and conv.kernel_size[0] > 1 and x.shape[-1] == 1 == x.shape[-2]]
    checks.append(Check("global average pooling before the classifier",
                        f"{gap[0][0]} of a {gap[0][1].shape[-2]}x{gap[0][1].shape[-1]} map" if gap else "none",
                        bool(gap) and not late_convs,
                        "end with nn.AdaptiveAvgPool2d(1), then the classifier (a Linear or a 1x1 convolution)"))

    computed = receptive_field(model, input_size)
    measured, side = None, 3 * input_size  # measured on a larger image, so that the field is not clipped
    if gap:
        was_training = model.training
        model.eval()  # BatchNorm with fixed statistics: in training mode every image pixel reaches every output
        try:
            measured, _ = measured_receptive_field(_feature_map(model, input_size), input_size=side)
        finally:
            model.train(was_training)
    mixers = sorted({type(m).__name__ for m in model.modules() if isinstance(m, SPATIAL_NORMS)})
    if measured is None:
        rf, rf_text = computed, f"{computed} computed (not measured: no global average pooling to measure before)"
    elif measured == computed:
        rf, rf_text = computed, f"{computed} computed, {measured} measured"
    elif measured >= side and mixers:  # every pixel reaches the output through the norm's statistics
        rf, rf_text = computed, (f"{computed} computed (not measured: {', '.join(mixers)} takes its statistics over all "
                                 f"positions of an image, so the gradients reach every pixel through them)")
    else:  # the gradients say what reaches an output: they decide
        hidden = _functional_pools(pools)
        why = (f"the layer table lists nn modules only and does not see {', '.join(sorted(set(hidden)))}" if hidden else
               "the layer table follows the layers in the order they run and does not see a branch, a layer on "
               "a shortcut, a layer that mixes all positions, or a function forward calls (F.conv2d, F.interpolate)")
        rf, rf_text = measured, f"{measured} measured with gradients, {computed} in the layer table: {why}"
    checks.append(Check("receptive field above 44", rf_text, rf >= MIN_RECEPTIVE_FIELD,
                        "more 3x3 layers after a stride, a stride earlier, or a dilated convolution"))

    found = [name for name in STAGES if name in stages]
    stage_of = {id(m): path.split(".")[0].upper() for path, m in model.named_modules() if path.split(".")[0].lower() in STAGES}
    sizes = " → ".join(f"{name.upper()} {stages[name].shape[-2]}x{stages[name].shape[-1]}" for name in found)
    reductions = [f"{stage_of.get(id(conv), 'a')} {_describe_conv(conv)}" + (f" stride {conv.stride[0]}" if conv.stride[0] > 1 else
                                               f" dilation {conv.dilation[0]} without padding")
                  for conv, x, out in convs if out.shape[-1] < x.shape[-1]]
    reductions += [f"{name} {x.shape[-1]}→{out.shape[-1]}" for name, x, out in pools
                   if "max" in name.lower() and out.dim() == 4 and out.shape[-1] < x.shape[-1]]
    checks.append(Check("four stages C1, C2, C3, C4, then the output",
                        (sizes or "no c1..c4 modules") + (f"; reduced by {', '.join(reductions)}" if reductions else ""),
                        found == list(STAGES),
                        f"name the four blocks self.c1 ... self.c4 (missing: {', '.join(n for n in STAGES if n not in found)})"))

    out_ok = logits.dim() == 2 and logits.shape[1] == 10
    checks.append(Check("10 logits an image", f"output shape {tuple(logits.shape)}", out_ok,
                        "end with a layer of 10 outputs, flattened to (batch, 10)"))

    if history:
        reached = [h for h in history if h["test_acc"] >= TARGET_ACCURACY]
        best = max(history, key=lambda h: h["test_acc"])
        measured = (f"{reached[0]['test_acc']:.2f}% first at epoch {reached[0]['epoch']} (final {history[-1]['test_acc']:.2f}%)"
                    if reached else f"best {best['test_acc']:.2f}% at epoch {best['epoch']} of {len(history)}")
        checks.append(Check("test accuracy of 85%", measured, bool(reached),
                            "train the full 30 epochs on all images first; then more capacity where the maps are large"))
    return checks


def format_checks(checks):
    """The checks as a table: rule, measured, PASS or FAIL, and what to change for a failure."""
    width = max(len(c.rule) for c in checks)
    lines = [f"{'rule':<{width}}  {'':4}  measured"]
    for c in checks:
        lines.append(f"{c.rule:<{width}}  {'PASS' if c.passed else 'FAIL'}  {c.measured}")
        if not c.passed:
            lines.append(f"{'':<{width}}        → {c.fix}")
    passed = sum(c.passed for c in checks)
    lines.append(f"{passed} of {len(checks)} rules pass" + ("" if passed < len(checks) else ": the assignment is met"))
    return "\n".join(lines)
