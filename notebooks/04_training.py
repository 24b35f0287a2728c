# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/04_training.ipynb)
#
# # 04 · Training: the recipe, the learning rate and the run
#
# This notebook trains `Net` (notebook 03, helpers/model.py) on CIFAR-10 and explains every choice on the way:
#
# 1. the **recipe**: SGD with Nesterov momentum, OneCycleLR, weight decay that spares norms and biases, label smoothing;
# 2. the **LR range test**, which picks the largest learning rate;
# 3. the **OneCycleLR schedule**, drawn before any training;
# 4. the **training run**, with checkpoints you can resume after a crash, and its curves;
# 5. the same recipe with **Adam**, and with an **L1 penalty**;
# 6. a **normalisation study**: BatchNorm vs GroupNorm vs LayerNorm, same recipe and seed;
# 7. a small **self-attention network** trained with Adam;
# 8. **TensorBoard**, if you want live curves.
#
# On a Colab T4 GPU the full run (30 epochs on all 50,000 images) takes minutes per model; on a CPU it takes hours.
# Run it on a GPU: *Runtime > Change runtime type > T4 GPU*.

# %%
# Setup: find the kit (on Colab, fetch it: a fork sets REPO_URL to its own) and install only what Colab
# lacks, never torch or torchvision. Works from any folder inside the kit, on Colab and on your machine.
import subprocess, sys
from pathlib import Path
REPO_URL = "https://github.com/eva-course-kit/cifar10-advanced-convolutions"
KIT = next((p for p in (Path.cwd(), *Path.cwd().parents, Path("/content/kit")) if (p / "helpers" / "notebook.py").is_file()), None)
if KIT is None and "google.colab" in sys.modules:
    clone = subprocess.run(["git", "clone", "-q", "--depth", "1", REPO_URL, "/content/kit"], capture_output=True, text=True)
    KIT = Path("/content/kit") if clone.returncode == 0 else None
if KIT is None:
    raise SystemExit(f"The kit's helpers/ were not found here and could not be fetched from {REPO_URL}: set REPO_URL "
                     "to your fork, or upload the kit's folder as /content/kit (Colab), or open this notebook inside the kit.")
sys.path.insert(0, str(KIT))
from helpers.notebook import setup
SMOKE = setup()

# %% [markdown]
# ## The knobs
#
# Everything you may change is in the next cell; the rest of the notebook reads it. `SMOKE` is True only when the
# notebook runs as a test (a few hundred images, one epoch): then the numbers mean nothing.
#
# A run lives in the folder `runs/RUN_NAME` of the kit (`RUN`). Change a knob that alters the recipe and you need
# another name (`RUN_NAME = "net-adam"`, say): the kit refuses to resume a run with a different recipe, and it never
# overwrites one. On Colab, `RUNS_ON_DRIVE = True` keeps the runs on your Google Drive: a recycled runtime loses
# everything on its own disk, and a run on Drive can still be resumed.

# %%
DATA_ROOT = None                  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else None   # N class-balanced images per split; None: all 50,000 train / 10,000 test
EPOCHS = 1 if SMOKE else 30
BATCH_SIZE = 64 if SMOKE else 512 # smoke: 6 steps an epoch (OneCycleLR needs at least 4)
MAX_LR = None                     # None: the LR range test's suggestion (section 3); or a number such as 0.05
SEED = 0                          # the same seed gives the same weights, batches and augmentation
# Augmentation (helpers/transforms.py). The course's pipeline is the first three; the default recipe leaves
# CoarseDropout off (over 30 epochs it cost this network accuracy: README). True brings the course's pipeline back.
FLIP = True                       # horizontal flip
SHIFT_SCALE_ROTATE = True         # small shift, zoom and rotation
COARSE_DROPOUT = False            # one 16x16 hole filled with the mean colour
PAD_CROP = False                  # pad 4 pixels, crop a random 32x32 window
TO_GRAY = False
COLOR_JITTER = False
EMA_DECAY = 0.99                  # weight average kept each step (section 2); 0 evaluates the training weights
OPTIMIZER = "sgd"                 # "sgd" or "adam" (Adam wants a max LR about 10x smaller; the range test finds it)
L1 = 0.0                          # L1 penalty factor, e.g. 5e-5; 0 is off (section 8)
DROPOUT = 0.0                     # Dropout2d after each block of Net, e.g. 0.05
NORM = "batch"                    # "batch", "group" or "layer" (section 9 compares them)
TENSORBOARD = False               # also log to TensorBoard (needs the tensorboard package; Colab has it)
RESUME = True                     # continue RUN from RUN/last.pt when it holds an unfinished run
RUN_NAME = "net"                  # the run lives in runs/RUN_NAME: last.pt, best.pt, metrics.json
RUNS_ON_DRIVE = False             # Colab: keep runs/ on Google Drive, so that RESUME survives a recycled runtime

