"""Device-specific code paths, exercised without a GPU.

On a CUDA machine the notebooks run unchanged: PyTorch on the GPU, TensorFlow on the CPU,
inputs made on the CPU and moved, results copied back before printing. Here a patched
``torch.cuda.is_available`` and PyTorch's ``meta`` device (shapes without data) stand in.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb
from lossbook import environment


@pytest.fixture
def cuda_available(frameworks, monkeypatch):
    """``cuda_available(answer)``: ``torch.cuda.is_available()`` says ``answer`` in the test."""
    torch, _ = frameworks
    yield lambda answer: monkeypatch.setattr(torch.cuda, "is_available", lambda: answer)
    monkeypatch.undo()
    lb.setup()  # back to this machine's real device


def test_setup_selects_cuda_for_torch_and_keeps_tensorflow_on_the_cpu(frameworks,
                                                                      cuda_available):
    torch, _ = frameworks
    import tensorflow as tf

    cuda_available(True)
    lb.setup()
    assert lb.torch_device() == torch.device("cuda")
    assert tf.config.get_visible_devices("GPU") == []
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert torch.are_deterministic_algorithms_enabled()


def test_run_torch_puts_every_array_on_the_device_and_copies_results_back(
        frameworks, monkeypatch):
    torch, _ = frameworks
    monkeypatch.setattr(environment, "_torch_device", torch.device("meta"))
    seen = {}

    def loss(pred, target, weight, margin):
        seen.update(pred=pred.device.type, target=target.device.type,
                    weight=weight.device.type, index=weight.dtype, margin=margin)
        return (weight * (pred - target) ** 2).mean() + margin

    # The meta device has no data: the copy back to NumPy is where it must stop.
    with pytest.raises(NotImplementedError, match="meta tensor"):
        lb.run_torch(loss, np.ones(3), np.zeros(3), np.array([1, 2, 3]), margin=0.5)
    assert seen == {"pred": "meta", "target": "meta", "weight": "meta",
                    "index": torch.int64, "margin": 0.5}


def test_setup_without_a_gpu_uses_the_cpu(frameworks, cuda_available):
    torch, _ = frameworks
    cuda_available(False)
    lb.setup()
    assert lb.torch_device() == torch.device("cpu")


def test_run_torch_can_pin_a_loss_to_the_cpu(frameworks, monkeypatch):
    torch, _ = frameworks
    monkeypatch.setattr(environment, "_torch_device", torch.device("meta"))
    r = lb.run_torch(torch.nn.MSELoss(), np.ones(3), np.zeros(3), device="cpu")
    assert float(r.value) == 1.0 and np.allclose(r.grad, 2 / 3)
