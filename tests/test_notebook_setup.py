"""The notebooks' setup cell and helpers.machinery.notebook: git's own message when the clone fails,
a restart asked for when pip upgraded a module already imported, Google Drive mounted once for
KIT_ON_DRIVE, and figures kept out of images/."""
import subprocess
import sys
import types
from pathlib import Path

import jupytext
import pytest

from helpers import KitError
from helpers.machinery import notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SETUP_CELL = next(cell.source for cell in jupytext.read(NOTEBOOKS / "03_model.py").cells if cell.cell_type == "code")


def test_a_failed_clone_shows_gits_own_message(tmp_path):
    """On Colab (faked) outside the kit, with a repository that does not exist: git's error is printed,
    then the cell stops with what to do."""
    missing = tmp_path / "no-such-repository"
    source = (SETUP_CELL.replace(f'"{notebook.REPO_URL}"', repr(str(missing)))
              .replace('"/content/kit"', repr(str(tmp_path / "kit"))))
    assert repr(str(missing)) in source and str(tmp_path / "kit") in source
    prelude = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    done = subprocess.run([sys.executable, "-c", prelude + source], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "git clone" in done.stderr and "fatal:" in done.stderr and str(missing) in done.stderr, done.stderr
    assert "could not be fetched" in done.stderr


def fake_pip(returncode=0, stderr=""):
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, returncode, "", stderr)

    return run, calls


def test_an_upgrade_of_a_module_already_imported_asks_for_a_restart(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "_needs_install", lambda module: module == "albumentations")
    monkeypatch.setitem(sys.modules, "albumentations", types.ModuleType("albumentations"))  # imported, old version
    run, calls = fake_pip()
    assert notebook.install_missing(run) == ["albumentations"]
    assert calls and "albumentations>=2.0.8,<3" in calls[0]
    out = capsys.readouterr().out
    assert "RESTART NEEDED" in out and "Restart session" in out


def test_an_install_of_a_module_not_yet_imported_needs_no_restart(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "_needs_install", lambda module: module == "torchsummary")
    monkeypatch.delitem(sys.modules, "torchsummary", raising=False)
    run, _ = fake_pip()
    notebook.install_missing(run)
    assert "RESTART" not in capsys.readouterr().out


def test_a_failed_install_stops_with_pips_last_line(monkeypatch):
    monkeypatch.setattr(notebook, "_needs_install", lambda module: True)
    run, _ = fake_pip(1, "Collecting albumentations\nERROR: No matching distribution found")
    with pytest.raises(SystemExit, match="No matching distribution found"):
        notebook.install_missing(run)


@pytest.fixture
def colab_drive(tmp_path, monkeypatch):
    """Colab with a fake google.colab.drive whose mount makes MyDrive and counts its calls."""
    monkeypatch.delenv("KIT_SMOKE", raising=False)
    mount = tmp_path / "drive"
    monkeypatch.setattr(notebook, "DRIVE_MOUNT", mount)
    monkeypatch.setattr(notebook, "DRIVE_KIT", mount / "MyDrive" / "cifar10-kit")
    mounts = []
    drive = types.ModuleType("google.colab.drive")
    drive.mount = lambda where: (mounts.append(where), (Path(where) / "MyDrive").mkdir(parents=True))
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    return mount, mounts


def test_kit_on_drive_mounts_drive_once_and_keeps_networks_and_runs_there(colab_drive):
    mount, mounts = colab_drive
    kit = mount / "MyDrive" / "cifar10-kit"
    assert notebook.my_networks_dir(on_drive=True) == kit / "my_networks" and (kit / "my_networks").is_dir()
    assert notebook.run_dir("my-net", on_drive=True) == kit / "runs" / "my-net"
    assert notebook.run_dir("net", on_drive=True) == kit / "runs" / "net"
    assert mounts == [str(mount)]