# %% [markdown]
# ## 1. The data
#
# `load_cifar10` decodes every image once into a uint8 array in memory; the loaders augment batches in worker processes
# and normalise them on the device. The mean and std come from the training split.

# %%
from dataclasses import asdict, replace

import numpy as np
import torch

from helpers import KitError
from helpers.checkpoints import load_checkpoint
from helpers.data import load_cifar10
from helpers.device import pick_device, seed_everything
from helpers.loops import fit
from helpers.lr_range_test import lr_range_test, suggest_max_lr
from helpers.model import count_parameters
from helpers.notebook import figure_dir, run_dir
from helpers.plots import plot_accuracy_curves, plot_history, plot_lr, plot_lr_range_test, save_figure
from helpers.recipe import Recipe, l1_penalty, make_optimizer, make_scheduler, parameter_groups
from helpers.registry import build_model

FIGURES = figure_dir()  # images/ for a real run, a scratch folder under the tests
RUN = run_dir(RUN_NAME, on_drive=RUNS_ON_DRIVE)

data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
DEVICE = pick_device("auto")
print(data.description)
print(f"{len(data.train):,} training and {len(data.test):,} test images; mean {data.mean}, std {data.std}")


def n_epochs(n):  # for the figure titles: "1 epoch", "30 epochs"
    return f"{n} epoch" if n == 1 else f"{n} epochs"


# %% [markdown]
# ## 2. The recipe
#
# `Recipe` (helpers/recipe.py) holds every setting of a run; `fit` reads nothing else, and each checkpoint stores it.
#
# | field | value | what it does, and why |
# |---|---|---|
# | `optimizer` | `"sgd"` | SGD with **Nesterov momentum**: the velocity $v \leftarrow \mu v + g$ is an average of past gradients, and Nesterov steps with $g + \mu v$, i.e. it looks one step ahead. That damps the overshoot plain momentum shows at a high learning rate. |
# | `max_lr` | from section 3 | the peak of the OneCycle schedule |
# | `momentum` | 0.9 | $\mu$ above (Adam's $\beta_1$). With SGD, OneCycleLR cycles it between 0.95 and 0.85 instead (section 4). |
# | `weight_decay` | 5e-4 | $\lambda w$ is added to each weight's gradient, so each step also shrinks the weights by about $\eta\,\lambda w$. Only on conv and linear weights: a norm layer's scale or a bias does not add capacity, and decaying it only fights the normalisation. |
# | `label_smoothing` | 0.1 | the target is 0.91 for the true class and 0.01 for each other one, so the network is not pushed to ever larger logits on images it already gets right. |
# | `l1` | 0 | factor of an L1 penalty $\lambda_1 \sum \lvert w \rvert$ (section 8) |
# | `pct_start` | 0.25 | the share of the run spent climbing to `max_lr` |
# | `ema_decay` | 0.99 | after every step, a **weight average** $\bar w \leftarrow d\,\bar w + (1-d)\,w$ (an exponential moving average; BatchNorm's statistics too). The average is what gets evaluated and saved. Why: at a high LR the weights bounce from wall to wall of a valley of the loss; their average lies nearer its floor. With $d = 0.99$ it spans about the last $1/(1-d) = 100$ steps, one epoch at batch 512. At the end of OneCycle the LR is tiny and both agree; in between, the average tests far better (section 6 draws both). |
# | `mixed_precision` | True | see below |
# | `epochs`, `batch_size`, `seed` | knobs | |
# | `flip`, ... `color_jitter` | knobs | the augmentation switches |
#
# **Precision and memory layout.** `fit` keeps the weights in float32 but computes the convolutions in a 16-bit
# format where the hardware is fast at it: float16 on a CUDA GPU (its tensor cores; a gradient scaler multiplies the
# loss so that small gradients do not round to zero in float16's narrow range), bfloat16 on a CPU with bfloat16
# instructions (float32's range, so no scaler; on other CPUs it stays float32). Images and weights are stored
# channels-last (the channels of one pixel side by side), the layout both cuDNN and the CPU's oneDNN read fastest.
# `python -m helpers.bench` measures what each brings on your machine.

