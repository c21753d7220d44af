import pytest

import lossbook as lb


@pytest.fixture(scope="session")
def frameworks():
    """PyTorch and Keras, set up exactly as in the notebooks."""
    lb.setup()
    import keras
    import torch

    return torch, keras


@pytest.fixture(scope="session")
def optax():
    """optax, with JAX in float64 on the CPU as in the notebooks (``lb.setup()`` first)."""
    lb.setup()
    import optax

    return optax
