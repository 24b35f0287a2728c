"""Training and testing: one step, one epoch, the predictions, and the whole run (`fit`).

    RunState        the run's state: model, optimiser, OneCycleLR, scaler, weight average, history; saved, resumed
    training_step   forward, loss, backward, optimiser step: the one every run and the benchmark use
    train_epoch     one pass over the training batches, updating the weight average
    predict         logits for every test image (optionally with flip test-time augmentation)
    evaluate        (loss, accuracy %) on a loader
    fit             the run: epochs, checkpoints and metrics.json after each, resume, TensorBoard

The recipe and why: notebook 04. The batches arrive finished (machinery/loader.py): normalised,
channels-last, on the device. What a run changes as it goes (model, optimiser, schedule, weight
average, history, random generators) is one object, RunState, which saves and resumes itself
(machinery/checkpoints.py: the file's format). A run computes in one precision, run_precision's
answer for its recipe's mixed_precision, decided once in `fit` and passed down.
"""
import itertools
import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from helpers import KitError, shown_path
from helpers.assignment import check_assignment, format_checks, rules_record
from helpers.machinery.checkpoints import (RunWriteError, data_entry, holding_run_folder, prepare_run_folder,
                                           resume_checkpoint, rng_state, save_checkpoint, saved_epoch, set_rng_state,
                                           write_metrics)
from helpers.machinery.device import autocast, gradient_scaler, pick_device, run_precision, seed_everything, to_device
from helpers.machinery.loader import eval_batches, train_batches
from helpers.machinery.pipelines import check_pipeline, pipeline_record
from helpers.machinery.registry import error_line
from helpers.recipe import Recipe, l1_penalty, make_optimizer, make_scheduler
from helpers.transforms import train_transforms
from helpers.weight_average import WeightAverage
# What the notebooks call from the machinery, by these names: a student need not open machinery/.
from helpers.machinery.checkpoints import load_checkpoint, saved_recipe  # noqa: F401  (notebooks 01, 04)
from helpers.machinery.device import gradient_scaler, lower_precision  # noqa: F401  (notebook 06)
from helpers.machinery.loader import WorkerBatches, augment_where, worker_count  # noqa: F401  (notebooks 01, 04, 05)
from helpers.machinery.notebook import figure_dir, my_networks_dir, run_dir, show_code, student_file  # noqa: F401
from helpers.machinery.pipelines import load_augmentation  # noqa: F401  (notebooks 01, 04)
from helpers.machinery.reference import SHIPPED_WEIGHTS, reference_metrics, trained_checkpoint  # noqa: F401
from helpers.machinery.registry import build_model, load_network  # noqa: F401  (notebooks 03, 04, 06)

MIN_STEPS_PER_EPOCH = 4  # fewer leave OneCycleLR no room to climb and descend, and BatchNorm few batches
CHECK_FINITE_EVERY = 10  # steps between looks at the loss: each look makes a GPU wait for Python


LIKELY_CAUSES = ("the learning rate is too high for this network (lower the max LR; notebook 04's LR range test "
                 "suggests one), or its forward pass returns NaN or inf (run it on one batch and look)")


class NonFiniteLoss(KitError):
    """The loss became NaN or infinite: the run cannot learn from here on."""


@dataclass
class RunState:
    """Everything a run changes as it goes: the model, its optimiser and OneCycleLR schedule, the
    gradient scaler float16 needs, the weight average, the history and the random generators.
    `save` writes it to a checkpoint and `resume` reads it back (machinery/checkpoints.py holds
    the file's format): a resumed run goes on as if it had never stopped."""
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
            raise KitError(f"not saving {shown_path(path)}: {len(bad)} tensor(s) hold NaN or inf ({', '.join(bad[:3])}).")
        save_checkpoint(path, self)

    def resume(self, path, device):
        """Continue from the checkpoint at `path`; refuses one of another recipe, data or network."""
        resume_checkpoint(self, path, device)


