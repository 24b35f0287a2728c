"""Shared fixtures. The real-data tests use the CIFAR-10 folder $CIFAR10_ROOT names (CI: the
exact-pixel subset beside the repository) or, when it is unset, a small subset made once from a
CIFAR-10 download (tools/subset_for_tests.py)."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.data import CIFAR10, CLASSES, Split, load_cifar10
from helpers.machinery.device import seed_everything
from helpers.training import RunState
from helpers.training import fit
from helpers.model import Net
from helpers.recipe import Recipe
from tools.subset_for_tests import use_subset_for_tests

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    use_subset_for_tests()


@pytest.fixture(scope="session")
def subset_root():
    root = Path(os.environ["CIFAR10_ROOT"])
    if not (root / "train").is_dir():
        pytest.skip(f"CIFAR10_ROOT={root} is not a class-folder copy (train/<class>/*.png): these tests need one")
    return root


@pytest.fixture(scope="session")
def subset(subset_root):
    """The whole exact-pixel subset, decoded once for the session."""
    return load_cifar10(subset_root)


def make_class_folders(root, per_class=2, size=32, mode="RGB", classes=CLASSES, suffix=".png"):
    """A tiny fake CIFAR-10 in class-folder layout, for the bad-input tests."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for name in classes:
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                Image.fromarray(pixels).convert(mode).save(folder / f"{i}{suffix}")
    return root


# ---- Tiny runs of `fit` --------------------------------------------------------------------

QUIET = dict(device="cpu", progress=False, log=lambda *a: None)
TINY = Recipe(epochs=2, batch_size=50, max_lr=0.1)


@pytest.fixture(scope="session")
def tiny(subset_root):
    """200 images a split of the exact-pixel subset."""
    return load_cifar10(subset_root, subset=200)


def tiny_run(data, out, recipe=TINY, **kwargs):
    seed_everything(recipe.seed)
    return fit(Net(), data, recipe, out, **{**QUIET, **kwargs})


def save_checkpoint(path, model, epoch=0, history=None, recipe=None):
    """A checkpoint of `model` as a run saves it, without training: for the loading tests."""
    run = RunState.start(model, recipe or Recipe(), steps_per_epoch=10, dtype=None)
    run.history = list(history) if history else ([{"epoch": epoch}] if epoch else [])
    run.save(path)


def nan_from_step(monkeypatch, module, first):
    """Make `module`'s training step return a NaN loss from its `first`-th call on: a run that
    diverges there, without having to find a learning rate that does."""
    real, calls = module.training_step, []

    def step(*args, **kwargs):
        loss, logits = real(*args, **kwargs)
        calls.append(1)
        return (loss * float("nan") if len(calls) >= first else loss), logits

    monkeypatch.setattr(module, "training_step", step)
    return calls


def interrupt_at_epoch(monkeypatch, epoch):
    """Ctrl-C during the `epoch`-th epoch a fit trains (counted from 1 in this call)."""
    import helpers.training as training
    real, calls = training.train_epoch, []

    def train_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_epoch", train_epoch)


def without_seconds(history):
    return [{k: v for k, v in entry.items() if k != "seconds"} for entry in history]


def random_data(n=64):
    """Random pixels and labels: enough to run `fit` where what is learnt does not matter."""
    rng = np.random.default_rng(0)
    split = lambda: Split(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n))
    return CIFAR10(split(), split(), CLASSES, "random pixels", (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


# A small network in the shape of notebook 03's template: enough to train for a step or two.
STUDENT_NETWORK = '''
import torch.nn as nn


class TinyNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        block = lambda i, o, **k: nn.Sequential(nn.Conv2d(i, o, 3, padding=k.pop("padding", 1), bias=False, **k),
                                                nn.BatchNorm2d(o), nn.ReLU())
        self.c1 = block(3, width)
        self.c2 = block(width, width, stride=2)
        self.c3 = block(width, width, stride=2)
        self.c4 = block(width, width, padding=2, dilation=2)
        self.output = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))

    def forward(self, x):
        return self.output(self.c4(self.c3(self.c2(self.c1(x)))))


class FiveWay(TinyNet):
    def __init__(self):
        super().__init__()
        self.output[-1] = nn.Linear(8, 5)


class NeedsWidth(TinyNet):
    def __init__(self, width):
        super().__init__(width)


class Typo(TinyNet):
    def __init__(self):
        super().__init__()
        self.extra = nn.Conv2d(8, 8, 3, paddin=1)


class FailsInInit(TinyNet):
    def __init__(self):
        super().__init__()
        raise ValueError("a mistake of mine")


class WrongShapes(TinyNet):
    def __init__(self):
        super().__init__()
        self.output = nn.Sequential(nn.Flatten(), nn.Linear(8 * 4 * 4, 10))


class MaxPooled(TinyNet):
    def forward(self, x):
        return self.output(self.c4(self.c3(nn.functional.max_pool2d(self.c2(self.c1(x)), 1))))


class ReturnsNaN(TinyNet):
    def forward(self, x):
        return super().forward(x) * float("nan")


NotAModule = 42
'''


@pytest.fixture
def student_file(tmp_path):
    path = tmp_path / "my_net.py"
    path.write_text(STUDENT_NETWORK)
    return path
