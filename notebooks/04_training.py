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
# 1. the **data**, in memory;
# 2. the **recipe**: SGD with Nesterov momentum, OneCycleLR, weight decay that spares norms and biases, label
#    smoothing, a weight average;
# 3. the **LR range test**, which picks the largest learning rate;
# 4. the **OneCycleLR schedule**, drawn before any training;
# 5. the **training run**, with checkpoints you can resume after a crash;
# 6. its **curves**, drawn over the kit's own full run (grey), the result to expect;
# 7. where the run is kept, and why it is never overwritten;
# 8. **comparison studies** (off unless `STUDIES = True`): SGD vs Adam, an L1 penalty, BatchNorm vs GroupNorm vs
#    LayerNorm, and a small self-attention network, each a short run of `STUDY_EPOCHS` epochs;
# 9. **every run of this notebook side by side**, in one table, with the reference run;
# 10. **TensorBoard**, if you want live curves.
#
# **How long it takes.** Run it on a GPU: *Runtime > Change runtime type > T4 GPU*.
#
# | part | work | 2-core CPU (measured) | Colab T4 GPU |
# |---|---|---|---|
# | sections 1–4 | load the data, 100 range-test steps | about 2 min | under a minute (estimate) |
# | section 5, the main run | 30 epochs of 50,000 images | 69 min (112–200 s an epoch at batch 128, median 139 s); 70.5 min for the whole notebook | about 5 min (measured on an H100 with Colab's 2 CPU cores: 8–9 s an epoch) |
# | section 8, with `STUDIES = True` | 5 runs × `STUDY_EPOCHS` = 5 epochs | about 45 min for Net's 4 runs, plus the attention net | 3–5 min (estimate) |
#
# The CPU figures are this notebook run in full on CIFAR-10 (JPEG copy), 2-core AMD EPYC, bfloat16 (README). On a GPU
# this small network waits for its images: Colab gives a notebook 2 CPU cores, and augmenting 50,000 images on them
# takes about 8 s, which is what an epoch took on an H100 given 2 cores. A T4 computes slower than an H100 but the
# cores bound it the same way: an estimate until measured on a T4. For a class on a CPU: `EPOCHS = 5` (about
# 12 minutes) shows the whole story; the reference curves show how it ends.

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
from helpers.machinery.notebook import setup
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
# everything on its own disk, and a run on Drive can still be resumed (and evaluated by notebook 05 on its own runtime).

# %%
DATA_ROOT = None                  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else None   # N class-balanced images per split; None: all 50,000 train / 10,000 test
EPOCHS = 1 if SMOKE else 30       # the main run (section 5); 5 is enough to see the whole story in a class
BATCH_SIZE = 64 if SMOKE else 128 # smoke: 6 steps an epoch (the kit refuses fewer than 4)
MAX_LR = None                     # None: the LR range test's suggestion (section 3); or a number such as 0.05
SEED = 0                          # the same seed gives the same weights, batches and augmentation
# Augmentation (helpers/transforms.py). The course's pipeline is the first three, and the default recipe's.
FLIP = True                       # horizontal flip
SHIFT_SCALE_ROTATE = True         # small shift, zoom and rotation
COARSE_DROPOUT = True             # one 16x16 hole filled with the mean colour
PAD_CROP = False                  # pad 4 pixels, crop a random 32x32 window
TO_GRAY = False
COLOR_JITTER = False
EMA_DECAY = 0.99                  # weight average kept each step (section 2); 0 evaluates the training weights
OPTIMIZER = "sgd"                 # "sgd" or "adam" (Adam wants a max LR about 10x smaller; the range test finds it)
L1 = 0.0                          # L1 penalty factor, e.g. 5e-5; 0 is off (section 8)
DROPOUT = 0.0                     # Dropout2d after each block of Net, e.g. 0.05
NORM = "batch"                    # "batch", "group" or "layer" (section 8 compares them)
MODEL = "net"                     # "net", or your network of notebook 03: "my_net.py:MyNet" (give it its own RUN_NAME)
MY_NETWORKS_ON_DRIVE = False      # Colab: notebook 03 kept your network on Google Drive
TENSORBOARD = False               # also log to TensorBoard (needs the tensorboard package; Colab has it)
RESUME = True                     # continue RUN from RUN/last.pt when it holds an unfinished run
RUN_NAME = "net"                  # the run lives in runs/RUN_NAME: last.pt, best.pt, metrics.json
RUNS_ON_DRIVE = False             # Colab: keep runs/ on Google Drive, so that RESUME survives a recycled runtime
STUDIES = SMOKE                   # section 8's comparison runs: True trains them (off by default; on under the tests)
STUDY_EPOCHS = 1 if SMOKE else 5  # epochs of each comparison run

