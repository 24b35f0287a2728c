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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/03_model.ipynb)
#
# # 03 · The model: `Net`, and your own network
#
# **After this notebook you can** read a network stage by stage (the shape of the data, where its parameters sit),
# count a convolution block's parameters by hand, check any network against the course's assignment with one call,
# and write your own network in a file that notebooks 04 and 05 train and evaluate.
#
# **In class** (about 20 minutes): *Runtime > Run all* (seconds; no data, no GPU needed), read sections 1-4, then
# section 5: make your network pass the checker. **After class** (homework): the exercises and the part headed
# *After class* (how the checker checks each rule); once notebook 04 has trained your network, run this notebook
# again and hand it in (its last section says how).
#
# **The assignment:** a network for CIFAR-10 with the architecture C1 – C2 – C3 – C4 – output, **no max-pooling**,
# at least one **depthwise separable** and one **dilated** convolution, **global average pooling** before the
# classifier, a **receptive field above 44** (notebook 02's convention), **fewer than 200,000 parameters**, 10
# logits an image, trained with **HorizontalFlip, ShiftScaleRotate** (`Affine`) **and CoarseDropout** to **85% test
# accuracy**. `check_assignment` checks each rule on the model object itself (section 4).
#
# Without max-pooling something else must shrink the maps: stride-2 convolutions where the pools were (the kit's
# `Net` uses two); or, the course's two variants, reported as rows of their own, three stride-2 3 × 3 layers
# (32 → 16 → 8 → 4), or the bonus, dilated convolutions without padding only (dilation 1, 2, 4, 8: each takes $2d$
# pixels off the map, 32 → 30 → 26 → 18 → 2; exercise 3).

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
#
# Everything you may change is in the next cell. `MODEL`, `RUN_NAME` and `KIT_ON_DRIVE` name your network and its
# run as notebooks 04 and 05 do: section 5 prints the three lines to copy there.

# %%
SEED = 0                   # the random weights and the dummy batch
BATCH_SIZE = 2             # images in the dummy batch that shows the shapes
INPUT_SIZE = 32            # CIFAR-10 images are 32 x 32
MODEL = "my_net.py:MyNet"  # your network (section 5): the file in my_networks/, and the class in it
RUN_NAME = "my-net"        # its run in notebook 04 (runs/RUN_NAME): once trained, its accuracy joins the check
KIT_ON_DRIVE = True        # Colab: my_networks/ and runs/ in the kit folder on your Google Drive, where 04 and 05 find them

# %%
import json
import os

import torch
from torchsummary import summary

from helpers.assignment import check_assignment, format_checks
from helpers.model import ConvBlock, DepthwiseSeparable, Net, Residual, count_parameters
from helpers.receptive_field import format_table, receptive_field_table
from helpers.training import load_network, my_networks_dir, run_dir

MY_NET_FILE = my_networks_dir(KIT_ON_DRIVE) / MODEL.partition(":")[0]  # section 5 writes your network here
MY_RUN = run_dir(RUN_NAME, KIT_ON_DRIVE)

# %% [markdown]
# ## 1. The building blocks
#
# * **ConvBlock**: a 3 × 3 convolution, a norm, a ReLU: $9 c_{\text{in}} c_{\text{out}}$ weights, no bias (the norm's
#   shift makes one redundant). With stride 2 it halves the map: a learnt downsampling, where max-pooling throws
#   away three values of four.
# * **DepthwiseSeparable** (notebook 02): a 3 × 3 depthwise then a 1 × 1 pointwise convolution,
#   $9 c_{\text{in}} + c_{\text{in}} c_{\text{out}}$ weights instead of $9 c_{\text{in}} c_{\text{out}}$.
# * **Residual**: $\text{out} = x + f(x)$. The shortcut lets the gradient reach the early layers directly, so a
#   short run trains the whole depth.
#
# Each block's norm adds a scale and a shift a channel: $2 c_{\text{out}}$ parameters.

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
# Full 3 × 3 convolutions where maps are large and channels few (C1, C2), depthwise separable ones where channels
# are many (C3, C4). Two stride-2 convolutions take the map from 32 × 32 to 8 × 8; a dilated one in C4 widens the
# receptive field. Global average pooling turns each of the last 128 maps into one number, and a linear layer maps
# those to the 10 class scores.
#
# ```
# image 3×32×32 ─C1→ 32×32×32 ─C2→ 64×16×16 ─C3→ 128×8×8 ─C4→ 128×8×8 ─GAP→ 128 ─linear→ 10
# ```
#
# Measured with a dummy batch sent through the stages one at a time:

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
net = Net()
x = torch.randn(BATCH_SIZE, 3, INPUT_SIZE, INPUT_SIZE)
print(f"{'stage':<8}{'output shape':<22}{'parameters':>10}{'share':>8}")
print(f"{'input':<8}{str(tuple(x.shape)):<22}")
for name in ("c1", "c2", "c3", "c4", "output"):
    stage = getattr(net, name)
    x = stage(x)
    print(f"{name:<8}{str(tuple(x.shape)):<22}{count_parameters(stage):>10,}{count_parameters(stage) / count_parameters(net):>8.0%}")
