"""helpers.machinery.loader: batches that cover the split, seeded augmentation, finished on the device."""
import numpy as np
import torch

from helpers.data import CIFAR10, CLASSES, Split
from helpers.machinery.loader import WorkerBatches, OnDeviceBatches, eval_batches, train_batches
from helpers.recipe import Recipe
from helpers.transforms import train_transforms

MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def small_split(n=64):
    rng = np.random.default_rng(0)
    return Split(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n) % 10)


def batches(loader, epoch):
    loader.set_epoch(epoch)
    return [(x.clone(), y.clone()) for x, y in loader]


def test_batches_are_normalised_channels_last_and_cover_the_split():
    split = small_split()
    in_order = batches(WorkerBatches(split, 16, MEAN, STD, "cpu"), 0)
    assert [x.shape for x, _ in in_order] == [torch.Size([16, 3, 32, 32])] * 4
    images = in_order[0][0]
    assert images.dtype == torch.float32 and images.is_contiguous(memory_format=torch.channels_last)
    expected = (torch.from_numpy(split.images[:16]).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25
    torch.testing.assert_close(images, expected)
    shuffled = batches(WorkerBatches(split, 16, MEAN, STD, "cpu", shuffle=True), 1)
    assert sorted(torch.cat([y for _, y in shuffled]).tolist()) == sorted(split.labels.tolist())


def test_augmented_batches_depend_on_seed_and_epoch_not_on_workers():
    split, transform = small_split(), train_transforms(MEAN, Recipe(coarse_dropout=True))
    in_process = WorkerBatches(split, 16, MEAN, STD, "cpu", transform, shuffle=True, seed=3, workers=0)
    two_workers = WorkerBatches(split, 16, MEAN, STD, "cpu", transform, shuffle=True, seed=3, workers=2)
    a, b = batches(in_process, 1), batches(two_workers, 1)
    assert all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))
    c = batches(in_process, 2)
    assert not torch.equal(a[0][0], c[0][0])


def test_train_batches_follow_the_recipe_and_drop_the_last_partial_batch():
    data = CIFAR10(small_split(70), small_split(30), CLASSES, "random", MEAN, STD)
    loader = train_batches(data, Recipe(batch_size=16, seed=5), "cpu", workers=0)
    assert len(loader) == 4 and loader.sampler.drop_last and loader.sampler.seed == 5  # 70 // 16, the 6 left over dropped
    assert len(batches(eval_batches(data, "cpu", batch_size=16), 0)) == 2  # the test split whole: 16 + 14



def test_a_split_resident_on_the_device_gives_the_same_batches():
    """What eval_batches hands out on a GPU (the split copied there once): the very batches the
    CPU path gives, in order."""
    split = small_split(40)
    resident = batches(OnDeviceBatches(split, 16, MEAN, STD, "cpu"), 0)
    sliced = batches(WorkerBatches(split, 16, MEAN, STD, "cpu"), 0)
    assert len(resident) == len(sliced) == 3
    assert all(torch.equal(a, b) and torch.equal(y, z) for (a, y), (b, z) in zip(resident, sliced))
