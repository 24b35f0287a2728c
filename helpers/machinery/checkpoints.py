"""Checkpoints and metrics that survive a crash, and loading a trained model back.

    prepare_run_folder  the run folder, checked before any training: writable, held by one run at a time, and
                        never a finished run overwritten
    holding_run_folder  releases, when the block ends, the folders prepare_run_folder held in it
    load_checkpoint   read one safely (no code in the file runs) and check it fits the model
    load_trained      a checkpoint → the model it was saved from, in eval mode (yours: from the file you name)
    save_checkpoint   OUT/last.pt or OUT/best.pt: what a run (training.RunState) needs to go on; with
                      resume_checkpoint, which reads it back, the checkpoint's format
    saved_recipe      the recipe a run folder was started with, or None
    write_metrics     OUT/metrics.json: the run's parameters, data, device, history, and what made it
    export_weights    a checkpoint's weights in float16, the file load_trained reads (the shipped weights)

Every file is written to a temporary name and then renamed: a crash mid-write leaves the old file,
and a failed write (disk full, read-only, folder gone) leaves no temporary file (RunWriteError).
"""
import contextlib
import datetime
import errno
import hashlib
import json
import os
import shutil
import socket
import subprocess
import random
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from helpers import KitError, shown_path
from helpers.machinery.device import device_name, to_device
from helpers.machinery.pipelines import pipeline_differences
from helpers.machinery.registry import describe_model, network_changes, network_record, rebuild
from helpers.recipe import Recipe

try:
    import fcntl
except ImportError:  # not on Windows: run folders are not locked there
    fcntl = None


class CheckpointError(KitError):
    """A checkpoint that cannot be used; the message names the file and why."""


class RunWriteError(KitError, OSError):
    """A file of a run could not be written (disk full, read-only, folder removed, name too long).
    Nothing of it is left behind: the previous file, if any, is as it was."""

    def __init__(self, path, reason):
        super().__init__(f"cannot write {shown_path(path)} ({reason})")
        self.path, self.reason = Path(path), reason


