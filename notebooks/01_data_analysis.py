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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/01_data_analysis.ipynb)
#
# # 01 · The data: CIFAR-10, its statistics and its augmentations
#
# **After this notebook you can**
#
# * load CIFAR-10, say which copy it is, and check that accuracy is a fair measure on it;
# * compute the per-channel **mean and standard deviation** that normalise the input, from the training split only;
# * write the course's augmentation pipeline in Albumentations 2.x, and your own (section 10);
# * show with two short training runs that augmentation narrows the gap between training and test accuracy.
#
# **In class** (about 20 minutes): *Runtime > Run all* first (section 9's two short training runs take a few
# minutes on a 2-core CPU, well under one on a GPU; estimates), then read sections 1-10 as the outputs arrive, and
# write your pipeline in section 10.
# **After class** (homework): the part headed *After class* (porting Albumentations 1.x code) and the exercises.

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
# Everything you may change is in the next cell; each knob's comment says what it does. The data is downloaded
# once (170 MB) into the kit's `data/` folder, which every notebook shares.

# %%
DATA_ROOT = None  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 500 if SMOKE else None  # N class-balanced images a split; None: the whole data set
SEED = 0  # which subset, which sample images, which random augmentations
SAMPLES_PER_CLASS = 8  # images a row in the grid of classes
AUGMENTED_IMAGES = 6  # images a row in the augmentation grids
RUN_TRAIN_IMAGES = 5000  # section 9's two short runs train on this many class-balanced images ...
RUN_TEST_IMAGES = 2000  # ... and are tested on this many
RUN_EPOCHS = 1 if SMOKE else 6  # epochs each run trains
RUN_BATCH_SIZE = 64 if SMOKE else 128  # images a step (smoke: 500 images still make several steps)
KIT_ON_DRIVE = True  # Colab: section 10 writes your pipeline to the kit folder on Google Drive (as 03, 04, 05 do)

# %%
import os
import re
import warnings
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import torch
import albumentations as A
import cv2

from helpers.data import balanced_subset, channel_stats, class_counts, load_cifar10
from helpers.galleries import show_augmentations, show_class_samples, show_images
from helpers.model import Net
from helpers.plots import plot_channel_histograms, plot_class_counts, save_figure
from helpers.recipe import Recipe
from helpers.training import (augment_where, check_pipeline, eval_batches, evaluate, figure_dir, fit,
                              load_augmentation, load_checkpoint, my_networks_dir, run_dir, SHIPPED_WEIGHTS,
                              show_code, worker_count)
from helpers.transforms import mean_pixel, normalize, train_transforms

FIGURES = figure_dir()  # runs/figures (a scratch folder under the tests), never the README's images/
COURSE_PIPELINE = Recipe(coarse_dropout=True)  # the course's three steps: flip, shift-scale-rotate, CoarseDropout

# %% [markdown]
# ## 1. Load the data
#
# `load_cifar10` decodes every image into one `uint8` array of shape (N, 32, 32, 3): height, width and the
# channels red, green, blue, each 0 to 255 (the training split: 150 MB, kept in memory).
# `data.description` says which copy was loaded; every figure's title carries it, since a result on a subset
# or a JPEG re-encoding is not a result on CIFAR-10.

# %%
data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
print(data.description)
print(f"train: {data.train.images.shape} {data.train.images.dtype}, labels {data.train.labels.shape}")
print(f"test:  {data.test.images.shape} {data.test.images.dtype}, labels {data.test.labels.shape}")
print(f"{len(data.classes)} classes: {', '.join(data.classes)}")

# %% [markdown]
# ## 2. How many images of each class?
#
# If one class had most of the images, always guessing it would score well and accuracy would hide that.
# *Expected:* 5,000 training and 1,000 test images a class (a subset: equal shares too), so accuracy is a fair
# summary and guessing scores 10%.

# %%
train_counts, test_counts = class_counts(data.train, data.classes), class_counts(data.test, data.classes)
print(f"{'class':<12}{'train':>7}{'test':>7}")
for name in data.classes:
    print(f"{name:<12}{train_counts[name]:>7}{test_counts[name]:>7}")
