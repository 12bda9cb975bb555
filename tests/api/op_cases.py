"""Runners for op tables written once as `fn(lib, *tensors)`, so one line runs on minigrad and torch.

A case is (id, input shapes, fn, NumPy reference on the input arrays); an error case is
(fn(lib, x), exception type, regex that both torch's and minigrad's messages match).
"""
import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.autograd import gradgradcheck
from tests.helpers import HAVE_TORCH, check_op, torch


def inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, size=s) for s in shapes]


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def forward_matches_numpy(shapes, fn, ref):
    arrays = inputs(shapes)
    got = _tuple(fn(minigrad, *[minigrad.tensor(a) for a in arrays]))
    want = _tuple(ref(*arrays))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and (g.dtype == np.int64) == (w.dtype.kind == "i")
        np.testing.assert_array_equal(g.numpy(), w)


def values_and_grads_match_torch(shapes, fn):
    check_op(shapes, lambda *xs: fn(torch, *xs), lambda *xs: fn(minigrad, *xs))


def passes_gradcheck(shapes, fn):
    leaves = [minigrad.tensor(a, requires_grad=True) for a in inputs(shapes)]
    assert gradcheck(lambda *xs: fn(minigrad, *xs), leaves)


def passes_gradgradcheck(shapes, fn):
    leaves = [minigrad.tensor(a, requires_grad=True) for a in inputs(shapes)]
    assert gradgradcheck(lambda *xs: fn(minigrad, *xs), leaves)


def squared(fn):
    """fn(lib, *tensors) with each float output squared: a linear op's second derivative w.r.t.
    its inputs is 0, so a second-derivative check composes it with something that is not."""
    def composed(lib, *xs):
        outs = tuple(o * o if o.dtype.is_floating_point else o for o in _tuple(fn(lib, *xs)))
        return outs if len(outs) > 1 else outs[0]
    return composed


def raises_like_torch(fn, exc, match, shape=(2, 3)):
    if HAVE_TORCH:
        with pytest.raises(exc, match=match):
            fn(torch, torch.zeros(shape))
    with pytest.raises(exc, match=match):
        fn(minigrad, minigrad.zeros(shape))


def case_tests(cases):
    """The tests of an op table: NumPy forward, torch values and grads, float64 gradcheck and
    gradgradcheck (second derivatives through create_graph=True)."""
    parametrize = pytest.mark.parametrize("name, shapes, fn, ref", cases, ids=[c[0] for c in cases])

    @parametrize
    def test_forward_matches_numpy(name, shapes, fn, ref):
        forward_matches_numpy(shapes, fn, ref)

    @parametrize
    def test_values_and_grads_match_torch(name, shapes, fn, ref):
        values_and_grads_match_torch(shapes, fn)

    @parametrize
    def test_gradcheck(name, shapes, fn, ref):
        passes_gradcheck(shapes, fn)

    @parametrize
    def test_gradgradcheck(name, shapes, fn, ref):
        passes_gradgradcheck(shapes, fn)

    return test_forward_matches_numpy, test_values_and_grads_match_torch, test_gradcheck, test_gradgradcheck