def atomic_write(path, write):
    """Call write(temporary path) beside `path`, then rename it to `path`. A write that fails
    removes its temporary file and raises RunWriteError (an OSError too)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and not _is_write_failure(error):
            raise
        with contextlib.suppress(OSError):
            if tmp.is_file():  # the kit's own temporary file, by its exact name: never a folder of that name
                tmp.unlink()
        raise RunWriteError(path, _write_failure_reason(error, path)) from None


def _is_write_failure(error):
    """torch.save reports a failed write (a full disk) as a RuntimeError of its zip writer."""
    text = str(error)
    return any(mark in text for mark in ("inline_container", "PytorchStreamWriter", "file write failed",
                                         "unexpected pos", "Parent directory"))


def _write_failure_reason(error, path):
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if not path.parent.is_dir():  # the run folder removed mid-run
        return os.strerror(errno.ENOENT)
    try:
        if shutil.disk_usage(path.parent).free < 64 * 2**20:
            return "No space left on device"
    except OSError:
        pass
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:160]


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
        raise CheckpointError(f"{shown_path(path)} is not a readable checkpoint (truncated, corrupt or not from this kit: {reason}). "
                              f"{_what_to_do_instead(path)}") from None
    if not isinstance(state, dict) or "model" not in state or "architecture" not in state:
        raise CheckpointError(f"{shown_path(path)} is not a checkpoint of this kit (no model weights and architecture in it).")
    malformed = _malformed(state)
    if malformed:
        raise CheckpointError(f"{shown_path(path)} is not a checkpoint this kit can use: {malformed}. It was not written by this "
                              f"kit's training, or was changed since: {_what_to_do_instead(path)}")
    if model is not None:
        saved, wanted = state["architecture"], describe_model(model)
        if saved != wanted:
            diff = ", ".join(f"{k}: file {saved.get(k)!r} vs model {wanted.get(k)!r}"
                             for k in sorted(set(saved) | set(wanted)) if saved.get(k) != wanted.get(k))
            raise CheckpointError(f"{shown_path(path)} was saved from another model ({diff}): build the model with the "
                                  f"file's settings, or load a checkpoint of this model.")
        if state.get(weights) is None:  # "training_model" is there only when the run kept a weight average
            raise CheckpointError(f"{shown_path(path)} holds no {weights} weights: it was saved without a weight average, "
                                  f"so resume it with --ema-decay 0.")
        load_weights(model, state[weights], path)
    return state


# ---- The checkpoint's format: what a run saves, and reading it back to go on -------------------

def data_identity(data, every=1):
    """Description, sizes and a digest of the training and test pixels and labels: two data roots,
    or two subsets of the same size, never share it, nor two copies one pixel apart. Every pixel
    is hashed (CIFAR-10's 180 MB in well under a second, once a run). `every=4`: the digest of a
    pixel in 16 that checkpoints from before recorded (no "pixels" key), to compare with them."""
    digest = hashlib.sha1()
    for split in (data.train, data.test):
        digest.update(np.ascontiguousarray(split.labels).tobytes())
        digest.update(memoryview(np.ascontiguousarray(split.images[:, ::every, ::every])))
    identity = {"description": data.description, "train_images": len(data.train), "test_images": len(data.test),
                "digest": digest.hexdigest()[:16]}
    return {**identity, "pixels": "all"} if every == 1 else identity


def data_entry(data):
    """What a checkpoint records of its data, made once a run: what loading needs (mean, std,
    classes) and what resuming checks (the identity; the sampled one for older checkpoints)."""
    return {"description": data.description, "mean": list(data.mean), "std": list(data.std),
            "classes": list(data.classes), "identity": data_identity(data),
            "sampled_identity": data_identity(data, every=4)}


def save_checkpoint(path, run):
    """OUT/best.pt or OUT/last.pt: everything `run` (training.RunState) needs to go on, written
    atomically. This function and resume_checkpoint are the checkpoint's format."""
    state = {"architecture": describe_model(run.model), "epoch": run.epoch,
             "model": run.evaluated.state_dict(),
             "training_model": run.model.state_dict() if run.average else None,
             "average_steps": run.average.steps if run.average else None,
             "history": list(run.history), "rng": run.rng or rng_state(),
             "network": network_record(run.model),
             "optimizer": run.optimizer.state_dict(), "scheduler": run.scheduler.state_dict(),
             "scaler": run.scaler.state_dict() if run.scaler else None,
             "recipe": asdict(run.recipe), "data": run.data,
             "augmentation": run.augmentation}
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def resume_checkpoint(run, path, device):
    """Load the checkpoint at `path` into `run` (training.RunState) to continue it. Refuses, naming each difference, a checkpoint of
    another recipe or other data: the history would mix two runs."""
    state = load_checkpoint(path, run.model, map_location=device,
                            weights="training_model" if run.average else "model")
    if "optimizer" not in state:  # export_weights' files keep the weights only
        raise CheckpointError(f"{shown_path(path)} holds trained weights but not a run's state (optimiser, schedule, random "
                              f"generators): it cannot be resumed. Train in another folder.")
    identity = run.data["identity"] if run.data else None
    if identity and "pixels" not in ((state.get("data") or {}).get("identity") or {"pixels": "all"}):
        identity = run.data["sampled_identity"]  # a checkpoint from before every pixel was hashed
    differences = _differences(state, run.recipe, identity)
    if state.get("augmentation") and run.augmentation:  # checkpoints from before it was recorded: the recipe's switches
        differences += [f"augmentation: {d}" for d in pipeline_differences(state["augmentation"], run.augmentation)]
    if differences:
        raise CheckpointError(f"{shown_path(path)} was trained with other settings: {'; '.join(differences)}. Resume with the "
                              f"run's own settings, or start a new run in another folder.")
    changed = network_changes(state["network"], run.model) if state.get("network") else []
    if changed:
        raise CheckpointError(f"{shown_path(path)} was trained with another version of the network: {'; '.join(changed)}. "
                              f"Undo the change to resume the run, or train the changed network in another "
                              f"folder.")
    if run.average:
        run.average.model.load_state_dict(state["model"])
        run.average.steps = state["average_steps"]
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    if run.scaler is not None and state["scaler"]:
        run.scaler.load_state_dict(state["scaler"])
    set_rng_state(state["rng"])
    run.rng = state["rng"]
    run.history = state["history"]


def _differences(state, recipe, new_data):
    """'name: was X, now Y' for each recipe field and data property that differs. `new_data`: the
    data_identity of the data to resume on."""
    now = asdict(recipe)
    # A checkpoint from before augment_on existed augmented in the CPU workers.
    saved = {**now, "augment_on": "workers", **{k: v for k, v in (state.get("recipe") or {}).items() if k in now}}
    out = [f"{name} was {saved[name]!r}, now {now[name]!r}" for name in now if saved[name] != now[name]]
    saved_data = (state.get("data") or {}).get("identity")
    if saved_data and new_data:  # checkpoints from before the identity was stored are checked by recipe only
        if saved_data != new_data:
            same_name = saved_data["description"] == new_data["description"]
            out.append(f"data (--data-root, --subset) was {saved_data['description']!r}, now "
                       f"{new_data['description']!r}" + (" with other images" if same_name else ""))
    return out


def saved_recipe(out_dir):
    """The recipe the run in `out_dir` was started with (from last.pt, else best.pt), or None."""
    for name in ("last.pt", "best.pt"):
        path = Path(out_dir) / name
        if path.is_file():
            recipe = load_checkpoint(path).get("recipe")
            return Recipe.from_dict(recipe) if recipe else None
    return None


def saved_epoch(path):
    """The epoch the checkpoint at `path` holds (CheckpointError when it cannot be read)."""
    return load_checkpoint(path)["epoch"]


def _is_weights(value):
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def _malformed(state):
    """What in a loaded checkpoint is not as the kit writes it ('' when nothing): the parts
    loading and the notebooks read, each of the type they read it as."""
    architecture = state["architecture"]
    if not isinstance(architecture, dict) or not isinstance(architecture.get("class"), str):
        return f"its architecture is {type(architecture).__name__} {str(architecture)[:60]!r}, not the model's class and settings"
    for key in ("model", "training_model"):
        if key in state and not (state[key] is None and key == "training_model") and not _is_weights(state[key]):
            return f"its {key} weights are {type(state[key]).__name__}, not tensors by name"
    if "epoch" in state and (not isinstance(state["epoch"], int) or isinstance(state["epoch"], bool) or state["epoch"] < 0):
        return f"its epoch is {state['epoch']!r}, not a count of epochs"
    if "history" in state and not (isinstance(state["history"], list) and all(isinstance(h, dict) for h in state["history"])):
        return "its history is not a list of epochs"
    for key in ("recipe", "data", "network"):
        if state.get(key) is not None and not isinstance(state[key], dict):
            return f"its {key} is {type(state[key]).__name__}, not a record"
    data = state.get("data") or {}
    for key, length in (("mean", 3), ("std", 3), ("classes", None)):
        if key in data and not (isinstance(data[key], (list, tuple)) and (length is None or len(data[key]) == length)):
            return f"its data {key} is {data[key]!r}"
    return ""


def _checkpoint_file(path):
    """`path`, checked to be a file: a run folder or a missing file says what to name instead."""
    path = Path(path)
    if path.is_dir():
        best = path / "best.pt"
        raise CheckpointError(f"{shown_path(path)} is a run folder, not a checkpoint: name the checkpoint in it, {shown_path(best)}"
                              + ("." if best.is_file() else f" (not written yet: train first, python -m helpers.train "
                                                            f"--out {shown_path(path)}, or notebook 04)."))
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {shown_path(path)}: train first (notebook 04, or python -m helpers.train "
                              f"--out {shown_path(path.parent)}), or check the path.")
    return path


def _what_to_do_instead(path):
    """The safe choice for an unreadable checkpoint: the run's other one, never a fresh run over it."""
    other = path.with_name({"last.pt": "best.pt", "best.pt": "last.pt"}.get(path.name, path.name))
    if other == path or not other.is_file():
        return "Train again in another folder, or get the file again."
    if path.name == "last.pt":  # best.pt holds the full state of its epoch: the run can go on from there
        return (f"Move it aside (mv {shown_path(path)} {shown_path(path)}.corrupt), then --resume (resume=True) continues the run from "
                f"{other.name}; the kit never starts afresh over a run.")
    return f"Load {shown_path(other)} instead (the run's last epoch); --resume continues from it as before."


def load_weights(model, weights, path):
    """Load a state dict into `model`, cast to the model's dtypes (shipped weights are float16)."""
    own = model.state_dict()
    if not _is_weights(weights):
        raise CheckpointError(f"{shown_path(path)} holds no weights this kit can load (they are {type(weights).__name__}, not "
                              f"tensors by name): train again, or get the file again.")
    try:
        model.load_state_dict({k: v.to(own[k].dtype) if k in own else v for k, v in weights.items()})
    except RuntimeError as error:
        misfit = _misfit(own, weights) or str(error).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{shown_path(path)} does not fit this {type(model).__name__}: {misfit}. The model "
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
        raise CheckpointError(f"no trained model at {shown_path(path)}: run notebook 04_training first (or "
                              f"`python -m helpers.train --out {shown_path(path.parent)}`), or check the path.")
    device = torch.device(device)
    state = load_checkpoint(path, map_location=device)
    try:
        network = rebuild(state["architecture"], path, model)
    except KitError as error:
        raise CheckpointError(str(error)) from None
    load_weights(network, state["model"], path)
    if isinstance(state.get("network"), dict):  # what the network was when it was saved; older checkpoints lack it
        changes = network_changes(state["network"], network)
        if changes:
            warnings.warn(f"{shown_path(path)}: your network changed since these weights were saved ({'; '.join(changes)}). They "
                          f"load, but the model is not the one that was trained: its results are not the run's. Undo "
                          f"the change, or train the changed network.", UserWarning, stacklevel=2)
    return to_device(network, device).eval(), state  # channels-last, as it was trained


RUN_FILES = ("last.pt", "best.pt", "metrics.json")
TEMPORARY_FILES = tuple(name + ".tmp" for name in RUN_FILES)  # the only temporary files the kit writes in a run folder
LOCK_FILE = ".helpers-run.lock"  # held (flock) by the run training in the folder; the kernel lets go when it ends
_held = []  # the run folders this process holds, newest last


class _RunFolderLock:
    """An exclusive flock on OUT/.helpers-run.lock, which holds the PID and host for the message a
    second run gets. flock is released by the kernel when the process ends in any way (kill -9
    too), so no crash leaves a folder held; the file itself is removed when the run ends."""

    def __init__(self, out):
        self.path, self.fd = out / LOCK_FILE, None

    def acquire(self):
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # OSError: the folder cannot be written
            if fcntl is None:
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
                os.close(fd)
                return holder
            except OSError:  # a file system without locks (some network mounts): the run goes on unlocked
                break
            try:  # the run that held it may have removed the file as it ended: then lock the file now there
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"a run of PID {os.getpid()} on {socket.gethostname()}, started "
                     f"{datetime.datetime.now().isoformat(timespec='seconds')}".encode())
        return None

    def release(self):
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still held: a run waiting for it then locks a new file
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.fd = None


