"""What `python -m helpers.bench` measures, one concept a module:

    timing       the machine, the clock (CUDA-synchronised), CPU time, the fastest of several windows
    seed_style   the write-ups' loader, kept as they built it: the baseline the kit's loader is compared with
    measure      the measurements: the two loaders, the training step, evaluation, an epoch
"""
