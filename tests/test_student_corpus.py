"""Real students' networks (tests/student_networks, rebuilt from public repositories of this
assignment) through the kit: the checker gives every one a verdict on every rule with the receptive
field computed and measured alike, and `python -m helpers.train --model FILE:CLASS` trains each."""
import importlib
import json

import pytest
import torch

from helpers.assignment import check_assignment, format_checks
from helpers.receptive_field import receptive_field
from helpers.train.cli import main as train_main
from tests.student_networks import CORPUS
from tests.test_student_corpus_builds import FOLDER

MODEL_RULES = ("parameters under 200,000", "no max-pooling", "a depthwise separable convolution", "a dilated convolution",
               "global average pooling before the classifier", "receptive field above 44",
               "four stages C1, C2, C3, C4, then the output", "10 logits an image")


def build(name):
    module = importlib.import_module(f"tests.student_networks.{name}")
    torch.manual_seed(0)
    return module, module.NETWORK()


@pytest.mark.parametrize("name", CORPUS)
def test_every_rule_gets_a_verdict_and_the_receptive_field_is_computed_as_measured(name):
    _, model = build(name)
    checks = {c.rule: c for c in check_assignment(model)}
    unchecked = [rule for rule in MODEL_RULES if checks[rule].passed is None]
    assert unchecked == [], format_checks(list(checks.values()))
    rf = checks["receptive field above 44"].measured
    computed = receptive_field(model)
    assert rf.startswith(f"{computed} computed, {computed} measured"), rf


def verdicts(name):
    return {c.rule: c for c in check_assignment(build(name)[1])}


def test_what_the_students_own_outputs_show_is_what_the_checker_says():
    """Facts of these networks read off their code (tests/student_networks/README.md)."""
    nitin = verdicts("nitinranjansharma_eva5_s7")  # three MaxPool2d, 255,456 parameters (written for a 1M budget)
    assert not nitin["no max-pooling"].passed and nitin["no max-pooling"].measured.count("nn.MaxPool2d") == 3
    assert not nitin["parameters under 200,000"].passed
    ak112 = verdicts("ak112_eva8_s6")  # AvgPool2d(3) on its 4x4 map
    assert "averages 9 of the 16 positions" in ak112["global average pooling before the classifier"].measured
    sunpau = verdicts("sunpau_era_v1_s9")  # its blocks override __call__, so module hooks never fire
    assert sunpau["receptive field above 44"].measured.startswith("43 computed, 43 measured")
    shubham = verdicts("shubhamverma16_era_s9")  # a layer named sep_conv_1 that is not depthwise
    assert not shubham["a depthwise separable convolution"].passed
    tharun = verdicts("tharunsivamani_s9")  # no stride: unpadded convolutions with dilation 1, 2, 4, 8
    assert tharun["bonus: downsampled by dilation alone"].passed


@pytest.mark.parametrize("name", CORPUS)
def test_the_command_line_trains_each_network_for_an_epoch(name, subset_root, tmp_path, capsys):
    module, _ = build(name)
    spec = f"{FOLDER / (name + '.py')}:{module.NETWORK.__name__}"
    out = tmp_path / "run"
    status = train_main(["--model", spec, "--data-root", str(subset_root), "--subset", "100", "--epochs", "1",
                         "--batch-size", "16", "--device", "cpu", "--no-progress", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 1 and metrics["model"]["class"] == module.NETWORK.__name__
    assert isinstance(metrics["assignment_rules_broken"], list)
