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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/05_evaluation.ipynb)
#
# # 05 · Evaluation: what the trained model gets right, what it gets wrong, and where it looks
#
# **After this notebook you can** load a trained model and test it, with and without flip test-time augmentation;
# read its accuracy class by class and its confusion matrix; look at the images it gets wrong; and ask Grad-CAM where
# in an image it found its evidence.
#
# **In class** (about 20 minutes, while notebook 04 trains in another tab): run and read sections 1–6 on the kit's
# shipped weights; a CPU runtime is enough (the whole notebook: 48 s on 2 CPU cores, measured; seconds on a GPU).
# **After class**: run it again on your own run once 04 has finished, then the part headed "After class (optional)"
# (Grad-CAM at every stage) and the exercises.

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
# `MODEL`, `RUN_NAME` and `KIT_ON_DRIVE` name the run of notebook 04 to evaluate, as they did there (for your
# network, the three lines notebook 03 printed); while that run has no checkpoint (`best.pt`, else `last.pt`), the
# kit's shipped weights are evaluated. On Colab, `KIT_ON_DRIVE = True` (the default) reads the run from the kit folder on your Google Drive,
# where 04 keeps it. `SUBSET = None`: all 10,000 test images, comparable with the reference (`SMOKE`: under the tests).

# %%
DATA_ROOT = None                  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else None   # N class-balanced images per split; None: all 10,000 test images
SEED = 0                          # which misclassified images are shown
MODEL = "net"                     # "net", or your network of notebook 03: "my_net.py:MyNet"
RUN_NAME = "net"                  # your run of notebook 04: runs/RUN_NAME/best.pt (or last.pt); none: the shipped weights
KIT_ON_DRIVE = True               # Colab: your networks and runs in the kit folder on Google Drive (as in 03 and 04)
GALLERY = 20                      # misclassified images in the gallery
GRADCAM_IMAGES = 10               # misclassified images explained with Grad-CAM at the last stage
GRADCAM_STAGES = ("c1", "c2", "c3", "c4")  # the stages for section 7 (any of the model's modules by name)
STAGE_IMAGES = 6                  # images in section 7

# %%
import numpy as np
import torch

from helpers.data import load_cifar10
from helpers.evaluation import class_accuracy, confusion_matrix, load_trained, misclassified
from helpers.galleries import show_gradcam, show_gradcam_stages, show_misclassified
from helpers.grad_cam import ActivationHook, class_activation_map, grad_cam
from helpers.model import count_parameters
from helpers.plots import plot_class_accuracy, plot_confusion_matrix, save_figure
from helpers.training import (evaluate, figure_dir, pick_device, predict, reference_metrics, run_dir,
                              SHIPPED_WEIGHTS, show_code, student_file, trained_checkpoint, WorkerBatches)
from helpers.transforms import normalize

RUN = run_dir(RUN_NAME, KIT_ON_DRIVE)
REFERENCE = reference_metrics()  # the shipped weights' run: history, and their test accuracy class by class
SHIPPED = REFERENCE["shipped"]
# The shipped weights on real CIFAR-10 test images (the first 1,017 of the test batch, measured outside the kit):
REAL_IMAGES = {"test_images": 1017, "test_acc": 87.9, "flip_tta_test_acc": 89.7}

# %% [markdown]
# ## 1. The trained model
#
# `load_trained(path)` reads the checkpoint safely (`torch.load(..., weights_only=True)`: tensors and numbers, no
# code), rebuilds the model it names (`Net` with its settings, or your network from the file `MODEL` names: the kit
# never imports a file a checkpoint names), loads the weights and switches to eval mode, so that BatchNorm uses the
# running statistics of training. The weights are the run's **weight average** (notebook 04, section 2), whose test
# accuracy the run reported; the test images are normalised with the mean and std of the run's training images.
# Its `best.pt`, else its `last.pt` (said when it is the one); with neither in `RUN`, the kit's **shipped weights**,
# `helpers/trained/net.pt`, the reference run's. A run whose checkpoints cannot be read stops with one line.
#
# **Your data and the reference's.** Every reference number here (the black marks, the reference lines) was measured
# on **CIFAR-10 (JPEG copy)**, a JPEG re-encoding of CIFAR-10 made where CIFAR-10 cannot be downloaded; on Colab you
# test on CIFAR-10 itself. The shipped weights score 87.78% on the copy's 10,000 test images and **87.9% on 1,017 real
# CIFAR-10 test images** (about ±1 point at that size): expect them near 88% on Colab, and a class a few points off
# its black mark is within what the two data sets allow.

