"""helpers.assignment: Net meets every rule; small networks that each break exactly one rule get
exactly that rule failed, with a message that says what to change."""
import json

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import torch
from helpers.assignment import check_assignment, format_checks, rules_record
from helpers.transforms import train_transforms
from helpers.model import Net
from helpers.receptive_field import receptive_field, receptive_field_table
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
AUGMENTATION = "augmentation: HorizontalFlip, ShiftScaleRotate (Affine), CoarseDropout"


def failed(model, history=None):
    return [c.rule for c in check_assignment(model, history) if c.passed is False and c.kind == "rule"]


def row(model, rule, **kwargs):
    (check,) = [c for c in check_assignment(model, **kwargs) if c.rule == rule]
    return check


def test_net_and_the_student_template_meet_every_rule():
    assert failed(Net()) == [] and failed(Student()) == []
    history = json.loads((REPO / "images" / "net-jpeg-default-recipe-30-epochs-cpu-metrics.json").read_text())["epochs"]
    text = format_checks(check_assignment(Net(), history, augmentation=train_transforms((0.5, 0.5, 0.5))))
    assert "61 computed, 61 measured" in text and text.endswith("the assignment is met")


def test_without_a_history_or_a_pipeline_those_rules_say_they_were_not_checked_and_why():
    checks = check_assignment(Net())
    unchecked = [c for c in checks if c.passed is None]
    assert [c.rule for c in unchecked] == [AUGMENTATION, "test accuracy of 85%"]
    assert all(c.measured.startswith("not checked: no") for c in unchecked)
    assert "not checked: augmentation" in format_checks(checks) and "assignment is met" not in format_checks(checks)
    record = rules_record(checks)
    assert record["assignment_rules_broken"] == [] and len(record["assignment_rules_not_checked"]) == 2
    assert None not in json.loads(json.dumps(record)).values()


@pytest.mark.parametrize("breaks", list(RULES))
def test_breaking_one_rule_fails_that_rule_alone_and_says_what_to_do(breaks):
    checks = check_assignment(Student(breaks))
    assert [c.rule for c in checks if c.passed is False and c.kind == "rule"] == [RULES[breaks]]
    failure = next(c for c in checks if c.passed is False)
    assert failure.fix and failure.fix in format_checks(checks)


def test_a_max_pool_in_forward_is_found_too():
    check = row(Student("functional max-pooling"), RULES["max-pooling"])
    assert not check.passed and "max_pool2d" in check.measured and "stride-2" in check.fix


def test_accuracy_is_read_from_the_history_with_the_epoch_it_was_first_reached():
    history = json.loads((REPO / "images" / "net-jpeg-default-recipe-30-epochs-cpu-metrics.json").read_text())["epochs"]
    check = row(Net(), "test accuracy of 85%", history=history)
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
def test_the_assignments_variants_pass_every_rule_and_are_named(variant):
    checks = check_assignment(variant())
    assert [c.rule for c in checks if c.passed is False and c.kind == "rule"] == [], format_checks(checks)
    stages = next(c for c in checks if c.rule == RULES["stages"])
    three = next(c for c in checks if c.rule.startswith("variant: three stride-2"))
    alone = next(c for c in checks if c.rule.startswith("bonus: downsampled by dilation alone"))
    if variant is DilationOnly:
        assert "C4 2x2" in stages.measured and "stride" not in stages.measured
        assert all(f"padding 0, dilation {d}" in stages.measured for d in (2, 4, 8)) and "16→16, padding 0 (32→30)" in stages.measured
        assert alone.passed and not three.passed
    else:
        assert stages.measured.count("stride 2") == 3
        assert three.passed and not alone.passed
    assert not next(c for c in check_assignment(Net()) if c.rule.startswith("variant: three")).passed  # Net has two


def test_a_functional_max_pool_is_counted_in_the_receptive_field_like_a_module():
    rf = row(Student("functional max-pooling"), RULES["receptive field"])
    computed, measured = rf.measured.split(" computed, ")
    assert measured.startswith(computed + " measured") and rf.passed


def test_a_depthwise_convolution_is_called_depthwise_where_it_downsamples():
    stages = row(Net(), RULES["stages"])
    assert "C3 depthwise 3x3 conv 64→64 (groups=64), stride 2, padding 1 (16→8)" in stages.measured


