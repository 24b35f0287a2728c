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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/03_model.ipynb)
#
# # 03 · The model: `Net`, block by block
#
# **The assignment**, as the course states it: design a network for CIFAR-10 that
#
# | rule | how the kit checks it (`helpers.assignment.check_assignment`) |
# |---|---|
# | has the architecture C1 – C2 – C3 – C4 – output | four modules named `c1` … `c4` run in that order; their output sizes and what reduced them (stride, dilation without padding) are reported |
# | uses **no max-pooling** | no max-pooling module, and no `F.max_pool2d` in `forward` either (every function the forward pass calls is watched) |
# | uses at least one **depthwise separable** convolution | a convolution with `groups` equal to its input channels and a kernel above 1, followed by a 1 × 1 |
# | uses at least one **dilated** convolution | a convolution with `dilation > 1` |
# | uses **global average pooling** before the classifier | an average pooling that turns the last map into one value a channel |
# | has a **receptive field above 44** | computed layer by layer (notebook 02) and confirmed with gradients |
# | has **fewer than 200,000 parameters** | trainable parameters counted |
# | gives 10 logits an image | one forward pass |
# | reaches **85% test accuracy** (with flip, shift-scale-rotate and CoarseDropout) | read from the run's history: the accuracy and the epoch it was first reached |
#
# This notebook builds the kit's own answer, `Net` (helpers/model.py), and checks it; then it is your turn:
#
# 1. the three building blocks: a conv block, a depthwise separable block, a residual pair;
# 2. the network stage by stage, C1 – C2 – C3 – C4 – output, with the shape of the data after each;
# 3. the full layer summary and the parameter count;
# 4. the assignment's rules, checked on `Net`;
# 5. BatchNorm, GroupNorm and LayerNorm: what each normalises over and what each costs;
# 6. the kit's second model, a small self-attention network;
# 7. **your turn**: your own network, written in a cell, checked against the rules, ready for notebooks 04 and 05.

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
# Everything you may change is in the next cell. No data and no training: smoke mode changes nothing.

# %%
SEED = 0  # the random weights and the dummy batch
NORM = "batch"  # the normalisation in Net: "batch", "group" or "layer" (section 5)
BATCH_SIZE = 2  # images in the dummy batch that shows the shapes
INPUT_SIZE = 32  # CIFAR-10 images are 32 x 32
MY_NETWORKS_ON_DRIVE = False  # Colab: keep your network (section 7) on Google Drive, where notebooks 04 and 05 find it
MY_RUN_NAME = "my-net"  # the run of your network in notebook 04 (runs/MY_RUN_NAME): its accuracy joins the check

# %%
import json

import torch
import torch.nn as nn
from torchsummary import summary

from helpers.assignment import check_assignment, format_checks
from helpers.attention import AttentionNet
from helpers.model import ConvBlock, DepthwiseSeparable, Net, Residual, count_parameters, norm_layer
from helpers.receptive_field import format_table, receptive_field_table
from helpers.machinery.notebook import my_networks_dir, run_dir
from helpers.machinery.registry import load_network

MY_NET_FILE = my_networks_dir(on_drive=MY_NETWORKS_ON_DRIVE) / "my_net.py"  # section 7 writes your network here
MY_RUN = run_dir(MY_RUN_NAME, on_drive=MY_NETWORKS_ON_DRIVE)

# %% [markdown]
# ## 1. The building blocks
#
# * **ConvBlock**: a 3 × 3 convolution, a norm, a ReLU. It has $3 \cdot 3 \cdot c_{\text{in}} c_{\text{out}}$
#   weights and no bias (the norm's shift right after it would make a bias redundant). With stride 2
#   it halves the map: the network learns how to downsample instead of max-pooling throwing away
#   three values of every four.
# * **DepthwiseSeparable**: a 3 × 3 depthwise convolution (`groups = c_in`: one filter per channel,
#   *where* to look) then a 1 × 1 pointwise convolution (*how* to mix the channels):
#   $9 c_{\text{in}} + c_{\text{in}} c_{\text{out}}$ weights instead of $9 c_{\text{in}} c_{\text{out}}$.
# * **Residual**: $\text{out} = x + f(x)$. The shortcut lets the gradient reach the early layers
#   directly, so a short training run trains the whole depth.

