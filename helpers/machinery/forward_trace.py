"""What one forward pass does to the image's positions, read from the pass itself.

    trace_forward   run a model on one batch and follow every tensor from the input: each
                    convolution and pooling (as an nn module or a function called in forward),
                    each reduction over positions, each operation that mixes all positions
    Trace           the result: .ops (the spatial operations in the order they ran), .pool (the
                    global pooling before the classifier, if any), .final (the map entering it,
                    or the last map), .unknown (operations the recurrence cannot follow)
    run_until       the map .final names, from a forward pass on another input (for measuring)

Every tensor the pass makes gets a `Field`: the jump j and receptive field r of its positions
(the recurrence of notebook 02, applied to whatever ran: a residual add or a concatenation keeps
the larger field of its inputs), which of its dimensions are positions, and which operations on
the way mixed all positions (attention, GroupNorm, a gate computed from a global mean). A
reshape keeps track of which dimensions hold positions, so a max over a reshaped tile is still
max pooling and a channel max (CBAM) is not.
"""
from dataclasses import dataclass, field, replace
from math import prod

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from helpers.machinery.device import evaluation_mode

POSITIONS, CHANNELS, MIXED = "p", "c", "m"  # what a dimension of a tensor holds

CONVOLUTIONS = {"conv2d"}
MAX_POOLS = {"max_pool2d", "max_pool2d_with_indices", "_max_pool2d", "adaptive_max_pool2d",
             "adaptive_max_pool2d_with_indices", "_adaptive_max_pool2d"}
