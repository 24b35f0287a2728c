"""`python -m tools.bench`: how fast is the kit, and what bounds it? One concept a module:

    cli          the command: what it measures, and its JSON
    timing       the machine, the clock (CUDA-synchronised), CPU time, the fastest of several windows
    baseline_loader  the write-ups' loader, kept as they built it: the baseline the kit's loader is compared with
    measure      the measurements: the two loaders, the training step, evaluation, an epoch
"""
