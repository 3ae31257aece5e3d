import pytest
import torch

# One intra-op thread: the tests use tiny tensors, and on a busy 2-core machine OpenMP's
# spinning worker threads made them over ten times slower (measured on the loss tests).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, so a failure reproduces."""
    torch.manual_seed(0)
