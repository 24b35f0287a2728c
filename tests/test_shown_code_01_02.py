"""Notebooks 01 and 02 show the kit's own code (show_code displays a helper's source: no copy in
the notebook can drift from it). These tests keep what the lessons say about that code true:
every shown object is a helper imported from the kit, the RF recurrence shown is the four
formulas of notebook 02's markdown, and notebook 01's 1.x → 2.x table names the arguments
`train_transforms` really passes."""
import ast
import inspect
import re
from pathlib import Path

import albumentations as A
import cv2
import pytest

from helpers.receptive_field import receptive_field_table, rf_step
from helpers.recipe import Recipe
from helpers.transforms import mean_pixel, train_transforms

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def code_of(name):
    """The code cells of a notebook's jupytext twin, as one Python module (a cell magic's cell, such as
    01's %%writefile of the student's pipeline, is a file's text, not the notebook's code)."""
    import jupytext

    return "\n".join(cell.source for cell in jupytext.read(NOTEBOOKS / f"{name}.py").cells
                     if cell.cell_type == "code" and not cell.source.startswith("%%"))


@pytest.mark.parametrize("name, expected", [
    ("01_data_analysis", {"train_transforms"}),
    ("02_receptive_field", {"time_forward", "rf_step", "input_gradient", "measured_receptive_field"}),
])
def test_shown_code_is_the_kits_own(name, expected):
    tree = ast.parse(code_of(name))
    shown = {arg.id for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "show_code"
             for arg in node.args}
    imported = {alias.asname or alias.name: node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    defined = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert shown == expected
    for obj in shown:  # imported from a helper module, never defined (a copy) in the notebook
        assert imported.get(obj, "").startswith("helpers.") and obj not in defined, obj


def test_the_recurrence_shown_is_the_markdowns_four_formulas():
    source = inspect.getsource(rf_step)
    for formula in ["k_eff = dilation * (kernel - 1) + 1", "n_out = (n + 2 * padding - k_eff) // stride + 1",
                    "j_out = j * stride", "r_out = r + (k_eff - 1) * j"]:
        assert formula in source
    assert len(source.splitlines()) <= 12  # short enough to read in the lesson
    # the table applies it: the notebook's hand-worked example
    assert receptive_field_table([(3, 1, 1, 1), (3, 1, 2, 1), (3, 2, 1, 2), (3, 1, 1, 1)])[-1]["r_out"] == 17


KIT_2X_ARGUMENTS = {  # what notebook 01's 1.x → 2.x table says the kit passes
    "Affine": ["translate_percent=(-0.0625, 0.0625)", "scale=(0.9, 1.1)", "rotate=(-15, 15)",
               "border_mode=cv2.BORDER_CONSTANT", "fill=mean"],
    "CoarseDropout": ["num_holes_range=(1, 1)", "hole_height_range=(16, 16)", "hole_width_range=(16, 16)", "fill=mean"],
}


def test_notebook_01s_albumentations_table_is_the_kits_pipeline():
    notebook = (NOTEBOOKS / "01_data_analysis.py").read_text()
    table = "\n".join(line for line in notebook.splitlines() if line.startswith("# |"))
    source = inspect.getsource(train_transforms).replace("fill=fill", "fill=mean")
    mean = (0.4914, 0.4822, 0.4465)
    steps = {type(t).__name__: t for t in train_transforms(mean, Recipe()).transforms}
    for name, arguments in KIT_2X_ARGUMENTS.items():
        for argument in arguments:
            assert f"`{argument}" in table or f" {argument}" in table, f"{argument} is not in 01's table"
            assert argument in source, f"{argument} is not what train_transforms passes"
        # the same call, written out from the table's arguments, builds the kit's step
        written = eval(f"A.{name}({', '.join(arguments)}, p=0.5)", {"A": A, "cv2": cv2, "mean": mean_pixel(mean)})
        assert written.to_dict() == steps[name].to_dict()
    assert re.search(r"`rotate_limit=45` \(default\)", table)  # 1.x's default, which the kit does not keep
