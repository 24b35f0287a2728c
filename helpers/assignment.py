"""The course's assignment, checked: one call on any network gives each rule, what was measured,
pass or fail (or why it could not be checked), and for a failure what to change. Notebook 03,
"Your turn", and the README state the rules; `Net` is the kit's own answer.

    check_assignment   model (optionally its run's history and augmentation) → a list of Check rows
    format_checks      those rows as a table a student reads at a glance
    rules_record       the rows as metrics.json records them: broken, not checked (with why), variants

What is measured comes from one forward pass on a dummy 32x32 batch, followed tensor by tensor
(machinery/forward_trace.py): nn modules and the functions forward calls alike, so an
`F.max_pool2d`, an `F.conv2d(..., dilation=2)` or an `x.amax((2, 3))` in forward counts as surely
as a module. The receptive field is the one of the map entering global average pooling (notebook
02's convention), computed along the layers and measured with gradients on that map.
"""
import re
from dataclasses import dataclass

import torch
import torch.nn as nn

from helpers.machinery.forward_trace import trace_forward
from helpers.model import count_parameters
from helpers.receptive_field import measure_network_field, spatial_layers

MAX_PARAMETERS = 200_000
MIN_RECEPTIVE_FIELD = 45  # "more than 44"
TARGET_ACCURACY = 85.0
STAGES = ("c1", "c2", "c3", "c4")
STAGE_NAMES = re.compile(r"^c_?([1-4])$", re.IGNORECASE)  # c1, C1, c_1: the course's names for the four blocks
# The course's augmentations, by their Albumentations 2.x class names (ShiftScaleRotate is Affine in 2.x).
AUGMENTATIONS = {"HorizontalFlip": ("HorizontalFlip",), "ShiftScaleRotate (Affine)": ("Affine", "ShiftScaleRotate"),
                 "CoarseDropout": ("CoarseDropout",)}


@dataclass
class Check:
    rule: str
    measured: str
    passed: object  # True, False, or None: not checked (`measured` says why)
    fix: str = ""
    kind: str = "rule"  # "rule": the assignment; "variant" and "bonus": the course's variants, reported beside


def check_assignment(model, history=None, augmentation=None, input_size=32, measure=True):
    """Each rule of the assignment as a Check, for any network that runs on a 32x32 batch.
    `history`: the run's epochs (fit's return value, or metrics.json's "epochs"), for the accuracy
    rule; `augmentation`: the Albumentations pipeline that trained (an A.Compose, or the A.to_dict
    that metrics.json records). A rule that cannot be checked says why, and the others still run.
    `measure=False`: one forward pass and nothing more (the RF computed, not measured with gradients)."""
    params = count_parameters(model)
    checks = [Check("parameters under 200,000", f"{params:,}", params < MAX_PARAMETERS,
                    f"{params - MAX_PARAMETERS + 1:,} too many: fewer channels, or depthwise separable convolutions "
                    f"where the channels are many")]
    stages, hooks = {}, []
    for path, module in _stage_modules(model).items():
        hooks.append(module.register_forward_hook(lambda m, i, o, path=path: stages.setdefault(path, o)))
    try:
        trace = trace_forward(model, input_size)
        trace.measure = measure
    except Exception as error:  # the network's own forward fails: nothing else can be measured
        why = f"not checked: the forward pass fails on a batch of {input_size}x{input_size} images ({_line(error)})"
        return checks + [Check(rule, why, None, "") for rule in _MODEL_RULES] + _run_rules(history, augmentation)
    finally:
        for hook in hooks:
            hook.remove()
    for rule, check in zip(_MODEL_RULES, _MODEL_CHECKS):
        try:
            checks.append(check(model, trace, stages, input_size))
        except Exception as error:  # a form the checker cannot read: this rule alone is not checked
            checks.append(Check(rule, f"not checked: the checker cannot read this network here ({_line(error)})", None))
    return checks + _run_rules(history, augmentation)


def _stage_modules(model):
    """{"c1": module, ...}: the model's top-level blocks named c1..c4 (or C1, c_1, ...)."""
    return {f"c{match.group(1)}": module for path, module in model.named_children()
            if (match := STAGE_NAMES.match(path))}


