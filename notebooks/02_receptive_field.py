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
# * say what a depthwise separable and a dilated convolution compute, and write each in PyTorch;
# * work out what a convolution costs in parameters and multiply-adds, and measure its time on your device;
# * compute the **receptive field** (RF) of any layer by hand and from a model, and check it with gradients;
# * choose between depth, stride and dilation to grow the RF.
#
# **In class** (about 25 minutes): *Runtime > Run all*, then read sections 1-7 and try the RF calculator
# (section 5). No data is needed: everything here is a property of the layers, with random weights.
# **After class** (homework): the parts headed *After class* and the exercises.

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
# Everything you may change is in the next cell. `Net` is the kit's network (notebook 03 builds it): four stages of
# convolutions, C1 to C4, then global average pooling and a linear layer.

# %%
SEED = 0  # the random weights and inputs of every example
CHANNELS = 64  # the convolutions compared map CHANNELS to CHANNELS channels ...
MAP_SIZE = 16  # ... on a MAP_SIZE x MAP_SIZE feature map (C2's size in Net)
PERTURBED_CHANNEL = 5  # the input channel changed in section 1
TIMING_BATCH = 8 if SMOKE else 128  # images a timed forward pass (128: the training batch)
INPUT_SIZE = 32  # the image side the RF tables are computed for (CIFAR-10: 32)
MEASURE_SIZE = 96  # the input side for measuring Net's RF: larger than the RF, so no border cuts it off

# %%
import copy

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from IPython.display import display

from helpers.convolutions import format_stage_costs, multiply_adds, plot_stage_costs, stage_costs, time_forward
from helpers.model import Net, count_parameters
from helpers.plots import plot_dilated_taps, plot_rf_heatmap, save_figure
from helpers.receptive_field import (format_table, input_gradient, layer_specs, measured_receptive_field,
                                     receptive_field, receptive_field_table, rf_step)
from helpers.rf_calculator import rf_calculator
from helpers.training import figure_dir, pick_device, run_precision, show_code

FIGURES = figure_dir()  # runs/figures (a scratch folder under the tests), never the README's images/

# %% [markdown]
# ## 1. Three convolutions
#
# A **normal** $3 \times 3$ convolution has one $3 \times 3$ kernel for every pair (output channel, input channel):
# weight $(c_{\text{out}}, c_{\text{in}}, 3, 3)$; each output channel sums over *all* input channels.
# A **depthwise separable** convolution splits that work in two:
#
# * **depthwise** (`groups=c_in`): each channel its own $3 \times 3$ kernel, no mixing (*where to look*),
#   weight $(c_{\text{in}}, 1, 3, 3)$;
# * **pointwise**, $1 \times 1$: mixes the channels at each pixel (*what to combine*), weight
#   $(c_{\text{out}}, c_{\text{in}}, 1, 1)$.
#
# A **dilated** convolution (`dilation=d`) spreads its 9 taps $d$ pixels apart: the same weights, a wider view.

# %%
torch.manual_seed(SEED)
normal = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False)
depthwise = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=CHANNELS, bias=False)
pointwise = nn.Conv2d(CHANNELS, CHANNELS, 1, bias=False)
dilated = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=2, dilation=2, bias=False)  # padding d keeps the size
for name, layer in [("normal", normal), ("depthwise", depthwise), ("pointwise", pointwise), ("dilated", dilated)]:
    print(f"{name:<10} weight {str(tuple(layer.weight.shape)):<16} {layer.weight.numel():>7,} weights")

# %% [markdown]
# **The depthwise convolution keeps the channels apart.** Change one input channel: every output channel of the
# normal convolution changes, only that one of the depthwise.

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
# **Where a dilated kernel's taps fall:** a $k \times k$ kernel with dilation $d$ spans
# $k_{\text{eff}} = d\,(k - 1) + 1$ pixels with the same $k^2$ weights.

