"""`python -m helpers.train`: bad input gives one line that says what to do and a non-zero exit."""
import json
import re
from pathlib import Path

from helpers.attention import AttentionNet
from helpers.machinery.checkpoints import load_checkpoint

import pytest
import torch

import helpers.training as training
from helpers import KitError
from helpers.model import Net, count_parameters
from helpers.recipe import Recipe
from helpers.machinery.registry import build_model
from helpers.train.cli import main, parse_args
from tests.conftest import interrupt_at_epoch


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr()


def assert_one_line_error(code, captured, *fragments):
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    for fragment in fragments:
        assert fragment in lines[0]


def recipe_of(*argv):
    return Recipe.from_dict(vars(parse_args(list(argv))))


def test_no_option_is_the_default_recipe():
    assert recipe_of() == Recipe()


def test_every_augmentation_switches_on_and_off_from_the_command_line():
    for name in ("flip", "shift_scale_rotate", "coarse_dropout", "pad_crop", "to_gray", "color_jitter"):
        flag = name.replace("_", "-")
        assert getattr(recipe_of(f"--{flag}"), name) is True
        assert getattr(recipe_of(f"--no-{flag}"), name) is False


def test_widths_build_the_net_they_name():
    net = build_model("net", widths=[40, 64, 128, 96])
    assert net.config["widths"] == [40, 64, 128, 96]
    assert count_parameters(net) == count_parameters(Net(widths=(40, 64, 128, 96))) != count_parameters(Net())
    assert parse_args(["--widths", "40", "64", "128", "96"]).widths == [40, 64, 128, 96]
    assert parse_args([]).widths is None  # None: Net's own widths


@pytest.mark.parametrize("model, widths, fragment", [
    ("net", [32, 0, 128, 128], "--widths 32 0 128 128 is not possible"),
    ("attention", [32, 64, 128, 128], "settings of Net"),
])
def test_impossible_widths(model, widths, fragment):
    with pytest.raises(KitError, match=fragment):
        build_model(model, widths=widths)


def test_missing_data_root(capsys, tmp_path):
    code, out = run(capsys, "--data-root", str(tmp_path / "nope"), "--out", str(tmp_path / "run"))
    assert_one_line_error(code, out, str(tmp_path / "nope"), "CIFAR10_ROOT", "--download")


@pytest.mark.parametrize("argv, fragment", [
    (["--epochs", "0"], "epochs 0 is not possible"),
    (["--batch-size", "0"], "batch size 0 is not possible"),
    (["--batch-size", "-8"], "batch size -8 is not possible"),
    (["--subset", "0"], "--subset 0 is not possible"),
    # items 5 and 8: a max LR that is not a positive finite number, refused before any training
    (["--max-lr", "-0.1"], "max LR -0.1 is not possible: it must be a positive, finite number"),
    (["--max-lr", "0"], "max LR 0.0 is not possible"),
    (["--max-lr", "nan"], "max LR nan is not possible"),
    (["--max-lr", "inf"], "max LR inf is not possible"),
    (["--subset", "100000"], "subset 100000 is not possible"),
    # 1000 images at batch 512 are one step an epoch
    (["--subset", "1000", "--epochs", "2", "--batch-size", "512"], "1 step(s) an epoch, too few to learn: use a batch size of 250 or less"),
])
def test_impossible_settings(capsys, subset_root, tmp_path, argv, fragment):
    code, out = run(capsys, "--data-root", str(subset_root), "--out", str(tmp_path / "run"), *argv)
    assert_one_line_error(code, out, fragment)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu(capsys, tmp_path):
    code, out = run(capsys, "--device", "cuda", "--out", str(tmp_path / "run"))
    assert_one_line_error(code, out, "no CUDA GPU", "--device auto")