print(f"{'total':<12}{len(data.train):>7}{len(data.test):>7}")

# %%
fig = plot_class_counts(train_counts, title=f"Training images per class\n{data.description}")
save_figure(fig, "class_counts", FIGURES)
plt.show()

# %% [markdown]
# ## 3. The per-channel mean and standard deviation
#
# A network learns best from inputs centred on zero with a spread of about one, so each pixel value
# $x \in \{0, \dots, 255\}$ of channel $c$ is normalised as
#
# $$x' = \frac{x / 255 - \mu_c}{\sigma_c}, \qquad
#   \mu_c = \frac{1}{NHW} \sum_{n,h,w} \frac{x_{n,h,w,c}}{255}, \qquad
#   \sigma_c = \sqrt{\frac{1}{NHW} \sum_{n,h,w} \Big(\frac{x_{n,h,w,c}}{255} - \mu_c\Big)^2}$$
#
# over all $N$ training images and $H \times W$ positions. **From the training split only:** the test split stands
# for images never seen. **Computed, not typed in:** the usual 0.4914, 0.4822, 0.4465 belong to one copy of CIFAR-10;
# a subset or a JPEG copy has its own (`data.mean`, `data.std`).

# %%
mean, std = channel_stats(data.train.images)
test_mean, test_std = channel_stats(data.test.images)
assert (mean, std) == (data.mean, data.std)  # what load_cifar10 stored is exactly this
shipped = load_checkpoint(SHIPPED_WEIGHTS)["data"]  # what the kit's trained Net was normalised with: the reference
print(f"{'channel':<8}{'train mean':>12}{'train std':>12}{'test mean':>12}{'test std':>12}{'ref. mean':>11}{'ref. std':>10}")
for c, name in enumerate("RGB"):
    print(f"{name:<8}{mean[c]:>12.4f}{std[c]:>12.4f}{test_mean[c]:>12.4f}{test_std[c]:>12.4f}"
          f"{shipped['mean'][c]:>11.4f}{shipped['std'][c]:>10.4f}")
print(f"reference: the training split of {shipped['description']}, from which the kit's shipped weights learnt")

# %% [markdown]
# *Expected:* the last two columns, the full training split the kit's shipped weights learnt from. On all of
# CIFAR-10 yours agree to about two decimals; a subset's differ more. The test split's are close, not equal
# (printed only to see that). Normalised (`normalize`, on the device, a batch at a time), a sample of 5,000
# training images has mean about 0 and std about 1 in each channel:

# %%
sample = np.random.default_rng(SEED).choice(len(data.train), size=min(5000, len(data.train)), replace=False)
normalised = normalize(torch.from_numpy(data.train.images[sample]), data.mean, data.std, "cpu")
for c, name in enumerate("RGB"):
    print(f"{name}: mean {normalised[:, c].mean():+.4f}, std {normalised[:, c].std():.4f}")

# %% [markdown]
# ## 4. What the images look like
#
# Random training images at their real 32 × 32 pixels: small, often cut by the border, and some classes alike
# (cat and dog, automobile and truck: the pairs a network confuses most).

# %%
fig = show_class_samples(data.train, data.classes, per_class=SAMPLES_PER_CLASS, seed=SEED,
                         title=f"Random training images per class\n{data.description}")
save_figure(fig, "class_samples", FIGURES)
plt.show()

# %% [markdown]
# ## 5. How the pixel values are distributed
#
# One histogram a channel, with its mean (line) and ± one std (band). Blue is darker on average: each channel
# gets its own mean and std. The spikes at the ends are pixels clipped to black or white.

# %%
fig = plot_channel_histograms(data.train.images, data.mean, data.std,
                              title=f"Pixel values per channel, training split\n{data.description}")
save_figure(fig, "channel_histograms", FIGURES)
plt.show()

# %% [markdown]
# ## 6. The training augmentations, in Albumentations 2.x
#
# Augmentation makes a new variant of each training image every epoch: a mirrored, shifted or partly hidden cat
# is still a cat, and pixels never seen twice cannot be memorised. Test images are never augmented.
# The course's pipeline: a horizontal flip, a small shift-scale-rotate (`Affine`) and CoarseDropout (one 16 × 16
# hole), each with probability 0.5. The kit's code, as training runs it ([Albumentations](https://albumentations.ai)
# 2.x; a `Recipe`, notebook 04, switches the steps):

