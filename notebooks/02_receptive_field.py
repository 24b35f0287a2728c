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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/02_receptive_field.ipynb)
#
# # 02 · The receptive field, and what convolutions cost
#
# The **receptive field** (RF) of an output is the patch of input pixels it can see. To tell a cat
# from a dog, the last layer's outputs must see most of the 32 × 32 image, so the RF is a design
# target: the kit's `Net` must reach more than 44 pixels. In this notebook we
#
# 1. derive the RF layer by layer with four formulas, by hand on a small example;
# 2. compute the table for the kit's `Net` from the model itself;
# 3. **measure** the RF with gradients and draw it beside the computed one;
# 4. see what stride, dilation and depth each do to the RF;
# 5. compare the parameters and multiply-adds of a normal, a depthwise separable and a dilated
#    3 × 3 convolution.
#
# No data is needed: the RF is a property of the architecture, not of the images.

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
# Everything you may change is in the next cell. Nothing here is slow, so smoke mode changes nothing.

# %%
SEED = 0  # the random weights of the networks whose RF is measured
INPUT_SIZE = 32  # the image side the RF tables are computed for (CIFAR-10: 32)
MEASURE_SIZE = 96  # the input side for the measurement: larger than the RF, so no border cuts it off
CHANNELS = 64  # the convolutions compared in cost map CHANNELS to CHANNELS channels ...
MAP_SIZE = 16  # ... on a MAP_SIZE x MAP_SIZE feature map

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn as nn

from helpers.model import Net, count_parameters
from helpers.notebook import figure_dir
from helpers.plots import plot_rf_heatmap, save_figure
from helpers.receptive_field import (format_table, layer_specs, measured_receptive_field, receptive_field,
                                     receptive_field_table)

FIGURES = figure_dir()  # images/ for a real run, a scratch folder under the tests

# %% [markdown]
# ## 1. Four formulas
#
# Follow the layers from the input to the output and keep three numbers: the map size $n$, the
# **jump** $j$ (how many input pixels apart two neighbouring positions of the map are) and the RF
# $r$ (how many input pixels one position sees). The input starts at $n = 32$, $j = 1$, $r = 1$.
# A layer with kernel $k$, padding $p$, stride $s$ and dilation $d$ gives
#
# $$k_{\text{eff}} = d\,(k - 1) + 1 \qquad \text{a dilated kernel spans } k_{\text{eff}} \text{ pixels}$$
# $$n_{\text{out}} = \left\lfloor \frac{n_{\text{in}} + 2p - k_{\text{eff}}}{s} \right\rfloor + 1 \qquad \text{output size}$$
# $$j_{\text{out}} = j_{\text{in}} \cdot s \qquad \text{stride multiplies the jump}$$
# $$r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}} \qquad \text{each extra tap adds one jump of input}$$
#
# **By hand.** Four 3 × 3 convolutions on a 32 × 32 image; the second has stride 2, the third
# dilation 2 (padding 2 keeps its size):
#
# | layer | (k, p, s, d) | $k_{\text{eff}}$ | $n_{\text{out}}$ | $j_{\text{out}}$ | $r_{\text{out}}$ |
# | --- | --- | --- | --- | --- | --- |
# | input | | | 32 | 1 | 1 |
# | 1 | (3, 1, 1, 1) | 1·2+1 = 3 | ⌊(32+2−3)/1⌋+1 = 32 | 1·1 = 1 | 1 + 2·1 = 3 |
# | 2 | (3, 1, 2, 1) | 3 | ⌊(32+2−3)/2⌋+1 = 16 | 1·2 = 2 | 3 + 2·1 = 5 |
# | 3 | (3, 2, 1, 2) | 2·2+1 = 5 | ⌊(16+4−5)/1⌋+1 = 16 | 2·1 = 2 | 5 + 4·2 = 13 |
# | 4 | (3, 1, 1, 1) | 3 | ⌊(16+2−3)/1⌋+1 = 16 | 2 | 13 + 2·2 = 17 |
#
# Layer 4 is as large as layer 1, yet it adds 4 pixels instead of 2: it comes after the stride, so
# each of its taps is 2 input pixels apart. `receptive_field_table` does the same sums from a list
# of (k, p, s, d) tuples:

# %%
# NBVAL_CHECK_OUTPUT
by_hand = [(3, 1, 1, 1), (3, 1, 2, 1), (3, 2, 1, 2), (3, 1, 1, 1)]
rows = receptive_field_table(by_hand, input_size=INPUT_SIZE)
print(format_table(rows))
assert rows[-1]["r_out"] == 17

