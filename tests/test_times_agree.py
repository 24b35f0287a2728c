"""One figure per time, the same wherever it is written: README's table, notebook 04 (and 05's
header) and RESULTS.md agree with each other and with the measurements in images/*metrics.json;
every GPU time is an estimate (none was measured) and says so."""
import json
import re
import statistics
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
RESULTS = (REPO / "RESULTS.md").read_text()
NB04 = (REPO / "notebooks" / "04_training.py").read_text()
NB05 = (REPO / "notebooks" / "05_evaluation.py").read_text()
NB06 = (REPO / "notebooks" / "06_beyond.py").read_text()
FULL_RUN = json.loads((REPO / "images" / "net-jpeg-notebook-04-full-run-cpu-metrics.json").read_text())

SECONDS = [epoch["seconds"] for epoch in FULL_RUN["epochs"]]
RUN_MINUTES = round(sum(SECONDS) / 60)  # the 30 epochs of notebook 04 on the 2-core CPU
MEDIAN_EPOCH = round(statistics.median(SECONDS))
NOTEBOOK_MINUTES = re.search(r"whole notebook took ([\d.]+) min", FULL_RUN["note"]).group(1)


def one_line(text):
    """Markdown of a .py notebook without its comment marks, on one line: a sentence may wrap."""
    return " ".join(line.lstrip("# ").strip() for line in text.splitlines())


def dashes(text):
    return text.replace("–", "-")


def readme_row(number):
    row = next(line for line in README.splitlines() if line.startswith(f"| {number} ·"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_full_run_is_the_thirty_epochs_measured():
    assert len(SECONDS) == 30 and FULL_RUN["recipe"]["batch_size"] == 128
    assert (RUN_MINUTES, MEDIAN_EPOCH) == (69, 139)


def test_the_cpu_run_of_notebook_04_is_one_figure_everywhere():
    cpu = readme_row("04")[3]
    assert f"{NOTEBOOK_MINUTES} min" in cpu and f"{RUN_MINUTES} min" in cpu, cpu
    assert f"median {MEDIAN_EPOCH} s an epoch" in cpu, cpu
    nb = one_line(NB04)
    assert f"{RUN_MINUTES} min on a 2-core CPU" in nb and f"median {MEDIAN_EPOCH} s an epoch" in nb
    assert f"{NOTEBOOK_MINUTES} min" in RESULTS and f"took {RUN_MINUTES} min" in RESULTS
    assert f"median {MEDIAN_EPOCH} s" in RESULTS
    # no other per-epoch or per-run CPU figure for the 30 epochs
    for text in (cpu, nb):
        assert not set(re.findall(r"(\d+) s an epoch", text)) - {str(MEDIAN_EPOCH)}, text
    five_epochs = round(5 * MEDIAN_EPOCH / 60)
    assert all(f"about {n} min" == f"about {five_epochs} min" for n in re.findall(r"about (\d+) min\b", nb))
    assert f"about {five_epochs} min" in nb


def test_the_t4_run_is_one_estimate_everywhere():
    gpu = dashes(readme_row("04")[4])
    nb = dashes(one_line(NB04))
    readme_runs = set(re.findall(r"(\d+-\d+|\d+) min for the 30 epochs", gpu))
    nb_runs = set(re.findall(r"(\d+-\d+|\d+) min on a Colab T4", nb))
    assert readme_runs and readme_runs == nb_runs, (readme_runs, nb_runs)
    assert re.search(r"1-2 min on a Colab T4 \(estimate, not measured\)", nb)
    # every sentence of 04 that gives a T4 time says it is an estimate
    for sentence in re.split(r"(?<=[.!?])\s+", nb):
        if re.search(r"on a (Colab )?T4\b", sentence) and re.search(r"\d+ (min|s)\b|minute", sentence):
            assert "estimate" in sentence, sentence


def test_every_gpu_time_in_the_readme_is_an_estimate():
    for number in ("01", "02", "03", "04", "05", "06"):
        assert "estimate" in readme_row(number)[4], number


def test_the_readme_cpu_times_are_results_measurements():
    """README's 2-core CPU column against RESULTS.md's "Notebook times in detail" (04: its full run, above)."""
    detail = re.search(r"2026-12-04: (.*?)\n\n", RESULTS, re.S).group(1).replace("\n", " ")
    measured = {n: int(s) for n, s in re.findall(r"\b(0[1-6]) (\d+) s\b", detail)}
    for number in ("01", "02", "03", "05", "06"):
        value, unit = re.match(r"([\d.]+) (min|s)\b", readme_row(number)[3]).groups()
        seconds = float(value) * (60 if unit == "min" else 1)
        assert abs(seconds - measured[number]) <= (3 if unit == "min" else 0), (number, value, unit, measured[number])
    assert f"{measured['05']} s on 2 CPU cores" in one_line(NB05)
    assert f"{readme_row('06')[3].split(' (')[0]} on a 2-core CPU (measured)" in one_line(NB06)
    assert "about a minute on a T4 (estimate" in one_line(NB06) and "about a minute" in readme_row("06")[4]
