"""How fast is the kit, and what bounds it? `python -m tools.bench --help`.

    python -m tools.bench                                   # ./data or $CIFAR10_ROOT, GPU if there is one
    python -m tools.bench --data-root /path/to/cifar10 --json bench.json
    python -m tools.bench --data-root ../shared/data/cifar10-subset --seconds 1 --skip-train

In one run, on the same data, it measures:
  1. the input pipeline: how many images a second the kit's training loader (the course's whole
     augmentation pipeline, flip + Affine + CoarseDropout; uint8 batches, normalised on the
     device) delivers to the device, its augmentation done by the CPU workers and done on the
     device (the split there, the pipeline replayed in batched tensor operations: what a GPU run
     uses), and the same for a seed-style loader built as the course's
     write-ups built theirs: torchvision's CIFAR10 hands out PIL images, np.array turns them back
     into arrays, an Albumentations Compose with Normalize and ToTensorV2 makes a float tensor per
     image, the default collate stacks 128 of them, 2 workers. Their ratio is the loader
     speed-up (`loader_speedup_ratio` in the JSON);
  2. the training step of Net (forward, backward, SGD step) on a batch already on the device,
     which is compute alone: in float32, then with channels-last memory and mixed precision
     added one at a time (float16 on CUDA, bfloat16 on a CPU that has it), so that each one's
     share shows; the last line is how the kit trains;
  3. evaluation as the kit evaluates: the test loader, normalisation on the device, no gradients;
  4. an estimate of one epoch's wall time: 50,000 training images at the slower of 1 and 2 (the
     loader's workers and the device run at the same time, so the slower one sets the pace; with
     the augmentation on the device, the device does both, one after the other), plus 10,000
     test images at the speed of 3. With --measure-epoch it also times real ones, both ways.

Colab gives a notebook 2 CPU cores, and the CPU is what bounds its GPU runs. torch's threads are
set to 2 (--threads); to stand in for Colab on a bigger machine, also pin the process to two
cores, `taskset -c 0,1 python -m tools.bench ...`: the loader takes a worker a core it may use.

Each figure is the fastest of --rounds windows of --seconds each: other programs on the machine
only ever slow a window down, so the fastest one is the closest to what the machine can do.
Beside images a second stands CPU time an image (the main process and its workers together),
which other programs disturb less: on a shared machine, compare those too.

The table's first lines say what the figures depend on, OMP_WAIT_POLICY among them: unset, the
threads of torch's CPU operations spin for milliseconds after each one, waiting for more work;
on a 2-core machine they spin on the cores the loader's two workers need.
"""
import argparse
import json
import sys
from pathlib import Path

import torch

from helpers import KitError
from tools.bench.measure import (estimate_epoch, measure_epoch, measure_evaluation, measure_kit_loader,
                                   measure_seed_style_loader, measure_training_step, training_settings)
from tools.bench.timing import describe_machine, fastest
from tools.bench.baseline_loader import SEED_STYLE_BATCH_SIZE, SEED_STYLE_WORKERS
from helpers.data import add_data_options, load_cifar10
from helpers.machinery.device import pick_device
from helpers.machinery.loader import worker_count
from helpers.recipe import Recipe


# ---- The whole benchmark ----------------------------------------------------------------------

