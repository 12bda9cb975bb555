"""The ops that are other ops' backwards, so that create_graph=True records them: conv's weight
gradient, pooling's scatter / gather / average adjoint, indexing's IndexPut, the pads' scatter,
embedding's row scatter.
Each: its forward against a NumPy reference of the backward it stands for, gradcheck and
gradgradcheck (on it directly: the third derivatives of the op it comes from), and a third
derivative through a conv / pool net against torch."""
import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
import reference_nn as RN
import reference_pool as RP
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.adaptive_pool import AdaptiveAvgPool2dBackward
from minigrad.ops.conv_grad import Conv2dWeightGrad
from minigrad.ops.layer_norm import EmbeddingBackward
from minigrad.ops.movement import IndexPut
from minigrad.ops.pad import ScatterAxes
from minigrad.ops.pool_grad import AvgPool2dBackward, PlaneGather, PlaneScatter
from tests.helpers import needs_torch, torch

RNG = np.random.default_rng(0)


def leaf(*shape):
    return minigrad.tensor(RNG.standard_normal(shape), requires_grad=True)


# ***** conv2d's weight gradient *****
WEIGHT_GRAD = [  # (N, C, H, W), O, (kh, kw), stride, (top, bottom, left, right), dilation, groups
    ((1, 2, 4, 3), 2, (2, 2), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((2, 2, 5, 4), 2, (2, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),       # the last row is never read
    ((1, 4, 4, 5), 2, (2, 2), (1, 2), (1, 1, 2, 2), (2, 1), 2),
    ((1, 3, 4, 4), 3, (3, 2), (3, 1), (1, 0, 1, 1), (1, 2), 3),       # stride past the kernel, asymmetric pad
]


@pytest.mark.parametrize("xs,O,k,s,p,d,g", WEIGHT_GRAD)
def test_conv2d_weight_grad_is_the_conv_backward_and_differentiates(xs, O, k, s, p, d, g):
    x = leaf(*xs)
    xp = np.pad(x.detach().numpy(), ((0, 0), (0, 0), p[:2], p[2:]))   # the reference pads symmetrically only
    y = RN.conv2d(RN.Ref(xp), RN.Ref(RNG.standard_normal((O, xs[1] // g) + k)), None, s, 0, d, g)
    gy = leaf(*y.shape)
    want = RN.vjp([y], [gy.detach().numpy()], [y.parents[1]])[0]
    args = (k, s, (p[0], p[2]), d, g)
    np.testing.assert_allclose(Conv2dWeightGrad.apply(x, gy, *args).detach().numpy(), want, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, b: Conv2dWeightGrad.apply(a, b, *args), (x, gy))
    assert gradgradcheck(lambda a, b: Conv2dWeightGrad.apply(a, b, *args), (x, gy))


# ***** pooling: the scatter / gather pair, the average's adjoint *****
MAX_POOLS = [(3, 2, 1, 1), (2, 1, 0, 2), (3, 1, 1, 1)]   # kernel, stride, padding, dilation: overlapping windows


@pytest.mark.parametrize("k,s,p,d", MAX_POOLS)
def test_plane_scatter_at_max_pool_indices_is_the_pool_backward(k, s, p, d):
    x = RNG.permutation(2 * 5 * 5).reshape(1, 2, 5, 5).astype(np.float64)
    out, idx = F.max_pool2d(minigrad.tensor(x), k, s, p, d, return_indices=True)
    pool = (k, k, s, s, p, p, d, d)
    g = leaf(*out.shape)
    got = PlaneScatter.apply(g, idx.numpy(), (5, 5), pool)
    want = RP.max_pool2d_backward(g.detach().numpy()[0], idx.numpy()[0], 5, 5)[None]
    np.testing.assert_array_equal(got.detach().numpy(), want)
    assert gradgradcheck(lambda t: PlaneScatter.apply(t, idx.numpy(), (5, 5), pool), (g,))
    assert gradgradcheck(lambda t: PlaneGather.apply(t, idx.numpy(), pool), (leaf(1, 2, 5, 5),))


def test_plane_scatter_and_gather_with_repeated_and_outside_indices():
    """Repeated indices add up in the scatter; an index outside the plane is dropped by the
    scatter and reads 0 in the gather (max pooling stores one for a window with no tap inside)."""
    idx = np.array([[[[0, 5, 5], [11, -1, 12]]]])          # a 3 x 4 plane: 12 and -1 are outside
    g, x = leaf(1, 1, 2, 3), leaf(1, 1, 3, 4)
    want = np.zeros((1, 1, 12))
    for v, i in zip(g.detach().numpy().ravel(), idx.ravel()):
        if 0 <= i < 12:
            want[0, 0, i] += v
    np.testing.assert_array_equal(PlaneScatter.apply(g, idx, (3, 4), None).detach().numpy(), want.reshape(1, 1, 3, 4))
    flat = x.detach().numpy().reshape(-1)
    np.testing.assert_array_equal(PlaneGather.apply(x, idx, None).detach().numpy(),
                                  [[[[flat[0], flat[5], flat[5]], [flat[11], 0, 0]]]])
    assert gradgradcheck(lambda t: PlaneScatter.apply(t, idx, (3, 4), None), (g,))
    assert gradgradcheck(lambda t: PlaneGather.apply(t, idx, None), (x,))


@pytest.mark.parametrize("k,s,p,cip,dov", [(3, 2, 1, True, None), (3, 2, 1, False, None), (2, 1, 1, True, 3)])
def test_avg_pool2d_backward_is_the_adjoint_and_differentiates(k, s, p, cip, dov):
    out = F.avg_pool2d(minigrad.zeros(2, 5, 6, dtype=minigrad.float64), k, s, p, True, cip, dov)
    g = leaf(*out.shape)
    args = ((5, 6), (k, k), (s, s), (p, p), cip, dov)
    got = AvgPool2dBackward.apply(g, *args)
    want = RP.avg_pool2d_backward(g.detach().numpy(), 5, 6, k, k, s, s, p, p, cip, dov)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-14, atol=1e-14)
    assert gradcheck(lambda t: AvgPool2dBackward.apply(t, *args), (g,))
    assert gradgradcheck(lambda t: AvgPool2dBackward.apply(t, *args), (g,))


def _adjoint_pair(op, adjoint, x, y):
    """<op(x), y> == <x, adjoint(y)>: adjoint is op's backward."""
    lhs = float((op(x) * y).sum().item())
    rhs = float((x * adjoint(y)).sum().item())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_adaptive_avg_pool2d_backward_index_put_and_scatter_axes():
    x, g = leaf(1, 2, 5, 5), leaf(1, 2, 3, 4)                 # 5 -> 3, 5 -> 4: overlapping windows
    _adjoint_pair(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), lambda t: AdaptiveAvgPool2dBackward.apply(t, x.shape),
                  x, g)
    assert gradgradcheck(lambda t: AdaptiveAvgPool2dBackward.apply(t, (1, 2, 5, 5)), (g,))

    index = (np.array([0, 2, 2, 1]), slice(1, None))
    x, g = leaf(3, 4), leaf(4, 3)
    want = np.zeros((3, 4))
    np.add.at(want, index, g.detach().numpy())
    np.testing.assert_array_equal(IndexPut.apply(g, (3, 4), index, True).detach().numpy(), want)
    _adjoint_pair(lambda t: t[index], lambda t: IndexPut.apply(t, (3, 4), index, True), x, g)
    assert gradgradcheck(lambda t: IndexPut.apply(t, (3, 4), index, True), (g,))
    assert gradgradcheck(lambda t: IndexPut.apply(t, (3, 4), (slice(None), 1), False), (leaf(3),))

    maps = ((1, np.array([1, 0, 1, 2, 1])), (2, np.array([3, 3, 0])))   # a reflect pad and repeats
    x, g = leaf(2, 3, 4), leaf(2, 5, 3)
    want = np.zeros((2, 3, 4))
    np.add.at(want, (slice(None), maps[0][1][:, None], maps[1][1][None, :]), g.detach().numpy())
    np.testing.assert_array_equal(ScatterAxes.apply(g, maps, (2, 3, 4)).detach().numpy(), want)
    assert gradgradcheck(lambda t: ScatterAxes.apply(t, maps, (2, 3, 4)), (g,))


def test_embedding_backward_adds_rows_and_differentiates():
    idx = np.array([[0, 2, 2], [3, 1, 0]])
    g = leaf(2, 3, 2)
    want = np.zeros((4, 2))
    np.add.at(want, idx, g.detach().numpy())
    want[2] = 0
    np.testing.assert_array_equal(EmbeddingBackward.apply(g, idx, (4, 2), 2, False).detach().numpy(), want)
    assert gradgradcheck(lambda t: EmbeddingBackward.apply(t, idx, (4, 2), 2, False), (g,))


# ***** third derivatives against torch *****

@needs_torch
def test_third_derivatives_through_a_conv_pool_net_match_torch():
    """d³ of a cubic loss after conv -> max pool -> avg pool -> transposed conv: the backwards'
    backwards (weight gradient, gather, average pooling, conv) are differentiated once more."""
    shapes = dict(x=(1, 2, 5, 5), w=(2, 1, 3, 3), w2=(2, 2, 2, 2))
    arrays = {k: RNG.standard_normal(s) for k, s in shapes.items()}
    u = {k: RNG.standard_normal(s) for k, s in shapes.items()}
    v = {k: RNG.standard_normal(s) for k, s in shapes.items()}

    def run(lib):
        F_ = lib.nn.functional
        p = {k: lib.tensor(a, requires_grad=True) for k, a in arrays.items()}
        y = F_.conv2d(p["x"], p["w"], None, stride=2, padding=1, groups=2)
        y = F_.avg_pool2d(F_.max_pool2d(y, 2, 1, 1), 2, 1, 1, count_include_pad=False)
        z = F_.conv_transpose2d(y, p["w2"], None, stride=2, padding=1)
        keys = list(shapes)
        g1 = lib.autograd.grad((z * z * z).sum(), [p[k] for k in keys], create_graph=True)
        s1 = sum([(g * lib.tensor(u[k])).sum() for g, k in zip(g1, keys)])
        g2 = lib.autograd.grad(s1, [p[k] for k in keys], create_graph=True)
        s2 = sum([(g * lib.tensor(v[k])).sum() for g, k in zip(g2, keys)])
        g3 = lib.autograd.grad(s2, [p[k] for k in keys])
        return [g.detach().numpy() for g in (*g1, *g2, *g3)]

    for i, (m, t) in enumerate(zip(run(minigrad), run(torch))):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-10, err_msg=f"order {i // 3 + 1}, input {i % 3}")


def test_gradient_penalty_is_bit_identical_at_1_and_2_threads():
    """The recorded backward runs on the same kernels as the ordinary one: the same bits at any
    thread count (float32, sizes past the kernels' threading thresholds)."""
    rng = np.random.default_rng(9)
    arrays = dict(x=rng.standard_normal((8, 4, 32, 32)), w=rng.standard_normal((16, 2, 3, 3)),
                  w2=rng.standard_normal((16, 4, 2, 2)))
    outs = []
    for n in (1, 2):
        minigrad.set_num_threads(n)
        p = {k: minigrad.tensor(a.astype(np.float32), requires_grad=True) for k, a in arrays.items()}
        h = F.max_pool2d(F.conv2d(p["x"], p["w"], None, 1, 1, 1, 2), 3, 2, 1)
        h = F.avg_pool2d(F.conv_transpose2d(h * h, p["w2"], None, 2), 3, 2, 1)
        gx, = minigrad.autograd.grad((h * h).sum(), p["x"], create_graph=True)
        (gx * gx).sum().backward()
        outs.append([gx.detach().numpy()] + [p[k].grad.numpy() for k in arrays])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
