"""How fast is the kit, and what bounds it? `python -m helpers.bench --help`.

    python -m helpers.bench                                   # ./data or $CIFAR10_ROOT, GPU if there is one
    python -m helpers.bench --data-root /path/to/cifar10 --json bench.json
    python -m helpers.bench --data-root ../shared/data/cifar10-subset --seconds 1 --skip-train

In one run, on the same data, it measures:
  1. the input pipeline: how many images a second the kit's training loader (the course's whole
     augmentation pipeline, flip + Affine + CoarseDropout; uint8 batches, normalised on the
     device) delivers to the device, and the same for a seed-style loader built as the course's
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
     loader's workers and the device run at the same time, so the slower one sets the pace), plus
     10,000 test images at the speed of 3. With --measure-epoch it also times a real one.

Each figure is the fastest of --rounds windows of --seconds each: other programs on the machine
only ever slow a window down, so the fastest one is the closest to what the machine can do.
Beside images a second stands CPU time an image (the main process and its workers together),
which other programs disturb less: on a shared machine, compare those too.

The table's first lines say what the figures depend on, OMP_WAIT_POLICY among them: unset, the
threads of torch's CPU operations spin for milliseconds after each one, waiting for more work;
on a 2-core machine they spin on the cores the loader's two workers need.
"""
import argparse
import datetime
import gc
import itertools
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import albumentations as A  # helpers/__init__ has already turned off its online version check
from albumentations.pytorch import ToTensorV2

from helpers import KitError
from helpers.data import add_data_options, load_cifar10, make_loader, worker_count
from helpers.model import Net
from helpers.training import (Recipe, autocast, evaluate, lower_precision, make_optimizer, make_scheduler,
                              optimizer_step, pick_device, to_device, train_epoch, WeightAverage)
from helpers.transforms import normalize, train_transforms

try:
    import resource  # CPU time of this process and of its ended children; not on Windows
except ImportError:
    resource = None

# The write-ups' loader settings, kept as they were: the point is to compare against them.
SEED_STYLE_BATCH_SIZE = 128
SEED_STYLE_WORKERS = 2
# What one epoch is, for the estimate: CIFAR-10's training and test splits.
EPOCH_TRAIN_IMAGES = 50_000
EPOCH_TEST_IMAGES = 10_000


# ---- The machine ---------------------------------------------------------------------------

def cpu_model():
    """The CPU's name as the kernel reports it ("AMD EPYC 7B13"), else what Python knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(device):
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpu_cores": worker_count(),  # the cores this process may use, which is what the loader uses
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device.type,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        # Load before the run: on a shared machine a high figure means the numbers are low.
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        # Unset, GNU OpenMP (torch's CPU threads) spins for milliseconds after every parallel tensor
        # operation, on the cores a small machine's loader workers need.
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
    }


# ---- Timing --------------------------------------------------------------------------------
# CUDA runs asynchronously: Python hands the GPU work and moves on. Reading the clock before the
# GPU has finished would time the handing-out, so every clock reading on CUDA waits for the GPU.

def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cpu_seconds():
    """CPU time used so far by this process, its threads and its child processes (the loader's
    workers), in seconds. On a shared machine the wall clock counts the time other programs took
    the cores; CPU time counts only the work done, so CPU time per image stays comparable."""
    if resource is None:
        return time.process_time()  # this process alone
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime  # ended: workers already gone
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):  # workers still running: Linux lists them here
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ...
        except (OSError, IndexError):
            continue  # it ended while we looked
        if int(fields[1]) == os.getpid():
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime and stime
    return total


def time_window(step, seconds, device, warmup):
    """Call `step()` (it returns how many images it handled) `warmup` times untimed, then for
    `seconds`. Returns images a second, steps a second, CPU time an image and the counts."""
    for _ in range(warmup):
        step()
    synchronize(device)
    images = steps = 0
    cpu_start, start = cpu_seconds(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        images += step()
        steps += 1
    synchronize(device)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    return {"images_per_second": images / elapsed, "steps_per_second": steps / elapsed,
            "cpu_us_per_image": 1e6 * cpu / images, "images": images, "steps": steps, "seconds": elapsed,
            "cpu_seconds": cpu}


def fastest(measurements):
    """The fastest of several measurements of one thing, with every one's images a second beside it."""
    best = max(measurements, key=lambda m: m["images_per_second"])
    return {**best, "rounds": [round(m["images_per_second"], 1) for m in measurements]}


def endless(loader):
    """Batches from `loader`, epoch after epoch, as a training loop would draw them."""
    for epoch in itertools.count():
        if hasattr(loader.sampler, "set_epoch"):  # the kit's sampler: a new order each epoch
            loader.sampler.set_epoch(epoch)
        yield from loader


