"""Who owns a leaf's .grad: the engine keeps a gradient an op made in this backward pass (or a
view of one) without copying it, and copies every gradient that anything else can reach: one
array handed to two inputs, a view of an array handed out, the caller's gradient, what a hook
or a user's Function returns, what a hook was shown."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.autograd import Function
from minigrad.autograd.function import ArrayFunction


def leaf(*shape):
    return minigrad.randn(*shape, dtype=np.float64, requires_grad=True)


def arr(t):
    return t.detach().numpy()


def assert_private(*grads, others=()):
    """No two of `grads` share memory, nor any of them with `others`."""
    arrays = [arr(g) for g in grads]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:] + [np.asarray(o) for o in others]:
            assert not np.shares_memory(a, b)


# ***** the copy that is skipped *****

class _FlatDouble(ArrayFunction):
    """2x, whose backward works on a flat fresh array and returns it reshaped (a view)."""
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        flat = np.empty(g.size, dtype=g.dtype)
        np.multiply(g.reshape(-1), 2, out=flat)
        return flat.reshape(g.shape)


def test_a_reshaped_fresh_gradient_becomes_grad_without_a_copy():
    x = minigrad.randn(2, 3, 8, requires_grad=True)
    _FlatDouble.apply(x).sum().backward()
    g = arr(x.grad)
    # the backward's flat array, reshaped: a copy would own its memory
    assert not g.flags.owndata and g.base.flags.owndata and g.base.shape == (48,)
    np.testing.assert_array_equal(g, 2 * np.ones((2, 3, 8)))
    _FlatDouble.apply(x).sum().backward()          # accumulating into the kept array is right too
    np.testing.assert_array_equal(arr(x.grad), 4 * np.ones((2, 3, 8)))


class _ViewAndBase(ArrayFunction):
    """A minigrad-style op whose backward returns a view of a fresh array and that array itself."""
    @staticmethod
    def forward(ctx, a, b):
        return a.reshape(-1) + b

    @staticmethod
    def backward(ctx, g):
        fresh = g * 2
        return fresh.reshape(-1, 2), fresh


def test_a_view_and_its_base_handed_to_two_leaves_are_not_shared():
    a, b = leaf(3, 2), leaf(6)
    _ViewAndBase.apply(a, b).sum().backward()
    assert_private(a.grad, b.grad)
    np.testing.assert_array_equal(arr(a.grad), 2.0)
    np.testing.assert_array_equal(arr(b.grad), 2.0)


# ***** the copies that must stay *****

def test_add_handing_one_array_to_two_leaves():
    a, b = leaf(4), leaf(4)
    ((a + b) * 3).sum().backward()            # Mul makes a fresh array; Add hands it to both
    assert_private(a.grad, b.grad)
    ((a + b) * 3).sum().backward()
    np.testing.assert_array_equal(arr(a.grad), 6.0)
    np.testing.assert_array_equal(arr(b.grad), 6.0)


@pytest.mark.parametrize("view_first", [True, False])
def test_a_view_of_an_array_handed_to_another_leaf(view_first):
    a, b = leaf(3, 4), leaf(12)
    s = a.reshape(12) + b if view_first else b + a.reshape(12)
    (s * 3).sum().backward()                  # b gets Add's array, a a reshaped view of it
    assert_private(a.grad, b.grad)
    arr(b.grad)[:] = 0                        # what a user may do to one .grad
    np.testing.assert_array_equal(arr(a.grad), 3.0)


def test_the_callers_gradient_is_never_kept():
    a = leaf(2, 3)
    g = minigrad.ones(2, 3, dtype=minigrad.float64)
    a.clone().backward(g)                     # Clone passes g on unchanged
    a.reshape(6).backward(g.reshape(6))       # Reshape passes on a view of it
    a.backward(g)                             # the root is the leaf
    assert_private(a.grad, others=[arr(g)])
    np.testing.assert_array_equal(arr(g), 1.0)
    np.testing.assert_array_equal(arr(a.grad), 3.0)


def test_hook_results_and_what_hooks_saw_are_copied():
    a = leaf(3)
    kept = minigrad.ones(3, dtype=minigrad.float64)
    a.register_hook(lambda g: kept)           # a hook returning an array its caller keeps
    (a * 2).sum().backward()
    assert_private(a.grad, others=[arr(kept)])

    b = leaf(3)
    seen = []
    b.register_hook(seen.append)              # a hook keeping the gradient it was shown
    (b * 2).sum().backward()
    (b * 2).sum().backward()
    np.testing.assert_array_equal(arr(seen[0]), 2.0)
    np.testing.assert_array_equal(arr(b.grad), 4.0)


def test_node_hooks_returning_arrays_are_copied():
    a = leaf(3)
    kept = minigrad.ones(3, dtype=minigrad.float64)
    y = a * 2
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (kept, None))
    y.sum().backward()
    assert_private(a.grad, others=[arr(kept)])

    b = leaf(3)
    shown = []
    for _ in range(2):
        z = b.clone()                         # Clone passes on the array its pre-hook was shown
        z.grad_fn.register_prehook(lambda grad_outputs: shown.append(grad_outputs[0]))
        (z * 2).sum().backward()
    np.testing.assert_array_equal(arr(shown[0]), 2.0)
    np.testing.assert_array_equal(arr(b.grad), 4.0)


class _ReturnsSaved(Function):
    """A user's Function whose gradient for w is the tensor it saved (x)."""
    @staticmethod
    def forward(ctx, w, x):
        ctx.save_for_backward(x)
        return (w * x).sum()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return x, None


