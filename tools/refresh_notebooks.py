"""Re-run the notebooks and write each .ipynb back the way it is committed.

    CIFAR10_ROOT=../shared/data/cifar10-subset .venv/bin/python -m tools.refresh_notebooks [NAME ...]
    CIFAR10_ROOT=... .venv/bin/python -m tools.refresh_notebooks --out /tmp/executed   # a full run

The jupytext twin notebooks/NAME.py is the source. It is run top to bottom in a fresh kernel
started in notebooks/ (as nbval starts it); then, in notebooks/NAME.ipynb, only the cells marked
`# NBVAL_CHECK_OUTPUT` keep their outputs and execution counts (nbval compares against those;
a cell without an execution count is not compared), every other cell is stored clean. They run
in smoke mode (KIT_SMOKE=1), as under the tests. With --out DIR the notebooks run in the mode the
environment says and are written fully executed into DIR, leaving the committed ones alone: with
KIT_SMOKE unset that is a full run, which is how the figures in images/ are made.

Only jupyter_client (which ipykernel brings) is needed: no nbconvert, no nbclient.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"


def _output(msg):
    """An iopub message → a notebook output, or None for messages that are not outputs."""
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
    return None


def _merge_streams(outputs):
    """Consecutive prints to the same stream become one output, as Jupyter stores them."""
    merged = []
    for output in outputs:
        if merged and output.output_type == "stream" == merged[-1].output_type and output.name == merged[-1].name:
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


def execute(notebook, cwd=NOTEBOOKS, timeout=1800):
    """Run every code cell of `notebook` in place, filling outputs and execution counts."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), start=1):
            msg_id = client.execute(cell.source)
            outputs = []
            while True:
                msg = client.get_iopub_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
                if (output := _output(msg)) is not None:
                    outputs.append(output)
            cell.outputs, cell.execution_count = _merge_streams(outputs), count
            errors = [o for o in outputs if o.output_type == "error"]
            if errors:
                raise RuntimeError(f"cell {count} failed: {errors[0].ename}: {errors[0].evalue}\n{cell.source}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return notebook


def keep_checked_outputs_only(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code" and not cell.source.lstrip().startswith(CHECK_MARKER):
            cell.outputs, cell.execution_count = [], None


def keep_cell_ids(notebook, target):
    """Reuse the cell ids of the stored notebook, cell by cell, so that a refresh does not rewrite
    every id (jupytext makes up new ones when it reads the .py)."""
    if target.exists():
        for cell, stored in zip(notebook.cells, jupytext.read(target).cells):
            if cell.cell_type == stored.cell_type and "id" in stored:
                cell.id = stored.id


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names such as 01_data_analysis (default: all)")
    parser.add_argument("--out", type=Path, help="write fully executed copies here; leave notebooks/ alone")
    args = parser.parse_args(argv)
    if not args.out:  # the stored outputs must be the ones nbval will see: smoke mode
        os.environ["KIT_SMOKE"] = "1"
    names = args.names or sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.py"))
    for name in names:
        started = time.perf_counter()
        notebook = execute(jupytext.read(NOTEBOOKS / f"{name}.py"))
        stderr = [o.text for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "stream" and o.name == "stderr"]
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            target = args.out / f"{name}.ipynb"
        else:
            keep_checked_outputs_only(notebook)
            target = NOTEBOOKS / f"{name}.ipynb"
            keep_cell_ids(notebook, target)
        jupytext.write(notebook, target, fmt="ipynb")
        print(f"{name}: ran in {time.perf_counter() - started:.1f} s → {target}")
        for text in stderr:  # warnings belong fixed, not committed
            print(f"  stderr: {text.strip()[:500]}", file=sys.stderr)


if __name__ == "__main__":
    main()
