"""CIFAR-10 in memory: load once as uint8, take balanced subsets, compute mean and std.

Two layouts are read:
  * torchvision's CIFAR-10 (`cifar-10-batches-py/` under the root, downloaded if allowed);
  * class folders, as `torchvision.datasets.ImageFolder` reads them:
    `ROOT/train/<class>/*.png` and `ROOT/test/<class>/*.png`, class names as folder names.

Either way every image is decoded once into one uint8 array of shape (N, 32, 32, 3): 50,000
CIFAR-10 images are 150 MB, and slicing an array is far cheaper than opening files per sample.
Batches of it: loader.py.
"""
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from helpers import KitError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SIZE = 32
DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "data"  # the kit's data/ folder (ignored by git)


class DataError(KitError):
    """The data root is missing or malformed; the message names the path and the fix."""


@dataclass
class Split:
    images: np.ndarray  # (N, 32, 32, 3) uint8, RGB
    labels: np.ndarray  # (N,) int64, index into CLASSES

    def __len__(self):
        return len(self.labels)


@dataclass
class CIFAR10:
    train: Split
    test: Split
    classes: tuple
    description: str  # what this is, for plots and metrics.json: "CIFAR-10 (JPEG copy), subset ..."
    mean: tuple  # per channel, in [0, 1], from the training split
    std: tuple


def resolve_root(root=None):
    """The data root: the argument, else $CIFAR10_ROOT, else the kit's data/ folder (every notebook
    and command shares it). Returns (path, was_given)."""
    if root is not None:
        return Path(root).expanduser(), True
    if os.environ.get("CIFAR10_ROOT"):
        return Path(os.environ["CIFAR10_ROOT"]).expanduser(), True
    return Path(DEFAULT_ROOT), False


def load_cifar10(root=None, download=None, subset=None, seed=0):
    """Load both splits into memory. `subset=N` keeps N class-balanced images a split (all of the
    test split when it has fewer).

    `download=None` downloads only into the default data/ folder; a root you name must hold the data
    already unless you pass download=True.
    """
    path, was_given = resolve_root(root)
    if download is None:
        download = not was_given
    if (path / "train").is_dir() or (path / "test").is_dir():
        train, test, description = _read_class_folder_root(path)
    else:
        train, test, description = _read_torchvision(path, download)
    if subset is not None:
        train = balanced_subset(train, subset, seed, "train")
        test = balanced_subset(test, min(subset, len(test)), seed, "test")  # a smaller test split is kept whole
        description += f", subset of {len(train)} train / {len(test)} test images"
    mean, std = channel_stats(train.images)
    return CIFAR10(train, test, CLASSES, description, mean, std)


def add_data_options(parser, subset_help):
    """--data-root, --download and --subset, as every command of the kit takes them."""
    parser.add_argument("--data-root", help="CIFAR-10 folder (torchvision's, or train/ and test/ class folders); "
                                            "default: $CIFAR10_ROOT, else the kit's data/ folder, downloaded there once")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 into --data-root if it is not there")
    parser.add_argument("--subset", type=int, help=subset_help)


def _read_torchvision(path, download):
    import torchvision  # imported here: class-folder users never need it

    if not path.exists() and not download:
        raise DataError(
            f"no CIFAR-10 under {path}: the folder does not exist. Set CIFAR10_ROOT (or pass "
            f"data_root / --data-root) to a folder with train/ and test/ class folders or "
            f"torchvision's cifar-10-batches-py, or allow the download (download=True, --download)."
        )
    try:
        train = torchvision.datasets.CIFAR10(str(path), train=True, download=download)
        test = torchvision.datasets.CIFAR10(str(path), train=False, download=download)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        raise DataError(
            f"no CIFAR-10 under {path} ({error}). Set CIFAR10_ROOT (or data_root / --data-root) "
            f"to a folder that has it, or allow the download (download=True, --download)."
        ) from None
    except OSError as error:  # no network, disk full, ...
        raise DataError(
            f"could not download CIFAR-10 into {path} ({error}). Check the internet connection, "
            f"or set CIFAR10_ROOT to a folder that already has it."
        ) from None
    as_split = lambda ds: Split(np.asarray(ds.data, np.uint8), np.asarray(ds.targets, np.int64))
    return as_split(train), as_split(test), "CIFAR-10"