# %% [markdown]
# ## 2. The receptive field of the kit's `Net`
#
# `receptive_field_table` also takes a model: it runs one dummy image through it and records every
# convolution in the order the forward pass runs them. `Net`'s residual shortcuts carry no layers,
# so the longest path, and with it the RF, goes through every convolution. The 1 × 1 (pointwise)
# convolutions of the depthwise separable blocks add nothing; the dilated one in C4 adds
# $(5 - 1) \cdot 4 = 16$ pixels at once.

# %%
# NBVAL_CHECK_OUTPUT
net = Net()
net_rows = receptive_field_table(net, input_size=INPUT_SIZE)
print(format_table(net_rows))
computed_rf = receptive_field(net, input_size=INPUT_SIZE)
print(f"\nreceptive field of the last layer: {computed_rf} x {computed_rf} pixels "
      f"(the image is {INPUT_SIZE} x {INPUT_SIZE})")

# %% [markdown]
# An RF of 61 on a 32 × 32 image means that every output of the last layer, even one in a corner,
# can see the whole image (the rest of its field is padding).
#
# ## 3. Measuring the receptive field
#
# The formulas are a model of the network; a measurement checks them. If input pixel $(u, v)$ is in
# the RF of the centre output $y$, then changing it can change $y$, so
# $\partial y / \partial x_{u,v} \ne 0$; outside the RF the gradient is exactly zero.
# `measured_receptive_field` feeds random $96 \times 96$ inputs (larger than the RF, so that no
# image border cuts it), backpropagates from the centre output of `net.features` (the last feature
# map, before pooling) and returns the side of the square of pixels with a non-zero gradient,
# together with $|\partial y / \partial x|$ as a heatmap. The weights are random: which pixels
# *can* matter depends only on the architecture.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
net = Net()
measured_rf, heatmap = measured_receptive_field(net.features, input_size=MEASURE_SIZE, seed=SEED)
print(f"computed RF: {computed_rf} pixels, measured RF: {measured_rf} pixels")
assert measured_rf == computed_rf

# %% [markdown]
# The heatmap on a log colour scale (white: no influence at all). Both outlines coincide. The
# colours show what the RF size alone does not: pixels near the centre reach the output along
# far more paths than pixels at the edge, so the *effective* RF, where the gradient is large, is
# much smaller than the square the formulas give.

# %%
fig = plot_rf_heatmap(heatmap, computed_rf, measured_rf,
                      title=f"Net (random weights): input pixels that reach the centre output\n"
                            f"{MEASURE_SIZE} x {MEASURE_SIZE} random input, |gradient| summed over 4 samples")
save_figure(fig, "receptive_field_net", FIGURES)
plt.show()

# %% [markdown]
# ## 4. What stride, dilation and depth do to the RF
#
# The last formula, $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$, says
# there are three ways to grow the RF:
#
# * **depth**: each 3 × 3 layer adds $2 j$: the RF grows linearly with the number of layers, and so
#   do the parameters and the compute;
# * **stride**: multiplies the jump of *every later* layer, so the same layers add more; it halves
#   the map's resolution (fewer positions, less compute, less detail);
# * **dilation**: widens the kernel, $k_{\text{eff}} = 5$ for $d = 2$, with the same 9 weights and
#   without losing resolution.
#
# The same four 3 × 3 layers, arranged differently:

# %%
# NBVAL_CHECK_OUTPUT
stacks = {
    "four 3x3": [(3, 1, 1, 1)] * 4,
    "eight 3x3 (twice as deep)": [(3, 1, 1, 1)] * 8,
    "four 3x3, the last with stride 2": [(3, 1, 1, 1)] * 3 + [(3, 1, 2, 1)],
    "four 3x3, the first with stride 2": [(3, 1, 2, 1)] + [(3, 1, 1, 1)] * 3,
    "four 3x3, all with dilation 2": [(3, 2, 1, 2)] * 4,
}
print(f"{'layers':<36}{'RF':>4}{'output size':>13}{'jump':>6}")
for name, layers in stacks.items():
    last = receptive_field_table(layers, input_size=INPUT_SIZE)[-1]
    print(f"{name:<36}{last['r_out']:>4}{last['n_out']:>9} x {last['n_out']:<3}{last['j_out']:>4}")

