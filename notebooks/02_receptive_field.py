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
# 3. edit a layer list in the **RF calculator** and watch the table follow;
# 4. **measure** the RF with gradients and draw it beside the computed one;
# 5. see what stride, dilation and depth each do to the RF, and where a dilated kernel's taps fall;
# 6. compare the parameters and multiply-adds of a normal, a depthwise separable and a dilated
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
from helpers.machinery.notebook import setup
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
from helpers.machinery.notebook import figure_dir
from helpers.plots import plot_dilated_taps, plot_rf_heatmap, save_figure
from helpers.receptive_field import (format_table, layer_specs, measured_receptive_field, receptive_field,
                                     receptive_field_table)
from helpers.rf_calculator import rf_calculator

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
# convolution in the order the forward pass runs them, named by the stage it belongs to (C1 to C4, as in
# notebook 03) and what it is. The columns are the course write-ups' own: kernel, padding, stride, dilation, then
# $j_{\text{in}}, n_{\text{in}}, n_{\text{out}}, r_{\text{in}}, r_{\text{out}}, j_{\text{out}}$. `Net`'s residual shortcuts carry no layers,
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

# %% [markdown]
# ## 3. The RF calculator: change a layer, watch the table
#
# The write-ups kept this table in a spreadsheet. Here it is a text box: one layer a line,
# `name, kernel, padding, stride, dilation`, filled in with `Net`'s convolutions. Change a number (a stride of 2
# moved to a later layer, a dilation of 4, a layer added or deleted) and the table and the RF below update as you
# type. (Where widgets do not show, for instance when the notebook runs as a test, only the printed table appears:
# change `LAYERS` and run the cell again.) Pointwise 1 × 1 layers change nothing: try deleting them.

# %%
LAYERS = "\n".join(f"{s.name.split(':')[0]}, {s.kernel}, {s.padding}, {s.stride}, {s.dilation}"
                    for s in layer_specs(Net(), INPUT_SIZE))
rf_calculator(LAYERS, input_size=INPUT_SIZE)

# %% [markdown]
# ## 4. Measuring the receptive field
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
# ## 5. What stride, dilation and depth do to the RF
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
# Dilation 2 matches twice the depth at no extra weights. Where a dilated kernel's nine taps fall on the pixel grid:

# %%
fig = plot_dilated_taps((1, 2, 4))
save_figure(fig, "dilated_kernel_taps", FIGURES)
plt.show()

# %% [markdown]
# Dilation has a catch, though: a dilated kernel looks at every second pixel, and two dilated
# layers in a row still only reach pixels at even offsets: the field has holes ("gridding"). Here
# is the measured field of two 3 × 3 convolutions with dilation 2 (the computed RF is 9):
# only 25 of its 81 pixels reach the output. The kit's `Net` avoids this by placing its one dilated
# convolution after dense 3 × 3 convolutions, whose fields fill the holes (no white holes in the
# heatmap of section 4).

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
# ## 6. What a convolution costs
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
# * Four formulas, from $n = 32$, $j = 1$, $r = 1$: $k_{\text{eff}} = d(k-1)+1$,
#   $n_{\text{out}} = \lfloor (n_{\text{in}} + 2p - k_{\text{eff}})/s \rfloor + 1$, $j_{\text{out}} = j_{\text{in}} s$,
#   $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$; `receptive_field_table` does the sums.
# * `Net`'s RF, computed from the model and measured with gradients, is the same (the two outputs above); the heatmap
#   shows that the *effective* RF, where the gradient is large, is much smaller than that square.
# * Depth adds $2j$ a 3 × 3 layer, stride multiplies what every *later* layer adds, dilation widens a kernel for free
#   (the stack table above); dilated layers in a row leave holes (gridding), a dense 3 × 3 fills them.
# * A 3 × 3 conv has $9 c_{\text{in}} c_{\text{out}}$ weights, a depthwise separable one
#   $9 c_{\text{in}} + c_{\text{in}} c_{\text{out}}$, a ratio of $1/c_{\text{out}} + 1/9$; a dilated one costs what a
#   normal one does (the last table above).