# %%
data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
DEVICE = pick_device("auto")
CHECKPOINT = trained_checkpoint(RUN)
# Your network's file (notebook 03 wrote it): not found, one line says where it was looked for and how to bring it
MODEL_SPEC = None if MODEL == "net" else f"{student_file(MODEL, KIT_ON_DRIVE)}:{MODEL.partition(':')[2]}"
model, state = load_trained(CHECKPOINT, DEVICE, model=None if CHECKPOINT == SHIPPED_WEIGHTS else MODEL_SPEC)
MEAN, STD = state["data"]["mean"], state["data"]["std"]
CLASSES = state["data"]["classes"]
best_epoch, epochs = state["epoch"], state["recipe"]["epochs"]
FIGURES = figure_dir(RUN if CHECKPOINT != SHIPPED_WEIGHTS else None)  # a run's figures go to RUN/figures
print(f"{type(model).__name__}: {count_parameters(model):,} parameters, {state['architecture']}")
print(f"{CHECKPOINT.name}: epoch {best_epoch} of {epochs}, test accuracy {state['history'][-1]['test_acc']:.2f}% "
      f"when it was saved")
print(f"trained on:  {state['data']['description']}\nevaluated on: {data.description}")
TRAINED = f"{type(model).__name__}, epoch {best_epoch} of {epochs}"  # for the figure titles
test_loader = WorkerBatches(data.test, 512, MEAN, STD, DEVICE)  # normalised with the run's own mean and std

# %% [markdown]
# ## 2. Test accuracy, and flip test-time augmentation
#
# The plain accuracy is the share of test images whose highest logit is the true class. **Test-time augmentation
# (TTA)** shows the model each image and its mirror image and averages the two predictions:
#
# $$\text{logits}(x) = \tfrac{1}{2}\big(f(x) + f(\text{flip}(x))\big)$$
#
# The model was trained on flipped images, so both views are images it knows; where it hesitates, the two views err
# differently and the average cancels part of the error. It costs a second forward pass, nothing else. (The loss is
# plain cross-entropy, without training's label smoothing.) The last lines: the shipped weights on section 1's data.

# %%
loss, accuracy = evaluate(model, test_loader, recipe=state["recipe"])  # the run's precision, as it was tested
tta_loss, tta_accuracy = evaluate(model, test_loader, tta=True, recipe=state["recipe"])
print(f"{len(data.test):,} test images of {data.description}")
print(f"  plain         loss {loss:.4f}   accuracy {accuracy:6.2f}%")
print(f"  flip TTA      loss {tta_loss:.4f}   accuracy {tta_accuracy:6.2f}%   ({tta_accuracy - accuracy:+.2f} points)")
print(f"  reference: the shipped weights on {SHIPPED['test_images']:,} test images of {SHIPPED['data']}: "
      f"{SHIPPED['test_acc']:.2f}%, flip TTA {SHIPPED['flip_tta_test_acc']:.2f}%")
print(f"             on {REAL_IMAGES['test_images']:,} real CIFAR-10 test images: {REAL_IMAGES['test_acc']:.1f}%, "
      f"flip TTA {REAL_IMAGES['flip_tta_test_acc']:.1f}% (about ±1 point)")

# %% [markdown]
# ## 3. Accuracy per class
#
# $$\text{accuracy}(c) = \frac{\#\{\text{images of class } c \text{ predicted as } c\}}{\#\{\text{images of class } c\}}$$
#
# CIFAR-10's test set has as many images of every class, so the overall accuracy is the mean of these ten. The
# animals, cat and dog above all, are usually the hardest: small, furry, seen from every side, alike at 32x32 pixels;
# vehicles have rigid shapes. The black marks: the shipped weights on CIFAR-10 (JPEG copy). From here on, the plain
# predictions (no TTA).