# %% [markdown]
# ## 1. The data
#
# `load_cifar10` decodes every image once into a uint8 array in memory; the loaders augment batches in worker processes
# and normalise them on the device. The mean and std come from the training split.

# %%
import json
from dataclasses import asdict, replace

import numpy as np
import torch

from helpers import KitError
from helpers.assignment import check_assignment, format_checks
from helpers.machinery.checkpoints import load_checkpoint
from helpers.data import load_cifar10
from helpers.machinery.device import pick_device, seed_everything
from helpers.training import fit
from helpers.lr_range_test import lr_range_test, suggest_max_lr
from helpers.model import count_parameters
from helpers.machinery.notebook import figure_dir, my_networks_dir, run_dir
from helpers.plots import plot_accuracy_curves, plot_history, plot_lr, plot_lr_range_test, save_figure
from helpers.recipe import Recipe, l1_penalty, make_optimizer, make_scheduler, parameter_groups
from helpers.machinery.reference import reference_metrics
from helpers.machinery.registry import build_model

FIGURES = figure_dir()  # images/ for a real run, a scratch folder under the tests
RUN = run_dir(RUN_NAME, on_drive=RUNS_ON_DRIVE)
REFERENCE = reference_metrics()  # the kit's full run of the default recipe (its weights are shipped): what to expect
MODEL_SPEC = MODEL if MODEL == "net" else str(my_networks_dir(MY_NETWORKS_ON_DRIVE) / MODEL)


def new_model():
    """The model the knobs ask for, with fresh weights (seed first for the same ones every time)."""
    return build_model(MODEL_SPEC, NORM, DROPOUT) if MODEL == "net" else build_model(MODEL_SPEC)

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
# | `ema_decay` | 0.99 | after every step, a **weight average** $\bar w \leftarrow d\,\bar w + (1-d)\,w$ (an exponential moving average; BatchNorm's statistics too). The average is what gets evaluated and saved. Why: at a high LR the weights bounce from wall to wall of a valley of the loss; their average lies nearer its floor. With $d = 0.99$ it spans about the last $1/(1-d) = 100$ steps, a quarter of an epoch at batch 128. At the end of OneCycle the LR is tiny and both agree; in between, the average tests far better (section 6 draws both). |
# | `mixed_precision` | True | see below |
# | `batch_size` | 128 | images a step: 50,000 // 128 = 390 steps an epoch, four times as many as at batch 512 over the same 30 epochs, each a noisier estimate of the gradient. Measured over 30 epochs with the course's augmentation, batch 128 ended 0.7 points above batch 512 (two seeds each); batch 64 did not beat either (one seed: README). |
# | `epochs`, `seed` | knobs | |
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
model = new_model()
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
# short of where it turns up, and OneCycle stays at its peak only briefly. (On the full data, seed 0, the test
# suggests about 0.1 at batch 128 and 0.27 at batch 512: the smaller the batch, the noisier each step, and the smaller
# the LR it takes. The command line's default is 0.2 at batch 128; over 30 epochs 0.1 and 0.2 ended equal, 87.81% and
# 87.76%: README.) The weights are restored after the test, so it costs a few dozen steps and nothing else.
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
optimizer = make_optimizer(new_model(), recipe)
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
model = new_model()
MODEL_NAME = type(model).__name__  # Net, or your network's class
print(f"{MODEL_NAME}: {count_parameters(model):,} parameters; run folder {RUN}")
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
#
# **What to expect.** The grey curves underneath are the kit's own full run of the default recipe (read from
# `images/shipped-weights-metrics.json`; its weights are the ones notebook 05 evaluates when you have none). With the
# default knobs on the full data, your run should lie on them, to a few tenths of a point (the seed, the machine and
# the precision each move a run a little). A shorter run (`EPOCHS = 5`) anneals sooner: it ends lower, but above the
# reference's epoch 5, since its learning rate has come down.

