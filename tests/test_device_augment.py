"""helpers.machinery.device_augment: the lessons' Albumentations pipeline replayed in batched tensor
operations. With Albumentations' own parameters the replay gives Albumentations' images (to one
grey level); its own draws follow Albumentations' distributions; what it cannot reproduce it
refuses; batches augmented on the device train and resume like the CPU workers' (all on the CPU:
CI has no GPU, and the replay is the same code on both)."""
import dataclasses

import albumentations as A
import cv2
import numpy as np
import pytest
import torch
from albumentations.augmentations.geometric import functional as fgeometric
from scipy import stats

from helpers import KitError, training
from helpers.machinery.device_augment import CannotReplay, DeviceAugmentation, Draws, affine_matrix
from helpers.machinery.loader import WorkerBatches, OnDeviceBatches, train_batches
from helpers.model import Net
from helpers.recipe import Recipe, make_optimizer
from helpers.transforms import train_transforms
from tests.conftest import TINY, random_data, tiny_run, without_seconds

MEAN = (0.49, 0.48, 0.45)


def albumentations_run(compose, images, seed):
    """Albumentations' outputs for `images` and the parameters it drew, as Draws."""
    recorded = A.Compose(compose.transforms, save_applied_params=True)
    recorded.set_random_seed(seed)
    outputs, flips, matrices, holes = [], [], [], []
    for image in images:
        result = recorded(image=image)
        applied = dict(result["applied_transforms"])
        outputs.append(result["image"])
        flips.append("HorizontalFlip" in applied)
        matrices.append(applied["Affine"]["matrix"] if "Affine" in applied else np.eye(3))
        holes.append(applied["CoarseDropout"]["holes"] if "CoarseDropout" in applied else np.zeros((1, 4), int))
    draws = Draws(torch.tensor(flips), torch.tensor(np.stack(matrices)), torch.tensor(np.stack(holes)))
    return np.stack(outputs), draws


def test_replay_gives_albumentations_images_within_one_grey_level(subset):
    """1,000 real images through the course's pipeline: where Affine did not fire, identical;
    where it did, OpenCV's fixed-point bilinear weights against grid_sample's float ones differ
    by at most one grey level, and rarely."""
    compose = train_transforms(subset.mean)
    images = subset.train.images[:1000]
    expected, draws = albumentations_run(compose, images, seed=0)
    augmentation = DeviceAugmentation(compose)
    replayed = augmentation.apply(torch.from_numpy(images), *augmentation.prepare(draws, "cpu")).numpy()
    assert replayed.dtype == np.uint8 and replayed.shape == expected.shape
    difference = np.abs(replayed.astype(int) - expected.astype(int))
    affine = ~np.all(np.isclose(draws.matrix.numpy(), np.eye(3)), axis=(1, 2))
    assert 0.3 < affine.mean() < 0.7 and draws.flip.float().mean() > 0.3 and (draws.holes[:, 0, 2] > 0).any()
    assert difference[~affine].max() == 0
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-4


def test_affine_matrix_is_albumentations_matrix():
    rng = np.random.default_rng(0)
    for _ in range(20):
        tx, ty = rng.integers(-3, 4, 2)
        sx, sy, degrees = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), rng.uniform(-180, 180)
        theirs = fgeometric.create_affine_transformation_matrix({"x": tx, "y": ty}, {"x": 0, "y": 0},
                                                               {"x": sx, "y": sy}, degrees, fgeometric.center((32, 32)))
        ours = affine_matrix(*(torch.tensor([v], dtype=torch.float64) for v in (tx, ty, sx, sy, degrees)), 32, 32)
        np.testing.assert_allclose(ours[0].numpy(), theirs, atol=1e-12)


