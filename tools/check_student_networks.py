"""The checker on the corpus of real students' networks (tests/student_networks): one row a network,
for RESULTS.md, and every verdict in images/student-networks-checks.json.

    python -m tools.check_student_networks            # prints the markdown table, writes the JSON
"""
import importlib
import json
import platform
import sys
from pathlib import Path

import torch

from helpers.assignment import check_assignment
from helpers.receptive_field import receptive_field
from tests.student_networks import CORPUS

REPO = Path(__file__).resolve().parents[1]
SHORT = {"parameters under 200,000": "params", "no max-pooling": "no max-pool", "a depthwise separable convolution": "DW sep.",
         "a dilated convolution": "dilated", "global average pooling before the classifier": "GAP",
         "receptive field above 44": "RF > 44", "four stages C1, C2, C3, C4, then the output": "C1-C4 named",
         "10 logits an image": "10 logits"}


def main():
    rows, record = [], {}
    for name in CORPUS:
        module = importlib.import_module(f"tests.student_networks.{name}")
        torch.manual_seed(0)
        model = module.NETWORK()
        checks = check_assignment(model)
        record[name] = {"source": module.SOURCE, "receptive_field_computed": receptive_field(model),
                        "checks": [{"rule": c.rule, "kind": c.kind, "passed": c.passed, "measured": c.measured} for c in checks]}
        verdict = {c.rule: c for c in checks}
        rf = verdict["receptive field above 44"].measured.split(" (")[0]
        marks = " | ".join("PASS" if verdict[r].passed else "FAIL" if verdict[r].passed is False else "-" for r in SHORT)
        variants = ", ".join(c.rule.split(":")[0] for c in checks if c.kind != "rule" and c.passed) or "-"
        rows.append(f"| `{name}` | {module.SOURCE} | {rf} | {marks} | {variants} |")
    header = "| network | source | RF | " + " | ".join(SHORT.values()) + " | variants met |"
    print("\n".join([header, "|" + " --- |" * (len(SHORT) + 4)] + rows))
    out = REPO / "images" / "student-networks-checks.json"
    out.write_text(json.dumps({"torch": torch.__version__, "python": platform.python_version(), "networks": record}, indent=1))
    print(f"\nwritten {out.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
