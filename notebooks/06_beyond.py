# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: accelerator,colab
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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/06_beyond.ipynb)
#
# # 06 · Beyond (optional): norms, optimisers, attention, and what mixed precision does inside
#
# **Optional.** Nothing in notebooks 01–05 or the assignment needs this notebook. It holds what the core path leaves
# out, for homework or for a second session.
#
# **After this notebook you can** say what BatchNorm, GroupNorm and LayerNorm each normalise over and compare them
# in training; compare SGD with Adam and see what an L1 penalty does to the weights; read a small self-attention
# network shape by shape; and say what mixed precision, the gradient scaler and channels-last do, and measure them
# on your device. It also shows how to log a run to TensorBoard.
#
# **Time**: about 40 minutes to read and run. The notebook stands alone on a fresh runtime (it loads the data and
# trains what it needs). Its runs are short on purpose: `STUDY_EPOCHS` epochs on a subset of `SUBSET` images, so
# that the whole notebook takes 2.2 min on a 2-core CPU (measured) and about a minute on a T4 (estimate, not
# measured); they show how to run and read a comparison, and the longer measurements are quoted beside them.
#
# The sections: (1) BatchNorm, GroupNorm, LayerNorm, and a study of the three; (2) SGD vs Adam, and an L1 penalty;
# (3) a small self-attention network; (4) every run side by side; (5) mixed precision, the gradient scaler and
# channels-last; (6) TensorBoard.

# %%
# Setup: find the kit (on Colab, fetch it: a fork sets REPO_URL to its own) and install only what Colab
# lacks, never torch or torchvision. Works from any folder inside the kit, on Colab and on your machine.
import subprocess, sys
from pathlib import Path
REPO_URL = "https://github.com/eva-course-kit/cifar10-advanced-convolutions"
KIT = next((p for p in (Path.cwd(), *Path.cwd().parents, Path("/content/kit"))
            if (p / "helpers" / "machinery" / "notebook.py").is_file()), None)
if KIT is None and "google.colab" in sys.modules:
    clone = subprocess.run(["git", "clone", "-q", "--depth", "1", REPO_URL, "/content/kit"], capture_output=True, text=True)
    if clone.returncode == 0:
        KIT = Path("/content/kit")
    else:
        print(f"git clone {REPO_URL} /content/kit failed; git says:\n{clone.stderr.strip()}", file=sys.stderr)
if KIT is None:
    raise SystemExit(f"The kit's helpers/ were not found here and could not be fetched from {REPO_URL}: set REPO_URL "
                     "to your fork, or upload the kit's folder as /content/kit (Colab), or open this notebook inside "
                     "the kit. A /content/kit left from an older kit blocks the clone: delete it (!rm -rf /content/kit).")
sys.path.insert(0, str(KIT))
from helpers.machinery.notebook import setup
SMOKE = setup()

# %% [markdown]
# ## The knobs

# %%
DATA_ROOT = None                   # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else 1500    # N class-balanced images per split, for the short runs
STUDY_EPOCHS = 1 if SMOKE else 3   # epochs of each short run
BATCH_SIZE = 64                    # small batches: more steps from few images (23 an epoch at SUBSET = 1500)
SGD_MAX_LR = 0.1                   # the LR range test's suggestion for Net at batch 128 (notebook 04)
ADAM_MAX_LR = 0.01                 # Adam's good LRs are about ten times smaller than SGD's
L1 = 5e-5                          # the L1 penalty's factor in section 2
SEED = 0
TENSORBOARD = False                # section 6: also log the runs to TensorBoard (needs the tensorboard package)

# %%
from dataclasses import replace

import torch

from helpers.attention import AttentionNet
from helpers.data import load_cifar10
from helpers.model import Net, count_parameters, norm_layer
from helpers.plots import plot_accuracy_curves, save_figure
from helpers.recipe import Recipe, l1_penalty
from helpers.training import (autocast, build_model, figure_dir, fit, gradient_scaler, lower_precision, pick_device,
                              run_dir, seed_everything, show_code)
from tools.bench.measure import measure_training_step, training_settings