print(f"{'total':<30}{count_parameters(net):>10,}")

# %% [markdown]
# ## 3. The whole network, layer by layer
#
# `torchsummary` lists every layer, its output shape (−1: the batch size) and its parameters. Most of the budget
# sits in C2's full 3 × 3 convolutions at 64 channels, 36,864 weights each; a depthwise separable block at 128
# channels costs 17,792 with its norm (exercise 1).

# %%
summary(net, (3, INPUT_SIZE, INPUT_SIZE), device="cpu")

# %% [markdown]
# ## 4. The assignment's rules, checked
#
# `check_assignment(model)` runs one dummy image through the model, watching every layer and every function its
# `forward` calls: one row a rule, PASS or FAIL with what to change, then the variants, yes or no. The augmentation
# and the accuracy are read from a trained run: before one, `-`.

# %%
# NBVAL_CHECK_OUTPUT
checks = check_assignment(net)
print(format_checks(checks))
assert all(check.passed for check in checks if check.kind == "rule" and check.passed is not None)

# %% [markdown]
# ## 5. Your turn: your own network
#
# The next cell writes your network to `my_networks/my_net.py` in the kit folder, where notebooks 04 and 05, each on
# a runtime of its own, find it. On Colab, `KIT_ON_DRIVE = True` keeps that folder on your Google Drive
# (`MyDrive/cifar10-kit`: a runtime's own disk goes with the runtime); Colab asks once for permission.
#
# The template runs, and **fails two rules on purpose**: it has no depthwise separable and no dilated convolution.
# Make it pass with the blocks of `helpers.model` (`ConvBlock(c_in, c_out, stride=, dilation=)`,
# `DepthwiseSeparable(...)`, `Residual(...)`) or layers of your own; keep the four modules named `c1` … `c4` (the
# checker and notebook 05 look for them). Edit the class, run the cell again, then the cells after it.

# %%
# %%writefile {os.path.relpath(MY_NET_FILE)}
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
# The checker's verdict on your network, read back from the file. Once notebook 04 has trained it (`RUN_NAME`), the
# run's record joins in: its history for the accuracy row, its pipeline for the augmentation row.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
my_net = load_network(f"{MY_NET_FILE}:{MODEL.partition(':')[2]}")()
run = json.loads((MY_RUN / "metrics.json").read_text()) if (MY_RUN / "metrics.json").is_file() else {}
print(format_checks(check_assignment(my_net, run.get("epochs"), augmentation=run.get("augmentation"))))

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
# **Train it, then evaluate it.** Copy these lines into the knobs of notebook 04 (training) and of notebook 05
# (evaluation), as they are:

# %%
# NBVAL_CHECK_OUTPUT
print(f'MODEL = "{MODEL}"\nRUN_NAME = "{RUN_NAME}"\nKIT_ON_DRIVE = {KIT_ON_DRIVE}')

# %% [markdown]
# From a terminal, without notebooks: `python -m helpers.train --model my_networks/my_net.py:MyNet --out runs/my-net`.

