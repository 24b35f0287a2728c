"""The course's features: the attention model, the L1 term, Adam and SGD, TensorBoard logging."""
import json
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

from helpers import KitError
from helpers.attention import AttentionNet
from helpers.data import CIFAR10, CLASSES, Split, balanced_subset
from helpers.model import Net, count_parameters
from helpers.train import main
from helpers.training import Recipe, fit, l1_penalty, load_checkpoint, seed_everything

quiet = dict(device="cpu", progress=False, log=lambda *a: None)
# Every run below takes at least 4 optimiser steps: fewer leave OneCycleLR no room to climb and descend.


def random_data(n=64):
    """Random pixels and labels: enough to run `fit` where what is learnt does not matter."""
    rng = np.random.default_rng(0)
    split = lambda: Split(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n))
    return CIFAR10(split(), split(), CLASSES, "random pixels", (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


# ---- The attention model ---------------------------------------------------------------------

def test_attention_net_output_shape_and_parameter_count():
    model = AttentionNet()
    assert model(torch.randn(4, 3, 32, 32)).shape == (4, 10)

    convs = 3 * 16 * 9 + 16 * 32 * 9 + 32 * 48 * 9  # 3x3 kernels, no bias (BatchNorm follows)
    batch_norms = 2 * (16 + 32 + 48)  # a scale and a shift per channel
    one_block = 3 * (48 * 8) + 8 * 48  # query, key, value 48 → 8, out 8 → 48, no biases
    output = 48 * 10 + 10
    by_hand = convs + batch_norms + 4 * one_block + output
    assert by_hand == 18_864 + 192 + 6_144 + 490
    assert count_parameters(model) == by_hand
    assert abs(by_hand - 25_700) / 25_700 < 0.01  # the write-up's "about 25,700"


def test_attention_net_rebuilds_from_its_config():
    model = AttentionNet(residual=False)
    config = json.loads(json.dumps(model.config))  # as a checkpoint or metrics.json stores it
    rebuilt = AttentionNet(**config)
    assert rebuilt.config == model.config
    rebuilt.load_state_dict(model.state_dict())  # same layers, same shapes


# ---- L1 ------------------------------------------------------------------------------------

def test_l1_penalty_sums_conv_and_linear_weights_only():
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 3))
    conv, norm, _, linear = model
    with torch.no_grad():
        conv.weight.copy_(torch.arange(-4.0, 4.0).reshape(2, 1, 2, 2))  # |-4| + ... + |3| = 16
        linear.weight.fill_(-0.5)  # 6 weights of |-0.5| = 3
        for p in (conv.bias, norm.weight, norm.bias, linear.bias):
            p.fill_(100.0)  # biases and norm scales are not penalised: these must not count
    assert l1_penalty(model).item() == pytest.approx(16 + 3)


# ---- Adam and SGD ----------------------------------------------------------------------------

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
    history = fit(Net(widths=(8, 16, 32, 32)), small, recipe, tmp_path, **quiet)
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < losses[0] - 0.1, losses


# ---- From the command line -------------------------------------------------------------------

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


# ---- TensorBoard -----------------------------------------------------------------------------

def test_tensorboard_event_files_are_written(tmp_path):
    seed_everything(0)
    fit(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(epochs=1, batch_size=16), tmp_path / "run",
        tensorboard_dir=tmp_path / "tb", **quiet)
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_tensorboard_missing_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now raises ImportError
    with pytest.raises(KitError, match="pip install tensorboard"):
        fit(Net(widths=(8, 16, 16, 16)), random_data(), Recipe(epochs=1, batch_size=16), tmp_path / "run",
            tensorboard_dir=tmp_path / "tb", **quiet)
