"""A student's own augmentation pipeline: read from their file, checked, recorded, compared.

    load_augmentation   "path/to/file.py:NAME" → the module-level A.Compose NAME of that file, checked
    check_pipeline      any Compose: it must hand back uint8 images of the input's shape (the kit normalises)
    pipeline_record     a Compose → Albumentations' own serialisation (A.to_dict), as JSON stores it
    pipeline_differences  two records → "Rotate's limit was [-5, 5], now [-10, 10]", one string a difference

`fit` trains with the pipeline it is given (or the course's, `transforms.train_transforms`), records it
in metrics.json and in each checkpoint, and refuses to resume a run with another one.
"""
import importlib.util
import json
import re
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

import albumentations as A

from helpers import KitError
from helpers.machinery.registry import error_line, where_in

IGNORED_ARGUMENTS = "are not valid for transform"  # Albumentations 2.x's warning for an argument it drops


class PipelineError(KitError):
    """A pipeline that cannot train: the message is one line, naming the student's file where there is one."""


def parse_augmentation(spec, knob="--augment"):
    """"path/to/file.py:NAME" → (the file, resolved, and NAME), checked to exist. `knob`: what the
    messages call the setting (the command line's --augment, notebook 04's AUGMENT)."""
    path_text, _, name = str(spec).rpartition(":")
    if not path_text.endswith(".py"):  # "my_augment.py" without a name
        path_text, name = str(spec), ""
    path = Path(path_text).expanduser()
    if not name:
        raise PipelineError(f"{knob} {spec}: name the pipeline too, as path/to/file.py:NAME "
                            f"(e.g. my_networks/my_augment.py:AUGMENT).")
    if not path.is_file():
        raise PipelineError(f"{knob} {spec}: there is no file {path}. Write it in notebook 01 (its last section), "
                            f"or give the path to yours.")
    return path.resolve(), name


def load_augmentation(spec, knob="--augment"):
    """The A.Compose named NAME at the top level of the file `spec` ("path/to/file.py:NAME") names.
    A file that does not run, an argument Albumentations ignores (a 1.x name: it only warns, and
    trains with its default), a NAME that is missing or not a Compose: one line, naming the file
    and line. The Compose remembers `spec` (`kit_source`), so that later errors can point into it."""
    path, name = parse_augmentation(spec, knob)
    module_name = f"student_augmentation_{abs(hash(str(path)))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # pickling (the loader's workers) looks functions up by module
    ignored = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        shown = warnings.showwarning

        def caught(message, category, filename, lineno, file=None, line=None):
            frames = [f for f in traceback.extract_stack() if Path(f.filename).resolve() == path]
            where = f" ({path.name} line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)" if frames else ""
            if IGNORED_ARGUMENTS in str(message):
                ignored.append(f"{where}: {message}")
            elif frames:  # any other warning: shown as usual, at the student's line
                shown(message, category, str(path), frames[-1].lineno, file, frames[-1].line)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = caught
        try:
            module_spec.loader.exec_module(module)
        except Exception as error:
            raise PipelineError(f"{knob} {spec}: {path.name} does not run{where_in(error, path)}: "
                                f"{error_line(error)}. Fix it and try again.") from None
    if ignored:
        raise PipelineError(f"{knob} {spec}: Albumentations 2.x ignores an argument{ignored[0]} and would train "
                            f"with its default instead: use the 2.x name (notebook 01, section 6, has the table).")
    if not hasattr(module, name):
        found = [key for key, value in vars(module).items() if isinstance(value, A.Compose)]
        raise PipelineError(f"{knob} {spec}: {path.name} has no {name} (its A.Compose pipelines: "
                            f"{', '.join(found) or 'none'}).")
    compose = getattr(module, name)
    if not isinstance(compose, A.Compose):
        raise PipelineError(f"{knob} {spec}: {name} is a {type(compose).__name__}, not an A.Compose: write "
                            f"{name} = A.Compose([...]) with your transforms in the list.")
    compose.kit_source = f"{path}:{name}"
    return compose


def where_in_text(error, path):
    """As registry.where_in, for an error whose traceback came as text: one raised in a loader's
    worker process reaches the main process with the worker's traceback in its message."""
    found = re.findall(rf'File "{re.escape(str(path))}", line (\d+)', str(error))
    if not found:
        return ""
    lineno = int(found[-1])
    lines = path.read_text().splitlines() if path.is_file() else []
    code = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    return f" ({path.name} line {lineno}: `{code}`)"


def _source_file(compose):
    source = getattr(compose, "kit_source", None)
    return Path(source.rpartition(":")[0]) if source else None


