"""tools/check_handins: a folder of hand-ins, one table; a student's file that exits, hangs or fails
stops only their own row; the accuracy counts only on the real test set."""
import json

import albumentations as A

from tools.check_handins import check_folder, report
from tests.conftest import STUDENT_NETWORK

COURSE = A.Compose([A.HorizontalFlip(p=0.5), A.Affine(rotate=(-5, 5), p=0.5), A.CoarseDropout(p=0.5)])


def hand_in(root, student, network=STUDENT_NETWORK, data="CIFAR-10", accuracy=86.0, source="my_net.py:TinyNet"):
    folder = root / student
    (folder / "my_networks").mkdir(parents=True)
    (folder / "my_networks" / "my_net.py").write_text(network)
    run = folder / "runs" / "my-net"
    run.mkdir(parents=True)
    metrics = {"data": data, "model": {"class": source.split(":")[1], "source": f"/content/drive/MyDrive/cifar10-kit/my_networks/{source}"},
               "augmentation": A.to_dict(COURSE), "epochs": [{"epoch": 1, "test_acc": accuracy}]}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_a_folder_of_hand_ins_gives_one_row_a_student_and_says_why_for_the_others(tmp_path):
    hand_in(tmp_path, "ada")
    hand_in(tmp_path, "ben", data="CIFAR-10 (JPEG copy)")
    hand_in(tmp_path, "cy", network="import sys\nsys.exit(3)\n")
    hand_in(tmp_path, "dee", network="while True:\n    pass\n")
    (tmp_path / "eve").mkdir()
    results = check_folder(tmp_path, timeout=20)
    text = report(results)
    ada = next(line for line in text.splitlines() if line.startswith("| ada"))
    assert "my_net.py:TinyNet" in ada and "86.00%" in ada and "(" not in ada.split("|")[3]
    rules = {c["rule"]: c["passed"] for c in results["ada"]["checks"]}
    assert rules["test accuracy of 85%"] is True and rules["augmentation: HorizontalFlip, ShiftScaleRotate (Affine), CoarseDropout"]
    assert "not graded" in next(line for line in text.splitlines() if line.startswith("| ben"))
    assert "SystemExit" in results["cy"]["error"] and "did not finish" in results["dee"]["error"]
    assert "no network file" in results["eve"]["error"]
    assert all(f"- {name}:" in text for name in ("cy", "dee", "eve"))
