"""The kit's machinery: what the lessons call but a student need not open.

    device        the device, the precision (decided once a run), the memory layout, the seed
    loader        batches, augmented and normalised, on the device (CPU workers)
    checkpoints   checkpoints and metrics.json written atomically; the run's state; trained models loaded back
    registry      the models by name (a student's from a file), rebuilt from a checkpoint
    reference     the shipped weights (helpers/trained/) and their run's metrics: the expected results
    notebook      the notebooks' setup cell
"""
