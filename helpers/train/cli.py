"""The whole training run from the command line: `python -m helpers.train --help`.

    python -m helpers.train                                   # Net, the default recipe, ./data
    python -m helpers.train --subset 1000 --epochs 2 --batch-size 64 --out runs/try   # a 2-minute try
    python -m helpers.train --out runs/net --resume           # continue an interrupted run
    python -m helpers.train --model my_net.py:MyNet --out runs/my-net   # your network (notebook 03)
    python -m helpers.train --augment my_augment.py:AUGMENT --out runs/my-aug   # your pipeline (notebook 01)

Writes OUT/metrics.json, OUT/last.pt and OUT/best.pt after every epoch.
"""
import argparse
import sys
from dataclasses import fields
from pathlib import Path

from helpers import KitError, shown_path
from helpers.data import add_data_options, load_cifar10
from helpers.machinery.device import pick_device, seed_everything
from helpers.machinery.checkpoints import saved_epoch
from helpers.machinery.pipelines import load_augmentation, where_in_text
from helpers.machinery.registry import MODELS, build_model, error_line, where_in
from helpers.training import fit
from helpers.model import WIDTHS, count_parameters
from helpers.recipe import ADAM_MAX_LR, Recipe

# What Recipe.check accepts, shown in --help.
RANGES = {"epochs": "1 or more", "batch_size": "1 or more",
          "momentum": "SGD: 0.05 to below 0.95, as OneCycleLR cycles it by 0.05; Adam's beta1: 0 to below 1",
          "weight_decay": "0 or more", "label_smoothing": "0 to 1", "l1": "0 or more", "pct_start": "above 0, below 1",
          "ema_decay": "0 (no weight average) to below 1", "seed": "0 to 4294967295",
          "augment_on": "auto, device or workers"}


def parse_args(argv=None):
    defaults = Recipe()
    p = argparse.ArgumentParser(prog="python -m helpers.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_options(p, subset_help="train and test on N class-balanced images a split")
    p.add_argument("--out", default="runs/net", help="folder for metrics.json, last.pt, best.pt (default: runs/net)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last completed epoch")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--model", default="net", metavar="MODEL",
                   help=f"{' or '.join(MODELS)} (default: net), or your own network as path/to/file.py:ClassName")
    p.add_argument("--augment", metavar="FILE.py:NAME",
                   help="your own augmentation: the A.Compose named NAME in FILE.py (notebook 01's last section), "
                        "in place of the course's pipeline and its switches (--flip ... --color-jitter)")
    p.add_argument("--norm", default="batch", choices=["batch", "group", "layer"], help="normalisation in Net")
    p.add_argument("--dropout", type=float, default=0.0, help="Dropout2d rate after each block of Net: 0 to below 1 "
                                                               "(default: 0)")
    p.add_argument("--widths", type=int, nargs=4, metavar=("C1", "C2", "C3", "C4"),
                   help=f"channels of Net's four blocks (default: {' '.join(map(str, WIDTHS))}); "
                        f"the course's budget is 200,000 parameters")
    p.add_argument("--tensorboard", metavar="DIR", help="also log to TensorBoard in DIR (needs tensorboard)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars, only the line per epoch")
    p.add_argument("--optimizer", choices=["sgd", "adam"], help="default: sgd for net, adam for attention")
    p.add_argument("--max-lr", type=float, help=f"OneCycleLR's peak, a positive number; default: {defaults.max_lr} "
                                                f"for SGD, {ADAM_MAX_LR} for Adam")
    for f in fields(Recipe):  # every other recipe setting is an option: --epochs, --no-flip, ...
        flag = "--" + f.name.replace("_", "-")
        if f.name in ("optimizer", "max_lr"):
            continue
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            valid = f"{RANGES[f.name]}; " if f.name in RANGES else ""
            p.add_argument(flag, type=type(f.default), default=f.default, help=f"{valid}default: {f.default}")
    args = p.parse_args(argv)
    # The attention write-up trained with Adam; Adam wants a far smaller LR than SGD.
    args.optimizer = args.optimizer or ("adam" if args.model == "attention" else "sgd")
    if args.max_lr is None:
        args.max_lr = ADAM_MAX_LR if args.optimizer == "adam" else defaults.max_lr
    return args


