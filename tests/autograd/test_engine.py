"""The backward engine: accumulation, diamonds, deep graphs, retain_graph, versions, grad mode, hooks."""
import gc
import weakref

import numpy as np
import pytest

import minigrad
from minigrad.autograd import Function


def leaf(*shape, dtype=np.float64):
    return minigrad.randn(*shape, dtype=dtype, requires_grad=True)


def test_reused_input_accumulates():
    x = minigrad.tensor([3.0], requires_grad=True)
    (x * x + x).sum().backward()
    assert x.grad.tolist() == [7.0]


def test_diamond_graph():
    x = minigrad.tensor([2.0], requires_grad=True)
    a = x * 3
    b = a.exp()
    c = a * a
    (b + c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(6.0) + 2 * 6.0 * 3, rtol=1e-6)


def test_grad_accumulates_across_backward_calls_and_is_a_tensor():
    x = leaf(3)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert isinstance(x.grad, minigrad.Tensor)
    np.testing.assert_allclose(x.grad.numpy(), 5.0)


def test_first_gradient_is_copied_not_shared():
    x, y = leaf(2), leaf(2)
    (x + y).sum().backward()
    x.grad.detach().numpy()[0] = 100
    assert y.grad.detach().numpy()[0] == 1.0


def test_deep_chain_no_recursion_limit():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y   # freeing a 100k-node chain must not overflow the C stack either
    gc.collect()


def test_non_scalar_backward_needs_gradient():
    x = leaf(3)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(minigrad.ones(2, dtype=np.float64))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.ones(2).sum().backward()


def test_second_backward_raises_unless_retained():
    x = leaf(3)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_inplace_change_of_saved_tensor_is_detected():
    x = leaf(3)
    y = x.exp()            # saves its output y
    z = y.sum()
    with minigrad.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_inplace_through_a_view_is_detected():
    x = leaf(2, 3)
    y = x.exp()
    v = y.reshape(6)
    loss = (y * 2).sum() + y.sum()    # Mul saves y
    with minigrad.no_grad():
        v.mul_(0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.zero_()
    with minigrad.no_grad():
        x.add_(1.0)     # allowed: this is how optimizers update


def test_inplace_on_non_leaf_rebases_history():
    x = leaf(3)
    y = x * 2
    y.mul_(3.0)            # y = 6x
    y.add_(x)              # y = 7x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 7.0)
    assert y.grad_fn is not None and y._version_number == 2


def test_no_grad_context_and_decorator():
    x = leaf(2)
    with minigrad.no_grad():
        y = x * 2
        with minigrad.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @minigrad.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert minigrad.is_grad_enabled()


def test_detach_and_requires_grad_flags():
    x = leaf(2)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.detach().numpy() is y.detach().numpy()
    assert x.is_leaf and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    t = minigrad.ones(2).requires_grad_()
    assert t.requires_grad


def test_no_graph_without_grad_inputs():
    y = minigrad.ones(3) * 2
    assert y.grad_fn is None and not y.requires_grad


def test_graph_is_freed_by_refcount():
    x = leaf(3)
    y = (x * 2).exp()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None


def test_hooks_on_leaf_and_non_leaf():
    x = leaf(3)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 2
    y.register_hook(lambda g: g * 10)         # replaces y's gradient
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 20.0)
    np.testing.assert_allclose(seen[0], 20.0)
    h = x.register_hook(lambda g: g * 0)
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0)