RUNS = run_dir("beyond")  # every run of this notebook: runs/beyond/NAME
FIGURES = figure_dir(RUNS)
data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
DEVICE = pick_device("auto")
print(data.description)
# No weight average: a run of a few dozen steps has little to average, and each epoch is then tested once.
recipe = Recipe(epochs=STUDY_EPOCHS, batch_size=BATCH_SIZE, max_lr=SGD_MAX_LR, seed=SEED, ema_decay=0)
runs = {}  # label → history, for section 4


def study(label, name, recipe, model):
    """Train `model` (seed first) with `recipe` in runs/beyond/NAME-..., or resume it there, and keep its history.
    The folder's name carries the subset and the epochs: other knobs, another run."""
    folder = RUNS / f"{name}-{len(data.train)}-images-{recipe.epochs}-epochs"
    history = fit(model, data, recipe, folder, resume=True, device=DEVICE, log=lambda *args: None,
                  tensorboard_dir=RUNS / "tb" / folder.name if TENSORBOARD else None)
    runs[label] = history
    print(f"{label:28s} test accuracy {history[-1]['test_acc']:5.2f}% after {len(history)} epoch(s)  ({folder.name})")
    return model


# %% [markdown]
# ## 1. BatchNorm, GroupNorm, LayerNorm
#
# All three normalise a group of values $x_i$ to mean 0 and variance 1 and then let the network choose the scale and
# shift back: $y_i = \gamma \, \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta$, with one $\gamma$ and one $\beta$
# a channel. They differ in *which* values share a $\mu$ and $\sigma$, for a batch of feature maps of shape
# (N, C, H, W):
#
# | norm | $\mu$, $\sigma$ computed over | depends on the other images in the batch? |
# | --- | --- | --- |
# | BatchNorm | one channel, across all N images and all H × W positions | yes: at test time it uses running averages from training |
# | GroupNorm | one image, one group of channels (the kit: 8 groups), all positions | no |
# | LayerNorm | one image, all C channels, all positions (GroupNorm with one group) | no |
#
# To see it, normalise a random batch with each and look at which means come out as zero:

# %%
torch.manual_seed(SEED)
batch = torch.randn(4, 32, 5, 5) * 3 + 2  # N=4 images, C=32 channels, 5x5, mean 2, std 3
print(f"{'':<10}{'largest |mean| per channel':>28}{'per image':>12}{'per image and group of 4 channels':>36}")
for norm, name in (("batch", "BatchNorm"), ("group", "GroupNorm"), ("layer", "LayerNorm")):
    y = norm_layer(norm, 32)(batch)  # training mode: BatchNorm uses this batch's statistics
    per_channel = y.mean(dim=(0, 2, 3)).abs().max()  # over the batch and positions
    per_image = y.mean(dim=(1, 2, 3)).abs().max()  # over all channels and positions
    per_group = y.view(4, 8, 4, 5, 5).mean(dim=(2, 3, 4)).abs().max()  # 8 groups of 4 channels
    print(f"{name:<10}{per_channel:>28.4f}{per_image:>12.4f}{per_group:>36.4f}")

# %% [markdown]
# A zero where the norm computes its $\mu$, and only there: BatchNorm zeroes the mean of each channel over the batch,
# GroupNorm that of each group of channels in each image (and so of each image), LayerNorm that of each whole image,
# while its groups and channels keep means of their own.
#
# The cost is the same: each norm learns a scale $\gamma$ and a shift $\beta$ a channel, so all three `Net`s have the
# same number of parameters. BatchNorm also keeps *buffers*, the running mean and variance it uses at test time; they
# are not learnt, but they are saved with the model.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'Net(norm=...)':<16}{'parameters':>12}{'buffers':>10}")
for norm in ("batch", "group", "layer"):
    model = Net(norm=norm)
    print(f"{norm!r:<16}{count_parameters(model):>12,}{sum(b.numel() for b in model.buffers()):>10,}")

