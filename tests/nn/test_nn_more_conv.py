"""Conv1d and ConvTranspose2d (module and functional): NumPy references (direct loops), torch
parity (values, input / weight / bias gradients), gradcheck, errors, state_dict and reprs."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradgradcheck
from helpers import check_op, check_second_order, needs_torch, torch

RNG = np.random.default_rng(0)

CONV1D = [  # input shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 11), (4, 3, 3), 1, 0, 1, 1), ((2, 4, 9), (6, 2, 2), 2, 1, 1, 2), ((3, 10), (2, 3, 3), 1, "same", 2, 1),
    ((1, 2, 8), (2, 2, 4), 3, 2, 1, 1), ((1, 2, 8), (3, 2, 3), 1, "valid", 1, 1), ((2, 3, 11), (4, 3, 3), (2,), (1,), (2,), 1),
]


def _np_conv1d(x, w, b, s, p, d, g):
    if x.ndim == 2:
        return _np_conv1d(x[None], w, b, s, p, d, g)[0]
    s, d = (v[0] if isinstance(v, tuple) else v for v in (s, d))
    k = w.shape[-1]
    if p == "same":
        total = d * (k - 1)
        lo, hi = total // 2, total - total // 2
    else:
        lo = hi = 0 if p == "valid" else (p[0] if isinstance(p, tuple) else p)
    xp = np.pad(x, ((0, 0), (0, 0), (lo, hi)))
    n_out = (xp.shape[-1] - d * (k - 1) - 1) // s + 1
    cg, og = x.shape[1] // g, w.shape[0] // g
    out = np.zeros((x.shape[0], w.shape[0], n_out))
    for o in range(w.shape[0]):
        grp = o // og
        for t in range(n_out):
            win = xp[:, grp * cg:(grp + 1) * cg, t * s: t * s + d * (k - 1) + 1: d]
            out[:, o, t] = (win * w[o]).sum(axis=(1, 2))
    return out + (0 if b is None else b[:, None])


@pytest.mark.parametrize("xs,ws,s,p,d,g", CONV1D)
def test_conv1d_numpy_reference_and_gradcheck(xs, ws, s, p, d, g):
    x, w, b = RNG.normal(size=xs), RNG.normal(size=ws), RNG.normal(size=ws[0])
    got = F.conv1d(minigrad.tensor(x), minigrad.tensor(w), minigrad.tensor(b), s, p, d, g).numpy()
    np.testing.assert_allclose(got, _np_conv1d(x, w, b, s, p, d, g), rtol=1e-12, atol=1e-12)
    ts = [minigrad.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert minigrad.gradcheck(lambda x, w, b: F.conv1d(x, w, b, s, p, d, g), ts)


@pytest.mark.parametrize("xs,ws,s,p,d,g", [((1, 2, 7), (2, 1, 3), 2, 1, 2, 2), ((2, 5), (2, 2, 3), 1, "same", 1, 1)])
def test_conv1d_gradgradcheck_and_second_derivatives_match_torch(xs, ws, s, p, d, g):
    ts = [minigrad.tensor(RNG.normal(size=sh), requires_grad=True) for sh in (xs, ws, ws[:1])]
    assert gradgradcheck(lambda x, w, b: F.conv1d(x, w, b, s, p, d, g), ts)
    check_second_order([xs, ws, ws[:1]], lambda L, x, w, b: L.nn.functional.conv1d(x, w, b, s, p, d, g), rtol=1e-11)


@needs_torch
@pytest.mark.parametrize("xs,ws,s,p,d,g", CONV1D)
def test_conv1d_parity(xs, ws, s, p, d, g):
    check_op([xs, ws, (ws[0],)], lambda x, w, b: torch.nn.functional.conv1d(x, w, b, s, p, d, g),
             lambda x, w, b: F.conv1d(x, w, b, s, p, d, g), atol=1e-5, grad_atol=1e-4)


CONVT = [  # input shape, weight shape, stride, padding, output_padding, groups, dilation
    ((2, 4, 5, 6), (4, 3, 3, 2), (2, 1), (1, 0), (1, 0), 2, (1, 2)), ((1, 3, 4, 4), (3, 4, 3, 3), 1, 0, 0, 1, 1),
    ((2, 2, 3, 5), (2, 3, 2, 3), (3, 2), (1, 2), (2, 1), 1, (2, 1)), ((3, 4, 4), (3, 2, 3, 3), 2, 1, 1, 1, 1),
    ((1, 2, 3, 3), (2, 1, 1, 1), 2, 0, 1, 1, 1),
    ((2, 3, 4, 5), (3, 2, 3, 2), 1, 1, 1, 1, (2, 3)),     # output_padding >= stride (< dilation)
]


def _np_conv_transpose2d(x, w, b, s, p, op, g, d):
    if x.ndim == 3:
        return _np_conv_transpose2d(x[None], w, b, s, p, op, g, d)[0]
    pair = lambda v: v if isinstance(v, tuple) else (v, v)   # noqa: E731
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(pair, (s, p, op, d))
    N, Cin, H, W = x.shape
    _, cog, kh, kw = w.shape
    OH = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    OW = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    big = np.zeros((N, cog * g, OH + 2 * ph + kh * dh + sh, OW + 2 * pw + kw * dw + sw))
    cig = Cin // g
    for c in range(Cin):
        grp = c // cig
        for i in range(H):
            for j in range(W):
                for a in range(kh):
                    for e in range(kw):
                        big[:, grp * cog:(grp + 1) * cog, i * sh + a * dh, j * sw + e * dw] += \
                            x[:, c, i, j][:, None] * w[c, :, a, e][None]
    return big[:, :, ph:ph + OH, pw:pw + OW] + (0 if b is None else b[:, None, None])


@pytest.mark.parametrize("xs,ws,s,p,op,g,d", CONVT)
def test_conv_transpose2d_numpy_reference_and_gradcheck(xs, ws, s, p, op, g, d):
    x, w, b = RNG.normal(size=xs), RNG.normal(size=ws), RNG.normal(size=ws[1] * g)
    got = F.conv_transpose2d(minigrad.tensor(x), minigrad.tensor(w), minigrad.tensor(b), s, p, op, g, d).numpy()
    np.testing.assert_allclose(got, _np_conv_transpose2d(x, w, b, s, p, op, g, d), rtol=1e-12, atol=1e-12)
    ts = [minigrad.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert minigrad.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d), ts)


CONVT_GRADGRAD = [  # tiny: gradgradcheck builds full Jacobians
    ((1, 2, 2, 3), (2, 2, 2, 2), (2, 1), (1, 0), (1, 0), 2, (1, 2)),
    ((1, 2, 2, 2), (2, 1, 2, 3), 3, 0, 2, 1, 1),      # output_padding past the padding: rows only the bias reaches
    ((1, 1, 3, 2), (1, 2, 2, 2), 1, 0, (2, 0), 1, 3),  # output_padding below the dilation
    ((2, 3, 3), (2, 1, 3, 3), 2, 1, 1, 1, 1),          # unbatched
]


@pytest.mark.parametrize("xs,ws,s,p,op,g,d", CONVT_GRADGRAD)
def test_conv_transpose2d_gradgradcheck_and_second_derivatives_match_torch(xs, ws, s, p, op, g, d):
    """A transposed conv is conv's input gradient: its gradients are a conv and a weight gradient."""
    shapes = [xs, ws, (ws[1] * g,)]
    ts = [minigrad.tensor(RNG.normal(size=sh), requires_grad=True) for sh in shapes]
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d), ts)
    check_second_order(shapes, lambda L, x, w, b: L.nn.functional.conv_transpose2d(x, w, b, s, p, op, g, d),
                       rtol=1e-11)