def test_a_convolution_is_described_as_it_is():
    class Shrinks(Net):  # padding 1 with dilation 2 does not keep the size: 32 → 30
        def __init__(self):
            super().__init__()
            self.c1[0][0] = nn.Conv2d(3, 32, 3, padding=1, dilation=2, bias=False)
    stages = row(Shrinks(), RULES["stages"])
    assert "C1 3x3 conv 3→32, padding 1, dilation 2 (32→30)" in stages.measured


@pytest.mark.parametrize("norm", ["group", "layer"])
def test_a_norm_over_all_positions_does_not_pass_for_a_larger_receptive_field(norm):
    """GroupNorm's statistics reach every pixel, so the gradients see the whole image: the layers decide."""
    assert failed(Net(norm=norm)) == []
    rf = row(Net(norm=norm), RULES["receptive field"])
    assert rf.measured.startswith("61 computed") and "not measured: every pixel reaches every position through nn.GroupNorm" in rf.measured


# ---- Global pooling, in every form students write it -------------------------------------------

class Pooled(Net):
    """Net with its global pooling written another way."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool
        self.output = nn.Sequential(nn.Flatten(), nn.Linear(128, 10))

    def forward(self, x):
        return self.output(self.pool(self.features(x)))


GLOBAL_AVERAGES = {
    "nn.AdaptiveAvgPool2d(1)": nn.AdaptiveAvgPool2d(1),
    "nn.AvgPool2d(8)": nn.AvgPool2d(8),
    "x.mean((2, 3))": lambda x: x.mean((2, 3)),
    "x.mean(3).mean(2), keepdim": lambda x: x.mean(3, keepdim=True).mean(2, keepdim=True),
    "F.adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 1),
    "F.avg_pool2d(x, 8)": lambda x: F.avg_pool2d(x, 8),
    "F.avg_pool2d(x, x.shape[-1])": lambda x: F.avg_pool2d(x, x.shape[-1]),
    "x.view(b, c, -1).mean(-1)": lambda x: x.view(x.shape[0], x.shape[1], -1).mean(-1),
}


@pytest.mark.parametrize("form", list(GLOBAL_AVERAGES))
def test_every_form_of_global_average_pooling_passes_with_the_same_receptive_field(form):
    model = Pooled(GLOBAL_AVERAGES[form] if isinstance(GLOBAL_AVERAGES[form], nn.Module) else Lambda(GLOBAL_AVERAGES[form]))
    checks = check_assignment(model)
    assert [c.rule for c in checks if c.passed is False and c.kind == "rule"] == [], format_checks(checks)
    rf = next(c for c in checks if c.rule == RULES["receptive field"])
    assert rf.measured.startswith("61 computed, 61 measured (the map entering global average pooling)")
    assert receptive_field(model) == 61 and receptive_field_table(model)[-1]["r_out"] == 61


class Lambda(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


def test_a_pool_that_leaves_positions_out_is_not_global_average_pooling():
    model = Pooled(nn.AvgPool2d(3, stride=2))  # Net's C4 map is 8x8: one 3x3 window, 9 of 64 positions
    model.c4.append(nn.Conv2d(128, 128, 3, stride=2, padding=1))  # 8x8 → 4x4: the form, 9 of 16
    gap = row(model, RULES["global average pooling"])
    assert gap.passed is False and "averages 9 of the 16 positions" in gap.measured and "7 never reach" in gap.measured


MAX_POOLS = {
    "nn.MaxPool2d": lambda x: nn.MaxPool2d(2)(x),
    "F.max_pool2d": lambda x: F.max_pool2d(x, 2),
    "F.max_pool2d, return_indices": lambda x: F.max_pool2d(x, 2, return_indices=True)[0],
    "F.adaptive_max_pool2d": lambda x: F.adaptive_max_pool2d(x, 4),
    "tiles by reshape": lambda x: x.reshape(x.shape[0], x.shape[1], 4, 2, 4, 2).amax((3, 5)),
    "max over the last axis, twice": lambda x: F.interpolate(x.max(3, keepdim=True)[0].max(2, keepdim=True)[0], size=4),
}


@pytest.mark.parametrize("form", list(MAX_POOLS))
def test_max_pooling_is_named_in_every_form(form):
    model = Pooled(nn.Sequential(Lambda(MAX_POOLS[form]), nn.AdaptiveAvgPool2d(1)))
    check = row(model, RULES["max-pooling"])
    assert check.passed is False and "max" in check.measured, check.measured


@pytest.mark.parametrize("form", ["x.amax((2, 3))", "nn.AdaptiveMaxPool2d(1)"])
def test_a_global_max_is_max_pooling_and_not_global_average_pooling(form):
    pool = nn.AdaptiveMaxPool2d(1) if form.startswith("nn") else Lambda(lambda x: x.amax((2, 3)))
    checks = {c.rule: c for c in check_assignment(Pooled(pool))}
    assert checks[RULES["max-pooling"]].passed is False
    gap = checks[RULES["global average pooling"]]
    assert gap.passed is False and "global max" in gap.measured


def test_a_channel_max_is_not_max_pooling():
    """CBAM's spatial attention takes the max over channels: the positions stay."""
    gate = Lambda(lambda x: x * torch.sigmoid(x.max(dim=1, keepdim=True)[0]))
    assert row(Pooled(nn.Sequential(gate, nn.AdaptiveAvgPool2d(1))), RULES["max-pooling"]).passed


