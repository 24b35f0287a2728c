"""Training: the recipe, the train and test loops, checkpoints that survive a crash, the LR range test.

The default recipe, and why:
  * SGD with Nesterov momentum 0.9: Nesterov looks one step ahead, which damps the overshoot
    that plain momentum shows at a high learning rate.
  * OneCycleLR: the LR climbs from max_lr/10 to max_lr over the first quarter of the run, then
    anneals (cosine) to max_lr/1000, while SGD's momentum moves the other way (0.95 → 0.85 → 0.95).
    The climb lets BatchNorm statistics settle before big steps; the long descent settles the
    weights into a flat minimum. Far fewer epochs than a fixed LR. max_lr 0.2 for batch 512: an
    LR range test on CIFAR-10 (JPEG copy) put the lowest loss at 0.34 (see suggest_max_lr).
  * Weight decay 5e-4 on conv and linear weights only: decaying a norm's scale or a bias does
    not limit the model's capacity, it only fights the normalisation.
  * Label smoothing 0.1: the target is 0.91 for the true class and 0.01 for the others, so the
    network is not pushed to ever larger logits on images it already gets right.
  * Augmentation: HorizontalFlip and Affine (2.x's ShiftScaleRotate). The course's third step,
    CoarseDropout, is a switch left off: measured on this small network over 30 epochs, it cost
    more accuracy than it protected (helpers/transforms.py has it, notebook 01 shows it).
  * An exponential moving average (EMA) of the weights is what gets evaluated and saved: at a high
    LR the weights jump around a minimum, their average sits nearer its centre (see WeightAverage).
  * Lower precision where the hardware computes it fast: float16 with a gradient scaler on a CUDA
    GPU, bfloat16 on a CPU with bfloat16 instructions (see lower_precision); channels-last memory.
"""
import contextlib
import copy
import json
import os
import random
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from helpers import KitError
from helpers.data import make_loader
from helpers.transforms import normalize, train_transforms


class CheckpointError(KitError):
    """A checkpoint that cannot be used; the message names the file and why."""


@dataclass
class Recipe:
    epochs: int = 30
    batch_size: int = 512
    optimizer: str = "sgd"  # or "adam"
    max_lr: float = 0.2  # SGD; for Adam about 0.01
    momentum: float = 0.9  # SGD momentum, or Adam's beta1
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    l1: float = 0.0  # L1 penalty factor on conv and linear weights, e.g. 5e-5 (the sum of |w| is ~7,000)
    pct_start: float = 0.25  # share of the run spent climbing to max_lr
    ema_decay: float = 0.99  # weight average kept per step (0: evaluate the training weights themselves)
    mixed_precision: bool = True  # float16 on CUDA, bfloat16 on CPUs that have it (see lower_precision)
    seed: int = 0
    flip: bool = True
    shift_scale_rotate: bool = True
    # CoarseDropout is off: with it on, this 193k-parameter network ended 0.3 and 0.5 points lower after 30
    # epochs and 1.5 and 2.3 lower at epoch 10, seeds 0 and 1 (README, "What each change brought").
    # --coarse-dropout puts it back.
    coarse_dropout: bool = False
    pad_crop: bool = False
    to_gray: bool = False
    color_jitter: bool = False

    def augmentations(self):
        names = ("flip", "shift_scale_rotate", "coarse_dropout", "pad_crop", "to_gray", "color_jitter")
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# ---- Device and seeds ------------------------------------------------------------------------

def pick_device(name="auto", log=print):
    """'auto' takes the GPU when there is one and says which it took."""
    if name == "cuda" and not torch.cuda.is_available():
        raise KitError("--device cuda was asked for, but no CUDA GPU is visible: use --device auto or cpu "
                       "(on Colab: Runtime > Change runtime type > GPU).")
    if name not in ("auto", "cpu", "cuda"):
        raise KitError(f"unknown device {name!r}: use auto, cpu or cuda.")
    device = torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        log(f"device: {torch.cuda.get_device_name(device)} (CUDA, float16 mixed precision, channels-last)")
    else:
        precision = "bfloat16 mixed precision" if lower_precision(device) else "float32: this CPU has no bfloat16"
        log(f"device: CPU, {torch.get_num_threads()} threads, {precision}, channels-last"
            + (" (no CUDA GPU found)" if name == "auto" else ""))
    return device


