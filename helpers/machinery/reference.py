"""The kit's reference run: its trained weights, shipped in the repository, and its metrics.

    SHIPPED_WEIGHTS     helpers/trained/net.pt: the default recipe's 30-epoch run, float16
    REFERENCE_METRICS   images/shipped-weights-metrics.json: that run's history, and the
                        shipped weights' test accuracy, class by class
    trained_checkpoint  a run's best.pt (else its last.pt) when there is one, else the shipped weights (and says which)

The notebooks draw the reference beside the student's own results: what a full run gives.
How the weights were made, and how to make them again: DEVELOPERS.md, "Shipped weights and
reference results"; their numbers: RESULTS.md, "The shipped weights".
"""
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_WEIGHTS = REPO_ROOT / "helpers" / "trained" / "net.pt"
REFERENCE_METRICS = REPO_ROOT / "images" / "shipped-weights-metrics.json"


def reference_metrics():
    """The reference run's metrics: "epochs" (its history), "recipe", "data", "params" and
    "shipped" (the shipped weights' test accuracy, flip TTA and class-wise accuracy)."""
    return json.loads(REFERENCE_METRICS.read_text())


def trained_checkpoint(run=None, log=print):
    """The student's own checkpoint whenever RUN has a usable one: RUN/best.pt, else RUN/last.pt
    (a run whose best.pt was lost, or is unreadable), or RUN itself when it names a checkpoint
    file; else the shipped weights. Which one, and why, is said."""
    from helpers import KitError, shown_path
    from helpers.machinery.checkpoints import load_checkpoint  # here: reference stays light for what imports it

    if run is not None and str(run).strip():
        run = Path(run)
        candidates = [run] if run.is_file() else [run / "best.pt", run / "last.pt"]
        unreadable = []
        for path in candidates:
            if not path.is_file():
                continue
            try:
                load_checkpoint(path)
            except KitError as error:
                unreadable.append(f"{path.name}: {error}")
                continue
            if path.name == "last.pt" and not run.is_file():
                why = "is missing" if not unreadable else "cannot be read"
                log(f"evaluating your own run: {shown_path(path)} (its best.pt {why}: these are the weights of its last saved "
                    f"epoch)")
            else:
                log(f"evaluating your own run: {shown_path(path)}")
            return path
        if unreadable:  # the student's run is there but cannot be loaded: never the shipped weights silently instead
            raise KitError(f"your run in {shown_path(run)} has no readable checkpoint ({'; '.join(unreadable)[:300]})")
        if run.is_dir() and any((run / name).exists() for name in ("metrics.json", "last.pt.tmp", "best.pt.tmp")):
            log(f"{shown_path(run)} holds a run but no checkpoint (best.pt, last.pt): evaluating the kit's shipped weights "
                f"({SHIPPED_WEIGHTS.relative_to(REPO_ROOT)}) instead. Train again in notebook 04 to evaluate your own.")
            return SHIPPED_WEIGHTS
    log(f"no trained run in {shown_path(run)}: evaluating the kit's shipped weights ({SHIPPED_WEIGHTS.relative_to(REPO_ROOT)}, "
        f"the default recipe's full run). Train your own in notebook 04 to evaluate it here.")
    return SHIPPED_WEIGHTS