# %%
show_code(train_transforms)

# %% [markdown]
# Each step, taken out of the kit's pipeline built with every switch on (so the pictures use training's own
# arguments):
#
# | step | what it does | in the course's pipeline |
# | --- | --- | --- |
# | PadIfNeeded + RandomCrop | pad to 40 × 40, cut a random 32 × 32 window | off |
# | HorizontalFlip | mirror left-right | on, p = 0.5 |
# | Affine | shift up to 6.25%, scale 0.9–1.1, rotate up to ±15° | on, p = 0.5 |
# | CoarseDropout | cut one 16 × 16 hole, filled with the mean colour | on, p = 0.5 |
# | ToGray | drop the colour | off |
# | ColorJitter | vary brightness, contrast, saturation, hue | off |

# %%
pipeline = train_transforms(data.mean, Recipe(coarse_dropout=True, pad_crop=True, to_gray=True, color_jitter=True))
step = {type(t).__name__: t for t in pipeline.transforms}
print(", ".join(f"{name} (p = {t.p})" for name, t in step.items()))
fill = mean_pixel(data.mean)  # the uint8 RGB colour that CoarseDropout, Affine and PadIfNeeded fill with
shown = np.random.default_rng(SEED).choice(len(data.train), size=AUGMENTED_IMAGES, replace=False)  # the images drawn

# %% [markdown]
# Each step on its own on the same images (first row: the originals), with p = 1 so that every effect shows.
# Put a step of your own in `augmentations` (e.g. `A.Affine(rotate=(-45, 45), p=1)`) and re-run the cell.

# %%
augmentations = {
    "HorizontalFlip": step["HorizontalFlip"],
    "Affine": step["Affine"],
    "CoarseDropout": step["CoarseDropout"],
    "PadIfNeeded\n+ RandomCrop": A.Compose([step["PadIfNeeded"], step["RandomCrop"]]),
    "ToGray": step["ToGray"],
    "ColorJitter": step["ColorJitter"],
}
fig = show_augmentations(data.train.images[shown], augmentations, seed=SEED,
                         title=f"Each training augmentation on the same images (p = 1)\n{data.description}")
save_figure(fig, "augmentations", FIGURES)
plt.show()

# %% [markdown]
# ## After class (optional): from Albumentations 1.x to 2.x, and why ±15°
#
# In 2.x `ShiftScaleRotate` is deprecated in favour of `Affine`,
# and the arguments of `CoarseDropout` became ranges. Code written for 1.x still runs, but not as
# written: 2.x warns about the arguments it does not know, ignores them and uses its defaults. Here
# is the 1.x hole, built by 2.x, and what it really does:

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    written_for_1x = A.CoarseDropout(max_holes=1, max_height=16, max_width=16, fill_value=fill)
print("warning:", caught[0].message)
print("what it does:", {k: v for k, v in written_for_1x.to_dict()["transform"].items() if k != "__class_fullname__"})