# %% [markdown]
# **The study.** Three `Net`s that differ only in that layer: same recipe, same seed, same batches, `STUDY_EPOCHS`
# epochs on `SUBSET` images. BatchNorm's batch statistics let a high learning rate work and add a little noise that
# regularises; with batches of a hundred images or more it usually wins on CIFAR-10. GroupNorm and LayerNorm treat
# each image alone, so they also work with a batch of 1 or 2 (detection, segmentation, large images), where
# BatchNorm's statistics fall apart. LayerNorm forces all channels of an image to share one $\mu$ and $\sigma$, which
# costs a CNN some accuracy. Measured over 10 epochs on 4,153 training images (2-core CPU, exact CIFAR-10 pixels,
# RESULTS.md): BatchNorm 59.6%, GroupNorm 44.0%, LayerNorm 43.3%. A run of a few epochs shows the ranking, if any, not
# the numbers; in smoke mode (one epoch on a few hundred images) not even that.

# %%
for norm, label in (("batch", "Net, BatchNorm (SGD)"), ("group", "Net, GroupNorm (SGD)"), ("layer", "Net, LayerNorm (SGD)")):
    seed_everything(SEED)
    trained = study(label, f"net-{norm}-norm", recipe, Net(norm=norm))
    if norm == "batch":
        sgd_net = trained  # the baseline of section 2
fig = plot_accuracy_curves({label: runs[label] for label in list(runs)[:3]},
                           title=f"BatchNorm vs GroupNorm vs LayerNorm, {STUDY_EPOCHS} epoch(s)\n{data.description}")
save_figure(fig, "normalization_study", FIGURES);

# %% [markdown]
# ## 2. SGD vs Adam, and an L1 penalty
#
# **Adam** keeps, per weight, a moving average of the gradient and of its square,
#
# $$m \leftarrow \beta_1 m + (1-\beta_1)\,g, \qquad s \leftarrow \beta_2 s + (1-\beta_2)\,g^2, \qquad
#   w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{\hat s} + \epsilon}$$
#
# ($\hat m, \hat s$: corrected for their start at zero). Each weight's step is scaled by its own gradient's size, so
# every weight moves by about $\eta$ a step whatever its gradient: Adam forgives a badly chosen LR and starts fast, but
# its good LRs are about ten times smaller than SGD's (`ADAM_MAX_LR`). The kit uses AdamW, which applies weight decay
# to the weights directly rather than adding it to $g$, where Adam's scaling would weaken it. On image classifiers a
# well-tuned SGD usually ends a little higher. OneCycle cycles SGD's momentum (0.95 → 0.85 → 0.95); Adam's $\beta_1$
# stays 0.9.
#
# **L1 penalty.** The loss becomes $L + \lambda_1 \sum_w \lvert w \rvert$ (conv and linear weights). Its gradient,
# $\lambda_1\,\mathrm{sign}(w)$, pushes every weight towards zero by the same amount however small the weight already
# is, so unneeded weights end at zero, give or take one step $\eta\lambda_1$: a sparse network. Weight decay (an L2
# penalty) shrinks each weight in proportion to its size: small weights, but rarely zero ones. The sum runs over
# 191,648 weights, so the factor must be small; the next cell prints what the penalty adds to the loss.

# %%
torch.manual_seed(SEED)
fresh = l1_penalty(Net()).item()
print(f"sum of |w| over a fresh Net's conv and linear weights: {fresh:,.0f}")
print(f"with L1 = {L1:g} the penalty adds {L1 * fresh:.2f} to a loss that starts near ln 10 = 2.30")


def share_near_zero(net, threshold=1e-3):
    """% of the conv and linear weights within `threshold` of zero: the L1 penalty should raise it."""
    weights = torch.cat([p.detach().flatten().abs() for p in net.parameters() if p.ndim > 1])
    return 100 * (weights < threshold).float().mean().item()


seed_everything(SEED)
adam_net = study("Net, Adam", "net-adam", replace(recipe, optimizer="adam", max_lr=ADAM_MAX_LR), Net())
seed_everything(SEED)
l1_net = study(f"Net, SGD + L1 {L1:g}", "net-l1", replace(recipe, l1=L1), Net())
for label, net in (("SGD", sgd_net), ("Adam", adam_net), (f"SGD + L1 {L1:g}", l1_net)):
    print(f"after training, {label:14s} sum of |w| {l1_penalty(net).item():8,.0f}; "
          f"weights with |w| < 1e-3: {share_near_zero(net):4.1f}%")

