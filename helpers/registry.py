"""The models the kit knows by name, built from a name (the command line) or from the
architecture a checkpoint stores (loading it back): one list for both.

    build_model     "net" or "attention" → a fresh model
    describe_model  a model → {"class": name, **constructor arguments}, what a checkpoint stores
    rebuild         that description → the same model, fresh weights
"""
from helpers import KitError
from helpers.model import WIDTHS, Net

MODELS = ("net", "attention")


def build_model(name="net", norm="batch", dropout=0.0, widths=None):
    """The named model with fresh weights (seed first for the same weights every time).
    `widths`: the channels of Net's C1-C4, None for Net's own."""
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
    raise KitError(f"unknown model {name!r}: use one of {', '.join(MODELS)}.")


def describe_model(model):
    """What a checkpoint must match: the class and its constructor arguments (`model.config`)."""
    return {"class": type(model).__name__, **getattr(model, "config", {})}


def rebuild(architecture, source="the checkpoint"):
    """The model `describe_model` described, with fresh weights."""
    kwargs = {k: v for k, v in architecture.items() if k != "class"}
    name = architecture.get("class")
    if name == "Net":
        return Net(**kwargs)
    if name == "AttentionNet":
        from helpers.attention import AttentionNet  # imported here: only its checkpoints need it
        return AttentionNet(**kwargs)
    raise KitError(f"{source} holds a {name!r}, which the kit cannot rebuild: it knows Net and AttentionNet.")