# %% [markdown]
# A stride at the end helps nothing (no layer comes after it); at the start it nearly doubles the RF.
# Dilation 2 matches twice the depth at no extra weights.
#
# Dilation has a catch, though: a dilated kernel looks at every second pixel, and two dilated
# layers in a row still only reach pixels at even offsets: the field has holes ("gridding"). Here
# is the measured field of two 3 × 3 convolutions with dilation 2 (the computed RF is 9):
# only 25 of its 81 pixels reach the output. The kit's `Net` avoids this by placing its one dilated
# convolution after dense 3 × 3 convolutions, whose fields fill the holes (no white holes in the
# heatmap of step 3).

# %%
torch.manual_seed(SEED)
two_dilated = nn.Sequential(nn.Conv2d(3, 8, 3, padding=2, dilation=2), nn.Conv2d(8, 8, 3, padding=2, dilation=2))
gridding_rf, gridding_heatmap = measured_receptive_field(two_dilated, input_size=15, seed=SEED)
print(f"two 3x3 convolutions with dilation 2: RF {receptive_field(two_dilated, input_size=15)} computed, "
      f"{gridding_rf} measured; pixels that reach the output: {int((gridding_heatmap > 0).sum())} of {gridding_rf ** 2}")
fig = plot_rf_heatmap(gridding_heatmap, receptive_field(two_dilated, input_size=15), gridding_rf,
                      title="Two 3x3 convolutions with dilation 2: a receptive field with holes")
save_figure(fig, "receptive_field_gridding", FIGURES)
plt.show()

# %% [markdown]
# ## 5. What a convolution costs
#
# A convolution from $c_{\text{in}}$ to $c_{\text{out}}$ channels with a $k \times k$ kernel has
# $k^2 c_{\text{in}} c_{\text{out}}$ weights (no bias: a norm layer follows), and it does one
# multiply-add per weight at every output position:
# $\text{MACs} = \text{weights} \times H_{\text{out}} W_{\text{out}}$.
#
# * A **depthwise separable** convolution splits the work: a depthwise $k \times k$ conv with one
#   filter per channel (`groups = c_in`: where to look, $k^2 c_{\text{in}}$ weights), then a
#   pointwise $1 \times 1$ conv that mixes the channels ($c_{\text{in}} c_{\text{out}}$ weights).
#   Its cost relative to the normal conv is $\frac{1}{c_{\text{out}}} + \frac{1}{k^2}$: about 1/8
#   for $3 \times 3$ and 64 channels.
# * A **dilated** convolution has exactly the weights and the compute of the normal one; it only
#   spreads its taps, so it sees $5 \times 5$ pixels instead of $3 \times 3$.
#
# The three, counted from real PyTorch layers on a `CHANNELS`-channel `MAP_SIZE` × `MAP_SIZE` map:

# %%
# NBVAL_CHECK_OUTPUT
convolutions = {
    "3x3 convolution": nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False),
    "depthwise separable 3x3": nn.Sequential(
        nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=CHANNELS, bias=False),  # depthwise
        nn.Conv2d(CHANNELS, CHANNELS, 1, bias=False)),  # pointwise
    "dilated 3x3 (d = 2)": nn.Conv2d(CHANNELS, CHANNELS, 3, padding=2, dilation=2, bias=False),
}


def multiply_adds(conv, x):
    """Every weight of a layer is used once at each position of that layer's output map."""
    total = 0
    for layer in conv if isinstance(conv, nn.Sequential) else [conv]:
        x = layer(x)
        total += layer.weight.numel() * x.shape[2] * x.shape[3]
    return total


feature_map = torch.zeros(1, CHANNELS, MAP_SIZE, MAP_SIZE)
print(f"{CHANNELS} -> {CHANNELS} channels on a {MAP_SIZE} x {MAP_SIZE} map")
print(f"{'':<26}{'parameters':>11}{'multiply-adds':>15}{'pixels seen':>13}")
for name, conv in convolutions.items():
    rf = receptive_field(layer_specs(conv, MAP_SIZE, in_channels=CHANNELS), MAP_SIZE)
    print(f"{name:<26}{count_parameters(conv):>11,}{multiply_adds(conv, feature_map):>15,}{f'{rf} x {rf}':>13}")

# %% [markdown]
# ## What we know now
#
# * $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$: depth adds to the RF,
#   stride multiplies what later layers add, dilation widens a kernel for free (mind the holes).
# * `Net` reaches an RF of 61 pixels, computed and measured alike, without max-pooling: two stride-2
#   convolutions and one dilated convolution do the work.
# * A depthwise separable 3 × 3 convolution costs about an eighth of a normal one at 64 channels,
#   which is why `Net` uses them where the channels are many.
#
# Next, in **03_model**: `Net` built block by block, its parameter count, and the constraints it meets.
