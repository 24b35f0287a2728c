"""Everything a training run changes as it goes, in one object that saves and resumes itself.

    RunState.start      model, optimiser, OneCycleLR, gradient scaler, weight average, empty history
    RunState.save       OUT/best.pt or OUT/last.pt, atomically (checkpoints.atomic_write)
    RunState.resume     load OUT/last.pt back, after checking it was the same recipe on the same data
    data_entry          what a checkpoint records of the data: description, mean, std, classes, identity
    data_identity       what "the same data" means: description, sizes and a digest of every pixel and label
    saved_recipe        the recipe a run folder was started with, or None

`fit` (helpers/training.py) drives it; the benchmark builds one to time an epoch.
"""
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from helpers import KitError
from helpers.machinery.checkpoints import CheckpointError, atomic_write, load_checkpoint, rng_state, set_rng_state
from helpers.machinery.device import gradient_scaler
from helpers.machinery.pipelines import pipeline_differences
from helpers.machinery.registry import describe_model, network_changes, network_record
from helpers.recipe import Recipe, make_optimizer, make_scheduler
from helpers.weight_average import WeightAverage


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


def saved_recipe(out_dir):
    """The recipe the run in `out_dir` was started with (from last.pt, else best.pt), or None."""
    for name in ("last.pt", "best.pt"):
        path = Path(out_dir) / name
        if path.is_file():
            recipe = load_checkpoint(path).get("recipe")
            return Recipe.from_dict(recipe) if recipe else None
    return None


@dataclass
class RunState:
    model: torch.nn.Module
    recipe: Recipe
    optimizer: torch.optim.Optimizer
    scheduler: object
    scaler: object = None
    average: WeightAverage = None
    data: dict = None  # data_entry of the run's data
    augmentation: dict = None  # the training pipeline, A.to_dict (machinery/pipelines.pipeline_record)
    history: list = field(default_factory=list)
    # Every random generator (Python, NumPy, torch CPU and CUDA) as the last epoch's training left
    # it: saved, and set again before the next epoch, so that what runs between two epochs (testing,
    # saving, TensorBoard, a resume's start) never shifts dropout's or any other draw.
    rng: dict = None

    @classmethod
    def start(cls, model, recipe, steps_per_epoch, dtype, data=None, augmentation=None):
        optimizer = make_optimizer(model, recipe)
        return cls(model, recipe, optimizer, make_scheduler(optimizer, recipe, steps_per_epoch),
                   gradient_scaler(dtype), WeightAverage(model, recipe.ema_decay) if recipe.ema_decay else None,
                   data_entry(data) if data is not None else None, augmentation)

    @property
    def epoch(self):
        return self.history[-1]["epoch"] if self.history else 0

    @property
    def evaluated(self):
        """The weights a run tests and saves: the weight average's when there is one."""
        return self.average.model if self.average else self.model

    def non_finite(self):
        """The names of the weights, buffers and optimiser state that hold NaN or inf: [] when none."""
        tensors = {f"model {k}": v for k, v in self.model.state_dict().items()}
        if self.average:
            tensors.update({f"weight average {k}": v for k, v in self.average.model.state_dict().items()})
        for index, entry in self.optimizer.state.items() if isinstance(self.optimizer.state, dict) else ():
            tensors.update({f"optimiser {name} #{i}": v for i, (name, v) in enumerate(entry.items())})
        return [name for name, v in tensors.items()
                if isinstance(v, torch.Tensor) and v.is_floating_point() and not bool(torch.isfinite(v).all())]

    def save(self, path):
        bad = self.non_finite()
        if bad:  # fit stops before this with its own line; a checkpoint of NaN weights would poison a resume
            raise KitError(f"not saving {path}: {len(bad)} tensor(s) hold NaN or inf ({', '.join(bad[:3])}).")
        state = {"architecture": describe_model(self.model), "epoch": self.epoch,
                 "model": self.evaluated.state_dict(),
                 "training_model": self.model.state_dict() if self.average else None,
                 "average_steps": self.average.steps if self.average else None,
                 "history": list(self.history), "rng": self.rng or rng_state(),
                 "network": network_record(self.model),
                 "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "scaler": self.scaler.state_dict() if self.scaler else None,
                 "recipe": asdict(self.recipe), "data": self.data,
                 "augmentation": self.augmentation}
        atomic_write(path, lambda tmp: torch.save(state, tmp))

    def resume(self, path, device):
        """Continue from the checkpoint at `path`. Refuses, naming each difference, a checkpoint of
        another recipe or other data: the history would mix two runs."""
        state = load_checkpoint(path, self.model, map_location=device,
                                weights="training_model" if self.average else "model")
        if "optimizer" not in state:  # export_weights' files keep the weights only
            raise CheckpointError(f"{path} holds trained weights but not a run's state (optimiser, schedule, random "
                                  f"generators): it cannot be resumed. Train in another folder.")
        identity = self.data["identity"] if self.data else None
        if identity and "pixels" not in ((state.get("data") or {}).get("identity") or {"pixels": "all"}):
            identity = self.data["sampled_identity"]  # a checkpoint from before every pixel was hashed
        differences = _differences(state, self.recipe, identity)
        if state.get("augmentation") and self.augmentation:  # checkpoints from before it was recorded: the recipe's switches
            differences += [f"augmentation: {d}" for d in pipeline_differences(state["augmentation"], self.augmentation)]
        if differences:
            raise CheckpointError(f"{path} was trained with other settings: {'; '.join(differences)}. Resume with the "
                                  f"run's own settings, or start a new run in another folder.")
        changed = network_changes(state["network"], self.model) if state.get("network") else []
        if changed:
            raise CheckpointError(f"{path} was trained with another version of the network: {'; '.join(changed)}. "
                                  f"Undo the change to resume the run, or train the changed network in another "
                                  f"folder.")
        if self.average:
            self.average.model.load_state_dict(state["model"])
            self.average.steps = state["average_steps"]
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        self.rng = state["rng"]
        self.history = state["history"]


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
