"""The models the kit knows by name, built from a name (the command line) or from the
architecture a checkpoint stores (loading it back): one list for both.

    build_model     "net", "attention", or a student's "path/to/file.py:ClassName" → a fresh model
    load_network    "path/to/file.py:ClassName" → that class, checked: an nn.Module giving 10 logits
    describe_model  a model → {"class": name, **constructor arguments}, what a checkpoint stores
    network_record  what the network was: its layers (names and classes) and, for a student's, its file's code
    network_changes what changed since a network_record, by name
    rebuild         that description → the same model, fresh weights (a student's: from the file the caller names)
"""
import ast
import difflib
import hashlib
import importlib.util
import inspect
import math
import sys
import traceback
from pathlib import Path

import torch
import torch.nn as nn

from helpers import KitError
from helpers.machinery.device import evaluation_mode
from helpers.model import WIDTHS, Net

MODELS = ("net", "attention")


def build_model(name="net", norm="batch", dropout=0.0, widths=None):
    """The named model with fresh weights (seed first for the same weights every time).
    `widths`: the channels of Net's C1-C4, None for Net's own. A name with ".py" in it is a
    student's network, "path/to/file.py:ClassName" (see load_network)."""
    if not (isinstance(dropout, (int, float)) and math.isfinite(dropout) and 0 <= dropout < 1):
        raise KitError(f"--dropout {dropout} is not possible: a rate from 0 (none) up to, not including, 1, such as 0.1.")
    if ".py" in name:
        if norm != "batch" or dropout or widths is not None:
            raise KitError("--norm, --dropout and --widths are settings of Net; your network sets its own: leave them out.")
        return load_network(name)()
    if name == "net":
        if widths is None:
            return Net(norm=norm, dropout=dropout)
        if len(widths) != 4 or min(widths) <= 0:
            raise KitError(f"--widths {' '.join(map(str, widths))} is not possible: give four positive channel "
                           f"counts, for C1 C2 C3 C4, such as {' '.join(map(str, WIDTHS))}.")
        if norm == "group" and any(w % min(8, w) for w in widths):  # model.norm_layer: min(8, channels) groups
            raise KitError(f"--widths {' '.join(map(str, widths))} is not possible with --norm group: GroupNorm splits "
                           f"each block's channels into 8 equal groups; give multiples of 8, such as "
                           f"{' '.join(map(str, WIDTHS))}.")
        return Net(norm=norm, dropout=dropout, widths=tuple(widths))
    if name == "attention":
        if norm != "batch" or dropout or widths is not None:
            raise KitError("--norm, --dropout and --widths are settings of Net; the attention model has none of "
                           "them: leave them out.")
        from helpers.attention import AttentionNet
        return AttentionNet()
    raise KitError(f"unknown model {name!r}: use one of {', '.join(MODELS)}, or your network as path/to/file.py:ClassName.")


def parse_network(spec):
    """"path/to/file.py:ClassName" → (the file, resolved, and the class name), checked to exist."""
    path_text, _, class_name = spec.rpartition(":")
    if not path_text.endswith(".py"):  # "my_net.py" without a class
        path_text, class_name = spec, ""
    path = Path(path_text).expanduser()
    if not class_name:
        raise KitError(f"--model {spec}: name the class too, as path/to/file.py:ClassName (e.g. my_net.py:MyNet).")
    if not path.is_file():
        raise KitError(f"--model {spec}: there is no file {path}. Write it in notebook 03 (\"Your turn\"), or give the "
                       f"path to yours.")
    return path.resolve(), class_name