AVG_POOLS = {"avg_pool2d", "adaptive_avg_pool2d"}
REDUCTIONS = {"mean": "avg", "sum": "avg", "nanmean": "avg", "amax": "max", "max": "max", "logsumexp": "max"}
RESHAPES = {"view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "view_as", "reshape_as"}
PERMUTES = {"permute", "transpose", "swapaxes", "swapdims", "movedim", "t"}
CONTRACTIONS = {"matmul", "__matmul__", "bmm", "mm", "baddbmm", "einsum", "linear", "scaled_dot_product_attention",
                "multi_head_attention_forward"}
NORMS_OVER_POSITIONS = {"group_norm", "instance_norm", "layer_norm"}
NOT_FOLLOWED = {"interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "grid_sample", "roll",
                "conv_transpose2d", "conv1d", "conv3d", "lp_pool2d", "fractional_max_pool2d"}
IGNORED = {"size", "dim", "numel", "is_contiguous", "_set_grad_enabled", "__len__", "__iter__",
           "__bool__", "__format__", "__repr__", "item", "tolist", "data_ptr", "stride", "storage_offset"}


@dataclass(frozen=True)
class Field:
    """The positions of one tensor: which dimensions hold them, the jump j (input pixels between
    neighbours), the RF r and the centre c0 of position 0 (in input pixels), and the operations
    that mixed all positions into it. r is None where an operation the recurrence cannot follow ran."""
    dims: tuple
    j: int = 1
    r: object = 1
    c0: float = 0.0
    mixers: frozenset = frozenset()
    n: int = 0  # the map's side, for a (B, C, H, W) map
    at: tuple = None  # the call that made this map (function, index, "output"): run_until finds it again
    pooled: object = None  # the map's Field before a mean or max over one of its axes began pooling it

    @property
    def is_map(self):
        """A (B, C, H, W) map whose last two dimensions are positions."""
        return len(self.dims) == 4 and self.dims[2:] == (POSITIONS, POSITIONS)


@dataclass(eq=False)
class Op:
    """One spatial operation as it ran: what it is ("conv", "max", "avg"), what forward called
    ("nn.Conv2d", "F.conv2d", "x.mean", ...), the module it ran in, and the numbers of the recurrence."""
    kind: str
    name: str
    path: str
    module: object
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    in_channels: int = 0
    out_channels: int = 0
    n_in: int = 0
    n_out: int = 0
    field_in: Field = None
    field_out: Field = None
    covered: int = 0  # positions a pooling reads, of n_in * n_in
    is_global: bool = False
    index: int = 0  # the call's place among calls of the same function: run_until finds it again


@dataclass
class Trace:
    ops: list
    pool: Op = None  # the last pooling that leaves no positions: the global pooling before the classifier
    final: Field = None  # the map entering `pool`, or the last map when there is none
    final_at: tuple = None  # (function, index, "input"/"output") of that map, for run_until
    unknown: list = field(default_factory=list)  # operations the recurrence cannot follow, by name
    output: object = None
    spatial_maps: list = field(default_factory=list)


def _first(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def _argument(args, kwargs, position, name, default):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _tensors(values):
    for value in values:
        if isinstance(value, torch.Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _tensors(value)


def _reshaped_dims(in_shape, in_dims, out_shape):
    """Which input dimensions each output dimension of a reshape is made of: positions only, no
    positions, or both (the flattened map of a classifier without global pooling)."""
    def spans(shape):
        out, inner = [], 1
        for size in reversed(shape):
            out.append((inner, inner * size))
            inner *= size
        return out[::-1]
    in_spans, out_dims = spans(in_shape), []
    for size, (low, high) in zip(out_shape, spans(out_shape)):
        kinds = {in_dims[i] for i, (a, b) in enumerate(in_spans) if in_shape[i] > 1 and a < high and low < b}
        out_dims.append(CHANNELS if size == 1 or not kinds else kinds.pop() if len(kinds) == 1 else MIXED)
    return tuple(out_dims)


class _Tracer(TorchFunctionMode):
    def __init__(self, model):
        super().__init__()
        self.fields, self.keep = {}, []  # id(tensor) → Field; the tensors themselves, so ids stay unique
        self.ops, self.unknown, self.calls, self.stack = [], [], {}, [("", model)]
        self.spatial_maps = []  # (function, index, Field) of each map a convolution or pooling made, in order
        self.latest_map = None  # the Field of the last (B, C, H, W) map any operation made

    def set(self, tensor, value):
        self.fields[id(tensor)] = value
        self.keep.append(tensor)

    def get(self, tensor):
        return self.fields.get(id(tensor)) if isinstance(tensor, torch.Tensor) else None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name in IGNORED:
            return out
        index = self.calls[name] = self.calls.get(name, -1) + 1
        self.func = func
        try:
            self.follow(name, index, args, kwargs, out)
        except Exception:  # a form the tracer does not know must not stop the student's forward
            self.unknown.append(name)
        return out

    def where(self):
        path, module = self.stack[-1]
        return path, module

    def follow(self, name, index, args, kwargs, out):
        inputs = [(t, self.get(t)) for t in _tensors(list(args) + list(kwargs.values()))]
        known = [(t, f) for t, f in inputs if f is not None]
        if not known:
            return
        x, fx = known[0]
        result = out[0] if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor) else out
        if not isinstance(result, torch.Tensor):
            return
        if name in CONVOLUTIONS and fx.is_map:
            self.spatial(name, index, "conv", x, fx, result, args, kwargs)
        elif (name in MAX_POOLS or name in AVG_POOLS) and fx.is_map:
            self.spatial(name, index, "max" if "max" in name else "avg", x, fx, result, args, kwargs)
        elif name in REDUCTIONS and self.reduce(name, index, x, fx, result, args, kwargs):
            pass  # reduce() has set the output's field
        elif name in RESHAPES:
            self.set(result, replace(fx, dims=_reshaped_dims(tuple(x.shape), fx.dims, tuple(result.shape))))
        elif name in PERMUTES:
            self.set(result, replace(fx, dims=self.permuted(name, fx.dims, args, kwargs)))
        elif name == "__get__":  # an attribute: x.T and x.mT transpose, x.data is x
            attribute = getattr(getattr(self.func, "__self__", None), "__name__", "")
            dims = {"T": fx.dims[::-1], "mT": fx.dims[:-2] + fx.dims[:-3:-1]}.get(attribute, fx.dims)
            if result.dim() == len(dims):
                self.set(result, replace(fx, dims=dims))
        elif name in CONTRACTIONS:
            self.contract(name, known, result, args)
        elif name == "pad" and fx.is_map:
            pad = list(_argument(args, kwargs, 1, "pad", ())) + [0, 0, 0, 0]
            self.set(result, replace(fx, c0=fx.c0 - pad[0] * fx.j))
        elif name in NOT_FOLLOWED:
            self.unknown.append(f"F.{name}")
            self.set(result, replace(fx, dims=fx.dims if result.dim() == len(fx.dims) else (CHANNELS,) * result.dim(),
                                     r=None))
        else:
            self.merge(name, known, out)
        if name in NORMS_OVER_POSITIONS and fx.is_map and (name != "layer_norm" or len(args[1]) >= 2):
            self.set(result, replace(self.get(result), mixers=self.get(result).mixers | {self.called(name)}))
        made = self.get(result)
        if made is not None and made.is_map:  # a (B, C, H, W) map: remember which call made it
            self.latest_map = replace(made, n=result.shape[-1], at=(name, index, "output"))
            self.set(result, self.latest_map)
        if isinstance(out, (tuple, list)):  # max with a dim gives (values, indices); chunk and split give pieces
            for piece in out:
                if isinstance(piece, torch.Tensor) and piece is not result and self.get(piece) is None:
                    self.set(piece, self.get(result))

    def called(self, name):
        """'nn.GroupNorm' when a module called it, else 'F.group_norm' / 'x.mean' (in forward)."""
        path, module = self.where()
        owner = type(module)
        if owner.__module__.startswith("torch.nn"):
            return f"nn.{owner.__name__}"
        return f"{'x.' if name in REDUCTIONS or name in ('softmax',) else 'F.'}{name} (in {owner.__name__}.forward)"

    def spatial(self, name, index, kind, x, fx, out, args, kwargs):
        n_in = x.shape[-1]
        if name == "conv2d":
            weight = _argument(args, kwargs, 1, "weight", None)
            kernel = weight.shape[-1]
            stride = _first(_argument(args, kwargs, 3, "stride", 1))
            padding = _argument(args, kwargs, 4, "padding", 0)
            dilation = _first(_argument(args, kwargs, 5, "dilation", 1))
            groups = _argument(args, kwargs, 6, "groups", 1)
            if padding == "same":
                padding = dilation * (kernel - 1) // 2
            padding = 0 if padding == "valid" else _first(padding)
            extra = dict(groups=groups, in_channels=x.shape[1], out_channels=out.shape[1])
        elif name.startswith("adaptive"):
            n_out = out.shape[-1]
            stride = n_in // n_out
            kernel, padding, dilation, extra = n_in - (n_out - 1) * stride, 0, 1, {}
        else:
            kernel = _first(_argument(args, kwargs, 1, "kernel_size", 1))
            stride = _first(_argument(args, kwargs, 2, "stride", None) or kernel)
            padding = _first(_argument(args, kwargs, 3, "padding", 0))
            dilation = _first(_argument(args, kwargs, 4, "dilation", 1)) if "max" in name else 1
            extra = {}
        k_eff = dilation * (kernel - 1) + 1
        fout = Field(fx.dims, fx.j * stride, None if fx.r is None else fx.r + (k_eff - 1) * fx.j,
                     fx.c0 + ((k_eff - 1) / 2 - padding) * fx.j, fx.mixers)
        n_out = out.shape[-1]
        rows = set()
        for o in range(n_out):  # the input positions the windows read (padding aside)
            rows.update(range(max(0, o * stride - padding), min(n_in, o * stride - padding + k_eff), dilation))
        op = Op(kind, self.module_name(name), self.where()[0], self.where()[1], kernel, stride, padding, dilation,
                n_in=n_in, n_out=n_out, field_in=fx, field_out=fout, covered=len(rows) ** 2,
                is_global=kind != "conv" and out.shape[-1] * out.shape[-2] == 1 < n_in * x.shape[-2], index=index,
                **extra)
        op.call = name
        self.ops.append(op)
        self.set(out, fout)
        if op.is_global:
            self.set(out, replace(fout, dims=fx.dims[:2] + (CHANNELS, CHANNELS), mixers=fx.mixers | {op.name}))
        else:
            self.spatial_maps.append((name, index, fout))

    def module_name(self, name):
        path, module = self.where()
        if type(module).__module__.startswith("torch.nn"):
            return f"nn.{type(module).__name__}"
        return f"F.{name.lstrip('_')} (in {type(module).__name__}.forward)"

    def reduce(self, name, index, x, fx, out, args, kwargs):
        """mean / sum / amax / max over some dimensions: pooling when they hold positions."""
        dims = _argument(args, kwargs, 1, "dim", None)
        if dims is None or (name == "max" and not isinstance(dims, (int, tuple, list))):
            dims = tuple(range(x.dim())) if dims is None else ()
        dims = {d % x.dim() for d in ((dims,) if isinstance(dims, int) else dims)}
        if not dims:
            return False  # torch.max(a, b): elementwise
        keepdim = _argument(args, kwargs, 2, "keepdim", False)
        kept = tuple(CHANNELS if d in dims else kind for d, kind in enumerate(fx.dims) if keepdim or d not in dims)
        reduced = [d for d in dims if fx.dims[d] in (POSITIONS, MIXED) and x.shape[d] > 1]
        if not reduced:  # over channels (CBAM's channel mean and max): the positions stay
            self.set(out, replace(fx, dims=kept if len(kept) == out.dim() else (CHANNELS,) * out.dim()))
            return True
        left = [d for d, kind in enumerate(fx.dims) if kind != CHANNELS and d not in dims and x.shape[d] > 1]
        kind, called = REDUCTIONS[name], self.called(name)
        tiles = fx.dims.count(POSITIONS) > 2  # x.reshape(b, c, 16, 2, 16, 2).amax((3, 5)): 2x2 tiles
        if left and not tiles:  # one whole axis of the map (x.mean(3)): the first half of a global pooling
            self.set(out, replace(fx, dims=kept, pooled=fx.pooled or fx))
            return True
        base = fx.pooled or fx  # the map before the pooling began
        if left:  # tiles: a k x k pooling with stride k, k the tile's side
            k = round(prod(x.shape[d] for d in reduced) ** 0.5)
            positions, n_in, n_out = 0, x.shape[-1], out.shape[-1]
        else:  # every position of the map: global pooling
            positions = base.n * base.n if base.is_map and base.n else prod(x.shape[d] for d in reduced)
            k, n_in, n_out = base.n or positions, base.n or positions, 1
        op = Op(kind, called, self.where()[0], self.where()[1], kernel=k, stride=k, n_in=n_in, n_out=n_out,
                field_in=base, covered=positions, is_global=not left, index=index)
        op.call, op.reshaped = name, not base.is_map
        if left:
            op.field_out = replace(fx, dims=kept, j=fx.j * k, r=None if fx.r is None else fx.r + (k - 1) * fx.j)
        else:
            op.field_out = replace(base, dims=(CHANNELS,) * len(kept), mixers=base.mixers | {called})
        self.ops.append(op)
        self.set(out, op.field_out)
        return True

    @staticmethod
    def permuted(name, dims, args, kwargs):
        rest = [a for a in args[1:]]
        if name == "permute":
            order = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
            order = order or _argument(args, kwargs, 1, "dims", ())
            return tuple(dims[d] for d in order)
        if name == "t":
            return dims[::-1]
        if name == "movedim":
            out = list(dims)
            kind = out.pop(rest[0])
            out.insert(rest[1] % len(dims), kind)
            return tuple(out)
        a, b = (rest + [0, 1])[:2]
        out = list(dims)
        out[a], out[b] = out[b], out[a]
        return tuple(out)

    def contract(self, name, known, result, args):
        """A product over a dimension: when that dimension holds positions, every output reads every
        position (attention's softmax(QK^T) V; a Linear over a flattened map)."""
        fields = [f for _, f in known]
        mixed = set().union(*(f.mixers for f in fields))
        x, fx = known[0]
        if name == "linear":
            over_positions = fx.dims[-1] != CHANNELS
            dims = fx.dims[:-1] + (CHANNELS,)
        elif name in ("scaled_dot_product_attention", "multi_head_attention_forward"):
            over_positions, dims = True, fx.dims
        elif name == "einsum":
            over_positions, dims = any(f.dims and POSITIONS in f.dims for f in fields), (CHANNELS,) * result.dim()
        else:
            a = self.get(args[0]) if len(args) > 0 else None
            b = self.get(args[1]) if len(args) > 1 else None
            over_positions = bool((a and a.dims and a.dims[-1] != CHANNELS) or
                                  (b and len(b.dims) >= 2 and b.dims[-2] != CHANNELS))
            dims = ((a.dims[:-1] if a else (CHANNELS,) * (result.dim() - 1)) + ((b.dims[-1],) if b and b.dims else (CHANNELS,)))
            dims = dims[-result.dim():] if len(dims) >= result.dim() else (CHANNELS,) * result.dim()
        if over_positions:
            mixed.add(self.called(name))
        self.set(result, replace(fx, dims=dims, r=_largest(fields), mixers=frozenset(mixed)))

    def merge(self, name, known, out):
        """Any other operation (activations, norms, adds, concatenations, gates): the output keeps
        the layout of its largest input and the widest field of its inputs; an input without
        positions (a gate from a global mean) brings the mixing it came from."""
        result = out[0] if isinstance(out, (tuple, list)) else out
        x, fx = max(known, key=lambda tf: (tf[0].dim() == result.dim(), tf[0].numel()))
        mixed = set().union(*(f.mixers for _, f in known))
        dims = fx.dims if result.dim() == len(fx.dims) else (CHANNELS,) * result.dim()
        self.set(result, replace(fx, dims=dims, r=_largest([f for _, f in known]), mixers=frozenset(mixed)))


def _largest(fields):
    rs = [f.r for f in fields]
    return None if any(r is None for r in rs) else max(rs)


def trace_forward(model, input_size=32, batch=2, channels=3):
    """Run `model` in eval mode, without gradients, on a zero batch of `input_size` images, and
    follow every tensor from the input. Errors in the model's own forward are raised as they are."""
    tracer = _Tracer(model)
    hooks = []
    for path, module in model.named_modules():
        if path:
            hooks.append(module.register_forward_pre_hook(lambda m, i, path=path: tracer.stack.append((path, m)) and None))
            hooks.append(module.register_forward_hook(lambda m, i, o: tracer.stack.pop() and None))
    device = next(model.parameters(), torch.empty(0)).device
    x = torch.zeros(batch, channels, input_size, input_size, device=device)
    try:
        with evaluation_mode(model), torch.no_grad(), tracer:
            tracer.set(x, Field((CHANNELS, CHANNELS, POSITIONS, POSITIONS), c0=0.0, n=input_size))
            output = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    trace = Trace(tracer.ops, unknown=sorted(set(tracer.unknown)), output=output,
                  spatial_maps=tracer.spatial_maps)
    pools = [op for op in tracer.ops if op.is_global and op.kind in ("avg", "max") and op.field_in is not None]
    if pools:
        trace.pool = pools[-1]
        trace.final = trace.pool.field_in
        trace.final_at = trace.final.at or (trace.pool.call, trace.pool.index, "input")
    elif tracer.latest_map is not None:
        trace.final, trace.final_at = tracer.latest_map, tracer.latest_map.at
    return trace


class _Stop(Exception):
    def __init__(self, tensor):
        self.tensor = tensor


class _StopAt(TorchFunctionMode):
    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name, index, which = self.at
        if getattr(func, "__name__", "") == name:
            count = self.calls[name] = self.calls.get(name, -1) + 1
            if count == index:
                if which == "input":
                    raise _Stop(args[0])
                raise _Stop(func(*args, **kwargs))
        return func(*args, **kwargs)


def run_until(model, at):
    """x → the tensor the call `at` (Trace.final_at) takes or makes, running the model only that
    far: the layers after it, which may expect a 32x32 image (a fixed AvgPool2d, a Linear over a
    flattened map), never run."""
    def features(x):
        try:
            with _StopAt(at):
                model(x)
        except _Stop as stop:
            return stop.tensor
        raise RuntimeError(f"the forward pass did not reach its {at[1] + 1}th call of {at[0]} on this input")
    features.__self__ = model  # as for a bound method: the measurement finds the model's device and mode
    return features
