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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/02_receptive_field.ipynb)
#
# # 02 · Three convolutions and the receptive field
#
# **After this notebook you can**
#
# * say what a depthwise separable and a dilated convolution compute, write each in PyTorch, and
#   tell their weight shapes from a normal convolution's;
# * work out what a convolution costs in parameters and multiply-adds, and know that its time on
#   your device is a third thing, to be measured;
# * compute the **receptive field** (RF) of any layer by hand and from a model, and check it with
#   gradients;
# * choose between depth, stride and dilation to grow the RF, and see what the RF number hides.
#
# **Time:** about 30 minutes in class; the exercises at the end are homework. No data is needed:
# everything here is a property of the layers, not of the images.

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
# Everything you may change is in the next cell.

# %%
SEED = 0  # the random weights and inputs of every example
CHANNELS = 64  # the convolutions compared map CHANNELS to CHANNELS channels ...
MAP_SIZE = 16  # ... on a MAP_SIZE x MAP_SIZE feature map (C2's size in Net)
PERTURBED_CHANNEL = 5  # the input channel changed in section 1
TIMING_BATCH = 8 if SMOKE else 128  # images a timed forward pass (128: the training batch)
INPUT_SIZE = 32  # the image side the RF tables are computed for (CIFAR-10: 32)
MEASURE_SIZE = 96  # the input side for measuring Net's RF: larger than the RF, so no border cuts it off

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.convolutions import format_stage_costs, multiply_adds, plot_stage_costs, stage_costs, time_forward
from helpers.machinery.device import pick_device, run_precision
from helpers.machinery.notebook import figure_dir, show_code
from helpers.model import Net, count_parameters
from helpers.plots import plot_dilated_taps, plot_rf_heatmap, save_figure
from helpers.receptive_field import (format_table, input_gradient, layer_specs, measured_receptive_field,
                                     receptive_field, receptive_field_table, rf_step)
from helpers.rf_calculator import rf_calculator

FIGURES = figure_dir()  # runs/figures (a scratch folder under the tests), never the README's images/

# %% [markdown]
# ## 1. Three convolutions
#
# A **normal** $3 \times 3$ convolution from $c_{\text{in}}$ to $c_{\text{out}}$ channels has one
# $3 \times 3$ kernel for every pair (output channel, input channel): its weight has shape
# $(c_{\text{out}}, c_{\text{in}}, 3, 3)$, and each output channel sums over *all* input channels.
#
# A **depthwise separable** convolution splits that work in two:
#
# * the **depthwise** convolution (`groups=c_in`) gives each channel its own $3 \times 3$ kernel
#   and never mixes channels: *where to look*. Weight shape $(c_{\text{in}}, 1, 3, 3)$;
# * the **pointwise** convolution, a $1 \times 1$ kernel, mixes the channels at each pixel: *what
#   to combine*. Weight shape $(c_{\text{out}}, c_{\text{in}}, 1, 1)$.
#
# A **dilated** convolution (`dilation=d`) is a normal one whose 9 taps are spread $d$ pixels apart:
# the same weights, a wider view. Here are the four layers, with random weights:

# %%
torch.manual_seed(SEED)
normal = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False)
depthwise = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=CHANNELS, bias=False)
pointwise = nn.Conv2d(CHANNELS, CHANNELS, 1, bias=False)
dilated = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=2, dilation=2, bias=False)  # padding d keeps the size
for name, layer in [("normal", normal), ("depthwise", depthwise), ("pointwise", pointwise), ("dilated", dilated)]:
    print(f"{name:<10} weight {str(tuple(layer.weight.shape)):<16} {layer.weight.numel():>7,} weights")

# %% [markdown]
# **The depthwise convolution keeps the channels apart.** Change one input channel and compare the
# outputs before and after: the normal convolution changes in every output channel, the depthwise
# one only in the channel that was changed.

# %%
x = torch.randn(1, CHANNELS, MAP_SIZE, MAP_SIZE)
changed = x.clone()
changed[:, PERTURBED_CHANNEL] += 1.0  # only one input channel is different
with torch.no_grad():
    for name, layer in [("normal", normal), ("depthwise", depthwise)]:
        differs = (layer(changed) - layer(x)).abs().amax(dim=(0, 2, 3)) > 1e-6  # one flag an output channel
        which = differs.nonzero().flatten().tolist()
        print(f"{name:<10} {len(which)} of {CHANNELS} output channels changed: {which if len(which) < 10 else 'all'}")

