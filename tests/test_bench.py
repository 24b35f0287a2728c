"""The benchmark on the exact-pixel subset, with time windows far too short to mean anything: these
tests check that every figure is there and consistent, not how fast the machine is (a shared CI
machine is too noisy to assert the loader's 2x speed-up)."""
import dataclasses
import json
import subprocess
import sys

import pytest
import torch

from tools.bench.cli import main
from tools.bench.measure import measure_epoch, measure_kit_loader, measure_seed_style_loader, training_settings
from tools.bench.baseline_loader import SeedStyleCIFAR10, seed_style_transforms
from helpers.data import balanced_subset
from helpers.machinery.device import lower_precision
from tests.conftest import REPO


@pytest.fixture(scope="module")
def small(subset):
    """500 training and 200 test images of the subset: enough for a few batches of each loader."""
    return dataclasses.replace(subset, train=balanced_subset(subset.train, 500),
                               test=balanced_subset(subset.test, 200))


def positive_numbers(value):
    """Every number in a nested dict or list of results."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in positive_numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in positive_numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_seed_style_dataset_hands_out_what_the_write_ups_got(small):
    dataset = SeedStyleCIFAR10(small.train, seed_style_transforms(small.mean, small.std))
    image, label = dataset[0]
    assert isinstance(image, torch.Tensor) and image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert isinstance(label, int) and label == small.train.labels[0]
    assert -3 < image.mean() < 3  # normalised, not 0-255
    names = [type(t).__name__ for t in dataset.transform.transforms]
    assert names == ["HorizontalFlip", "Affine", "CoarseDropout", "Normalize", "ToTensorV2"]


def test_every_loader_delivers_and_is_timed(small):
    cpu = torch.device("cpu")
    kit = measure_kit_loader(small, cpu, batch_size=64, workers=2, seconds=0.3)
    on_device = measure_kit_loader(small, cpu, batch_size=64, workers=2, seconds=0.3, augment_on="device")
    seed_style = measure_seed_style_loader(small, cpu, seconds=0.3)
    assert kit["batch_size"] == 64 and kit["workers"] == 2 and kit["augment_on"] == "workers"
    assert on_device["batch_size"] == 64 and "workers" not in on_device and on_device["augment_on"] == "device"
    assert seed_style["batch_size"] == 128 and seed_style["workers"] == 2
    for result in (kit, on_device, seed_style):
        assert result["images"] > 0 and result["seconds"] >= 0.3 and result["cpu_us_per_image"] > 0


def test_command_line_measures_everything_and_writes_json(subset_root, tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-m", "tools.bench",
                           "--data-root", str(subset_root), "--subset", "300", "--device", "cpu",
                           "--batch-size", "32", "--eval-batch-size", "64", "--workers", "2",
                           "--seconds", "0.2", "--rounds", "1", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert set(results) >= {"machine", "data", "settings", "loaders", "loader_speedup_ratio", "on_device_speedup_ratio",
                            "training_step", "evaluation", "epoch_estimate", "epoch_estimate_on_device"}
    assert set(results["loaders"]) == {"kit", "kit_on_device", "seed_style"}
    assert results["machine"]["torch_threads"] == 2  # as Colab has
    assert results["settings"]["batch_size"] == 32 and results["data"]["train_images"] == 300
    numbers = positive_numbers({k: v for k, v in results.items() if k != "machine"})
    assert numbers and all(n > 0 for n in numbers)

    # float32 first, then channels-last, then (where the CPU has bfloat16) mixed precision: the last is the kit's
    names = [name for name, _, _ in training_settings(torch.device("cpu"))]
    assert names[:2] == ["float32", "float32, channels-last"] and len(names) == 2 + (lower_precision(torch.device("cpu")) is not None)
    assert list(results["training_step"]) == names and results["kit_training_setting"] == names[-1]
    epoch, on_device = results["epoch_estimate"], results["epoch_estimate_on_device"]
    assert epoch["evaluations"] == 2  # the default recipe evaluates its weight average and its training weights
    # augmented on the device, the device augments and then steps: the two times add up
    assert on_device["train_seconds"] == pytest.approx(on_device["loader_seconds"] + on_device["training_step_seconds"])

    assert "loader speed-up (kit / seed-style)" in done.stdout
    assert f"{results['loader_speedup_ratio']:.2f}x" in done.stdout
    assert f"bound by the {epoch['bound_by']}" in done.stdout
    assert "augmented on the cpu (split there)" in done.stdout


def test_command_line_refuses_what_it_cannot_do(subset_root, capsys):
    assert main(["--data-root", str(subset_root), "--seconds", "0"]) == 2
    assert "--seconds 0 is not possible" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["--data-root", str(subset_root), "--device", "cuda"]) == 2
        assert "no CUDA GPU" in capsys.readouterr().err


@pytest.mark.parametrize("augment_on", ["workers", "device"])
def test_a_real_epoch_is_timed(small, augment_on):
    tiny = dataclasses.replace(small, train=balanced_subset(small.train, 40), test=balanced_subset(small.test, 20))
    epoch = measure_epoch(tiny, torch.device("cpu"), batch_size=16, workers=0, augment_on=augment_on)
    assert epoch["augment_on"] == augment_on
    assert epoch["train_images"] == 32 and epoch["test_images"] == 20  # the last, partial batch is dropped
    assert epoch["evaluations"] == 2  # the weight average and the training weights, as fit evaluates
    assert 0 < epoch["train_seconds"] < epoch["seconds"]
    assert epoch["seconds"] == pytest.approx(epoch["train_seconds"] + epoch["evaluation_seconds"])
