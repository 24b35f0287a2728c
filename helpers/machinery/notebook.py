"""What every notebook's first cell needs: Colab installs, the GPU check, smoke mode, the folders.

    setup          install what Colab lacks, say which device the notebook uses, return smoke mode
    kit_folder     where the student's networks and runs live: the kit, or a kit folder on Google Drive
    my_networks_dir, run_dir, figure_dir   the folders inside it
    student_file   a file of the student's (their network, their augmentation), or one line saying how to bring it
    show_code      the source of a helper, shown in the lesson

Each notebook's first code cell finds the kit (on Colab it clones it from REPO_URL, written there
too: the clone has to happen before this module can be imported) and then calls `setup()`.

One knob, `KIT_ON_DRIVE`, has the same name in notebooks 01 (its last section), 03, 04 and 05, and
is True by default: on Colab it keeps the student's networks, pipelines and runs in a kit folder on
Google Drive (DRIVE_KIT), which every notebook's runtime sees and which outlives a recycled
runtime; Drive is mounted once a runtime. Anywhere else it means the kit's own folder, silently.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Where the kit lives. A fork changes this and the same line in each notebook's first cell and
# README's badges (tests/test_notebooks.py checks they agree).
REPO_URL = "https://github.com/eva-course-kit/cifar10-advanced-convolutions"
REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVE_MOUNT = Path("/content/drive")
DRIVE_KIT = DRIVE_MOUNT / "MyDrive" / "cifar10-kit"  # KIT_ON_DRIVE: my_networks/ and runs/ live here
FIGURES_ENV = "KIT_FIGURES_DIR"  # set (tools/refresh_notebooks) to write a full run's figures into images/

# What Colab may lack or have in an older major version. torch and torchvision are never on
# this list: Colab's own builds match its GPU and CUDA, and reinstalling them breaks that.
COLAB_PACKAGES = {"albumentations": "albumentations>=2.0.8,<3", "torchsummary": "torchsummary==1.5.1"}

_scratch = None  # smoke mode's one scratch folder for this process


def in_colab():
    return "google.colab" in sys.modules


def smoke_mode():
    """True under pytest (notebooks/conftest.py sets KIT_SMOKE=1): a small subset, one or two
    epochs, so that CI runs every notebook in minutes. Opened normally: the full run."""
    return os.environ.get("KIT_SMOKE") == "1"


def _needs_install(module):
    if importlib.util.find_spec(module) is None:
        return True
    if module == "albumentations":  # the kit uses the 2.x API
        from importlib.metadata import version
        return int(version("albumentations").split(".")[0]) < 2
    return False


def install_missing(run=subprocess.run):
    """pip-install the COLAB_PACKAGES this runtime lacks. A module that was already imported keeps
    its old version in memory until the runtime restarts: then say so, loudly."""
    missing = {module: spec for module, spec in COLAB_PACKAGES.items() if _needs_install(module)}
    if not missing:
        return []
    done = run([sys.executable, "-m", "pip", "install", "-q", *missing.values()], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"Could not install {', '.join(missing.values())} ({(done.stderr.strip().splitlines() or ['?'])[-1]}): "
                         "check the runtime's internet connection and run this cell again.")
    print(f"installed {', '.join(missing.values())}")
    imported = [module for module in missing if module in sys.modules]
    if imported:
        print(f"RESTART NEEDED: {', '.join(imported)} was already imported in this runtime, and Python keeps the old "
              f"version in memory. Runtime > Restart session, then run this notebook again from the top.")
    return list(missing)


def setup():
    """Install what Colab lacks, say which device the notebook will use, return smoke mode."""
    if in_colab():
        install_missing()
    import torch

    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    elif in_colab():
        print("No GPU: this runtime is CPU-only and training will be slow. "
              "Runtime > Change runtime type > T4 GPU, then run the notebook again.")
    else:
        print(f"No GPU: running on the CPU ({torch.get_num_threads()} threads).")
    if smoke_mode():
        print("Smoke mode (KIT_SMOKE=1): a small subset and a short run, to test the notebook, "
              "not to measure anything.")
    show_kit_errors_in_one_line()
    return smoke_mode()


def show_kit_errors_in_one_line():
    """In a notebook, a KitError (a problem the student can fix, its message saying how) shows as its
    one line, not as a traceback through the kit's code; the cell still fails, as any error does.
    Every other error keeps its traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        from helpers import KitError
        shell.set_custom_exc((KitError,), kit_error_lines)


