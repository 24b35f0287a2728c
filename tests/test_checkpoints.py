"""helpers.machinery.checkpoints: what a checkpoint holds, that a crash never costs the previous one, that
bad files are refused with the file named, and that a trained model loads back."""
import numpy as np
import pytest
import torch
import torch.nn as nn

import helpers.machinery.checkpoints as checkpoints
from helpers import KitError
from helpers.machinery.checkpoints import CheckpointError, load_checkpoint, load_trained
from helpers.model import Net
from helpers.recipe import Recipe
from tests.conftest import save_checkpoint, tiny_run, without_seconds


def test_checkpoint_holds_everything_a_resume_needs(tiny, tmp_path):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    state = load_checkpoint(tmp_path / "last.pt", Net())
    assert {"model", "optimizer", "scheduler", "scaler", "rng", "epoch", "history", "recipe", "data"} <= set(state)
    assert state["epoch"] == 1 and (tmp_path / "best.pt").exists() and (tmp_path / "metrics.json").exists()


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tiny, tmp_path, monkeypatch):
    tiny_run(tiny, tmp_path, Recipe(epochs=1, batch_size=50))
    before = (tmp_path / "last.pt").read_bytes()

    def torch_save_that_dies(obj, path):
        open(path, "wb").write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.torch, "save", torch_save_that_dies)
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
    # Random bytes fail inside torch.load in different ways; these four payloads, drawn in this
    # order from seed 0, reach four of them (checked below): each must give the same clear error.
    payloads = [np.random.default_rng(0).integers(0, 256, (60, 1000), dtype=np.uint8)[i].tobytes() for i in (0, 5, 37, 59)]
    failures = set()
    for i, payload in enumerate(payloads):
        names.append(f"garbage{i}.pt")
        (tmp_path / names[-1]).write_bytes(payload)
        try:
            torch.load(tmp_path / names[-1], weights_only=True)
        except Exception as error:
            failures.add(type(error).__name__)
    assert len(failures) == 4, failures  # UnpicklingError, IndexError, UnicodeDecodeError, KeyError today
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


def test_load_trained_round_trip(tmp_path):
    torch.manual_seed(0)
    model = Net(norm="group", widths=(8, 16, 32, 32))
    path = tmp_path / "best.pt"
    save_checkpoint(path, model, epoch=3, history=[{"epoch": 3, "test_acc": 12.5}], recipe=Recipe(epochs=3))
    loaded, state = load_trained(path)
    assert type(loaded) is Net and loaded.config == model.config
    assert not loaded.training
    assert state["epoch"] == 3 and state["recipe"]["epochs"] == 3
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    images = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(loaded(images), model.eval()(images))


def test_load_trained_rebuilds_an_attention_net(tmp_path):
    from helpers.attention import AttentionNet

    model = AttentionNet(residual=False)
    save_checkpoint(tmp_path / "best.pt", model)
    loaded, _ = load_trained(tmp_path / "best.pt")
    assert type(loaded) is AttentionNet and loaded.config == model.config


def test_load_trained_on_a_missing_file_says_to_train_first(tmp_path):
    path = tmp_path / "runs" / "net" / "best.pt"
    with pytest.raises(KitError) as raised:
        load_trained(path)
    message = str(raised.value)
    assert str(path) in message
    assert "04" in message and "helpers.train" in message


def test_a_corrupt_last_pt_leads_to_best_pt_never_to_a_fresh_run(tiny, tmp_path):
    """Item 1: the advice for a corrupt last.pt, followed to the letter, resumes the run from
    best.pt; nothing of the run is trained over."""
    history = tiny_run(tiny, tmp_path)
    (tmp_path / "last.pt").write_bytes(b"half a checkpoint")
    with pytest.raises(CheckpointError, match=r"last.pt is not a readable checkpoint .* Move it aside \(mv .*last.pt "
                                              r".*last.pt.corrupt\), then --resume \(resume=True\) continues the run "
                                              r"from best.pt") as raised:
        tiny_run(tiny, tmp_path, resume=True)
    assert "Delete" not in str(raised.value)
    (tmp_path / "last.pt").rename(tmp_path / "last.pt.corrupt")
    with pytest.raises(KitError, match="already holds a run"):  # without resume: refused, as before
        tiny_run(tiny, tmp_path)
    assert without_seconds(tiny_run(tiny, tmp_path, resume=True)) == without_seconds(history)
    # a corrupt best.pt beside a good last.pt: load last.pt
    (tmp_path / "best.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"Load .*last.pt instead"):
        load_trained(tmp_path / "best.pt")


def test_load_trained_on_a_run_folder_names_the_checkpoint_in_it(tmp_path):
    """Item 9: a run folder given for a checkpoint: the path to give, not --out with its parent."""
    run = tmp_path / "runs" / "net"
    run.mkdir(parents=True)
    with pytest.raises(CheckpointError, match=f"{run} is a run folder, not a checkpoint: name the checkpoint in it, "
                                              f"{run / 'best.pt'} \\(not written yet: train first"):
        load_trained(run)
    save_checkpoint(run / "best.pt", Net(widths=(8, 16, 16, 16)))
    with pytest.raises(CheckpointError, match=f"name the checkpoint in it, {run / 'best.pt'}\\.$"):
        load_trained(run)
    assert type(load_trained(run / "best.pt")[0]) is Net


def test_weights_of_a_changed_model_name_what_differs_in_one_line(tmp_path):
    save_checkpoint(tmp_path / "best.pt", Net(widths=(8, 16, 16, 16)))
    state = load_checkpoint(tmp_path / "best.pt")
    with pytest.raises(CheckpointError) as raised:
        checkpoints.load_weights(Net(widths=(8, 16, 16, 24)), state["model"], tmp_path / "best.pt")
    message = str(raised.value)
    assert "\n" not in message and "c4.0.1.weight is (16, 16, 1, 1) in the file, (24, 16, 1, 1) in the model" in message
