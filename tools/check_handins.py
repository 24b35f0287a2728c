"""A teacher's check of a folder of hand-ins: every student's network through the assignment's
checker, and their run's metrics.json for the augmentation and the accuracy, in one table.

    python -m tools.check_handins HANDINS/            # one folder a student (README: "Grading")

A student's folder is what they hand in: the kit folder of their Google Drive (MyDrive/cifar10-kit),
that is my_networks/*.py and runs/RUN_NAME/metrics.json, and the notebook (03_model.ipynb). Of
their code nothing runs but building their network and one forward pass on a dummy batch (no
training, no gradients), each student in a process of their own with a time limit, so that one
file that hangs or exits cannot stop the rest.
"""
import argparse
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHORT = {"parameters under 200,000": "params", "no max-pooling": "no max-pool", "a depthwise separable convolution": "DW sep.",
         "a dilated convolution": "dilated", "global average pooling before the classifier": "GAP",
         "receptive field above 44": "RF > 44", "four stages C1, C2, C3, C4, then the output": "C1-C4",
         "10 logits an image": "10 logits",
         "augmentation: HorizontalFlip, ShiftScaleRotate (Affine), CoarseDropout": "augment.",
         "test accuracy of 85%": "85%"}
GRADED_DATA = "CIFAR-10"  # the accuracy counts on the real test set only (README, "Grading")


def verdict_table(rows):
    """rows: (first columns, checks as dicts with rule/passed/kind) → a markdown table."""
    header = "| " + " | ".join(list(rows[0][0]) + list(SHORT.values()) + ["variants met"]) + " |" if rows else ""
    lines = [header, "|" + " --- |" * (len(rows[0][0]) + len(SHORT) + 1)] if rows else []
    for first, checks in rows:
        by_rule = {c["rule"]: c for c in checks}
        marks = ["PASS" if by_rule.get(r, {}).get("passed") else "FAIL" if by_rule.get(r, {}).get("passed") is False else "-"
                 for r in SHORT]
        variants = ", ".join(c["rule"].split(":")[0] for c in checks if c["kind"] != "rule" and c["passed"]) or "-"
        lines.append("| " + " | ".join(list(first.values()) + marks + [variants]) + " |")
    return "\n".join(lines)


def _networks(folder):
    """(file, class name) candidates: the file and class a run's metrics.json names, else MyNet,
    else the one nn.Module class a file under my_networks/ defines."""
    runs = sorted(folder.rglob("metrics.json"), key=lambda p: p.stat().st_mtime)
    for metrics_path in reversed(runs):
        try:
            source = json.loads(metrics_path.read_text()).get("model", {}).get("source", "")
        except (OSError, ValueError):
            continue
        file_name, _, class_name = source.rpartition(":")
        found = [p for p in folder.rglob(Path(file_name).name) if p.is_file()] if file_name else []
        if found:
            return found[0], class_name, metrics_path
    files = sorted(folder.glob("my_networks/*.py")) or sorted(p for p in folder.rglob("*.py") if ".ipynb_checkpoints" not in str(p))
    return (files[0] if files else None), None, (runs[-1] if runs else None)


def check_one(folder):
    """The checks of one student's folder, as a dict (run in a process of its own)."""
    sys.path.insert(0, str(REPO))
    import torch
    import torch.nn as nn

    from helpers.assignment import check_assignment

    path, class_name, metrics_path = _networks(folder)
    if path is None:
        return {"error": "no network file (my_networks/*.py)"}
    spec = importlib.util.spec_from_file_location(f"handin_{folder.name}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as error:  # SystemExit too: their file must not end the check
        return {"network": path.name, "error": f"{path.name} does not run: {type(error).__name__}: {error}"}
    classes = [value for name, value in vars(module).items() if inspect.isclass(value) and issubclass(value, nn.Module)
               and value.__module__ == module.__name__]
    chosen = next((c for c in classes if c.__name__ == (class_name or "MyNet")), classes[-1] if len(classes) == 1 else None)
    if chosen is None:
        return {"network": path.name, "error": f"which class? {path.name} defines {', '.join(c.__name__ for c in classes) or 'none'}"}
    try:
        torch.manual_seed(0)
        model = chosen()
    except BaseException as error:
        return {"network": f"{path.name}:{chosen.__name__}", "error": f"{chosen.__name__}() fails: {type(error).__name__}: {error}"}
    run = {}
    if metrics_path is not None:
        try:
            run = json.loads(metrics_path.read_text())
        except (OSError, ValueError) as error:
            run = {"error": str(error)}
    checks = check_assignment(model, run.get("epochs"), augmentation=run.get("augmentation"), measure=False)
    best = max((e.get("test_acc", 0) for e in run.get("epochs", [])), default=None)
    return {"network": f"{path.name}:{chosen.__name__}", "run": str(metrics_path.relative_to(folder)) if metrics_path else None,
            "data": run.get("data"), "epochs": len(run.get("epochs", [])), "best_test_acc": best,
            "checks": [{"rule": c.rule, "kind": c.kind, "passed": c.passed, "measured": c.measured} for c in checks]}


def check_folder(handins, timeout=120):
    """{student: result} for every sub-folder of `handins`, each checked in its own process."""
    results = {}
    for folder in sorted(p for p in Path(handins).iterdir() if p.is_dir()):
        try:
            done = subprocess.run([sys.executable, "-m", "tools.check_handins", "--one", str(folder)], cwd=REPO,
                                  capture_output=True, text=True, timeout=timeout)
            lines = done.stdout.strip().splitlines()
            results[folder.name] = json.loads(lines[-1]) if done.returncode == 0 and lines else \
                {"error": f"the check stopped (exit {done.returncode}): {(done.stderr.strip().splitlines() or [''])[-1][:200]}"}
        except subprocess.TimeoutExpired:
            results[folder.name] = {"error": f"did not finish in {timeout} s"}
    return results


def report(results):
    rows, notes = [], []
    for student, result in results.items():
        if "checks" not in result:
            notes.append(f"- {student}: {result.get('error')}")
            continue
        accuracy = "-" if result["best_test_acc"] is None else f"{result['best_test_acc']:.2f}%"
        if result["best_test_acc"] is not None and result["data"] != GRADED_DATA:
            accuracy += f" ({result['data']}: not graded)"
        rows.append(({"student": student, "network": result["network"], "best test acc": accuracy}, result["checks"]))
    return "\n".join([verdict_table(rows)] + (["", "Not checked:"] + notes if notes else []))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.check_handins", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("handins", help="a folder with one sub-folder a student")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a student's check may take (default 120)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the per-student process
    args = parser.parse_args(argv)
    folder = Path(args.handins)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder: give the folder that holds one sub-folder a student", file=sys.stderr)
        return 2
    if args.one:
        print(json.dumps(check_one(folder)))
        return 0
    print(report(check_folder(folder, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