# %%
conv_block, separable_block = ConvBlock(64, 64), DepthwiseSeparable(64, 64)
residual_pair = Residual(ConvBlock(64, 64), ConvBlock(64, 64))
print(f"ConvBlock(64, 64): {count_parameters(conv_block):,} parameters\n{conv_block}\n")
print(f"DepthwiseSeparable(64, 64): {count_parameters(separable_block):,} parameters\n{separable_block}\n")
print(f"Residual(ConvBlock(64, 64), ConvBlock(64, 64)): {count_parameters(residual_pair):,} parameters "
      f"(two ConvBlocks; the shortcut adds none)")

# %% [markdown]
# ## 2. `Net`, stage by stage
#
# Where the maps are large and the channels few (C1, C2), full 3 × 3 convolutions are affordable;
# where the channels are many (C3, C4), depthwise separable ones keep the parameter count down.
# Two stride-2 convolutions take the map from 32 × 32 to 8 × 8; a dilated convolution in C4 widens
# the receptive field without shrinking the map further. Global average pooling turns each of
# the last 128 maps into one number, and one linear layer maps those to the 10 class scores.
#
# A sketch of the data's shape (channels × height × width) on its way through:
#
# ```
# image 3×32×32 ─C1→ 32×32×32 ─C2→ 64×16×16 ─C3→ 128×8×8 ─C4→ 128×8×8 ─GAP→ 128 ─linear→ 10
# ```
#
# The same, measured by sending a dummy batch through the stages one at a time:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
net = Net(norm=NORM)
x = torch.randn(BATCH_SIZE, 3, INPUT_SIZE, INPUT_SIZE)
print(f"{'stage':<8}{'output shape':<22}{'parameters':>10}")
print(f"{'input':<8}{str(tuple(x.shape)):<22}")
for name in ("c1", "c2", "c3", "c4", "output"):
    stage = getattr(net, name)
    x = stage(x)
    print(f"{name:<8}{str(tuple(x.shape)):<22}{count_parameters(stage):>10,}")
print(f"{'total':<30}{count_parameters(net):>10,}")

# %% [markdown]
# ## 3. The whole network, layer by layer
#
# `torchsummary` lists every layer with its output shape (−1 stands for the batch size) and its
# parameters. Most of the budget sits in C2's full 3 × 3 convolutions at 64 channels; the
# depthwise separable layers of C3 and C4 cost about 17,500 each, at 128 channels.

# %%
summary(net, (3, INPUT_SIZE, INPUT_SIZE), device="cpu")

# %% [markdown]
# ## 4. The assignment's rules, checked
#
# `check_assignment(model)` runs one dummy image through the model, watching every layer and every function its
# `forward` calls, and returns one row a rule: what it measured, PASS or FAIL, and for a failure what to change.
# Without a training history it checks everything but the accuracy (notebook 04 trains; the row appears in
# section 7 once a run exists). A change to `helpers/model.py` that breaks a rule shows up here, and in the tests.

# %%
# NBVAL_CHECK_OUTPUT
checks = check_assignment(net)
print(format_checks(checks))
assert all(check.passed for check in checks)