# %% [markdown]
# Between one and two holes of 10–20% of the side, filled with black: not the course's hole. Each
# 1.x argument and its 2.x counterpart (`mean` is the mean colour as whole RGB values, `mean_pixel(data.mean)`):
#
# | 1.x | 2.x | note |
# | --- | --- | --- |
# | `HorizontalFlip(p=0.5)` | `HorizontalFlip(p=0.5)` | unchanged |
# | `ShiftScaleRotate(...)` | `Affine(...)` | |
# | `shift_limit=0.0625` (default) | `translate_percent=(-0.0625, 0.0625)` | a fraction of the side, drawn for x and y separately |
# | `scale_limit=0.1` (default) | `scale=(0.9, 1.1)` | 1.x added 1 to its limits; 2.x takes the factors |
# | `rotate_limit=45` (default) | `rotate=(-45, 45)` | the kit uses `rotate=(-15, 15)`: see below |
# | `border_mode=cv2.BORDER_CONSTANT` | `border_mode=cv2.BORDER_CONSTANT` | 1.x's default was `BORDER_REFLECT_101`: mirrored content |
# | `value=mean` | `fill=mean` | the colour of the uncovered border |
# | `CoarseDropout(...)` | `CoarseDropout(...)` | |
# | `max_holes=1, min_holes=1` | `num_holes_range=(1, 1)` | 1.x's `min_*` defaulted to the `max_*` |
# | `max_height=16, min_height=16` | `hole_height_range=(16, 16)` | pixels |
# | `max_width=16, min_width=16` | `hole_width_range=(16, 16)` | pixels |
# | `fill_value=mean` | `fill=mean` | |
#
# **Why ±15° and not ShiftScaleRotate's ±45°.** A 32 × 32 CIFAR-10 image is mostly object: the
# object often touches the border. Rotating the whole square turns its corners out of the frame,
# and whatever the object had there is lost; the frame's corners are filled with the fill colour
# instead. The larger the angle, the more is lost, and a network tested on upright photos gains
# little from learning objects at 45°. Measured on an image of the kit's size, and seen on real ones:

# %%
white = np.full((32, 32, 3), 255, np.uint8)
for degrees in (15, 45):
    rotated = A.Affine(rotate=(degrees, degrees), border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)(image=white)["image"]
    print(f"rotated by {degrees}°: {np.mean(rotated[..., 0] < 128):.0%} of the frame is fill colour, "
          f"and as much of the image has left it")
fig = show_augmentations(data.train.images[shown], {
    f"rotated {degrees}°": A.Affine(rotate=(degrees, degrees), border_mode=cv2.BORDER_CONSTANT, fill=fill, p=1)
    for degrees in (15, 45)}, seed=SEED, title=f"The same images rotated by 15° and by 45°\n{data.description}")
plt.show()

# %% [markdown]
# ## 7. Why CoarseDropout fills the hole with the mean colour
#
# The hole should tell the network *nothing*. Normalised, the mean colour becomes 0 in every channel (up to
# rounding), like a layer's zero padding: it adds nothing to any convolution. A black hole would become about
# $-\mu_c / \sigma_c \approx -2$, a sharp square the network could learn to react to and test images never contain.

# %%
patches = torch.tensor([fill, (0, 0, 0)], dtype=torch.uint8).view(2, 1, 1, 3)  # two one-pixel "images"
mean_patch, black_patch = normalize(patches, data.mean, data.std, "cpu").flatten(1).tolist()
for name, values in ((f"mean colour {fill}", mean_patch), ("black (0, 0, 0)", black_patch)):
    print(f"{name:<26} normalises to R, G, B = {', '.join(f'{v:+.2f}' for v in values)}")

# %% [markdown]
# ## 8. What training actually sees
#
# Each step fires with its own probability: an image may pass unchanged or get several changes at once. One
# training image and nine draws of the course's pipeline, as the loader makes them epoch after epoch:

# %%
course_pipeline = train_transforms(data.mean, COURSE_PIPELINE)
course_pipeline.set_random_seed(SEED)
image, label = data.train.images[shown[0]], data.train.labels[shown[0]]
variants = np.stack([image] + [course_pipeline(image=image)["image"] for _ in range(9)])
fig = show_images(variants, [label] * len(variants), data.classes,
                  title=f"One image (first) and nine draws of the course's training pipeline\n{data.description}")
save_figure(fig, "training_view", FIGURES)
plt.show()

# %% [markdown]
# ## 9. What augmentation does: two short runs
#
# A network that sees the same training images every epoch can learn them by heart: it then scores far better on
# them than on new images, the **generalisation gap**. We train the kit's network `Net` (notebook 03) twice from the
# same random start on a few thousand images: without augmentation, then with the course's pipeline. `fit` is the
# kit's training run (notebook 04 opens it up); its log here is trimmed to the epoch's losses and accuracies. A
# finished run is kept in `runs/` and reused when the cell runs again.
#
# The gap is then measured on the final weights, on the **clean** (not augmented) training images and the test
# images: the training accuracy in the log is on augmented images, with weights still changing.