# ---- 1. The input pipeline -------------------------------------------------------------------
# Both loaders are measured up to the same point: a batch of normalised float32 (B, 3, 32, 32)
# images and its labels on the device, which is what the model's forward pass needs.

class SeedStyleCIFAR10(torch.utils.data.Dataset):
    """The write-ups' dataset. torchvision's CIFAR10 keeps the images as one uint8 array `data`
    and the labels as a list `targets`, and makes a PIL image of each sample it hands out; the
    write-ups' subclass turned that back into an array for Albumentations, whose Compose then
    augmented, normalised and made a float tensor of it, one image at a time."""

    def __init__(self, split, transform):
        self.data = split.images
        self.targets = split.labels.tolist()
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[index], self.targets[index]
        image = Image.fromarray(image)  # what torchvision.datasets.CIFAR10 does
        image = np.array(image)  # what the write-ups did: Albumentations wants an array
        image = self.transform(image=image)["image"]  # float32 (3, 32, 32), normalised
        return image, target


def seed_style_transforms(mean, std):
    """The kit's own augmentation steps, then Normalize and ToTensorV2 as the write-ups had them:
    the same augmentation on both sides, so the comparison is of the pipelines alone."""
    return A.Compose([*train_transforms(mean).transforms,
                      A.Normalize(mean=mean, std=std, max_pixel_value=255.0), ToTensorV2()])


def seed_style_loader(split, mean, std, device):
    """As the write-ups built it: batch 128, 2 workers, shuffled, default collate, memory pinned
    for a GPU, workers started afresh every epoch (DataLoader's default)."""
    return torch.utils.data.DataLoader(SeedStyleCIFAR10(split, seed_style_transforms(mean, std)),
                                       batch_size=SEED_STYLE_BATCH_SIZE, shuffle=True,
                                       num_workers=SEED_STYLE_WORKERS, pin_memory=device.type == "cuda")


def measure_seed_style_loader(data, device, seconds):
    loader = seed_style_loader(data.train, data.mean, data.std, device)
    batches = endless(loader)

    def deliver():  # the batch is normalised already: it only moves to the device
        images, labels = next(batches)
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        return len(images)

    # Warm-up: the workers start and hand over their first batches before the clock runs.
    result = time_window(deliver, seconds, device, warmup=2 * SEED_STYLE_WORKERS)
    batches.close()  # ends the iterator and with it the workers, before the next window starts
    return {**result, "batch_size": SEED_STYLE_BATCH_SIZE, "workers": SEED_STYLE_WORKERS}


def measure_kit_loader(data, device, batch_size, workers, seconds):
    """The loader `fit` trains with: a worker augments a whole uint8 batch, the batch is
    normalised on the device."""
    loader = make_loader(data.train, batch_size, train_transforms(data.mean), shuffle=True, workers=workers,
                         drop_last=len(data.train) > batch_size)  # as `fit` builds it
    batches = endless(loader)

    def deliver():  # as train_epoch receives a batch (channels-last, see section 2)
        images, labels = next(batches)
        images = normalize(images, data.mean, data.std, device)
        labels = labels.to(device, non_blocking=True)
        return len(images)

    result = time_window(deliver, seconds, device, warmup=2 * max(workers, 1))
    batches.close()
    del loader, batches  # its persistent workers end with it, before the next window starts
    gc.collect()
    return {**result, "batch_size": batch_size, "workers": workers}


# ---- 2. The training step -----------------------------------------------------------------
# The kit trains with channels-last memory (what cuDNN's tensor cores and the CPU's oneDNN read
# fastest) in mixed precision: float16 with a gradient scaler on CUDA, bfloat16 on a CPU with
# bfloat16 instructions (see training.lower_precision). Each is added on its own so the table
# shows what each one brings.

def training_settings(device):
    """(name, lower precision dtype or None, channels-last) for each setting; the last is the kit's."""
    settings = [("float32", None, False), ("float32, channels-last", None, True)]
    dtype = lower_precision(device)
    if dtype is not None:
        settings.append((f"{str(dtype).removeprefix('torch.')} mixed precision, channels-last", dtype, True))
    return settings


def device_batch(split, batch_size, mean, std, device, channels_last):
    """`batch_size` real images (repeated if the split is smaller), normalised, on the device."""
    indices = np.arange(batch_size) % len(split)
    images = normalize(torch.from_numpy(split.images[indices]), mean, std, device, channels_last)
    return images, torch.from_numpy(split.labels[indices]).to(device)


