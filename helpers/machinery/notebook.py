"""What every notebook's first cell needs: Colab installs, the GPU check, smoke mode, the folders.

Each notebook's first code cell finds the kit (on Colab it clones it from REPO_URL, written there
too: the clone has to happen before this module can be imported) and then calls `setup()`.
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
DRIVE_ROOT = Path("/content/drive/MyDrive/cifar10-kit")  # where runs and networks go on Google Drive

# What Colab may lack or have in an older major version. torch and torchvision are never on
# this list: Colab's own builds match its GPU and CUDA, and reinstalling them breaks that.
COLAB_PACKAGES = {"albumentations": "albumentations>=2.0.8,<3", "torchsummary": "torchsummary==1.5.1"}


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


def setup():
    """Install what Colab lacks, say which device the notebook will use, return smoke mode."""
    if in_colab():
        missing = [spec for module, spec in COLAB_PACKAGES.items() if _needs_install(module)]
        if missing:
            done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"Could not install {', '.join(missing)} ({(done.stderr.strip().splitlines() or ['?'])[-1]}): "
                                 "check the runtime's internet connection and run this cell again.")
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
    return smoke_mode()


def figure_dir():
    """Where figures go: the repository's images/ for a real run; a scratch folder in smoke mode,
    so that a test run never replaces the figures the README shows."""
    if smoke_mode():
        return Path(tempfile.mkdtemp(prefix="kit-figures-"))
    path = REPO_ROOT / "images"
    path.mkdir(exist_ok=True)
    return path


def run_dir(name, on_drive=False):
    """Where a training run keeps its checkpoints: runs/NAME in the kit (a scratch folder in smoke
    mode, so that a test never touches a student's checkpoints). `on_drive=True` on Colab keeps it
    on Google Drive instead, so that a run survives a recycled runtime and can be resumed."""
    if smoke_mode():
        return Path(tempfile.mkdtemp(prefix=f"kit-{name}-"))
    return _kept_folder(on_drive) / "runs" / name


def my_networks_dir(on_drive=False):
    """Where a student's networks are written (notebook 03) and read back (04, 05): my_networks/
    in the kit, or on Google Drive with `on_drive=True` on Colab (every notebook's runtime sees
    it there). A scratch folder in smoke mode, so that a test never touches a student's file."""
    if smoke_mode():
        return Path(tempfile.mkdtemp(prefix="kit-my-networks-"))
    folder = _kept_folder(on_drive) / "my_networks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _kept_folder(on_drive):
    """The kit's folder, or its folder on Google Drive (mounted on first use) when asked for on Colab."""
    if on_drive and in_colab():
        from google.colab import drive  # asks once for permission to mount the student's Drive

        drive.mount("/content/drive")
        return DRIVE_ROOT
    if on_drive:
        print("Google Drive is for Colab: this is not Colab, so the files stay in the kit's own folder.")
    return REPO_ROOT


def show_code(*objects):
    """Show the source of helper functions or classes in the notebook, highlighted: the lesson shows
    the kit's own code, never a copy that could drift from it."""
    import inspect

    from IPython.display import Code, display

    for obj in objects:
        display(Code(inspect.getsource(obj), language="python"))