# %%
runs_data = replace(data, train=balanced_subset(data.train, min(RUN_TRAIN_IMAGES, len(data.train)), SEED),
                    test=balanced_subset(data.test, min(RUN_TEST_IMAGES, len(data.test)), SEED))
runs_data = replace(runs_data, description=f"{data.description}; these runs: {len(runs_data.train):,} train / "
                                           f"{len(runs_data.test):,} test images")
recipes = {
    "without augmentation": Recipe(epochs=RUN_EPOCHS, batch_size=RUN_BATCH_SIZE, seed=SEED,
                                   flip=False, shift_scale_rotate=False, coarse_dropout=False),
    "with augmentation": Recipe(epochs=RUN_EPOCHS, batch_size=RUN_BATCH_SIZE, seed=SEED),  # the course's pipeline
}
def log(line):  # fit's log, trimmed to each epoch's losses and accuracies (notebook 04 explains the rest)
    if line.startswith(("epoch", "the run in", "resuming")):  # "the run in runs/... is complete": reused, not retrained
        print(re.sub(r"  \((training weights|flip TTA) [^)]*\)", "", re.sub(r"\S*/runs/", "runs/", line)))


accuracy = {}
for name, recipe in recipes.items():
    torch.manual_seed(SEED)  # both runs start from the same random weights
    model = Net()
    folder = run_dir(f"01-{name.replace(' ', '-')}-{len(runs_data.train)}-images-{RUN_EPOCHS}-epochs-seed-{SEED}")
    print(f"--- {name} (the kit's runs/{folder.name})")
    fit(model, runs_data, recipe, folder, resume=True, progress=False, log=log)  # model: the run's final weights
    device = next(model.parameters()).device
    accuracy[name] = {split: evaluate(model, eval_batches(replace(runs_data, test=images), device))[1]
                      for split, images in (("train", runs_data.train), ("test", runs_data.test))}

# %% [markdown]
# Accuracy of each run's final weights, on the clean training images and on the test images:

# %%
print(runs_data.description)
print(f"{'':<24}{'train (clean)':>14}{'test':>8}{'gap':>8}")
for name, acc in accuracy.items():
    print(f"{name:<24}{acc['train']:>13.1f}%{acc['test']:>7.1f}%{acc['train'] - acc['test']:>7.1f}")

# %% [markdown]
# *Expected* (CIFAR-10 JPEG copy, 5,000 / 2,000 images, 6 epochs, the kit's 2-core CPU; yours within a point or
# two): without augmentation 76.8% clean training against 58.5% test, a gap of 18 points; with it 58.3% against
# 54.4%, a gap of 4. An image never the same twice leaves little to learn by heart. In 6 epochs the augmented run,
# learning a harder task, is still behind on the test images (exercise 6 runs longer); the shipped weights, 30
# epochs on all 50,000 images, score 92.3% and 87.8%: a narrow gap, both accuracies higher.

# %% [markdown]
# ## 10. Your turn: your own pipeline
#
# The course's pipeline is one choice among many (students have tuned the probabilities, rotated by ±5°, chosen
# their own holes). Write yours in the cell after next, any Albumentations 2.x transforms, as an `A.Compose` named
# `AUGMENT`. The cell saves it as `my_networks/my_augment.py` in the kit folder (on Colab, on your Google Drive);
# notebook 04 trains with it when you set `AUGMENT = "my_augment.py:AUGMENT"` there, and the run records it.
#
# The kit needs **uint8 images of 32 × 32** back (no `Normalize`, no `ToTensorV2`: batches are normalised on the
# device) and 2.x arguments (a 1.x argument is refused with its line). On a GPU, `HorizontalFlip`, `Affine` and
# `CoarseDropout` in that order run on the GPU itself, any other step on the CPU (slower on Colab's two cores): the
# last cell says which.

# %%
MY_AUGMENT_FILE = my_networks_dir(KIT_ON_DRIVE) / "my_augment.py"  # the next cell writes your pipeline here
print(f"your pipeline goes to {os.path.relpath(MY_AUGMENT_FILE)} (from the working folder, {Path.cwd().name}/); "
      f"the mean colour of these training images is {mean_pixel(data.mean)}")