def measure_training_step(data, device, batch_size, seconds, dtype, channels_last):
    torch.manual_seed(0)
    recipe = Recipe()
    model = (to_device(Net(), device) if channels_last else Net().to(device)).train()
    optimizer = make_optimizer(model, recipe)
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    images, labels = device_batch(data.train, batch_size, data.mean, data.std, device, channels_last)

    def step():  # what train_epoch does with each batch
        with autocast(device, dtype):
            loss = F.cross_entropy(model(images), labels, label_smoothing=recipe.label_smoothing)
        optimizer_step(loss, optimizer, scaler)
        return batch_size

    # Warm-up: the first steps allocate memory and pick the convolution algorithms.
    result = time_window(step, seconds, device, warmup=5 if device.type == "cuda" else 1)
    return {**result, "batch_size": batch_size, "precision": str(dtype or torch.float32).removeprefix("torch."),
            "channels_last": channels_last}


# ---- 3. Evaluation ------------------------------------------------------------------------

@torch.no_grad()
def measure_evaluation(data, device, batch_size, seconds):
    """As `training.predict` evaluates: the test loader (no workers: it only slices an array),
    normalisation on the device, the forward pass without gradients."""
    model = to_device(Net(), device).eval()
    batches = endless(make_loader(data.test, batch_size))
    dtype = lower_precision(device)

    def step():
        images, labels = next(batches)
        with autocast(device, dtype):
            model(normalize(images, data.mean, data.std, device))
        return len(images)

    result = time_window(step, seconds, device, warmup=3 if device.type == "cuda" else 1)
    return {**result, "batch_size": batch_size}


# ---- 4. One epoch -------------------------------------------------------------------------

def estimate_epoch(loader, training_step, evaluation):
    """Training: the loader's workers prepare the next batches while the device computes, so the
    slower of the two sets the pace. Then the test set is evaluated: twice with the default
    recipe's weight average (the average, then the training weights). Each was measured with the
    machine to itself; in a real epoch the main process, which drives the GPU, shares the CPU
    cores with the workers, so on a small machine this is the best case (--measure-epoch times
    a real epoch)."""
    bound_by = "loader" if loader["images_per_second"] < training_step["images_per_second"] else "training step"
    train_speed = min(loader["images_per_second"], training_step["images_per_second"])
    train_seconds = EPOCH_TRAIN_IMAGES / train_speed
    evaluations = 2 if Recipe().ema_decay else 1
    evaluation_seconds = evaluations * EPOCH_TEST_IMAGES / evaluation["images_per_second"]
    return {"train_images": EPOCH_TRAIN_IMAGES, "test_images": EPOCH_TEST_IMAGES, "bound_by": bound_by,
            "evaluations": evaluations,
            "loader_seconds": EPOCH_TRAIN_IMAGES / loader["images_per_second"],
            "training_step_seconds": EPOCH_TRAIN_IMAGES / training_step["images_per_second"],
            "train_seconds": train_seconds, "evaluation_seconds": evaluation_seconds,
            "seconds": train_seconds + evaluation_seconds}


def measure_epoch(data, device, batch_size, workers):
    """Not an estimate: the first two epochs of the default recipe as `fit` runs them, loader and
    evaluation included; the second is timed (the first starts the workers and warms the device)."""
    recipe = Recipe(batch_size=batch_size)
    torch.manual_seed(recipe.seed)
    model = to_device(Net(), device)
    train_loader = make_loader(data.train, batch_size, train_transforms(data.mean, **recipe.augmentations()),
                               shuffle=True, seed=recipe.seed, workers=workers, drop_last=len(data.train) > batch_size)
    test_loader = make_loader(data.test, max(batch_size, 512))
    optimizer = make_optimizer(model, recipe)
    scheduler = make_scheduler(optimizer, recipe, len(train_loader))
    scaler = torch.amp.GradScaler("cuda") if lower_precision(device) == torch.float16 else None
    average = WeightAverage(model, recipe.ema_decay) if recipe.ema_decay else None
    for epoch in (1, 2):  # of recipe.epochs: the learning rate follows the default schedule
        train_loader.sampler.set_epoch(epoch)
        synchronize(device)
        start = time.perf_counter()
        train_epoch(model, train_loader, optimizer, scheduler, device, data.mean, data.std, recipe, scaler,
                    progress=False, average=average)
        synchronize(device)
        trained = time.perf_counter()
        for evaluated in (average.model, model) if average else (model,):  # as fit: the average, then the weights
            evaluate(evaluated, test_loader, device, data.mean, data.std)
        synchronize(device)
        end = time.perf_counter()
    train_images = len(train_loader) * batch_size if train_loader.sampler.drop_last else len(data.train)
    return {"train_images": train_images, "test_images": len(data.test), "evaluations": 2 if average else 1,
            "train_seconds": trained - start,
            "evaluation_seconds": end - trained, "seconds": end - start,
            "train_images_per_second": train_images / (trained - start)}


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
        # Alternating the two loaders round by round spreads any disturbance over both of them.
        kit, seed_style = [], []
        for _ in range(rounds):
            log(f"measuring the kit's loader ({seconds:g} s)")
            kit.append(measure_kit_loader(data, device, batch_size, workers, seconds))
            log(f"measuring the seed-style loader ({seconds:g} s)")
            seed_style.append(measure_seed_style_loader(data, device, seconds))
        results["loaders"] = {"kit": fastest(kit), "seed_style": fastest(seed_style)}
        kit, seed_style = results["loaders"]["kit"], results["loaders"]["seed_style"]
        results["loader_speedup_ratio"] = kit["images_per_second"] / seed_style["images_per_second"]
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
        results["epoch_estimate"] = estimate_epoch(results["loaders"]["kit"], results["training_step"][name],
                                                   results["evaluation"])
    if epoch:
        log("measuring two real epochs, timing the second")
        results["measured_epoch"] = measure_epoch(data, device, batch_size, workers)
    return results