def kit_error_lines(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: a KitError shown as one line, as the error output of
    the cell (in Jupyter the kernel sends it as the cell's error, which a test runner sees)."""
    lines = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, lines)
    return lines


def mount_drive():
    """Mount Google Drive at /content/drive, once a runtime: Colab asks for permission the first time."""
    if (DRIVE_MOUNT / "MyDrive").is_dir():  # mounted already, by this notebook or another cell
        return
    from google.colab import drive

    drive.mount(str(DRIVE_MOUNT))


def _scratch_folder():
    """Smoke mode's folder for this process: a test never touches a student's files or images/."""
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="kit-smoke-"))
    return _scratch


def kit_folder(on_drive=False):
    """Where the student's networks (my_networks/) and runs (runs/) live: the kit's own folder, or
    with `on_drive=True` on Colab the kit folder on Google Drive (DRIVE_KIT), which every notebook
    finds and which outlives the runtime. `on_drive=True` is the notebooks' default: outside Colab
    it silently means the kit's own folder. A scratch folder in smoke mode."""
    if smoke_mode():
        return _scratch_folder()
    if on_drive and in_colab():
        mount_drive()
        DRIVE_KIT.mkdir(parents=True, exist_ok=True)
        return DRIVE_KIT
    return REPO_ROOT


def run_dir(name, on_drive=False):
    """Where a training run keeps its checkpoints and figures: runs/NAME in kit_folder(on_drive)."""
    return kit_folder(on_drive) / "runs" / name


def my_networks_dir(on_drive=False):
    """Where a student's networks are written (notebook 03) and read back (04, 05): my_networks/
    in kit_folder(on_drive)."""
    folder = kit_folder(on_drive) / "my_networks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Which notebook writes each kind of student file, for the line that says how to bring a missing one.
MADE_BY = {"network": "notebook 03 (section 5, \"Your turn\")", "augmentation": "notebook 01 (its last section)"}


def student_file(name, on_drive=False, kind="network"):
    """The path of the student's file `name` (e.g. "my_net.py", or "my_net.py:MyNet": the part after
    the colon is ignored) in my_networks/ of kit_folder(on_drive), checked to be there. On a fresh
    runtime it may not be: then one line says where it was looked for and how to bring it.
    `kind`: "network" (written by notebook 03) or "augmentation" (notebook 01)."""
    from helpers import KitError

    folder = my_networks_dir(on_drive)
    path = folder / str(name).partition(":")[0]
    if path.is_file():
        return path
    where = "your Google Drive's kit folder" if on_drive and in_colab() else "the kit's folder"
    hint = ("" if on_drive or not in_colab() else
            " With KIT_ON_DRIVE = False the file lives on this runtime's own disk, which other notebooks and a new "
            "runtime do not see: set KIT_ON_DRIVE = True here and there.")
    raise KitError(f"your {kind} file {path.name} is not in {folder} ({where}): run {MADE_BY.get(kind, 'its notebook')} "
                   f"with KIT_ON_DRIVE = True, which writes it there, or upload your {path.name} to that folder."
                   + hint)


def figure_dir(run=None):
    """Where a notebook saves its figures: the run's own folder (RUN/figures) for a run's figures,
    runs/figures otherwise (a scratch folder in smoke mode). Never images/, whose figures the README
    shows: tools/refresh_notebooks writes those, and only when asked ($KIT_FIGURES_DIR)."""
    if os.environ.get(FIGURES_ENV):
        path = Path(os.environ[FIGURES_ENV])
    elif run is not None:
        path = Path(run) / "figures"
    else:
        path = kit_folder() / "runs" / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def show_code(*objects):
    """Show the source of helper functions or classes in the notebook, highlighted: the lesson shows
    the kit's own code, never a copy that could drift from it."""
    import inspect

    from IPython.display import Code, display

    for obj in objects:
        display(Code(inspect.getsource(obj), language="python"))
