"""Where and how the kit computes: the device, the precision, the memory layout, the seed.

    pick_device       "auto" takes the GPU when there is one, and says what it took
    lower_precision   float16 on CUDA, bfloat16 on CPUs with bfloat16 instructions, else None
    run_precision     the one decision a run makes, from its recipe: that dtype, or None when mixed precision is off
    autocast          a context computing in that precision (weights stay float32)
    evaluation_mode   a context with the model in eval mode, its mode restored after
    gradient_scaler   the scaler float16 needs, or None
    to_device         a model on the device, channels-last
    seed_everything   one seed for Python, NumPy and torch

Why each choice: the optional notebook 06; what each brings: `python -m tools.bench`.
A run's history is therefore reproducible on one machine, not bit for bit across machines.
"""
import contextlib
import random

import numpy as np
import torch

from helpers import KitError


def pick_device(name="auto", log=print, recipe=None):
    """The torch.device to train on; 'auto' takes the GPU when there is one. The line it logs says
    the precision `recipe` computes in there (run_precision; None: the default recipe's)."""
    if name == "cuda" and not torch.cuda.is_available():
        raise KitError("--device cuda was asked for, but no CUDA GPU is visible: use --device auto or cpu "
                       "(on Colab: Runtime > Change runtime type > GPU).")
    if name not in ("auto", "cpu", "cuda"):
        raise KitError(f"unknown device {name!r}: use auto, cpu or cuda.")
    device = torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")
    dtype = run_precision(device, recipe)
    precision = (f"{str(dtype).removeprefix('torch.')} mixed precision" if dtype is not None
                 else "float32: mixed precision is off" if lower_precision(device) is not None
                 else "float32: this CPU has no bfloat16")
    if device.type == "cuda":
        log(f"device: {torch.cuda.get_device_name(device)} (CUDA, {precision}, channels-last)")
    else:
        log(f"device: CPU, {torch.get_num_threads()} threads, {precision}, channels-last"
            + (" (no CUDA GPU found)" if name == "auto" else ""))
    return device


def device_name(device):
    """For metrics.json: the GPU's name, or the CPU and its threads."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({torch.get_num_threads()} threads)"


def lower_precision(device):
    """The dtype autocast computes in on `device`, or None to stay in float32: float16 on a CUDA
    GPU (with a gradient scaler, for float16's narrow range), bfloat16 on a CPU with AVX512-BF16
    or AMX (float32's range, no scaler needed); other CPUs emulate bfloat16 slowly."""
    if device.type == "cuda":
        return torch.float16
    has_bf16 = any(getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return torch.bfloat16 if has_bf16 else None


def run_precision(device, recipe=None):
    """The dtype a run computes in, decided once from its recipe's `mixed_precision` (fit, predict,
    the LR range test, the benchmark) and passed down. `recipe`: a Recipe, a checkpoint's recipe
    (a dict), or None for the default recipe's (mixed precision on)."""
    mixed = recipe.get("mixed_precision", True) if isinstance(recipe, dict) else getattr(recipe, "mixed_precision", True)
    return lower_precision(torch.device(device)) if mixed else None


def autocast(device, dtype):
    """Autocast to `dtype` (weights and the optimiser stay float32), or float32 for None."""
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


@contextlib.contextmanager
def evaluation_mode(model):
    """`model` in eval mode for the block (BatchNorm with its running statistics, no dropout), then
    back in the mode it was in, however the block ends."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def gradient_scaler(dtype):
    """float16 needs a gradient scaler (it keeps small gradients from rounding to zero); others do not."""
    return torch.amp.GradScaler("cuda") if dtype == torch.float16 else None


def to_device(model, device):
    """The model on `device`, channels-last (pixels outer, channels inner): the layout cuDNN and
    the CPU's oneDNN read convolutions fastest in."""
    return model.to(device, memory_format=torch.channels_last)


def seed_everything(seed):
    """One seed for Python, NumPy and torch (every CUDA device too). The loader's order and
    augmentation are seeded from (seed, epoch, batch) on their own (see loader.BatchSampler)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