def test_draws_follow_albumentations_distributions():
    """4,000 images' parameters from each, fixed seeds: each step fires half the time; rotation
    and the two (independent) scales pass a KS test; the shift (-1, 0, +1 pixel: Albumentations'
    int(uniform(-2, 2))) and the hole's corner pass a chi-square test."""
    n, compose = 4000, train_transforms(MEAN)
    recorded = A.Compose(compose.transforms, save_applied_params=True)
    recorded.set_random_seed(1)
    theirs = [dict(recorded(image=np.zeros((32, 32, 3), np.uint8))["applied_transforms"]) for _ in range(n)]
    ours = DeviceAugmentation(compose).sample(n, torch.Generator().manual_seed(1))

    # Each fires with p = 0.5: both within 3.5 standard deviations of n/2.
    our_affine = ~torch.all(torch.isclose(ours.matrix, torch.eye(3, dtype=torch.float64)), dim=2).all(1)
    our_holes = ours.holes[:, 0, 2] > 0
    for name, fired in [("HorizontalFlip", ours.flip), ("Affine", our_affine), ("CoarseDropout", our_holes)]:
        their_count = sum(name in applied for applied in theirs)
        for count in (their_count, int(fired.sum())):
            assert abs(count - n / 2) < 3.5 * (n / 4) ** 0.5, name

    # Affine: rotation, scales (KS), and the shift (chi-square), over the images where it fired.
    their_affine = [applied["Affine"] for applied in theirs if "Affine" in applied]
    matrices = ours.matrix[our_affine].numpy()
    our_scale_x, our_scale_y, our_degrees, our_shift = recover_affine(matrices)
    their_matrices = np.stack([affine["matrix"] for affine in their_affine])
    their_scale_x, their_scale_y, their_degrees, their_shift = recover_affine(their_matrices)
    np.testing.assert_allclose(their_degrees, [a["rotate"] for a in their_affine], atol=1e-9)  # recovered right
    np.testing.assert_allclose(their_scale_x, [a["scale"]["x"] for a in their_affine], atol=1e-9)
    for ours_, theirs_ in [(our_degrees, their_degrees), (our_scale_x, their_scale_x), (our_scale_y, their_scale_y)]:
        assert stats.ks_2samp(ours_, theirs_).pvalue > 0.01
    assert abs(np.corrcoef(our_scale_x, our_scale_y)[0, 1]) < 0.1  # drawn independently
    for axis in (0, 1):
        assert set(np.unique(their_shift[:, axis])) == set(np.unique(our_shift[:, axis])) == {-1, 0, 1}
        assert chi_square_p(our_shift[:, axis], their_shift[:, axis]) > 0.01

    # CoarseDropout: a 16x16 hole with its corner anywhere it fits (0 to 16).
    their_holes = np.concatenate([applied["CoarseDropout"]["holes"] for applied in theirs
                                  if "CoarseDropout" in applied])
    our_holes = ours.holes[our_holes][:, 0].numpy()
    for holes in (their_holes, our_holes):
        assert np.all(holes[:, 2:] - holes[:, :2] == 16) and holes[:, :2].min() == 0 and holes[:, :2].max() == 16
    for corner in (0, 1):
        assert chi_square_p(our_holes[:, corner], their_holes[:, corner]) > 0.01


def recover_affine(matrices):
    """(scale x, scale y, rotation in degrees, integer shift) from Albumentations-style matrices."""
    linear = matrices[:, :2, :2]  # [[sx cos, sy sin], [-sx sin, sy cos]]
    scale_x, scale_y = np.hypot(linear[:, 0, 0], linear[:, 1, 0]), np.hypot(linear[:, 0, 1], linear[:, 1, 1])
    degrees = np.degrees(np.arctan2(-linear[:, 1, 0], linear[:, 0, 0]))
    centre = np.array([15.5, 15.5])
    shift = matrices[:, :2, 2] - centre + linear @ centre
    return scale_x, scale_y, degrees, np.rint(shift).astype(int)


def chi_square_p(a, b):
    """p-value of a chi-square test that two samples of integers come from one distribution."""
    values = np.union1d(a, b)
    table = np.array([[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]])
    return stats.chi2_contingency(table).pvalue


@pytest.mark.parametrize("pipeline, reason", [
    (Recipe(to_gray=True), "ToGray cannot be replayed on the device"),
    (Recipe(color_jitter=True), "ColorJitter cannot be replayed on the device"),
    (Recipe(pad_crop=True), "PadIfNeeded cannot be replayed on the device"),
    (A.Compose([A.Affine(rotate=(-15, 15), border_mode=cv2.BORDER_REFLECT_101)]), "border_mode other than"),
    (A.Compose([A.Affine(shear=(-10, 10))]), "Affine with shear"),
    (A.Compose([A.CoarseDropout(fill="random")]), "CoarseDropout with fill='random'"),
    (A.Compose([A.CoarseDropout(), A.HorizontalFlip()]), "HorizontalFlip is repeated or out of order"),
    (A.Compose([A.HorizontalFlip()], p=0.5), "applied always"),
])
def test_what_cannot_be_replayed_is_refused_in_one_line(pipeline, reason):
    compose = train_transforms(MEAN, pipeline) if isinstance(pipeline, Recipe) else pipeline
    with pytest.raises(CannotReplay, match=reason) as refused:
        DeviceAugmentation(compose)
    assert "\n" not in str(refused.value)


