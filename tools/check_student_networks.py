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
from tools.check_handins import verdict_table

REPO = Path(__file__).resolve().parents[1]


def main():
    rows, record = [], {}
    for name in CORPUS:
        module = importlib.import_module(f"tests.student_networks.{name}")
        torch.manual_seed(0)
        model = module.NETWORK()
        checks = [{"rule": c.rule, "kind": c.kind, "passed": c.passed, "measured": c.measured} for c in check_assignment(model)]
        record[name] = {"source": module.SOURCE, "receptive_field_computed": receptive_field(model), "checks": checks}
        rf = next(c for c in checks if c["rule"] == "receptive field above 44")["measured"].split(" (")[0]
        rows.append(({"network": f"`{name}`", "source": module.SOURCE, "RF": rf}, checks))
    print(verdict_table(rows))
    out = REPO / "images" / "student-networks-checks.json"
    out.write_text(json.dumps({"torch": torch.__version__, "python": platform.python_version(), "networks": record}, indent=1))
    print(f"\nwritten {out.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
