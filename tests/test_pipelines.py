"""A student's own augmentation (machinery/pipelines.py): any A.Compose trains through `fit` and the
command line, is recorded as A.to_dict in metrics.json and the checkpoints, a resume with another
pipeline is refused naming the difference, one line says where it runs and why, and a bad file or
NAME is one line naming the student's file and line."""
import dataclasses
import json

import albumentations as A
import cv2
import numpy as np
import pytest
import torch

from helpers import KitError, training
from helpers.assignment import Check
from helpers.machinery.checkpoints import load_checkpoint
from helpers.machinery.loader import augment_where, train_batches
from helpers.machinery.pipelines import (PipelineError, check_pipeline, load_augmentation, pipeline_differences,
                                         pipeline_record)
from helpers.recipe import Recipe
from helpers.train.cli import main
from helpers.transforms import train_transforms
from tests.conftest import TINY, random_data, tiny_run

ONE_EPOCH = dataclasses.replace(TINY, epochs=1)

# A pipeline as the write-ups' students wrote theirs: Rotate(±5) and their own hole sizes.
MY_AUGMENT = '''
import albumentations as A
import cv2

FILL = (125, 123, 114)

AUGMENT = A.Compose([
    A.HorizontalFlip(p=0.5),
    A.Rotate(limit=5, border_mode=cv2.BORDER_CONSTANT, fill=FILL, p=0.5),
    A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(4, 8), hole_width_range=(4, 8), fill=FILL, p=0.75),
])

WIDER = A.Compose([
    A.HorizontalFlip(p=0.5),
    A.Rotate(limit=10, border_mode=cv2.BORDER_CONSTANT, fill=FILL, p=0.5),
    A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(4, 8), hole_width_range=(4, 8), fill=FILL, p=0.75),
])

REPLAYABLE = A.Compose([A.HorizontalFlip(p=0.5), A.Affine(rotate=(-5, 5), border_mode=cv2.BORDER_CONSTANT, fill=FILL),
                        A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(4, 8), hole_width_range=(4, 8),
                                        fill=FILL)])

NORMALISED = A.Compose([A.HorizontalFlip(), A.Normalize()])


def broken(image, **kwargs):
    return image[::2]  # half the rows


def fails(image, **kwargs):
    raise ValueError("a mistake of mine")  # line 31


HALVES = A.Compose([A.Lambda(name="halves", image=broken, p=1)])
FAILS = A.Compose([A.Lambda(name="fails", image=fails, p=1)])
JUST_A_FLIP = A.HorizontalFlip(p=0.5)
'''


@pytest.fixture
def augment_file(tmp_path):
    path = tmp_path / "my_augment.py"
    path.write_text(MY_AUGMENT)
    return path


def rotate_compose(limit=5):
    fill = (125, 123, 114)
    return A.Compose([A.HorizontalFlip(p=0.5), A.Rotate(limit=limit, border_mode=cv2.BORDER_CONSTANT, fill=fill, p=0.5),
                      A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(4, 8), hole_width_range=(4, 8),
                                      fill=fill, p=0.75)])


# ---- It trains, and the run records it ------------------------------------------------------

def test_a_students_pipeline_trains_and_is_recorded_as_albumentations_serialisation(tiny, tmp_path, augment_file):
    compose = load_augmentation(f"{augment_file}:AUGMENT")
    said = []
    history = tiny_run(tiny, tmp_path / "run", ONE_EPOCH, augmentation=compose, log=said.append)
    assert len(history) == 1 and np.isfinite(history[0]["train_loss"])
    expected = json.loads(json.dumps(A.to_dict(compose)))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["augmentation"] == expected
    assert load_checkpoint(tmp_path / "run" / "last.pt")["augmentation"] == expected
    # Albumentations reads it back: the very pipeline
    assert A.to_dict(A.from_dict(metrics["augmentation"])) == A.to_dict(compose)
    # one line says where it ran and why
    where = [line for line in said if line.startswith("your augmentation:")]
    assert len(where) == 1 and "CPU workers" in where[0] and "Rotate cannot be replayed" in where[0]


