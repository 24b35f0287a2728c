"""Re-run the notebooks and write each .ipynb back the way it is committed.

    CIFAR10_ROOT=../shared/data/cifar10-subset python -m tools.refresh_notebooks [NAME ...]
    CIFAR10_ROOT=../shared/data/cifar10-subset python -m tools.refresh_notebooks --full-outputs --data-root .jpeg [NAME ...]
    CIFAR10_ROOT=... python -m tools.refresh_notebooks --out /tmp/executed [NAME ...]

The jupytext twin notebooks/NAME.py is the source. It is run top to bottom in a fresh kernel
started in notebooks/ (as nbval starts it). NAME defaults to every notebook.

Plain (no option): the committed form without stored results. The notebook runs in smoke mode
(KIT_SMOKE=1, as under the tests); only the cells marked `# NBVAL_CHECK_OUTPUT` keep their outputs
and execution counts (nbval compares against those; a cell without an execution count is not
compared), every other cell is stored clean.

--full-outputs --data-root DIR: the committed form with every result stored, so that a lesson
reads on GitHub without running it. Each notebook runs twice:
  1. in smoke mode (KIT_SMOKE=1, $CIFAR10_ROOT as under the tests): the outputs nbval reproduces;
  2. in full mode (KIT_SMOKE unset, CIFAR10_ROOT=DIR, e.g. the JPEG copy): what a student sees.
Every cell stores the full run's outputs (figures as PNG at --dpi, widgets dropped, cleared output
cleared), except the marked cells, which must print the same in both modes (parameter counts,
receptive fields: nothing that depends on the data or the run's length). For them the smoke run's
outputs are stored, which is what nbval compares under `--nbval-lax` (it checks only marked cells;
unmarked cells with stored outputs are run but not compared, and need an execution count, which
they have). A marked cell whose full-run output differs is reported, and the command exits 1:
its stored output is the smoke run's, not the full run's; make the cell print the same in both
modes, or unmark it. The figures live in the notebook; a run writes figure files to its run folder,
and to images/ only with KIT_FIGURES_DIR=images set. Each written file's size is printed.

--set NAME:KNOB=VALUE (with --full-outputs, repeatable): the full run of notebook NAME runs with
that knob changed, e.g. `--set 04_training:EPOCHS=3` to store a full-data run that fits in minutes
on a CPU. The stored knob cell keeps the lesson's own line and prints, under it, what was set.

--out DIR: run in the mode the environment says and write fully executed copies into DIR, leaving
notebooks/ alone (with KIT_SMOKE unset that is a full run, which is how the figures in images/ are
made). With --full-outputs, --out DIR writes the merged notebooks there instead of notebooks/, and
--smoke-full runs its "full" pass in smoke mode too (to try the tool in minutes).

Every notebook written into notebooks/ asks Colab for a GPU runtime (its metadata).
Only jupyter_client (which ipykernel brings) is needed: no nbconvert, no nbclient.
"""
import argparse
import copy
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
WIDGET = "application/vnd.jupyter.widget-view+json"
DEFAULT_DPI = 72
# What nbval leaves out of a comparison (nbval.plugin.IPyNbFile.skip_compare, without --nbdime).
NBVAL_SKIPS = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count", WIDGET,
               "image/png", "image/jpeg"}
CLEAR = "clear_output"  # an output-like marker for a clear_output message (nbval ignores these)


def figure_prologue(dpi=DEFAULT_DPI):
    """Code run in the kernel before the notebook (not stored): inline figures as PNG at `dpi`,
    optimised and without the matplotlib version stamp. It changes how a figure is shown in the
    notebook only: the files written to images/ keep their own dpi (helpers.plots.save_figure)."""
    kwargs = {"bbox_inches": "tight", "dpi": dpi, "metadata": {"Software": None}, "pil_kwargs": {"optimize": True}}
    return ("from matplotlib_inline.config import InlineBackend as _Inline\n"
            "_Inline.instance().figure_formats = {'png'}\n"
            f"_Inline.instance().print_figure_kwargs = {kwargs!r}\n"
            "del _Inline\n")