# %% [markdown]
# **A depthwise convolution is a normal one with most weights fixed at zero.** Put kernel $c$ of the
# depthwise weight at position $(c, c)$ of a $(c_{\text{out}}, c_{\text{in}}, 3, 3)$ weight and zeros
# everywhere else (a block-diagonal weight): a normal convolution then computes exactly the same
# output. Of the $64 \times 64$ kernels only the 64 on the diagonal are free.
#
# The pair depthwise → pointwise is also one normal convolution: kernel $(o, i)$ of it is the
# depthwise kernel of channel $i$ times the single pointwise weight $P_{o,i}$. That is what the
# factorisation gives up: the $64 \times 64$ kernels of a normal convolution can each have its own
# shape; here every output channel sees input channel $i$ through the same $3 \times 3$ pattern,
# only scaled.

# %%
block_diagonal = torch.zeros(CHANNELS, CHANNELS, 3, 3)
for c in range(CHANNELS):
    block_diagonal[c, c] = depthwise.weight[c, 0]
combined = pointwise.weight[:, :, 0, 0, None, None] * depthwise.weight[None, :, 0]  # (out, in, 3, 3)
with torch.no_grad():
    print("depthwise == normal conv with the block-diagonal weight:",
          torch.allclose(depthwise(x), F.conv2d(x, block_diagonal, padding=1), atol=1e-5))
    print("pointwise(depthwise) == normal conv with kernel P[o, i] * D[i]:",
          torch.allclose(pointwise(depthwise(x)), F.conv2d(x, combined, padding=1), atol=1e-5))
print(f"non-zero kernels in the block-diagonal weight: {int((block_diagonal.abs().sum(dim=(2, 3)) > 0).sum())} "
      f"of {CHANNELS * CHANNELS}")

# %% [markdown]
# **Where a dilated kernel's taps fall.** A $k \times k$ kernel with dilation $d$ spans
# $k_{\text{eff}} = d\,(k - 1) + 1$ pixels with the same $k^2$ weights:

# %%
fig = plot_dilated_taps((1, 2, 4))
save_figure(fig, "dilated_kernel_taps", FIGURES)
plt.show()

# %% [markdown]
# ## 2. What each costs: worked out, then counted
#
# A convolution uses each weight once at every position of its output map, so
# $\text{multiply-adds} = \text{weights} \times H_{\text{out}} W_{\text{out}}$. With $c$ channels in
# and out, a $3 \times 3$ kernel and no bias (a norm layer follows):
#
# | | weights | at 64 channels |
# | --- | --- | --- |
# | normal | $9c^2$ | 36,864 |
# | depthwise separable | $9c + c^2$ | 576 + 4,096 = 4,672 |
# | dilated | $9c^2$ | 36,864 |
#
# The depthwise separable one costs $\frac{9c + c^2}{9c^2} = \frac{1}{c} + \frac{1}{9}$ of the normal
# one: 0.127 at 64 channels, falling towards 1/9 as channels grow. The dilated one costs exactly
# what the normal one does, for a $5 \times 5$ view. Now counted from the layers of section 1 on a
# `MAP_SIZE` × `MAP_SIZE` map (`multiply_adds` counts each weight once per output position):

# %%
# NBVAL_CHECK_OUTPUT
convolutions = {
    "normal 3x3": normal,
    "depthwise separable 3x3": nn.Sequential(depthwise, pointwise),
    "dilated 3x3 (d = 2)": dilated,
}
feature_map = torch.zeros(1, CHANNELS, MAP_SIZE, MAP_SIZE)
print(f"{CHANNELS} -> {CHANNELS} channels on a {MAP_SIZE} x {MAP_SIZE} map")
print(f"{'':<26}{'parameters':>11}{'multiply-adds':>15}{'pixels seen':>13}")
for name, conv in convolutions.items():
    rf = receptive_field(layer_specs(conv, MAP_SIZE, in_channels=CHANNELS), MAP_SIZE)
    print(f"{name:<26}{count_parameters(conv):>11,}{multiply_adds(conv, feature_map):>15,}{f'{rf} x {rf}':>13}")