def test_the_courses_pipeline_is_recorded_too(tiny, tmp_path):
    tiny_run(tiny, tmp_path / "run", ONE_EPOCH)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["augmentation"] == pipeline_record(train_transforms(tiny.mean, ONE_EPOCH))
    assert isinstance(metrics["assignment_rules_broken"], list)
    assert isinstance(metrics["assignment_rules_not_checked"], list)


def test_resume_with_another_pipeline_is_refused_naming_the_difference(tiny, tmp_path):
    tiny_run(tiny, tmp_path / "run", ONE_EPOCH, augmentation=rotate_compose(5))
    with pytest.raises(KitError, match=r"augmentation: Rotate's limit was \[-5\.0, 5\.0\], now \[-10\.0, 10\.0\]"):
        tiny_run(tiny, tmp_path / "run", ONE_EPOCH, augmentation=rotate_compose(10), resume=True)
    with pytest.raises(KitError, match="the steps were HorizontalFlip, Rotate, CoarseDropout; now HorizontalFlip, "
                                       "Affine, CoarseDropout"):
        tiny_run(tiny, tmp_path / "run", ONE_EPOCH, resume=True)  # the course's pipeline
    # the same pipeline, rebuilt: resumed (the run is complete, so nothing more trains)
    assert len(tiny_run(tiny, tmp_path / "run", ONE_EPOCH, augmentation=rotate_compose(5), resume=True)) == 1


def test_pipeline_differences_name_steps_and_parameters():
    course = pipeline_record(train_transforms((0.5, 0.5, 0.5)))
    assert pipeline_differences(course, pipeline_record(train_transforms((0.5, 0.5, 0.5)))) == []
    fewer = pipeline_record(train_transforms((0.5, 0.5, 0.5), Recipe(coarse_dropout=False)))
    assert pipeline_differences(course, fewer) == [
        "the steps were HorizontalFlip, Affine, CoarseDropout; now HorizontalFlip, Affine"]
    other_fill = pipeline_record(train_transforms((0.4, 0.5, 0.5)))
    assert pipeline_differences(course, other_fill) == ["Affine's fill was [128.0, 128.0, 128.0], now [102.0, 128.0, 128.0]",
                                                        "CoarseDropout's fill was [128.0, 128.0, 128.0], now [102.0, 128.0, 128.0]"]
    twice = lambda p: pipeline_record(A.Compose([A.HorizontalFlip(p=0.5), A.HorizontalFlip(p=p)]))
    assert pipeline_differences(twice(0.5), twice(0.2)) == ["HorizontalFlip (step 2)'s p was 0.5, now 0.2"]


# ---- Where it runs, in one line ---------------------------------------------------------------

def test_where_a_pipeline_runs_is_decided_and_said_in_one_line():
    rotate, course = rotate_compose(), train_transforms((0.5, 0.5, 0.5))
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    # the kit's pipeline on a CPU: nothing to say (the fixed-seed CPU runs print what they printed)
    assert augment_where(course, "auto", cpu, workers=2) == (None, "")
    # a student's pipeline on a CPU: where, and where it would run on a GPU
    replay, line = augment_where(rotate, "auto", cpu, workers=2, yours=True)
    assert replay is None and line.startswith("your augmentation: on the CPU workers (2)")
    assert "no GPU" in line and "Rotate cannot be replayed on the device" in line and "\n" not in line
    # on a GPU: replayed when the replay reproduces it ...
    replay, line = augment_where(course, "auto", cuda, workers=2)
    assert replay is not None and "on the GPU" in line and "HorizontalFlip, Affine, CoarseDropout" in line
    # ... the CPU workers when it does not, and why
    replay, line = augment_where(rotate, "auto", cuda, workers=2, yours=True)
    assert replay is None and "CPU workers (2), not the GPU: Rotate cannot be replayed" in line
    # the device asked for and impossible: refused
    with pytest.raises(KitError, match="augment_on=device is not possible: Rotate cannot be replayed"):
        augment_where(rotate, "device", cpu, yours=True)