# %%
logits, labels = predict(model, test_loader)
predictions = logits.argmax(1).cpu().numpy()
labels = labels.cpu().numpy()
accuracies = class_accuracy(predictions, labels, CLASSES)
print(f"{'class':12s} {'images':>7s} {'correct':>8s} {'accuracy':>9s} {'reference':>10s}")
for index, name in enumerate(CLASSES):
    of_class = labels == index
    print(f"{name:12s} {of_class.sum():7d} {(predictions[of_class] == index).sum():8d} {accuracies[name]:8.1f}% "
          f"{SHIPPED['class_acc'][name]:9.1f}%")
fig = plot_class_accuracy(accuracies, title=f"test accuracy per class, {TRAINED}\n{data.description}",
                          reference=SHIPPED["class_acc"], reference_label=f"shipped weights, {SHIPPED['data']}")
save_figure(fig, "class_accuracy", FIGURES);

# %% [markdown]
# ## 4. The confusion matrix
#
# `matrix[t, p]` counts the test images of true class $t$ that the model predicted as $p$. The diagonal holds the
# correct predictions (grey in the figure, so that the colour scale is the mistakes'); row $t$ adds up to the images
# of class $t$. A dark red cell off the diagonal is a pair of classes the model mixes up, and the matrix is rarely
# symmetric: cats taken for dogs need not be as many as dogs taken for cats.

# %%
matrix = confusion_matrix(predictions, labels, num_classes=len(CLASSES))
off_diagonal = matrix * (1 - np.eye(len(CLASSES), dtype=matrix.dtype))
print("the most frequent confusions (true → predicted):")
for flat in np.argsort(off_diagonal, axis=None)[::-1][:5]:
    true, predicted = np.unravel_index(flat, matrix.shape)
    share = 100 * matrix[true, predicted] / matrix[true].sum()
    print(f"  {CLASSES[true]:10s} → {CLASSES[predicted]:10s} {matrix[true, predicted]:5d} images "
          f"({share:.1f}% of the {CLASSES[true]}s)")
fig = plot_confusion_matrix(matrix, CLASSES, title=f"confusion matrix, {TRAINED}\n{data.description}")
save_figure(fig, "confusion_matrix", FIGURES);

# %% [markdown]
# ## 5. The misclassified images
#
# Numbers say how often; the images say why. Test images the model got wrong, in a random order, each with the
# prediction and the truth. Look for a pattern: unusual poses, the object small or cut off, a background typical of
# the other class (a ship's water, a bird's sky), or arguable labels.

# %%
wrong = misclassified(predictions, labels)
print(f"{len(wrong):,} of {len(labels):,} test images misclassified ({100 * len(wrong) / len(labels):.2f}%)")
order = np.random.default_rng(SEED).permutation(len(labels))  # show_misclassified shows the first wrong ones
fig = show_misclassified(data.test.images[order], predictions[order], labels[order], CLASSES, n=GALLERY, ncols=10,
                         title=f"misclassified test images (pred / true), {TRAINED}\n{data.description}")
save_figure(fig, "misclassified", FIGURES);

# %% [markdown]
# ## 6. Grad-CAM: where did the model look?
#
# Grad-CAM (Selvaraju et al., 2017) asks which positions of a layer's feature maps pushed up the score of a class.
# Let $A_k$ be the $k$-th map of that layer and $y_c$ the score (logit) of class $c$:
#
# $$w_k = \frac{1}{HW}\sum_{i,j} \frac{\partial y_c}{\partial A_k[i,j]} \qquad\qquad
#   \text{heatmap} = \mathrm{ReLU}\Big(\sum_k w_k A_k\Big)$$
#
# $w_k$ says how much map $k$ matters for class $c$; the weighted sum, where those maps fire; the ReLU keeps only the
# evidence *for* the class.
#
# **The code.** A layer's output flows into the next layer and is gone. A **forward hook** is a function PyTorch calls
# with a layer's output after each forward pass; `ActivationHook` registers one that keeps the output, still attached
# to the autograd graph, and removes it when the `with` block ends. `class_activation_map` is the formula line by
# line: `torch.autograd.grad` gives $\partial y_c / \partial A$ without touching the weights' `.grad`. (`grad_cam`
# wraps it: eval mode, the map stretched to the image's size and scaled to $[0, 1]$.)