# %%
title = f"{MODEL_NAME}, {recipe.optimizer}, max LR {recipe.max_lr:g}, {n_epochs(len(history))}\n{data.description}"
reference_label = f"reference: {REFERENCE['recipe']['epochs']} epochs, {REFERENCE['data']}"
fig = plot_history(history, title=title, reference=REFERENCE["epochs"], reference_label=reference_label)
final = REFERENCE["epochs"][-1]
print(f"this run:  final test accuracy {history[-1]['test_acc']:.2f}% after {n_epochs(len(history))}")
print(f"reference: final test accuracy {final['test_acc']:.2f}% after {n_epochs(len(REFERENCE['epochs']))}, "
      f"{REFERENCE['data']}, {REFERENCE['device']}")
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
for file in sorted(RUN.iterdir()):
    print(f"  {file.name:14s} {file.stat().st_size / 1e6:6.2f} MB")
metrics = json.loads((RUN / "metrics.json").read_text())
print(f"metrics.json: {', '.join(metrics)}; {n_epochs(len(metrics['epochs']))} on {metrics['device']}")
try:
    fit(new_model(), data, recipe, RUN, resume=False, device=DEVICE)
except KitError as error:
    print(f"refused, as it should be: {error}")

# %% [markdown]
# ## 8. Comparison studies: SGD vs Adam, L1, the norms, an attention network
#
# Each study changes one thing of the recipe or the model and trains it for `STUDY_EPOCHS` epochs, same seed, same
# batches, each in its own folder under `runs/` (so an interrupted notebook resumes them too). They are off unless
# `STUDIES = True`: on a GPU all of them take minutes, on a CPU more than half an hour (the time table at the top).
# So that the comparison is fair, the main run is not reused here: a baseline run with the main recipe and
# `STUDY_EPOCHS` epochs comes first. **In smoke mode the numbers mean nothing** (one epoch on a few hundred images).

# %%
quiet = lambda *args: None  # the study runs print one summary line each, not one per epoch
study_recipe = replace(recipe, epochs=STUDY_EPOCHS)
study_runs = {}  # label → history, for the table of section 9


def study(label, folder, study_recipe, norm=NORM, model_name="net"):
    """Train one comparison run (or resume it), print its line, keep its history for section 9."""
    seed_everything(SEED)
    net = build_model(model_name, norm, DROPOUT) if model_name == "net" else build_model(model_name)  # studies: Net
    runs_history = fit(net, data, study_recipe, run_dir(folder, on_drive=RUNS_ON_DRIVE), resume=RESUME,
                       device=DEVICE, log=quiet)
    study_runs[label] = runs_history
    print(f"{label:34s} best test accuracy {max(h['test_acc'] for h in runs_history):5.2f}%  (runs/{folder})")
    return net, runs_history


if STUDIES:
    baseline_label = f"{recipe.optimizer}, {NORM} norm (the main recipe)"
    baseline_net, _ = study(baseline_label, f"study-{STUDY_EPOCHS}ep-baseline", study_recipe)
else:
    print("STUDIES = False: the comparison runs are skipped. Set STUDIES = True in the knobs and run the notebook "
          "again to train them (the main run is resumed, not repeated).")

# %% [markdown]
# ### 8.1 SGD vs Adam, and the L1 penalty
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
# Switch either for the main run with the knobs (`OPTIMIZER = "adam"`, `L1 = 5e-5`). The next cell trains each for
# `STUDY_EPOCHS` epochs beside the baseline, and counts the weights the L1 penalty has pushed to (almost) zero.