def _output(msg):
    """An iopub message → a notebook output, the CLEAR marker, or None for messages that are not outputs."""
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=content["name"], text=content["text"])
    if kind in ("display_data", "execute_result"):
        output = nbformat.v4.new_output(kind, data=content["data"], metadata=content["metadata"])
        if kind == "execute_result":
            output.execution_count = content["execution_count"]
        return output
    if kind == "error":
        return nbformat.v4.new_output("error", ename=content["ename"], evalue=content["evalue"],
                                      traceback=content["traceback"])
    if kind == "clear_output":
        return {CLEAR: content.get("wait", False)}
    return None


def _is_clear(output):
    return isinstance(output, dict) and CLEAR in output and "output_type" not in output


def _merge_streams(outputs):
    """Consecutive prints to the same stream become one output, as Jupyter stores them. Works on
    copies: the outputs are merged more than once (to compare, to store), and must not grow."""
    merged = []
    for output in outputs:
        if merged and output.output_type == "stream" == merged[-1].output_type and output.name == merged[-1].name:
            merged[-1].text += output.text
        else:
            merged.append(copy.deepcopy(output))
    return merged


def as_nbval_sees(outputs):
    """The outputs as nbval collects them: every output, clear_output ignored."""
    return _merge_streams([o for o in outputs if not _is_clear(o)])


def as_a_reader_sees(outputs):
    """The outputs as a notebook front end shows them after the cell ran: clear_output applied
    (with wait=True, at the next output), widgets dropped (a stored page has no widget state, and a
    progress bar's text is its first frame), a line rewritten with carriage returns kept as its
    last version."""
    shown, pending_clear = [], False
    for output in outputs:
        if _is_clear(output):
            if output[CLEAR]:
                pending_clear = True
            else:
                shown, pending_clear = [], False
            continue
        if pending_clear:
            shown, pending_clear = [], False
        if output.output_type in ("display_data", "execute_result") and WIDGET in output.data:
            continue
        shown.append(output)
    shown = _merge_streams(copy.deepcopy(shown))
    for output in shown:
        if output.output_type == "stream":
            output.text = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in output.text.split("\n"))
    return shown


def comparable(outputs):
    """What nbval compares of a cell's outputs, as it compares them: streams coalesced by name
    (\r and \b applied), then every key of every output flattened, less those it skips (images,
    widgets, metadata, execution counts)."""
    from nbval.plugin import coalesce_streams  # nbval is a test requirement, in both requirement files

    flattened = {}
    for output in coalesce_streams(copy.deepcopy(as_nbval_sees(outputs))):
        if output.output_type == "stream":
            flattened.setdefault(output.name, []).append(output.text)
            continue
        for key, value in output.items():
            if key == "data":
                for mime, content in value.items():
                    if mime not in NBVAL_SKIPS:
                        flattened.setdefault(mime, []).append(content)
            elif key not in NBVAL_SKIPS:
                flattened.setdefault(key, []).append(value)
    return flattened


