"""helpers.training: a run learns, is reproducible, resumes after a kill, never overwrites a run;
the weights it saves are the ones it evaluated; Adam and SGD both train; TensorBoard logs."""
import json
import signal
import subprocess
import sys
import time

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import helpers.training as training
from helpers import KitError
from helpers.assignment import check_assignment
from helpers.machinery.checkpoints import load_checkpoint
from helpers.data import CIFAR10, balanced_subset, load_cifar10
from helpers.machinery.device import seed_everything
from helpers.machinery.loader import eval_batches
from helpers.machinery.registry import load_network
from helpers.training import NonFiniteLoss, evaluate, fit
from helpers.model import Net
from helpers.recipe import Recipe
from tests.conftest import (QUIET, REPO, interrupt_at_epoch, nan_from_step, random_data, tiny_run,
                            without_seconds)


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


@pytest.mark.parametrize("model", ["net", "a student's network", "net with dropout"])
def test_killed_run_resumes_to_the_uninterrupted_history(subset_root, tmp_path, student_file, model):
    """Kill a real `python -m helpers.train` with SIGKILL after its first epoch, resume it, and
    compare with a run that was never interrupted: Net, a network from a student's file, and Net
    with dropout (its masks come from torch's generator, which the resume must give back as it was)."""
    options = ["--dropout", "0.1"] if model == "net with dropout" else []
    model = f"{student_file}:TinyNet" if model == "a student's network" else "net"

    def command(out, *extra):
        return [sys.executable, "-m", "helpers.train", "--data-root", str(subset_root), "--subset", "200",
                "--epochs", "3", "--batch-size", "50", "--max-lr", "0.1", "--device", "cpu", "--no-progress",
                "--model", model, *options, "--out", str(out), *extra]

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


def test_a_folder_with_results_but_no_last_pt_is_never_trained_over(tiny, tmp_path, monkeypatch):
    """Item 1: best.pt and metrics.json without last.pt (a run whose last.pt was lost). A new run
    there is refused, notebook-style resume=False too; resume=True goes on from best.pt to the
    history an uninterrupted run has."""
    whole = tiny_run(tiny, tmp_path / "whole")
    run = tmp_path / "run"
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        tiny_run(tiny, run)
    monkeypatch.undo()
    (run / "last.pt").unlink()
    kept = {name: (run / name).read_bytes() for name in ("best.pt", "metrics.json")}
    with pytest.raises(KitError, match=r"already holds a run \(best.pt, metrics.json\)"):
        tiny_run(tiny, run, resume=False)
    assert {name: (run / name).read_bytes() for name in kept} == kept
    log = []
    resumed = tiny_run(tiny, run, resume=True, log=log.append)
    assert f"resuming {run / 'best.pt'} after epoch 1" in log
    assert without_seconds(resumed) == without_seconds(whole)
    # metrics.json alone, its checkpoints gone: nothing to resume from, and nothing is started over it
    for name in ("last.pt", "best.pt"):
        (run / name).unlink()
    with pytest.raises(KitError, match="holds metrics.json but no checkpoint to resume from"):
        tiny_run(tiny, run, resume=True)


def test_resuming_with_other_data_or_settings_names_what_differs(tiny, subset_root, tmp_path):
    """Item 2: other images (another --subset, or the same count drawn differently) or another
    setting: refused, each difference named with its old and new value, and nothing else."""
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50, max_lr=0.1))
    before = (tmp_path / "last.pt").read_bytes()
    other_subset = load_cifar10(subset_root, subset=240)
    with pytest.raises(KitError, match=r"data \(--data-root, --subset\) was '[^']*subset of 200 train[^']*', "
                                       r"now '[^']*subset of 240 train"):
        tiny_run(other_subset, tmp_path, Recipe(epochs=1, batch_size=50, max_lr=0.1), resume=True)
    other_draw = load_cifar10(subset_root, subset=200, seed=1)
    with pytest.raises(KitError, match=r"subset of 200 train / 200 test images' with other images") as raised:
        tiny_run(other_draw, tmp_path, Recipe(epochs=1, batch_size=50, max_lr=0.1), resume=True)
    assert "max_lr" not in str(raised.value)
    with pytest.raises(KitError, match=r"settings: max_lr was 0.1, now 0.2\. Resume") as raised:
        tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50, max_lr=0.2), resume=True)
    assert "momentum" not in str(raised.value) and "data" not in str(raised.value).split("settings:")[1]
    assert (tmp_path / "last.pt").read_bytes() == before