# %%
fig = plot_dilated_taps((1, 2, 4), title="A 3x3 kernel's 9 taps on the pixel grid (no data: the layout alone)")
save_figure(fig, "dilated_kernel_taps", FIGURES)
plt.show()

# %% [markdown]
# ## After class (optional): a depthwise convolution is a normal one with most weights zero
#
# Put kernel $c$ of the depthwise weight at position $(c, c)$ of a $(c_{\text{out}}, c_{\text{in}}, 3, 3)$ weight and zeros
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
# ## 2. What each costs: worked out, then counted
#
# A convolution uses each weight once at every output position:
# $\text{multiply-adds} = \text{weights} \times H_{\text{out}} W_{\text{out}}$. With $c$ channels in and out, no bias:
#
# | | weights | at 64 channels |
# | --- | --- | --- |
# | normal | $9c^2$ | 36,864 |
# | depthwise separable | $9c + c^2$ | 576 + 4,096 = 4,672 |
# | dilated | $9c^2$ | 36,864 |
#
# The depthwise separable one costs $\frac{9c + c^2}{9c^2} = \frac{1}{c} + \frac{1}{9}$ of the normal one (0.127 at
# 64 channels); the dilated one the same as the normal one, for a $5 \times 5$ view. Counted from section 1's layers:

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
# `Net` uses normal convolutions in C1 and C2, where maps are large and channels few, and depthwise separable ones
# in C3 and C4 (8 × 8, 128 channels). A weight of C1 is used at 1,024 positions, one of C4 at 64: the same
# parameters buy very different compute. `stage_costs` counts both, stage by stage:

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
                                    "(no data: counted from the layers, for one 32 x 32 image)")
save_figure(fig, "net_stage_costs", FIGURES)
plt.show()

# %% [markdown]
# ### Fewer multiply-adds is not fewer milliseconds
#
# Time is a third number, measured on your device. A normal 3 × 3 convolution does $9 c_{\text{out}}$
# multiply-adds for each input value it reads, a depthwise one 9: it spends its time moving data, not computing.
# `time_forward` times one forward pass as training runs it: in 16-bit floats where the device is faster with them
# (*float16* on a GPU, *bfloat16* on recent CPUs; notebook 06) and *channels-last*, the memory layout with a pixel's
# channels side by side:

# %%
show_code(time_forward)

# %%
device = pick_device()
dtype = run_precision(device)
batch = torch.randn(TIMING_BATCH, CHANNELS, MAP_SIZE, MAP_SIZE, device=device).to(memory_format=torch.channels_last)
timed = {**convolutions, "  its depthwise part": depthwise, "  its pointwise part": pointwise}
macs = {name: multiply_adds(conv, feature_map) for name, conv in timed.items()}
ms = {}
for name, conv in timed.items():  # a copy on the device: the layers above stay on the CPU, so this cell can run again
    ms[name] = time_forward(copy.deepcopy(conv).to(device, memory_format=torch.channels_last).eval(), batch, dtype)
print(f"batch of {TIMING_BATCH}, {CHANNELS} channels, {MAP_SIZE} x {MAP_SIZE}, {dtype or torch.float32}; "
      f"time and multiply-adds as a share of the normal convolution's")
print(f"{'':<26}{'ms':>8}{'time':>8}{'multiply-adds':>15}")
for name in timed:
    print(f"{name:<26}{ms[name]:>8.2f}{ms[name] / ms['normal 3x3']:>7.2f}x"
          f"{macs[name] / macs['normal 3x3']:>14.3f}x")

# %% [markdown]
# *Expected* (the kit's 2-core CPU, bfloat16, batch 128, several runs): the depthwise separable convolution took
# 0.25–0.33× the normal one's time for 0.13× its multiply-adds; its depthwise part, 0.016× of them, 0.10–0.14×; the
# dilated one 0.9–1.0×. A GPU's proportions differ again.