def run_benchmark(data, device, batch_size=None, workers=None, seconds=5.0, rounds=2, eval_batch_size=1024,
                  loaders=True, train=True, epoch=False, log=print):
    """Every measurement, as one dict (what --json writes). `batch_size` and `workers` default to
    the kit's: the default recipe's batch size and a worker a core."""
    batch_size = batch_size or Recipe().batch_size
    workers = worker_count() if workers is None else workers
    results = {"machine": describe_machine(device),
               "data": {"description": data.description, "train_images": len(data.train),
                        "test_images": len(data.test)},
               "settings": {"seconds": seconds, "rounds": rounds, "batch_size": batch_size, "workers": workers,
                            "eval_batch_size": eval_batch_size}}
    if loaders:
        # Alternating the loaders round by round spreads any disturbance over all of them.
        kit, on_device, seed_style = [], [], []
        for _ in range(rounds):
            log(f"measuring the kit's loader, augmented by the workers ({seconds:g} s)")
            kit.append(measure_kit_loader(data, device, batch_size, workers, seconds))
            log(f"measuring the kit's loader, augmented on the {device.type} ({seconds:g} s)")
            on_device.append(measure_kit_loader(data, device, batch_size, workers, seconds, augment_on="device"))
            log(f"measuring the seed-style loader ({seconds:g} s)")
            seed_style.append(measure_seed_style_loader(data, device, seconds))
        results["loaders"] = {"kit": fastest(kit), "kit_on_device": fastest(on_device),
                              "seed_style": fastest(seed_style)}
        kit, on_device, seed_style = (results["loaders"][k] for k in ("kit", "kit_on_device", "seed_style"))
        results["loader_speedup_ratio"] = kit["images_per_second"] / seed_style["images_per_second"]
        results["on_device_speedup_ratio"] = on_device["images_per_second"] / kit["images_per_second"]
        # The same comparison in CPU time an image: what the speed-up would be with all the
        # machine's cores to the loaders, which on a busy shared machine they do not have.
        results["loader_cpu_time_ratio"] = seed_style["cpu_us_per_image"] / kit["cpu_us_per_image"]
    if train:
        results["training_step"] = {}
        for name, dtype, channels_last in training_settings(device):
            log(f"measuring the training step, {name} ({seconds:g} s)")
            results["training_step"][name] = fastest([measure_training_step(
                data, device, batch_size, seconds, dtype, channels_last) for _ in range(rounds)])
        results["kit_training_setting"] = name  # the last setting is the one `fit` uses
        log(f"measuring evaluation ({seconds:g} s)")
        results["evaluation"] = fastest([measure_evaluation(data, device, eval_batch_size, seconds)
                                         for _ in range(rounds)])
    if loaders and train:
        for key, loader in (("epoch_estimate", "kit"), ("epoch_estimate_on_device", "kit_on_device")):
            results[key] = estimate_epoch(results["loaders"][loader], results["training_step"][name],
                                          results["evaluation"])
    if epoch:
        for key, augment_on in (("measured_epoch", "workers"), ("measured_epoch_on_device", "device")):
            log(f"measuring two real epochs augmented on the {augment_on}, timing the second")
            results[key] = measure_epoch(data, device, batch_size, workers, augment_on)
    return results


# ---- The table ------------------------------------------------------------------------------

def format_results(results):
    machine, data, settings = results["machine"], results["data"], results["settings"]
    device = machine["gpu"] or f"CPU ({machine['torch_threads']} threads)"
    lines = [
        f"machine   {machine['cpu']}, {machine['cpu_cores']} cores; {device}; torch {machine['torch']}",
        f"          {machine['date']}, load average {machine['load_average']} at the start, "
        f"OMP_WAIT_POLICY {machine['omp_wait_policy']}",
        f"data      {data['description']}" + ("" if "subset of" in data["description"] else
                                                  f"; {data['train_images']:,} train / {data['test_images']:,} test images"),
        f"timing    the fastest of {settings['rounds']} windows of {settings['seconds']:g} s each" if settings["rounds"] > 1
        else f"timing    one window of {settings['seconds']:g} s a figure",
        "",
    ]
    row = lambda *cells: "{:<50} {:>6} {:>8} {:>10} {:>10} {:>11}".format(*cells, *[""] * (6 - len(cells))).rstrip()
    if "loaders" in results:
        kit, on_device, seed_style = (results["loaders"][k] for k in ("kit", "kit_on_device", "seed_style"))
        lines += [row(f"1. input pipeline, delivered to the {machine['device']}", "batch", "workers", "images/s",
                      "batches/s", "CPU us/img"),
                  row("   kit: uint8 batches, normalised on the device", kit["batch_size"], kit["workers"],
                      f"{kit['images_per_second']:,.0f}", f"{kit['steps_per_second']:.1f}",
                      f"{kit['cpu_us_per_image']:.0f}"),
                  row(f"   kit, augmented on the {machine['device']} (split there)", on_device["batch_size"], "-",
                      f"{on_device['images_per_second']:,.0f}", f"{on_device['steps_per_second']:.1f}",
                      f"{on_device['cpu_us_per_image']:.0f}"),
                  row("   seed-style: PIL, per-image Normalize, collate", seed_style["batch_size"], seed_style["workers"],
                      f"{seed_style['images_per_second']:,.0f}", f"{seed_style['steps_per_second']:.1f}",
                      f"{seed_style['cpu_us_per_image']:.0f}"),
                  row("   loader speed-up (kit / seed-style)", "", "", f"{results['loader_speedup_ratio']:.2f}x", "",
                      f"{results['loader_cpu_time_ratio']:.2f}x"),
                  row(f"   augmented on the {machine['device']} / by the workers", "", "",
                      f"{results['on_device_speedup_ratio']:.2f}x"),
                  ""]
    if "training_step" in results:
        lines.append(row("2. training step of Net (forward, backward, SGD)", "batch", "", "images/s", "ms/step"))
        for name, step in results["training_step"].items():
            lines.append(row(f"   {name}", step["batch_size"], "", f"{step['images_per_second']:,.0f}",
                             f"{1000 / step['steps_per_second']:.1f}"))
        evaluation = results["evaluation"]
        lines += ["", row("3. evaluation (test loader, no gradients)", "batch", "", "images/s", "ms/batch"),
                  row("   " + results["kit_training_setting"].replace("mixed precision", "autocast"),
                      evaluation["batch_size"], "", f"{evaluation['images_per_second']:,.0f}",
                      f"{1000 / evaluation['steps_per_second']:.1f}"), ""]
    where = {"workers": "augmented by the CPU workers", "device": f"augmented on the {machine['device']}"}
    if "epoch_estimate" in results:
        epoch = results["epoch_estimate"]
        times = " (x2: the average and the weights)" if epoch["evaluations"] == 2 else ""
        lines.append(f"4. one epoch ({epoch['train_images']:,} training + {epoch['test_images']:,} test "
                     f"images{times}), estimated:")
        for epoch in (results["epoch_estimate"], results["epoch_estimate_on_device"]):
            lines += [f"   {where[epoch['augment_on']]}: about {epoch['seconds']:.1f} s, "
                      f"bound by the {epoch['bound_by']}",
                      f"      training {epoch['train_seconds']:.1f} s (loader alone {epoch['loader_seconds']:.1f} s, "
                      f"training step alone {epoch['training_step_seconds']:.1f} s), "
                      f"evaluation {epoch['evaluation_seconds']:.1f} s"]
    if "measured_epoch" in results:
        epoch = results["measured_epoch"]
        times = " (x2)" if epoch["evaluations"] == 2 else ""
        lines += ["", f"5. one real epoch, measured ({epoch['train_images']:,} training + {epoch['test_images']:,} "
                      f"test images{times}):"]
        for epoch in (results["measured_epoch"], results["measured_epoch_on_device"]):
            lines.append(f"   {where[epoch['augment_on']]}: {epoch['seconds']:.1f} s, training "
                         f"{epoch['train_seconds']:.1f} s ({epoch['train_images_per_second']:,.0f} images/s), "
                         f"evaluation {epoch['evaluation_seconds']:.1f} s")
    return "\n".join(lines).rstrip()


