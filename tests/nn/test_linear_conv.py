"""matmul, Linear and Conv2d: torch parity (values, gradients, errors), float64 gradcheck against
finite differences, NumPy references, and bit-identical results at 1 and 2 threads."""
import math

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
import reference_gemm as R
import reference_nn as RN
from minigrad.autograd import gradgradcheck
from helpers import HAVE_TORCH, check_op, check_raises, check_second_order, needs_torch, torch

TF = torch.nn.functional if HAVE_TORCH else None


def _t(a, requires_grad=False):
    return minigrad.tensor(np.asarray(a), requires_grad=requires_grad)


# ***** matmul *****

MATMUL_SHAPES = [((5,), (5,)), ((5,), (5, 3)), ((4, 5), (5,)), ((4, 5), (5, 3)), ((2, 4, 5), (5, 3)),
                 ((2, 4, 5), (2, 5, 3)), ((1, 4, 5), (3, 5, 2)), ((4, 5), (2, 3, 5, 2)),
                 ((2, 1, 4, 5), (3, 5, 2)), ((5,), (2, 5, 3)), ((2, 4, 5), (5,)), ((17, 255), (255, 9))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_matches_reference_and_torch(sa, sb, dtype):
    tol = dict(atol=1e-5, rtol=1e-5, grad_atol=1e-4, grad_rtol=1e-4) if dtype == np.float32 else \
        dict(atol=1e-12, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-12)
    check_op([sa, sb], lambda a, b: torch.matmul(a, b), lambda a, b: a @ b, ref=RN.matmul, dtype=dtype, **tol)


@needs_torch
def test_matmul_transposed_views_match_torch():
    """Transposed operands go to the GEMM as strides (NT / TN), not copies."""
    check_op([(7, 5), (3, 7)], lambda a, b: a.T @ b.T, dtype=np.float64, atol=1e-12, rtol=1e-12)
    check_op([(2, 6, 4), (2, 3, 6)], lambda a, b: a.transpose(1, 2) @ b.transpose(1, 2), dtype=np.float64,
             atol=1e-12, rtol=1e-12)


MATMUL_GRAD_SHAPES = [((3,), (3,)), ((2, 3), (3, 4)), ((2, 1, 3), (2, 3, 2)), ((3,), (2, 3, 2)), ((2, 3), (3,)),
                      ((2, 2, 3), (3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_GRAD_SHAPES)
def test_matmul_gradcheck(sa, sb):
    rng = np.random.default_rng(0)
    a, b = _t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)
    assert minigrad.gradcheck(lambda x, y: x @ y, (a, b))


@pytest.mark.parametrize("sa,sb", MATMUL_GRAD_SHAPES)
def test_matmul_gradgradcheck_and_second_derivatives_match_torch(sa, sb):
    """matmul is bilinear: its gradients are matmuls, whose derivatives are matmuls again."""
    rng = np.random.default_rng(0)
    a, b = _t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)
    assert gradgradcheck(lambda x, y: x @ y, (a, b))
    check_second_order([sa, sb], lambda L, x, y: x @ y, rtol=1e-12)


def test_matmul_integer_falls_back_to_numpy():
    x = np.arange(6).reshape(2, 3)
    a = minigrad.tensor(x)
    np.testing.assert_array_equal((a @ a.T).numpy(), x @ x.T)


def test_matmul_bit_identical_at_1_and_2_threads():
    rng = np.random.default_rng(1)
    a = _t(rng.standard_normal((3, 100, 200)).astype(np.float32), True)
    b = _t(rng.standard_normal((200, 150)).astype(np.float32), True)
    outs = []
    for n in (1, 2):
        minigrad.set_num_threads(n)
        a.grad = b.grad = None
        y = a @ b
        (y * y).sum().backward()
        outs.append((y.detach().numpy().copy(), a.grad.numpy().copy(), b.grad.numpy().copy()))
    for x1, x2 in zip(*outs):
        np.testing.assert_array_equal(x1, x2)


# ***** Linear *****

@pytest.mark.parametrize("shape", [(4,), (2, 4), (2, 5, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_reference_and_torch(shape, bias, dtype):
    tol = dict(atol=1e-5, rtol=1e-5, grad_atol=1e-4, grad_rtol=1e-4) if dtype == np.float32 else \
        dict(atol=1e-12, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-12)
    shapes = [shape, (3, 4)] + ([(3,)] if bias else [])
    check_op(shapes, lambda x, w, b=None: TF.linear(x, w, b), F.linear, ref=RN.linear, dtype=dtype, **tol)


@needs_torch
def test_linear_module_matches_torch_with_copied_parameters():
    m, tm = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
        tm.bias.copy_(torch.tensor(m.bias.detach().numpy()))
    x = np.random.default_rng(2).standard_normal((2, 5, 4)).astype(np.float32)
    y, ty = m(_t(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(m.bias.grad.numpy(), np.full(3, 10.0))     # SPEC §9 row 59


def test_linear_gradcheck():
    rng = np.random.default_rng(3)
    x, w, b = (_t(rng.standard_normal(s), True) for s in [(2, 3, 4), (5, 4), (5,)])
    assert minigrad.gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    check_second_order([(2, 3, 4), (5, 4), (5,)], lambda L, x, w, b: L.nn.functional.linear(x, w, b), rtol=1e-12)


def test_linear_skips_unneeded_grads():
    x, w = _t(np.ones((2, 4), np.float32)), _t(np.ones((3, 4), np.float32), True)
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_linear_shapes_repr_and_init():
    minigrad.manual_seed(0)
    m = nn.Linear(100, 1000)
    assert repr(m) == "Linear(in_features=100, out_features=1000, bias=True)"
    assert m.weight.shape == (1000, 100) and m.bias.shape == (1000,)
    assert m.weight.dtype == np.float32
    w = m.weight.detach().numpy()
    assert np.abs(w).max() < 0.1 and np.abs(w).max() > 0.099        # U(±1/√100), SPEC §6
    assert abs(w.std() - 0.1 / math.sqrt(3)) < 2e-3                  # std of U(±a) = a/√3
    assert np.abs(m.bias.detach().numpy()).max() < 0.1
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"
    assert nn.Linear(2, 3, bias=False).bias is None
    assert [n for n, _ in nn.Linear(2, 3).named_parameters()] == ["weight", "bias"]
    assert nn.Linear(4, 3)(_t(np.zeros(4, np.float32))).shape == (3,)
    assert nn.Linear(4, 3)(_t(np.zeros((0, 4), np.float32))).shape == (0, 3)
    minigrad.manual_seed(7)
    w1 = nn.Linear(3, 2).weight.detach().numpy().copy()
    minigrad.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.detach().numpy(), w1)       # seeded by manual_seed


def test_linear_zero_in_features_outputs_bias():
    with pytest.warns(UserWarning, match="zero-element"):
        m = nn.Linear(0, 3)
    np.testing.assert_array_equal(m(_t(np.zeros((2, 0), np.float32))).detach().numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("shapes,match", [
    ([(), (3, 4)], "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    ([(2, 5), (3, 4)], r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"),
    ([(2, 3, 5), (3, 4)], r"mat1 and mat2 shapes cannot be multiplied \(6x5 and 4x3\)"),
    ([(5,), (3, 4)], r"mat1 and mat2 shapes cannot be multiplied \(1x5 and 4x3\)"),
])
def test_linear_errors(shapes, match):
    check_raises(shapes, lambda x, w: TF.linear(x, w), F.linear, RuntimeError, match=match)


def test_linear_dtype_and_size_errors():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: double != float"):
        F.linear(_t(np.zeros((2, 4))), _t(np.zeros((3, 4), np.float32)))
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        nn.Linear(-1, 3)


# ***** Conv2d *****

CONV_CASES = [  # (N, C, H, W), O, kernel, stride, padding, dilation, groups
    ((2, 3, 7, 7), 6, 3, 1, 0, 1, 1),
    ((1, 3, 7, 7), 6, 3, 2, 1, 2, 1),              # SPEC §9 row 60: (1, 6, 3, 3)
    ((2, 4, 9, 8), 6, (3, 2), (1, 2), (2, 1), (1, 2), 2),
    ((2, 6, 5, 6), 6, 3, 1, 1, 1, 6),              # depthwise
    ((2, 2, 6, 5), 4, (2, 4), 1, "same", (2, 1), 2),
    ((1, 3, 6, 6), 2, 3, 1, "valid", 1, 1),
    ((0, 3, 5, 5), 6, 3, 1, 1, 1, 1),              # N = 0
    ((3, 5, 5), 4, 3, 1, 1, 1, 1),                 # unbatched
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_reference_and_torch(case, bias, dtype):
    xs, O, k, s, p, d, g = case
    kh, kw = (k, k) if isinstance(k, int) else k
    C = xs[-3]
    shapes = [xs, (O, C // g, kh, kw)] + ([(O,)] if bias else [])
    tol = dict(atol=1e-5, rtol=1e-5, grad_atol=1e-4, grad_rtol=1e-4) if dtype == np.float32 else \
        dict(atol=1e-12, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-12)
    check_op(shapes, lambda x, w, b=None: TF.conv2d(x, w, b, s, p, d, g),
             lambda x, w, b=None: F.conv2d(x, w, b, s, p, d, g),
             ref=lambda x, w, b=None: RN.conv2d(x, w, b, s, p, d, g), dtype=dtype, **tol)


def test_conv2d_matches_loop_reference():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    y = F.conv2d(_t(x), _t(w), _t(b), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    np.testing.assert_allclose(y.numpy(), R.conv2d(x, w, b, (2, 1), (1, 1, 2, 2), (1, 2), 2), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("s,p,d,g", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 1, 2, 1), (1, 1, 1, 2), (2, "same", 1, 1)])
def test_conv2d_gradcheck(s, p, d, g):
    if p == "same":
        s = 1
    rng = np.random.default_rng(5)
    x, w, b = (_t(rng.standard_normal(sh), True) for sh in [(2, 2, 5, 4), (2, 2 // g, 2, 3), (2,)])
    assert minigrad.gradcheck(lambda x, w, b: F.conv2d(x, w, b, s, p, d, g), (x, w, b))


CONV_GRADGRAD = [  # (N, C, H, W), O, kernel, stride, padding, dilation, groups: tiny, full Jacobians
    ((1, 2, 4, 3), 2, 2, 1, 0, 1, 1),
    ((1, 2, 5, 4), 2, (2, 3), 2, 1, 1, 1),          # strided: the last row is never read
    ((1, 2, 4, 5), 2, 2, (1, 2), (1, 2), (2, 1), 2),
    ((2, 2, 3, 3), 4, 3, 1, "same", 1, 2),
    ((1, 3, 4, 4), 3, (3, 2), (3, 1), 1, (1, 2), 3),  # depthwise, stride wider than the kernel
]


@pytest.mark.parametrize("case", CONV_GRADGRAD, ids=lambda c: str(c))
def test_conv2d_gradgradcheck_and_second_derivatives_match_torch(case):
    """conv's gradients are a transposed conv of g with w and a correlation of x with g, each
    differentiable again through the other maps."""
    xs, O, k, s, p, d, g = case
    kh, kw = (k, k) if isinstance(k, int) else k
    shapes = [xs, (O, xs[1] // g, kh, kw), (O,)]
    rng = np.random.default_rng(5)
    x, w, b = (_t(rng.standard_normal(sh), True) for sh in shapes)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, s, p, d, g), (x, w, b))
    check_second_order(shapes, lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, s, p, d, g), rtol=1e-11)


@needs_torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_module_padding_modes_match_torch(mode, padding):
    kw = dict(stride=1, dilation=(1, 2), groups=1, padding_mode=mode)
    m = nn.Conv2d(2, 3, (3, 2), padding=padding, dtype=np.float64, **kw)
    tm = torch.nn.Conv2d(2, 3, (3, 2), padding=padding, dtype=torch.float64, **kw)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
        tm.bias.copy_(torch.tensor(m.bias.detach().numpy()))
    check_op([(2, 2, 6, 5)], tm, m, dtype=np.float64, atol=1e-12, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-12)
    x = _t(np.random.default_rng(6).standard_normal((2, 6, 5)))          # unbatched
    np.testing.assert_allclose(m(x).detach().numpy(), tm(torch.tensor(x.numpy())).detach().numpy(), atol=1e-12)


def test_conv2d_padding_mode_gradcheck():
    rng = np.random.default_rng(7)
    for mode in ("reflect", "replicate", "circular"):
        m = nn.Conv2d(1, 2, 3, padding=2, padding_mode=mode, dtype=np.float64)
        x = _t(rng.standard_normal((1, 1, 4, 5)), True)
        assert minigrad.gradcheck(m, (x,))
        assert gradgradcheck(m, (x,))


def test_conv2d_init_and_repr():
    minigrad.manual_seed(0)
    m = nn.Conv2d(8, 64, 3, groups=4)
    bound = 1 / math.sqrt(2 * 3 * 3)                 # 0.2357, SPEC §7
    assert m.weight.shape == (64, 2, 3, 3)
    assert bound * 0.98 < np.abs(m.weight.detach().numpy()).max() < bound
    assert np.abs(m.bias.detach().numpy()).max() < bound
    assert repr(nn.Conv2d(4, 6, 3)) == "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False,
                          padding_mode="reflect")) == \
        ("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2, "
         "bias=False, padding_mode=reflect)")
    assert repr(nn.Conv2d(4, 6, 3, padding="same")) == "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    assert nn.Conv2d(3, 6, 3, stride=2, padding=1, dilation=2)(minigrad.randn(1, 3, 7, 7)).shape == (1, 6, 3, 3)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(groups=0), ValueError, "groups must be a positive integer"),
    (dict(groups=3), ValueError, "in_channels must be divisible by groups"),
    (dict(out_channels=6, groups=4), ValueError, "out_channels must be divisible by groups"),
    (dict(padding="foo"), ValueError, "Invalid padding string 'foo'"),
    (dict(padding="same", stride=2), ValueError, "padding='same' is not supported for strided convolutions"),
    (dict(padding_mode="bad"), ValueError, "padding_mode must be one of"),
    (dict(out_channels=-6), RuntimeError, "negative dimension -6"),
])
def test_conv2d_module_construction_errors(kwargs, exc, match):
    args = dict(in_channels=4, out_channels=8, kernel_size=3)
    args.update(kwargs)
    if HAVE_TORCH:
        with pytest.raises(exc):
            torch.nn.Conv2d(**args)
    with pytest.raises(exc, match=match):
        nn.Conv2d(**args)


W6333 = (6, 3, 3, 3)


@pytest.mark.parametrize("shapes,kw,match", [
    ([(5, 5), W6333], {}, r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[5, 5\]"),
    ([(1, 1, 3, 5, 5), W6333], {}, "Expected 3D"),
    ([(1, 4, 5, 5), W6333], {}, r"Given groups=1, weight of size \[6, 3, 3, 3\], expected input\[1, 4, 5, 5\] to have "
                                r"3 channels, but got 4 channels instead"),
    ([(4, 5, 5), W6333], {}, r"expected input\[1, 4, 5, 5\]"),
    ([(1, 3, 2, 2), W6333], {}, r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). "
                                r"Kernel size can't be greater than actual input size"),
    ([(1, 3, 4, 4), W6333], dict(dilation=2), r"Kernel size: \(5 x 5\)"),
    ([(1, 3, 5, 5), W6333], dict(stride=0), "non-positive stride is not supported"),
    ([(1, 3, 5, 5), W6333], dict(padding=-1), "negative padding is not supported"),
    ([(1, 3, 5, 5), W6333], dict(dilation=0), r"dilation should be greater than zero, but got \[0, 0\]"),
    ([(1, 3, 5, 5), (6, 3, 0, 0)], {}, "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    ([(1, 3, 5, 5), W6333], dict(groups=0), "non-positive groups is not supported"),
    ([(1, 4, 5, 5), (3, 2, 3, 3)], dict(groups=2), "expected weight to be divisible by 2 at dimension 0"),
    ([(1, 3, 5, 5), W6333], dict(padding="same", stride=2), "padding='same' is not supported for strided"),
    ([(1, 3, 5, 5), W6333], dict(padding="foo"), "Invalid padding string: 'foo'"),
    ([(1, 3, 5, 5), W6333], dict(stride=(1, 1, 1)), "expected stride to be a single integer value or a list of 2"),
    ([(1, 3, 5, 5), W6333, (5,)], {}, r"expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\]"),
])
def test_conv2d_errors_match_torch(shapes, kw, match):
    check_raises(shapes, lambda *a: TF.conv2d(*a, **kw), lambda *a: F.conv2d(*a, **kw), RuntimeError, match=match)


def test_conv2d_dtype_errors():
    x, w = _t(np.zeros((1, 3, 5, 5))), _t(np.zeros((6, 3, 3, 3), np.float32))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\) should be the same"):
        F.conv2d(_t(np.zeros((1, 3, 5, 5), np.float32)), w, _t(np.zeros(6)))


@needs_torch
def test_conv2d_padding_mode_errors():
    x = _t(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        nn.Conv2d(1, 1, 3, padding=5, padding_mode="reflect")(x)
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        nn.Conv2d(1, 1, 3, padding=5, padding_mode="circular")(x)
    assert nn.Conv2d(1, 1, 3, padding=5, padding_mode="replicate")(x).shape == (1, 1, 12, 12)


def test_conv2d_bit_identical_at_1_and_2_threads():
    rng = np.random.default_rng(8)
    x = _t(rng.standard_normal((8, 4, 20, 20)).astype(np.float32), True)
    m = nn.Conv2d(4, 16, 3, padding=1)
    outs = []
    for n in (1, 2):
        minigrad.set_num_threads(n)
        x.grad = m.weight.grad = m.bias.grad = None
        y = m(x)
        (y * y).sum().backward()
        outs.append([t.detach().numpy().copy() for t in (y, x.grad, m.weight.grad, m.bias.grad)])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_conv2d_retain_graph_survives_other_convs():
    """Saved columns are never recycled: a second backward through a retained graph, after other
    convolutions ran in between, gives the same gradients."""
    rng = np.random.default_rng(9)
    x = _t(rng.standard_normal((2, 3, 9, 9)), True)
    m = nn.Conv2d(3, 4, 3, padding=1, dtype=np.float64)
    y = m(x)
    g = _t(rng.standard_normal(y.shape))
    y.backward(g, retain_graph=True)
    first = (x.grad.numpy().copy(), m.weight.grad.numpy().copy())
    for _ in range(3):            # same shapes: would reuse any buffer handed back to the pool
        m(_t(rng.standard_normal((2, 3, 9, 9)), True)).sum().backward()
    x.grad = m.weight.grad = None
    y.backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), first[0])
    np.testing.assert_array_equal(m.weight.grad.numpy(), first[1])


# ***** second derivatives through a network *****

@needs_torch
def test_gradient_penalty_through_a_conv_pool_net_matches_torch():
    """A gradient penalty (WGAN-GP's ||d loss / d x||²) differentiated to every parameter, through
    a strided, dilated, grouped conv, an overlapping max pool, a transposed conv, an average pool
    and a linear layer (h * h is the nonlinearity)."""
    rng = np.random.default_rng(11)
    shapes = dict(x=(2, 2, 7, 7), w1=(4, 1, 3, 3), b1=(4,), w2=(4, 1, 3, 3), b2=(2,), w3=(3, 16), b3=(3,))
    arrays = {k: rng.standard_normal(s) for k, s in shapes.items()}

    def run(lib):
        F_ = lib.nn.functional
        p = {k: lib.tensor(a, requires_grad=True) for k, a in arrays.items()}
        h = F_.conv2d(p["x"], p["w1"], p["b1"], stride=(2, 1), padding=2, dilation=2, groups=2)
        h = F_.max_pool2d(h * h, 3, stride=2, padding=1)
        h = F_.conv_transpose2d(h, p["w2"], p["b2"], stride=2, padding=1, output_padding=1, groups=2)
        h = F_.avg_pool2d(h, 3, stride=2, padding=1, count_include_pad=False)
        out = F_.linear(h.flatten(1), p["w3"], p["b3"])
        gx, = lib.autograd.grad((out * out).sum(), p["x"], create_graph=True)
        (gx * gx).sum().backward()
        return [gx.detach().numpy()] + [p[k].grad.numpy() for k in shapes]

    for name, m, t in zip(["d loss/dx"] + list(shapes), run(minigrad), run(torch)):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-10, err_msg=name)