def test_custom_function_with_non_differentiable_output():
    class TopIndex(Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(x, minigrad.Tensor) and not minigrad.is_grad_enabled()
            i = x.argmax().reshape(1)
            ctx.save_for_backward(i)
            ctx.n = x.numel()
            ctx.mark_non_differentiable(i)
            return x.max().reshape(1), i

        @staticmethod
        def backward(ctx, g, g_idx):
            assert isinstance(g, minigrad.Tensor) and isinstance(g_idx, minigrad.Tensor)
            i, = ctx.saved_tensors
            out = minigrad.zeros(ctx.n, dtype=g.dtype)
            out[i] = g
            return out

    x = minigrad.tensor([1.0, 5.0, 2.0], requires_grad=True)
    v, i = TopIndex.apply(x)
    assert not i.requires_grad and v.requires_grad and i.dtype == np.int64
    v.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_backward_returning_wrong_shape_is_reported():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Bad.apply(leaf(3)).sum().backward()


class _MyReLU(Function):
    """The PyTorch tutorial's custom ReLU, unchanged."""
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_custom_function_takes_and_returns_tensors_as_in_pytorch():
    x = minigrad.tensor([-1.0, 2.0, -3.0, 4.0], dtype=minigrad.float64, requires_grad=True)
    y = _MyReLU.apply(x)
    assert y.requires_grad and type(y.grad_fn) is _MyReLU and y.grad_fn.name() == "_MyReLUBackward"
    assert repr(y.grad_fn).startswith("<minigrad.autograd.function._MyReLUBackward object at 0x")
    (y * y).sum().backward()
    assert x.grad.tolist() == [0.0, 4.0, 0.0, 8.0]
    assert minigrad.gradcheck(_MyReLU.apply, (minigrad.tensor([-1.5, 0.5, 2.0], dtype=minigrad.float64,
                                                               requires_grad=True),))
    with minigrad.no_grad():
        assert _MyReLU.apply(x).grad_fn is None


def test_custom_function_needs_input_grad_and_non_tensor_arguments():
    seen = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.k = k
            ctx.save_for_backward(a, b)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return (g * b * ctx.k if ctx.needs_input_grad[0] else None,
                    g * a * ctx.k if ctx.needs_input_grad[1] else None, None)

    a, b = leaf(3), minigrad.ones(3, dtype=minigrad.float64)
    Scale.apply(a, b, 2.0).sum().backward()
    assert seen == [(True, False, False)]
    np.testing.assert_allclose(a.grad.numpy(), 2.0)


def test_custom_function_saved_tensor_modified_in_place_is_reported():
    x = leaf(3)
    h = x * 1
    y = _MyReLU.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_function_materialize_grads_and_setup_context_style():
    got = []

    class Two(Function):
        @staticmethod
        def forward(x):
            return x * 2, x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.set_materialize_grads(False)

        @staticmethod
        def backward(ctx, g2, g3):
            got.append((g2 is None, g3 is None))
            return g2 * 2

    x = leaf(2)
    a, b = Two.apply(x)
    a.sum().backward()
    assert got == [(False, True)]
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_custom_function_errors_follow_pytorch():
    class SavesInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3)
            return x

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 0 is of type int"):
        SavesInt.apply(leaf(2))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    with pytest.raises(NotImplementedError, match="must implement either the backward"):
        NoBackward.apply(leaf(2)).sum().backward()


def test_autograd_grad_does_not_touch_dot_grad():
    x = leaf(3)
    g, = minigrad.autograd.grad((x * x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), 2 * x.detach().numpy())
    assert x.grad is None


def test_graph_description_and_dot():
    x = minigrad.randn(2, 3, requires_grad=True)
    y = (x.exp() * 2).sum()
    text = minigrad.autograd.graph.describe(y)
    assert "SumBackward" in text and "ExpBackward0 saved: (2, 3)" in text and "leaf (2, 3) float32" in text
    dot = minigrad.autograd.graph.to_dot(y)
    assert dot.startswith("digraph") and dot.count("->") >= 4


def test_autograd_grad_follows_torch_for_unused_inputs_and_several_outputs():
    x, y = leaf(3), leaf(3)
    out = (x * 3).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        minigrad.autograd.grad(out, [x, y], retain_graph=True)
    gx, gy = minigrad.autograd.grad(out, [x, y], retain_graph=True, allow_unused=True)
    assert gy is None and gx.tolist() == [3.0, 3.0, 3.0]
    gx, gy = minigrad.autograd.grad(out, (x, y), materialize_grads=True)
    assert gy.tolist() == [0.0, 0.0, 0.0]
    g, = minigrad.autograd.grad([(x * 2).sum(), (x * x).sum()], x)   # a single input still gives a tuple
    np.testing.assert_allclose(g.numpy(), 2 + 2 * x.detach().numpy())
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.autograd.grad((x * 2).sum(), minigrad.ones(3))


def test_backward_inputs_accumulates_only_into_those():
    x, y = leaf(2), leaf(2)
    (x * y).sum().backward(inputs=[x])
    assert y.grad is None
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    (x * y).sum().backward(inputs=x)
    np.testing.assert_allclose(x.grad.numpy(), 2 * y.detach().numpy())


def test_basic_index_views_share_the_version_counter_and_leaf_views_refuse_in_place():
    x = minigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used"):
        x[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used"):
        x.view(3)[1:].zero_()                      # through a chain of views
    with minigrad.no_grad():
        x[0:2].mul_(2)                             # allowed without grad mode, as in torch
    assert x.tolist() == [2.0, 2.0, 1.0]
    y = x * 1
    z = y * y                                      # saves y
    v = y[0:2]
    assert v._version is y._version and y[[0, 1]]._version is not y._version   # advanced index: a copy
    v.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


@pytest.mark.parametrize("view", [lambda x: x.t(), lambda x: x.T, lambda x: x[0:2], lambda x: x.view(-1),
                                  lambda x: x.narrow(0, 0, 1), lambda x: x.unbind(0)[0], lambda x: x.chunk(2)[1]],
                         ids=["t", "T", "slice", "view", "narrow", "unbind", "chunk"])
def test_every_view_op_shares_the_version_counter_without_a_graph(view):
    w = minigrad.ones(2, 2, requires_grad=True)
    x = minigrad.ones(2, 2)
    z = w * x                          # saves x
    view(x).add_(1)                    # x itself changes: backward must notice
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