def test_a_user_functions_saved_tensor_is_not_made_grad():
    x = minigrad.ones(3, dtype=minigrad.float64)
    w = leaf(3)
    _ReturnsSaved.apply(w, x).backward()
    assert_private(w.grad, others=[arr(x)])
    _ReturnsSaved.apply(w, x).backward()
    np.testing.assert_array_equal(arr(x), 1.0)
    np.testing.assert_array_equal(arr(w.grad), 2.0)


def test_retain_graph_backward_twice_accumulates_and_keeps_saved_values():
    x = leaf(2, 2, 6, 6)
    w = leaf(3, 4)
    out = nn.MaxPool2d(2, 2)(x).sum() + (w.reshape(12) * 2).sum()
    out.backward(retain_graph=True)
    first_x, first_w = arr(x.grad).copy(), arr(w.grad).copy()
    out.backward()
    np.testing.assert_array_equal(arr(x.grad), 2 * first_x)
    np.testing.assert_array_equal(arr(w.grad), 2 * first_w)


def test_backward_inputs_gives_each_leaf_its_own_array():
    a, b = leaf(4), leaf(4)
    g = minigrad.ones(4, dtype=minigrad.float64)
    (a + b).backward(g, inputs=[a, b])
    assert_private(a.grad, b.grad, others=[arr(g)])
    (a + b).backward(g, inputs=[a, b])
    np.testing.assert_array_equal(arr(a.grad), 2.0)
    np.testing.assert_array_equal(arr(g), 1.0)


def test_no_parameter_gradient_of_a_cnn_is_copied(monkeypatch):
    """Every op of this model returns fresh gradients, so no leaf pays a copy; ids of arrays
    freed earlier in the pass are reused by new ones, which must not count as shared."""
    from minigrad.autograd import engine
    kept = []
    accumulate = engine.accumulate_grad

    def spy(leaf, g, exclusive=False):
        kept.append(exclusive)
        accumulate(leaf, g, exclusive)
    monkeypatch.setattr(engine, "accumulate_grad", spy)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = minigrad.randn(8, 1, 8, 8), minigrad.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    assert kept == [True] * (5 * len(list(model.parameters())))