# %% [markdown]
# ## What we know now
#
# * A `ConvBlock` has $9 c_{\text{in}} c_{\text{out}} + 2 c_{\text{out}}$ parameters, a `DepthwiseSeparable`
#   $9 c_{\text{in}} + c_{\text{in}} c_{\text{out}} + 2 c_{\text{out}}$, a `Residual` none of its own.
# * `Net`: stride-2 convolutions instead of max-pooling, depthwise separable ones where channels are many, one
#   dilated convolution for the RF; about half its parameters sit in C2.
# * `check_assignment` checks every rule on the model object itself, however the network is written.
# * Your network lives in a file (`MODEL`), its run in a folder (`RUN_NAME`), on Colab in the kit folder on your
#   Drive (`KIT_ON_DRIVE`): the same three knobs in notebooks 03, 04 and 05.

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
# **3. The bonus variant: downsample with dilation alone.** Rewrite `MyNet` so that no layer has a stride: end C1,
# C2, C3 and C4 each with a 3 × 3 convolution of dilation 1, 2, 4 and 8 **without padding**
# (`nn.Conv2d(c, c, 3, dilation=d, padding=0)`, then a BatchNorm and a ReLU), keep a depthwise separable block
# somewhere, and check it. First predict the map size after each stage and the receptive field.
# *What to look for:* the stages row of the check ("padding 0, dilation d"), the bonus row, and whether the RF passes.
# <details><summary>Answer</summary>
#
# A 3 × 3 kernel with dilation $d$ spans $2d + 1$ pixels, so without padding it takes $2d$ off the map: 32 → 30 → 26 →
# 18 → 2, and global average pooling averages the last 2 × 2. Nothing multiplies the jump, so every layer adds
# $(k_\text{eff} - 1) \cdot 1$ to the RF: the four dilated layers add 2 + 4 + 8 + 16 = 30, and each padded 3 × 3 layer
# 2 more: with 1 + 30 = 31 from them alone, seven padded layers reach 45, above 44. `tests/test_assignment.py` holds
# such a network (`DilationOnly`, RF 47). Check also that the parameters stay under 200,000: with no stride, the
# maps stay large, so each layer costs many multiply-adds, but no more weights.
# </details>
#
# **4. Spend the rest of the budget.** Widen C4 with `Net(widths=(32, 64, 128, W))`. Find the largest `W` that keeps
# `count_parameters` under 200,000, first by hand.
# *What to look for:* only C4 and the linear layer depend on `W`; does the receptive field change?
# <details><summary>Answer</summary>
#
# `DepthwiseSeparable(128, W)` + `DepthwiseSeparable(W, W)` + `Linear(W, 10)` =
# (1,152 + 128W + 2W) + (9W + W² + 2W) + (10W + 10) = W² + 151W + 1,162: 36,874 at W = 128, so the rest of `Net` is
# 193,514 − 36,874 = 156,640. W = 143: 20,449 + 21,593 + 1,162 + 156,640 = **199,844**; W = 144: 200,282, over.
# The RF stays 61: channels do not change what a position sees.
# </details>

# %% [markdown]
# ## After class (optional): how the checker checks each rule
#
# | rule | how the kit checks it (`helpers.assignment.check_assignment`) |
# |---|---|
# | has the architecture C1 – C2 – C3 – C4 – output | four modules named `c1` … `c4` run in that order; their output sizes and each operation that shrank the map, described as it is (stride, padding, dilation) |
# | uses **no max-pooling** | max pooling in any form: `nn.MaxPool2d`, `F.max_pool2d` (with `return_indices` too), adaptive max, `amax`/`max` over positions, a max over tiles of a reshaped map |
# | uses at least one **depthwise separable** convolution | a convolution with `groups` equal to its input channels and a kernel above 1, followed by a 1 × 1 |
# | uses at least one **dilated** convolution | a convolution with `dilation > 1`, an `nn.Conv2d` or an `F.conv2d` in `forward` |
# | uses **global average pooling** before the classifier | an average over *every* position of the last map, in any form (`nn.AdaptiveAvgPool2d(1)`, `nn.AvgPool2d(8)` on an 8 × 8 map, `x.mean((2, 3))`, `F.avg_pool2d`); a pool that leaves positions out fails and says how many |
# | has a **receptive field above 44** | the RF of the map entering global pooling (notebook 02's convention), computed along the layers and measured with gradients on that map |
# | has **fewer than 200,000 parameters** | trainable parameters counted |
# | gives 10 logits an image | one forward pass |
# | is trained with **HorizontalFlip, ShiftScaleRotate** (`Affine`) **and CoarseDropout** | read from the pipeline that trained (the run's `metrics.json`) |
# | reaches **85% test accuracy** | read from the run's history: the accuracy and the epoch it was first reached |
#
# Every rule is checked on the model object itself, from one forward pass on a dummy 32 × 32 batch that follows
# every tensor: `nn` modules and the functions `forward` calls alike, fixed-size reshapes and attention included.
# A rule that cannot be checked says why (`-`), and every other rule still gets its verdict.

# %% [markdown]
# ## Handing in: this notebook and your kit folder
#
# This notebook is what you hand in. Once notebook 04 has trained your network, run this notebook again (*Runtime >
# Run all*, same `MODEL`, `RUN_NAME`, `KIT_ON_DRIVE`): section 5's check must print the checker's table with your
# run's accuracy and pipeline rows filled in (not `-`). In the next cell, say in a few sentences of your own how
# your network reaches its receptive field and where its parameters sit (section 5's two tables). Then hand in
#
# * this notebook with its outputs (*File > Download > Download .ipynb*);
# * your kit folder from Google Drive, `MyDrive/cifar10-kit`, with `my_networks/` and `runs/` (checkpoints not
#   needed): your teacher checks it with `python -m tools.check_handins FOLDER`.

# %% [markdown]
# *Your explanation (double-click to write):*

# %% [markdown]
# **Next:** [04 · Training](04_training.ipynb) — the LR range test, OneCycle, and the run that trains `Net` (or your
# network) on CIFAR-10. Optional: [06 · Beyond](06_beyond.ipynb) — BatchNorm vs GroupNorm vs LayerNorm, and a
# small self-attention network.
