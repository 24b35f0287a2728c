import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn as nn

import helpers.training as training
from helpers import KitError
from helpers.data import balanced_subset, load_cifar10, make_loader
from helpers.model import Net
from helpers.training import (CheckpointError, Recipe, WeightAverage, evaluate, fit, l1_penalty, load_checkpoint,
                              pick_device, save_checkpoint, seed_everything)
from tests.conftest import REPO

TINY = Recipe(epochs=2, batch_size=50, max_lr=0.1)


@pytest.fixture(scope="module")
def tiny(subset_root):
    return load_cifar10(subset_root, subset=200)


def tiny_run(data, out, recipe=TINY, **kwargs):
    seed_everything(recipe.seed)
    return fit(Net(), data, recipe, out, device="cpu", progress=False, log=lambda *a: None, **kwargs)


def without_seconds(history):
    return [{k: v for k, v in entry.items() if k != "seconds"} for entry in history]


def test_training_learns(subset, tmp_path):
    """Chance on ten classes is 10%. On the 1,017 held-out images a guesser's accuracy has a
    standard deviation of sqrt(0.1 * 0.9 / 1017) = 0.94 points, so 25% is 16 deviations above
    chance: luck cannot reach it, four short epochs of real learning do (about 35-40% here)."""
    small = type(subset)(balanced_subset(subset.train, 1000), subset.test, subset.classes,
                         subset.description, subset.mean, subset.std)
    seed_everything(0)
    history = fit(Net(), small, Recipe(epochs=4, batch_size=64, max_lr=0.1), tmp_path,
                  device="cpu", progress=False, log=lambda *a: None)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert max(h["test_acc"] for h in history) > 25.0


def test_same_seed_same_history(tiny, tmp_path):
    a = tiny_run(tiny, tmp_path / "a")
    b = tiny_run(tiny, tmp_path / "b")
    assert without_seconds(a) == without_seconds(b)
    assert len(a) == 2 and set(a[0]) >= {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"}


def test_checkpoint_holds_everything_a_resume_needs(tiny, tmp_path):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    state = load_checkpoint(tmp_path / "last.pt", Net())
    assert {"model", "optimizer", "scheduler", "scaler", "rng", "epoch", "history", "recipe", "data"} <= set(state)
    assert state["epoch"] == 1 and (tmp_path / "best.pt").exists() and (tmp_path / "metrics.json").exists()


def test_weight_average_follows_the_weights_at_its_decay():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    average = WeightAverage(model, decay=0.9)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    average.steps = 1000  # past the warm-up, where the decay is lowered
    with torch.no_grad():
        model[0].weight += 1.0
    model(torch.randn(8, 3, 5, 5))  # a training-mode pass moves BatchNorm's statistics and its counter
    average.update(model)
    state = average.model.state_dict()
    assert torch.allclose(state["0.weight"], start["0.weight"] + 0.1)  # 0.9 * old + 0.1 * (old + 1)
    assert torch.allclose(state["1.running_mean"], 0.9 * start["1.running_mean"] + 0.1 * model[1].running_mean)
    assert state["1.num_batches_tracked"] == 1  # a count is copied, not averaged
    assert not any(p.requires_grad for p in average.model.parameters())


def test_weight_average_forgets_the_random_start_quickly():
    model = nn.Linear(2, 2)
    average = WeightAverage(model, decay=0.99)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.fill_(1.0)
    average.update(model)  # first step: decay (1 + 0) / (10 + 0) = 0.1, so 90% of the new weights
    assert torch.allclose(average.model.weight, 0.1 * start + 0.9)
    average.update(model)  # second: decay 2 / 11
    assert torch.allclose(average.model.weight, 2 / 11 * (0.1 * start + 0.9) + 9 / 11)


def test_saved_weights_are_the_evaluated_ones(tiny, tmp_path):
    """best.pt holds the weight average, whose accuracy the history reports; the training weights
    are kept beside them for a resume."""
    history = tiny_run(tiny, tmp_path)
    model = Net()
    state = load_checkpoint(tmp_path / "best.pt", model)
    _, accuracy = evaluate(model, make_loader(tiny.test, 512), torch.device("cpu"), tiny.mean, tiny.std)
    assert round(accuracy, 2) == max(h["test_acc"] for h in history)
    assert state["training_model"] is not None and state["average_steps"] == state["epoch"] * (len(tiny.train) // 50)
    assert all("training_weights_test_acc" in h for h in history)
    # the last epoch also reports flip test-time augmentation, on its own key
    load_checkpoint(tmp_path / "last.pt", model)
    _, with_tta = evaluate(model, make_loader(tiny.test, 512), torch.device("cpu"), tiny.mean, tiny.std, tta=True)
    assert history[-1]["flip_tta_test_acc"] == round(with_tta, 2) and "flip_tta_test_acc" not in history[0]


def test_a_run_without_weight_average_resumes_only_without_one(tiny, tmp_path):
    plain = Recipe(epochs=2, batch_size=50, ema_decay=0)
    history = tiny_run(tiny, tmp_path, plain)
    with pytest.raises(KitError, match="resume it with --ema-decay 0"):
        tiny_run(tiny, tmp_path, Recipe(epochs=2, batch_size=50), resume=True)
    assert tiny_run(tiny, tmp_path, plain, resume=True) == history  # finished: nothing more to train


def test_a_run_is_never_overwritten(tiny, tmp_path):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    with pytest.raises(KitError, match="already holds a run"):
        tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))


