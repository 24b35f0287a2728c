"""Issue 28, "Nothing lost, second pass": one test (or more) per kind of what a careless user
still broke. Fast: the random-pixel data and tiny networks of conftest, seconds each."""
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import helpers.machinery.checkpoints as checkpoints
import helpers.training as training
from helpers import KitError
from helpers.lr_range_test import lr_range_test, suggest_max_lr
from helpers.machinery.checkpoints import (CheckpointError, LOCK_FILE, holding_run_folder, load_checkpoint,
                                           load_trained, prepare_run_folder)
from helpers.machinery.device import seed_everything
from helpers.machinery.reference import SHIPPED_WEIGHTS, trained_checkpoint
from helpers.machinery.registry import load_network, network_changes, network_record
from helpers.machinery.checkpoints import data_identity
from helpers.training import RunState
from helpers.model import Net
from helpers.recipe import Recipe
from helpers.train.cli import main, parse_args
from helpers.training import NonFiniteLoss, fit
from tests.conftest import QUIET, REPO, interrupt_at_epoch, random_data, save_checkpoint, without_seconds

SMALL = (8, 16, 16, 16)
TWO = Recipe(epochs=2, batch_size=16, max_lr=0.1)  # 4 steps an epoch on random_data()


def small_fit(out, recipe=TWO, model=None, dropout=0.0, **kwargs):
    seed_everything(recipe.seed)
    model = model() if model else Net(widths=SMALL, dropout=dropout)
    return fit(model, random_data(), recipe, out, **{**QUIET, **kwargs})


def one_line_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# ---- 1. only the kit's own temporary files are ever removed ---------------------------------

def test_only_the_kits_own_temporary_files_are_removed(tmp_path):
    out = tmp_path / "run"
    (out / "cache.tmp").mkdir(parents=True)
    for name in ("thesis.tmp", ".write-test", "notes.pt.tmp", "last.pt.tmp", "metrics.json.tmp"):
        (out / name).write_text("mine")
    (out / "best.pt.tmp").mkdir()  # a folder of a kit's name: not the kit's, never removed
    with holding_run_folder():
        prepare_run_folder(out, resume=False)
    assert sorted(p.name for p in out.iterdir()) == [".write-test", "best.pt.tmp", "cache.tmp", "notes.pt.tmp",
                                                     "thesis.tmp"]
    # a refused run touches nothing of the user's either
    (out / "metrics.json").write_text("{}")
    with holding_run_folder(), pytest.raises(KitError, match="already holds a run"):
        prepare_run_folder(out, resume=False)
    assert (out / "thesis.tmp").read_text() == "mine" and (out / "cache.tmp").is_dir()


# ---- 2. an --out that names no folder --------------------------------------------------------

