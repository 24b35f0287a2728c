"""`python -m helpers.train`: bad input gives one line that says what to do and a non-zero exit."""
import json

from helpers.attention import AttentionNet
from helpers.machinery.checkpoints import load_checkpoint

import pytest
import torch

from helpers import KitError
from helpers.model import Net, count_parameters
from helpers.recipe import Recipe
from helpers.machinery.registry import build_model
from helpers.train.cli import main, parse_args


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