def main(argv=None):
    args = parse_args(argv)
    recipe = Recipe.from_dict(vars(args))
    try:
        if args.subset is not None and args.subset <= 0:
            raise KitError(f"--subset {args.subset} is not possible: ask for a positive number of images a split.")
        recipe.check()
        device = pick_device(args.device, recipe=recipe)  # before the data: a wrong --device or --model should fail at once
        seed_everything(recipe.seed)
        model = build_model(args.model, args.norm, args.dropout, args.widths)
        augmentation = _own_augmentation(args, recipe)
        data = load_cifar10(args.data_root, download=True if args.download else None, subset=args.subset, seed=recipe.seed)
        print(f"{type(model).__name__}: {count_parameters(model):,} parameters; data: {data.description}")
        history = fit(model, data, recipe, args.out, resume=args.resume, device=device,
                      progress=not args.no_progress, tensorboard_dir=args.tensorboard, augmentation=augmentation)
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: {_what_was_saved(Path(args.out))}", file=sys.stderr)
        return 130
    except SystemExit as error:  # sys.exit(), exit() or quit() in the student's network or pipeline, met in training
        where = "".join(where_in(error, Path(spec.rpartition(":")[0]).resolve())
                        for spec in (args.model, args.augment or "") if ".py" in spec)
        print(f"error: the run was ended by sys.exit({'' if error.code is None else repr(error.code)}){where}, "
              f"which the kit never calls: remove it and run again. {_what_was_saved(Path(args.out))}", file=sys.stderr)
        return 2
    except Exception as error:  # an error in the student's own network or pipeline, met in training: where in their file
        for spec, what in ((args.model, "network"), (args.augment or "", "augmentation")):
            path = Path(spec.rpartition(":")[0]).resolve() if ".py" in spec else None
            where = path and (where_in(error, path) or where_in_text(error, path))
            if where:
                print(f"error: your {what} failed while training{where}: {error_line(error)}. Fix it and run again.",
                      file=sys.stderr)
                return 2
        raise
    best = max(history, key=lambda h: h["test_acc"])
    print(f"best test accuracy {best['test_acc']:.2f}% at epoch {best['epoch']}; final {history[-1]['test_acc']:.2f}%; "
          f"results in {shown_path(Path(args.out) / 'metrics.json')}")
    return 0


def _own_augmentation(args, recipe):
    """--augment's A.Compose, or None. Its pipeline replaces the course's, so the switches that
    build the course's are refused beside it rather than silently ignored."""
    if not args.augment:
        return None
    switches = ("flip", "shift_scale_rotate", "coarse_dropout", "pad_crop", "to_gray", "color_jitter")
    changed = [name for name in switches if getattr(recipe, name) != getattr(Recipe(), name)]
    if changed:
        flags = ", ".join("--" + ("" if getattr(recipe, name) else "no-") + name.replace("_", "-") for name in changed)
        raise KitError(f"--augment {args.augment} replaces the course's pipeline, which {flags} would change: "
                       f"leave {'them' if len(changed) > 1 else 'it'} out and write the pipeline you want in your file.")
    return load_augmentation(args.augment)


def _what_was_saved(out):
    """After Ctrl-C: the epoch the run's checkpoint holds, or that no epoch was saved."""
    for name in ("last.pt", "best.pt"):
        if (out / name).is_file():
            try:
                epoch = saved_epoch(out / name)
            except KitError as error:
                return str(error)
            return f"{shown_path(out / name)} holds epoch {epoch}; continue with --resume."
    return f"no epoch was completed, so nothing was saved in {shown_path(out)}; run the same command to start again."