# %% [markdown]
# ## Exercises
#
# **1. An RF table by hand.** On paper, find $k_{\text{eff}}, n, j, r$ after each layer of
# `layers = [(3, 1, 1, 1), (3, 1, 2, 1), (3, 1, 1, 1), (3, 1, 2, 1), (3, 2, 1, 2), (3, 1, 1, 1)]` on a 32 × 32 image,
# then check with `print(format_table(receptive_field_table(layers, input_size=INPUT_SIZE)))`. How many more
# stride-1 3 × 3 layers does it need for an RF above 44?
# *What to look for:* each layer adds $(k_{\text{eff}} - 1)\, j_{\text{in}}$, with the jump *before* the layer.
# <details><summary>Answer</summary>
#
# As ($k_{\text{eff}}$, $n$, $j$, $r$): (1) 3, ⌊31/1⌋+1 = 32, 1, 1+2·1 = 3 · (2) 3, ⌊31/2⌋+1 = 16, 2, 3+2·1 = 5 ·
# (3) 3, 16, 2, 5+2·2 = 9 · (4) 3, ⌊15/2⌋+1 = 8, 4, 9+2·2 = 13 · (5) 5, ⌊(8+4−5)/1⌋+1 = 8, 4, 13+4·4 = 29 ·
# (6) 3, 8, 4, 29+2·4 = **37**. One more layer adds 2·4 = 8: 45 > 44.
# </details>
#
# **2. Dilation against a bigger kernel.** Which dilation gives a 3 × 3 kernel the span of a 7 × 7, and which padding
# keeps the map's size? Add it and a plain 7 × 7 to `convolutions` in section 6 and predict the printed row of each.
# *What to look for:* the same "pixels seen", very different parameters and multiply-adds.
# <details><summary>Answer</summary>
#
# $k_{\text{eff}} = 2d + 1 = 7$ → $d = 3$, padding $d(k-1)/2 = 3$: `nn.Conv2d(CHANNELS, CHANNELS, 3, padding=3,
# dilation=3, bias=False)` against `nn.Conv2d(CHANNELS, CHANNELS, 7, padding=3, bias=False)`. At 64 channels:
# 9·64·64 = 36,864 against 49·64·64 = 200,704 weights (5.4×); × 16·16 = 256 positions: 9,437,184 against
# 51,380,224 multiply-adds; both see 7 × 7. The price: the dilated kernel reads only 9 of those 49 pixels.
# </details>
#
# **3. Gridding, predicted.** Predict the RF and the number of pixels that reach the output when `two_dilated`
# (section 5) gets (a) a third `nn.Conv2d(8, 8, 3, padding=2, dilation=2)`, (b) instead a dense second layer,
# `nn.Conv2d(8, 8, 3, padding=1)`. Then run it (`input_size=15` is large enough for both).
# *What to look for:* which offsets from the centre a sum of taps can reach.
# <details><summary>Answer</summary>
#
# (a) RF 1 + 4 + 4 + 4 = 13. Every layer moves by −2, 0 or +2, so only even offsets −6 … 6 are reached: 7 a side,
# 7² = 49 of 13² = 169 pixels. (b) RF 1 + 4 + 2 = 7; {−2, 0, 2} + {−1, 0, 1} is every offset −3 … 3: 49 of 49.
# </details>
#
# **4. A late stride.** Move the stride of C3's first conv to C4's dilated one, so that C3 runs at 16 × 16, and
# predict `Net`'s RF. Check it in the calculator of section 3: give `C3 conv 1` stride 1 and `C4 conv 1` stride 2.
# *What to look for:* the jump stays 2 for three more 3 × 3 layers.
# <details><summary>Answer</summary>
#
# After C2: $r = 17$, $j = 2$. C3's three depthwise 3 × 3 add 2·2 each: 29 (was 21 + 8 + 8 = 37). The dilated conv
# adds (5 − 1)·2 = 8 → 37, only then $j = 4$; C4's last 3 × 3 adds 2·4 = 8: **45** (was 61), just above 44.
# </details>
#
# **5. Depthwise separable at 128 channels.** Set `CHANNELS = 128` and predict the table of section 6.
# *What to look for:* the ratio moves towards 1/9 as the channels grow.
# <details><summary>Answer</summary>
#
# 9·128·128 = 147,456 weights against 9·128 + 128·128 = 1,152 + 16,384 = 17,536: 0.119 = 1/128 + 1/9 (at 64
# channels 4,672/36,864 = 0.127). × 256 positions: 37,748,736 against 4,489,216 multiply-adds. Pixels seen: 3 × 3 for
# both, 5 × 5 for the dilated one, which costs 147,456 like the normal conv.
# </details>
#
# **Next:** [03 · The model](03_model.ipynb) — `Net` built block by block, where its parameters go, and its constraints.
