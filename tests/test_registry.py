"""helpers.machinery.registry: a student's network from a file trains from the command line, its checkpoint
loads back from the file the caller names (never from one the checkpoint names), and every bad
--model value, or error in the student's code, gives one line that says what to fix and where."""
import json

import pytest

from helpers import KitError
from helpers.machinery.checkpoints import CheckpointError, load_trained
from helpers.machinery.registry import build_model, describe_model, load_network
from helpers.train.cli import main
from tests.conftest import save_checkpoint

@pytest.mark.parametrize("spec, fragment", [
    ("missing.py:TinyNet", "there is no file"),
    ("{file}", "name the class too"),
    ("{file}:Nope", "has no class Nope (its nn.Module classes: TinyNet, FiveWay, NeedsWidth, Typo"),
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
    with pytest.raises(KitError, match=r"does not run \(my_net.py line 3: `oops`\): NameError"):
        build_model(f"{student_file}:TinyNet")


def test_a_students_network_trains_and_loads_back_while_its_file_is_there(capsys, subset_root, student_file, tmp_path):
    out = tmp_path / "run"
    code = main(["--model", f"{student_file}:TinyNet", "--data-root", str(subset_root), "--subset", "100",
                 "--epochs", "1", "--batch-size", "25", "--out", str(out), "--device", "cpu", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == {"class": "TinyNet", "source": f"{student_file.resolve()}:TinyNet"}
    model, state = load_trained(out / "best.pt", model=f"{student_file}:TinyNet")
    assert type(model).__name__ == "TinyNet" and describe_model(model) == metrics["model"]
    # item 8: the file changed after training (another width): one line that says so
    student_file.write_text(student_file.read_text().replace("width=8", "width=12", 1))
    with pytest.raises(CheckpointError, match=r"does not fit this TinyNet: c1\.0\.weight is \(8, 3, 3, 3\) in the file, "
                                              r"\(12, 3, 3, 3\) in the model.*The model changed"):
        load_trained(out / "best.pt", model=f"{student_file}:TinyNet")
    student_file.unlink()
    with pytest.raises(KitError, match="there is no file"):
        load_trained(out / "best.pt", model=f"{student_file}:TinyNet")


def line_of(path, text):
    """The line number of the first line of `path` that holds `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("name, error_at, fragments", [
    # item 9: a typo inside __init__ is that typo, not "give every argument a default"
    ("Typo", "paddin=1", ["building Typo() fails", "TypeError", "unexpected keyword argument 'paddin'"]),
    ("FailsInInit", "a mistake of mine", ["building FailsInInit() fails", "ValueError: a mistake of mine"]),
    ("WrongShapes", "return self.output(", ["WrongShapes's forward fails on 2 images of 32x32",
                                           "RuntimeError: mat1 and mat2 shapes cannot be multiplied"]),
])
def test_an_error_in_a_students_code_is_one_line_with_their_file_and_line(capsys, student_file, tmp_path, name,
                                                                          error_at, fragments):
    """Item 8: a traceback from the student's own code becomes one line naming their file and line."""
    code = main(["--model", f"{student_file}:{name}", "--out", str(tmp_path / "run")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    assert f"my_net.py line {line_of(student_file, error_at)}:" in lines[0], lines[0]
    assert "give every argument" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_students_forward_that_fails_in_training_is_one_line(capsys, subset_root, student_file, tmp_path):
    """A forward that passes the 2-image check but fails on a training batch: their file and line."""
    student_file.write_text(student_file.read_text() + "\n\nclass TwoImages(TinyNet):\n    def forward(self, x):\n"
                            "        return super().forward(x).view(2, 10)\n")
    code = main(["--model", f"{student_file}:TwoImages", "--data-root", str(subset_root), "--subset", "100",
                 "--epochs", "1", "--batch-size", "25", "--out", str(tmp_path / "run"), "--device", "cpu", "--no-progress"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: your network failed while training"), lines
    assert f"my_net.py line {line_of(student_file, '.view(2, 10)')}:" in lines[0]


def test_loading_never_imports_the_file_a_checkpoint_names(tmp_path, student_file):
    """Item 4: a checkpoint whose architecture names a file (anyone's) loads only from the file the
    caller names, and only when the two agree; the named file is never run."""
    model = load_network(f"{student_file}:TinyNet")()
    evil = tmp_path / "evil.py"
    marker = tmp_path / "it-ran"
    evil.write_text(student_file.read_text() + f"\nopen({str(marker)!r}, 'w').write('ran')\n")
    model.kit_source = f"{evil.resolve()}:TinyNet"  # as if it had been trained from evil.py
    save_checkpoint(tmp_path / "best.pt", model)
    with pytest.raises(CheckpointError, match=r"holds your network TinyNet from .*evil.py:TinyNet: name its file"):
        load_trained(tmp_path / "best.pt")
    with pytest.raises(CheckpointError, match=r"holds a TinyNet from .*evil.py:TinyNet, not .*my_net.py:TinyNet"):
        load_trained(tmp_path / "best.pt", model=f"{student_file}:TinyNet")
    assert not marker.exists()
    # named by the caller, and the same file: it loads (and running it is the caller's choice); the
    # checkpoint recorded my_net.py's text, so the extra line is named as a change
    with pytest.warns(UserWarning, match=r"your network changed since these weights were saved \(evil.py line"):
        loaded, _ = load_trained(tmp_path / "best.pt", model=f"{evil}:TinyNet")
    assert type(loaded).__name__ == "TinyNet" and marker.exists()


def test_the_kits_own_models_load_without_naming_a_file(tmp_path):
    """notebook 05 passes its MODEL knob whatever it is: "net" or a file for a Net checkpoint loads the Net."""
    from helpers.model import Net
    save_checkpoint(tmp_path / "best.pt", Net(widths=(8, 16, 16, 16)))
    for model in (None, "net", "my_networks/my_net.py:MyNet"):
        loaded, _ = load_trained(tmp_path / "best.pt", model=model)
        assert type(loaded).__name__ == "Net"


def test_groupnorm_widths_it_cannot_split_are_one_line(capsys, tmp_path):
    """Item 8: GroupNorm needs channels divisible by its 8 groups."""
    code = main(["--norm", "group", "--widths", "12", "20", "32", "32", "--out", str(tmp_path / "run")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "--widths 12 20 32 32 is not possible with --norm group" in lines[0], lines
    assert build_model("net", norm="group", widths=[16, 32, 64, 64]).config["widths"] == [16, 32, 64, 64]