def where_in(error, path):
    """' (my_net.py line 12: `code`)': the deepest line of `path` in the error's traceback, so that
    a student reads where in their own file it went wrong; '' when their file is not in it."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path]
    if not frames:
        return ""
    return f" ({path.name} line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)"


def error_line(error):
    """'TypeError: the first line of its message': what an error says, in one line."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def load_network(spec):
    """The class `spec` ("path/to/file.py:ClassName") names, imported from that file and checked:
    an nn.Module subclass that builds without arguments and gives (batch, 10) logits for 32x32
    images. Instances remember `spec`, so that their checkpoints can be loaded back."""
    path, class_name = parse_network(spec)
    module_name = f"student_network_{abs(hash(str(path)))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up by module
    try:
        source_text = path.read_text(errors="replace")  # what a checkpoint records of the network (network_record)
        module_spec.loader.exec_module(module)
    except SystemExit as error:  # sys.exit(), exit() or quit() at the top of the file: it would end the run, said nothing
        raise KitError(f"--model {spec}: {path.name} calls {_exit_call(error)} when it is imported{where_in(error, path)}, "
                       f"which would end the run: the kit imports the file to build {class_name}, so keep only "
                       f"definitions at its top level (script code under `if __name__ == \"__main__\":`).") from None
    except Exception as error:
        raise KitError(f"--model {spec}: {path.name} does not run{where_in(error, path)}: {error_line(error)}. "
                       f"Fix it and try again.") from None
    network = getattr(module, class_name, None)
    if network is None:
        found = [name for name, value in vars(module).items() if isinstance(value, type) and issubclass(value, nn.Module)
                 and value.__module__ == module_name]
        raise KitError(f"--model {spec}: {path.name} has no class {class_name} "
                       f"(its nn.Module classes: {', '.join(found) or 'none'}).")
    if not (isinstance(network, type) and issubclass(network, nn.Module)):
        raise KitError(f"--model {spec}: {class_name} is not a torch.nn.Module class: define it as "
                       f"class {class_name}(nn.Module).")
    try:  # the call itself, before running __init__: a TypeError inside __init__ is the student's code, not this
        inspect.signature(network).bind()
    except TypeError as error:
        raise KitError(f"--model {spec}: {class_name}() cannot be built without arguments ({error}): give every "
                       f"argument of __init__ a default.") from None

    def build():
        try:
            model = network()
        except (Exception, SystemExit) as error:
            raise KitError(f"--model {spec}: building {class_name}() fails{where_in(error, path)}: {error_line(error)}. "
                           f"Fix __init__ and try again.") from None
        model.kit_source = f"{path}:{class_name}"  # describe_model stores it; loading compares it, never imports it
        model.kit_source_text = source_text  # network_record stores it: an edit of the file is noticed
        try:
            with evaluation_mode(model), torch.no_grad():
                out = model(torch.zeros(2, 3, 32, 32))
        except (Exception, SystemExit) as error:
            raise KitError(f"--model {spec}: {class_name}'s forward fails on 2 images of 32x32{where_in(error, path)}: "
                           f"{error_line(error)}. Fix forward (print x.shape before that line) and try again.") from None
        if not (isinstance(out, torch.Tensor) and out.shape == (2, 10)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise KitError(f"--model {spec}: {class_name} gives {shape} for 2 images of 32x32: it must give (2, 10), "
                           f"one logit a class (end with global average pooling and a layer of 10 outputs).")
        return model

    return build


def _exit_call(error):
    return f"sys.exit({'' if error.code is None else repr(error.code)})"


def network_record(model):
    """What the network was, for a checkpoint: its layers, one line each ("c1.2: ReLU"), and for a
    student's network its file's code. A resume compares it (network_changes) and refuses a changed
    network; loading warns. Layer classes, not their printed settings: those vary across torch versions."""
    layers = [f"{name or '(model)'}: {type(module).__name__}" for name, module in model.named_modules()]
    record = {"layers": layers, "layers_digest": _digest("\n".join(layers))}
    text = getattr(model, "kit_source_text", None)
    if text is not None:
        record.update(source_file=Path(str(getattr(model, "kit_source", "")).rpartition(":")[0]).name,
                      source=text if len(text) <= 500_000 else None, source_digest=_code_digest(text))
    return record


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _code_digest(text):
    """The code's digest, blind to comments and layout: a comment edited is not a changed network."""
    try:
        return _digest(ast.dump(ast.parse(text)))
    except (SyntaxError, ValueError):
        return _digest(text)


def network_changes(saved, model):
    """What changed in `model` since `saved` (a network_record), each by name: the file's first
    changed line, the first layer changed. [] when nothing did (or the record is too old to tell)."""
    now, changes = network_record(model), []
    if saved.get("source_digest") and now.get("source_digest") and saved["source_digest"] != now["source_digest"]:
        changes.append(f"{now['source_file']} {_first_change(saved.get('source'), now['source'], 'line')}")
    if saved.get("layers_digest") and saved["layers_digest"] != now["layers_digest"]:
        changes.append(f"its layers: {_first_change(saved.get('layers'), now['layers'], 'layer')}")
    return changes


def _first_change(old, new, unit):
    """"line 14 was `x`, now `y`": the first difference between two texts (or lists of lines)."""
    if old is None:
        return "changed"
    old_lines = old.splitlines() if isinstance(old, str) else list(old)
    new_lines = new.splitlines() if isinstance(new, str) else list(new)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        was = " / ".join([line.strip() for line in old_lines[i1:i2] if line.strip()][:2]) or "nothing"
        now = " / ".join([line.strip() for line in new_lines[j1:j2] if line.strip()][:2]) or "nothing"
        where = f"{unit} {j1 + 1}" if unit == "line" else ""
        return f"{where + ' ' if where else ''}was `{was[:100]}`, now `{now[:100]}`"
    return "changed (comments or layout aside)"


def describe_model(model):
    """What a checkpoint must match: the class and its constructor arguments (`model.config`)."""
    source = {"source": model.kit_source} if hasattr(model, "kit_source") else {}
    return {"class": type(model).__name__, **source, **getattr(model, "config", {})}


def rebuild(architecture, source="the checkpoint", network=None):
    """The model `describe_model` described, with fresh weights. For a student's network the
    caller names its file, `network` ("path/to/file.py:ClassName"): the file a checkpoint names
    is only compared with it, never imported, since a checkpoint may come from anyone."""
    kwargs = {k: v for k, v in architecture.items() if k not in ("class", "source")}
    name = architecture.get("class")
    if "source" in architecture:
        saved = architecture["source"]
        if network is None or ".py" not in network:
            raise KitError(f"{source} holds your network {name} from {saved}: name its file to load it, "
                           f"load_trained(path, model=\"{saved}\") (notebook 05's MODEL); the kit never imports a file "
                           f"a checkpoint names.")
        path, class_name = parse_network(network)
        if f"{path}:{class_name}" != saved:
            raise KitError(f"{source} holds a {name} from {saved}, not {path}:{class_name}: name the file and class "
                           f"it was trained from.")
        return load_network(network)()
    if name == "Net":
        build = Net
    elif name == "AttentionNet":
        from helpers.attention import AttentionNet as build  # imported here: only its checkpoints need it
    else:
        raise KitError(f"{source} holds a {name!r}, which the kit cannot rebuild: it knows Net and AttentionNet.")
    try:
        return build(**kwargs)
    except Exception as error:  # settings no kit run writes: another key, a width list of the wrong length, ...
        settings = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())[:160]
        raise KitError(f"{source} holds a {name} with settings it cannot be built with ({settings}: "
                       f"{error_line(error)}): the file was not written by this kit's training, or was changed "
                       f"since. Train again, or get the file again.") from None
