"""Training and testing: one step, one epoch, the predictions, and the whole run (`fit`).

    training_step   forward, loss, backward, optimiser step: the one every run and the benchmark use
    train_epoch     one pass over the training batches, updating the weight average
    predict         logits for every test image (optionally with flip test-time augmentation)
    evaluate        (loss, accuracy %) on a loader
    fit             the run: epochs, checkpoints and metrics.json after each, resume, TensorBoard

The recipe and why: notebook 04. The batches arrive finished (loader.DeviceBatches): normalised,
channels-last, on the device.
"""
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from helpers import KitError
from helpers.checkpoints import load_checkpoint, save_checkpoint, set_rng_state, write_metrics
from helpers.device import autocast, gradient_scaler, lower_precision, pick_device, seed_everything, to_device
from helpers.loader import eval_batches, train_batches
from helpers.recipe import Recipe, l1_penalty, make_optimizer, make_scheduler
from helpers.weight_average import WeightAverage
from helpers.whitening import whiten_first_conv


MIN_STEPS_PER_EPOCH = 4  # fewer leave OneCycleLR no room to climb and descend, and BatchNorm few batches


def training_step(model, images, labels, optimizer, recipe, dtype=None, scaler=None):
    """One step on one batch: the loss (with the recipe's label smoothing and L1 penalty) computed
    under autocast to `dtype`, its gradients, one optimiser step. With float16 the gradient
    scaler multiplies the loss so that small gradients survive, and divides them back before the
    step (skipping a step whose gradients overflowed). Returns (loss without L1, logits)."""
    with autocast(images.device, dtype):
        logits = model(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=recipe.label_smoothing)
        objective = loss + recipe.l1 * l1_penalty(model) if recipe.l1 else loss
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(objective).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        objective.backward()
        optimizer.step()
    return loss, logits


def train_epoch(model, batches, optimizer, scheduler, recipe, scaler=None, average=None, progress=True, desc="train"):
    """One pass over the training batches, a scheduler step and a weight-average update after each
    step. Returns (loss, accuracy %, the learning rate of each step)."""
    model.train()
    device = batches.device
    dtype = lower_precision(device) if recipe.mixed_precision else None
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen, lrs = 0, []
    bar = tqdm(batches, desc=desc, leave=False, disable=not progress, dynamic_ncols=True)
    for step, (images, labels) in enumerate(bar):
        loss, logits = training_step(model, images, labels, optimizer, recipe, dtype, scaler)
        if average is not None:
            average.update(model)
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
        # Sums stay on the device: reading them every step would make the GPU wait for Python.
        total_loss += loss.detach() * len(labels)
        correct += (logits.argmax(1) == labels).sum()
        seen += len(labels)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{total_loss.item() / seen:.3f}", acc=f"{100 * correct.item() / seen:.1f}%")
    return total_loss.item() / seen, 100 * correct.item() / seen, lrs


@torch.no_grad()
def predict(model, batches, tta=False, mixed_precision=True):
    """Logits for every image of `batches` (in order) and the labels, on the batches' device.
    `tta=True` averages the logits of each image and its mirror image (flip test-time augmentation)."""
    model.eval()
    dtype = lower_precision(batches.device) if mixed_precision else None
    all_logits, all_labels = [], []
    for images, labels in batches:
        with autocast(batches.device, dtype):
            logits = model(images).float()
            if tta:
                logits = (logits + model(images.flip(3)).float()) / 2
        all_logits.append(logits)
        all_labels.append(labels)
    return torch.cat(all_logits), torch.cat(all_labels)


def evaluate(model, batches, tta=False, mixed_precision=True):
    """(loss, accuracy %) on `batches`, without label smoothing."""
    logits, labels = predict(model, batches, tta, mixed_precision)
    return F.cross_entropy(logits, labels).item(), 100 * (logits.argmax(1) == labels).float().mean().item()


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
    if recipe.whiten_first_layer:  # from the data alone: the same filters on a resume
        whiten_first_conv(model, data)
    train_loader = train_batches(data, recipe, device)
    if len(train_loader) < MIN_STEPS_PER_EPOCH:  # a run that cannot learn must not pass for one that did
        fits = len(data.train) // MIN_STEPS_PER_EPOCH
        raise KitError(f"{len(data.train)} training images at batch size {recipe.batch_size} make {len(train_loader)} "
                       f"step(s) an epoch, too few to learn: use a batch size of {fits} or less "
                       f"(--batch-size, BATCH_SIZE), or more images.")
    test_loader = eval_batches(data, device, max(recipe.batch_size, 512))
    optimizer = make_optimizer(model, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(train_loader))
    scaler = gradient_scaler(device, recipe.mixed_precision)
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
        set_rng_state(state["rng"])
        history, start = state["history"], state["epoch"] + 1
        log(f"resuming {last} after epoch {state['epoch']}")
    elif resume:
        log(f"nothing to resume in {out}: starting a new run")
    writer = _tensorboard(tensorboard_dir)
    best_acc = max((h["test_acc"] for h in history), default=-1.0)
    evaluated = average.model if average else model
    test = lambda net, tta=False: evaluate(net, test_loader, tta=tta, mixed_precision=recipe.mixed_precision)
    for epoch in range(start, recipe.epochs + 1):
        t0 = time.perf_counter()
        train_loader.set_epoch(epoch)
        train_loss, train_acc, lrs = train_epoch(model, train_loader, optimizer, scheduler, recipe, scaler, average,
                                                 progress, desc=f"epoch {epoch}/{recipe.epochs}")
        test_loss, test_acc = test(evaluated)
        entry = {"epoch": epoch, "train_loss": round(train_loss, 4), "train_acc": round(train_acc, 2),
                 "test_loss": round(test_loss, 4), "test_acc": round(test_acc, 2)}
        if average:  # the training weights too, to show what the average brings
            entry["training_weights_test_acc"] = round(test(model)[1], 2)
        if epoch == recipe.epochs:  # flip test-time augmentation, reported beside the plain accuracy, never for it
            entry["flip_tta_test_acc"] = round(test(evaluated, tta=True)[1], 2)
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
            _log_tensorboard(writer, history[-1], evaluated, test_loader)
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
