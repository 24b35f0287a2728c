"""Shared fixtures. The real-data tests use the exact-pixel CIFAR-10 subset that stands beside the
repository (../shared/data/cifar10-subset) or whatever $CIFAR10_ROOT names."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.data import CLASSES, load_cifar10

REPO = Path(__file__).resolve().parents[1]
SUBSET_ROOT = Path(os.environ.get("CIFAR10_ROOT") or REPO.parent / "shared" / "data" / "cifar10-subset")


@pytest.fixture(scope="session")
def subset_root():
    if not (SUBSET_ROOT / "train").is_dir():
        pytest.skip(f"no class-folder CIFAR-10 at {SUBSET_ROOT}: set CIFAR10_ROOT")
    return SUBSET_ROOT


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