def test_train_batches_use_the_students_pipeline(augment_file):
    data, said = random_data(), []
    replayable = load_augmentation(f"{augment_file}:REPLAYABLE")
    loader = train_batches(data, Recipe(batch_size=16, augment_on="device"), "cpu", log=said.append,
                           augmentation=replayable)
    assert loader.augment_on == "device" and loader.augmentation.affine.rotate == replayable.transforms[1].rotate
    assert len(said) == 1 and said[0].startswith("your augmentation: on the CPU as batched tensor operations")
    with pytest.raises(KitError, match="augment_on=device is not possible: Rotate"):
        train_batches(data, Recipe(augment_on="device"), "cpu", augmentation=load_augmentation(f"{augment_file}:AUGMENT"))
    loader = train_batches(data, Recipe(batch_size=16), "cpu", workers=0, log=said.append,
                           augmentation=load_augmentation(f"{augment_file}:AUGMENT"))
    assert loader.augment_on == "workers" and isinstance(loader.loader.dataset.transform.transforms[1], A.Rotate)
    images, _ = next(iter(loader))
    assert images.shape == (16, 3, 32, 32) and images.dtype == torch.float32


# ---- Bad input: one line, naming the file and line --------------------------------------------

def one_line(error):
    assert "\n" not in str(error), str(error)
    return str(error)


def test_a_file_that_does_not_run_names_its_line(tmp_path):
    path = tmp_path / "my_augment.py"
    path.write_text("import albumentations as A\n\nAUGMENT = A.Compose([A.HorizontalFlip(p=0.5), A.Rotat(limit=5)])\n")
    with pytest.raises(PipelineError) as caught:
        load_augmentation(f"{path}:AUGMENT")
    assert "my_augment.py line 3: `AUGMENT = A.Compose([A.HorizontalFlip" in one_line(caught.value)
    assert "AttributeError" in str(caught.value)


def test_an_argument_albumentations_ignores_names_its_line(tmp_path):
    path = tmp_path / "my_augment.py"
    path.write_text("import albumentations as A\n\nAUGMENT = A.Compose([\n    A.CoarseDropout(max_holes=1, p=0.5),\n])\n")
    with pytest.raises(PipelineError) as caught:
        load_augmentation(f"{path}:AUGMENT", knob="AUGMENT")
    message = one_line(caught.value)
    assert message.startswith("AUGMENT ") and "my_augment.py line 4: `A.CoarseDropout(max_holes=1, p=0.5),`" in message
    assert "'max_holes' are not valid for transform CoarseDropout" in message and "2.x name" in message


@pytest.mark.parametrize("name, fragment", [
    ("JUST_A_FLIP", "JUST_A_FLIP is a HorizontalFlip, not an A.Compose"),
    ("MISSING", "has no MISSING (its A.Compose pipelines: AUGMENT, WIDER, REPLAYABLE, NORMALISED, HALVES, FAILS)"),
])
def test_a_name_that_is_not_a_compose_says_so(augment_file, name, fragment):
    with pytest.raises(PipelineError, match=None) as caught:
        load_augmentation(f"{augment_file}:{name}")
    assert fragment in one_line(caught.value)


def test_what_the_pipeline_hands_back_is_checked_before_training(augment_file, tiny):
    images = tiny.train.images[:4]
    with pytest.raises(PipelineError, match="Leave out Normalize and ToTensorV2"):
        check_pipeline(load_augmentation(f"{augment_file}:NORMALISED"), images)
    with pytest.raises(PipelineError, match=r"uint8 \(32, 32, 3\) image into a ndarray \(16, 32, 3\) uint8"):
        check_pipeline(load_augmentation(f"{augment_file}:HALVES"), images)
    with pytest.raises(PipelineError) as caught:
        check_pipeline(load_augmentation(f"{augment_file}:FAILS"), images)
    assert "my_augment.py line 31: `raise ValueError(\"a mistake of mine\")  # line 31`" in one_line(caught.value)
    with pytest.raises(PipelineError, match="must be an A.Compose, not a HorizontalFlip"):
        check_pipeline(A.HorizontalFlip(), images)