# %% [markdown]
# ## 3. A small self-attention network
#
# `AttentionNet` (helpers/attention.py) is a different kind of model: three 3 × 3 convolutions, global average pooling
# to a 48-vector $x$ per image, four self-attention blocks on that vector, and a linear layer. In each block the image's
# features make a query, a key and a value, $q = xW_q$, $k = xW_k$, $v = xW_v$ (each 8 values), and the 8 entries
# attend to each other:
#
# $$z = \mathrm{softmax}\!\left(\frac{q k^\top}{\sqrt 8}\right) v, \qquad \text{out} = z\,W_o .$$
#
# **Where the $\sqrt 8$ goes.** It is sometimes written $\mathrm{softmax}(q k^\top)/\sqrt 8$; Vaswani et al. (2017)
# divide *before* the softmax. Dividing after it only shrinks every output by a constant, which the next linear layer
# undoes, while the softmax still sees the raw products; large raw scores saturate it (one entry near 1, the rest near
# 0), and a saturated softmax passes almost no gradient. Dividing first keeps the attention soft and trainable.
#
# **The residual.** With `residual=True` (the default) each block adds its input, $x \to x + \mathrm{block}(x)$, as a
# transformer does: the pooled conv features reach the classifier directly, and the gradient has a path around every
# softmax. Measured over 5 epochs on 2,000 images (RESULTS.md), the plain chain reached 18.7%, the residual one 32.7%.
#
# **Parameters**: convs $3\cdot16\cdot9 + 16\cdot32\cdot9 + 32\cdot48\cdot9 = 18{,}864$; BatchNorms
# $2\cdot(16+32+48) = 192$; attention $4 \cdot (3\cdot48\cdot8 + 8\cdot48) = 6{,}144$; output $48\cdot10 + 10 = 490$:
# 25,690 in all. It is trained with Adam, as attention models usually are.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
attention_net = AttentionNet()
scores = attention_net(torch.randn(2, 3, 32, 32))
print(f"AttentionNet: {count_parameters(attention_net):,} parameters; 2 images give scores of shape {tuple(scores.shape)}")

# %% [markdown]
# Trained with AdamW at `ADAM_MAX_LR`, in the same short run as the others.

# %%
seed_everything(SEED)
study("AttentionNet, Adam", "attention-adam", replace(recipe, optimizer="adam", max_lr=ADAM_MAX_LR), AttentionNet());

# %% [markdown]
# ## 4. Every run side by side
#
# One line a run. A difference between two runs counts only when it is larger than the difference between two seeds
# of the same recipe, and on a few epochs of a subset that spread is wide: repeat a comparison with `SEED = 1` before
# believing it.

# %%
print(f"{'run':28s} {'epochs':>6s} {'final test':>10s} {'best':>7s}")
for label, history in runs.items():
    print(f"{label:28s} {len(history):6d} {history[-1]['test_acc']:9.2f}% {max(h['test_acc'] for h in history):6.2f}%")
fig = plot_accuracy_curves(runs, title=f"every run of this notebook, {STUDY_EPOCHS} epoch(s)\n{data.description}")
save_figure(fig, "beyond_runs", FIGURES);

# %% [markdown]
# ## 5. Mixed precision, the gradient scaler, channels-last
#
# **16-bit numbers.** A float32 has 8 exponent bits and 23 mantissa bits. **float16** has 5 and 10: three decimal
# digits, and a narrow range, from about $6 \cdot 10^{-8}$ (smaller rounds to zero) to 65,504 (larger is infinite).
# **bfloat16** keeps float32's 8 exponent bits and has only 7 mantissa bits: float32's range, two to three digits.
# A GPU's tensor cores (and a CPU's AMX or AVX512-BF16 instructions) multiply 16-bit matrices several times faster than
# float32 ones. **Autocast** runs each operation in the precision that suits it: convolutions and matrix products in
# 16 bits, sums and the loss in float32; the weights and the optimiser stay float32.

