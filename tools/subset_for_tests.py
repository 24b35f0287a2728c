"""The data the tests run on: $CIFAR10_ROOT when it is set (CI sets it to the exact-pixel subset
beside the repository), else a small class-folder subset made once from CIFAR-10, which
torchvision downloads into the kit's data/ folder the first time (170 MB).

    python -m tools.subset_for_tests     # make it now; prints its folder
"""
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from helpers.data import CLASSES, DEFAULT_ROOT, DataError, load_cifar10

SUBSET_ROOT = DEFAULT_ROOT / "subset-for-tests"
PER_CLASS = {"train": 400, "test": 100}  # 4,000 training and 1,000 test images, the first of each class


def subset_for_tests():
    """The folder the tests use, made if need be. Raises DataError (one line) when there is no
    CIFAR-10 to make it from and no network to download it."""
    if os.environ.get("CIFAR10_ROOT"):
        root = Path(os.environ["CIFAR10_ROOT"])
        if not root.exists():
            raise DataError(f"CIFAR10_ROOT={root} does not exist: set it to a CIFAR-10 folder, or unset it to let "
                            f"the tests download CIFAR-10")
        return root
    if (SUBSET_ROOT / "test" / CLASSES[-1]).is_dir():
        return SUBSET_ROOT
    try:
        data = load_cifar10(DEFAULT_ROOT, download=True)
    except DataError as error:
        raise DataError(f"the tests need CIFAR-10 and found none: set CIFAR10_ROOT to a copy, or connect to the "
                        f"internet so that torchvision can download it into {DEFAULT_ROOT} ({error})") from None
    for name, split in (("train", data.train), ("test", data.test)):
        for label, class_name in enumerate(CLASSES):
            folder = SUBSET_ROOT / name / class_name
            folder.mkdir(parents=True, exist_ok=True)
            for index in np.flatnonzero(split.labels == label)[:PER_CLASS[name]]:
                Image.fromarray(split.images[index]).save(folder / f"{index:05d}.png")  # PNG: exact pixels
    return SUBSET_ROOT


def use_subset_for_tests():
    """For the conftests: point CIFAR10_ROOT at the subset (the notebooks' kernels inherit it), or
    stop the test run with one line that says what is missing."""
    import pytest

    try:
        os.environ["CIFAR10_ROOT"] = str(subset_for_tests())
    except DataError as error:
        pytest.exit(f"no data to test with: {error}", returncode=4)


if __name__ == "__main__":
    try:
        print(subset_for_tests())
    except DataError as error:
        sys.exit(f"error: {error}")
