"""A cell the lesson invites a student to run again works the second time too (issue 30, item 3).

Each notebook runs top to bottom in smoke mode (KIT_SMOKE=1, as under nbval) in one Jupyter kernel
(tools.refresh_notebooks.execute), and then, in the same kernel, the cells the lesson invites to
re-run are run once more: a cell that changed the notebook's state the first time (a layer moved to
the GPU in place, a file written, a finished run) must not fail on its second run. On a CPU-only
machine a move to the device cannot fail, so 02 also checks that timing left the layers of section 1
as they were (on the CPU, in their own memory layout): what a second run on a GPU relies on.
"""
import copy

import jupytext
import nbformat
import pytest

from tools.refresh_notebooks import NOTEBOOKS, execute, kernel_env

# For each notebook: a text that picks out each cell to run again (exactly one code cell holds it), in order.
RERUN = {
    "01_data_analysis": [
        '"PadIfNeeded\\n+ RandomCrop"',  # section 6: each step drawn ("put a step of your own ... re-run the cell")
        "course_pipeline.set_random_seed(SEED)",  # section 8: nine draws of the pipeline
        "accuracy = {}",  # section 9: the two runs (a finished run is reused: resume=True)
        "AUGMENT = A.Compose(",  # section 10: the student's pipeline written again ...
        "my_augment = load_augmentation(",  # ... read back and drawn
    ],
    "02_receptive_field": [
        "convolutions = {",  # section 2's cost table (exercise 2 adds convolutions to it)
        "ms[name] = time_forward(",  # the timing cell (exercises 2 and 3)
        "calculator = rf_calculator(",  # section 5's calculator (edit LAYERS, run again)
        "for dilations in [(2, 4, 8), (1, 2, 4, 8)]:",  # the gridding loop (exercise 5)
    ],
    "03_model": [
        "class MyNet(nn.Module):",  # section 5: the student's network, written again ...
        "my_net = load_network(",  # ... checked
        "print(format_table(receptive_field_table(my_net",  # ... its tables
        'print(f\'MODEL = "{MODEL}"',  # ... the three lines for 04 and 05
    ],
    "04_training": [  # exercises 1-4 change a knob and run the sections again, after a run has trained
        "recipe = Recipe(",  # section 2
        "lrs, losses = lr_range_test(",  # section 4: on fresh weights, not the trained ones
        "planned, momenta = [], []",  # section 5
        "history = fit(model, data, recipe, RUN",  # section 6: a finished run is resumed, not trained again
        "refused, as it should be",  # the refusal, again
        "fig = plot_history(",  # section 7
        "_, train_accuracy = evaluate(",  # after class: measured alike
        "print(format_checks(check_assignment(",  # section 8
    ],
    "05_evaluation": [
        "tta_loss, tta_accuracy = evaluate(",  # section 2 (exercise 3 compares with it)
        "logits, labels = predict(",  # section 3
        "for_predicted = grad_cam(",  # section 6
        "by_stage = {",  # after class: every stage (exercise 4)
    ],
}
AFTER = {  # checks run in the kernel after the second runs
    "02_receptive_field": "assert all(p.device.type == 'cpu' and p.is_contiguous() for conv in convolutions.values() "
                          "for p in conv.parameters()), 'the timing cell changed the layers of section 1 in place'",
}


def cells_to_rerun(notebook, name):
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    again = []
    for text in RERUN[name]:
        found = [cell for cell in code if text in cell.source]
        assert len(found) == 1, f"{name}: {len(found)} code cells hold {text!r}; update RERUN in this test"
        again.append(copy.deepcopy(found[0]))
    return again


@pytest.mark.parametrize("name", list(RERUN))
def test_cells_the_lesson_invites_to_rerun_run_twice(name):
    notebook = jupytext.read(NOTEBOOKS / f"{name}.py")
    notebook.cells += cells_to_rerun(notebook, name)
    if name in AFTER:
        notebook.cells.append(nbformat.v4.new_code_cell(AFTER[name]))
    # $CIFAR10_ROOT as tests/conftest.py left it (the tests' subset when unset); raises, naming the cell, on an error
    execute(notebook, env=kernel_env(smoke=True), timeout=600)
