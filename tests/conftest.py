import numpy as np
import pytest

import minigrad


@pytest.fixture(autouse=True)
def _seed_and_threads():
    """Every test starts from the same seed and restores the thread count it found."""
    minigrad.manual_seed(0)
    threads = minigrad.get_num_threads()
    yield
    minigrad.set_num_threads(threads)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture(params=[1, 2], ids=["t1", "t2"])
def num_threads(request):
    minigrad.set_num_threads(request.param)
    return request.param
