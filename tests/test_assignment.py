"""helpers.assignment: Net meets every rule; small networks that each break exactly one rule get
exactly that rule failed, with a message that says what to change."""
import json

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.assignment import check_assignment, format_checks
from helpers.model import Net
from tests.conftest import REPO


class Student(nn.Module):
    """A small network that meets the rules (RF 47, about 25k parameters) unless told to break one."""

    def __init__(self, breaks=None):
        super().__init__()
        conv = lambda i, o, **k: nn.Sequential(nn.Conv2d(i, o, 3, padding=k.pop("padding", 1), bias=False, **k),
                                               nn.BatchNorm2d(o), nn.ReLU())
        self.breaks = breaks
        self.c1 = nn.Sequential(conv(3, 8), conv(8, 8))
        downsample = [conv(8, 16), nn.MaxPool2d(2)] if breaks == "max-pooling" else [conv(8, 16, stride=2)]
        self.c2 = nn.Sequential(*downsample, conv(16, 16))
        separable = [nn.Conv2d(16, 16, 3, 2, 1, groups=16, bias=False), nn.Conv2d(16, 32, 1, bias=False)]
        self.c3 = nn.Sequential(*(separable if breaks != "depthwise" else [nn.Conv2d(16, 32, 3, 2, 1, bias=False)]))
        dilated = [conv(32, 32, padding=2, dilation=2)] if breaks != "dilation" else [conv(32, 32), conv(32, 32)]
        self.c4 = nn.Sequential(*dilated, conv(32, 32), *([] if breaks == "receptive field" else [conv(32, 32)]))
        if breaks == "stages":
            self.body = nn.Sequential(self.c1, self.c2, self.c3, self.c4)
            del self.c1, self.c2, self.c3, self.c4
        if breaks == "parameters":
            self.spare = nn.Parameter(torch.zeros(200_000))
        self.out = nn.Linear(32 * 64 if breaks == "global average pooling" else 32, 5 if breaks == "logits" else 10)

    def forward(self, x):
        x = self.body(x) if self.breaks == "stages" else self.c4(self.c3(self.c2(self.c1(x))))
        if self.breaks == "functional max-pooling":  # hidden in forward, not a module
            x = F.max_pool2d(x, 2)
        x = x.flatten(1) if self.breaks == "global average pooling" else F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.out(x)


RULES = {"parameters": "parameters under 200,000", "max-pooling": "no max-pooling",
         "depthwise": "a depthwise separable convolution", "dilation": "a dilated convolution",
         "global average pooling": "global average pooling before the classifier",
         "receptive field": "receptive field above 44", "stages": "four stages C1, C2, C3, C4, then the output",
         "logits": "10 logits an image"}


def failed(model, history=None):
    return [c.rule for c in check_assignment(model, history) if not c.passed]


def test_net_and_the_student_template_meet_every_rule():
    assert failed(Net()) == [] and failed(Student()) == []
    text = format_checks(check_assignment(Net()))
    assert "61 computed, 61 measured" in text and text.endswith("the assignment is met")


@pytest.mark.parametrize("breaks", list(RULES))
def test_breaking_one_rule_fails_that_rule_alone_and_says_what_to_do(breaks):
    checks = check_assignment(Student(breaks))
    assert [c.rule for c in checks if not c.passed] == [RULES[breaks]]
    failure = next(c for c in checks if not c.passed)
    assert failure.fix and failure.fix in format_checks(checks)


def test_a_max_pool_in_forward_is_found_too():
    (check,) = [c for c in check_assignment(Student("functional max-pooling")) if c.rule == RULES["max-pooling"]]
    assert not check.passed and "max_pool2d" in check.measured and "stride-2" in check.fix


def test_accuracy_is_read_from_the_history_with_the_epoch_it_was_first_reached():
    history = json.loads((REPO / "images" / "net-jpeg-default-recipe-30-epochs-cpu-metrics.json").read_text())["epochs"]
    (check,) = [c for c in check_assignment(Net(), history) if "accuracy" in c.rule]
    first = next(h for h in history if h["test_acc"] >= 85)
    assert check.passed and f"first at epoch {first['epoch']}" in check.measured
    assert failed(Net(), history[:5]) == ["test accuracy of 85%"]


