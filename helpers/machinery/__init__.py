"""The kit's machinery: what the lessons call but a student need not open.

    device          the device, the precision (decided once a run), the memory layout, the seed
    loader          batches, augmented and normalised, on the device: by CPU workers, or resident on a GPU
    device_augment  the Albumentations pipeline replayed in batched tensor operations on the GPU
    checkpoints     the run folder; the checkpoint's format, written atomically and read back; metrics.json
    registry        the models by name (a student's from a file), rebuilt from a checkpoint
    reference       the shipped weights (helpers/trained/) and their run's metrics: the expected results
    notebook        the notebooks' setup cell
"""
