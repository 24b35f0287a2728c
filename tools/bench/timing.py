"""The machine and the clock: what a benchmark figure depends on, and how it is timed.

CUDA runs asynchronously: Python hands the GPU work and moves on. Reading the clock before the
GPU has finished would time the handing-out, so every clock reading on CUDA waits for the GPU.
Each figure is the fastest of several windows: other programs only ever slow a window down.
"""
import datetime
import itertools
import os
import platform
import time
from pathlib import Path

import torch

from helpers.machinery.loader import worker_count

try:
    import resource  # CPU time of this process and of its ended children; not on Windows
except ImportError:
    resource = None


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
        if hasattr(loader, "set_epoch"):  # the kit's loader: a new order each epoch
            loader.set_epoch(epoch)
        yield from loader