# %% [markdown]
# ## 5. BatchNorm, GroupNorm, LayerNorm
#
# All three normalise a group of values $x_i$ to mean 0 and variance 1 and then let the network
# choose the scale and shift back: $y_i = \gamma \, \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta$,
# with one $\gamma$ and one $\beta$ a channel. They differ in *which* values share a $\mu$ and $\sigma$,
# for a batch of feature maps of shape (N, C, H, W):
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
# A zero where the norm computes its $\mu$, and only there: BatchNorm zeroes the mean of each channel
# over the batch, GroupNorm that of each group of channels in each image (and so of each image),
# LayerNorm that of each whole image, while its groups and channels keep means of their own.
#
# The cost is the same: each norm learns a scale $\gamma$ and a shift $\beta$ a channel, so all three
# `Net`s have the same number of parameters. BatchNorm also keeps *buffers*, the running mean and
# variance it uses at test time; they are not learnt, but they are saved with the model.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'Net(norm=...)':<16}{'parameters':>12}{'buffers':>10}")
for norm in ("batch", "group", "layer"):
    model = Net(norm=norm)
    buffers = sum(b.numel() for b in model.buffers())
    print(f"{norm!r:<16}{count_parameters(model):>12,}{buffers:>10,}")

# %% [markdown]
# Which one trains best on CIFAR-10 is measured in **04_training** (same recipe and seed for all three).
#
# ## 6. The second model: a small self-attention network
#
# `AttentionNet` (helpers/attention.py) is the kit's other model: three 3 × 3 convolutions, global
# average pooling to a 48-vector $x$ per image, four self-attention blocks on that vector, and a linear
# layer. Its docstring walks through the attention step shape by shape: $q = xW_q$, $k = xW_k$, $v = xW_v$
# (each 8 values), then
#
# $$z = \mathrm{softmax}\!\left(\frac{q k^\top}{\sqrt 8}\right) v, \qquad \text{out} = z\,W_o .$$
#
# **Where the $\sqrt 8$ goes.** The write-up wrote $\mathrm{SoftMax}(Q^\top K)/\sqrt 8$; Vaswani et al. (2017) divide
# *before* the softmax. Dividing after it only shrinks every output by a constant, which the next linear layer
# undoes, while the softmax still sees the raw products; large raw scores saturate it (one entry near 1, the rest
# near 0) and a saturated softmax passes almost no gradient. Dividing first keeps the attention soft and trainable,
# so the kit divides first.
#
# **The residual.** The write-up chains the blocks plainly, $x \to \mathrm{block}(x)$; with `residual=True` (the
# default) each block adds its input, $x \to x + \mathrm{block}(x)$, as a transformer does: the pooled conv features
# reach the classifier directly, and the gradient has a path around every softmax. `AttentionNet(residual=False)`
# is the write-up's model as written (a short comparison of the two is in the README).
#
# **Parameters**: convs $3\cdot16\cdot9 + 16\cdot32\cdot9 + 32\cdot48\cdot9 = 18{,}864$; BatchNorms $2\cdot(16+32+48) = 192$;
# attention $4 \cdot (3\cdot48\cdot8 + 8\cdot48) = 6{,}144$; output $48\cdot10 + 10 = 490$: 25,690 in all (no biases on the
# convs, which a BatchNorm follows, nor on the attention's products, as in the write-up's $X \cdot K$).

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
attention_net = AttentionNet()
scores = attention_net(torch.randn(BATCH_SIZE, 3, INPUT_SIZE, INPUT_SIZE))
print(f"AttentionNet: {count_parameters(attention_net):,} parameters; "
      f"a batch of {BATCH_SIZE} images gives scores of shape {tuple(scores.shape)}")

# %% [markdown]
# ## 7. Your turn: your own network
#
# The next cell writes your network to a file, `MY_NETWORKS / "my_net.py"`, so that notebooks 04 and 05 can train
# and evaluate it on their own runtimes (`MODEL = "my_net.py:MyNet"` there). On Colab, set `MY_NETWORKS_ON_DRIVE =
# True` in the knobs: a file on this runtime's disk is gone when the runtime is; on Google Drive every notebook finds
# it. Edit the class and run the cell again; the cells after it check it.
#
# The template runs, and **fails two rules on purpose**: it has neither a depthwise separable nor a dilated
# convolution. Make it pass: `helpers.model` has the blocks (`ConvBlock(c_in, c_out, stride=, dilation=)`,
# `DepthwiseSeparable(c_in, c_out, stride=, dilation=)`, `Residual(...)`), or write your own layers. Keep the four
# modules named `c1` … `c4`: the checker and Grad-CAM in notebook 05 look for them.