# %%
# %%writefile {os.path.relpath(MY_AUGMENT_FILE)}
import albumentations as A
import cv2

FILL = (125, 123, 114)  # the training images' mean colour (notebook 01, section 7): a hole that says "nothing here"

AUGMENT = A.Compose([  # the course's pipeline, written out: yours to change
    A.HorizontalFlip(p=0.5),
    A.Affine(translate_percent=(-0.0625, 0.0625), scale=(0.9, 1.1), rotate=(-15, 15),
             border_mode=cv2.BORDER_CONSTANT, fill=FILL, p=0.5),
    A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(16, 16), hole_width_range=(16, 16), fill=FILL, p=0.5),
])

# %% [markdown]
# Your pipeline read back from the file as notebook 04 reads it, drawn as in sections 6 and 8. Change it, run both
# cells again.

# %%
my_augment = load_augmentation(f"{MY_AUGMENT_FILE}:AUGMENT", knob="the pipeline in")
check_pipeline(my_augment, data.train.images[shown])  # it runs, and hands back uint8 32x32 images
fig = show_augmentations(data.train.images[shown], {f"{i + 1}. {type(step).__name__}": step
                                                    for i, step in enumerate(my_augment.transforms)}, seed=SEED,
                         title=f"Each step of your pipeline on the same images (p = 1)\n{data.description}")
save_figure(fig, "my_augmentations", FIGURES)
plt.show()
my_augment.set_random_seed(SEED)
variants = np.stack([image] + [my_augment(image=image)["image"] for _ in range(9)])
fig = show_images(variants, [label] * len(variants), data.classes,
                  title=f"One image (first) and nine draws of your pipeline\n{data.description}")
save_figure(fig, "my_training_view", FIGURES)
plt.show()
where = augment_where(my_augment, "auto", torch.device("cuda"), workers=worker_count(), yours=True)[1]
print("in notebook 04, on a GPU:", where.partition(": ")[2])  # on a CPU it runs on the CPU workers

# %% [markdown]
# ## What we know now
#
# * CIFAR-10 is balanced (5,000 training and 1,000 test images a class): accuracy is a fair summary, guessing scores 10%.
# * Each channel is normalised as $x' = (x/255 - \mu_c)/\sigma_c$, with $\mu_c, \sigma_c$ computed from the *training*
#   split of the copy actually loaded.
# * The course's pipeline: `HorizontalFlip`, `Affine` (±15°) and `CoarseDropout` (one 16 × 16 hole), each p = 0.5,
#   filled with the mean colour, which normalises to about 0 (black: about −2, a signal of its own).
# * Augmentation nearly closes the gap between clean training and test accuracy (section 9).
# * Your pipeline is any `A.Compose` that hands back uint8 32 × 32 images, in `my_networks/my_augment.py` for notebook 04.