# %%
show_code(ActivationHook, class_activation_map)

# %% [markdown]
# Here the layer is the last stage, `model.c4`: 128 maps of 8x8 just before global average pooling, the last place
# where the network still knows *where* something is. Its receptive field (61 pixels, notebook 02) is larger than the
# image, but each position sees the pixels near its own place most strongly (measured with gradients), so the 8x8
# heatmap is a coarse but honest map of location.
#
# Two views of the first misclassified images of the gallery: the evidence for what the model *said*, and for what
# was *true*. Red is strong evidence, blue none.

# %%
stages = {name: getattr(model, name) for name in GRADCAM_STAGES if hasattr(model, name)}
if not stages:  # a model without c1..c4: its last convolutional maps
    stages = {"features": model.convs}
last_stage = list(stages.values())[-1]
shown = order[np.isin(order, wrong)][:GRADCAM_IMAGES]  # the first images of the gallery above
images = data.test.images[shown]  # uint8, for drawing
inputs = normalize(torch.from_numpy(images), MEAN, STD, DEVICE)  # normalised floats, as the model sees them
for_predicted = grad_cam(model, inputs, last_stage)  # default: explain the predicted class
for_true = grad_cam(model, inputs, last_stage, classes=labels[shown])
for heatmaps, which in ((for_predicted, "predicted"), (for_true, "true")):
    fig = show_gradcam(images, heatmaps, predictions[shown], labels[shown], CLASSES, ncols=5,
                       title=f"Grad-CAM for the {which} class, misclassified test images\n"
                             f"{TRAINED}, {data.description}")
    save_figure(fig, f"gradcam_{which}_class", FIGURES)

# %% [markdown]
# A model that looks at the object and still says the wrong class has learnt features not distinctive enough (cat vs
# dog); one that looks at the background has learnt a shortcut (water means ship), which more data or augmentation
# (CoarseDropout hides parts of the image on purpose) can fix.

# %% [markdown]
# ## What we know now
#
# * `load_trained` rebuilds the model a checkpoint names, loads the run's weight average and switches to eval mode;
#   the test images are normalised with the training run's mean and std.
# * The reference was measured on CIFAR-10 (JPEG copy); on 1,017 real CIFAR-10 test images the shipped weights score
#   87.9%, about ±1 point.
# * Flip TTA averages $f(x)$ and $f(\text{flip}(x))$: a second forward pass, the same weights; report it beside the
#   plain accuracy, never instead of it.
# * Accuracy per class is the confusion matrix's diagonal over its row; `matrix[t, p]` is not symmetric.
# * Grad-CAM weighs each map of a layer by its mean gradient and keeps the positive part: where the evidence for a
#   class lies, at that layer's resolution.

# %% [markdown]
# ## After class (optional): Grad-CAM at every stage, C1 to C4
#
# The same formula works at any layer. Each stage answers "where is the evidence for the predicted class" with what
# it knows by then (the knob `GRADCAM_STAGES` picks the layers; the receptive fields are `Net`'s):
#
# * **C1** (32x32 maps, each position sees 7 pixels): edges and colour blobs. The heatmap is sharp but follows
#   contrast rather than the object; it is often spread over the whole image.
# * **C2** (16x16, 17 pixels): textures and parts (fur, wheels, an eye); the evidence starts to gather on the object.
# * **C3** (8x8, 37 pixels): object parts in context; the map settles on the object or on the part that decides.
# * **C4** (8x8, 61 pixels, the dilated stage): whole objects; the coarsest map, and the most class-specific.
#
# Early stages feed many classes at once, so their maps say little about *this* class; the last stage's map is the
# one to trust for "why this class", the earlier ones show what it was built from. Correctly classified images
# here, so the evidence is for the right class.

# %%
right = np.flatnonzero(predictions == labels)
chosen = np.random.default_rng(SEED).choice(right, size=min(STAGE_IMAGES, len(right)), replace=False)
stage_inputs = normalize(torch.from_numpy(data.test.images[chosen]), MEAN, STD, DEVICE)
by_stage = {name.upper(): grad_cam(model, stage_inputs, layer) for name, layer in stages.items()}
fig = show_gradcam_stages(data.test.images[chosen], by_stage,
                          title=f"Grad-CAM for the predicted (true) class at each stage, {TRAINED}\n{data.description}")
