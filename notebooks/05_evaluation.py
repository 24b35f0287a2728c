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
# One number, the test accuracy, hides most of what a model does. This notebook loads the best checkpoint that
# notebook 04 wrote and takes it apart:
#
# 1. the test accuracy, plain and with **flip test-time augmentation**;
# 2. the accuracy **per class**: which classes are hard;
# 3. the **confusion matrix**: which classes are taken for which;
# 4. a gallery of **misclassified images**, with what the model said and what was true;
# 5. **Grad-CAM** heatmaps: where in those images the model found its evidence.
#
# Evaluation is cheap: a CPU is enough, a GPU makes it seconds.

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
# `RUN` is the folder notebook 04 trained into; `DATA_ROOT`, `SUBSET` and `SEED` must be the ones it used, so that
# the test images are the ones its run was measured on. In smoke mode (under the tests) `RUN` is a fresh scratch folder
# with no checkpoint in it: the next section then trains a stand-in for one epoch, and every number below means nothing.

# %%
DATA_ROOT = None                  # None: $CIFAR10_ROOT, else the kit's data/ folder (downloaded there once)
SUBSET = 400 if SMOKE else None   # N class-balanced images per split; None: all 10,000 test images
SEED = 0                          # which subset; which misclassified images are shown
RUN_NAME = "net"                  # the run of notebook 04: runs/RUN_NAME/best.pt is evaluated
RUNS_ON_DRIVE = False             # Colab: the runs are on Google Drive (as notebook 04 kept them)
GALLERY = 20                      # misclassified images in the gallery
GRADCAM_IMAGES = 10               # misclassified images explained with Grad-CAM

# %% [markdown]
# ## 1. The trained model
#
# `load_trained(RUN / "best.pt")` reads the checkpoint safely (`torch.load(..., weights_only=True)`: the file can hold
# tensors and numbers but no code), rebuilds the model it names (`Net` with the norm, dropout and widths it was trained
# with), loads the weights and switches to eval mode: BatchNorm uses the running statistics gathered during training
# instead of the batch's, and dropout is off. The weights are the run's **weight average** (notebook 04, section 2),
# the ones whose test accuracy the run reported. The checkpoint also holds the run's history, recipe, and the mean
# and std of its training images; the test images are normalised with those, exactly as in training.

# %%
import numpy as np
import torch

from helpers.data import load_cifar10
from helpers.device import pick_device, seed_everything
from helpers.evaluation import class_accuracy, confusion_matrix, load_trained, misclassified
from helpers.galleries import show_gradcam, show_misclassified
from helpers.grad_cam import grad_cam
from helpers.loader import DeviceBatches
from helpers.loops import evaluate, fit, predict
from helpers.model import Net, count_parameters
from helpers.notebook import figure_dir, run_dir
from helpers.plots import plot_class_accuracy, plot_confusion_matrix, save_figure
from helpers.recipe import Recipe
from helpers.transforms import normalize

FIGURES = figure_dir()  # images/ for a real run, a scratch folder under the tests
RUN = run_dir(RUN_NAME, on_drive=RUNS_ON_DRIVE)

data = load_cifar10(DATA_ROOT, subset=SUBSET, seed=SEED)
DEVICE = pick_device("auto")
CHECKPOINT = RUN / "best.pt"
if SMOKE and not CHECKPOINT.exists():
    print(f"Smoke mode and no checkpoint in {RUN}: training a stand-in Net for 1 epoch on {len(data.train)} images.")
    seed_everything(SEED)
    fit(Net(), data, Recipe(epochs=1, batch_size=64, max_lr=0.05, seed=SEED), RUN, device=DEVICE,
        log=lambda *args: None)

model, state = load_trained(CHECKPOINT, DEVICE)  # without a checkpoint: an error that says to run notebook 04
MEAN, STD = state["data"]["mean"], state["data"]["std"]
CLASSES = state["data"]["classes"]
best_epoch, epochs = state["epoch"], state["recipe"]["epochs"]
recorded = state["history"][-1]["test_acc"]
print(f"{type(model).__name__}: {count_parameters(model):,} parameters, {state['architecture']}")
print(f"best.pt: epoch {best_epoch} of {epochs}, test accuracy {recorded:.2f}% when it was saved")
print(f"trained on: {state['data']['description']}")
if state["data"]["description"] != data.description:
    print(f"NOTE: evaluating on other data ({data.description}): set DATA_ROOT and SUBSET as notebook 04 had them.")
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
# the weights are the same. (The loss here is plain cross-entropy, without training's label smoothing.)

