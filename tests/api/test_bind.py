"""The op table: one definition bound as function, method and in-place method."""
import numpy as np
import pytest

import minigrad
from minigrad.api import FUNCTIONS


def test_function_and_method_are_the_same_definition():
    for name in ("exp", "log", "sqrt", "abs"):
        assert getattr(minigrad, name) is FUNCTIONS[name] is getattr(minigrad.Tensor, name)


def test_inplace_variant_overwrites_memory_and_bumps_version():
    x = minigrad.tensor([1.0, 4.0])
    storage = x.numpy()
    assert x.sqrt_() is x and x.tolist() == [1.0, 2.0] and storage.tolist() == [1.0, 2.0]
    assert x._version_number == 1


def test_inplace_variant_on_a_graph_rebases_history():
    x = minigrad.tensor([1.0, 4.0], dtype=minigrad.float64, requires_grad=True)
    y = x * 2
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([2.0, 8.0]))


def test_inplace_on_a_plain_tensor_with_a_grad_operand_keeps_the_old_value_for_backward():
    a = minigrad.tensor([2.0, 3.0], dtype=minigrad.float64)
    b = minigrad.tensor([5.0, 7.0], dtype=minigrad.float64, requires_grad=True)
    from minigrad.api import apply_inplace
    apply_inplace(a, lambda t, o: t * o, b)
    assert a.requires_grad and a.tolist() == [10.0, 21.0]
    a.sum().backward()
    assert b.grad.tolist() == [2.0, 3.0]


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = minigrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.exp_()
    with minigrad.no_grad():
        x.exp_()
    np.testing.assert_allclose(x.detach().numpy(), np.e, rtol=1e-6)
