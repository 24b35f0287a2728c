"""Make the kit's shipped weights again, in one command:

    python -m tools.make_shipped_weights --data-root DIR        # 70-80 minutes on a 2-core CPU, minutes on a GPU

trains the default recipe (what `python -m helpers.train` trains with no recipe option) into runs/shipped,
resuming it if it was interrupted, exports the final epoch's weight average in float16 to
helpers/trained/net.pt, tests those very weights on the test split (plain, flip TTA, class by
class) and writes images/shipped-weights-metrics.json: the run's history and that test.
"""
import argparse
import json
import sys
from pathlib import Path

from helpers import KitError
from helpers.machinery.checkpoints import atomic_write, export_weights, load_trained
from helpers.data import add_data_options, load_cifar10
from helpers.machinery.device import pick_device, seed_everything
from helpers.evaluation import class_accuracy
from helpers.machinery.loader import WorkerBatches
from helpers.machinery.reference import REFERENCE_METRICS, SHIPPED_WEIGHTS
from helpers.model import Net
from helpers.recipe import Recipe
from helpers.training import evaluate, fit, predict


def test_shipped(data, device):
    """The shipped (float16) weights, as a student's notebook loads them, on the test split."""
    model, state = load_trained(SHIPPED_WEIGHTS, device)
    batches = WorkerBatches(data.test, 512, state["data"]["mean"], state["data"]["std"], device)
    logits, labels = predict(model, batches)
    return {"data": data.description, "test_images": len(data.test),
            "test_acc": round(evaluate(model, batches)[1], 2),
            "flip_tta_test_acc": round(evaluate(model, batches, tta=True)[1], 2),
            "class_acc": {k: round(v, 2) for k, v in class_accuracy(logits.argmax(1), labels, data.classes).items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.make_shipped_weights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_options(parser, subset_help="(for a quick check of this command only: the shipped weights use all)")
    parser.add_argument("--out", default="runs/shipped", help="the training run's folder (default: runs/shipped)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args(argv)
    recipe = Recipe()  # the default recipe, as `python -m helpers.train` with no recipe option trains it
    try:
        device = pick_device(args.device)
        data = load_cifar10(args.data_root, download=True if args.download else None, subset=args.subset,
                            seed=recipe.seed)
        seed_everything(recipe.seed)
        fit(Net(), data, recipe, args.out, resume=True, device=device, progress=False)
        export_weights(f"{args.out}/last.pt", SHIPPED_WEIGHTS)  # the final epoch: what the run reports
        metrics = json.loads((Path(args.out) / "metrics.json").read_text())
        metrics["shipped"] = test_shipped(data, device)
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to continue the run in {args.out}", file=sys.stderr)
        return 130
    atomic_write(REFERENCE_METRICS, lambda tmp: tmp.write_text(json.dumps(metrics, indent=1)))
    print(f"{SHIPPED_WEIGHTS}: {SHIPPED_WEIGHTS.stat().st_size / 1e6:.2f} MB; float16 weights test at "
          f"{metrics['shipped']['test_acc']:.2f}% (flip TTA {metrics['shipped']['flip_tta_test_acc']:.2f}%) "
          f"on {data.description}; {REFERENCE_METRICS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