save_figure(fig, "gradcam_stages", FIGURES);

# %% [markdown]
# ## Exercises
#
# **1. Precision and recall from the matrix.** Compute from `matrix` alone the overall accuracy
# (`np.trace(matrix) / matrix.sum()`), each class's recall (`np.diag(matrix) / matrix.sum(1)`) and precision
# (`np.diag(matrix) / matrix.sum(0)`), and `matrix.sum(1) - matrix.sum(0)`.
# *What to look for:* which numbers you have seen before, and which classes the model names too often.
# <details><summary>Answer</summary>
#
# The trace over the total is section 2's plain accuracy; recall, diagonal over row, is `accuracies` of section 3
# (as a fraction). Precision, diagonal over column, is the share of the images *called* $c$ that are $c$. A row sums
# to the images of its class (1,000 on the full test split), a column to how often the class is answered: a
# negative `matrix.sum(1) - matrix.sum(0)` marks a class the model answers more often than it occurs, and that
# class's precision sits below its recall.
# </details>
#
# **2. The most lopsided pair.** Find the pair whose confusions go most one way: `asym = matrix - matrix.T`,
# `t, p = np.unravel_index(asym.argmax(), asym.shape)`, then print `CLASSES[t]`, `CLASSES[p]`, `matrix[t, p]`,
# `matrix[p, t]`.
# *What to look for:* whether it is one of the five most frequent confusions of section 4.
# <details><summary>Answer</summary>
#
# `asym[t, p]` = ($t$ taken for $p$) − ($p$ taken for $t$) and `asym = -asym.T`, so the largest entry gives the pair
# and the direction: when unsure between the two, the model says $p$. Its row sums are the
# `matrix.sum(1) - matrix.sum(0)` of exercise 1: the pairs add up to each class's over- or under-prediction.
# </details>
#
# **3. Upside-down TTA.** Average $f(x)$ with $f$ of the image upside down instead of mirrored. Over
# `data.test.images` in chunks of 500: `x = normalize(torch.from_numpy(chunk), MEAN, STD, DEVICE)`, then under
# `torch.no_grad()` count where `(model(x) + model(x.flip(2))).argmax(1)` equals the labels; repeat with `x.flip(3)`.
# *What to look for:* `x.flip(3)` reproduces section 2's flip TTA (up to mixed precision); `x.flip(2)` does not.
# <details><summary>Answer</summary>
#
# `x` is (B, 3, H, W): dim 3 is the width (the left-right mirror of training), dim 2 the height (upside down).
# Training never showed an upside-down image (HorizontalFlip only, Affine rotates at most 15°), so $f$ of one is a far
# weaker guess, and averaging it in adds errors instead of cancelling them: expect upside-down TTA below left-right
# TTA, and probably below the plain accuracy. TTA helps only with changes the model learnt to ignore.
# </details>
#
# **4. Grad-CAM for a class the image is not.** Explain section 7's images at C4 for their true class and for the
# next class in `CLASSES` (a class they are not), and draw the two rows one above the other:
# `true = grad_cam(model, stage_inputs, model.c4, classes=labels[chosen])`,
# `other = grad_cam(model, stage_inputs, model.c4, classes=(labels[chosen] + 1) % 10)`, then
# `show_gradcam_stages(data.test.images[chosen], {"true class": true, "next class": other})`.
# *What to look for:* whether the map for the wrong class is empty, weak, or lands on a part that resembles it.
# <details><summary>Answer</summary>
#
# For a confident right answer the wrong class has little positive evidence: after the ReLU much of its map is zero.
# Each map is scaled to $[0, 1]$ on its own, so a few weak spots still look bright: judge the shape, not the colour.
# A wrong class that shares parts with the true one (a truck for an automobile, a dog for a cat) finds them, on the
# wheels or the face; an unrelated one lands on the background or nowhere.
# </details>
#
# **Next:** back to [03 · The model](03_model.ipynb) for the assignment: your own network within the rules, trained
# in 04 and evaluated here with the same `MODEL`, `RUN_NAME` and `KIT_ON_DRIVE`. Optional:
# [06 · Beyond](06_beyond.ipynb).
