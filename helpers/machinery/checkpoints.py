"""Checkpoints and metrics that survive a crash, and loading a trained model back.

    prepare_run_folder  the run folder, checked before any training: writable, and never a finished run overwritten
    load_checkpoint   read one safely (no code in the file runs) and check it fits the model
    load_trained      a checkpoint → the model it was saved from, in eval mode (yours: from the file you name)
    write_metrics     OUT/metrics.json: the run's parameters, data, device, history, and what made it
What a checkpoint holds is written by run_state.RunState.save.

Every file is written to a temporary name and then renamed: a crash mid-write leaves the old file.
"""
import datetime
import json
import os
import subprocess
import random
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from helpers import KitError
from helpers.machinery.device import device_name, to_device
from helpers.machinery.registry import describe_model, rebuild


class CheckpointError(KitError):
    """A checkpoint that cannot be used; the message names the file and why."""


def atomic_write(path, write):
    """Call write(temporary path) beside `path`, then rename it to `path`."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def rng_state():
    """Python's, NumPy's, torch's and CUDA's random generators, as tensors and lists (weights_only-safe)."""
    np_state = np.random.get_state()
    return {"python": list(random.getstate()[1]), "numpy": torch.from_numpy(np_state[1].astype(np.int64)),
            "numpy_pos": int(np_state[2]), "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state):
    random.setstate((3, tuple(state["python"]), None))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], 0, 0.0))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_checkpoint(path, model=None, map_location="cpu", weights="model"):
    """Load a checkpoint safely (weights_only=True: no code in the file runs). With `model`, check
    it was saved from the same architecture and load the weights into it: by default the ones to
    use (the weight average's), or "training_model" to resume training. Returns the state."""
    path = _checkpoint_file(path)
    try:
        with warnings.catch_warnings():  # a corrupt file can name an odd pickle protocol: the error below says it all
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # corrupt bytes fail in many ways: IndexError, KeyError, UnicodeDecodeError, ...
        reason = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated, corrupt or not from this kit: {reason}). "
                              f"{_what_to_do_instead(path)}") from None
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
        load_weights(model, state[weights], path)
    return state


def _checkpoint_file(path):
    """`path`, checked to be a file: a run folder or a missing file says what to name instead."""
    path = Path(path)
    if path.is_dir():
        best = path / "best.pt"
        raise CheckpointError(f"{path} is a run folder, not a checkpoint: name the checkpoint in it, {best}"
                              + ("." if best.is_file() else f" (not written yet: train first, python -m helpers.train "
                                                            f"--out {path}, or notebook 04)."))
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: train first (notebook 04, or python -m helpers.train "
                              f"--out {path.parent}), or check the path.")
    return path


def _what_to_do_instead(path):
    """The safe choice for an unreadable checkpoint: the run's other one, never a fresh run over it."""
    other = path.with_name({"last.pt": "best.pt", "best.pt": "last.pt"}.get(path.name, path.name))
    if other == path or not other.is_file():
        return "Train again in another folder, or get the file again."
    if path.name == "last.pt":  # best.pt holds the full state of its epoch: the run can go on from there
        return (f"Move it aside (mv {path} {path}.corrupt), then --resume (resume=True) continues the run from "
                f"{other.name}; the kit never starts afresh over a run.")
    return f"Load {other} instead (the run's last epoch); --resume continues from it as before."


def load_weights(model, weights, path):
    """Load a state dict into `model`, cast to the model's dtypes (shipped weights are float16)."""
    own = model.state_dict()
    try:
        model.load_state_dict({k: v.to(own[k].dtype) if k in own else v for k, v in weights.items()})
    except RuntimeError as error:
        misfit = _misfit(own, weights) or str(error).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{path} does not fit this {type(model).__name__}: {misfit}. The model "
                              f"changed since these weights were saved (its code, or its settings): undo the change, "
                              f"or train it again.") from None