# %%
# %%writefile {MY_NET_FILE}
import torch.nn as nn

from helpers.model import ConvBlock, DepthwiseSeparable


class MyNet(nn.Module):
    """C1-C2-C3-C4-output: plain 3x3 convolutions, two of them with stride 2. Yours to change."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(ConvBlock(3, 16), ConvBlock(16, 16))                   # 32x32
        self.c2 = nn.Sequential(ConvBlock(16, 32, stride=2), ConvBlock(32, 32))        # 16x16
        self.c3 = nn.Sequential(ConvBlock(32, 64, stride=2), ConvBlock(64, 64))        # 8x8
        self.c4 = nn.Sequential(ConvBlock(64, 64), ConvBlock(64, 64), ConvBlock(64, 64))  # 8x8
        self.output = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.output(self.c4(self.c3(self.c2(self.c1(x)))))

# %% [markdown]
# The checker's verdict on your network, from the file just written (as notebook 04 will load it). Once notebook 04
# has trained it, `MY_RUN` holds its history and the accuracy row appears too.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
my_net = load_network(f"{MY_NET_FILE}:MyNet")()
history = json.loads((MY_RUN / "metrics.json").read_text())["epochs"] if (MY_RUN / "metrics.json").is_file() else None
print(format_checks(check_assignment(my_net, history)))

# %% [markdown]
# Its receptive-field table (notebook 02's columns) and where its parameters sit, stage by stage:

# %%
# NBVAL_CHECK_OUTPUT
print(format_table(receptive_field_table(my_net, input_size=INPUT_SIZE)))
x = torch.zeros(BATCH_SIZE, 3, INPUT_SIZE, INPUT_SIZE)
print(f"\n{'stage':<8}{'output shape':<22}{'parameters':>10}")
for name in ("c1", "c2", "c3", "c4", "output"):
    x = getattr(my_net, name)(x)
    print(f"{name:<8}{str(tuple(x.shape)):<22}{count_parameters(getattr(my_net, name)):>10,}")
print(f"{'total':<30}{count_parameters(my_net):>10,}")

# %% [markdown]
# Train it in notebook 04 with `MODEL = "my_net.py:MyNet"` (and its own `RUN_NAME`), evaluate it in notebook 05 with
# the same `MODEL`, or from a terminal: `python -m helpers.train --model my_networks/my_net.py:MyNet --out runs/my-net`.

# %% [markdown]
# ## What we know now
#
# * A `ConvBlock` has $9 c_{\text{in}} c_{\text{out}}$ weights plus $2 c_{\text{out}}$ for its norm (no bias); a
#   `DepthwiseSeparable` $9 c_{\text{in}} + c_{\text{in}} c_{\text{out}} + 2 c_{\text{out}}$; a `Residual` adds none.
# * `Net` takes 3 × 32 × 32 through C1 (32 × 32 × 32), C2 (64 × 16 × 16), C3 and C4 (128 × 8 × 8) to GAP and 10
#   scores; the stage table above shows where the parameters sit: most in C2's full 3 × 3 convolutions.
# * Stride-2 convolutions replace max-pooling, depthwise separable ones make 128 channels affordable, one dilated
#   convolution widens the RF; the four constraints are assertions on the model object (the printout above).
# * BatchNorm, GroupNorm and LayerNorm learn the same $\gamma, \beta$ a channel, so the same parameter count; they
#   differ in what $\mu, \sigma$ are taken over (the table of means above), and only BatchNorm keeps buffers.

# %% [markdown]
# ## Exercises
#
# **1. Two blocks by hand.** Count the parameters of `ConvBlock(128, 128)` and `DepthwiseSeparable(128, 128)`, norm
# included, then check with `count_parameters`.
# *What to look for:* how much of the depthwise separable block is the 1 × 1 convolution.
# <details><summary>Answer</summary>
#
# ConvBlock: 3·3·128·128 = 147,456 + 2·128 = **147,712**. DepthwiseSeparable: 3·3·128 = 1,152 (depthwise) +
# 128·128 = 16,384 (pointwise) + 256 = **17,792**, 12% of the ConvBlock; 16,384 of it, 92%, is the pointwise conv.
# </details>
#
# **2. C2, the largest stage.** Recompute C2's row of the stage table from its blocks, `ConvBlock(32, 64, stride=2)`
# and a residual pair of `ConvBlock(64, 64)`. Does the stride change the count?
# *What to look for:* the share of the whole network in this one stage.
# <details><summary>Answer</summary>
#
# 9·32·64 + 2·64 = 18,560, and 9·64·64 + 128 = 36,992 twice: 18,560 + 73,984 = **92,544**, 48% of 193,514. The
# stride changes where the kernel is applied (a quarter of the positions, so of the multiply-adds), not its weights.
# </details>
#
# **3. Spend the rest of the budget.** Widen C4 with `Net(widths=(32, 64, 128, W))`. Find the largest `W` that keeps
# `count_parameters` under 200,000 (with `NORM = "group"`, `W` must be a multiple of 8), first by hand.
# *What to look for:* only C4 and the linear layer depend on `W`; does the receptive field change?
# <details><summary>Answer</summary>
#
# `DepthwiseSeparable(128, W)` + `DepthwiseSeparable(W, W)` + `Linear(W, 10)` =
# (1,152 + 128W + 2W) + (9W + W² + 2W) + (10W + 10) = W² + 151W + 1,162: 36,874 at W = 128, so the rest of `Net` is
# 193,514 − 36,874 = 156,640. W = 143: 20,449 + 21,593 + 1,162 + 156,640 = **199,844**; W = 144: 200,282, over.
# The largest multiple of 8 is 136: 196,834. The RF stays 61: channels do not change what a position sees.
# </details>
#
# **4. BatchNorm's buffers, by hand.** Predict the buffers column of section 5 for `Net(norm="batch")`.
# *What to look for:* BatchNorm stores a running mean and variance a channel, and one counter a layer.
# <details><summary>Answer</summary>
#
# 11 BatchNorm layers: C1 3 × 32, C2 3 × 64, C3 3 × 128, C4 2 × 128 = 96 + 192 + 384 + 256 = 928 channels. Running
# mean and variance: 2·928 = 1,856, plus 11 `num_batches_tracked`: **1,867**. GroupNorm and LayerNorm keep none.
# </details>
#
# **5. Does an image's score depend on its batch-mates?** For each `NORM` ("batch", "group", "layer"), rerun
# section 2 (it builds `net`), take `x = torch.randn(4, 3, INPUT_SIZE, INPUT_SIZE)` and print
# `(net(x)[0] - net(x[:1])[0]).abs().max()` after `net.train()` and again after `net.eval()`.
# *What to look for:* which of the six differences are more than float rounding (about 1e-7).
# <details><summary>Answer</summary>
#
# Only BatchNorm in training mode (a difference of a few hundredths): the batch's $\mu, \sigma$ change with the
# images in it. In eval mode it uses its running statistics: 0 up to rounding. GroupNorm and LayerNorm compute them
# per image: 0 up to rounding in both modes. Hence `model.eval()` before testing, and GroupNorm or LayerNorm where
# a batch holds only 1 or 2 images.
# </details>
#
# **Next:** [04 · Training](04_training.ipynb) — the recipe, the learning rate range test and OneCycle, and the run
# that trains this `Net` on CIFAR-10.