# %%
loss, accuracy = evaluate(model, test_loader)
tta_loss, tta_accuracy = evaluate(model, test_loader, tta=True)
print(f"{len(data.test):,} test images")
print(f"  plain         loss {loss:.4f}   accuracy {accuracy:6.2f}%")
print(f"  flip TTA      loss {tta_loss:.4f}   accuracy {tta_accuracy:6.2f}%   ({tta_accuracy - accuracy:+.2f} points)")

# %% [markdown]
# ## 3. Accuracy per class
#
# $$\text{accuracy}(c) = \frac{\#\{\text{images of class } c \text{ predicted as } c\}}{\#\{\text{images of class } c\}}$$
#
# CIFAR-10's test set has the same number of images of every class, so the overall accuracy is the mean of these ten.
# The animals, cat and dog above all, are usually the hardest: they are small, furry, seen from every side, and look
# alike at 32x32 pixels. Vehicles have rigid shapes and are easier. The rest of this notebook uses the plain
# predictions (no TTA).

# %%
logits, labels = predict(model, test_loader)
predictions = logits.argmax(1).cpu().numpy()
labels = labels.cpu().numpy()
accuracies = class_accuracy(predictions, labels, CLASSES)
print(f"{'class':12s} {'images':>7s} {'correct':>8s} {'accuracy':>9s}")
for index, name in enumerate(CLASSES):
    of_class = labels == index
    print(f"{name:12s} {of_class.sum():7d} {(predictions[of_class] == index).sum():8d} {accuracies[name]:8.1f}%")
fig = plot_class_accuracy(accuracies, title=f"test accuracy per class, {TRAINED}\n{data.description}")
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
# Grad-CAM (Selvaraju et al., 2017) asks which positions of the last convolutional feature maps pushed up the score
# of a class. Let $A_k$ be the $k$-th map of that layer and $y_c$ the score (logit) of class $c$:
#
# $$w_k = \frac{1}{HW}\sum_{i,j} \frac{\partial y_c}{\partial A_k[i,j]} \qquad\qquad
#   \text{heatmap} = \mathrm{ReLU}\Big(\sum_k w_k A_k\Big)$$
#
# $w_k$ says how much map $k$ matters for class $c$ (its gradient, averaged over positions); the weighted sum says
# where those maps fire; the ReLU keeps only the evidence *for* the class. The heatmap is scaled to $[0, 1]$ and
# stretched from the maps' size to the image's.
#
# For `Net` the layer is `model.c4`, the last stage: 128 maps of 8x8, just before global average pooling, the last
# place where the network still knows *where* something is. Each of its positions sees more than the whole image
# (the receptive field of notebook 02), but mostly the pixels around its own place, so the 8x8 heatmap is a coarse
# but honest map of location. `grad_cam` takes the gradient with forward hooks and `torch.autograd.grad`, then
# removes the hooks: the model is left as it was.
#
# Two views of the first misclassified images of the gallery: the evidence for what the model *said*, and for what was *true*. Red is
# strong evidence, blue none.

# %%
# Net: C4, the last stage. (For an AttentionNet run, its last convolutional maps are model.convs.)
target_layer = model.c4 if isinstance(model, Net) else model.convs
shown = order[np.isin(order, wrong)][:GRADCAM_IMAGES]  # the first images of the gallery above
images = data.test.images[shown]  # uint8, for drawing
inputs = normalize(torch.from_numpy(images), MEAN, STD, DEVICE)  # normalised floats, as the model sees them
for_predicted = grad_cam(model, inputs, target_layer)  # default: explain the predicted class
for_true = grad_cam(model, inputs, target_layer, classes=labels[shown])
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
# ## What next
#
# Change one thing in notebook 04 (a knob, an augmentation, the norm), train into a new `RUN`, and compare its
# class-wise accuracy and confusion matrix here with this run's.
