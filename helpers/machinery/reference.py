"""The kit's reference run: its trained weights, shipped in the repository, and its metrics.

    SHIPPED_WEIGHTS     helpers/trained/net.pt: the default recipe's 30-epoch run, float16
    REFERENCE_METRICS   images/shipped-weights-metrics.json: that run's history, and the
                        shipped weights' test accuracy, class by class
    trained_checkpoint  a run's best.pt when there is one, else the shipped weights (and says which)

The notebooks draw the reference beside the student's own results: what a full run gives.
How the weights were made, and how to make them again: README, "Shipped weights".
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
    """RUN/best.pt when the student's run has one, else the shipped weights: which one, said."""
    if run is not None and (Path(run) / "best.pt").is_file():
        log(f"evaluating your own run: {Path(run) / 'best.pt'}")
        return Path(run) / "best.pt"
    log(f"no trained run in {run}: evaluating the kit's shipped weights ({SHIPPED_WEIGHTS.relative_to(REPO_ROOT)}, "
        f"the default recipe's full run). Train your own in notebook 04 to evaluate it here.")
    return SHIPPED_WEIGHTS
