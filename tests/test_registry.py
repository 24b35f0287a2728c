"""helpers.machinery.registry: a student's network from a file trains from the command line, its checkpoint
loads back while the file is there and says what is missing when it is not, and every bad --model
value gives one line that says what to fix."""
import json

import pytest

from helpers import KitError
from helpers.machinery.checkpoints import CheckpointError, load_trained
from helpers.machinery.registry import build_model, describe_model
from helpers.train.cli import main

@pytest.mark.parametrize("spec, fragment", [
    ("missing.py:TinyNet", "there is no file"),
    ("{file}", "name the class too"),
    ("{file}:Nope", "has no class Nope (its nn.Module classes: TinyNet, FiveWay, NeedsWidth)"),
    ("{file}:NotAModule", "is not a torch.nn.Module class"),
    ("{file}:FiveWay", "gives (2, 5) for 2 images of 32x32: it must give (2, 10)"),
    ("{file}:NeedsWidth", "cannot be built without arguments"),
])
def test_a_bad_model_says_what_to_fix_in_one_line(capsys, student_file, tmp_path, spec, fragment):
    code = main(["--model", spec.format(file=student_file), "--out", str(tmp_path / "run")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


def test_a_file_that_does_not_run_names_its_error(student_file):
    student_file.write_text("import torch.nn as nn\nclass TinyNet(nn.Module):\n    oops\n")
    with pytest.raises(KitError, match="does not run: NameError"):
        build_model(f"{student_file}:TinyNet")


def test_a_students_network_trains_and_loads_back_while_its_file_is_there(capsys, subset_root, student_file, tmp_path):
    out = tmp_path / "run"
    code = main(["--model", f"{student_file}:TinyNet", "--data-root", str(subset_root), "--subset", "100",
                 "--epochs", "1", "--batch-size", "25", "--out", str(out), "--device", "cpu", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == {"class": "TinyNet", "source": f"{student_file.resolve()}:TinyNet"}
    model, state = load_trained(out / "best.pt")
    assert type(model).__name__ == "TinyNet" and describe_model(model) == metrics["model"]
    student_file.unlink()
    with pytest.raises(CheckpointError, match="my_net.py, which is not there: put that file back"):
        load_trained(out / "best.pt")