# ---- The command line -----------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_options(p, subset_help="measure on N class-balanced images a split")
    p.add_argument("--batch-size", type=int, default=Recipe().batch_size,
                   help=f"the kit's training batch size (default: the recipe's, {Recipe().batch_size}); "
                        f"the seed-style loader keeps {SEED_STYLE_BATCH_SIZE}")
    p.add_argument("--eval-batch-size", type=int, default=1024, help="evaluation batch size (default: 1024)")
    p.add_argument("--workers", type=int, default=worker_count(),
                   help=f"the kit loader's workers (default: one a core, here {worker_count()}); "
                        f"the seed-style loader keeps {SEED_STYLE_WORKERS}")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2,
                   help="torch's CPU threads (default: 2, as Colab has; pin the cores too with taskset -c 0,1)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each timed window (default: 5)")
    p.add_argument("--rounds", type=int, default=2, help="windows per figure, the fastest counts (default: 2)")
    p.add_argument("--skip-loaders", action="store_true", help="do not measure the input pipelines")
    p.add_argument("--skip-train", action="store_true", help="do not measure the training step and evaluation")
    p.add_argument("--measure-epoch", action="store_true",
                   help="also run two real epochs of the default recipe and time the second, augmented by the "
                        "workers and on the device (minutes on a CPU)")
    p.add_argument("--json", metavar="PATH", help="also write every figure to PATH as JSON")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    progress = lambda message: print(message, file=sys.stderr, flush=True)
    try:
        for name in ("batch_size", "eval_batch_size", "rounds", "threads"):
            if getattr(args, name) <= 0:
                raise KitError(f"--{name.replace('_', '-')} {getattr(args, name)} is not possible: use a positive number.")
        if args.workers < 0:
            raise KitError(f"--workers {args.workers} is not possible: use 0 (load in the main process) or more.")
        if args.seconds <= 0:
            raise KitError(f"--seconds {args.seconds:g} is not possible: time windows of a few seconds work well.")
        torch.set_num_threads(args.threads)
        device = pick_device(args.device, log=progress)
        progress("loading the data")
        data = load_cifar10(args.data_root, download=True if args.download else None, subset=args.subset)
        results = run_benchmark(data, device, args.batch_size, args.workers, args.seconds, args.rounds,
                                args.eval_batch_size, loaders=not args.skip_loaders, train=not args.skip_train,
                                epoch=args.measure_epoch, log=progress)
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_results(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
        print(f"every figure: {args.json}")
    return 0


