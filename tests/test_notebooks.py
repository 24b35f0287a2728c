"""The notebooks as files: each .ipynb and its jupytext .py twin agree, and every link to the
kit (the setup cell's REPO_URL, the Colab badges) names helpers.machinery.notebook.REPO_URL.

Running the notebooks is nbval's job: `pytest --nbval-lax notebooks/`.
"""
import difflib
import re
from pathlib import Path

import jupytext
import pytest

from helpers.machinery.notebook import REPO_URL

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
NOT_NOTEBOOKS = {"conftest.py"}  # .py files in notebooks/ that are not jupytext twins
IPYNB = sorted(NOTEBOOKS.glob("*.ipynb"))
PY = sorted(p for p in NOTEBOOKS.glob("*.py") if p.name not in NOT_NOTEBOOKS)
SLUG = REPO_URL.removeprefix("https://github.com/")  # owner/name
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")


def cells(path):
    return [(cell.cell_type, cell.source.strip()) for cell in jupytext.read(path).cells]


def test_every_notebook_has_its_twin():
    assert sorted(p.stem for p in IPYNB) == sorted(p.stem for p in PY), (
        "each notebooks/NAME.ipynb needs notebooks/NAME.py and vice versa: "
        "`jupytext --set-formats ipynb,py:percent notebooks/NAME.ipynb` makes the missing one")


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_twins_have_the_same_cells(ipynb):
    twin = ipynb.with_suffix(".py")
    if not twin.exists():
        pytest.skip("no twin (reported by test_every_notebook_has_its_twin)")
    in_ipynb, in_py = cells(ipynb), cells(twin)
    if in_ipynb != in_py:
        as_text = lambda cell_list: [f"--- {kind} cell\n{source}" for kind, source in cell_list]
        diff = difflib.unified_diff("\n".join(as_text(in_ipynb)).splitlines(), "\n".join(as_text(in_py)).splitlines(),
                                    ipynb.name, twin.name, n=1, lineterm="")
        pytest.fail(f"{ipynb.name} and {twin.name} have drifted apart; "
                    f"`jupytext --sync notebooks/{twin.name}` brings the older file up to date:\n"
                    + "\n".join(list(diff)[:30]))


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_setup_cell_uses_the_kits_repo_url(ipynb):
    first_code = next(source for kind, source in cells(ipynb) if kind == "code")
    assert f'REPO_URL = "{REPO_URL}"' in first_code, (
        f"{ipynb.name}'s first code cell must set REPO_URL = \"{REPO_URL}\" (helpers/machinery/notebook.py)")


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_one_colab_badge_pointing_at_the_notebook_itself(ipynb):
    notebook_cells = cells(ipynb)
    links = [link for _, source in notebook_cells for link in COLAB_LINK.findall(source)]
    expected = f"https://colab.research.google.com/github/{SLUG}/blob/main/notebooks/{ipynb.name}"
    assert links == [expected], f"{ipynb.name} needs exactly one Colab badge, to {expected}; found {links}"
    kind, first = notebook_cells[0]
    assert kind == "markdown" and expected in first, "the badge belongs in the first (markdown) cell"


def test_readme_badges_use_the_kits_repo_url():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("no README.md yet")
    for link in COLAB_LINK.findall(readme.read_text()):
        assert link.startswith(f"https://colab.research.google.com/github/{SLUG}/"), (
            f"README.md's Colab link {link} does not point at {REPO_URL} (helpers/machinery/notebook.py)")
        assert (REPO / link.split("/blob/main/", 1)[-1]).exists(), f"README.md links {link}: no such notebook"