def test_a_tiny_run_writes_metrics_and_checkpoints(capsys, subset_root, tmp_path):
    out_dir = tmp_path / "run"
    code, out = run(capsys, "--data-root", str(subset_root), "--subset", "100", "--epochs", "1",
                    "--batch-size", "25", "--widths", "8", "16", "32", "32", "--out", str(out_dir), "--no-progress")
    assert code == 0, out.err
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["params"] == count_parameters(Net(widths=(8, 16, 32, 32)))
    assert metrics["model"]["widths"] == [8, 16, 32, 32]
    assert subset_root.name in metrics["data"] and metrics["device"].startswith("CPU")
    (epoch,) = metrics["epochs"]
    assert set(epoch) >= {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"}
    assert 0 <= epoch["test_acc"] <= 100 and epoch["seconds"] > 0
    assert (out_dir / "last.pt").exists() and (out_dir / "best.pt").exists()
    # a second run into the same folder is refused instead of overwriting it
    code, out = run(capsys, "--data-root", str(subset_root), "--subset", "100", "--epochs", "1",
                    "--out", str(out_dir), "--no-progress")
    assert_one_line_error(code, out, "already holds a run", "--resume")


def test_attention_from_the_command_line(subset_root, tmp_path, capsys):
    out_dir = tmp_path / "attention"
    code = main(["--model", "attention", "--subset", "200", "--epochs", "1", "--batch-size", "50",
                 "--out", str(out_dir), "--data-root", str(subset_root), "--device", "cpu", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["model"] == {"class": "AttentionNet", **AttentionNet().config}
    assert metrics["recipe"]["optimizer"] == "adam"  # the write-up's optimiser is the model's default
    # the checkpoint names what to build, and the weights fit it
    architecture = load_checkpoint(out_dir / "best.pt")["architecture"]
    settings = {k: v for k, v in architecture.items() if k != "class"}
    load_checkpoint(out_dir / "best.pt", AttentionNet(**settings))


def test_adam_with_l1_from_the_command_line(subset_root, tmp_path, capsys):
    out_dir = tmp_path / "adam_l1"
    code = main(["--optimizer", "adam", "--l1", "0.0005", "--subset", "100", "--epochs", "1",
                 "--batch-size", "25", "--out", str(out_dir), "--data-root", str(subset_root),
                 "--device", "cpu", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    recipe = json.loads((out_dir / "metrics.json").read_text())["recipe"]
    assert recipe["optimizer"] == "adam" and recipe["l1"] == 0.0005


def tiny_command(subset_root, out, *extra):
    """Two epochs of 4 steps; a narrow Net unless `extra` names a --model."""
    model = [] if "--model" in extra else ["--widths", "8", "16", "16", "16"]
    return ["--data-root", str(subset_root), "--subset", "100", "--epochs", "2", "--batch-size", "25", *model,
            "--out", str(out), "--device", "cpu", "--no-progress", *extra]


def test_a_huge_max_lr_stops_with_one_line(capsys, subset_root, tmp_path):
    """Item 5: a max LR that makes the loss NaN: exit 2, one line naming the cause, nothing saved."""
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "run", "--max-lr", "1e6"))
    assert_one_line_error(code, out, "epoch 1: the ", "is nan", "learning rate is too high", "no checkpoint was written")
    assert not list((tmp_path / "run").iterdir())


def test_a_network_that_returns_nan_stops_with_one_line(capsys, subset_root, student_file, tmp_path):
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "run", "--model", f"{student_file}:ReturnsNaN"))
    assert_one_line_error(code, out, "epoch 1: the training loss became nan", "forward pass returns NaN")
    assert not list((tmp_path / "run").iterdir())


def test_an_out_that_cannot_be_written_is_refused_before_the_first_step(capsys, subset_root, tmp_path, monkeypatch):
    """Items 6 and 8: --out naming a file, a folder under a file, or a folder inside a read-only
    one (simulated: the tests run as root, whom chmod does not stop): one line, before training."""
    def no_training(*args, **kwargs):
        raise AssertionError("an epoch started")

    monkeypatch.setattr(training, "train_epoch", no_training)
    (tmp_path / "a-file").write_text("")
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "a-file"))
    assert_one_line_error(code, out, "--out", "a-file is a file, not a folder")
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "a-file" / "run"))
    assert_one_line_error(code, out, "cannot write the run to", "Not a directory")
    read_only = tmp_path / "read-only"
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if read_only in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    code, out = run(capsys, *tiny_command(subset_root, read_only / "run"))
    assert_one_line_error(code, out, f"cannot write the run to {read_only / 'run'} (Permission denied)")


@pytest.mark.parametrize("epoch", [1, 2])
def test_ctrl_c_says_what_was_saved(capsys, subset_root, tmp_path, monkeypatch, epoch):
    """Item 9: Ctrl-C in the first epoch: nothing was saved, and it says so; in the second: the
    epoch last.pt holds."""
    interrupt_at_epoch(monkeypatch, epoch)
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "run"))
    assert code == 130
    message = out.err.strip()
    if epoch == 1:
        assert "no epoch was completed, so nothing was saved" in message and "holds" not in message
    else:
        assert f"{tmp_path / 'run' / 'last.pt'} holds epoch 1; continue with --resume" in message


def test_a_network_that_breaks_rules_says_so_from_the_command_line(capsys, subset_root, student_file, tmp_path):
    """Item 7: the command line prints the check before training and metrics.json records it."""
    code, out = run(capsys, *tiny_command(subset_root, tmp_path / "run", "--model", f"{student_file}:MaxPooled"))
    assert code == 0, out.err
    lines = out.out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("assignment:"))
    assert "no max-pooling" in lines[first] and first < next(i for i, l in enumerate(lines) if l.startswith("epoch"))
    assert re.search(r"no max-pooling +FAIL .*max_pool2d", out.out)  # the table
    assert "no max-pooling" in json.loads((tmp_path / "run" / "metrics.json").read_text())["assignment_rules_broken"]
