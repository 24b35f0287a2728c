"""helpers.training.RunState and its checkpoint (machinery/checkpoints.py): what "the same data" and "the same recipe" mean to a resume, and
that a refusal names each difference, old and new, and nothing else."""
from dataclasses import asdict

import pytest

from helpers.data import CIFAR10, Split
from helpers.machinery.checkpoints import CheckpointError, export_weights
from helpers.machinery.checkpoints import _differences, data_identity
from helpers.training import RunState
from helpers.model import Net
from helpers.recipe import Recipe
from tests.conftest import random_data, save_checkpoint


def with_train(data, images=None, labels=None):
    train = Split(data.train.images if images is None else images, data.train.labels if labels is None else labels)
    return CIFAR10(train, data.test, data.classes, data.description, data.mean, data.std)


def test_the_data_identity_tells_other_images_apart():
    data = random_data()
    same = random_data()
    assert data_identity(data) == data_identity(same)
    one_pixel = data.train.images.copy()
    one_pixel[5, 8, 12, 0] ^= 1  # a pixel the digest samples (every 4th row and column)
    relabelled = data.train.labels.copy()
    relabelled[0] = (relabelled[0] + 1) % 10
    fewer = with_train(data, data.train.images[:-1], data.train.labels[:-1])
    for other in (with_train(data, one_pixel), with_train(data, labels=relabelled), fewer):
        assert data_identity(other) != data_identity(data)


def test_differences_name_each_setting_and_the_data_old_and_new():
    data, recipe = random_data(), Recipe()
    state = {"recipe": asdict(recipe), "data": {"identity": data_identity(data)}}
    assert _differences(state, recipe, data_identity(data)) == []
    other = Recipe(max_lr=0.05, epochs=10)
    assert sorted(_differences(state, other, data_identity(data))) == ["epochs was 30, now 10", "max_lr was 0.2, now 0.05"]
    renamed = CIFAR10(data.train, data.test, data.classes, "other pixels, subset of 64", data.mean, data.std)
    (line,) = _differences(state, recipe, data_identity(renamed))
    assert line == "data (--data-root, --subset) was 'random pixels', now 'other pixels, subset of 64'"
    (line,) = _differences(state, recipe, data_identity(with_train(data, 255 - data.train.images)))
    assert line.endswith("now 'random pixels' with other images")


def test_a_file_of_exported_weights_cannot_be_resumed(tmp_path):
    save_checkpoint(tmp_path / "best.pt", Net(widths=(8, 16, 16, 16)))
    export_weights(tmp_path / "best.pt", tmp_path / "shipped.pt")
    run = RunState.start(Net(widths=(8, 16, 16, 16)), Recipe(ema_decay=0), steps_per_epoch=10, dtype=None,
                         data=random_data())
    with pytest.raises(CheckpointError, match="holds trained weights but not a run's state"):
        run.resume(tmp_path / "shipped.pt", "cpu")