# ---- The table ------------------------------------------------------------------------------

def format_table(results):
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
        kit, seed_style = results["loaders"]["kit"], results["loaders"]["seed_style"]
        lines += [row(f"1. input pipeline, delivered to the {machine['device']}", "batch", "workers", "images/s",
                      "batches/s", "CPU us/img"),
                  row("   kit: uint8 batches, normalised on the device", kit["batch_size"], kit["workers"],
                      f"{kit['images_per_second']:,.0f}", f"{kit['steps_per_second']:.1f}",
                      f"{kit['cpu_us_per_image']:.0f}"),
                  row("   seed-style: PIL, per-image Normalize, collate", seed_style["batch_size"], seed_style["workers"],
                      f"{seed_style['images_per_second']:,.0f}", f"{seed_style['steps_per_second']:.1f}",
                      f"{seed_style['cpu_us_per_image']:.0f}"),
                  row("   loader speed-up (kit / seed-style)", "", "", f"{results['loader_speedup_ratio']:.2f}x", "",
                      f"{results['loader_cpu_time_ratio']:.2f}x"),
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
    if "epoch_estimate" in results:
        epoch = results["epoch_estimate"]
        times = " (x2: the average and the weights)" if epoch["evaluations"] == 2 else ""
        lines += [f"4. one epoch ({epoch['train_images']:,} training + {epoch['test_images']:,} test images{times}): "
                  f"about {epoch['seconds']:.1f} s, bound by the {epoch['bound_by']}",
                  f"   training {epoch['train_seconds']:.1f} s (loader alone {epoch['loader_seconds']:.1f} s, "
                  f"training step alone {epoch['training_step_seconds']:.1f} s), "
                  f"evaluation {epoch['evaluation_seconds']:.1f} s"]
    if "measured_epoch" in results:
        epoch = results["measured_epoch"]
        times = " (x2)" if epoch["evaluations"] == 2 else ""
        lines += ["", f"5. one real epoch, measured ({epoch['train_images']:,} training + {epoch['test_images']:,} "
                      f"test images{times}): {epoch['seconds']:.1f} s",
                  f"   training {epoch['train_seconds']:.1f} s ({epoch['train_images_per_second']:,.0f} images/s), "
                  f"evaluation {epoch['evaluation_seconds']:.1f} s"]
    return "\n".join(lines).rstrip()


# ---- The command line -----------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m helpers.bench", description=__doc__,
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
    p.add_argument("--seconds", type=float, default=5.0, help="length of each timed window (default: 5)")
    p.add_argument("--rounds", type=int, default=2, help="windows per figure, the fastest counts (default: 2)")
    p.add_argument("--skip-loaders", action="store_true", help="do not measure the input pipelines")
    p.add_argument("--skip-train", action="store_true", help="do not measure the training step and evaluation")
    p.add_argument("--measure-epoch", action="store_true",
                   help="also run two real epochs of the default recipe and time the second (minutes on a CPU)")
    p.add_argument("--json", metavar="PATH", help="also write every figure to PATH as JSON")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    progress = lambda message: print(message, file=sys.stderr, flush=True)
    try:
        for name in ("batch_size", "eval_batch_size", "rounds"):
            if getattr(args, name) <= 0:
                raise KitError(f"--{name.replace('_', '-')} {getattr(args, name)} is not possible: use a positive number.")
        if args.workers < 0:
            raise KitError(f"--workers {args.workers} is not possible: use 0 (load in the main process) or more.")
        if args.seconds <= 0:
            raise KitError(f"--seconds {args.seconds:g} is not possible: time windows of a few seconds work well.")
        device = pick_device(args.device, log=progress)
        progress("loading the data")
        data = load_cifar10(args.data_root, download=True if args.download else None, subset=args.subset)
        results = run_benchmark(data, device, args.batch_size, args.workers, args.seconds, args.rounds,
                                args.eval_batch_size, loaders=not args.skip_loaders, train=not args.skip_train,
                                epoch=args.measure_epoch, log=progress)
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
        print(f"every figure: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