def _read_class_folder_root(path):
    train = read_class_folders(path / "train")
    test = read_class_folders(path / "test")
    files = [f for d in (path / "train").iterdir() if d.is_dir() for f in d.iterdir()][:1]
    # The offline stand-in for CIFAR-10 is a JPEG re-encoding: its results must never be read
    # as CIFAR-10 results, so the description says which it is.
    if files and files[0].suffix.lower() in (".jpg", ".jpeg"):
        name = "CIFAR-10 (JPEG copy)"
    else:
        name = f"CIFAR-10 class folders ({path.resolve().name})"
    return train, test, name


def read_class_folders(split_dir):
    """Decode `split_dir/<class>/*` into a Split. Grayscale and RGBA images are converted to RGB;
    any other size than 32x32 is refused, as are files that are not images."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise DataError(
            f"{split_dir} is missing: a class-folder root needs train/ and test/, each with one "
            f"folder per class ({', '.join(CLASSES)})."
        )
    found = sorted(d.name for d in split_dir.iterdir() if d.is_dir() and not d.name.startswith("."))
    unknown = [name for name in found if name not in CLASSES]
    if unknown:
        raise DataError(
            f"{split_dir} has folders that are not CIFAR-10 classes: {', '.join(unknown)}. "
            f"Rename or remove them; the classes are {', '.join(CLASSES)}."
        )
    missing = [name for name in CLASSES if name not in found]
    if missing:
        raise DataError(
            f"{split_dir} lacks class folders {', '.join(missing)}: each of the ten classes "
            f"needs a folder of images, even on a subset."
        )
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        files = sorted(f for f in (split_dir / name).iterdir() if f.is_file() and not f.name.startswith("."))
        if not files:
            raise DataError(f"{split_dir / name} is empty: put that class's images in it.")
        images += [_read_image(f) for f in files]
        labels += [label] * len(files)
    return Split(np.stack(images), np.asarray(labels, np.int64))


def _read_image(file):
    try:
        with Image.open(file) as image:
            image = image.convert("RGB")  # grayscale, palette, RGBA → RGB; RGB stays as it is
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"{file} is not a readable image ({error}): remove it from the data folder.") from None
    if image.size != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(
            f"{file} is {image.size[0]}x{image.size[1]}, not 32x32: the kit refuses other sizes "
            f"(the network and its receptive field are built for 32x32). Resize or remove it."
        )
    return np.asarray(image, np.uint8)


def balanced_subset(split, n, seed=0, name="split"):
    """`n` images chosen class by class in turn (so balanced as far as the classes allow),
    the same ones for the same seed."""
    if n <= 0 or n > len(split):
        raise DataError(f"subset {n} is not possible: the {name} split has {len(split)} images; ask for 1 to {len(split)}.")
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(split.labels == c)) for c in np.unique(split.labels)]
    # Round-robin over the shuffled classes: the k-th pick of every class before any (k+1)-th.
    order = [idx[k] for k in range(max(map(len, per_class))) for idx in per_class if k < len(idx)]
    keep = np.sort(np.asarray(order[:n]))
    return Split(split.images[keep], split.labels[keep])


def channel_stats(images):
    """Per-channel mean and std of uint8 images (N, H, W, 3), in [0, 1] units."""
    pixels = images.reshape(-1, images.shape[-1])
    mean = pixels.mean(axis=0, dtype=np.float64) / 255
    std = pixels.std(axis=0, dtype=np.float64) / 255
    return tuple(round(float(m), 4) for m in mean), tuple(round(float(s), 4) for s in std)


def class_counts(split, classes=CLASSES):
    return {name: int((split.labels == i).sum()) for i, name in enumerate(classes)}