def seed_everything(seed):
    """One seed for Python, NumPy and torch. The loader's order and augmentation are seeded per
    epoch and per batch from the same seed (see data.BatchSampler), so workers need nothing more."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _rng_state():
    np_state = np.random.get_state()
    return {"python": list(random.getstate()[1]), "numpy": torch.from_numpy(np_state[1].astype(np.int64)),
            "numpy_pos": int(np_state[2]), "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _set_rng_state(state):
    random.setstate((3, tuple(state["python"]), None))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], 0, 0.0))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ---- How the device computes ---------------------------------------------------------------

def lower_precision(device):
    """The dtype autocast computes convolutions in on `device`, or None to stay in float32.
    float16 on a CUDA GPU: its tensor cores run float16 many times faster than float32, and a
    gradient scaler keeps float16's small range from rounding small gradients to zero. bfloat16
    on a CPU with bfloat16 instructions (AVX512-BF16 or AMX): it has float32's range, so it needs
    no scaler, and it doubled the kit's training step on a 2-core EPYC. Other CPUs emulate
    bfloat16 slowly, so they stay in float32."""
    if device.type == "cuda":
        return torch.float16
    has_bf16 = any(getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return torch.bfloat16 if has_bf16 else None


def autocast(device, dtype):
    """Autocast to `dtype` (weights and the optimiser stay float32), or float32 for None."""
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def to_device(model, device):
    """Channels-last memory (pixels outer, channels inner) on every device: cuDNN's tensor cores
    and the CPU's oneDNN both read convolutions fastest that way (1.4x the float32 training step
    on a 2-core CPU)."""
    return model.to(device, memory_format=torch.channels_last)


class WeightAverage:
    """An exponential moving average of a model's weights and BatchNorm statistics, updated after
    every step: average = decay * average + (1 - decay) * weights. With decay 0.99 it spans about
    the last 100 steps (one epoch at batch 512). Mid-run, while the LR is high, the weights bounce
    across a valley of the loss; their average lies nearer its floor and tests better. At the end
    of OneCycle the LR is tiny and the average and the weights agree. Early on the decay is
    lowered ((1 + step) / (10 + step)) so the random starting weights are soon forgotten."""

    def __init__(self, model, decay):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay, self.steps = decay, 0

    @torch.no_grad()
    def update(self, model):
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        for average, current in zip(self.model.state_dict().values(), model.state_dict().values()):
            if average.is_floating_point():
                average.lerp_(current, 1 - decay)
            else:  # BatchNorm's count of batches seen
                average.copy_(current)


# ---- Optimiser, schedule, regularisation ------------------------------------------------------

def parameter_groups(model, weight_decay):
    """Weight decay for conv and linear weights (ndim > 1), none for norm scales and biases."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model, recipe):
    groups = parameter_groups(model, recipe.weight_decay)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.max_lr, momentum=recipe.momentum, nesterov=recipe.nesterov)
    if recipe.optimizer == "adam":  # AdamW: weight decay applied to the weights, not to the gradient
        return torch.optim.AdamW(groups, lr=recipe.max_lr, betas=(recipe.momentum, 0.999))
    raise KitError(f"unknown optimizer {recipe.optimizer!r}: use sgd or adam.")


def make_scheduler(optimizer, recipe, steps_per_epoch):
    # OneCycleLR divides by the length of its climb, pct_start * steps - 1: a tiny smoke run of a
    # few steps gets a climb of at least 1.5 steps (and at most 3/4 of the run) so it never is zero.
    pct_start = min(max(recipe.pct_start, 1.5 / (recipe.epochs * steps_per_epoch)), 0.75)
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.max_lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch,
        pct_start=pct_start, div_factor=10, final_div_factor=100, anneal_strategy="cos",
        # SGD's momentum cycles the other way round, from momentum + 0.05 down to momentum - 0.05
        # at the peak LR and back: less momentum while the steps are largest.
        cycle_momentum=recipe.optimizer == "sgd",
        base_momentum=recipe.momentum - 0.05, max_momentum=recipe.momentum + 0.05)


def l1_penalty(model):
    """Sum of |w| over conv and linear weights (not norms or biases): added to the loss times a
    small factor, it pushes unneeded weights to exactly zero."""
    return sum(p.abs().sum() for p in model.parameters() if p.ndim > 1)


# ---- The loops -----------------------------------------------------------------------------

