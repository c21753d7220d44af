import pytest

import lossbook as lb


@pytest.fixture(scope="session")
def frameworks():
    """PyTorch and Keras, set up exactly as in the notebooks."""
    lb.setup()
    import keras
    import torch

    return torch, keras