# %% [markdown]
# ## Exercises
#
# **1. A subset that cannot be balanced.** Set `SUBSET = 25` in the knobs cell and rerun sections 1 and 2. How
# many images does each class get, and what accuracy on this test subset does a "classifier" score that always
# answers `airplane`?
# *What to look for:* the counts in the table are not all equal.
# <details><summary>Answer</summary>
#
# `balanced_subset` takes one image of every class in turn, in class order: two full rounds give 20 images, the
# third stops after 5 classes. Airplane, automobile, bird, cat and deer get 3 images, dog to truck get 2, in both
# splits (the test subset is min(25, 10,000) = 25 images). Always "airplane" scores 3/25 = 12%, not 10%: on an
# unbalanced set the floor is the share of the largest class, not 1/10.
# </details>
#
# **2. Black, white and the mean colour, by hand.** With the `mean` and `std` printed in section 3, compute what
# black (0, 0, 0) and white (255, 255, 255) normalise to, and how far from 0 the mean-colour fill can land. Check with
# `normalize(torch.tensor([[255, 255, 255]], dtype=torch.uint8).view(1, 1, 1, 3), data.mean, data.std, "cpu")`.
# *What to look for:* the extremes sit at about ±2, the fill at 0 up to a rounding error.
# <details><summary>Answer</summary>
#
# With the values often quoted for CIFAR-10, μ = (0.4914, 0.4822, 0.4465), σ = (0.2470, 0.2435, 0.2616) (your
# copy's may differ in the third decimal): black → −μ/σ = (−1.99, −1.98, −1.71); white → (1 − μ)/σ =
# (+2.06, +2.13, +2.12).
# `mean_pixel` rounds 255μ to whole values, (125.3, 123.0, 113.9) → (125, 123, 114), an error of at most 0.5/255, so
# the fill normalises to within 0.5/(255 σ_c) ≈ 0.008 of 0: here (−0.005, +0.001, +0.002).
# </details>
#
# **3. How often does an image pass unchanged?** In the course's pipeline flip, Affine and CoarseDropout each fire
# independently with p = 0.5. What share of the training images reaches the network unchanged in an epoch, and
# with CoarseDropout switched off? Check in section 8 by counting
# `np.array_equal(course_pipeline(image=image)["image"], image)` over 1,000 draws.
# *What to look for:* about one draw in eight.
# <details><summary>Answer</summary>
#
# Unchanged only if no step fires: 0.5³ = 1/8 = 12.5% (25% = 0.5² without CoarseDropout); on average 1.5 steps fire.
# A step that fires practically always changes pixels: Affine's shift, scale and angle are continuous, and the
# 16 × 16 hole covers 256 of the 1,024 pixels, a quarter of the image. 1,000 draws give 125 ± about 10.
# </details>
#
# **4. Pad-and-crop's shifts.** `pad_crop=True` pads to 40 × 40 and cuts a random 32 × 32 window. How many windows
# are there, what share leaves the image in place, and how many variants of one image do pad-and-crop and flip make?
# *What to look for:* the window's corner can start at any of the offsets 0 to 8 on each axis.
# <details><summary>Answer</summary>
#
# 40 − 32 + 1 = 9 offsets per axis: 9 × 9 = 81 windows, shifts of up to 4 pixels each way. Only offset (4, 4) is the
# unshifted image: 1/81 ≈ 1.2%. With the flip, 2 × 81 = 162 variants. Affine draws from continuous ranges instead:
# no two of its variants need ever repeat.
# </details>
#
# **5. Port 1.x code.** Write the Albumentations 2.x calls for
# `A.ShiftScaleRotate(shift_limit=0.1, scale_limit=0.2, rotate_limit=30, border_mode=cv2.BORDER_CONSTANT, value=fill)`
# and `A.CoarseDropout(max_holes=2, max_height=8, max_width=8, min_holes=1, min_height=4, min_width=4, fill_value=0)`,
# and check them: each applied with p = 1 to `data.train.images[shown[0]]` should run without a warning.
# *What to look for:* every limit becomes a (low, high) range; `value` and `fill_value` become `fill`.
# <details><summary>Answer</summary>
#
# `A.Affine(translate_percent=(-0.1, 0.1), scale=(0.8, 1.2), rotate=(-30, 30), border_mode=cv2.BORDER_CONSTANT,
# fill=fill)` and `A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(4, 8), hole_width_range=(4, 8),
# fill=0)`. 1.x's `scale_limit=0.2` meant factors 1 ± 0.2.
# </details>
#
# **6. A longer run.** Set `RUN_EPOCHS = 12` and run section 9 again (about twice the time; new run folders). Does
# the augmented run's test accuracy catch up with the other's, and what happens to each gap?
# *What to look for:* the gap of the run without augmentation grows as it learns its training images by heart.
# <details><summary>Answer</summary>
#
# Measure it: the no-augmentation run's training accuracy keeps climbing towards 100% while its test accuracy
# levels off, so its gap widens; the augmented run's two accuracies climb together. Whether the augmented run is
# ahead on the test images after 12 epochs depends on the subset and the seed; over the full 30 epochs on 50,000
# images it is.
# </details>
#
# **Next:** [02 · Three convolutions and the receptive field](02_receptive_field.ipynb) — depthwise separable and
# dilated convolutions, what they cost, and how much of the 32 × 32 image one output of the network can see.