def execute(notebook, cwd=NOTEBOOKS, timeout=1800, env=None, prologue=None):
    """Run every code cell of `notebook` in place, filling outputs and execution counts. The raw
    outputs (with clear_output markers) are kept on each cell as `raw_outputs` until stored.
    `env`: the kernel's environment (default: this process's); `prologue`: code run first, unstored."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env if env is not None else dict(os.environ))
    try:
        def run(source, store_history=True):
            msg_id = client.execute(source, store_history=store_history)
            outputs = []
            while True:
                msg = client.get_iopub_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return outputs
                if (output := _output(msg)) is not None:
                    outputs.append(output)

        if prologue:
            errors = [o for o in run(prologue, store_history=False) if not _is_clear(o) and o.output_type == "error"]
            if errors:
                raise RuntimeError(f"the prologue failed: {errors[0].ename}: {errors[0].evalue}\n{prologue}")
        for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), start=1):
            outputs = run(cell.source)
            cell.raw_outputs = outputs
            cell.outputs, cell.execution_count = as_nbval_sees(outputs), count
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                raise RuntimeError(f"cell {count} failed: {errors[0].ename}: {errors[0].evalue}\n{cell.source}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return notebook


def is_checked(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARKER)


def keep_checked_outputs_only(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code" and not is_checked(cell):
            cell.outputs, cell.execution_count = [], None


def merge_full_run(full, smoke):
    """`full` with every cell's outputs as a reader sees them, except the marked cells, which take
    `smoke`'s outputs (what nbval reproduces). Returns the marked cells' numbers whose outputs
    differ between the two runs. Both notebooks come from the same source, cell for cell."""
    differing = []
    full_code = [c for c in full.cells if c.cell_type == "code"]
    smoke_code = [c for c in smoke.cells if c.cell_type == "code"]
    assert len(full_code) == len(smoke_code), "the two runs must be of the same notebook"
    for number, (cell, twin) in enumerate(zip(full_code, smoke_code), start=1):
        if is_checked(cell):
            if comparable(cell.raw_outputs) != comparable(twin.raw_outputs):
                differing.append(number)
            cell.outputs = twin.outputs
        else:
            cell.outputs = as_a_reader_sees(cell.raw_outputs)
    return differing


def override_knobs(notebook, settings):
    """A copy of `notebook` whose knob lines (`KNOB = ...`) read the values of `settings` (KNOB=VALUE),
    each cell that changed printing what was set, so that the stored outputs say how they were made."""
    notebook = copy.deepcopy(notebook)
    for setting in settings:
        knob, value = setting.split("=", 1)
        for cell in notebook.cells:
            lines = cell.source.splitlines() if cell.cell_type == "code" else []
            found = [i for i, line in enumerate(lines) if re.match(rf"{knob}\s*=", line)]
            if found:
                lines[found[0]] = f"{knob} = {value}"
                lines.append(f"print('The outputs stored here ran with {knob} = {value} (tools.refresh_notebooks --set); "
                             f"the lesson\\'s own setting is the line above.')")
                cell.source = "\n".join(lines)
                break
        else:
            sys.exit(f"error: --set {setting}: no line `{knob} = ...` in the notebook")
    return notebook


def drop_raw_outputs(notebook):
    for cell in notebook.cells:
        cell.pop("raw_outputs", None)


def ask_colab_for_a_gpu(notebook):
    """Colab opens a notebook on the runtime its metadata asks for: a GPU (a T4 on the free tier)."""
    notebook.metadata["accelerator"] = "GPU"
    notebook.metadata.setdefault("colab", {})["gpuType"] = "T4"


def keep_cell_ids(notebook, target):
    """Reuse the cell ids of the stored notebook, cell by cell, so that a refresh does not rewrite
    every id (jupytext makes up new ones when it reads the .py)."""
    if target.exists():
        for cell, stored in zip(notebook.cells, jupytext.read(target).cells):
            if cell.cell_type == stored.cell_type and "id" in stored:
                cell.id = stored.id


def kernel_env(smoke, data_root=None):
    """This process's environment, in smoke mode or not, with CIFAR10_ROOT=data_root when given."""
    env = dict(os.environ)
    if smoke:
        env["KIT_SMOKE"] = "1"
    else:
        env.pop("KIT_SMOKE", None)
    if data_root is not None:
        env["CIFAR10_ROOT"] = str(Path(data_root).resolve())
    return env


