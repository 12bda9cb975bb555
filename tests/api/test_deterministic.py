"""use_deterministic_algorithms: minigrad records the flag (its kernels are deterministic anyway)."""
import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True)
def _restore():
    yield
    minigrad.use_deterministic_algorithms(False)


def test_flag_round_trips():
    assert minigrad.are_deterministic_algorithms_enabled() is False
    minigrad.use_deterministic_algorithms(True, warn_only=True)
    assert minigrad.are_deterministic_algorithms_enabled() is True
    assert minigrad.is_deterministic_algorithms_warn_only_enabled() is True
    minigrad.use_deterministic_algorithms(False)
    assert minigrad.are_deterministic_algorithms_enabled() is False
    assert minigrad.is_deterministic_algorithms_warn_only_enabled() is False


@pytest.mark.parametrize("kwargs", [dict(mode=1), dict(mode="x"), dict(mode=None), dict(mode=True, warn_only=1)])
def test_non_bool_is_a_type_error_like_torch(kwargs):
    with pytest.raises(TypeError) as mine:
        minigrad.use_deterministic_algorithms(**kwargs)
    if torch is not None:
        with pytest.raises(TypeError) as theirs:
            torch.use_deterministic_algorithms(**kwargs)
        torch.use_deterministic_algorithms(False)
        assert str(mine.value) == str(theirs.value)
    assert minigrad.are_deterministic_algorithms_enabled() is False


def test_results_are_the_same_with_the_flag_on():
    """The flag changes nothing: an op that is nondeterministic in torch (scatter-add of
    duplicate indices) gives the same bits either way."""
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 1, 6, 6)).astype(np.float32),
                        requires_grad=True)
    def run():
        x.grad = None
        minigrad.nn.functional.max_pool2d(x, 3, stride=1).sum().backward()
        return x.grad.numpy().copy()
    before = run()
    minigrad.use_deterministic_algorithms(True)
    np.testing.assert_array_equal(run(), before)