# %% [markdown]
# ### Where `Net` spends its parameters and its multiply-adds
#
# The kit's `Net` (notebook 03) uses normal convolutions in C1 and C2, where maps are large and
# channels few, and depthwise separable ones in C3 and C4, at 8 × 8 with 128 channels. A weight of
# C1 is used at 32 × 32 = 1,024 positions, a weight of C3 or C4 at 64: the same parameter budget
# buys very different compute. `stage_costs` counts both, stage by stage, from the model:

# %%
# NBVAL_CHECK_OUTPUT
costs = stage_costs(Net(), input_size=INPUT_SIZE)
print(format_stage_costs(costs))
share = lambda names, key: sum(row[key] for row in costs if row["name"] in names)
print(f"\nC1: {share(['C1'], 'parameter_share'):.0%} of the parameters, "
      f"{share(['C1'], 'multiply_add_share'):.0%} of the multiply-adds; C3 + C4: "
      f"{share(['C3', 'C4'], 'parameter_share'):.0%} and {share(['C3', 'C4'], 'multiply_add_share'):.0%}")

# %%
fig = plot_stage_costs(costs, title="Net: each stage's share of the parameters and of the multiply-adds\n"
                                    "(one 32 x 32 image)")
save_figure(fig, "net_stage_costs", FIGURES)
plt.show()

# %% [markdown]
# ### Fewer multiply-adds is not fewer milliseconds
#
# Time is a third number, and only your device can give it. A normal 3 × 3 convolution does
# $9 c_{\text{out}}$ multiply-adds for each input value it reads, a depthwise one 9: it spends its
# time moving data rather than computing, so it runs far slower than its share of multiply-adds
# suggests. `time_forward` times one forward pass, in the precision training uses on this device:

# %%
show_code(time_forward)

# %%
device = pick_device()
dtype = run_precision(device)
batch = torch.randn(TIMING_BATCH, CHANNELS, MAP_SIZE, MAP_SIZE, device=device).to(memory_format=torch.channels_last)
timed = {**convolutions, "  its depthwise part": depthwise, "  its pointwise part": pointwise}
macs = {name: multiply_adds(conv, feature_map) for name, conv in timed.items()}
ms = {}
for name, conv in timed.items():
    ms[name] = time_forward(conv.to(device, memory_format=torch.channels_last).eval(), batch, dtype)
print(f"batch of {TIMING_BATCH}, {CHANNELS} channels, {MAP_SIZE} x {MAP_SIZE}, {dtype or torch.float32}; "
      f"time and multiply-adds as a share of the normal convolution's")
print(f"{'':<26}{'ms':>8}{'time':>8}{'multiply-adds':>15}")
for name in timed:
    print(f"{name:<26}{ms[name]:>8.2f}{ms[name] / ms['normal 3x3']:>7.2f}x"
          f"{macs[name] / macs['normal 3x3']:>14.3f}x")

# %% [markdown]
# *Expected:* on the kit's 2-core CPU (bfloat16, batch 128) the depthwise separable convolution took
# a quarter to a third of the normal one's time (0.25–0.33× over several runs) for 0.13× its
# multiply-adds; its depthwise part alone, 0.016× of the multiply-adds, took 0.10–0.14×. The dilated
# one took about as long as the normal one (0.9–1.0×). Your numbers are your device's; on a GPU the
# proportions differ again.

# %% [markdown]
# ## 3. The receptive field: four formulas
#
# The **receptive field** of an output is the patch of input pixels it can see. To tell a cat from a
# dog, the last layer's outputs must see most of the 32 × 32 image, so the RF is a design target:
# the course asks for more than 44 pixels.
#
# Follow the layers from the input to the output and keep three numbers: the map size $n$, the
# **jump** $j$ (how many input pixels apart two neighbouring positions of the map are) and the RF
# $r$. The input starts at $n = 32$, $j = 1$, $r = 1$. A layer with kernel $k$, padding $p$,
# stride $s$ and dilation $d$ gives
#
# $$k_{\text{eff}} = d\,(k - 1) + 1 \qquad n_{\text{out}} = \left\lfloor \frac{n_{\text{in}} + 2p - k_{\text{eff}}}{s} \right\rfloor + 1
#   \qquad j_{\text{out}} = j_{\text{in}} \cdot s \qquad r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$$
#
# Each extra tap of a kernel adds one jump of input to the RF; a stride makes every *later* tap
# worth more. The kit computes every table in this notebook with these four lines:

# %%
show_code(rf_step)

# %% [markdown]
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
# Layer 4 is as large as layer 1, yet it adds 4 pixels instead of 2: it comes after the stride.
# `receptive_field_table` applies `rf_step` to a list of (k, p, s, d) tuples:

# %%
# NBVAL_CHECK_OUTPUT
by_hand = [(3, 1, 1, 1), (3, 1, 2, 1), (3, 2, 1, 2), (3, 1, 1, 1)]
rows = receptive_field_table(by_hand, input_size=INPUT_SIZE)
print(format_table(rows))
assert rows[-1]["r_out"] == 17

# %% [markdown]
# ## 4. The receptive field of the kit's `Net`
#
# **The kit's convention, used everywhere (the calculator, the tables, the checker of notebook 03):
# a network's RF is the RF of the map that enters global average pooling.** That map is the last
# one whose positions each see a patch of the image; global pooling then averages all its
# positions into one number a channel. It widens no position's field, so it is not a layer of the
# table, whether it is written `nn.AdaptiveAvgPool2d(1)`, `nn.AvgPool2d(8)` sized to the map,
# `x.mean((2, 3))` or `F.avg_pool2d(x, 8)`. (Counted as an 8 × 8 layer it would add
# $(8 - 1) \cdot 4 = 28$ pixels that no position sees.)
#
# `receptive_field_table` also takes a model: it runs one dummy image through it and follows every
# tensor from the input, so it records every convolution and pooling in the order the forward pass
# runs them (as `nn` modules or as functions called in `forward`), named by stage (C1 to C4, as in
# notebook 03), each with the field of the tensor it really read: on a residual block, the larger
# of the two branches. `Net`'s residual shortcuts carry no layers, so the RF goes through every
# convolution. The pointwise 1 × 1 convolutions add nothing; the dilated one in C4 adds
# $(5 - 1) \cdot 4 = 16$ pixels at once.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
net = Net()
net_rows = receptive_field_table(net, input_size=INPUT_SIZE)
print(format_table(net_rows))
computed_rf = receptive_field(net, input_size=INPUT_SIZE)
print(f"\nreceptive field of the last layer: {computed_rf} x {computed_rf} pixels "
      f"(the image is {INPUT_SIZE} x {INPUT_SIZE})")

# %% [markdown]
# The same `Net` with its global pooling written four ways: the same RF, the one of the 8 × 8 map
# that enters the pooling.