@needs_torch
@pytest.mark.parametrize("xs,ws,s,p,op,g,d", CONVT)
def test_conv_transpose2d_parity(xs, ws, s, p, op, g, d, dtype):
    tol = dict(atol=1e-5, rtol=1e-5, grad_atol=1e-4) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-12)
    check_op([xs, ws, (ws[1] * g,)], lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, s, p, op, g, d),
             lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d), dtype=dtype, **tol)
    check_op([xs, ws], lambda x, w: torch.nn.functional.conv_transpose2d(x, w, None, s, p, op, g, d),
             lambda x, w: F.conv_transpose2d(x, w, None, s, p, op, g, d), dtype=dtype, **tol)


MODULES = ["Conv1d(3, 4, 3)", "Conv1d(3, 4, 3, 2, 1, 2, 1, False, 'reflect')", "Conv1d(4, 4, 3, padding='same', groups=2)",
           "Conv1d(3, 2, 2, padding_mode='circular', padding=1)", "ConvTranspose2d(3, 4, 3)",
           "ConvTranspose2d(4, 6, (3, 2), 2, 1, 1, 2, False, 2)"]


@pytest.mark.parametrize("expr", MODULES)
def test_module_state_dict_repr_and_values(expr):
    ours = eval("nn." + expr)
    x = RNG.normal(size=(2, ours.in_channels, 7) if "1d" in expr else (2, ours.in_channels, 5, 6)).astype(np.float32)
    bound = 1 / np.sqrt(ours.weight[0].numel() if "1d" in expr else ours.weight.shape[1] * ours.weight[0, 0].numel())
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    if torch is None:
        return
    theirs = eval("torch.nn." + expr)
    assert repr(ours) == repr(theirs)
    tsd = theirs.state_dict()
    assert list(ours.state_dict()) == list(tsd)
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in tsd.values()]
    ours.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    np.testing.assert_allclose(ours(minigrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose2d_output_size():
    m = nn.ConvTranspose2d(3, 4, 3, stride=2)
    x = minigrad.randn(1, 3, 4, 4)
    assert m(x).shape == (1, 4, 9, 9)
    assert m(x, output_size=[10, 10]).shape == (1, 4, 10, 10)
    assert m(x, output_size=(1, 4, 10, 9)).shape == (1, 4, 10, 9)
    with pytest.raises(ValueError, match=r"requested an output size of \[12, 10\], but valid sizes range from \[9, 9\] "
                                         r"to \[10, 10\]"):
        m(x, output_size=[12, 10])
    if torch is not None:
        with pytest.raises(ValueError):
            torch.nn.ConvTranspose2d(3, 4, 3, stride=2)(torch.randn(1, 3, 4, 4), output_size=[12, 10])


ERRORS = [
    (lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda lib: lib.nn.functional.conv1d(lib.zeros(2, 3, 4, 5), lib.zeros(4, 3, 3)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 3, 4, 5]"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 3, 4, 4), lib.zeros(3, 4, 3, 3), stride=2,
                                                    output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 2"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 3, 4, 4), lib.zeros(3, 4, 3, 3), padding=5),
     RuntimeError, "Given input size per channel: (4 x 4). Calculated output size per channel: (-4 x -4). Output "
                   "size is too small"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 5, 4, 4), lib.zeros(3, 4, 3, 3)), RuntimeError,
     "Given transposed=1, weight of size [3, 4, 3, 3], expected input[1, 5, 4, 4] to have 3 channels, but got 5 "
     "channels instead"),
    (lambda lib: lib.nn.Conv1d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda lib: lib.nn.Conv1d(3, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    fn, exc, msg = ERRORS[case]
    with pytest.raises(exc) as info:
        fn(minigrad)
    assert msg in str(info.value)
    if torch is not None:
        with pytest.raises(exc) as info:
            fn(torch)
        assert msg in str(info.value)