def test_every_notebook_has_the_same_setup_cell():
    """The setup cell must run before the kit can be imported, so each notebook carries it; this
    keeps the five copies one text (change one, change all)."""
    first_cells = {ipynb.name: next(source for kind, source in cells(ipynb) if kind == "code") for ipynb in IPYNB}
    assert len(set(first_cells.values())) == 1, f"the setup cells differ: {sorted(first_cells)}"


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_notebooks_import_lesson_modules_only(ipynb):
    """Outside the setup cell a notebook imports the lesson modules at the top of helpers/ (and
    tools/ for the benchmark): what it needs from helpers/machinery/ reaches it through their names."""
    code = [source for kind, source in cells(ipynb) if kind == "code"][1:]  # the setup cell aside
    reaching = [line.strip() for source in code for line in source.splitlines()
                if re.match(r"\s*(from|import)\s+helpers\.(machinery|bench|train)\b", line)]
    assert not reaching, f"{ipynb.name} imports past the lesson modules: {reaching}"


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_every_notebook_asks_colab_for_a_gpu(ipynb):
    """A badge opens the notebook on the runtime its metadata asks for. The .py twin's header lists
    the metadata (notebook_metadata_filter), so that `jupytext --sync` and a new .ipynb keep it."""
    for path in (ipynb, ipynb.with_suffix(".py")):
        metadata = jupytext.read(path).metadata
        assert metadata.get("accelerator") == "GPU" and metadata.get("colab", {}).get("gpuType") == "T4", (
            f"{path.name} must carry Colab's GPU request: metadata accelerator: GPU, colab: gpuType: T4 "
            f"(in the .py header, with notebook_metadata_filter: accelerator,colab)")


def test_use_fork_points_every_link_at_the_fork(tmp_path):
    """A teacher's fork: one command rewrites the setup cells, the badges and REPO_URL alike."""
    import shutil

    from tools.use_fork import use_fork

    for name in ("README.md", "helpers/machinery/notebook.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks", ignore=shutil.ignore_patterns("__pycache__"))
    changed = use_fork("https://github.com/a-teacher/our-course", branch="spring", root=tmp_path)
    assert len(changed) == 2 + len(IPYNB) + len(PY)
    everything = "".join((tmp_path / p).read_text() for p in changed)
    assert SLUG not in everything
    assert everything.count("colab.research.google.com/github/a-teacher/our-course/blob/spring/") >= 2 * len(IPYNB) + 6
    assert f'REPO_URL = "https://github.com/a-teacher/our-course"' in (tmp_path / "notebooks" / PY[0].name).read_text()


def _repeated_lines(text, window=2):
    """The first run of `window` lines (of some length) that a cell's output shows twice, or None."""
    lines, seen = text.splitlines(), {}
    for i in range(len(lines) - window + 1):
        block = tuple(lines[i:i + window])
        if all(len(line.strip()) > 10 for line in block):
            if block in seen and i - seen[block] >= window:
                return block
            seen.setdefault(block, i)
    return None


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_no_stored_output_repeats_itself(ipynb):
    """A cell's stored text, printed once: a refresh that merged a stream twice stored it twice."""
    import json

    for number, cell in enumerate(json.loads(ipynb.read_text())["cells"]):
        text = ""
        for output in cell.get("outputs", []):
            part = output.get("text") or output.get("data", {}).get("text/plain", "")
            text += "".join(part) if isinstance(part, list) else part
        repeated = _repeated_lines(text)
        assert repeated is None, f"{ipynb.name} cell {number} shows these lines twice: {repeated}"


@pytest.mark.parametrize("ipynb", IPYNB, ids=lambda p: p.stem)
def test_no_stored_output_shows_the_storing_machines_paths(ipynb):
    """Messages name paths relative to the kit or the working folder: a reader's machine is not ours."""
    import json

    absolute = re.compile(r"(?<![\w.])/(work|home|root|tmp|Users|private|var)/[\w.-]+")
    for number, cell in enumerate(json.loads(ipynb.read_text())["cells"]):
        for output in cell.get("outputs", []):
            part = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = "".join(part) if isinstance(part, list) else part
            found = absolute.search(text)
            assert found is None, f"{ipynb.name} cell {number} shows {found.group(0)}"
