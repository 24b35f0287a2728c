"""helpers.machinery.reference: the shipped weights load into today's Net and classify, and the committed
reference metrics are their run's. A change to Net without new weights fails here."""
import pytest
import torch

from helpers import KitError
from tests.conftest import save_checkpoint

from helpers.machinery.checkpoints import load_checkpoint, load_trained
from helpers.machinery.loader import WorkerBatches
from helpers.training import evaluate
from helpers.model import Net
from helpers.machinery.reference import REFERENCE_METRICS, SHIPPED_WEIGHTS, reference_metrics, trained_checkpoint
from helpers.machinery.registry import describe_model


def test_the_shipped_weights_are_todays_net_and_small():
    model, state = load_trained(SHIPPED_WEIGHTS)
    assert state["architecture"] == describe_model(Net()), "Net changed: remake the weights (DEVELOPERS.md, Shipped weights)"
    assert type(model) is Net and SHIPPED_WEIGHTS.stat().st_size < 2_000_000
    assert {"mean", "std", "classes", "description"} <= set(state["data"]) and state["recipe"] and state["history"]


def test_the_shipped_weights_classify_far_above_chance(subset):
    """Chance is 10%; on about 1,000 images a guesser's accuracy has a standard deviation of about 1
    point. The full run's weights score far above it; a Net that lost its weights would not."""
    model, state = load_trained(SHIPPED_WEIGHTS)
    batches = WorkerBatches(subset.test, 512, state["data"]["mean"], state["data"]["std"], "cpu")
    assert evaluate(model, batches)[1] > 60.0


def test_the_reference_metrics_are_the_shipped_weights_run():
    metrics, state = reference_metrics(), load_checkpoint(SHIPPED_WEIGHTS)
    assert [h["test_acc"] for h in metrics["epochs"]] == [h["test_acc"] for h in state["history"]]
    assert metrics["recipe"] == state["recipe"] and metrics["data"] == state["data"]["description"]
    assert set(metrics["shipped"]["class_acc"]) == set(state["data"]["classes"])


def test_a_students_run_comes_first_and_the_shipped_weights_otherwise(tmp_path):
    said = []
    assert trained_checkpoint(tmp_path, log=said.append) == SHIPPED_WEIGHTS and "shipped" in said[0]
    save_checkpoint(tmp_path / "best.pt", Net())
    assert trained_checkpoint(tmp_path, log=said.append) == tmp_path / "best.pt" and "your own run" in said[1]
    assert REFERENCE_METRICS.is_file()


def test_a_students_run_that_cannot_be_read_is_never_replaced_by_the_shipped_weights(tmp_path):
    torch.save({}, tmp_path / "best.pt")  # not a checkpoint of the kit
    with pytest.raises(KitError, match="has no readable checkpoint"):
        trained_checkpoint(tmp_path, log=lambda *a: None)