class FunctionalDilation(Net):
    def forward(self, x):
        x = self.c3(self.c2(self.c1(x)))
        x = F.conv2d(x, self.c4[0][0].weight, padding=4, dilation=4, groups=128)  # a dilated depthwise, in forward
        pointwise, norm, relu = list(self.c4[0])[1:4]
        return self.output(self.c4[1](relu(norm(pointwise(x)))))


def test_a_functional_dilated_convolution_is_recognised_and_counted():
    checks = {c.rule: c for c in check_assignment(FunctionalDilation())}
    assert checks[RULES["dilation"]].passed and "dilation 4 (F.conv2d in forward)" in checks[RULES["dilation"]].measured
    assert checks[RULES["receptive field"]].measured.startswith("77 computed, 77 measured")  # Net's 61 + 4 x 4 more


class FixedSizeAttention(Net):
    """Self-attention over the 64 positions of C4's map, written with fixed sizes: it runs on 32x32 only."""

    def forward(self, x):
        x = self.features(x)
        tokens = x.view(x.shape[0], 128, 64).transpose(1, 2)  # (B, 64 positions, 128)
        attention = torch.softmax(tokens @ tokens.transpose(1, 2) / 128 ** 0.5, dim=-1)
        x = (attention @ tokens).transpose(1, 2).reshape(x.shape[0], 128, 8, 8)
        return self.output(x)


def test_an_attention_network_with_fixed_sizes_gets_a_verdict_on_every_rule():
    checks = check_assignment(FixedSizeAttention())
    assert all(c.passed is not None for c in checks if c.kind == "rule" and c.rule in RULES.values()), format_checks(checks)
    rf = next(c for c in checks if c.rule == RULES["receptive field"])
    assert rf.measured.startswith("61 computed") and "mixes all positions" in rf.measured and "matmul" in rf.measured


def test_a_network_whose_forward_fails_still_gets_the_rules_it_can_and_why_not_the_others():
    class Broken(Net):
        def forward(self, x):
            return self.output(self.features(x).view(-1, 999))
    checks = check_assignment(Broken())
    assert checks[0].passed is True  # parameters are counted without running it
    unchecked = [c for c in checks[1:] if c.passed is None]
    assert len(unchecked) == len(checks) - 1 and all("forward pass fails" in c.measured or "no " in c.measured
                                                      for c in unchecked)


def test_the_augmentation_rule_reads_the_pipeline_that_trained():
    import albumentations as A
    course = train_transforms((0.5, 0.5, 0.5))
    assert row(Net(), AUGMENTATION, augmentation=course).passed
    assert row(Net(), AUGMENTATION, augmentation=A.to_dict(course)).passed  # as metrics.json records it
    no_dropout = A.Compose([A.HorizontalFlip(p=0.5), A.Rotate(limit=5, p=0.5)])
    check = row(Net(), AUGMENTATION, augmentation=no_dropout)
    assert check.passed is False and "missing ShiftScaleRotate (Affine), CoarseDropout" in check.measured
    never = A.Compose([A.HorizontalFlip(p=0.0), A.Affine(rotate=(-5, 5), p=0.5), A.CoarseDropout(p=0.5)])
    assert "HorizontalFlip with p=0 never runs" in row(Net(), AUGMENTATION, augmentation=never).measured
