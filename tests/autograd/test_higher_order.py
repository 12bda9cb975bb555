"""create_graph=True: the backward pass recorded as a graph (autograd.tensor_engine), gradients
w.r.t. inner tensors, gradgradcheck, once_differentiable; compared with torch when importable."""
import inspect

import numpy as np
import pytest

import minigrad
import minigrad.ops
from minigrad.autograd import Function, gradgradcheck, grad
from minigrad.autograd.function import ArrayFunction, once_differentiable
from tests.helpers import HAVE_TORCH, torch


def leaf(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_second_derivative_of_a_cubic_by_grad_and_by_backward():
    x = leaf([1.0, 2.0, 3.0])
    g, = grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    h, = grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy())

    (x * x * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.grad_fn is not None                   # .grad itself is recorded, as torch
    first.sum().backward()                             # accumulates 6x into the same .grad
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([1, 4, 9]) + 6 * np.array([1, 2, 3]))


def test_without_create_graph_the_gradient_is_a_constant():
    x = leaf([1.0, 2.0])
    g, = grad((x * x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_retain_graph_defaults_to_create_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    grad(y, x, create_graph=True)
    grad(y, x)                                    # the graph was kept
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        grad(y, x)


def test_hessian_vector_product_of_a_quadratic_form():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    A = minigrad.tensor(a + a.T)
    x = leaf(rng.standard_normal(4))
    v = minigrad.tensor(rng.standard_normal(4))
    f = 0.5 * (x.reshape(1, 4) * (A * x).sum(dim=1).reshape(1, 4)).sum()   # x^T A x / 2, Mul/Sum/Reshape only
    g, = grad(f, x, create_graph=True)
    hv, = grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), (a + a.T) @ v.numpy(), rtol=1e-12)


def test_gradient_with_respect_to_an_inner_tensor():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 2
    y = (h * h).sum()
    gh, gx = grad(y, (h, x))
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    np.testing.assert_allclose(gx.numpy(), 8 * x.detach().numpy())
    assert x.grad is None


def test_backward_with_inputs_accepts_inner_tensors_and_create_graph():
    x = leaf([1.0, 2.0])
    h = x * 3
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert x.grad is None
    y = (x * x * x).sum()
    y.backward(inputs=[x], create_graph=True)
    assert x.grad.grad_fn is not None


def test_grad_outputs_that_require_grad_are_differentiated_too():
    x = leaf([1.0, 2.0])
    v = leaf([3.0, 4.0])
    g, = grad(x * x, x, grad_outputs=v, create_graph=True)      # 2 x v
    gv, = grad(g.sum(), v)
    np.testing.assert_allclose(gv.numpy(), 2 * x.detach().numpy())


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    a = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    b = leaf(np.random.default_rng(1).standard_normal(4))
    assert gradgradcheck(lambda a, b: (a * b / (b * b + 1) - a).sum(dim=0), (a, b))

    class WrongSecond(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * g * x.detach()          # right first derivative, cut from the graph
    x = leaf([0.5, -1.0])
    assert minigrad.autograd.gradcheck(WrongSecond.apply, (x,))
    with pytest.raises(minigrad.autograd.GradcheckError):
        gradgradcheck(WrongSecond.apply, (x,))
    assert gradgradcheck(WrongSecond.apply, (x,), raise_exception=False) is False


def test_a_custom_function_backward_written_with_ops_is_differentiable():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * g * x * x
    x = leaf([0.5, -1.0, 2.0])
    assert gradgradcheck(Cube.apply, (x,))


def test_once_differentiable_backward_refuses_a_second_derivative():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * g * x
    x = leaf([1.0, 2.0])
    g, = grad(Square.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad            # as torch: nothing recorded, and no grad_output needs it
    v = leaf([1.0, 2.0])
    g, = grad(Square.apply(x), x, grad_outputs=v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 8.0])
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()
    g, = grad(Square.apply(x).sum(), x)            # the ordinary backward is unaffected
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


def test_tensor_hooks_see_recorded_gradients_under_create_graph():
    x = leaf([1.0, 2.0])
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append(g.requires_grad) or g * 2)
    g, = grad(y.sum() * x.sum(), x, create_graph=True)
    assert seen == [True]
    assert g.requires_grad


def test_an_op_without_a_differentiable_backward_is_named_in_the_error():
    class Opaque(ArrayFunction):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="OpaqueBackward0.*create_graph=True"):
        grad(Opaque.apply(x).sum(), x, create_graph=True)


def _ops_functions():
    found = {}
    for name in dir(minigrad.ops):
        module = getattr(minigrad.ops, name)
        if inspect.ismodule(module):
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, ArrayFunction) and cls.__module__.startswith("minigrad.ops") \
                        and not cls.__name__.startswith("_"):
                    found[f"{cls.__module__}.{cls.__name__}"] = cls
    return found


@pytest.mark.parametrize("qualname", sorted(_ops_functions()))
def test_every_op_has_a_differentiable_backward(qualname):
    cls = _ops_functions()[qualname]
    assert cls.differentiable_backward is not ArrayFunction.differentiable_backward, \
        f"{qualname} has no differentiable_backward: create_graph=True fails through it"


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
def test_second_derivatives_match_torch_on_a_small_net():
    rng = np.random.default_rng(3)
    w0, xv = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))

    def run(lib):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(xv)
        y = ((x.reshape(5, 1, 4) * w.reshape(1, 3, 4)).sum(dim=2) / (w * w).sum()).sum()
        g, = lib.autograd.grad(y, w, create_graph=True)
        penalty = (g * g).sum()
        penalty.backward()
        return g.detach().numpy(), w.grad.numpy()
    for m, t in zip(run(minigrad), run(torch)):
        np.testing.assert_allclose(m, t, rtol=1e-10)
