import numpy as np
import pytest

from helpers.data import (CLASSES, DataError, balanced_subset, channel_stats, class_counts,
                          load_cifar10, resolve_root)
from tests.conftest import REPO, make_class_folders


def test_subset_root_loads_as_uint8_arrays(subset, subset_root):
    files = lambda split: sum(1 for f in (subset_root / split).glob("*/*") if f.is_file())
    assert subset.train.images.shape == (files("train"), 32, 32, 3)
    assert subset.test.images.shape == (files("test"), 32, 32, 3)
    assert subset.train.images.dtype == np.uint8 and subset.train.labels.dtype == np.int64
    assert set(np.unique(subset.train.labels)) == set(range(10))
    assert subset.classes == CLASSES
    assert "class folders" in subset.description
    assert sum(class_counts(subset.train).values()) == len(subset.train)


def test_mean_and_std_are_computed_from_the_training_split(subset):
    # CIFAR-10's well-known statistics; the subset is 8% of the training set, so close, not equal.
    assert np.allclose(subset.mean, (0.491, 0.482, 0.447), atol=0.02)
    assert np.allclose(subset.std, (0.247, 0.243, 0.261), atol=0.02)


def test_channel_stats_by_hand():
    images = np.zeros((2, 4, 4, 3), np.uint8)
    images[0] = 255  # half the pixels white, half black: mean 0.5 and std 0.5 in every channel
    images[:, :, :, 2] = 51  # blue constant 51/255 = 0.2, std 0
    mean, std = channel_stats(images)
    assert mean == (0.5, 0.5, 0.2) and std == (0.5, 0.5, 0.0)


def test_balanced_subset_is_balanced_and_reproducible(subset):
    a = balanced_subset(subset.train, 200, seed=1)
    assert len(a) == 200 and np.all(np.bincount(a.labels) == 20)
    b = balanced_subset(subset.train, 200, seed=1)
    c = balanced_subset(subset.train, 200, seed=2)
    assert np.array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    # The test split's smallest class (cat) has 91 images: 1000 cannot give 100 a class, so the
    # other classes make up the difference and the subset still has 1000 images.
    d = balanced_subset(subset.test, 1000)
    assert len(d) == 1000 and np.bincount(d.labels).min() == np.bincount(subset.test.labels).min()


def test_subset_larger_than_the_data_is_refused(subset, subset_root):
    with pytest.raises(DataError, match=f"the train split has {len(subset.train)} images"):
        load_cifar10(subset_root, subset=len(subset.train) + 1)


def test_subset_keeps_a_smaller_test_split_whole(subset, subset_root):
    n = len(subset.test) + 500  # more than the test split holds
    data = load_cifar10(subset_root, subset=n)
    assert len(data.train) == n and len(data.test) == len(subset.test)


def test_root_comes_from_argument_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "env"))
    assert resolve_root(tmp_path / "arg") == (tmp_path / "arg", True)
    assert resolve_root() == (tmp_path / "env", True)
    monkeypatch.delenv("CIFAR10_ROOT")
    assert resolve_root() == (REPO / "data", False)  # the kit's data/ folder, wherever the notebook runs


# ---- bad input: each is one clear error that names the path and the fix ----

def test_missing_root_names_the_path_and_the_ways_out(tmp_path):
    with pytest.raises(DataError) as error:
        load_cifar10(tmp_path / "nowhere")
    message = str(error.value)
    assert str(tmp_path / "nowhere") in message and "CIFAR10_ROOT" in message and "download" in message


def test_missing_class_folder(tmp_path):
    make_class_folders(tmp_path, classes=CLASSES[:-1])
    with pytest.raises(DataError, match="lacks class folders truck"):
        load_cifar10(tmp_path)


def test_empty_class_folder(tmp_path):
    make_class_folders(tmp_path)
    for f in (tmp_path / "test" / "dog").iterdir():
        f.unlink()
    with pytest.raises(DataError, match=r"test/dog is empty"):
        load_cifar10(tmp_path)


def test_unknown_class_folder(tmp_path):
    make_class_folders(tmp_path)
    (tmp_path / "train" / "unicorn").mkdir()
    with pytest.raises(DataError, match="not CIFAR-10 classes: unicorn"):
        load_cifar10(tmp_path)


def test_file_that_is_not_an_image(tmp_path):
    make_class_folders(tmp_path)
    (tmp_path / "train" / "cat" / "notes.txt").write_text("not an image")
    with pytest.raises(DataError, match=r"notes.txt is not a readable image"):
        load_cifar10(tmp_path)


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_grayscale_and_rgba_images_are_converted_to_rgb(tmp_path, mode):
    make_class_folders(tmp_path, mode=mode)
    data = load_cifar10(tmp_path)
    assert data.train.images.shape == (20, 32, 32, 3)
    if mode == "L":  # a gray image becomes three equal channels
        assert np.array_equal(data.train.images[..., 0], data.train.images[..., 2])


def test_other_image_sizes_are_refused(tmp_path):
    make_class_folders(tmp_path, size=64)
    with pytest.raises(DataError, match="is 64x64, not 32x32"):
        load_cifar10(tmp_path)


def test_jpeg_folders_are_labelled_as_the_jpeg_copy(tmp_path):
    make_class_folders(tmp_path, suffix=".jpg")
    assert load_cifar10(tmp_path).description.startswith("CIFAR-10 (JPEG copy")


# ---- loaders ----