# %%
values = torch.tensor([1e-8, 1e-4, 3.14159265, 70000.0])
print(f"float32:  {values.tolist()}")
print(f"float16:  {values.half().float().tolist()}")
print(f"bfloat16: {values.bfloat16().float().tolist()}")

# %% [markdown]
# **The gradient scaler.** Gradients are often far smaller than the values themselves, and in float16 a gradient of
# $10^{-8}$ is zero: that weight would never learn. The scaler multiplies the loss by a large factor $S$ (65,536 to
# start) before the backward pass, so every gradient is $S$ times larger and survives float16, then divides the
# gradients by $S$ before the optimiser's step. If a gradient overflowed to infinity, it skips that step and halves
# $S$; after a run of good steps it doubles $S$ again. bfloat16 has float32's range and needs no scaler.

# %%
gradient = torch.tensor(1e-8)
scale = 2.0 ** 16
print(f"a gradient of {gradient.item():g} in float16: {gradient.half().item():g}")
print(f"scaled by {scale:g} first, in float16, then divided back in float32: {(gradient * scale).half().float().item() / scale:g}")

# %% [markdown]
# The kit decides the precision once a run, from the device: float16 with a scaler on a CUDA GPU, bfloat16 on a CPU
# that has bfloat16 instructions, float32 elsewhere (a CPU without them emulates bfloat16 slowly). Its code:

# %%
show_code(lower_precision, gradient_scaler, autocast)
dtype = lower_precision(DEVICE)
print(f"on this device ({DEVICE}): {dtype or 'float32'}, gradient scaler: {gradient_scaler(dtype) is not None}")

# %% [markdown]
# **Channels-last.** A batch of images is a 4-d array (N, C, H, W), but memory is a line. The default layout stores a
# whole channel, then the next ("NCHW"): the strides below say how many numbers apart two neighbours are. Channels-last
# ("NHWC") stores the C values of one pixel side by side, which is how cuDNN (NVIDIA's convolution library) and oneDNN
# (the CPU's) read a convolution fastest: the tensor's shape does not change, only its strides.

# %%
x = torch.randn(1, 3, 4, 4)
print(f"shape {tuple(x.shape)}: strides {x.stride()} (NCHW), "
      f"{x.contiguous(memory_format=torch.channels_last).stride()} (channels-last)")

# %% [markdown]
# **What each brings on your device.** The training step of `Net` (notebook 04), timed for a moment in each setting:
# float32, float32 channels-last, and the kit's (16-bit mixed precision, channels-last) where the device has one.
# `python -m tools.bench` measures this and the input pipeline properly. On the 2-core CPU the kit was built on, at
# batch 512: 264 images/s in float32, 369 channels-last, 582 in bfloat16 channels-last (RESULTS.md). A machine busy
# with other work gives noisy numbers: run the cell twice.

# %%
for name, step_dtype, channels_last in training_settings(DEVICE):
    result = measure_training_step(data, DEVICE, BATCH_SIZE, 0.5 if SMOKE else 2, step_dtype, channels_last)
    print(f"{name:44s} {result['images_per_second']:8.0f} images/s  ({result['steps']} steps of {BATCH_SIZE})")

# %% [markdown]
# ## 6. TensorBoard
#
# The curves above appear after a run. For live curves while training, `fit(..., tensorboard_dir=DIR)` also logs the
# losses, accuracies, the LR of every step and a grid of misclassified test images to DIR. Set `TENSORBOARD = True`
# in the knobs and run the notebook again in new folders (delete runs/beyond first: a finished run is not trained
# again), then, in a new cell on Colab (which has TensorBoard):
#
# ```
# %load_ext tensorboard
# %tensorboard --logdir /content/kit/runs/beyond/tb
# ```
#
# On your own machine: `pip install tensorboard`, then `tensorboard --logdir runs/beyond/tb` in the kit's folder.

# %%
print(f"TensorBoard logs: {RUNS / 'tb'}" if TENSORBOARD else "TensorBoard is off (TENSORBOARD = False).")