def _line(error):
    first = (str(error).strip().splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _convs(trace):
    return [op for op in spatial_layers(trace) if op.kind == "conv"]


def _describe_conv(op):
    """A convolution as it is: "C3 depthwise 3x3 conv 64→64 (groups=64), stride 2" — kernel,
    channels, groups, and each of stride, padding and dilation where it is not the plain one."""
    kind = "depthwise " if op.groups == op.in_channels > 1 else "grouped " if op.groups > 1 else ""
    text = f"{kind}{op.kernel}x{op.kernel} conv {op.in_channels}→{op.out_channels}"
    text += f" (groups={op.groups})" if op.groups > 1 else ""
    keeps_size = op.dilation * (op.kernel - 1) // 2
    text += f", stride {op.stride}" if op.stride > 1 else ""
    text += f", padding {op.padding}" if op.padding != keeps_size or op.n_out < op.n_in else ""
    text += f", dilation {op.dilation}" if op.dilation > 1 else ""
    return text + ("" if op.name.startswith("nn.") else " (F.conv2d in forward)")


def _where(op):
    top = op.path.split(".")[0]
    return top.upper() if top.lower() in STAGES else (top or "forward")


def _max_pooling(model, trace, stages, size):
    found = [op for op in trace.ops if op.kind == "max"]
    names = []
    for op in found:
        shape = "global" if op.is_global else f"{op.n_in}→{op.n_out}" if not getattr(op, "reshaped", False) else "tiles"
        names.append(f"{op.name} ({shape})" if not getattr(op, "reshaped", False) else f"{op.name} over tiles of a reshaped map")
    return Check("no max-pooling", "; ".join(dict.fromkeys(names)) or "none", not found,
                 "downsample with a stride-2 convolution (or a dilated one without padding) instead, and pool globally "
                 "with an average (nn.AdaptiveAvgPool2d(1))")


def _separable(model, trace, stages, size):
    convs = _convs(trace)
    pairs = [(a, b) for a, b in zip(convs, convs[1:]) if a.groups == a.in_channels > 1 and a.kernel > 1
             and b.kernel == 1 and b.in_channels == a.out_channels and b.groups == 1]
    measured = (f"{len(pairs)}: {_describe_conv(pairs[0][0])} + pointwise {_describe_conv(pairs[0][1])}"
                if pairs else "none")
    return Check("a depthwise separable convolution", measured, bool(pairs),
                 "add a Conv2d(c, c, 3, padding=1, groups=c) followed by a Conv2d(c, c_out, 1) "
                 "(helpers.model.DepthwiseSeparable)")


def _dilated(model, trace, stages, size):
    dilated = [op for op in _convs(trace) if op.dilation > 1]
    measured = f"{len(dilated)}: " + "; ".join(f"{_where(op)} {_describe_conv(op)}" for op in dilated[:3]) if dilated else "none"
    return Check("a dilated convolution", measured, bool(dilated),
                 "give one 3x3 convolution dilation=2 (and padding=2 to keep the size)")


def _global_average(model, trace, stages, size):
    pool = trace.pool
    fix = "end with nn.AdaptiveAvgPool2d(1) (or x.mean((2, 3))) over the whole last map, then the classifier"
    if pool is None:
        flattened = any(m.startswith(("nn.Linear", "F.linear")) for m in _mixers_after_last_map(trace))
        return Check("global average pooling before the classifier",
                     "none" + (": the classifier reads the flattened map" if flattened else ""), False, fix)
    positions = pool.n_in * pool.n_in if not getattr(pool, "reshaped", False) else pool.covered
    what = f"a {pool.n_in}x{pool.n_in} map" if not getattr(pool, "reshaped", False) else f"{positions} positions"
    if pool.kind == "max":
        return Check("global average pooling before the classifier", f"{pool.name}: a global max of {what}, not an average",
                     False, fix)
    if pool.covered < positions:
        return Check("global average pooling before the classifier",
                     f"{pool.name} averages {pool.covered} of the {positions} positions of {what}: "
                     f"{positions - pool.covered} never reach the classifier", False,
                     f"make the pool cover the map (kernel = map size, {pool.n_in}, stride 1), or use nn.AdaptiveAvgPool2d(1)")
    after = trace.ops[next(i for i, op in enumerate(trace.ops) if op is pool) + 1:]
    late = [op for op in after if op.kind == "conv" and op.kernel > 1]
    measured = f"{pool.name} of {what}" + (f", then a {late[0].kernel}x{late[0].kernel} convolution on 1x1" if late else "")
    return Check("global average pooling before the classifier", measured, not late,
                 "after global pooling only the classifier (a Linear or a 1x1 convolution): " + fix if late else fix)


def _mixers_after_last_map(trace):
    return set(trace.output_mixers) if hasattr(trace, "output_mixers") else set()


def _receptive_field(model, trace, stages, size):
    rule, fix = "receptive field above 44", "more 3x3 layers after a stride, a stride earlier, or a dilated convolution"
    final = trace.final
    if final is None:
        return Check(rule, "not checked: the network has no map with positions", None, fix)
    computed = final.r
    measured, why = (measure_network_field(model, trace, size) if trace.measure else
                     (None, "only one forward pass was asked for (measure=False)"))
    where = "the map entering global average pooling" if trace.pool else "the last map (no global pooling)"
    if computed is not None and measured == computed:
        rf, text = computed, f"{computed} computed, {measured} measured ({where})"
    elif computed is not None and measured is None:
        rf, text = computed, f"{computed} computed ({where}; not measured: {why})"
    elif computed is None and measured is not None:
        rf, text = measured, (f"{measured} measured with gradients ({where}; not computed: the recurrence does not "
                              f"follow {', '.join(trace.unknown)})")
    elif measured is not None:  # both, and they differ: the gradients say what reaches an output
        rf, text = measured, (f"{measured} measured with gradients, {computed} computed ({where}): the recurrence "
                              f"misreads an operation of this network, so the measurement decides")
    else:
        return Check(rule, f"not checked: neither computed (the recurrence does not follow {', '.join(trace.unknown)}) "
                           f"nor measured ({why})", None, fix)
    if final.mixers:
        text += f"; {', '.join(sorted(final.mixers))} also mixes all positions, which the rule does not count"
    return Check(rule, text, rf >= MIN_RECEPTIVE_FIELD, fix)


def _stages(model, trace, stages, size):
    found = [name for name in STAGES if name in stages and isinstance(stages[name], torch.Tensor)]
    sizes = " → ".join(f"{name.upper()} {stages[name].shape[-2]}x{stages[name].shape[-1]}" for name in found
                       if stages[name].dim() == 4)
    reductions = _reductions(trace)
    measured = (sizes or "no c1..c4 modules") + (f"; reduced by {', '.join(reductions)}" if reductions else "")
    missing = ", ".join(n for n in STAGES if n not in found)
    return Check("four stages C1, C2, C3, C4, then the output", measured, found == list(STAGES),
                 f"name the four blocks self.c1 ... self.c4 (missing: {missing})")


def _reductions(trace):
    """Each operation before the global pooling that makes the map smaller, described as it is."""
    out = []
    for op in spatial_layers(trace):
        if op.n_out < op.n_in and not getattr(op, "reshaped", False):
            what = _describe_conv(op) if op.kind == "conv" else f"{op.name} {op.kernel}x{op.kernel}"
            out.append(f"{_where(op)} {what} ({op.n_in}→{op.n_out})")
        elif getattr(op, "reshaped", False):
            out.append(f"{_where(op)} {op.name} over {op.kernel}x{op.kernel} tiles")
    return out


def _logits(model, trace, stages, size):
    out = trace.output
    ok = isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[1] == 10
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
    return Check("10 logits an image", f"output {shape} for a batch of 2", ok,
                 "end with a layer of 10 outputs, flattened to (batch, 10)")


def _three_strides(model, trace, stages, size):
    strided = [op for op in _convs(trace) if op.stride == 2 and op.kernel == 3 and op.n_out < op.n_in]
    measured = f"{len(strided)}" + (": " + ", ".join(f"{_where(op)} {_describe_conv(op)}" for op in strided) if strided else "")
    return Check("variant: three stride-2 3x3 convolutions in place of max-pooling", measured, len(strided) == 3,
                 "three of the convolutions that shrink the map: 3x3 with stride 2", kind="variant")


def _dilation_alone(model, trace, stages, size):
    """The bonus: no stride and no pooling; the map shrinks only by convolutions without padding,
    at least one of them dilated."""
    shrinking = [op for op in spatial_layers(trace) if op.n_out < op.n_in or op.stride > 1 or getattr(op, "reshaped", False)]
    others = [op for op in shrinking if op.kind != "conv" or op.stride > 1]
    dilated = [op for op in shrinking if op.kind == "conv" and op.stride == 1 and op.dilation > 1]
    met = bool(dilated) and not others
    if met:
        measured = "yes: " + ", ".join(f"{_where(op)} {_describe_conv(op)} ({op.n_in}→{op.n_out})" for op in dilated)
    else:
        measured = "no: " + (", ".join(_reductions(trace)) if others else "no dilated convolution shrinks the map")
    return Check("bonus: downsampled by dilation alone", measured, met,
                 "shrink the map with dilated convolutions without padding (3x3, dilation 8: 32→16), no stride or pooling",
                 kind="bonus")


_MODEL_RULES = ("no max-pooling", "a depthwise separable convolution", "a dilated convolution",
                "global average pooling before the classifier", "receptive field above 44",
                "four stages C1, C2, C3, C4, then the output", "10 logits an image",
                "variant: three stride-2 3x3 convolutions in place of max-pooling", "bonus: downsampled by dilation alone")
_MODEL_CHECKS = (_max_pooling, _separable, _dilated, _global_average, _receptive_field, _stages, _logits,
                 _three_strides, _dilation_alone)


def _run_rules(history, augmentation):
    """The rules read from the run rather than the model: its augmentation and its accuracy."""
    return [_augmentation_rule(augmentation), _accuracy_rule(history)]


def _transforms(augmentation):
    """(class name, p) of every transform in a pipeline (an A.Compose or A.to_dict's dict), nested ones too."""
    if not isinstance(augmentation, dict):
        import albumentations as A
        augmentation = A.to_dict(augmentation)
    found = []

    def walk(node):
        if isinstance(node, dict):
            name = node.get("__class_fullname__")
            if name:
                found.append((name.rsplit(".", 1)[-1], node.get("p", 1.0)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(augmentation.get("transform", augmentation))
    return found


def _augmentation_rule(augmentation):
    rule = "augmentation: HorizontalFlip, ShiftScaleRotate (Affine), CoarseDropout"
    if augmentation is None:
        return Check(rule, "not checked: no pipeline given (check_assignment(model, history, augmentation=the Compose "
                           "that trained), or the run's metrics.json)", None)
    try:
        transforms = _transforms(augmentation)
    except Exception as error:
        return Check(rule, f"not checked: the pipeline cannot be read ({_line(error)})", None)
    missing, never = [], []
    for wanted, names in AUGMENTATIONS.items():
        used = [p for name, p in transforms if name in names]
        if not used:
            missing.append(wanted)
        elif max(used) <= 0:
            never.append(wanted)
    listed = ", ".join(f"{name}(p={p:g})" for name, p in transforms if name != "Compose") or "no transforms"
    problems = [f"missing {', '.join(missing)}"] * bool(missing) + [f"{', '.join(never)} with p=0 never runs"] * bool(never)
    return Check(rule, listed + (f"; {'; '.join(problems)}" if problems else ""), not problems,
                 "add A.HorizontalFlip, A.Affine (2.x's ShiftScaleRotate) and A.CoarseDropout to the pipeline, each with p > 0")


def _accuracy_rule(history):
    rule = "test accuracy of 85%"
    if not history:
        return Check(rule, "not checked: no run's history given (train first: notebook 04, or check_assignment(model, "
                           "history))", None)
    reached = [h for h in history if h["test_acc"] >= TARGET_ACCURACY]
    best = max(history, key=lambda h: h["test_acc"])
    measured = (f"{reached[0]['test_acc']:.2f}% first at epoch {reached[0]['epoch']} (final {history[-1]['test_acc']:.2f}%)"
                if reached else f"best {best['test_acc']:.2f}% at epoch {best['epoch']} of {len(history)}")
    return Check(rule, measured, bool(reached),
                 "train the full 30 epochs on all images first; then more capacity where the maps are large")


def format_checks(checks):
    """The checks as a table: rule, PASS / FAIL / "-" (not checked), what was measured, and what to
    change for a failure. The course's variants come last, answered yes or no."""
    width = max(len(c.rule) for c in checks)
    lines = [f"{'rule':<{width}}  {'':4}  measured"]
    for c in checks:
        mark = ("-" if c.passed is None else "PASS" if c.passed else "FAIL") if c.kind == "rule" else \
               ("yes" if c.passed else "no")
        lines.append(f"{c.rule:<{width}}  {mark:<4}  {c.measured}")
        if c.passed is False and c.kind == "rule":
            lines.append(f"{'':<{width}}        → {c.fix}")
    rules = [c for c in checks if c.kind == "rule"]
    checked = [c for c in rules if c.passed is not None]
    passed = sum(bool(c.passed) for c in checked)
    summary = f"{passed} of {len(checked)} rules checked pass"
    if len(checked) < len(rules):
        summary += f"; not checked: {', '.join(c.rule for c in rules if c.passed is None)}"
    elif passed == len(rules):
        summary += ": the assignment is met"
    return "\n".join(lines + [summary])


def rules_record(checks):
    """What a run records of the checks (metrics.json): the rules broken, those not checked with why,
    and the variants met. Lists, never null."""
    rules = [c for c in checks if c.kind == "rule"]
    return {"assignment_rules_broken": [c.rule for c in rules if c.passed is False],
            "assignment_rules_not_checked": [{"rule": c.rule, "why": c.measured} for c in rules if c.passed is None],
            "assignment_variants": {c.rule: bool(c.passed) for c in checks if c.kind != "rule"}}
