"""helpers.machinery.device: a missing GPU is said, not hidden."""
import pytest
import torch

from helpers import KitError
from helpers.machinery.device import pick_device


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_what_to_do():
    with pytest.raises(KitError, match="no CUDA GPU"):
        pick_device("cuda")
    messages = []
    assert pick_device("auto", log=messages.append).type == "cpu"
    assert len(messages) == 1 and "CPU" in messages[0]