# %%
L1_DEMO = 5e-5  # the comparison run's factor
penalty = l1_penalty(model).item()
print(f"sum of |w| over the trained Net's conv and linear weights: {penalty:,.1f}")
print(f"with L1 = {L1_DEMO:g} it adds {L1_DEMO * penalty:.3f} to the loss (the cross-entropy starts near 2.3)")


def share_near_zero(net, threshold=1e-3):
    """% of the conv and linear weights within `threshold` of zero: the L1 penalty should raise it."""
    weights = torch.cat([p.detach().flatten().abs() for p in net.parameters() if p.ndim > 1])
    return 100 * (weights < threshold).float().mean().item()


if STUDIES:
    adam_net, _ = study("adam, max LR 0.01", f"study-{STUDY_EPOCHS}ep-adam", replace(study_recipe, optimizer="adam", max_lr=0.01))
    l1_net, _ = study(f"{recipe.optimizer}, L1 {L1_DEMO:g}", f"study-{STUDY_EPOCHS}ep-l1", replace(study_recipe, l1=L1_DEMO))
    print(f"\nweights with |w| < 1e-3: baseline {share_near_zero(baseline_net):.1f}%, Adam {share_near_zero(adam_net):.1f}%, "
          f"L1 {share_near_zero(l1_net):.1f}%")

# %% [markdown]
# ### 8.2 Normalisation study: BatchNorm vs GroupNorm vs LayerNorm
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
# The baseline above is the `NORM` run; the other two are trained here. The README's normalisation study ran the
# same comparison for 10 epochs on a subset: BatchNorm first, GroupNorm and LayerNorm well behind.

# %%
if STUDIES:
    norm_runs = {NORM: study_runs[baseline_label]}
    for norm in ("batch", "group", "layer"):
        if norm != NORM:
            norm_runs[norm] = study(f"{recipe.optimizer}, {norm} norm", f"study-{STUDY_EPOCHS}ep-{norm}", study_recipe,
                                    norm=norm)[1]
    title = f"BatchNorm vs GroupNorm vs LayerNorm, Net, {n_epochs(STUDY_EPOCHS)}\n{data.description}"
    fig = plot_accuracy_curves({f"{norm} norm": h for norm, h in norm_runs.items()}, title=title)
    save_figure(fig, "normalization_study", FIGURES);

# %% [markdown]
# ### 8.3 A small self-attention network, trained with Adam
#
# `AttentionNet` (helpers/attention.py) is a different kind of model: three 3x3 convolutions, global average
# pooling to one 48-vector per image, then four self-attention blocks in which the 8 entries of the image's query,
# key and value attend to each other, $\mathrm{softmax}(q k^\top/\sqrt{8})\,v$, and one linear layer; about 25,700
# parameters. It was trained with Adam, as attention models usually are, so its recipe is
# `Recipe(optimizer="adam", max_lr=...)`, with the max LR from its own LR range test (Adam's scale, not SGD's),
# for `STUDY_EPOCHS` epochs.

# %%
if STUDIES:
    seed_everything(SEED)
    lrs, losses = lr_range_test(build_model("attention"), data, replace(study_recipe, optimizer="adam"), device=DEVICE,
                                steps=6 if SMOKE else 100)
    attention_lr = float(f"{suggest_max_lr(lrs, losses):.2g}")
    attention_folder = f"study-{STUDY_EPOCHS}ep-attention"
    if RESUME and (run_dir(attention_folder, on_drive=RUNS_ON_DRIVE) / "last.pt").exists():  # the run being resumed
        attention_lr = load_checkpoint(run_dir(attention_folder, on_drive=RUNS_ON_DRIVE) / "last.pt")["recipe"]["max_lr"]
    attention_net, attention_history = study(f"AttentionNet, adam, max LR {attention_lr:g}", attention_folder,
                                             replace(study_recipe, optimizer="adam", max_lr=attention_lr),
                                             model_name="attention")
    print(f"AttentionNet: {count_parameters(attention_net):,} parameters")
    fig = plot_history(attention_history, title=f"AttentionNet, Adam, max LR {attention_lr:g}, "
                                                 f"{n_epochs(len(attention_history))}\n{data.description}")
    save_figure(fig, "attention_training_curves", FIGURES);