# %%
recipe = Recipe(epochs=EPOCHS, batch_size=BATCH_SIZE, optimizer=OPTIMIZER, l1=L1, seed=SEED, ema_decay=EMA_DECAY,
                flip=FLIP, shift_scale_rotate=SHIFT_SCALE_ROTATE, coarse_dropout=COARSE_DROPOUT,
                pad_crop=PAD_CROP, to_gray=TO_GRAY, color_jitter=COLOR_JITTER)
for name, value in asdict(recipe).items():
    print(f"  {name:20s} {value}")

# Which parameters get weight decay: the two groups the optimiser is built with.
seed_everything(SEED)
model = build_model("net", NORM, DROPOUT)
decayed, not_decayed = parameter_groups(model, recipe.weight_decay)
for group, what in ((decayed, "conv and linear weights"), (not_decayed, "norm scales and biases")):
    values = sum(p.numel() for p in group["params"])
    print(f"weight decay {group['weight_decay']:g} on {len(group['params'])} tensors, {values:,} values: {what}")

# %% [markdown]
# ## 3. The LR range test: how large may the learning rate be?
#
# Leslie Smith's test trains for a few dozen steps while the learning rate grows exponentially,
#
# $$\eta_i = \eta_\text{start} \cdot \left(\frac{\eta_\text{end}}{\eta_\text{start}}\right)^{i/(n-1)}, \qquad i = 0 \ldots n-1,$$
#
# from $10^{-4}$ to $10$, and records the loss (smoothed with a moving average, since one batch is noisy). At first the
# LR is too small to change anything; then the loss falls; past some LR the steps overshoot and the loss explodes.
# `suggest_max_lr` takes **half the LR where the smoothed loss was lowest**: the loss still falls steeply there,
# short of where it turns up, and OneCycle stays at its peak only briefly. (On the full data, batch 512, the lowest
# loss came at about 0.34: the kit's default max LR, 0.2, sits just above half of it.) The weights are restored after the test, so it costs a few dozen steps and nothing else.
#
# If you resume a run, its max LR is the one it started with (a new test could suggest a slightly different number).

# %%
lrs, losses = lr_range_test(model, data, recipe, device=DEVICE, steps=6 if SMOKE else 100)
suggested = float(f"{suggest_max_lr(lrs, losses):.2g}")  # two significant digits: 0.04, not 0.0398107
if MAX_LR is not None:
    max_lr, why = MAX_LR, "the MAX_LR knob"
elif RESUME and (RUN / "last.pt").exists():
    max_lr, why = load_checkpoint(RUN / "last.pt")["recipe"]["max_lr"], f"the run being resumed ({RUN})"
else:
    max_lr, why = suggested, "the range test's suggestion"
recipe = replace(recipe, max_lr=max_lr)
print(f"lowest smoothed loss {min(losses):.3f} at LR {lrs[int(np.argmin(losses))]:.3g}; suggested max LR {suggested:g}")
print(f"max LR used: {max_lr:g} ({why})")
fig = plot_lr_range_test(lrs, losses, suggested, title=f"LR range test, Net, {recipe.optimizer}\n{data.description}")
save_figure(fig, "lr_range_test", FIGURES);