def test_killed_run_resumes_to_the_uninterrupted_history(subset_root, tmp_path):
    """Kill a real `python -m helpers.train` with SIGKILL after its first epoch, resume it, and
    compare with a run that was never interrupted."""
    def command(out, *extra):
        return [sys.executable, "-m", "helpers.train", "--data-root", str(subset_root), "--subset", "200",
                "--epochs", "3", "--batch-size", "50", "--max-lr", "0.1", "--device", "cpu", "--no-progress",
                "--out", str(out), *extra]

    subprocess.run(command(tmp_path / "whole"), cwd=REPO, check=True, capture_output=True)
    killed = subprocess.Popen(command(tmp_path / "killed"), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = tmp_path / "killed" / "metrics.json"
    deadline = time.time() + 120
    while not (metrics.exists() and json.loads(metrics.read_text())["epochs"]) and time.time() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert len(json.loads(metrics.read_text())["epochs"]) < 3, "killed too late to test anything"
    resumed = subprocess.run(command(tmp_path / "killed", "--resume"), cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())["epochs"]
    again = json.loads(metrics.read_text())["epochs"]
    assert without_seconds(again) == without_seconds(whole)


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tiny, tmp_path, monkeypatch):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    before = (tmp_path / "last.pt").read_bytes()

    def torch_save_that_dies(obj, path):
        open(path, "wb").write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(training.torch, "save", torch_save_that_dies)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "last.pt", Net(), epoch=2)
    assert (tmp_path / "last.pt").read_bytes() == before
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "last.pt", Net())["epoch"] == 1


def test_truncated_and_corrupt_checkpoints_name_the_file(tiny, tmp_path):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    data = (tmp_path / "last.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    names = ["truncated.pt"]
    rng = np.random.default_rng(0)
    for i in range(300):  # random bytes fail in many ways inside torch.load (IndexError, KeyError, ...)
        names.append(f"garbage{i}.pt")
        (tmp_path / names[-1]).write_bytes(rng.integers(0, 256, 1000, dtype=np.uint8).tobytes())
    for name in names:
        with pytest.raises(CheckpointError, match=f"{name} is not a readable checkpoint"):
            load_checkpoint(tmp_path / name, Net())
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_of_another_norm_or_architecture_is_refused(tmp_path):
    save_checkpoint(tmp_path / "group.pt", Net(norm="group"))
    with pytest.raises(CheckpointError, match="norm: file 'group' vs model 'batch'"):
        load_checkpoint(tmp_path / "group.pt", Net())

    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

    save_checkpoint(tmp_path / "other.pt", Other())
    with pytest.raises(CheckpointError, match="class: file 'Other' vs model 'Net'"):
        load_checkpoint(tmp_path / "other.pt", Net())


class Payload:
    """Unpickling this would run code of the file's choosing; weights_only loading must refuse."""
    def __reduce__(self):
        return (print, ("this must never run",))


def test_checkpoints_load_without_running_code_in_them(tmp_path, capsys):
    torch.save({"model": {}, "architecture": {}, "payload": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="evil.pt is not a readable checkpoint"):
        load_checkpoint(tmp_path / "evil.pt")
    assert "must never run" not in capsys.readouterr().out


def test_bad_recipes_are_refused(tiny, tmp_path):
    with pytest.raises(KitError, match="epochs 0 is not possible"):
        tiny_run(tiny, tmp_path / "a", Recipe(epochs=0))
    with pytest.raises(KitError, match="batch size 0 is not possible"):
        tiny_run(tiny, tmp_path / "b", Recipe(epochs=1, batch_size=0))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_what_to_do():
    with pytest.raises(KitError, match="no CUDA GPU"):
        pick_device("cuda")
    messages = []
    assert pick_device("auto", log=messages.append).type == "cpu"
    assert len(messages) == 1 and "CPU" in messages[0]