# %% [markdown]
# ## What we know now
#
# * BatchNorm, GroupNorm and LayerNorm differ only in what $\mu, \sigma$ are taken over; they learn the same
#   $\gamma, \beta$, and only BatchNorm keeps buffers and depends on the batch.
# * Adam scales each weight's step by its own gradient's size and wants an LR about ten times smaller than SGD's; L1
#   pushes unneeded weights to zero, L2 only shrinks them.
# * A self-attention block mixes the entries of a query, key and value, $\mathrm{softmax}(qk^\top/\sqrt{d})\,v$; the
#   residual lets the gradient around it.
# * float16 needs a gradient scaler for its narrow range, bfloat16 does not; channels-last changes the strides, not the
#   shape; what each brings is measured, not assumed.

# %% [markdown]
# ## Exercises
#
# **1. BatchNorm's buffers, by hand.** Predict the buffers column of section 1 for `Net(norm="batch")`.
# *What to look for:* BatchNorm stores a running mean and variance a channel, and one counter a layer.
# <details><summary>Answer</summary>
#
# 11 BatchNorm layers: C1 3 × 32, C2 3 × 64, C3 3 × 128, C4 2 × 128 = 96 + 192 + 384 + 256 = 928 channels. Running
# mean and variance: 2·928 = 1,856, plus 11 `num_batches_tracked`: **1,867**. GroupNorm and LayerNorm keep none.
# </details>
#
# **2. Does an image's score depend on its batch-mates?** For each norm, build `net = Net(norm=...)`, take
# `x = torch.randn(4, 3, 32, 32)` and print `(net(x)[0] - net(x[:1])[0]).abs().max()` after `net.train()` and again
# after `net.eval()`.
# *What to look for:* which of the six differences are more than float rounding (about 1e-7).
# <details><summary>Answer</summary>
#
# Only BatchNorm in training mode (a difference of a few hundredths): the batch's $\mu, \sigma$ change with the images
# in it. In eval mode it uses its running statistics: 0 up to rounding. GroupNorm and LayerNorm compute them per
# image: 0 up to rounding in both modes. Hence `model.eval()` before testing, and GroupNorm or LayerNorm where a batch
# holds only 1 or 2 images.
# </details>
#
# **3. How strong is the L1 penalty?** Section 2 printed $\sum |w|$ of a fresh `Net`. Which factor makes the penalty
# equal the starting loss, and how far does one step at max LR 0.2 move a weight towards 0 with `L1 = 5e-5`?
# *What to look for:* the penalty must stay a fraction of the loss.
# <details><summary>Answer</summary>
#
# The loss starts at ln 10 ≈ 2.303 and $\sum |w| \approx 7{,}000$, so $\lambda_1$ = 2.303/7,000 ≈ 3.3e-4 (5e-5 adds
# 0.35; 5e-4 would add 3.5, more than the loss). One step moves a weight by $\eta \lambda_1$ = 0.2 × 5e-5 = 1e-5,
# whatever its size; momentum, which OneCycle has lowered to 0.85 at the peak, adds up to $1/(1-0.85) \approx 6.7$ such
# steps: about 7e-5 a step.
# </details>
#
# **4. Adam's own LR range test.** In notebook 04, set `MAX_LR = None` and run the LR range test with
# `recipe = replace(recipe, optimizer="adam")` before it (the test builds its optimiser from the recipe).
# *What to look for:* the order of magnitude of the suggestion against SGD's.
# <details><summary>Answer</summary>
#
# Adam divides each weight's step by its own gradient's size, so every weight moves by about $\eta$ a step and the
# loss turns up at an LR about ten times smaller than SGD's: expect a suggestion near 0.01 rather than 0.1.
# </details>
#
# **5. GroupNorm and the widths.** `Net(norm="group", widths=(32, 64, 128, W))`: which `W` are possible?
# *What to look for:* `norm_layer` splits each block's channels into `min(8, channels)` groups.
# <details><summary>Answer</summary>
#
# GroupNorm needs the channels to divide into its 8 groups: `W` a multiple of 8. (The largest `W` under 200,000
# parameters, notebook 03's exercise 4, is 143; the largest multiple of 8 below it, 136, gives 196,834.)
# </details>