def training_step(model, images, labels, optimizer, dtype=None, scaler=None, label_smoothing=0.0, l1=0.0):
    """One step on one batch: the loss (with label smoothing and an optional L1 penalty) computed
    under autocast to `dtype`, its gradients, one optimiser step. With float16 the gradient
    scaler multiplies the loss so that small gradients survive, and divides them back before the
    step (skipping a step whose gradients overflowed). Returns (loss without L1, logits)."""
    with autocast(images.device, dtype):
        logits = model(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
        objective = loss + l1 * l1_penalty(model) if l1 else loss
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(objective).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        objective.backward()
        optimizer.step()
    return loss, logits


def train_epoch(run, batches, dtype=None, progress=True, desc="train"):
    """One pass over the training batches: a training step, a weight-average update and a
    scheduler step for each batch. Returns (loss, accuracy %, the learning rate of each step)."""
    run.model.train()
    total_loss = torch.zeros((), device=batches.device)
    correct = torch.zeros((), device=batches.device, dtype=torch.long)
    seen, lrs = 0, []
    bar = tqdm(batches, desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    batch_iterator = iter(bar)
    # Starting the loader draws its workers' seed from torch's generator: each epoch, or only at the
    # first one when the workers persist, which a resumed run would then draw again. Undone, so that
    # dropout and every other draw see the same generator on a resume as in an uninterrupted run.
    with torch.random.fork_rng(devices=[]):
        first = next(batch_iterator, None)
    for step, (images, labels) in enumerate(itertools.chain([first] if first is not None else [], batch_iterator), 1):
        loss, logits = training_step(run.model, images, labels, run.optimizer, dtype, run.scaler,
                                     run.recipe.label_smoothing, run.recipe.l1)
        if run.average is not None:
            run.average.update(run.model)
        lrs.append(run.optimizer.param_groups[0]["lr"])
        run.scheduler.step()
        # Sums stay on the device: reading them every step would make the GPU wait for Python.
        total_loss += loss.detach() * len(labels)
        correct += (logits.argmax(1) == labels).sum()
        seen += len(labels)
        if step % CHECK_FINITE_EVERY == 0 or step == len(batches):
            if not torch.isfinite(total_loss):
                raise NonFiniteLoss(f"the training loss became {total_loss.item()} by step {step} of this epoch, at "
                                    f"LR {lrs[-1]:.3g}: {LIKELY_CAUSES}.")
            if progress:
                bar.set_postfix(loss=f"{total_loss.item() / seen:.3f}", acc=f"{100 * correct.item() / seen:.1f}%")
    return total_loss.item() / seen, 100 * correct.item() / seen, lrs


@torch.no_grad()
def predict(model, batches, tta=False, dtype="auto", recipe=None):
    """Logits for every image of `batches` (in order) and the labels, on the batches' device.
    `tta=True` averages the logits of each image and its mirror image (flip test-time augmentation).
    `dtype`: what autocast computes in, None for float32; "auto" is what `recipe` (its run's: a
    Recipe or a checkpoint's state["recipe"]; None: the default recipe) computes in (run_precision)."""
    model.eval()
    dtype = run_precision(batches.device, recipe) if dtype == "auto" else dtype
    all_logits, all_labels = [], []
    for images, labels in batches:
        with autocast(batches.device, dtype):
            logits = model(images).float()
            if tta:
                logits = (logits + model(images.flip(3)).float()) / 2
        all_logits.append(logits)
        all_labels.append(labels)
    return torch.cat(all_logits), torch.cat(all_labels)


def evaluate(model, batches, tta=False, dtype="auto", recipe=None):
    """(loss, accuracy %) on `batches`, without label smoothing."""
    logits, labels = predict(model, batches, tta, dtype, recipe)
    return F.cross_entropy(logits, labels).item(), 100 * (logits.argmax(1) == labels).float().mean().item()


@holding_run_folder()  # the run folder is held from prepare_run_folder until fit ends, however it ends
def fit(model, data, recipe, out_dir, resume=False, device="auto", progress=True, tensorboard_dir=None, log=print,
        augmentation=None):
    """Train `model` on `data` with `recipe`, writing OUT/last.pt and OUT/best.pt (atomically) and
    OUT/metrics.json after every epoch. `resume=True` continues the run in OUT: with the same seed
    on the same machine the history is the one an uninterrupted run would have written. A folder
    that holds a run is never trained in afresh.

    `augmentation`: your own Albumentations A.Compose (notebook 01's last section), used instead of
    the course's pipeline that the recipe's switches build. Either way the run records the pipeline
    (A.to_dict) in metrics.json and its checkpoints, and a resume with another pipeline is refused."""
    recipe.check()
    if augmentation is not None:  # before anything is written: it must run and hand back uint8 images
        check_pipeline(augmentation, data.train.images[:8])
    compose = train_transforms(data.mean, recipe) if augmentation is None else augmentation
    pipeline = pipeline_record(compose)
    out, checkpoint = prepare_run_folder(out_dir, resume)
    assignment = _report_assignment(model, log, compose)  # first: a student reads it before anything else
    device = pick_device(device, log, recipe) if isinstance(device, str) else device
    seed_everything(recipe.seed)
    to_device(model, device)
    train_loader = train_batches(data, recipe, device, log=log, augmentation=augmentation)
    # Recorded as it ran ("device" or "workers"), so that a resume cannot switch.
    recipe = replace(recipe, augment_on=getattr(train_loader, "augment_on", "workers"))
    if len(train_loader) < MIN_STEPS_PER_EPOCH:  # a run that cannot learn must not pass for one that did
        raise KitError(f"{len(data.train)} training images at batch size {recipe.batch_size} make {len(train_loader)} "
                       f"step(s) an epoch, too few to learn: use a batch size of "
                       f"{len(data.train) // MIN_STEPS_PER_EPOCH} or less (--batch-size, BATCH_SIZE), or more images.")
    test_loader = eval_batches(data, device, max(recipe.batch_size, 512))
    dtype = run_precision(device, recipe)  # the run's one decision
    run = RunState.start(model, recipe, len(train_loader), dtype, data, augmentation=pipeline)
    if checkpoint:
        run.resume(checkpoint, device)
        log(f"resuming {shown_path(checkpoint)} after epoch {run.epoch}")
    elif resume:
        log(f"nothing to resume in {shown_path(out)}: starting a new run")
    recorded = _recorded_epochs(out, run, checkpoint, log) if checkpoint else []  # a finished run's record never changes
    extra = {**assignment, "augmentation": pipeline}
    if run.epoch >= recipe.epochs and recorded != run.history:  # metrics.json an epoch behind its checkpoint (a kill)
        write_metrics(out / "metrics.json", run.evaluated, data, device, run.history, recipe, extra)
        log(f"the run in {shown_path(out)} is complete ({run.epoch} epochs); metrics.json written from its checkpoint")
    elif run.epoch >= recipe.epochs:
        log(f"the run in {shown_path(out)} is complete ({run.epoch} epochs): nothing to train, and its record is as it was")
    writer = _tensorboard(tensorboard_dir)
    best_acc = max((h["test_acc"] for h in run.history), default=-1.0)
    for epoch in range(run.epoch + 1, recipe.epochs + 1):
        started = time.perf_counter()
        train_loader.set_epoch(epoch)
        if run.rng:  # the generators as the last epoch's training left them (RunState.rng)
            set_rng_state(run.rng)
        try:
            train_loss, train_acc, lrs = train_epoch(run, train_loader, dtype, progress, desc=f"epoch {epoch}/{recipe.epochs}")
        except NonFiniteLoss as error:
            raise NonFiniteLoss(f"epoch {epoch}: {error} {_stopped(out, run)}") from None
        run.rng = rng_state()
        entry = _test_entry(run, test_loader, dtype, epoch, last=epoch == recipe.epochs)
        if not math.isfinite(entry["test_loss"]):  # BatchNorm's running statistics can blow up while the loss does not
            raise NonFiniteLoss(f"epoch {epoch}: the test loss (in eval mode) is {entry['test_loss']}: {LIKELY_CAUSES}. "
                                f"{_stopped(out, run)}")
        non_finite = run.non_finite()  # a finite loss does not make finite weights (a forward that clamps its output)
        if non_finite:
            raise NonFiniteLoss(f"epoch {epoch}: {len(non_finite)} tensor(s) of the weights became NaN or inf "
                                f"({', '.join(non_finite[:2])}{', ...' if len(non_finite) > 2 else ''}) although the "
                                f"loss did not: {LIKELY_CAUSES}. {_stopped(out, run)}")
        entry = {"epoch": epoch, "train_loss": round(train_loss, 4), "train_acc": round(train_acc, 2), **entry,
                 "lr": lrs[-1], "seconds": round(time.perf_counter() - started, 2), "lrs": lrs}
        if epoch <= len(recorded):  # trained again (its last.pt was lost): it must be what metrics.json records
            entry = _as_recorded(entry, recorded[epoch - 1], out, checkpoint)
        run.history.append(entry)
        log(_epoch_line(entry, recipe.epochs))
        try:
            if entry["test_acc"] > best_acc:
                best_acc = entry["test_acc"]
                run.save(out / "best.pt")
            run.save(out / "last.pt")  # last: after best, so a crash between the two loses nothing
            if epoch > len(recorded):
                write_metrics(out / "metrics.json", run.evaluated, data, device, run.history, recipe, extra)
        except RunWriteError as error:  # disk full, read-only, the folder removed: no partial file is left
            raise KitError(f"epoch {epoch}: {error}. {_after_write_failure(out)}") from None
        if writer:
            try:
                _log_tensorboard(writer, entry, run.evaluated, test_loader)
            except OSError as error:
                raise KitError(f"epoch {epoch}: cannot write the TensorBoard log to {shown_path(tensorboard_dir)} "
                               f"({error.strerror or error}). {_after_write_failure(out)} TensorBoard is not part of "
                               f"the run: resume with another --tensorboard folder, or without it.") from None
    if writer:
        writer.close()
    if run.average:  # the caller's model ends with the weights that were evaluated and saved
        model.load_state_dict(run.average.model.state_dict())
    return run.history


def _recorded_epochs(out, run, checkpoint, log):
    """The history metrics.json records, checked to be the checkpoint's so far ([] when there is no
    readable record). Epochs it records beyond the checkpoint (a run whose last.pt was lost goes on
    from best.pt) are trained again: said here, and each must come out as recorded (_as_recorded)."""
    try:
        recorded = json.loads((out / "metrics.json").read_text())["epochs"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not (isinstance(recorded, list) and all(isinstance(e, dict) for e in recorded)):
        return []
    shared = min(len(recorded), len(run.history))
    if _numbers(recorded[:shared]) != _numbers(run.history[:shared]):
        raise KitError(f"{shown_path(out / 'metrics.json')} records another history than {shown_path(checkpoint)}: they are not one run's. "
                       f"Move metrics.json aside to keep it, then resume; the kit never rewrites a run's record.")
    if len(recorded) > run.epoch:
        again = f"epoch {run.epoch + 1}" + (f"-{len(recorded)}" if len(recorded) > run.epoch + 1 else "")
        log(f"{checkpoint.name} holds epoch {run.epoch} and metrics.json records {len(recorded)}: {again} "
            f"{'is' if len(recorded) == run.epoch + 1 else 'are'} trained again (last.pt is missing), and must give "
            f"the numbers recorded; metrics.json is not rewritten for them.")
    return recorded


def _numbers(history):
    """A history without its timings: what two runs of the same seed on the same machine share."""
    return [{k: v for k, v in entry.items() if k != "seconds"} for entry in history]


def _as_recorded(entry, recorded, out, checkpoint):
    """An epoch trained again: the recorded entry (its timing too) when the numbers agree; else the
    run stops before saving anything of it, its record kept."""
    if _numbers([entry]) == _numbers([recorded]):
        return recorded
    key = next(k for k in sorted(set(entry) | set(recorded)) if k != "seconds" and entry.get(k) != recorded.get(k))
    shown = lambda v: f"{len(v)} values" if isinstance(v, list) else v
    raise KitError(f"epoch {entry['epoch']} trained again from {shown_path(checkpoint)} gives other numbers than "
                   f"{shown_path(out / 'metrics.json')} records ({key} {shown(entry.get(key))}, recorded {shown(recorded.get(key))}): "
                   f"this machine or its software is not the one the run ran on. The record is kept as it was; to "
                   f"train on here, copy {shown_path(checkpoint)} into a new folder and resume there (--out NEW --resume).")


def _after_write_failure(out):
    """After a file of the run could not be written: what the folder still holds, and how to go on."""
    if not out.is_dir():
        return (f"The run folder {shown_path(out)} is gone, and its checkpoints with it: train again in a folder you can write to "
                f"(--out, RUN_NAME).")
    saved = {}
    for name in ("last.pt", "best.pt"):
        try:
            saved[name] = saved_epoch(out / name)
        except KitError:
            pass
    if not saved:
        return (f"Nothing of the run is saved in {shown_path(out)}: free some space or choose a folder you can write to "
                f"(--out, RUN_NAME), and train again.")
    name = "last.pt" if "last.pt" in saved else "best.pt"  # what --resume goes on from
    return (f"{shown_path(out / name)} holds epoch {saved[name]}: free some space (or make the folder writable) and run the same "
            f"command with --resume (resume=True), or copy the folder to a disk with room (cp -r {shown_path(out)} NEW) and "
            f"resume there (--out NEW --resume).")


def _stopped(out, run):
    """What a run stopped before its epoch ended leaves: nothing of the failed epoch is saved."""
    if not run.epoch:
        return "Training stopped; no checkpoint was written."
    return f"Training stopped; the checkpoints in {shown_path(out)} are as they were, the last one of epoch {run.epoch}."


def _report_assignment(model, log, augmentation=None):
    """The course's rules, checked before training on the network and the pipeline that trains it:
    a network that breaks one still trains (students experiment), and the run says so first.
    Returns what metrics.json records (assignment.rules_record): lists, never None; when the
    checker itself fails, every rule is recorded as not checked, with why."""
    try:
        with torch.random.fork_rng(devices=[]):  # the check must not change the run's random numbers
            checks = check_assignment(model, augmentation=augmentation)
    except Exception as error:  # a diagnosis, not a requirement: a network it cannot follow still trains
        why = f"not checked: the checker cannot follow this network ({error_line(error)})"
        log(f"assignment: {why}; notebook 03's check_assignment shows where.")
        return {"assignment_rules_broken": [],
                "assignment_rules_not_checked": [{"rule": rule, "why": why} for rule in _rule_names(augmentation)],
                "assignment_variants": {}}
    record = rules_record(checks)
    broken, not_checked = record["assignment_rules_broken"], record["assignment_rules_not_checked"]
    unchecked = f"; {len(not_checked)} not checked before training" if not_checked else ""
    log(f"assignment: this network breaks {len(broken)} rule(s): {'; '.join(broken)}{unchecked}. It trains anyway; "
        f"metrics.json records it." if broken else f"assignment: every rule checked before training passes{unchecked}")
    log(format_checks(checks))
    return record


def _rule_names(augmentation=None):
    """The names of the assignment's rules, from the kit's own Net (which the checker always
    follows): what a run records as not checked when the checker fails on its network."""
    from helpers.model import Net
    for kwargs in ({"augmentation": augmentation}, {}):
        try:
            with torch.random.fork_rng(devices=[]):
                return [c.rule for c in check_assignment(Net(), **kwargs) if getattr(c, "kind", "rule") == "rule"]
        except Exception:  # the checker fails on the pipeline too: the rules without it
            continue
    return ["every rule"]


def _test_entry(run, test_loader, dtype, epoch, last):
    """Test loss and accuracy of the weights the run reports, the training weights too (to show
    what the average brings), and on the last epoch flip test-time augmentation, reported beside
    the plain accuracy, never for it."""
    test_loss, test_acc = evaluate(run.evaluated, test_loader, dtype=dtype)
    entry = {"test_loss": round(test_loss, 4), "test_acc": round(test_acc, 2)}
    if run.average:
        entry["training_weights_test_acc"] = round(evaluate(run.model, test_loader, dtype=dtype)[1], 2)
    if last:
        entry["flip_tta_test_acc"] = round(evaluate(run.evaluated, test_loader, tta=True, dtype=dtype)[1], 2)
    return entry


def _epoch_line(entry, epochs):
    parts = [f"epoch {entry['epoch']:3d}/{epochs}",
             f"train loss {entry['train_loss']:.3f} acc {entry['train_acc']:5.2f}%",
             f"test loss {entry['test_loss']:.3f} acc {entry['test_acc']:5.2f}%"]
    if "training_weights_test_acc" in entry:
        parts.append(f"(training weights {entry['training_weights_test_acc']:5.2f}%)")
    if "flip_tta_test_acc" in entry:
        parts.append(f"(flip TTA {entry['flip_tta_test_acc']:5.2f}%)")
    parts += [f"lr {entry['lr']:.4f}", f"{entry['seconds']:.1f}s"]
    return "  ".join(parts)


def _tensorboard(log_dir):
    if not log_dir:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise KitError("TensorBoard logging was asked for but tensorboard is not installed: "
                       "pip install tensorboard, or leave --tensorboard off.") from None
    try:  # before the first step: a folder it cannot write to is said now, not after an epoch
        writer = SummaryWriter(str(log_dir))
        writer.flush()
        return writer
    except OSError as error:
        raise KitError(f"cannot write the TensorBoard log to {shown_path(log_dir)} ({error.strerror or error}): choose a folder you "
                       f"can write to (--tensorboard), or leave it off.") from None


def _log_tensorboard(writer, entry, model, test_loader):
    """Losses, accuracies, the per-step LR, and a grid of misclassified test images."""
    epoch = entry["epoch"]
    for split in ("train", "test"):
        writer.add_scalar(f"loss/{split}", entry[f"{split}_loss"], epoch)
        writer.add_scalar(f"accuracy/{split}", entry[f"{split}_acc"], epoch)
    first_step = (epoch - 1) * len(entry["lrs"])
    for i, lr in enumerate(entry["lrs"]):
        writer.add_scalar("lr", lr, first_step + i)
    logits, labels = predict(model, test_loader)
    wrong = torch.nonzero(logits.argmax(1) != labels).flatten()[:32].cpu()
    if len(wrong):
        images = torch.from_numpy(test_loader.split.images[wrong.numpy()]).permute(0, 3, 1, 2)
        writer.add_images("misclassified", images, epoch, dataformats="NCHW")
    writer.flush()
