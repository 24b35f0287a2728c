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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/eva-course-kit/cifar10-advanced-convolutions/blob/main/notebooks/05_evaluation.ipynb)
#
# # 05 · Evaluation: what the trained model gets right, what it gets wrong, and where it looks
#
# One number, the test accuracy, hides most of what a model does. This notebook loads a trained `Net` and takes it
# apart:
#
# 1. the model: **your own run** from notebook 04 if this runtime has one, else the **kit's shipped weights** (the
#    default recipe's full 30-epoch run, in the repository), so the notebook works on a fresh Colab runtime;
# 2. the test accuracy, plain and with **flip test-time augmentation**, beside the reference run's;
# 3. the accuracy **per class**, beside the reference run's: which classes are hard;
# 4. the **confusion matrix**: which classes are taken for which;
# 5. a gallery of **misclassified images**, with what the model said and what was true;
# 6. **Grad-CAM** heatmaps: where in those images the model found its evidence, at the last stage;
# 7. Grad-CAM at **every stage, C1 to C4**: how the evidence grows from edges to objects.
#
# Evaluation is cheap: a CPU is enough (about a minute for all 10,000 test images), a GPU makes it seconds.

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
# `RUN_NAME` names the run of notebook 04 (`runs/RUN_NAME/best.pt`); when there is none, the shipped weights are
# evaluated. `DATA_ROOT` and `SUBSET` choose the test images: all 10,000 for numbers comparable with the reference.
# In smoke mode (under the tests) a small subset is used and the numbers mean nothing.

# %%
DATA_ROOT = None                  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else None   # N class-balanced images per split; None: all 10,000 test images
SEED = 0                          # which misclassified images are shown
RUN_NAME = "net"                  # your run of notebook 04 (your network's: its RUN_NAME there, e.g. "my-net"):
                                  # runs/RUN_NAME/best.pt; none there: the shipped weights
RUNS_ON_DRIVE = False             # Colab: your runs are on Google Drive (as notebook 04 kept them)
GALLERY = 20                      # misclassified images in the gallery
GRADCAM_IMAGES = 10               # misclassified images explained with Grad-CAM at the last stage
GRADCAM_STAGES = ("c1", "c2", "c3", "c4")  # Net's stages for section 7 (any of its modules by name)
STAGE_IMAGES = 6                  # images in section 7

# %%
import numpy as np
import torch

from helpers.data import load_cifar10
from helpers.machinery.device import pick_device
from helpers.evaluation import class_accuracy, confusion_matrix, load_trained, misclassified
from helpers.galleries import show_gradcam, show_gradcam_stages, show_misclassified
from helpers.grad_cam import grad_cam
from helpers.machinery.loader import DeviceBatches
from helpers.training import evaluate, predict
from helpers.model import count_parameters
from helpers.machinery.notebook import figure_dir, run_dir
from helpers.plots import plot_class_accuracy, plot_confusion_matrix, save_figure
from helpers.machinery.reference import reference_metrics, trained_checkpoint
from helpers.transforms import normalize

FIGURES = figure_dir()  # images/ for a real run, a scratch folder under the tests
RUN = run_dir(RUN_NAME, on_drive=RUNS_ON_DRIVE)
REFERENCE = reference_metrics()  # the shipped weights' run: history, and their test accuracy class by class

# %% [markdown]
# ## 1. The trained model
#
# `load_trained(path)` reads the checkpoint safely (`torch.load(..., weights_only=True)`: the file can hold
# tensors and numbers but no code), rebuilds the model it names (`Net` with the norm, dropout and widths it was trained
# with), loads the weights and switches to eval mode: BatchNorm uses the running statistics gathered during training
# instead of the batch's, and dropout is off. The weights are the run's **weight average** (notebook 04, section 2),
# the ones whose test accuracy the run reported. The checkpoint also holds the run's history, recipe, and the mean
# and std of its training images; the test images are normalised with those, exactly as in training.
#
# **Which model.** A Colab notebook gets its own runtime: the `runs/` folder that notebook 04 wrote in another one is
# not here (unless both keep it on Google Drive, `RUNS_ON_DRIVE = True`). Then this notebook evaluates the kit's
# **shipped weights**, `helpers/trained/net.pt`: the default recipe's full run, stored in float16 (half the bytes;
# the accuracy it loses is measured and shown below), and says so.

