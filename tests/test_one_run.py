"""Issue 29: a run's precision decided once from its recipe, the checkpoint's format in one module,
one eval-mode context, and run folders named as the user typed them."""
import os
import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from helpers import shown_path
from helpers.machinery.device import evaluation_mode, lower_precision, pick_device, run_precision
from helpers.recipe import Recipe
from helpers.training import predict

HELPERS = Path(__file__).resolve().parents[1] / "helpers"


def test_the_precision_comes_from_the_recipe():
    cpu = torch.device("cpu")
    assert run_precision(cpu, Recipe(mixed_precision=False)) is None
    assert run_precision(cpu, {"mixed_precision": False}) is None  # a checkpoint's recipe
    assert run_precision(cpu, Recipe()) == run_precision(cpu) == run_precision(cpu, {}) == lower_precision(cpu)


def test_the_device_line_says_what_the_recipe_computes_in():
    lines = []
    pick_device("cpu", log=lines.append, recipe=Recipe(mixed_precision=False))
    assert "float32" in lines[-1] and "bfloat16 mixed" not in lines[-1]
    pick_device("cpu", log=lines.append)
    assert ("bfloat16 mixed precision" in lines[-1]) == (lower_precision(torch.device("cpu")) is not None)


def test_predicts_auto_precision_honours_the_recipe(monkeypatch):
    seen = []
    monkeypatch.setattr("helpers.training.autocast", lambda device, dtype: seen.append(dtype) or torch.no_grad())

    class Batches(list):
        device = torch.device("cpu")

    batches = Batches([(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))])
    predict(nn.Linear(3, 10), batches, recipe=Recipe(mixed_precision=False))
    predict(nn.Linear(3, 10), batches, recipe={"mixed_precision": True})
    assert seen == [None, lower_precision(torch.device("cpu"))]


def test_only_the_checkpoints_module_writes_and_reads_checkpoint_files():
    """The checkpoint's format is one module's: a change of it touches that file, not many."""
    for path in HELPERS.rglob("*.py"):
        if path.name != "checkpoints.py":
            text = path.read_text()
            assert not re.search(r"torch\.(save|load)\(", text), f"{path} saves or loads a checkpoint itself"


def test_evaluation_mode_restores_the_mode_however_the_block_ends():
    model = nn.Sequential(nn.BatchNorm1d(2)).train()
    with pytest.raises(RuntimeError), evaluation_mode(model):
        assert not model.training and not model[0].training
        raise RuntimeError
    assert model.training and model[0].training
    with evaluation_mode(model.eval()):
        pass
    assert not model.training


def test_paths_are_shown_relative_to_the_current_folder_when_inside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown_path(tmp_path / "runs" / "net") == os.path.join("runs", "net")
    assert shown_path("runs/net/last.pt") == os.path.join("runs", "net", "last.pt")
    assert shown_path("/elsewhere/runs/net") == "/elsewhere/runs/net"


def test_resume_messages_name_the_run_folder_as_typed(tmp_path, monkeypatch):
    from helpers.machinery.checkpoints import CheckpointError, load_checkpoint
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "net").mkdir(parents=True)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(tmp_path / "runs" / "net")
    assert str(error.value).startswith("runs/net is a run folder") and str(tmp_path) not in str(error.value)