@pytest.mark.parametrize("out", ["", "   ", None])
def test_an_out_that_names_no_folder_is_refused(tmp_path, out, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with holding_run_folder(), pytest.raises(KitError, match="names no folder"):
        prepare_run_folder(out, resume=False)
    assert not list(tmp_path.iterdir())


def test_an_empty_out_from_the_command_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(capsys, ["--data-root", str(random_data_root(tmp_path)), "--out", "", "--subset", "20",
                                   "--epochs", "1", "--batch-size", "4", "--device", "cpu", "--no-progress"])
    assert "--out '' names no folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def random_data_root(tmp_path):
    from tests.conftest import make_class_folders
    return make_class_folders(tmp_path / "data", per_class=4)


# ---- 3. one run at a time in a folder; a kill -9 leaves it free ------------------------------

def test_a_second_run_in_a_held_folder_is_refused_in_one_line(tmp_path):
    out = tmp_path / "run"
    with holding_run_folder():
        prepare_run_folder(out, resume=False)
        with pytest.raises(KitError, match=r"is in use: a run of PID \d+ on .* is training in it") as raised:
            prepare_run_folder(out, resume=True)
        assert "\n" not in str(raised.value)
    assert not (out / LOCK_FILE).exists()  # let go when the run ended: the next one may start
    with holding_run_folder():
        prepare_run_folder(out, resume=True)


def test_a_run_killed_with_sigkill_leaves_its_folder_free(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from helpers.machinery.checkpoints import prepare_run_folder\n"
                               "prepare_run_folder(sys.argv[1], False); print('held', flush=True); time.sleep(60)",
                               str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with holding_run_folder(), pytest.raises(KitError, match=f"PID {holder.pid} .* is training in it"):
        prepare_run_folder(out, resume=True)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / LOCK_FILE).exists()  # the file stays behind, the lock does not
    with holding_run_folder():
        prepare_run_folder(out, resume=True)


def test_fit_refuses_a_folder_another_run_holds_and_releases_its_own(tmp_path):
    out = tmp_path / "run"
    with holding_run_folder():
        prepare_run_folder(out, resume=False)
        with pytest.raises(KitError, match="is in use"):
            small_fit(out)
    small_fit(out, Recipe(epochs=1, batch_size=16))
    with pytest.raises(KitError, match="already holds a run"):  # the finished run's folder was let go
        small_fit(out, Recipe(epochs=1, batch_size=16))
    assert not (out / LOCK_FILE).exists()


# ---- 4. a finished run's record never changes -------------------------------------------------

def test_a_finished_run_resumed_from_best_pt_repeats_the_same_numbers_and_keeps_its_record(tmp_path, monkeypatch):
    whole = small_fit(tmp_path / "whole")
    run = tmp_path / "run"
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        small_fit(run)
    monkeypatch.undo()
    epoch1 = (run / "last.pt").read_bytes()
    small_fit(run, resume=True)
    (run / "best.pt").write_bytes(epoch1)  # the run's best.pt from epoch 1 (as when epoch 2 tested lower) ...
    (run / "last.pt").unlink()             # ... and its last.pt lost
    record = (run / "metrics.json").read_bytes()
    log = []
    history = small_fit(run, resume=True, log=log.append)
    assert without_seconds(history) == without_seconds(whole)
    assert any("epoch 2 is trained again (last.pt is missing)" in line for line in log), log
    assert (run / "metrics.json").read_bytes() == record
    # numbers that do not agree with the record: said, and the record kept
    (run / "last.pt").unlink()
    metrics = json.loads(record)
    metrics["epochs"][1]["test_acc"] += 1
    (run / "metrics.json").write_text(json.dumps(metrics))
    changed = (run / "metrics.json").read_bytes()
    with pytest.raises(KitError, match=r"epoch 2 trained again from .*best.pt gives other numbers than .* \(test_acc"):
        small_fit(run, resume=True)
    assert (run / "metrics.json").read_bytes() == changed and not (run / "last.pt").exists()


def test_resuming_a_complete_run_rewrites_nothing(tmp_path):
    small_fit(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    log = []
    small_fit(tmp_path, resume=True, log=log.append)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert any("its record is as it was" in line for line in log)


# ---- 5. every random stream: dropout resumes to the identical history ------------------------

@pytest.mark.parametrize("tensorboard", [False, True])
def test_a_run_with_dropout_resumes_to_the_uninterrupted_history(tmp_path, monkeypatch, tensorboard):
    """Dropout draws from torch's generator; the loader's workers and TensorBoard's test pass draw
    from it too, differently in a resumed run: the history must not see it."""
    three = Recipe(epochs=3, batch_size=16, max_lr=0.1)
    extra = lambda name: {"tensorboard_dir": tmp_path / f"tb-{name}"} if tensorboard else {}
    whole = small_fit(tmp_path / "whole", three, dropout=0.1, **extra("whole"))
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        small_fit(tmp_path / "run", three, dropout=0.1, **extra("run"))
    monkeypatch.undo()
    resumed = small_fit(tmp_path / "run", three, dropout=0.1, resume=True, **extra("run"))
    assert without_seconds(resumed) == without_seconds(whole)


# ---- 6. never save non-finite weights ----------------------------------------------------------

class ClampedNet(Net):
    """A forward that ends in nan_to_num: the loss stays finite whatever the weights hold."""
    def __init__(self):
        super().__init__(widths=SMALL)

    def forward(self, x):
        return torch.nan_to_num(super().forward(x), nan=0.0, posinf=0.0, neginf=0.0)


def test_weights_that_become_nan_under_a_finite_loss_stop_the_run_unsaved(tmp_path, monkeypatch):
    real, calls = training.training_step, []

    def step(model, *args, **kwargs):
        result = real(model, *args, **kwargs)
        calls.append(1)
        if len(calls) == 6:  # in epoch 2
            with torch.no_grad():
                next(model.parameters()).fill_(float("inf"))
        return result

    monkeypatch.setattr(training, "training_step", step)
    with pytest.raises(NonFiniteLoss) as raised:
        small_fit(tmp_path, model=ClampedNet)
    message = str(raised.value)
    assert message.startswith("epoch 2: ") and "became NaN or inf" in message and "the last one of epoch 1" in message
    for name in ("best.pt", "last.pt"):
        state = load_checkpoint(tmp_path / name)
        assert state["epoch"] == 1 and all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_a_run_state_never_saves_non_finite_weights(tmp_path):
    model = Net(widths=SMALL)
    run = RunState.start(model, Recipe(), steps_per_epoch=10, dtype=None)
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] = float("nan")
    with pytest.raises(KitError, match="not saving .*NaN or inf"):
        run.save(tmp_path / "last.pt")
    assert not list(tmp_path.iterdir())


# ---- 7. notebook 05 evaluates the student's own checkpoint whenever there is one --------------

def test_trained_checkpoint_finds_the_students_own_weights(tmp_path):
    run, said = tmp_path / "run", []
    run.mkdir()
    save_checkpoint(run / "last.pt", Net(widths=SMALL), epoch=2)
    assert trained_checkpoint(run, said.append) == run / "last.pt" and "best.pt is missing" in said[-1]
    (run / "best.pt").write_bytes(b"half a file")
    assert trained_checkpoint(run, said.append) == run / "last.pt" and "best.pt cannot be read" in said[-1]
    assert trained_checkpoint(str(run / "last.pt"), said.append) == run / "last.pt"  # RUN naming the file itself
    (run / "last.pt").write_bytes(b"garbage")
    with pytest.raises(KitError, match="has no readable checkpoint"):  # never the shipped weights in its place
        trained_checkpoint(run, said.append)
    for name in ("last.pt", "best.pt"):
        (run / name).unlink()
    (run / "metrics.json").write_text("{}")
    assert trained_checkpoint(run, said.append) == SHIPPED_WEIGHTS and "no checkpoint (best.pt, last.pt)" in said[-1]
    assert trained_checkpoint(tmp_path / "nothing", said.append) == SHIPPED_WEIGHTS


# ---- 8. an edited network is noticed, by name ----------------------------------------------------

def test_an_edited_student_network_refuses_resume_and_warns_on_load(tmp_path, student_file, monkeypatch):
    spec = f"{student_file}:TinyNet"
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        small_fit(tmp_path / "run", model=load_network(spec))
    monkeypatch.undo()
    source = student_file.read_text()
    student_file.write_text(source.replace("# A", "# a comment").replace("nn.Module):", "nn.Module):  # edited"))
    with warnings.catch_warnings():  # comments and layout are not the network
        warnings.simplefilter("error")
        load_trained(tmp_path / "run" / "best.pt", model=spec)
    student_file.write_text(source.replace("nn.BatchNorm2d(o), nn.ReLU())", "nn.BatchNorm2d(o), nn.Sigmoid())"))
    with pytest.raises(CheckpointError, match=r"another version of the network: my_net.py line \d+ was `.*nn.ReLU\(\)\)`, "
                                              r"now `.*nn.Sigmoid\(\)\)`; its layers: was `c1.2: ReLU`, now "
                                              r"`c1.2: Sigmoid`") as raised:
        small_fit(tmp_path / "run", model=load_network(spec), resume=True)
    assert "\n" not in str(raised.value)
    with pytest.warns(UserWarning, match="your network changed since these weights were saved .*my_net.py line"):
        load_trained(tmp_path / "run" / "best.pt", model=spec)


def test_network_changes_name_a_changed_layer_of_the_kits_net():
    saved = network_record(Net(widths=SMALL))
    assert network_changes(saved, Net(widths=SMALL)) == []
    other = Net(widths=SMALL)
    other.c1[0][2] = nn.Sigmoid()
    (change,) = network_changes(saved, other)
    assert change == "its layers: was `c1.0.2: ReLU`, now `c1.0.2: Sigmoid`"


# ---- 9. every pixel counts ---------------------------------------------------------------------

def test_the_data_identity_sees_a_pixel_the_sample_skipped():
    data = random_data()
    images = data.train.images.copy()
    images[5, 1, 1, 0] ^= 1  # row and column 1: not in the sample of every 4th
    from tests.test_run_state import with_train
    assert data_identity(with_train(data, images), every=4) == data_identity(data, every=4)
    assert data_identity(with_train(data, images)) != data_identity(data)


def test_a_checkpoint_of_the_sampled_identity_still_resumes(tmp_path, monkeypatch):
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        small_fit(tmp_path)
    monkeypatch.undo()
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    state["data"]["identity"] = data_identity(random_data(), every=4)  # as the kit recorded it before
    torch.save(state, tmp_path / "last.pt")
    assert len(small_fit(tmp_path, resume=True)) == 2


# ---- 10. sys.exit() in a student's file ------------------------------------------------------

EXITS = '''
import sys
import torch.nn as nn
{top}

class Net(nn.Module):
    calls = 0

    def __init__(self):
        super().__init__()
        {init}
        self.conv = nn.Conv2d(3, 10, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        Net.calls += 1
        if Net.calls > {calls}:
            exit(3)
        return self.pool(self.conv(x)).flatten(1)
'''


@pytest.mark.parametrize("top, init, calls, fragment", [
    ("sys.exit()", "", 10**9, "calls sys.exit() when it is imported"),
    ("raise SystemExit('bye')", "", 10**9, "calls sys.exit('bye') when it is imported"),
    ("", "quit()", 10**9, "building Net() fails"),
    ("", "", 0, "forward fails on 2 images"),
])
def test_a_student_file_that_exits_is_refused_in_one_line(tmp_path, top, init, calls, fragment):
    path = tmp_path / "exits.py"
    path.write_text(EXITS.format(top=top, init=init, calls=calls))
    with pytest.raises(KitError, match=re.escape(fragment)):
        load_network(f"{path}:Net")()


def test_sys_exit_met_in_training_is_one_line_and_not_success(capsys, tmp_path):
    path = tmp_path / "exits.py"
    path.write_text(EXITS.format(top="", init="", calls=12))  # the build check passes; training reaches it
    line = one_line_error(capsys, ["--data-root", str(random_data_root(tmp_path)), "--subset", "20", "--epochs", "2",
                                   "--batch-size", "4", "--device", "cpu", "--no-progress", "--model", f"{path}:Net",
                                   "--out", str(tmp_path / "run")])
    assert "ended by sys.exit(3) (exits.py line" in line and "which the kit never calls" in line


# ---- 11. a write that fails: one line, what was saved, no temporary file ---------------------

@pytest.mark.parametrize("failure", ["ENOSPC", "EROFS", "torch.save's full disk", "folder removed"])
def test_a_failed_write_mid_run_says_what_was_saved_in_one_line(tmp_path, monkeypatch, failure):
    run = tmp_path / "run"
    real_save, saves = checkpoints.torch.save, []

    def save(obj, path, *args, **kwargs):
        saves.append(path)
        if len(saves) <= 2:  # epoch 1's best.pt and last.pt
            return real_save(obj, path, *args, **kwargs)
        if failure == "folder removed":
            import shutil
            shutil.rmtree(run)
            return real_save(obj, path, *args, **kwargs)
        Path(path).write_bytes(b"half a checkpoint")
        if failure == "torch.save's full disk":
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")
        raise OSError(getattr(errno, failure), os.strerror(getattr(errno, failure)))

    monkeypatch.setattr(checkpoints.torch, "save", save)
    with pytest.raises(KitError) as raised:
        small_fit(run)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("epoch 2: cannot write ")
    if failure == "folder removed":
        assert "is gone" in message and "No such file or directory" in message
        return
    assert f"{run / 'last.pt'} holds epoch 1" in message and "--resume" in message and "cp -r" in message
    assert not list(run.glob("*.tmp"))
    monkeypatch.undo()
    assert load_checkpoint(run / "last.pt")["epoch"] == 1


def test_a_full_disk_writing_metrics_json(tmp_path, monkeypatch):
    real = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name == "metrics.json.tmp":
            real(self, "{")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(KitError, match=r"epoch 1: cannot write .*metrics.json \(No space left on device\)\. .*last.pt "
                                       r"holds epoch 1"):
        small_fit(tmp_path)
    assert not list(tmp_path.glob("*.tmp"))


def test_unwritable_places_are_refused_before_the_first_step(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("an epoch started")

    monkeypatch.setattr(training, "train_epoch", no_training)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(KitError, match="cannot write the TensorBoard log to .*a-file/tb"):
        small_fit(tmp_path / "run", tensorboard_dir=tmp_path / "a-file" / "tb")
    with pytest.raises(KitError, match=r"cannot write the run to .* \(File name too long\)"):
        small_fit(tmp_path / ("x" * 300))


# ---- 12. every option checked before the first step, its range in --help ---------------------

@pytest.mark.parametrize("argv, fragment", [
    (["--momentum", "0"], "momentum 0.0 is not possible: SGD's momentum is from 0.05 to below 0.95"),
    (["--momentum", "0.97"], "momentum 0.97 is not possible"),
    (["--optimizer", "adam", "--momentum", "1"], "Adam's beta1 is from 0 to below 1"),
    (["--label-smoothing", "1.5"], "label smoothing 1.5 is not possible: label smoothing is from 0 to 1"),
    (["--label-smoothing", "-0.1"], "label smoothing -0.1 is not possible"),
    (["--dropout", "1.5"], "--dropout 1.5 is not possible"),
    (["--dropout", "nan"], "--dropout nan is not possible"),
    (["--dropout", "1"], "--dropout 1.0 is not possible"),
    (["--seed", "-1"], "seed -1 is not possible: a whole number from 0 to 4294967295"),
    (["--seed", "4294967296"], "seed 4294967296 is not possible"),
    (["--ema-decay", "1"], "ema decay 1.0 is not possible"),
    (["--weight-decay", "-1"], "weight decay -1.0 is not possible"),
    (["--l1", "inf"], "l1 inf is not possible"),
    (["--pct-start", "0"], "pct start 0.0 is not possible"),
    (["--pct-start", "1.2"], "pct start 1.2 is not possible"),
])
def test_impossible_flag_values_are_one_line(capsys, tmp_path, argv, fragment):
    line = one_line_error(capsys, ["--data-root", str(tmp_path / "no-data"), "--out", str(tmp_path / "run"), *argv])
    assert fragment in line
    assert not (tmp_path / "run").exists()


def test_help_gives_the_valid_ranges(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ("SGD: 0.05 to below 0.95", "0 to 1;", "0 to 4294967295", "0 to below 1 (default: 0)",
                     "above 0, below 1", "0 (no weight average) to below 1", "a positive number"):
        assert fragment in text, fragment


# ---- 13. malformed checkpoints: one line each -------------------------------------------------

@pytest.mark.parametrize("change, fragment", [
    (lambda s: s["architecture"].update(colour="blue"), "with settings it cannot be built with"),
    (lambda s: s.update(architecture="Net"), "its architecture is str 'Net'"),
    (lambda s: s.update(architecture={"class": 3}), "its architecture is dict"),
    (lambda s: s.update(model=None), "its model weights are NoneType"),
    (lambda s: s.update(model=[1, 2]), "its model weights are list"),
    (lambda s: s.update(model={"c1.0.weight": "x"}), "its model weights are dict, not tensors"),
    (lambda s: s["architecture"].update(widths=[8, 16]), "Net"),
    (lambda s: s.update(history="all of it"), "its history is not a list"),
    (lambda s: s.update(epoch="3"), "its epoch is '3'"),
    (lambda s: s["data"].update(mean=[0.5]), "its data mean is [0.5]"),
    (lambda s: s.update(data=[1]), "its data is list"),
])
def test_malformed_checkpoints_are_one_line_in_load_trained(tmp_path, change, fragment):
    path = tmp_path / "best.pt"
    small_fit(tmp_path / "run", Recipe(epochs=1, batch_size=16)) if not (tmp_path / "run").exists() else None
    state = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    change(state)
    torch.save(state, path)
    with pytest.raises(CheckpointError) as raised:
        load_trained(path)
    assert fragment in str(raised.value) and "\n" not in str(raised.value) and str(path) in str(raised.value)


# ---- 14. the LR range test: weights restored whatever ends it; NaN said ----------------------

@pytest.mark.parametrize("error", [RuntimeError("out of memory"), KeyboardInterrupt()])
def test_the_lr_range_test_restores_the_weights_when_it_fails(monkeypatch, error):
    import helpers.lr_range_test as module
    real, calls = module.training_step, []

    def step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "training_step", step)
    torch.manual_seed(0)
    model = Net(widths=SMALL).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(type(error)):
        lr_range_test(model, random_data(), Recipe(batch_size=16), steps=8, progress=False)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()) and not model.training


def test_the_lr_range_test_ended_by_non_finite_weights_says_so(monkeypatch):
    import helpers.lr_range_test as module
    real, calls = module.training_step, []

    def step(model, *args, **kwargs):
        result = real(model, *args, **kwargs)
        calls.append(1)
        if len(calls) == 5:
            with torch.no_grad():
                next(model.parameters()).fill_(float("nan"))
        return result

    monkeypatch.setattr(module, "training_step", step)
    torch.manual_seed(0)
    lrs, losses = lr_range_test(ClampedNet(), random_data(), Recipe(batch_size=16), steps=20, progress=False)
    assert len(lrs) == len(losses) == 4 and "the weights became NaN or inf" in losses.stopped
    said = []
    suggestion = suggest_max_lr(lrs, losses, log=said.append)
    assert suggestion in [lr / 2 for lr in lrs] and "ended early: the weights became NaN" in said[0]
    assert "from the 4 step(s) before it" in said[0]


def test_a_suggestion_comes_only_from_the_steps_before_a_non_finite_loss():
    said = []
    assert suggest_max_lr([0.001, 0.01, 0.1, 1.0], [2.3, 2.0, float("inf"), 1.0], log=said.append) == 0.005
    assert "the loss was inf at LR 0.1 (step 3)" in said[0]
    with pytest.raises(KitError, match="no finite loss"):
        suggest_max_lr([0.001, 0.01], [float("nan"), 1.0], log=said.append)


# ---- 15. Ctrl-C while the command starts ------------------------------------------------------

def test_ctrl_c_while_importing_torch_is_one_line(tmp_path):
    """A Ctrl-C that lands inside `import torch`, simulated by an import hook that raises it."""
    program = ("import runpy, sys\n"
               "class CtrlC:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name == 'torch':\n"
               "            raise KeyboardInterrupt\n"
               "sys.meta_path.insert(0, CtrlC())\n"
               "sys.argv = ['helpers.train', '--out', sys.argv[1]]\n"
               "runpy.run_module('helpers.train', run_name='__main__', alter_sys=True)\n")
    result = subprocess.run([sys.executable, "-c", program, str(tmp_path / "run")], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 130
    assert result.stderr.strip() == "interrupted while starting (loading torch): nothing was trained or saved."
    assert not (tmp_path / "run").exists()