def optimizer_step(loss, optimizer, scaler=None):
    """Gradients of `loss`, then one optimiser step; through the float16 gradient scaler when
    there is one (it multiplies the loss so that small gradients survive float16, and divides
    them back before the step, skipping a step whose gradients overflowed)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()


def train_epoch(model, loader, optimizer, scheduler, device, mean, std, recipe, scaler=None, progress=True,
                desc="train", average=None):
    """One pass over the training loader, updating `average` (a WeightAverage) after each step.
    Returns (loss, accuracy %, learning rate of each step)."""
    model.train()
    dtype = lower_precision(device) if recipe.mixed_precision else None
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen, lrs = 0, []
    bar = tqdm(loader, desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    for step, (images, labels) in enumerate(bar):
        x = normalize(images, mean, std, device)
        y = labels.to(device, non_blocking=True)
        with autocast(device, dtype):
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=recipe.label_smoothing)
            objective = loss + recipe.l1 * l1_penalty(model) if recipe.l1 else loss
        optimizer_step(objective, optimizer, scaler)
        if average is not None:
            average.update(model)
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
        # Sums stay on the device: reading them every step would make the GPU wait for Python.
        total_loss += loss.detach() * len(y)
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{total_loss.item() / seen:.3f}", acc=f"{100 * correct.item() / seen:.1f}%")
    return total_loss.item() / seen, 100 * correct.item() / seen, lrs


@torch.no_grad()
def predict(model, loader, device, mean, std, tta=False, mixed_precision=True):
    """Logits for every image of a loader (in order) and the labels. `tta=True` averages the
    logits of each image and its mirror image (flip test-time augmentation)."""
    model.eval()
    device = torch.device(device)
    dtype = lower_precision(device) if mixed_precision else None
    all_logits, all_labels = [], []
    for images, labels in loader:
        x = normalize(images, mean, std, device)
        with autocast(device, dtype):
            logits = model(x).float()
            if tta:
                logits = (logits + model(x.flip(3)).float()) / 2
        all_logits.append(logits)
        all_labels.append(labels.to(device))
    return torch.cat(all_logits), torch.cat(all_labels)


def evaluate(model, loader, device, mean, std, tta=False, mixed_precision=True):
    """(loss, accuracy %) on a loader, without label smoothing."""
    logits, labels = predict(model, loader, device, mean, std, tta, mixed_precision)
    return F.cross_entropy(logits, labels).item(), 100 * (logits.argmax(1) == labels).float().mean().item()


# ---- Checkpoints ------------------------------------------------------------------------------

def describe_model(model):
    """What a checkpoint must match: the class and its constructor arguments."""
    return {"class": type(model).__name__, **getattr(model, "config", {})}


def _atomic_write(path, write):
    """Write to a temporary file beside `path`, then rename: a crash mid-write leaves the old file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(path, model, optimizer=None, scheduler=None, scaler=None, epoch=0, history=(), recipe=None,
                    data=None, average=None):
    """`model` holds the weights to use: the weight average's when there is one. The training
    weights and the optimiser's state are kept too, so that a run can resume."""
    state = {"architecture": describe_model(model), "epoch": epoch,
             "model": (average.model if average else model).state_dict(),
             "training_model": model.state_dict() if average else None,
             "average_steps": average.steps if average else None,
             "history": list(history), "rng": _rng_state(),
             "optimizer": optimizer.state_dict() if optimizer else None,
             "scheduler": scheduler.state_dict() if scheduler else None,
             "scaler": scaler.state_dict() if scaler else None,
             "recipe": asdict(recipe) if recipe else None,
             "data": {"description": data.description, "mean": list(data.mean), "std": list(data.std),
                      "classes": list(data.classes)} if data else None}
    _atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path, model=None, map_location="cpu", weights="model"):
    """Load a checkpoint safely (weights_only=True: no code in the file runs). With `model`, check
    it was saved from the same architecture and load the weights into it: by default the ones to
    use (the weight average's), or "training_model" to resume training. Returns the state."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: train first (python -m helpers.train --out {path.parent}) or check the path.")
    try:
        with warnings.catch_warnings():  # a corrupt file can name an odd pickle protocol: the error below says it all
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # corrupt bytes fail in many ways: IndexError, KeyError, UnicodeDecodeError, ...
        reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated, corrupt or not from this kit: {reason}). "
                              f"Delete it and use the other checkpoint of the run, or train again.") from None
    if not isinstance(state, dict) or "model" not in state or "architecture" not in state:
        raise CheckpointError(f"{path} is not a checkpoint of this kit (no model weights and architecture in it).")
    if model is not None:
        saved, wanted = state["architecture"], describe_model(model)
        if saved != wanted:
            diff = ", ".join(f"{k}: file {saved.get(k)!r} vs model {wanted.get(k)!r}"
                             for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k))
            raise CheckpointError(f"{path} was saved from another model ({diff}): build the model with the "
                                  f"file's settings, or load a checkpoint of this model.")
        if state.get(weights) is None:  # "training_model" is there only when the run kept a weight average
            raise CheckpointError(f"{path} holds no {weights} weights: it was saved without a weight average, "
                                  f"so resume it with --ema-decay 0.")
        try:
            model.load_state_dict(state[weights])
        except RuntimeError as error:
            raise CheckpointError(f"{path} does not fit this model: {str(error).splitlines()[1:2]}") from None
    return state


# ---- The whole run ----------------------------------------------------------------------------

def write_metrics(path, model, data, device, history, recipe):
    metrics = {"params": sum(p.numel() for p in model.parameters()), "data": data.description,
               "device": device_name(device), "model": describe_model(model), "recipe": asdict(recipe),
               "epochs": history}
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(metrics, indent=1)))


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({torch.get_num_threads()} threads)"


def fit(model, data, recipe, out_dir, resume=False, device="auto", progress=True, tensorboard_dir=None, log=print):
    """Train `model` on `data` with `recipe`, writing OUT/last.pt and OUT/best.pt (atomically) and
    OUT/metrics.json after every epoch. `resume=True` continues from OUT/last.pt: with the same
    seed on the same CPU the history is the one an uninterrupted run would have written."""
    if recipe.epochs <= 0:
        raise KitError(f"epochs {recipe.epochs} is not possible: train for 1 or more epochs.")
    out = Path(out_dir)
    last, best = out / "last.pt", out / "best.pt"
    if last.exists() and not resume:
        raise KitError(f"{out} already holds a run ({last}): resume it (--resume, resume=True) or choose another "
                       f"output folder; the kit never overwrites a run.")
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(device, log) if isinstance(device, str) else device
    seed_everything(recipe.seed)
    to_device(model, device)
    train_loader = make_loader(data.train, recipe.batch_size, train_transforms(data.mean, **recipe.augmentations()),
                               shuffle=True, seed=recipe.seed, drop_last=len(data.train) > recipe.batch_size)
    test_loader = make_loader(data.test, max(recipe.batch_size, 512))
    optimizer = make_optimizer(model, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(train_loader))
    mixed = recipe.mixed_precision and lower_precision(device) == torch.float16
    scaler = torch.amp.GradScaler("cuda") if mixed else None
    average = WeightAverage(model, recipe.ema_decay) if recipe.ema_decay else None
    history, start = [], 1
    if resume and last.exists():
        state = load_checkpoint(last, model, map_location=device, weights="training_model" if average else "model")
        if state["recipe"] and Recipe.from_dict(state["recipe"]) != recipe:
            raise KitError(f"{last} was trained with another recipe ({state['recipe']}): resume with the same options.")
        if average:
            average.model.load_state_dict(state["model"])
            average.steps = state["average_steps"]
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        history, start = state["history"], state["epoch"] + 1
        log(f"resuming {last} after epoch {state['epoch']}")
    elif resume:
        log(f"nothing to resume in {out}: starting a new run")
    writer = _tensorboard(tensorboard_dir)
    best_acc = max((h["test_acc"] for h in history), default=-1.0)
    evaluated = average.model if average else model
    for epoch in range(start, recipe.epochs + 1):
        t0 = time.perf_counter()
        train_loader.sampler.set_epoch(epoch)
        train_loss, train_acc, lrs = train_epoch(model, train_loader, optimizer, scheduler, device, data.mean, data.std,
                                                 recipe, scaler, progress, desc=f"epoch {epoch}/{recipe.epochs}",
                                                 average=average)
        test_loss, test_acc = evaluate(evaluated, test_loader, device, data.mean, data.std,
                                       mixed_precision=recipe.mixed_precision)
        entry = {"epoch": epoch, "train_loss": round(train_loss, 4), "train_acc": round(train_acc, 2),
                 "test_loss": round(test_loss, 4), "test_acc": round(test_acc, 2)}
        if average:  # the training weights too, to show what the average brings
            entry["training_weights_test_acc"] = round(evaluate(model, test_loader, device, data.mean, data.std,
                                                               mixed_precision=recipe.mixed_precision)[1], 2)
        if epoch == recipe.epochs:  # flip test-time augmentation, reported beside the plain accuracy, never for it
            entry["flip_tta_test_acc"] = round(evaluate(evaluated, test_loader, device, data.mean, data.std, tta=True,
                                                        mixed_precision=recipe.mixed_precision)[1], 2)
        seconds = time.perf_counter() - t0
        history.append({**entry, "lr": lrs[-1], "seconds": round(seconds, 2), "lrs": lrs})
        log(f"epoch {epoch:3d}/{recipe.epochs}  train loss {train_loss:.3f} acc {train_acc:5.2f}%  "
            f"test loss {test_loss:.3f} acc {test_acc:5.2f}%"
            + (f" (training weights {entry['training_weights_test_acc']:5.2f}%)" if average else "")
            + (f" (flip TTA {entry['flip_tta_test_acc']:5.2f}%)" if "flip_tta_test_acc" in entry else "")
            + f"  lr {lrs[-1]:.4f}  {seconds:.1f}s")
        checkpoint = dict(model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler, epoch=epoch,
                          history=history, recipe=recipe, data=data, average=average)
        if test_acc > best_acc:
            best_acc = test_acc
            save_checkpoint(best, **checkpoint)
        save_checkpoint(last, **checkpoint)  # last: after best, so a crash between the two loses nothing
        write_metrics(out / "metrics.json", evaluated, data, device, history, recipe)
        if writer:
            _log_tensorboard(writer, history[-1], evaluated, test_loader, device, data)
    if writer:
        writer.close()
    if average:  # the caller's model ends with the weights that were evaluated and saved
        model.load_state_dict(average.model.state_dict())
    return history


def _tensorboard(log_dir):
    if not log_dir:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise KitError("TensorBoard logging was asked for but tensorboard is not installed: "
                       "pip install tensorboard, or leave --tensorboard off.") from None
    return SummaryWriter(str(log_dir))


def _log_tensorboard(writer, entry, model, test_loader, device, data):
    """Losses, accuracies, the per-step LR, and a grid of misclassified test images."""
    epoch = entry["epoch"]
    for split in ("train", "test"):
        writer.add_scalar(f"loss/{split}", entry[f"{split}_loss"], epoch)
        writer.add_scalar(f"accuracy/{split}", entry[f"{split}_acc"], epoch)
    first_step = (epoch - 1) * len(entry["lrs"])
    for i, lr in enumerate(entry["lrs"]):
        writer.add_scalar("lr", lr, first_step + i)
    logits, labels = predict(model, test_loader, device, data.mean, data.std)
    wrong = torch.nonzero(logits.argmax(1) != labels).flatten()[:32].cpu()
    if len(wrong):
        images = torch.from_numpy(data.test.images[wrong.numpy()]).permute(0, 3, 1, 2)
        writer.add_images("misclassified", images, epoch, dataformats="NCHW")
    writer.flush()


# ---- LR range test ----------------------------------------------------------------------------

def lr_range_test(model, data, recipe, device="cpu", start_lr=1e-4, end_lr=10.0, steps=100, progress=True):
    """Leslie Smith's LR range test: train with an LR that grows exponentially from start_lr to
    end_lr and record the (smoothed) loss. The loss falls fastest a little below the LR where it
    is lowest; it explodes beyond. The model's weights are restored afterwards."""
    device = torch.device(device) if isinstance(device, str) else device
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.to(device).train()
    loader = make_loader(data.train, recipe.batch_size, train_transforms(data.mean, **recipe.augmentations()),
                         shuffle=True, seed=recipe.seed, drop_last=len(data.train) > recipe.batch_size)
    optimizer = make_optimizer(model, Recipe.from_dict({**asdict(recipe), "max_lr": start_lr}))
    gamma = (end_lr / start_lr) ** (1 / max(steps - 1, 1))
    lrs, losses, smoothed, best = [], [], 0.0, float("inf")
    bar = tqdm(total=steps, desc="LR range test", leave=False, disable=not progress)
    epoch = 0
    while len(lrs) < steps:
        loader.sampler.set_epoch(epoch := epoch + 1)
        for images, labels in loader:
            lr = start_lr * gamma ** len(lrs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = F.cross_entropy(model(normalize(images, data.mean, data.std, device)), labels.to(device),
                                   label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            smoothed = 0.9 * smoothed + 0.1 * loss.item()  # exponential moving average, bias-corrected below
            value = smoothed / (1 - 0.9 ** (len(lrs) + 1))
            lrs.append(lr)
            losses.append(value)
            best = min(best, value)
            bar.update()
            if len(lrs) >= steps or value > 4 * best:  # diverged: nothing more to learn
                break
        if losses and losses[-1] > 4 * best:
            break
    bar.close()
    model.load_state_dict(saved)
    return lrs, losses


def suggest_max_lr(lrs, losses):
    """A max LR for OneCycleLR: half the LR at which the smoothed loss was lowest. At that LR the
    loss is about to turn up; half of it still falls steeply, and OneCycle stays at its peak only
    briefly before annealing."""
    return lrs[int(np.argmin(losses))] / 2
