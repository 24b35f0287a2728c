"""The code a lesson shows is the kit's own: every `show_code(...)` in a notebook names a helper that
exists, by the name the notebook imports it under, so that renaming or moving a helper fails here
instead of leaving a lesson that shows nothing (or a NameError in class). The lessons that must show
their code (issue: the training step, the Grad-CAM hooks) are listed in REQUIRED."""
import ast
import importlib
import inspect
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PY = sorted(p for p in NOTEBOOKS.glob("[0-9]*.py"))
# What a lesson must show: notebook → the helpers (module, name) whose source is the lesson.
REQUIRED = {
    "04_training": {("helpers.training", "training_step"), ("helpers.training", "train_epoch"), ("helpers.training", "fit")},
    "05_evaluation": {("helpers.grad_cam", "ActivationHook"), ("helpers.grad_cam", "class_activation_map")},
}


def code_of(path):
    """The notebook's code cells as one module, its IPython magics and shell lines left out."""
    cells = [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "code"]
    lines = [line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def imported_names(tree):
    """name in the notebook → (module, attribute) for every `from helpers... import name [as alias]`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def shown(path):
    """[(argument as written, (module, attribute) or None)] for every show_code call of the notebook."""
    tree = code_of(path)
    names = imported_names(tree)
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "show_code"]
    return [(ast.unparse(arg), names.get(arg.id) if isinstance(arg, ast.Name) else None)
            for call in calls for arg in call.args]


@pytest.mark.parametrize("path", PY, ids=lambda p: p.stem)
def test_every_shown_helper_exists_and_has_source(path):
    for written, target in shown(path):
        assert target is not None, (f"{path.name}: show_code({written}) must name a helper imported by name "
                                    f"(from helpers.X import {written})")
        module, attribute = target
        obj = getattr(importlib.import_module(module), attribute, None)
        assert obj is not None, f"{path.name} shows {module}.{attribute}, which no longer exists: update the lesson"
        assert obj.__module__.startswith("helpers"), f"{path.name} shows {written}, which is not the kit's own code"
        assert inspect.getsource(obj).strip(), f"{path.name} shows {written}, whose source cannot be read"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_the_lessons_show_the_code_they_teach(name):
    targets = {target for _, target in shown(NOTEBOOKS / f"{name}.py")}
    missing = REQUIRED[name] - targets
    assert not missing, f"{name} must show {', '.join(f'{m}.{a}' for m, a in sorted(missing))} with show_code"
