"""helpers.training: a run learns, is reproducible, resumes after a kill, never overwrites a run;
the weights it saves are the ones it evaluated; Adam and SGD both train; TensorBoard logs."""
import json
import signal
import subprocess
import sys
import time

import pytest

from helpers import KitError
from helpers.machinery.checkpoints import load_checkpoint
from helpers.data import CIFAR10, balanced_subset
from helpers.machinery.device import seed_everything
from helpers.machinery.loader import eval_batches
from helpers.training import evaluate, fit
from helpers.model import Net
from helpers.recipe import Recipe
from tests.conftest import QUIET, REPO, random_data, tiny_run, without_seconds


def test_training_learns(subset, tmp_path):
    """Chance on ten classes is 10%. On the 1,017 held-out images a guesser's accuracy has a
    standard deviation of sqrt(0.1 * 0.9 / 1017) = 0.94 points, so 25% is 16 deviations above
    chance: luck cannot reach it, four short epochs of real learning do (about 35-40% here)."""
    small = type(subset)(balanced_subset(subset.train, 1000), subset.test, subset.classes,
                         subset.description, subset.mean, subset.std)
    seed_everything(0)
    history = fit(Net(), small, Recipe(epochs=4, batch_size=64, max_lr=0.1), tmp_path,
                  **QUIET)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert max(h["test_acc"] for h in history) > 25.0


def test_same_seed_same_history(tiny, tmp_path):
    a = tiny_run(tiny, tmp_path / "a")
    b = tiny_run(tiny, tmp_path / "b")
    assert without_seconds(a) == without_seconds(b)
    assert len(a) == 2 and set(a[0]) >= {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"}


def test_saved_weights_are_the_evaluated_ones(tiny, tmp_path):
    """best.pt holds the weight average, whose accuracy the history reports; the training weights
    are kept beside them for a resume."""
    history = tiny_run(tiny, tmp_path)
    model = Net()
    state = load_checkpoint(tmp_path / "best.pt", model)
    _, accuracy = evaluate(model, eval_batches(tiny, "cpu"))
    assert round(accuracy, 2) == max(h["test_acc"] for h in history)
    assert state["training_model"] is not None and state["average_steps"] == state["epoch"] * (len(tiny.train) // 50)
    assert all("training_weights_test_acc" in h for h in history)
    # the last epoch also reports flip test-time augmentation, on its own key
    load_checkpoint(tmp_path / "last.pt", model)
    _, with_tta = evaluate(model, eval_batches(tiny, "cpu"), tta=True)
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


@pytest.mark.parametrize("model", ["net", "a student's network"])
def test_killed_run_resumes_to_the_uninterrupted_history(subset_root, tmp_path, student_file, model):
    """Kill a real `python -m helpers.train` with SIGKILL after its first epoch, resume it, and
    compare with a run that was never interrupted: Net, and a network from a student's file."""
    model = "net" if model == "net" else f"{student_file}:TinyNet"

    def command(out, *extra):
        return [sys.executable, "-m", "helpers.train", "--data-root", str(subset_root), "--subset", "200",
                "--epochs", "3", "--batch-size", "50", "--max-lr", "0.1", "--device", "cpu", "--no-progress",
                "--model", model, "--out", str(out), *extra]

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


def test_bad_recipes_are_refused(tiny, tmp_path):
    with pytest.raises(KitError, match="epochs 0 is not possible"):
        tiny_run(tiny, tmp_path / "a", Recipe(epochs=0))
    with pytest.raises(KitError, match="batch size 0 is not possible"):
        tiny_run(tiny, tmp_path / "b", Recipe(epochs=1, batch_size=0))


@pytest.fixture(scope="module")
def small(subset):
    """500 training and 200 test images of the real subset."""
    return CIFAR10(balanced_subset(subset.train, 500), balanced_subset(subset.test, 200), subset.classes,
                   subset.description, subset.mean, subset.std)


@pytest.mark.parametrize("optimizer, max_lr", [("sgd", 0.2), ("adam", 0.01)])
def test_adam_and_sgd_both_train(small, tmp_path, optimizer, max_lr):
    """Three epochs on 500 images, without augmentation so that the loss has only the model to
    follow. Chance gives a loss of about 2.30; each optimiser brings it down by about 0.3 here,
    so a drop of 0.1 is learning, not noise. A narrow Net keeps the test to seconds."""
    seed_everything(0)
    recipe = Recipe(optimizer=optimizer, max_lr=max_lr, epochs=3, batch_size=64,
                    flip=False, shift_scale_rotate=False, coarse_dropout=False)
    history = fit(Net(widths=(8, 16, 32, 32)), small, recipe, tmp_path, **QUIET)
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < losses[0] - 0.1, losses


def test_tensorboard_event_files_are_written(tmp_path):
    seed_everything(0)
    fit(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(epochs=1, batch_size=16), tmp_path / "run",
        tensorboard_dir=tmp_path / "tb", **QUIET)
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_tensorboard_missing_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now raises ImportError
    with pytest.raises(KitError, match="pip install tensorboard"):
        fit(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(epochs=1, batch_size=16), tmp_path / "run",
            tensorboard_dir=tmp_path / "tb", **QUIET)