# %%
data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
DEVICE = pick_device("auto")
CHECKPOINT = trained_checkpoint(RUN)
model, state = load_trained(CHECKPOINT, DEVICE)
MEAN, STD = state["data"]["mean"], state["data"]["std"]
CLASSES = state["data"]["classes"]
best_epoch, epochs = state["epoch"], state["recipe"]["epochs"]
print(f"{type(model).__name__}: {count_parameters(model):,} parameters, {state['architecture']}")
print(f"{CHECKPOINT.name}: epoch {best_epoch} of {epochs}, test accuracy {state['history'][-1]['test_acc']:.2f}% "
      f"when it was saved; trained on {state['data']['description']}")
if state["data"]["description"].split(",")[0] != data.description.split(",")[0]:
    print(f"NOTE: evaluated on other data ({data.description}): the numbers below are not comparable with its own.")
TRAINED = f"{type(model).__name__}, epoch {best_epoch} of {epochs}"  # for the figure titles
test_loader = DeviceBatches(data.test, 512, MEAN, STD, DEVICE)  # normalised with the run's own mean and std

# %% [markdown]
# ## 2. Test accuracy, and flip test-time augmentation
#
# The plain accuracy is the share of test images whose highest logit is the true class. **Test-time augmentation
# (TTA)** shows the model each image and its mirror image and averages the two predictions:
#
# $$\text{logits}(x) = \tfrac{1}{2}\big(f(x) + f(\text{flip}(x))\big)$$
#
# The model was trained on flipped images, so both views are images it knows; where it hesitates, the two views
# err in different ways and the average cancels part of the error. It costs a second forward pass and nothing else:
# the weights are the same. (The loss here is plain cross-entropy, without training's label smoothing.) The last
# line is what the shipped weights scored on all 10,000 test images of their data: **expect the same** when this
# notebook evaluates them on the same data, and your own run near it after the full 30 epochs.

# %%
loss, accuracy = evaluate(model, test_loader)
tta_loss, tta_accuracy = evaluate(model, test_loader, tta=True)
shipped = REFERENCE["shipped"]
print(f"{len(data.test):,} test images of {data.description}")
print(f"  plain         loss {loss:.4f}   accuracy {accuracy:6.2f}%")
print(f"  flip TTA      loss {tta_loss:.4f}   accuracy {tta_accuracy:6.2f}%   ({tta_accuracy - accuracy:+.2f} points)")
print(f"  reference     the shipped weights on {shipped['test_images']:,} images of {shipped['data']}: "
      f"{shipped['test_acc']:.2f}%, flip TTA {shipped['flip_tta_test_acc']:.2f}%")

# %% [markdown]
# ## 3. Accuracy per class
#
# $$\text{accuracy}(c) = \frac{\#\{\text{images of class } c \text{ predicted as } c\}}{\#\{\text{images of class } c\}}$$
#
# CIFAR-10's test set has the same number of images of every class, so the overall accuracy is the mean of these ten.
# The animals, cat and dog above all, are usually the hardest: they are small, furry, seen from every side, and look
# alike at 32x32 pixels. Vehicles have rigid shapes and are easier. The black marks are the shipped weights' own
# class-wise accuracy (read from `images/shipped-weights-metrics.json`): the reference. The rest of this notebook
# uses the plain predictions (no TTA).

# %%
logits, labels = predict(model, test_loader)
predictions = logits.argmax(1).cpu().numpy()
labels = labels.cpu().numpy()
accuracies = class_accuracy(predictions, labels, CLASSES)
print(f"{'class':12s} {'images':>7s} {'correct':>8s} {'accuracy':>9s} {'reference':>10s}")
for index, name in enumerate(CLASSES):
    of_class = labels == index
    print(f"{name:12s} {of_class.sum():7d} {(predictions[of_class] == index).sum():8d} {accuracies[name]:8.1f}% "
          f"{shipped['class_acc'][name]:9.1f}%")
fig = plot_class_accuracy(accuracies, title=f"test accuracy per class, {TRAINED}\n{data.description}",
                          reference=shipped["class_acc"], reference_label=f"shipped weights, {shipped['data']}")
save_figure(fig, "class_accuracy", FIGURES);