# %%
# NBVAL_CHECK_OUTPUT
class NetWithPool(Net):
    """Net whose global average pooling is `pool`, a module or a function."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool
        self.output = nn.Sequential(nn.Flatten(), nn.Linear(128, 10))

    def forward(self, x):
        return self.output(self.pool(self.features(x)))


pools = {"nn.AdaptiveAvgPool2d(1)": nn.AdaptiveAvgPool2d(1), "nn.AvgPool2d(8)": nn.AvgPool2d(8),
         "x.mean((2, 3))": lambda x: x.mean((2, 3), keepdim=True), "F.avg_pool2d(x, 8)": lambda x: F.avg_pool2d(x, 8)}
for name, pool in pools.items():
    print(f"{name:<25} RF {receptive_field(NetWithPool(pool), input_size=INPUT_SIZE)}")

# %% [markdown]
# An RF of 61 is wider than the image, but that does not mean every output sees all of it. Output
# $(u, v)$ of the last 8 × 8 map is centred on input pixel $(4u, 4v)$ (two strides of 2), and its
# field reaches 30 pixels each way from there. Counted with gradients (section 6 shows how), the
# pixels of a 32 × 32 image that can change each corner output:

# %%
# NBVAL_CHECK_OUTPUT
for corner, position in {"top left": (0, 0), "top right": (0, -1), "bottom left": (-1, 0), "bottom right": (-1, -1)}.items():
    seen = int((input_gradient(net.features, INPUT_SIZE, position, seed=SEED) > 0).sum())
    print(f"{corner:<13} output sees {seen:,} of {INPUT_SIZE * INPUT_SIZE:,} pixels")

# %% [markdown]
# The top-left output is centred on pixel (0, 0): its field covers pixels 0 to 30 in each direction,
# and the last row and column stay out of it.

# %% [markdown]
# ## 5. The RF calculator: change a layer, watch the table
#
# A text box: one layer a line, `name, kernel, padding, stride, dilation`, filled in with `Net`'s
# convolutions up to its global pooling (which, by the convention of section 4, is not listed). Change a number (a stride of 2 moved to a later layer, a dilation of 4, a layer
# added or deleted) and the table and the RF below it update as you type. (Where widgets do not
# run, the table is shown as text: change `LAYERS` and run the cell again.)

# %%
LAYERS = "\n".join(f"{s.name.split(':')[0]}, {s.kernel}, {s.padding}, {s.stride}, {s.dilation}"
                    for s in layer_specs(Net(), INPUT_SIZE))
rf_calculator(LAYERS, input_size=INPUT_SIZE)

# %% [markdown]
# ## 6. Measuring the receptive field
#
# The formulas are a model of the network; a measurement checks them. If input pixel $(u, v)$ is in
# the RF of an output $y$, changing the pixel can change $y$, so $\partial y / \partial x_{u,v} \ne 0$;
# outside the RF the gradient is exactly zero. `input_gradient` backpropagates from one output
# position to random inputs; `measured_receptive_field` does it for the centre output of an input
# larger than the RF (96 × 96, so that no image border cuts the field) and measures the square of
# pixels with a non-zero gradient. The weights are random: which pixels *can* matter depends only
# on the architecture. (For any network, notebook 03's checker measures the map entering global
# pooling this way, running the network only that far: a pool sized for 32 × 32 never runs.)

# %%
show_code(input_gradient, measured_receptive_field)

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(SEED)
net = Net()
measured_rf, heatmap = measured_receptive_field(net.features, input_size=MEASURE_SIZE, seed=SEED)
print(f"computed RF: {computed_rf} pixels, measured RF: {measured_rf} pixels")
assert measured_rf == computed_rf

# %% [markdown]
# The heatmap on a log colour scale (white: no influence at all). Both outlines coincide. The
# colours show what the RF's size does not: pixels near the centre reach the output along far more
# paths than pixels at the edge, so the *effective* RF, where the gradient is large, is much
# smaller than the square the formulas give.

# %%
fig = plot_rf_heatmap(heatmap, computed_rf, measured_rf,
                      title=f"Net (random weights): input pixels that reach the centre output\n"
                            f"{MEASURE_SIZE} x {MEASURE_SIZE} random input, |gradient| summed over 4 samples")
save_figure(fig, "receptive_field_net", FIGURES)
plt.show()

# %% [markdown]
# ## 7. Depth, stride and dilation
#
# $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$ gives three ways to grow the RF:
#
# * **depth**: each 3 × 3 layer adds $2j$, and costs its weights and compute;
# * **stride**: multiplies the jump, so every *later* layer adds more; it divides the map's size
#   (fewer positions: less compute, less detail);
# * **dilation**: widens the kernel ($k_{\text{eff}} = 5$ for $d = 2$) with the same 9 weights and
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
# A stride at the end helps nothing (no layer comes after it). At the start it takes the RF from 9
# to 15: each of the three later layers adds 4 pixels instead of 2. Dilation 2 matches twice the
# depth with no extra weights.
#
# ### Downsampling without a stride
#
# A dilated convolution *without padding* also shrinks the map: $n_{\text{out}} = n_{\text{in}} -
# k_{\text{eff}} + 1$. With $d = 8$, $k_{\text{eff}} = 17$ and a 32 × 32 map becomes
# $32 - 17 + 1 = 16$, as a stride-2 convolution makes it, $\lfloor (32 + 2 - 3)/2 \rfloor + 1 = 16$.
# But the two leave different numbers behind:

# %%
# NBVAL_CHECK_OUTPUT
downsamplers = {
    "3x3, stride 2, padding 1": nn.Conv2d(3, 8, 3, stride=2, padding=1),
    "3x3, dilation 8, no padding": nn.Conv2d(3, 8, 3, dilation=8),
}
print(f"{'':<30}{'k_eff':>6}{'output (PyTorch)':>18}{'jump':>6}{'RF':>4}")
for name, conv in downsamplers.items():
    row = receptive_field_table(conv, input_size=INPUT_SIZE)[-1]
    shape = tuple(conv(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE)).shape[2:])
    print(f"{name:<30}{row['k_eff']:>6}{str(shape):>18}{row['j_out']:>6}{row['r_out']:>4}")

# %% [markdown]
# The stride-2 output sees 3 × 3 pixels, and its neighbours are 2 pixels apart (the jump): every
# later layer's taps count double. The dilated output already sees 17 × 17, its neighbours are 1
# pixel apart, and the next layer's taps count single. Each of the 16 × 16 outputs, though, reads
# only 9 of those 289 pixels.
#
# ### What the RF number hides: gridding
#
# A dilated kernel reads every $d$-th pixel, and dilated layers in a row only ever add offsets
# that are multiples of their dilations: the field has holes. Downsample a 32 × 32 image with
# three 3 × 3 layers of dilation 2, 4 and 8 and no padding, and the RF is $1 + 4 + 8 + 16 = 29$;
# yet measured with the same gradients, far fewer of those 29 × 29 pixels reach the output. Start
# the stack with an ordinary 3 × 3 (dilations 1, 2, 4, 8) and the holes are filled:

# %%
# NBVAL_CHECK_OUTPUT
dilation_stacks = {}
for dilations in [(2, 4, 8), (1, 2, 4, 8)]:
    torch.manual_seed(SEED)
    channels = [3] + [8] * len(dilations)
    stack = nn.Sequential(*[nn.Conv2d(channels[i], channels[i + 1], 3, dilation=d) for i, d in enumerate(dilations)])
    rf, field = measured_receptive_field(stack, input_size=INPUT_SIZE, seed=SEED)
    sizes = " -> ".join(str(row["n_out"]) for row in receptive_field_table(stack, INPUT_SIZE))
    print(f"dilations {str(dilations):<13} map 32 -> {sizes:<19} RF {receptive_field(stack, INPUT_SIZE)} computed, "
          f"{rf} measured; {int((field > 0).sum())} of {rf * rf} pixels reach the output")
    dilation_stacks[dilations] = (stack, rf, field)

# %%
stack, rf, field = dilation_stacks[(2, 4, 8)]
fig = plot_rf_heatmap(field, receptive_field(stack, INPUT_SIZE), rf,
                      title="Dilations 2, 4, 8 without padding: a receptive field with holes")
save_figure(fig, "receptive_field_gridding", FIGURES)
plt.show()

# %% [markdown]
# Every layer moves by $-d$, $0$ or $+d$, so the offsets from the centre that can be reached are
# sums of those: with 2, 4 and 8 only even ones, 15 a side, $15^2 = 225$ pixels. With a dilation-1
# layer first, every offset from −15 to 15 is reached. `Net` puts its one dilated convolution
# after ordinary 3 × 3 ones for the same reason: no white holes in the heatmap of section 6.

# %% [markdown]
# ## What we know now
#
# * A depthwise convolution (`groups=c_in`, weight $(c, 1, 3, 3)$) keeps channels apart: it is a
#   normal convolution with a block-diagonal weight; the pointwise $1 \times 1$ after it mixes them.
#   Together they cost $1/c + 1/9$ of a normal $3 \times 3$ and force all $c^2$ kernels to be scaled
#   copies of $c$ shapes. A dilated convolution costs what a normal one does and sees
#   $k_{\text{eff}} = d(k-1)+1$ pixels.
# * Parameters, multiply-adds and milliseconds are three different numbers: `Net`'s C1 holds few
#   parameters and much of the compute, C3 and C4 the opposite, and a depthwise separable layer's
#   time on your device is not its share of multiply-adds (the tables above).
# * $k_{\text{eff}} = d(k-1)+1$, $n_{\text{out}} = \lfloor (n_{\text{in}} + 2p - k_{\text{eff}})/s \rfloor + 1$,
#   $j_{\text{out}} = j_{\text{in}} s$, $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$
#   (`rf_step`). A network's RF is the RF of the map entering global average pooling, however the
#   pooling is written. `Net`'s RF, computed and measured, agree; an RF wider than the image still leaves a
#   corner output short of some pixels.
# * Depth adds $2j$ a 3 × 3 layer, stride multiplies what every later layer adds, dilation widens a
#   kernel for free. A dilated convolution without padding downsamples like a stride, with a larger
#   RF and jump 1; a stack of dilations leaves holes unless a dense layer fills them.

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
# keeps the map's size? Add it and a plain 7 × 7 to `convolutions` in section 2 and predict the printed row of each.
# *What to look for:* the same "pixels seen", very different parameters and multiply-adds.
# <details><summary>Answer</summary>
#
# $k_{\text{eff}} = 2d + 1 = 7$ → $d = 3$, padding $d(k-1)/2 = 3$: `nn.Conv2d(CHANNELS, CHANNELS, 3, padding=3,
# dilation=3, bias=False)` against `nn.Conv2d(CHANNELS, CHANNELS, 7, padding=3, bias=False)`. At 64 channels:
# 9·64·64 = 36,864 against 49·64·64 = 200,704 weights (5.4×); × 16·16 = 256 positions: 9,437,184 against
# 51,380,224 multiply-adds; both see 7 × 7. The price: the dilated kernel reads only 9 of those 49 pixels.
# </details>
#
# **3. Depthwise separable at 128 channels.** Set `CHANNELS = 128` and predict the cost table of section 2, then
# run the timing cell again.
# *What to look for:* the ratio of multiply-adds moves towards 1/9; the ratio of times need not follow.
# <details><summary>Answer</summary>
#
# 9·128·128 = 147,456 weights against 9·128 + 128·128 = 1,152 + 16,384 = 17,536: 0.119 = 1/128 + 1/9 (at 64
# channels 4,672/36,864 = 0.127). × 256 positions: 37,748,736 against 4,489,216 multiply-adds. Pixels seen: 3 × 3 for
# both, 5 × 5 for the dilated one, which costs 147,456 like the normal conv. The times are your device's: the
# depthwise part does the same little work per value read at any width, so expect it to stay far above 0.12×.
# </details>
#
# **4. A late stride.** Move the stride of C3's first conv to C4's dilated one, so that C3 runs at 16 × 16, and
# predict `Net`'s RF. Check it in the calculator of section 5: give `C3 conv 1` stride 1 and `C4 conv 1` stride 2.
# Then say what it does to C3's multiply-adds.
# *What to look for:* the jump stays 2 for three more 3 × 3 layers.
# <details><summary>Answer</summary>
#
# After C2: $r = 17$, $j = 2$. C3's three depthwise 3 × 3 add 2·2 each: 29 (was 21 + 8 + 8 = 37). The dilated conv
# adds (5 − 1)·2 = 8 → 37, only then $j = 4$; C4's last 3 × 3 adds 2·4 = 8: **45** (was 61), just above 44. C3 now
# runs at 16 × 16 = 256 positions instead of 64: four times its multiply-adds, with the same parameters.
# </details>
#
# **5. Gridding, predicted.** Predict the RF and the number of pixels that reach the output for the dilations
# (a) (2, 4), (b) (2, 2, 2), (c) (1, 2, 4) without padding, then add them to the loop of section 7.
# *What to look for:* which offsets from the centre a sum of taps can reach.
# <details><summary>Answer</summary>
#
# (a) RF 1 + 4 + 8 = 13; offsets {−2, 0, 2} + {−4, 0, 4}: the even ones from −6 to 6, 7 a side: 49 of 169.
# (b) RF 13; sums of three steps of −2, 0, 2: again the even offsets −6 … 6: 49 of 169, with three layers' weights.
# (c) RF 1 + 2 + 4 + 8 = 15; {−1, 0, 1} + {−2, 0, 2} + {−4, 0, 4} is every offset −7 … 7: 225 of 225.
# </details>
#
# **Next:** [03 · The model](03_model.ipynb) — `Net` built block by block, where its parameters go, and its constraints.