def test_kit_on_drive_outside_colab_keeps_the_kit_folder_silently(tmp_path, monkeypatch, capsys):
    """KIT_ON_DRIVE = True is the notebooks' default: outside Colab it must not print on every run."""
    monkeypatch.delenv("KIT_SMOKE", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(notebook, "REPO_ROOT", tmp_path)
    assert notebook.run_dir("net", on_drive=True) == tmp_path / "runs" / "net"
    assert notebook.my_networks_dir(on_drive=True) == tmp_path / "my_networks"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("knob, default", [("KIT_ON_DRIVE", "True")])
@pytest.mark.parametrize("name", ["01_data_analysis", "04_training", "05_evaluation"])
def test_the_notebooks_keep_the_students_files_on_drive_by_default(name, knob, default):
    source = (NOTEBOOKS / f"{name}.py").read_text()
    assert f"\n{knob} = {default} " in source


def test_a_students_file_is_found_or_one_line_says_how_to_bring_it(tmp_path, monkeypatch):
    monkeypatch.delenv("KIT_SMOKE", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(notebook, "REPO_ROOT", tmp_path)
    with pytest.raises(KitError) as caught:
        notebook.student_file("my_net.py:MyNet", on_drive=True)
    message = str(caught.value)
    assert "\n" not in message and f"my_net.py is not in {tmp_path / 'my_networks'}" in message
    assert "run notebook 03" in message and "KIT_ON_DRIVE = True" in message and "upload your my_net.py" in message
    with pytest.raises(KitError, match="your augmentation file my_augment.py .* run notebook 01 .* last section"):
        notebook.student_file("my_augment.py:AUGMENT", on_drive=True, kind="augmentation")
    (tmp_path / "my_networks" / "my_net.py").write_text("")
    assert notebook.student_file("my_net.py:MyNet", on_drive=True) == tmp_path / "my_networks" / "my_net.py"


def test_on_colab_a_missing_file_names_drive(colab_drive):
    with pytest.raises(KitError, match="not in .*cifar10-kit/my_networks \\(your Google Drive's kit folder\\)"):
        notebook.student_file("my_net.py", on_drive=True)
    with pytest.raises(KitError, match="set KIT_ON_DRIVE = True here and there"):
        notebook.student_file("my_net.py", on_drive=False)


def test_a_kit_error_shows_in_a_notebook_as_one_line(capsys):
    """setup() makes IPython show a KitError as its message alone, not a traceback through the kit;
    the cell still fails, and any other error keeps its traceback."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        notebook.show_kit_errors_in_one_line()
        capsys.readouterr()
        result = shell.run_cell("from helpers import KitError\nraise KitError('your file is not there: bring it')")
        assert isinstance(result.error_in_exec, KitError)
        assert capsys.readouterr().out.strip() == "KitError: your file is not there: bring it"
        result = shell.run_cell("1 / 0")
        assert isinstance(result.error_in_exec, ZeroDivisionError) and "Traceback" in capsys.readouterr().out
    finally:
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()


def test_figures_go_to_the_runs_folder_never_to_images(tmp_path, monkeypatch):
    monkeypatch.delenv("KIT_SMOKE", raising=False)
    monkeypatch.delenv(notebook.FIGURES_ENV, raising=False)
    monkeypatch.setattr(notebook, "REPO_ROOT", tmp_path)
    run = tmp_path / "runs" / "net"
    assert notebook.figure_dir(run) == run / "figures"
    assert notebook.figure_dir() == tmp_path / "runs" / "figures"
    monkeypatch.setenv(notebook.FIGURES_ENV, str(tmp_path / "images"))  # tools/refresh_notebooks, when asked
    assert notebook.figure_dir(run) == tmp_path / "images"


def test_smoke_mode_keeps_everything_in_one_scratch_folder(monkeypatch):
    monkeypatch.setenv("KIT_SMOKE", "1")
    monkeypatch.delenv(notebook.FIGURES_ENV, raising=False)
    monkeypatch.setattr(notebook, "_scratch", None)
    run = notebook.run_dir("net")
    assert run == notebook.run_dir("net") and notebook.REPO_ROOT not in run.parents
    assert notebook.figure_dir().parent == notebook.my_networks_dir().parent / "runs"