# %% [markdown]
# ## 4. The confusion matrix
#
# `matrix[t, p]` counts the test images of true class $t$ that the model predicted as $p$. The diagonal holds the
# correct predictions; row $t$ adds up to the number of images of class $t$. A bright cell off the diagonal is a pair
# of classes the model mixes up, and the matrix is rarely symmetric: cats taken for dogs need not be as many as dogs
# taken for cats.

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
# Numbers say how often; the images say why. Here are test images the model got wrong, in a random order (a
# class-folder copy stores the test set class by class, so the first ones could all be airplanes), each with the
# model's prediction and the truth.
# Look for a pattern: unusual poses, the object small or cut off, a background typical of the other class
# (a ship's water, a bird's sky), or labels that are arguable.

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
# $w_k$ says how much map $k$ matters for class $c$ (its gradient, averaged over positions); the weighted sum says
# where those maps fire; the ReLU keeps only the evidence *for* the class. The heatmap is scaled to $[0, 1]$ and
# stretched from the maps' size to the image's.
#
# Here the layer is the last stage, `model.c4`: 128 maps of 8x8, just before global average pooling, the last
# place where the network still knows *where* something is. Each of its positions sees more than the whole image
# (the receptive field of notebook 02), but mostly the pixels around its own place, so the 8x8 heatmap is a coarse
# but honest map of location. `grad_cam` takes the gradient with a forward hook and `torch.autograd.grad`, then
# removes the hook: the model is left as it was.
#
# Two views of the first misclassified images of the gallery: the evidence for what the model *said*, and for what
# was *true*. Red is strong evidence, blue none.

# %%
stages = {name: getattr(model, name) for name in GRADCAM_STAGES if hasattr(model, name)}
if not stages:  # not a Net (the attention net): its last convolutional maps
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
# A model that looks at the object and still says the wrong class has learnt features that are not distinctive
# enough (cat vs dog); one that looks at the background has learnt a shortcut (water means ship). The second kind is
# what more data, more augmentation (CoarseDropout hides parts of the image on purpose) or a different crop fix.
#
# ## 7. Grad-CAM at every stage: C1, C2, C3, C4
#
# The same formula works at any layer. Each stage answers "where is the evidence for the predicted class" with what
# it knows by then (the knob `GRADCAM_STAGES` picks the layers):
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
# ## What we know now
#
# * `load_trained` rebuilds the model a checkpoint names, loads the run's weight average and switches to eval mode; the
#   test images are normalised with the training run's own mean and std.
# * Flip TTA averages $f(x)$ and $f(\text{flip}(x))$: a second forward pass, the same weights; the printout above
#   shows what it changes, reported beside the plain accuracy, never instead of it.
# * Accuracy per class is the diagonal of the confusion matrix over its row; on a balanced test set the overall
#   accuracy is their mean. The bar chart above shows which classes are hard.
# * `matrix[t, p]` counts true class $t$ predicted as $p$; the list above names the most frequent confusions, and the
#   matrix is not symmetric.
# * Grad-CAM weighs each map of a layer by its mean gradient, $\mathrm{ReLU}(\sum_k w_k A_k)$: where the evidence
#   for a class lies, at that layer's resolution; from C1 to C4 the maps go from sharp and generic to coarse and
#   class-specific (the galleries above).
# * Without a run of your own, the notebook evaluated the kit's shipped weights; with one, the black marks and the
#   reference line compare yours with them.

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
# **4. Grad-CAM for the wrong class, stage by stage.** In section 7, pass `classes=labels[chosen]` only for C4 and
# compare with `grad_cam(model, stage_inputs, model.c4, classes=(labels[chosen] + 1) % 10)`: the evidence for a class
# the images are *not*.
# *What to look for:* whether the map for a wrong class is empty, weak, or lands on a part that resembles it.
# <details><summary>Answer</summary>
#
# For a confident right answer the wrong class has little positive evidence: after the ReLU much of its map is zero.
# Each map is scaled to $[0, 1]$ on its own, so a few weak spots still look bright: judge the shape, not the colour.
# A wrong class that shares parts with the true one (a truck for an automobile, a dog for a cat) finds them, on the
# wheels or the face; an unrelated one lands on the background or nowhere.
# </details>
#
# **Next:** [03 · The model](03_model.ipynb) — design your own network, the course's assignment: change `Net` within
# the four constraints, train it in 04 and bring it back here to compare its class-wise accuracy and confusions.