# %% [markdown]
# ## 9. Every run side by side
#
# One line a run of this notebook: the main run, the comparison runs (when `STUDIES = True`), and, last, the kit's
# reference run, read from its committed metrics. Compare runs of the same length only: a 5-epoch run anneals its
# learning rate sooner, so it is not a 30-epoch run stopped early. A difference between two runs counts only when it
# is larger than the difference between two seeds of the same recipe (README: about 0.6 points at epoch 10, 0.04
# at the end of 30 epochs).

# %%
rows = {f"main run: {MODEL_NAME}, {recipe.optimizer}, max LR {recipe.max_lr:g} ({RUN_NAME})": history, **study_runs,
        f"reference: the kit's default recipe ({REFERENCE['data']})": REFERENCE["epochs"]}
print(f"{'run':66s} {'epochs':>6s} {'final':>7s} {'best':>7s} {'train':>7s}")
for label, runs_history in rows.items():
    last = runs_history[-1]
    print(f"{label[:66]:66s} {len(runs_history):6d} {last['test_acc']:6.2f}% {max(h['test_acc'] for h in runs_history):6.2f}% "
          f"{last['train_acc']:6.2f}%")

# %% [markdown]
# **The assignment, checked on the main run** (notebook 03 lists the rules): the model's structure, and the test
# accuracy of this run with the epoch it first reached 85%. The default recipe is the course's augmentation,
# CoarseDropout included: with the three augmentation knobs on, the run counts for the assignment.

# %%
print(format_checks(check_assignment(model, history)))

# %% [markdown]
# ## 10. TensorBoard (optional)
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
# ## What we know now
#
# * A `Recipe` holds every setting of a run: SGD with Nesterov momentum, OneCycleLR, weight decay 5e-4 on conv and
#   linear weights only, label smoothing 0.1, and a weight average (decay 0.99) that is evaluated and saved.
# * The LR range test raises the LR exponentially, $\eta_i = 10^{-4} \cdot 10^{5i/(n-1)}$; `suggest_max_lr` takes half
#   the LR of the lowest smoothed loss (the range-test plot above).
# * OneCycle climbs from $\eta_{\max}/10$ to $\eta_{\max}$ over the first quarter of the steps and anneals to
#   $\eta_{\max}/1000$, while SGD's momentum goes 0.95 → 0.85 → 0.95 (the schedule figure above).
# * `fit` checkpoints every epoch and resumes; the curves above show the weight average beside the training weights,
#   over the reference run's curves, and section 9 puts every run of the notebook in one table.
# * Adam wants an LR about ten times smaller; L1 pushes unneeded weights to zero; the norms were compared on one
#   recipe and seed (the figures above; the measured runs are in the README).

