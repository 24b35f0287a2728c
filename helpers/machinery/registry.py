"""The models the kit knows by name, built from a name (the command line) or from the
architecture a checkpoint stores (loading it back): one list for both.

    build_model     "net", "attention", or a student's "path/to/file.py:ClassName" → a fresh model
    load_network    "path/to/file.py:ClassName" → that class, checked: an nn.Module giving 10 logits
    describe_model  a model → {"class": name, **constructor arguments}, what a checkpoint stores
    rebuild         that description → the same model, fresh weights (a student's: from the file the caller names)
"""
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path

import torch
import torch.nn as nn

from helpers import KitError
from helpers.model import WIDTHS, Net

MODELS = ("net", "attention")


def build_model(name="net", norm="batch", dropout=0.0, widths=None):
    """The named model with fresh weights (seed first for the same weights every time).
    `widths`: the channels of Net's C1-C4, None for Net's own. A name with ".py" in it is a
    student's network, "path/to/file.py:ClassName" (see load_network)."""
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
        module_spec.loader.exec_module(module)
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
        except Exception as error:
            raise KitError(f"--model {spec}: building {class_name}() fails{where_in(error, path)}: {error_line(error)}. "
                           f"Fix __init__ and try again.") from None
        model.kit_source = f"{path}:{class_name}"  # describe_model stores it; loading compares it, never imports it
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(torch.zeros(2, 3, 32, 32))
        except Exception as error:
            raise KitError(f"--model {spec}: {class_name}'s forward fails on 2 images of 32x32{where_in(error, path)}: "
                           f"{error_line(error)}. Fix forward (print x.shape before that line) and try again.") from None
        model.train(was_training)
        if not (isinstance(out, torch.Tensor) and out.shape == (2, 10)):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise KitError(f"--model {spec}: {class_name} gives {shape} for 2 images of 32x32: it must give (2, 10), "
                           f"one logit a class (end with global average pooling and a layer of 10 outputs).")
        return model

    return build


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
        return Net(**kwargs)
    if name == "AttentionNet":
        from helpers.attention import AttentionNet  # imported here: only its checkpoints need it
        return AttentionNet(**kwargs)
    raise KitError(f"{source} holds a {name!r}, which the kit cannot rebuild: it knows Net and AttentionNet.")