def _yours(compose):
    """'your pipeline (my_augment.py:AUGMENT)' or 'your pipeline': how the messages name it."""
    source = getattr(compose, "kit_source", None)
    return f"your pipeline ({Path(source.rpartition(':')[0]).name}:{source.rpartition(':')[2]})" if source \
        else "your pipeline"


def check_pipeline(compose, images):
    """Run `compose` on a few training images (uint8, H x W x 3) before any training: it must be an
    A.Compose, run, and hand back uint8 images of the same shape, since the kit normalises whole
    batches on the device (no Normalize, no ToTensorV2 in it). A failure is one line, naming the
    student's file and line when the Compose came from one. The Compose's own random generator is
    reseeded by the loader for every batch: this check does not change what training draws."""
    if not isinstance(compose, A.Compose):
        raise PipelineError(f"the augmentation must be an A.Compose, not a {type(compose).__name__}: wrap your "
                            f"transforms in A.Compose([...]).")
    path = _source_file(compose)
    for image in images:
        try:
            out = compose(image=image)["image"]
        except Exception as error:
            where = where_in(error, path.resolve()) if path else ""
            raise PipelineError(f"{_yours(compose)} fails on a training image{where}: {error_line(error)}. "
                                f"Fix it and try again.") from None
        if not (isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == image.shape):
            got = (f"{type(out).__name__} {tuple(out.shape)} {getattr(out, 'dtype', '')}".strip()
                   if hasattr(out, "shape") else type(out).__name__)
            raise PipelineError(f"{_yours(compose)} turns a uint8 {image.shape} image into a {got}: it must hand back "
                                f"uint8 images of that shape. Leave out Normalize and ToTensorV2 (the kit normalises "
                                f"each batch on the device with the data's mean and std), and any resize or crop to "
                                f"another size.")


def pipeline_record(compose):
    """Albumentations' own serialisation of `compose` (A.to_dict), in the form JSON gives it back
    (lists, not tuples): what metrics.json and the checkpoints store, and what resume compares."""
    try:
        record = A.to_dict(compose)
    except Exception as error:  # e.g. a Lambda without name=
        raise PipelineError(f"{_yours(compose)} cannot be recorded in Albumentations' serialisation, which a run "
                            f"needs to be resumed: {error_line(error)}") from None
    try:
        return json.loads(json.dumps(record, default=_plain))
    except (TypeError, ValueError) as error:
        raise PipelineError(f"{_yours(compose)} cannot be recorded as JSON: {error_line(error)}") from None


def _plain(value):
    """NumPy numbers and arrays as JSON numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def pipeline_differences(saved, now):
    """What differs between two pipeline_records, one string a difference: a step added, removed or
    replaced ("the steps were HorizontalFlip, Rotate; now HorizontalFlip, Affine"), or a parameter
    ("Rotate's limit was [-5, 5], now [-10, 10]"). Albumentations' version alone is no difference."""
    return _differences((saved or {}).get("transform"), (now or {}).get("transform"))


def _name(transform):
    return str(transform.get("__class_fullname__", "?")).rpartition(".")[2]


def _differences(a, b, where=""):
    if a == b:
        return []
    if not (isinstance(a, dict) and isinstance(b, dict)) or _name(a) != _name(b):
        return [f"{where}was {_short(a)}, now {_short(b)}"]
    name, out = _name(a), []
    for key in sorted(set(a) | set(b), key=lambda k: (k == "transforms", k)):
        if key == "__class_fullname__" or a.get(key) == b.get(key):
            continue
        steps_a, steps_b = a.get(key), b.get(key)
        if key == "transforms" and isinstance(steps_a, list) and isinstance(steps_b, list):
            names_a, names_b = [_name(t) for t in steps_a], [_name(t) for t in steps_b]
            if names_a != names_b:
                out.append(f"{where}the steps were {', '.join(names_a) or 'none'}; now {', '.join(names_b) or 'none'}")
                continue
            for i, (step_a, step_b) in enumerate(zip(steps_a, steps_b)):
                label = names_a[i] + (f" (step {i + 1})" if names_a.count(names_a[i]) > 1 else "")
                out += _differences(step_a, step_b, f"{where}{label}'s ")
            continue
        owner = f"{where}{name}'s " if not where else where
        out.append(f"{owner}{key} was {_short(steps_a)}, now {_short(steps_b)}")
    return out


def _short(value, limit=80):
    text = json.dumps(value) if not isinstance(value, dict) or "__class_fullname__" not in value else _name(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