def _forget_locks_in_child():
    """In a forked child (the loader's workers): close its copies of the lock files. A flock lasts
    while any process has the file open, so a worker outliving a kill -9 would hold the folder."""
    for lock in _held:
        if lock.fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock.fd)
            lock.fd = None
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


@contextlib.contextmanager
def holding_run_folder():
    """Release, when the block ends (returns, raises, Ctrl-C), every run folder prepare_run_folder
    held inside it: `fit` runs in one, so that a notebook's next run may use the folder."""
    start = len(_held)
    try:
        yield
    finally:
        while len(_held) > start:
            _held.pop().release()


def prepare_run_folder(out_dir, resume):
    """Make the run folder and check it before the first step, not after a whole epoch: that it
    can be written, that no other run is training in it (it is held until the run ends: see
    holding_run_folder), and that a run already in it is resumed, never trained over. Removes the
    temporary files a crash mid-write leaves, by their exact names: nothing else in the folder is
    touched. Returns (folder, checkpoint to resume from or None)."""
    if out_dir is None or not str(out_dir).strip():
        raise KitError(f"--out {str(out_dir or '')!r} names no folder: name one for the run, such as runs/net "
                       f"(--out, RUN_NAME; it is made if needed).")
    out = Path(out_dir)
    lock = _RunFolderLock(out)
    try:
        if out.exists() and not out.is_dir():
            raise KitError(f"--out {shown_path(out)} is a file, not a folder: name a folder for the run (it is made if needed).")
        out.mkdir(parents=True, exist_ok=True)
        holder = lock.acquire()  # its file is the write test: made, and written, in the folder
    except OSError as error:
        raise KitError(f"cannot write the run to {shown_path(out)} ({error.strerror or error}): choose a folder you can write "
                       f"to (--out, RUN_NAME).") from None
    if holder:
        raise KitError(f"{shown_path(out)} is in use: {holder} is training in it. Wait for it to end, or train in another folder "
                       f"(--out, RUN_NAME); two runs in one folder would mix their files.")
    _held.append(lock)
    for name in TEMPORARY_FILES:  # left by a crash mid-write; held, so no other run is writing them now
        stale = out / name
        if stale.is_file() or stale.is_symlink():
            with contextlib.suppress(OSError):
                stale.unlink()
    try:
        return out, _checkpoint_to_resume(out, resume)
    except KitError:  # refused: the folder is let go at once
        _held.remove(lock)
        lock.release()
        raise


def _checkpoint_to_resume(out, resume):
    """The checkpoint a run in `out` goes on from (None: a new run), or KitError when the folder
    holds a run that must not be trained over."""
    held = [name for name in RUN_FILES if (out / name).exists()]
    if held and not resume:
        raise KitError(f"{shown_path(out)} already holds a run ({', '.join(held)}): resume it (--resume, resume=True) or choose "
                       f"another folder; the kit never overwrites a run.")
    if not resume:
        return None
    for name in ("last.pt", "best.pt"):  # best.pt holds the full state too: a run whose last.pt was lost goes on from it
        if (out / name).exists():
            return out / name
    if held:  # metrics.json alone: the run's checkpoints are gone, and starting afresh would overwrite its results
        raise KitError(f"{shown_path(out)} holds {', '.join(held)} but no checkpoint to resume from: move those files away to keep "
                       f"them, or train in another folder.")
    return None


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