# %% [markdown]
# ## 4. The OneCycleLR schedule, before any training
#
# OneCycleLR (with `pct_start` $= 0.25$ and cosine steps) moves the learning rate over the $T$ steps of the run as
#
# $$\eta_t = \begin{cases} \eta_\text{low} + (\eta_\text{max} - \eta_\text{low})\,\tfrac{1 - \cos(\pi t / t_1)}{2} & t \le t_1 = 0.25\,T \quad\text{(warm-up)}\\[4pt]
#   \eta_\text{end} + (\eta_\text{max} - \eta_\text{end})\,\tfrac{1 + \cos(\pi (t - t_1)/(T - t_1))}{2} & t > t_1 \quad\text{(annealing)}\end{cases}$$
#
# with $\eta_\text{low} = \eta_\text{max}/10$ and $\eta_\text{end} = \eta_\text{low}/100$. The climb lets BatchNorm's
# statistics settle before the big steps; the big steps cross the flat regions of the loss fast; the long descent
# settles the weights into a wide minimum. The momentum moves the other way (0.95 → 0.85 → 0.95): less momentum while
# the steps are large. The next cell builds a throwaway optimiser and scheduler and steps them without training.

# %%
steps_per_epoch = max(len(data.train) // recipe.batch_size, 1)  # fit drops the last, incomplete batch
optimizer = make_optimizer(build_model("net", NORM, DROPOUT), recipe)
scheduler = make_scheduler(optimizer, recipe, steps_per_epoch)
planned, momenta = [], []  # planned: one entry per epoch with its steps' LRs, as fit's history has them
for epoch in range(1, recipe.epochs + 1):
    epoch_lrs = []
    for _ in range(steps_per_epoch):
        group = optimizer.param_groups[0]
        epoch_lrs.append(group["lr"])
        momenta.append(group["momentum"] if "momentum" in group else group["betas"][0])  # Adam: beta1
        optimizer.step()  # no gradients: nothing changes, but the scheduler expects a step first
        scheduler.step()
    planned.append({"epoch": epoch, "lrs": epoch_lrs})
all_lrs = [lr for entry in planned for lr in entry["lrs"]]
print(f"{len(all_lrs)} steps: LR {all_lrs[0]:.3g} → peak {max(all_lrs):.3g} at step {int(np.argmax(all_lrs))} "
      f"→ {all_lrs[-1]:.3g}; momentum {momenta[0]:.2f} → {min(momenta):.2f} → {momenta[-1]:.2f}")
fig = plot_lr(planned, title=f"OneCycleLR as planned: {n_epochs(recipe.epochs)} x {steps_per_epoch} steps, "
                             f"max LR {recipe.max_lr:g}")
save_figure(fig, "onecycle_schedule", FIGURES);

# %% [markdown]
# ## 5. Training
#
# `fit(model, data, recipe, RUN)` runs, each epoch, one pass over the augmented training images (a progress bar) and
# one over the test images, prints one line, and writes three files into `RUN`:
#
# * `last.pt`: the weights, the optimiser, the scheduler and the random generators after the latest epoch;
# * `best.pt`: the same, from the epoch with the best test accuracy so far (notebook 05 evaluates it);
# * `metrics.json`: the history so far, the recipe, the data and the device.
#
# Each file is written to a temporary name and then renamed, so a crash mid-write leaves the previous one whole.
#
# **Resuming.** If the runtime disconnects, run the notebook again with `RESUME = True`: `fit` continues from
# `RUN/last.pt` after its last complete epoch, and with the same seed on the same CPU it writes the very history an
# uninterrupted run would have. From a terminal: `python -m helpers.train --out runs/net --resume`.
# A finished run is not retrained: resuming it only returns its history.

# %%
TB_DIR = RUN.parent / "tb"  # TensorBoard logs: one subfolder per run (section 10)
seed_everything(SEED)  # the same initial weights as in the range test
model = build_model("net", NORM, DROPOUT)
print(f"Net: {count_parameters(model):,} parameters, {NORM} norm; run folder {RUN}")
history = fit(model, data, recipe, RUN, resume=RESUME, device=DEVICE,
              tensorboard_dir=TB_DIR / RUN.name if TENSORBOARD else None)
best = max(history, key=lambda h: h["test_acc"])
print(f"best test accuracy {best['test_acc']:.2f}% at epoch {best['epoch']}; final {history[-1]['test_acc']:.2f}%")

# %% [markdown]
# ## 6. The curves
#
# **Loss and accuracy.** The training numbers are measured on augmented images while the weights still change; the
# test numbers on clean images after each epoch. Early on the test accuracy is often *above* the training accuracy
# for that reason. A test loss that rises while the training loss keeps falling is overfitting; the augmentation and
# the short OneCycle run are there to prevent it.
#
# **The weight average.** The solid test curve is the weight average's (section 2), the dotted one the training
# weights' themselves: while the LR is high the training weights' accuracy jumps from epoch to epoch and the average
# runs well above it; as the LR anneals the two meet.

# %%
title = f"Net, {recipe.optimizer}, max LR {recipe.max_lr:g}, {n_epochs(len(history))}\n{data.description}"
fig = plot_history(history, title=title)
save_figure(fig, "training_curves", FIGURES);

# %% [markdown]
# **The learning rate the run actually used**, step by step, read back from the history (each epoch stores its
# `lrs`). It is the schedule of section 4: a resumed run continues the same curve.

# %%
fig = plot_lr(history, title=f"learning rate per step, {n_epochs(len(history))}, max LR {recipe.max_lr:g}")
save_figure(fig, "training_lr", FIGURES);

# %% [markdown]
# ## 7. Where the run is, and why it is never overwritten
#
# The files of the run, and what `metrics.json` holds. Starting a *new* run in a folder that holds one is refused
# (the next cell tries it, with `resume=False`): to train again, choose another `RUN` or delete the folder yourself.

# %%
import json

for file in sorted(RUN.iterdir()):
    print(f"  {file.name:14s} {file.stat().st_size / 1e6:6.2f} MB")
metrics = json.loads((RUN / "metrics.json").read_text())
print(f"metrics.json: {', '.join(metrics)}; {n_epochs(len(metrics['epochs']))} on {metrics['device']}")
try:
    fit(build_model("net", NORM, DROPOUT), data, recipe, RUN, resume=False, device=DEVICE)
except KitError as error:
    print(f"refused, as it should be: {error}")

# %% [markdown]
# ## 8. SGD vs Adam, and the L1 penalty
#
# **Adam** keeps, per weight, a moving average of the gradient and of its square,
#
# $$m \leftarrow \beta_1 m + (1-\beta_1)\,g, \qquad s \leftarrow \beta_2 s + (1-\beta_2)\,g^2, \qquad
#   w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{\hat s} + \epsilon}$$
#
# ($\hat m, \hat s$: corrected for their start at zero). Each weight's step is scaled by its own gradient's size, so
# Adam is forgiving of a badly chosen LR and starts fast, but its good LRs are about ten times smaller than SGD's
# (0.01 here). The kit uses AdamW, which applies weight decay to the weights directly rather than adding it to $g$,
# where Adam's scaling would weaken it. On image classifiers a well-tuned SGD usually ends a little higher.
#
# **L1 penalty.** The loss becomes $L + \lambda_1 \sum_w \lvert w \rvert$ (conv and linear weights). Its gradient,
# $\lambda_1\,\mathrm{sign}(w)$, pushes every weight towards zero by the same amount, however small the weight
# already is, so unneeded weights end at zero, give or take one step $\eta\lambda_1$ (a sparse network). Weight
# decay (an L2 penalty) shrinks each weight in proportion to its size: small weights, but rarely zero ones.
# The sum runs over about 190,000 weights ($\sum \lvert w \rvert \approx 7{,}000$ at the start), so the factor must be
# small: $\lambda_1 = 5 \cdot 10^{-5}$ adds about 0.35 to a loss of about 2.3, while $5 \cdot 10^{-4}$ would add more
# than the loss itself and push most weights to zero.
#
# Switch either for the main run with the knobs (`OPTIMIZER = "adam"`, `L1 = 5e-5`). The next cells train each once,
# with the same epochs and seed, beside the run of section 5 (in smoke mode: one epoch on a few hundred images,
# so the comparison shows only that the code runs). On the full data each is a whole run, about as long as section 5;
# each has its own folder under `runs/`, so an interrupted notebook resumes them too.

# %%
L1_DEMO = 5e-5  # the comparison run's factor
penalty = l1_penalty(model).item()
print(f"sum of |w| over the trained Net's conv and linear weights: {penalty:,.1f}")
print(f"with L1 = {L1_DEMO:g} it adds {L1_DEMO * penalty:.3f} to the loss (the cross-entropy starts near 2.3)")

# %%
quiet = lambda *args: None  # the comparison runs print one summary line each, not one per epoch
comparisons = {
    "Adam, max LR 0.01": replace(recipe, optimizer="adam", max_lr=0.01),
    f"{recipe.optimizer}, L1 {L1_DEMO:g}": replace(recipe, l1=L1_DEMO),
}
curves = {f"{recipe.optimizer}, max LR {recipe.max_lr:g}, L1 {recipe.l1:g} (section 5)": history}
trained_nets = {}
for label, comparison in comparisons.items():
    seed_everything(SEED)
    other = build_model("net", NORM, DROPOUT)
    folder = run_dir("net-adam" if comparison.optimizer == "adam" else "net-l1", on_drive=RUNS_ON_DRIVE)
    curves[label] = fit(other, data, comparison, folder, resume=RESUME, device=DEVICE, log=quiet)
    trained_nets[label] = other
    print(f"{label:28s} best test accuracy {max(h['test_acc'] for h in curves[label]):5.2f}%  ({folder})")


def share_near_zero(net, threshold=1e-3):
    """% of the conv and linear weights within `threshold` of zero: the L1 penalty should raise it."""
    weights = torch.cat([p.detach().flatten().abs() for p in net.parameters() if p.ndim > 1])
    return 100 * (weights < threshold).float().mean().item()


print(f"\nweights with |w| < 1e-3: section 5's run {share_near_zero(model):.1f}%, "
      + ", ".join(f"{label} {share_near_zero(net):.1f}%" for label, net in trained_nets.items()))
fig = plot_accuracy_curves(curves, title=f"SGD vs Adam vs L1, Net, {n_epochs(recipe.epochs)}\n{data.description}")
save_figure(fig, "optimizer_comparison", FIGURES);

# %% [markdown]
# ## 9. Normalisation study: BatchNorm vs GroupNorm vs LayerNorm
#
# Each normalises a feature map $x$ as $\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}$, then scales and shifts it
# with learned $\gamma, \beta$ per channel. They differ in what $\mu$ and $\sigma^2$ are averaged over:
#
# | norm | statistics over | depends on the batch? |
# |---|---|---|
# | BatchNorm | one channel, all images of the batch and all positions $(N, H, W)$ | in training; at test time it uses running averages |
# | GroupNorm (8 groups) | one image, a group of channels and all positions $(C/8, H, W)$ | no |
# | LayerNorm | one image, all channels and all positions $(C, H, W)$ | no |
#
# The three `Net`s below differ only in that layer: same recipe, same seed, same batches. BatchNorm's batch
# statistics add a little noise that regularises, and with batches of hundreds of images it usually wins on
# CIFAR-10. GroupNorm and LayerNorm treat each image alone, so they also work with a batch of 1 or 2 (detection,
# segmentation, large images), where BatchNorm's statistics fall apart. LayerNorm forces all channels of an image
# to share one scale, which costs a CNN some accuracy.
#
# The run with `NORM` from section 5 is reused; the other two are trained here (on the full data: two more whole
# runs, each in its own folder under `runs/`). **In smoke mode the numbers mean
# nothing** (one epoch on a few hundred images). The figures in the README come from a longer run on the full data,
# labelled with its data and epochs in the title.

# %%
norm_runs = {}
for norm in ("batch", "group", "layer"):
    if norm == NORM:
        norm_runs[norm] = (history, count_parameters(model))
        continue
    seed_everything(SEED)
    net = build_model("net", norm, DROPOUT)
    norm_history = fit(net, data, recipe, run_dir(f"net-{norm}", on_drive=RUNS_ON_DRIVE), resume=RESUME, device=DEVICE, log=quiet)
    norm_runs[norm] = (norm_history, count_parameters(net))

print(f"{'norm':6s} {'parameters':>10s} {'best test acc':>14s} {'final test acc':>15s} {'final train acc':>16s}")
for norm, (runs_history, params) in norm_runs.items():
    print(f"{norm:6s} {params:10,d} {max(h['test_acc'] for h in runs_history):13.2f}% "
          f"{runs_history[-1]['test_acc']:14.2f}% {runs_history[-1]['train_acc']:15.2f}%")
title = f"BatchNorm vs GroupNorm vs LayerNorm, Net, {n_epochs(recipe.epochs)}\n{data.description}"
fig = plot_accuracy_curves({f"{norm} norm": h for norm, (h, _) in norm_runs.items()}, title=title)
save_figure(fig, "normalization_study", FIGURES);

# %% [markdown]
# ## 10. A small self-attention network, trained with Adam
#
# `AttentionNet` (helpers/attention.py) is a different kind of model: three 3x3 convolutions, global average
# pooling to one 48-vector per image, then four self-attention blocks in which the 8 entries of the image's query,
# key and value attend to each other, $\mathrm{softmax}(q k^\top/\sqrt{8})\,v$, and one linear layer; about 25,700
# parameters. It was trained with Adam, as attention models usually are, so its recipe is
# `Recipe(optimizer="adam", max_lr=...)`, with the max LR from its own LR range test (Adam's scale, not SGD's).

# %%
from helpers.attention import AttentionNet

attention_recipe = replace(recipe, optimizer="adam")
seed_everything(SEED)
attention_net = AttentionNet()
attention_run = run_dir("attention", on_drive=RUNS_ON_DRIVE)
lrs, losses = lr_range_test(attention_net, data, attention_recipe, device=DEVICE, steps=6 if SMOKE else 100)
attention_lr = float(f"{suggest_max_lr(lrs, losses):.2g}")
if RESUME and (attention_run / "last.pt").exists():
    attention_lr = load_checkpoint(attention_run / "last.pt")["recipe"]["max_lr"]  # the run being resumed
attention_recipe = replace(attention_recipe, max_lr=attention_lr)
print(f"AttentionNet: {count_parameters(attention_net):,} parameters; Adam, max LR {attention_lr:g}")
attention_history = fit(attention_net, data, attention_recipe, attention_run, resume=RESUME, device=DEVICE, log=quiet,
                        tensorboard_dir=TB_DIR / attention_run.name if TENSORBOARD else None)
print(f"best test accuracy {max(h['test_acc'] for h in attention_history):.2f}%  ({attention_run})")
fig = plot_history(attention_history, title=f"AttentionNet, Adam, max LR {attention_lr:g}, "
                                             f"{n_epochs(len(attention_history))}\n{data.description}")
save_figure(fig, "attention_training_curves", FIGURES);

# %% [markdown]
# ## 11. TensorBoard (optional)
#
# The plots above appear after a run. For live curves while training, set `TENSORBOARD = True` in the knobs: `fit` then
# also logs the losses, accuracies, the per-step LR and a grid of misclassified test images to `runs/tb/<run name>`.
# To watch them in Colab (which has TensorBoard), run in a new cell:
#
# ```
# %load_ext tensorboard
# %tensorboard --logdir /content/kit/runs/tb
# ```
#
# On your own machine: `pip install tensorboard`, then `tensorboard --logdir runs/tb` in the repository
# (from this notebook: `%tensorboard --logdir ../runs/tb`). The next cell prints the folder this notebook logs to.

# %%
print(f"TensorBoard logs: {TB_DIR}" if TENSORBOARD else "TensorBoard is off (TENSORBOARD = False).")

# %% [markdown]
# ## What next
#
# Notebook 05 loads `RUN/best.pt` and looks at what the model gets wrong: class-wise accuracy, the confusion matrix,
# the misclassified images, and Grad-CAM heatmaps of where it looked.