def _misfit(own, weights):
    """The first few differences between a model's state dict and saved weights, in a line."""
    missing = [f"{k} missing in the file" for k in own if k not in weights]
    extra = [f"{k} in the file, not in the model" for k in weights if k not in own]
    shapes = [f"{k} is {tuple(weights[k].shape)} in the file, {tuple(own[k].shape)} in the model"
              for k in own if k in weights and weights[k].shape != own[k].shape]
    differences = shapes + missing + extra
    return "; ".join(differences[:3]) + (f" (and {len(differences) - 3} more)" if len(differences) > 3 else "")


def load_trained(checkpoint_path, device="cpu", model=None):
    """Rebuild the model a checkpoint was saved from and load its weights. Returns (model, state):
    `state` also holds the run's history, recipe and data (mean, std, classes, description).
    `model`: for a checkpoint of your own network, its file and class, "path/to/file.py:ClassName",
    as you trained it (notebook 04's MODEL, --model). The kit never imports a file a checkpoint
    names, as a checkpoint may come from anyone; for the kit's own models `model` is not needed."""
    path = Path(checkpoint_path)
    if not path.exists():
        raise CheckpointError(f"no trained model at {path}: run notebook 04_training first (or "
                              f"`python -m helpers.train --out {path.parent}`), or check the path.")
    device = torch.device(device)
    state = load_checkpoint(path, map_location=device)
    try:
        network = rebuild(state["architecture"], path, model)
    except KitError as error:
        raise CheckpointError(str(error)) from None
    load_weights(network, state["model"], path)
    return to_device(network, device).eval(), state  # channels-last, as it was trained


RUN_FILES = ("last.pt", "best.pt", "metrics.json")


def prepare_run_folder(out_dir, resume):
    """Make the run folder and check it before the first step, not after a whole epoch: that it
    can be written, and that a run already in it is resumed, never trained over. Removes the
    temporary files a crash mid-write leaves. Returns (folder, checkpoint to resume from or None)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise KitError(f"--out {out} is a file, not a folder: name a folder for the run (it is made if needed).")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise KitError(f"cannot write the run to {out} ({error.strerror or error}): choose a folder you can write "
                       f"to (--out, RUN_NAME).") from None
    for stale in out.glob("*.tmp"):
        stale.unlink()
    held = [name for name in RUN_FILES if (out / name).exists()]
    if held and not resume:
        raise KitError(f"{out} already holds a run ({', '.join(held)}): resume it (--resume, resume=True) or choose "
                       f"another folder; the kit never overwrites a run.")
    if not resume:
        return out, None
    for name in ("last.pt", "best.pt"):  # best.pt holds the full state too: a run whose last.pt was lost goes on from it
        if (out / name).exists():
            return out, out / name
    if held:  # metrics.json alone: the run's checkpoints are gone, and starting afresh would overwrite its results
        raise KitError(f"{out} holds {', '.join(held)} but no checkpoint to resume from: move those files away to keep "
                       f"them, or train in another folder.")
    return out, None


def provenance():
    """What made a result, as airbench saves its own source with its log: the kit's commit and the
    versions it ran on."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=Path(__file__).parent, text=True,
                                capture_output=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"kit_commit": commit, "torch": torch.__version__, "cuda": torch.version.cuda,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def write_metrics(path, model, data, device, history, recipe, extra=None):
    metrics = {"params": sum(p.numel() for p in model.parameters()), "data": data.description,
               "device": device_name(device), "model": describe_model(model), "recipe": asdict(recipe),
               **(extra or {}), **provenance(), "epochs": history}
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(metrics, indent=1)))


def export_weights(checkpoint_path, out_path):
    """A checkpoint's weights to use, in float16, with what loading them back needs (architecture,
    recipe, data, mean and std) and the run's history: a small file to ship. load_trained reads it."""
    state = load_checkpoint(checkpoint_path)
    weights = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()}
    history = [{k: v for k, v in entry.items() if k != "lrs"} for entry in state["history"]]  # not each step's LR
    shipped = {"architecture": state["architecture"], "epoch": state["epoch"], "model": weights,
               "history": history, "recipe": state["recipe"], "data": state["data"]}
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out_path, lambda tmp: torch.save(shipped, tmp))
    return Path(out_path)