def assert_one_line_error(code, err, *fragments):
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


TRAIN = ["--subset", "200", "--epochs", "1", "--batch-size", "50", "--device", "cpu", "--no-progress"]


@pytest.mark.parametrize("spec, fragments", [
    ("{file}", ["name the pipeline too, as path/to/file.py:NAME"]),
    ("{dir}/nowhere.py:AUGMENT", ["there is no file", "notebook 01"]),
    ("{file}:JUST_A_FLIP", ["not an A.Compose"]),
    ("{file}:NORMALISED", ["Leave out Normalize"]),
    ("{file}:FAILS", ["my_augment.py line 31"]),
])
def test_augment_errors_from_the_command_line_are_one_line(capsys, subset_root, tmp_path, augment_file, spec, fragments):
    spec = spec.format(file=augment_file, dir=tmp_path)
    code = main(["--data-root", str(subset_root), "--out", str(tmp_path / "run"), "--augment", spec, *TRAIN])
    assert_one_line_error(code, capsys.readouterr().err, *fragments)


def test_augment_with_the_courses_switches_is_refused(capsys, tmp_path, augment_file):
    code = main(["--out", str(tmp_path / "run"), "--augment", f"{augment_file}:AUGMENT", "--no-flip", "--to-gray"])
    assert_one_line_error(code, capsys.readouterr().err, "--no-flip, --to-gray", "leave them out")


def test_augment_trains_from_the_command_line(capsys, subset_root, tmp_path, augment_file):
    code = main(["--data-root", str(subset_root), "--out", str(tmp_path / "run"), "--augment",
                 f"{augment_file}:AUGMENT", *TRAIN])
    out = capsys.readouterr().out
    assert code == 0, out
    assert sum(line.startswith("your augmentation:") for line in out.splitlines()) == 1
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert [t["__class_fullname__"] for t in metrics["augmentation"]["transform"]["transforms"]] == [
        "HorizontalFlip", "Rotate", "CoarseDropout"]


# ---- The checker's verdict, recorded: never null -------------------------------------------

def test_rules_broken_and_not_checked_are_recorded(monkeypatch):
    seen = {}

    def checker(model, history=None, augmentation=None):
        seen["augmentation"] = augmentation
        return [Check("a", "1", True), Check("b", "2", False), Check("c", "not checked: why", None),
                Check("v", "no", False, kind="variant")]

    monkeypatch.setattr(training, "check_assignment", checker)
    monkeypatch.setattr(training, "format_checks", lambda checks: "table")
    compose, said = rotate_compose(), []
    record = training._report_assignment(torch.nn.Identity(), said.append, compose)
    assert record["assignment_rules_broken"] == ["b"]  # a variant not met is no rule broken
    assert record["assignment_rules_not_checked"] == [{"rule": "c", "why": "not checked: why"}]
    assert seen["augmentation"] is compose and "breaks 1 rule(s): b; 1 not checked" in said[0]


def test_a_checker_that_raises_records_every_rule_as_not_checked(monkeypatch):
    def checker(model, history=None, augmentation=None):
        if isinstance(model, torch.nn.Identity):
            raise IndexError("list index out of range")
        return [Check("a", "1", True), Check("b", "2", True), Check("v", "no", False, kind="variant")]

    monkeypatch.setattr(training, "check_assignment", checker)
    record = training._report_assignment(torch.nn.Identity(), lambda line: None)
    assert record["assignment_rules_broken"] == [] and record["assignment_variants"] == {}
    assert [row["rule"] for row in record["assignment_rules_not_checked"]] == ["a", "b"]
    assert all("IndexError: list index out of range" in row["why"] for row in record["assignment_rules_not_checked"])