# %% [markdown]
# ## 3. The receptive field: four formulas
#
# The **receptive field** of an output is the patch of input pixels it can see. To tell a cat from a dog the last
# layer must see most of the image: the course asks for an RF above 44 pixels.
#
# Follow the layers from the input and keep the map size $n$, the **jump** $j$ (how many input pixels apart two
# neighbouring positions of the map are) and the RF $r$, starting at $n = 32$, $j = 1$, $r = 1$. A layer with
# kernel $k$, padding $p$, stride $s$ and dilation $d$ gives
#
# $$k_{\text{eff}} = d\,(k - 1) + 1 \qquad n_{\text{out}} = \left\lfloor \frac{n_{\text{in}} + 2p - k_{\text{eff}}}{s} \right\rfloor + 1
#   \qquad j_{\text{out}} = j_{\text{in}} \cdot s \qquad r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$$
#
# Each extra tap adds one jump to the RF; a stride makes every *later* tap worth more. The kit's four lines:

# %%
show_code(rf_step)

# %% [markdown]
# **By hand.** Four 3 × 3 convolutions; the second has stride 2, the third dilation 2 (padding 2 keeps its size):
#
# | layer | (k, p, s, d) | $k_{\text{eff}}$ | $n_{\text{out}}$ | $j_{\text{out}}$ | $r_{\text{out}}$ |
# | --- | --- | --- | --- | --- | --- |
# | input | | | 32 | 1 | 1 |
# | 1 | (3, 1, 1, 1) | 1·2+1 = 3 | ⌊(32+2−3)/1⌋+1 = 32 | 1·1 = 1 | 1 + 2·1 = 3 |
# | 2 | (3, 1, 2, 1) | 3 | ⌊(32+2−3)/2⌋+1 = 16 | 1·2 = 2 | 3 + 2·1 = 5 |
# | 3 | (3, 2, 1, 2) | 2·2+1 = 5 | ⌊(16+4−5)/1⌋+1 = 16 | 2·1 = 2 | 5 + 4·2 = 13 |
# | 4 | (3, 1, 1, 1) | 3 | ⌊(16+2−3)/1⌋+1 = 16 | 2 | 13 + 2·2 = 17 |
#
# Layer 4 is layer 1's size, yet adds 4 pixels, not 2: it comes after the stride. `receptive_field_table` agrees:

# %%
# NBVAL_CHECK_OUTPUT
by_hand = [(3, 1, 1, 1), (3, 1, 2, 1), (3, 2, 1, 2), (3, 1, 1, 1)]
rows = receptive_field_table(by_hand, input_size=INPUT_SIZE)
print(format_table(rows))
assert rows[-1]["r_out"] == 17

# %% [markdown]
# ## 4. The receptive field of the kit's `Net`
#
# **The kit's convention (the calculator, the tables, notebook 03's checker): a network's RF is the RF of the map
# that enters global average pooling.** Pooling averages all positions into one number a channel; it widens no
# position's field, so it is no row of the table, however it is written.
#
# `receptive_field_table` also takes a model: it runs one dummy image through it and records every convolution and
# pooling in the order they run, named by stage. On a *residual* block, out = x + f(x) (a shortcut adds the block's
# input to its output), it follows the wider of the two paths; `Net`'s shortcuts carry no layers. The 1 × 1
# convolutions add nothing; the dilated one in C4 adds $(5 - 1) \cdot 4 = 16$ pixels at once.

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
# ## After class (optional): the pooling written four ways, and an RF wider than the image
#
# The same `Net` with its global pooling written four ways: the same RF, the one of the 8 × 8 map
# that enters the pooling. (Counted as an 8 × 8 layer, the pooling would add $(8 - 1) \cdot 4 = 28$ pixels that no
# position sees.)

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
# A text box, one layer a line (`name, kernel, padding, stride, dilation`), filled in with `Net`'s convolutions.
# Change a number (move a stride, set a dilation of 4, add or delete a layer) and the table under the box updates
# as you type. Printed below it, the table as the box started, to compare with (and what a page without widgets
# shows).