def conv_bn_relu(c_in, c_out, padding=1, **kwargs):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=padding, bias=False, **kwargs), nn.BatchNorm2d(c_out), nn.ReLU())


class DilationOnly(nn.Module):
    """The course's bonus variant: no stride anywhere; each stage ends with a dilated 3x3 convolution
    without padding (dilation 1, 2, 4, 8), which shrinks the map by 2d: 32 → 30 → 26 → 18 → 2."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(conv_bn_relu(3, 16), conv_bn_relu(16, 16, padding=0))
        self.c2 = nn.Sequential(conv_bn_relu(16, 32), conv_bn_relu(32, 32, padding=0, dilation=2))
        self.c3 = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), nn.Conv2d(32, 48, 1, bias=False),
                                conv_bn_relu(48, 48), conv_bn_relu(48, 48, padding=0, dilation=4))
        self.c4 = nn.Sequential(conv_bn_relu(48, 48, padding=2, dilation=2), conv_bn_relu(48, 48, padding=0, dilation=8),
                                conv_bn_relu(48, 48), conv_bn_relu(48, 48))
        self.output = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(48, 10))

    def forward(self, x):
        return self.output(self.c4(self.c3(self.c2(self.c1(x)))))


class ThreeStrides(nn.Module):
    """The other cohort's variant: no max-pooling, three 3x3 convolutions with stride 2 in its place."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(conv_bn_relu(3, 16), conv_bn_relu(16, 16), conv_bn_relu(16, 32, stride=2))   # 16x16
        self.c2 = nn.Sequential(conv_bn_relu(32, 32), conv_bn_relu(32, 64, stride=2))                        # 8x8
        self.c3 = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.Conv2d(64, 64, 1, bias=False),
                                conv_bn_relu(64, 64, stride=2))                                                # 4x4
        self.c4 = nn.Sequential(conv_bn_relu(64, 64, padding=2, dilation=2), conv_bn_relu(64, 64))
        self.output = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.output(self.c4(self.c3(self.c2(self.c1(x)))))


@pytest.mark.parametrize("variant", [DilationOnly, ThreeStrides], ids=["dilation only", "three stride-2 convs"])
def test_the_assignments_variants_pass_every_structural_rule(variant):
    checks = check_assignment(variant())
    assert [c.rule for c in checks if not c.passed] == [], format_checks(checks)
    (stages,) = [c for c in checks if c.rule == RULES["stages"]]
    if variant is DilationOnly:
        assert "C4 2x2" in stages.measured and "stride" not in stages.measured
        assert all(f"dilation {d} without padding" in stages.measured for d in (1, 2, 4, 8))
    else:
        assert stages.measured.count("stride 2") == 3


def test_a_functional_max_pool_is_named_as_why_the_two_receptive_fields_differ():
    (rf,) = [c for c in check_assignment(Student("functional max-pooling")) if c.rule == RULES["receptive field"]]
    assert "measured with gradients" in rf.measured and "F.max_pool2d" in rf.measured and "layer table" in rf.measured
    assert rf.passed  # the field the gradients measure is above 44; the max-pool breaks its own rule


def test_a_depthwise_convolution_is_called_depthwise_where_it_downsamples():
    (stages,) = [c for c in check_assignment(Net()) if c.rule == RULES["stages"]]
    assert "C3 depthwise 3x3, 64→64 (groups=64) stride 2" in stages.measured


@pytest.mark.parametrize("norm", ["group", "layer"])
def test_a_norm_over_all_positions_does_not_pass_for_a_larger_receptive_field(norm):
    """GroupNorm's statistics reach every pixel, so the gradients see the whole image: the layer table decides."""
    checks = check_assignment(Net(norm=norm))
    assert failed(Net(norm=norm)) == []
    (rf,) = [c for c in checks if c.rule == RULES["receptive field"]]
    assert rf.measured.startswith("61 computed (not measured: GroupNorm")