# ---- Batches augmented on the device ----------------------------------------------------------

def epoch(loader, number):
    loader.set_epoch(number)
    return [(x.clone(), y.clone()) for x, y in loader]


def test_batches_augmented_on_the_device(subset):
    data = dataclasses.replace(subset, train=dataclasses.replace(subset.train, images=subset.train.images[:300],
                                                                 labels=subset.train.labels[:300]))
    recipe = Recipe(batch_size=64, seed=3, augment_on="device")
    loader = train_batches(data, recipe, "cpu")
    assert isinstance(loader, OnDeviceBatches) and loader.augment_on == "device"
    workers = train_batches(data, dataclasses.replace(recipe, augment_on="workers"), "cpu", workers=0)
    assert isinstance(workers, WorkerBatches) and workers.augment_on == "workers"
    assert len(loader) == len(workers) == 4 and loader.sampler.drop_last and loader.batch_size == 64

    first = epoch(loader, 1)
    for images, labels in first:
        assert images.shape == (64, 3, 32, 32) and images.dtype == torch.float32 and images.device.type == "cpu"
        assert images.is_contiguous(memory_format=torch.channels_last) and labels.dtype == torch.int64
    # The same images in the same order as the workers' batches (BatchSampler's), augmented otherwise.
    assert all(torch.equal(y, y_workers) for (_, y), (_, y_workers) in zip(first, epoch(workers, 1)))
    # A function of (seed, epoch): again, and from a fresh loader (a resumed run), the same batches.
    again, fresh = epoch(loader, 1), epoch(train_batches(data, recipe, "cpu"), 1)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[0], c[0]) for a, b, c in zip(first, again, fresh))
    assert not torch.equal(first[0][0], epoch(loader, 2)[0][0])
    # Not augmented, the two paths give the very same batches.
    plain = dataclasses.replace(recipe, flip=False, shift_scale_rotate=False, coarse_dropout=False)
    for a, b in zip(epoch(train_batches(data, plain, "cpu"), 1),
                    epoch(train_batches(data, dataclasses.replace(plain, augment_on="workers"), "cpu", workers=0), 1)):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_where_augmentation_runs_is_resolved_and_said():
    data, said = random_data(), []
    # auto on the CPU: the workers, silently
    assert train_batches(data, Recipe(), "cpu", workers=0, log=said.append).augment_on == "workers" and not said
    # auto on a GPU with a pipeline it cannot replay: the workers, and one line why
    loader = train_batches(data, Recipe(to_gray=True), torch.device("cuda"), workers=0, log=said.append)
    assert loader.augment_on == "workers" and len(said) == 1 and "ToGray cannot be replayed" in said[0]
    # device asked for, but not possible: refused
    with pytest.raises(KitError, match="augment_on=device is not possible: ToGray"):
        train_batches(data, Recipe(to_gray=True, augment_on="device"), "cpu")


def test_a_run_augmented_on_the_device_trains_and_resumes_to_the_same_history(tiny, tmp_path, monkeypatch):
    """fit with the device path (on the CPU here), killed after its first epoch's checkpoint,
    resumes to the history of the run that was never interrupted."""
    recipe = dataclasses.replace(TINY, augment_on="device")
    whole = tiny_run(tiny, tmp_path / "whole", recipe)
    assert len(whole) == 2 and all(np.isfinite(h["train_loss"]) for h in whole)

    class Killed(Exception):
        pass

    def killed(*args, **kwargs):  # after epoch 1's last.pt is written, before anything else
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(training, "write_metrics", killed)
        with pytest.raises(Killed):
            tiny_run(tiny, tmp_path / "killed", recipe)
    resumed = tiny_run(tiny, tmp_path / "killed", recipe, resume=True)
    assert without_seconds(resumed) == without_seconds(whole)
    with pytest.raises(KitError, match="augment_on"):  # a run augmented on the device stays there
        tiny_run(tiny, tmp_path / "killed", dataclasses.replace(recipe, augment_on="workers"), resume=True)


def test_the_optimiser_step_is_fused_on_cuda_only():
    """On the CPU torch's default step is kept (the CPU histories stay what they were)."""
    for name in ("sgd", "adam"):
        group = make_optimizer(Net(), Recipe(optimizer=name)).param_groups[0]
        assert not group["fused"] and group["foreach"] is None
    if torch.cuda.is_available():
        assert make_optimizer(Net().cuda(), Recipe()).param_groups[0]["fused"]