def stderr_of(notebook):
    return [o.text for c in notebook.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "stream" and o.name == "stderr"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names such as 01_data_analysis (default: all)")
    parser.add_argument("--out", type=Path, help="write the notebooks here; leave notebooks/ alone")
    parser.add_argument("--full-outputs", action="store_true",
                        help="store every cell's outputs from a full run (marked cells: from a smoke run)")
    parser.add_argument("--data-root", type=Path, help="with --full-outputs: the full run's data (e.g. the JPEG copy)")
    parser.add_argument("--dpi", type=int, default=DEFAULT_DPI, help=f"with --full-outputs: figures' dpi (default {DEFAULT_DPI})")
    parser.add_argument("--set", action="append", default=[], metavar="NAME:KNOB=VALUE",
                        help="with --full-outputs: change a knob for NAME's full run (repeatable)")
    parser.add_argument("--smoke-full", action="store_true", help="with --full-outputs: run the full pass in smoke mode too")
    args = parser.parse_args(argv)
    if args.full_outputs and not (args.data_root or args.smoke_full):
        parser.error("--full-outputs needs --data-root DIR (the full run's data)")
    if args.data_root and not args.data_root.is_dir():
        parser.error(f"--data-root {args.data_root}: no such folder")
    if not args.out or args.full_outputs:  # the stored outputs of marked cells must be the ones nbval will see
        from helpers.data import DataError
        from tools.subset_for_tests import subset_for_tests
        os.environ["KIT_SMOKE"] = "1"
        try:  # $CIFAR10_ROOT, or the tests' own subset, as under pytest
            os.environ["CIFAR10_ROOT"] = str(subset_for_tests())
        except DataError as error:
            sys.exit(f"error: no data for the smoke run: {error}")
    names = args.names or sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.py"))
    failed = []
    for name in names:
        started = time.perf_counter()
        source = jupytext.read(NOTEBOOKS / f"{name}.py")
        if args.full_outputs:
            notebook = execute(copy.deepcopy(source), env=kernel_env(smoke=True))
            smoke_seconds = time.perf_counter() - started
            knobs = [s.split(":", 1)[1] for s in args.set if s.split(":", 1)[0] == name]
            full = execute(override_knobs(source, knobs), env=kernel_env(smoke=args.smoke_full, data_root=args.data_root),
                           prologue=figure_prologue(args.dpi))
            for cell, lesson in zip(full.cells, source.cells):  # the lesson's own lines are what is stored
                cell.source = lesson.source
            differing = merge_full_run(full, notebook)
            smoke_stderr, notebook = stderr_of(notebook), full
            if differing:
                failed.append(name)
                print(f"{name}: marked cell(s) {differing} print differently in the full run; their stored "
                      "outputs are the smoke run's (nbval's): make them print the same in both modes, or unmark them",
                      file=sys.stderr)
        else:
            notebook = execute(source)
            smoke_stderr = []
        stderr = smoke_stderr + stderr_of(notebook)
        drop_raw_outputs(notebook)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            target = args.out / f"{name}.ipynb"
        else:
            target = NOTEBOOKS / f"{name}.ipynb"
        if not args.full_outputs and not args.out:
            keep_checked_outputs_only(notebook)
        if not args.out or args.full_outputs:
            keep_cell_ids(notebook, NOTEBOOKS / f"{name}.ipynb")
            ask_colab_for_a_gpu(notebook)
        jupytext.write(notebook, target, fmt="ipynb")
        timing = (f"smoke {smoke_seconds:.0f} s + full {time.perf_counter() - started - smoke_seconds:.0f} s"
                  if args.full_outputs else f"{time.perf_counter() - started:.1f} s")
        print(f"{name}: ran in {timing} → {target} ({target.stat().st_size / 1024:.0f} KiB)")
        for text in stderr:  # warnings belong fixed, not committed
            print(f"  stderr: {text.strip()[:500]}", file=sys.stderr)
    if failed:
        sys.exit(f"marked cells differ between smoke and full mode in: {', '.join(failed)}")


if __name__ == "__main__":
    main()