# %% [markdown]
# ## Exercises
#
# For each exercise that trains, set `EPOCHS = 5` and give it its own `RUN_NAME` (the kit refuses to resume a run with
# another recipe); keep `STUDIES = False`. On a T4 each takes a minute or two, on a 2-core CPU about 12 minutes.
#
# **1. Read the schedule before training.** With `EPOCHS = 5`, `MAX_LR = 0.2`, `BATCH_SIZE = 512` and the full data,
# predict the line section 4 prints (steps, first LR, peak and its step, last LR, momentum); run sections 1 to 4.
# *What to look for:* the peak does not fall exactly on a quarter of the steps.
# <details><summary>Answer</summary>
#
# 50,000 // 512 = 97 steps an epoch (the incomplete last batch is dropped), 5 × 97 = 485. Start 0.2/10 = 0.02; end
# 0.02/100 = 0.0002; PyTorch ends the climb at step 0.25·485 − 1 = 120.25, so the largest LR is at step 120:
# `485 steps: LR 0.02 → peak 0.2 at step 120 → 0.0002; momentum 0.95 → 0.85 → 0.95`.
# </details>
#
# **2. Adam.** Set `OPTIMIZER = "adam"`, `MAX_LR = None`, `RUN_NAME = "net-adam-5ep"`, run sections 1 to 4 and
# compare the range test's suggestion and section 4's line with SGD's; then train (section 5).
# *What to look for:* the order of magnitude of the suggestion, and the momentum in section 4's line.
# <details><summary>Answer</summary>
#
# Adam divides each weight's step by its own gradient's size, so every weight moves by about $\eta$ a step: its loss
# turns up at an LR about ten times smaller (the notebook uses 0.01 against 0.2). Momentum reads 0.90 → 0.90 → 0.90:
# `make_scheduler` cycles it for SGD only; Adam's $\beta_1$ stays 0.9. Five epochs show the start, not the end.
# </details>
#
# **3. How long is the weight average's memory?** The average's decay at step $s$ is
# $\min(d, (1+s)/(10+s))$ (`WeightAverage.update`). From which step on is it really `EMA_DECAY = 0.99`, and what is it
# at the end of 5 epochs? Train 5 epochs with `EMA_DECAY = 0` (`RUN_NAME = "net-no-ema-5ep"`) and with 0.99
# (`RUN_NAME = "net-5ep"`).
# *What to look for:* the gap between the solid (average) and dotted (training weights) test curves of section 6.
# <details><summary>Answer</summary>
#
# $(1+s)/(10+s) \ge 0.99 \iff s \ge 890$: at batch 128 (390 steps an epoch) that is early in epoch 3, so the last
# two and a half of the 5 epochs average over about the last 100 steps, a quarter of an epoch. (At batch 512, 97 steps
# an epoch, it would take 9.2 epochs: a 5-epoch run would never get there.) `EMA_DECAY = 0`: no average, no dotted curve; with
# 0.99 expect the average ahead while the LR is high, the two curves meeting as it anneals.
# </details>
#
# **4. How strong is the L1 penalty?** A fresh `Net` has $\sum |w| \approx 7{,}000$ (`l1_penalty`). Which `L1` equals
# the starting cross-entropy, and how far does a step at the peak LR 0.2 move a weight towards 0 with `L1 = 5e-5`?
# *What to look for:* the penalty must stay a fraction of the loss.
# <details><summary>Answer</summary>
#
# The loss starts at ln 10 ≈ 2.303, so $\lambda_1$ = 2.303/7,000 ≈ 3.3e-4 (5e-5 adds 0.35; 5e-4 would add 3.5). One
# step moves it by $\eta \lambda_1$ = 0.2 × 5e-5 = 1e-5, whatever its size; momentum, which OneCycle has lowered to
# 0.85 at the peak, adds up to $1/(1-0.85) \approx 6.7$ such steps: about 7e-5 a step.
# </details>
#
# **5. What does the hole cost over 5 epochs?** Train with `COARSE_DROPOUT = False` (`RUN_NAME = "net-no-cd-5ep"`)
# and compare with exercise 3's 0.99 run (which has it) and with that recipe at `SEED = 1` (`RUN_NAME = "net-seed1-5ep"`).
# *What to look for:* train against test accuracy; the gap between the two seeds.
# <details><summary>Answer</summary>
#
# The hole lowers the training accuracy (measured on holed images) more than the test accuracy: with it this network
# underfits, and a short run pays most (the README measured 1.7 points over 10 epochs, 0.3 to 0.5 over 30). A
# difference between two recipes counts only if it beats that between two seeds.
# </details>
#
# **Next:** [05 · Evaluation](05_evaluation.ipynb) — what the trained model gets wrong, and where it looks (on its own
# Colab runtime it evaluates the kit's shipped weights, or your run if you kept it on Drive with `RUNS_ON_DRIVE`).