# %%
LAYERS = "\n".join(f"{s.name.split(':')[0]}, {s.kernel}, {s.padding}, {s.stride}, {s.dilation}"
                    for s in layer_specs(Net(), INPUT_SIZE))
calculator = rf_calculator(LAYERS, input_size=INPUT_SIZE)
display(calculator)  # the text box and its table, which follows every edit (as text where widgets do not run)
print(f"`Net`'s layers as the box started, to compare your changes with:\n\n{calculator.text}")

# %% [markdown]
# ## 6. Measuring the receptive field
#
# A measurement checks the formulas. A pixel inside the RF of an output $y$ can change it:
# $\partial y / \partial x_{u,v} \ne 0$; outside, the gradient is exactly zero. `measured_receptive_field`
# backpropagates from the centre output of a 96 × 96 random input (no border cuts the field) and measures the
# square of pixels with a non-zero gradient. Random weights suffice: which pixels *can* matter is the
# architecture's. (Notebook 03's checker measures any network this way.)

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
# The heatmap (log scale; white: no influence). Both outlines coincide. Pixels near the centre reach the output
# along far more paths than those at the edge: the *effective* RF, where the gradient is large, is much smaller.

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
# * **stride**: multiplies the jump for every *later* layer, and divides the map's size (less compute, less detail);
# * **dilation**: widens the kernel with the same 9 weights, at full resolution.
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
# A stride at the end helps nothing (no layer comes after it); at the start it takes the RF from 9 to 15. Dilation 2
# matches twice the depth with no extra weights.

# %% [markdown]
# ## After class (optional): downsampling with dilation, and gridding
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
                      title="Dilations 2, 4, 8 without padding: a receptive field with holes\n"
                            f"random weights, {INPUT_SIZE} x {INPUT_SIZE} random input")
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
# * A depthwise convolution (`groups=c_in`) keeps channels apart; the pointwise $1 \times 1$ after it mixes them.
#   Together they cost $1/c + 1/9$ of a normal $3 \times 3$. A dilated convolution costs what a normal one does and
#   sees $k_{\text{eff}} = d(k-1)+1$ pixels.
# * Parameters, multiply-adds and milliseconds are three different numbers (the tables of section 2).
# * $n_{\text{out}} = \lfloor (n_{\text{in}} + 2p - k_{\text{eff}})/s \rfloor + 1$, $j_{\text{out}} = j_{\text{in}} s$,
#   $r_{\text{out}} = r_{\text{in}} + (k_{\text{eff}} - 1)\, j_{\text{in}}$; a network's RF is that of the map
#   entering global average pooling: `Net`'s, computed and measured, is 61.
# * Depth adds $2j$ a 3 × 3 layer, stride multiplies what every later layer adds, dilation widens a kernel for free.

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
# run the cells from the knobs to the timing cell again.
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
# (a) (2, 4), (b) (2, 2, 2), (c) (1, 2, 4) without padding, then add them to the gridding loop (after section 7).
# *What to look for:* which offsets from the centre a sum of taps can reach.
# <details><summary>Answer</summary>
#
# (a) RF 1 + 4 + 8 = 13; offsets {−2, 0, 2} + {−4, 0, 4}: the even ones from −6 to 6, 7 a side: 49 of 169.
# (b) RF 13; sums of three steps of −2, 0, 2: again the even offsets −6 … 6: 49 of 169, with three layers' weights.
# (c) RF 1 + 2 + 4 + 8 = 15; {−1, 0, 1} + {−2, 0, 2} + {−4, 0, 4} is every offset −7 … 7: 225 of 225.
# </details>
#
# **Next:** [03 · The model](03_model.ipynb) — `Net` built block by block, where its parameters go, and its constraints.
