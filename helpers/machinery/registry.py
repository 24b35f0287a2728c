"""The models the kit knows by name, built from a name (the command line) or from the
architecture a checkpoint stores (loading it back): one list for both.

    build_model     "net", "attention", or a student's "path/to/file.py:ClassName" → a fresh model
    load_network    "path/to/file.py:ClassName" → that class, checked: an nn.Module giving 10 logits
    describe_model  a model → {"class": name, **constructor arguments}, what a checkpoint stores
    rebuild         that description → the same model, fresh weights
"""
import importlib.util
import sys
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
        return Net(norm=norm, dropout=dropout, widths=tuple(widths))
    if name == "attention":
        if norm != "batch" or dropout or widths is not None:
            raise KitError("--norm, --dropout and --widths are settings of Net; the attention model has none of "
                           "them: leave them out.")
        from helpers.attention import AttentionNet
        return AttentionNet()
    raise KitError(f"unknown model {name!r}: use one of {', '.join(MODELS)}, or your network as path/to/file.py:ClassName.")


def load_network(spec):
    """The class `spec` ("path/to/file.py:ClassName") names, imported from that file and checked:
    an nn.Module subclass that builds without arguments and gives (batch, 10) logits for 32x32
    images. Instances remember `spec`, so that their checkpoints can be loaded back."""
    path_text, _, class_name = spec.rpartition(":")
    if not path_text.endswith(".py"):  # "my_net.py" without a class
        path_text, class_name = spec, ""
    path = Path(path_text).expanduser()
    if not class_name:
        raise KitError(f"--model {spec}: name the class too, as path/to/file.py:ClassName (e.g. my_net.py:MyNet).")
    if not path.is_file():
        raise KitError(f"--model {spec}: there is no file {path}. Write it in notebook 03 (\"Your turn\"), or give the "
                       f"path to yours.")
    module_name = f"student_network_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up by module
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        raise KitError(f"--model {spec}: {path.name} does not run: {type(error).__name__}: {error}. Fix it and try again.") from None
    network = getattr(module, class_name, None)
    if network is None:
        found = [name for name, value in vars(module).items() if isinstance(value, type) and issubclass(value, nn.Module)
                 and value.__module__ == module_name]
        raise KitError(f"--model {spec}: {path.name} has no class {class_name} "
                       f"(its nn.Module classes: {', '.join(found) or 'none'}).")
    if not (isinstance(network, type) and issubclass(network, nn.Module)):
        raise KitError(f"--model {spec}: {class_name} is not a torch.nn.Module class: define it as "
                       f"class {class_name}(nn.Module).")
    resolved = f"{path.resolve()}:{class_name}"

    def build():
        try:
            model = network()
        except TypeError as error:
            raise KitError(f"--model {spec}: {class_name}() cannot be built without arguments ({error}): give every "
                           f"argument of __init__ a default.") from None
        model.kit_source = resolved  # describe_model stores it: what a checkpoint needs to rebuild the model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(torch.zeros(2, 3, 32, 32))
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


def rebuild(architecture, source="the checkpoint"):
    """The model `describe_model` described, with fresh weights."""
    kwargs = {k: v for k, v in architecture.items() if k not in ("class", "source")}
    name = architecture.get("class")
    if "source" in architecture:  # a student's network: its file must be where it was when the run was saved
        file = architecture["source"].rpartition(":")[0]
        if not Path(file).is_file():
            raise KitError(f"{source} holds a {name} from {file}, which is not there: put that file back (notebook 03 "
                           f"writes it), or copy it there, to load these weights.")
        return load_network(architecture["source"])()
    if name == "Net":
        return Net(**kwargs)
    if name == "AttentionNet":
        from helpers.attention import AttentionNet  # imported here: only its checkpoints need it
        return AttentionNet(**kwargs)
    raise KitError(f"{source} holds a {name!r}, which the kit cannot rebuild: it knows Net and AttentionNet.")