def test_resuming_a_finished_run_repairs_its_metrics(tiny, tmp_path):
    """Item 3: killed between the last epoch's last.pt and its metrics.json, with a temporary file
    left: --resume writes metrics.json from the checkpoint's history and removes the leftover."""
    history = tiny_run(tiny, tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    (tmp_path / "metrics.json").write_text(json.dumps({**metrics, "epochs": metrics["epochs"][:-1]}))
    (tmp_path / "metrics.json.tmp").write_bytes(b"")
    log = []
    assert tiny_run(tiny, tmp_path, resume=True, log=log.append) == history
    assert json.loads((tmp_path / "metrics.json").read_text())["epochs"] == history
    assert not list(tmp_path.glob("*.tmp"))
    assert any("is complete (2 epochs); metrics.json written from its checkpoint" in line for line in log)


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tiny, tmp_path, monkeypatch):
    """Item 5: the loss turns NaN in epoch 2 (4 steps an epoch): the run stops with one message
    naming the epoch and the causes; last.pt, best.pt and metrics.json stay those of epoch 1."""
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        tiny_run(tiny, tmp_path)
    monkeypatch.undo()
    kept = {name: (tmp_path / name).read_bytes() for name in ("last.pt", "best.pt", "metrics.json")}
    nan_from_step(monkeypatch, training, first=2)
    with pytest.raises(NonFiniteLoss) as raised:
        tiny_run(tiny, tmp_path, resume=True)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("epoch 2: the training loss became nan by step 4")
    assert "learning rate is too high" in message and "forward pass returns NaN" in message
    assert "the last one of epoch 1" in message
    assert {name: (tmp_path / name).read_bytes() for name in kept} == kept


def test_a_network_that_returns_nan_saves_nothing(student_file, tmp_path):
    model = load_network(f"{student_file}:ReturnsNaN")()
    with pytest.raises(NonFiniteLoss, match="epoch 1: the training loss became nan .* no checkpoint was written"):
        fit(model, random_data(), Recipe(epochs=1, batch_size=16), tmp_path / "run", **QUIET)
    assert not list((tmp_path / "run").iterdir())


class MaxPoolNet(Net):
    """Net with an nn.MaxPool2d after C1."""
    def __init__(self):
        super().__init__(widths=(8, 16, 16, 16))
        self.c1.append(nn.MaxPool2d(3, stride=1, padding=1))


class FunctionalMaxPoolNet(Net):
    """Net with F.max_pool2d in its forward."""
    def __init__(self):
        super().__init__(widths=(8, 16, 16, 16))

    def features(self, x):
        return self.c4(self.c3(self.c2(F.max_pool2d(self.c1(x), 3, stride=1, padding=1))))


@pytest.mark.parametrize("network, rule", [
    (lambda: Net(widths=(32, 64, 128, 256)), "parameters under 200,000"),
    (MaxPoolNet, "no max-pooling"),
    (FunctionalMaxPoolNet, "no max-pooling"),
])
def test_a_network_that_breaks_a_rule_trains_and_says_so_first(tmp_path, network, rule):
    """Item 7: the rules checked before training; the first line of the log and metrics.json name
    the rules broken, and the run still trains."""
    torch.manual_seed(0)
    model = network()
    broken = [check.rule for check in check_assignment(model) if check.passed is False and check.kind == "rule"]
    assert rule in broken
    log = []
    history = fit(model, random_data(), Recipe(epochs=1, batch_size=16), tmp_path, device="cpu", progress=False,
                  log=log.append)
    assert len(history) == 1
    assert log[0].startswith(f"assignment: this network breaks {len(broken)} rule(s): {'; '.join(broken)}; 1 not checked "
                             f"before training.")  # the accuracy: no run yet
    assert json.loads((tmp_path / "metrics.json").read_text())["assignment_rules_broken"] == broken


def test_a_network_that_keeps_the_rules_says_so_first(tmp_path):
    log = []
    fit(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(epochs=1, batch_size=16), tmp_path, device="cpu",
        progress=False, log=log.append)
    assert log[0] == "assignment: every rule checked before training passes; 1 not checked before training"
    assert json.loads((tmp_path / "metrics.json").read_text())["assignment_rules_broken"] == []
