"""The class fits its two hours: each core notebook's in-class reading within its budget, what is
homework or optional set apart under headings that say so."""
import re
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = ["01_data_analysis", "02_receptive_field", "03_model", "04_training", "05_evaluation"]
CORE_WORDS = 7_500  # the in-class reading of 01-05, all together (about 35 minutes at 220 words a minute)
NOTEBOOK_WORDS = {"04_training": 2_600}  # all of 04's markdown, homework included
SET_APART = re.compile(r"homework|optional|exercises|after class", re.IGNORECASE)


def reading(name):
    """(in-class words, set-apart words) of a notebook's markdown: a '#' or '##' heading that says
    homework, optional, exercises or after class starts a set-apart part, the next '##' heading
    that does not ends it."""
    in_class = set_apart = 0
    inside = False
    for cell in jupytext.read(REPO / "notebooks" / f"{name}.py").cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            heading = re.match(r"^#{1,2} (.*)", line)
            if heading:
                inside = bool(SET_APART.search(heading.group(1)))
        words = len(cell.source.split())
        set_apart, in_class = (set_apart + words, in_class) if inside else (set_apart, in_class + words)
    return in_class, set_apart


def test_the_in_class_reading_of_the_core_notebooks_fits_the_class():
    words = {name: reading(name)[0] for name in CORE}
    assert sum(words.values()) <= CORE_WORDS, f"in-class markdown words: {words}, {sum(words.values())} in all"


@pytest.mark.parametrize("name", list(NOTEBOOK_WORDS))
def test_a_notebooks_whole_reading_fits_its_budget(name):
    assert sum(reading(name)) <= NOTEBOOK_WORDS[name]


@pytest.mark.parametrize("name", CORE)
def test_each_core_notebook_marks_what_is_done_in_class(name):
    """The header says what runs in class and how long it takes; what is not in class is set apart."""
    text = (REPO / "notebooks" / f"{name}.py").read_text()
    assert re.search(r"\*\*In class\*\*", text), f"{name}: no '**In class**' line in the header"
    assert reading(name)[1] > 0, f"{name}: nothing is set apart as homework or optional"
