"""F.pad (constant / reflect / replicate / circular, negative pads), F.interpolate and Upsample
(nearest): NumPy references, torch parity (values and gradients), gradcheck, errors, reprs."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradgradcheck
from helpers import check_op, check_second_order, needs_torch, torch

RNG = np.random.default_rng(0)
NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

PAD_CASES = [  # shape, pad, mode
    ((2, 3, 5), (1, 2), "constant"), ((2, 3, 5), (1, 2, 0, 1, 2, 0), "constant"), ((4,), (-1, 2), "constant"),
    ((2, 3, 5), (-2, -1, 1, 1), "constant"),
    ((2, 5), (2, 3), "reflect"), ((2, 3, 5), (4, 1), "reflect"), ((1, 2, 4, 5), (1, 2, 3, 0), "reflect"),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 2, 2), "reflect"), ((2, 3, 6), (-1, 2), "reflect"),
    ((2, 5), (3, 3), "replicate"), ((3, 4, 5), (1, 2, 3, 4), "replicate"), ((1, 2, 3, 4, 5), (2, 1, 0, 3, 1, 1), "replicate"),
    ((2, 3, 4), (-1, 2), "replicate"),
    ((2, 5), (5, 2), "circular"), ((1, 2, 4, 5), (1, 2, 4, 0), "circular"), ((2, 3, 4), (-1, 2), "circular"),
    ((2, 3, 3, 4, 5), (1, 1, 1, 1, 1, 1), "circular"),
]


def _np_pad(x, pad, mode, value=0.0):
    """Crop the negative pads, then np.pad the rest (torch's order)."""
    k = len(pad) // 2
    crop = [slice(None)] * x.ndim
    widths = [(0, 0)] * x.ndim
    for i in range(k):
        axis, lo, hi = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        crop[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
        widths[axis] = (max(lo, 0), max(hi, 0))
    x = x[tuple(crop)]
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=NP_MODE[mode])


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
def test_pad_numpy_reference(shape, pad, mode, dtype):
    x = RNG.normal(size=shape).astype(dtype)
    got = F.pad(minigrad.tensor(x), pad, mode=mode)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), _np_pad(x, pad, mode))
    if mode == "constant":
        np.testing.assert_array_equal(F.pad(minigrad.tensor(x), pad, value=2.5).numpy(), _np_pad(x, pad, mode, 2.5))


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
def test_pad_gradcheck(shape, pad, mode):
    x = minigrad.tensor(RNG.normal(size=shape), requires_grad=True)
    assert minigrad.gradcheck(lambda a: F.pad(a, pad, mode=mode), (x,))


@pytest.mark.parametrize("shape,pad,mode", [c for c in PAD_CASES if np.prod(c[0]) <= 60])   # tiny: full Jacobians
def test_pad_gradgradcheck(shape, pad, mode):
    """A pad's backward (a crop, or a scatter through the index maps) has the pad as derivative."""
    x = minigrad.tensor(RNG.normal(size=shape), requires_grad=True)
    assert gradgradcheck(lambda a: F.pad(a, pad, mode=mode), (x,))


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES[1::3])
def test_pad_second_derivatives_match_torch(shape, pad, mode):
    check_second_order([shape], lambda L, a: L.nn.functional.pad(a * a, pad, mode=mode), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
def test_pad_parity(shape, pad, mode):
    check_op([shape], lambda x: torch.nn.functional.pad(x, pad, mode=mode), lambda x: F.pad(x, pad, mode=mode))


PAD_ERRORS = [
    ((2, 3, 4), (1,), "constant", None, RuntimeError, "Padding length must be divisible by 2"),
    ((2, 3, 4), (1, 1) * 4, "constant", None, RuntimeError, "Padding length should be less than or equal to two times "
                                                            "the input dimension but got padding length 8"),
    ((2, 3, 4), (-3, -3), "constant", None, RuntimeError, "narrow(): length must be non-negative."),
    ((2, 3, 4), (1, 1), "reflect", 1.0, RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
    ((2, 3, 4), (1, 1), "foo", None, NotImplementedError, "Unrecognised padding mode foo"),
    ((2, 3, 4), (1, 1) * 3, "reflect", None, NotImplementedError, "Padding size 6 is not supported for 3D input"),
    ((4,), (1, 1), "reflect", None, NotImplementedError, "Padding size 2 is not supported for 1D input tensor."),
    ((2, 3, 4, 5), (1, 1), "replicate", None, NotImplementedError, "Padding size 2 is not supported for 4D input"),
    ((2, 3, 4), (4, 1), "reflect", None, RuntimeError, "Argument #4: Padding size should be less than the "
                                                       "corresponding input dimension, but got: padding (4, 1) at "
                                                       "dimension 2 of input [2, 3, 4]"),
    ((2, 3, 4), (5, 1), "circular", None, RuntimeError, "Padding value causes wrapping around more than once."),
    ((2, 3, 4), (1.5, 1), "constant", None, TypeError, "must be tuple of ints, but found element of type float at "
                                                       "pos 0"),
]


@pytest.mark.parametrize("shape,pad,mode,value,exc,msg", PAD_ERRORS)
def test_pad_errors(shape, pad, mode, value, exc, msg):
    with pytest.raises(exc) as info:
        F.pad(minigrad.zeros(*shape), pad, mode=mode, value=value)
    assert msg in str(info.value)
    if torch is not None:
        with pytest.raises(exc):
            torch.nn.functional.pad(torch.zeros(*shape), pad, mode=mode, value=value)


# ***** interpolate / Upsample (nearest) *****

INTERP = [((1, 2, 5, 7), {"scale_factor": 2}), ((1, 2, 5, 7), {"scale_factor": 1.7}), ((2, 1, 6, 4), {"size": (3, 9)}),
          ((2, 3, 7), {"size": 12}), ((2, 3, 7), {"scale_factor": 0.5}), ((1, 1, 2, 3, 4), {"scale_factor": (2, 1, 3)}),
          ((1, 2, 5, 7), {"scale_factor": 1.7, "recompute_scale_factor": True}), ((1, 1, 9, 9), {"size": 4})]


@pytest.mark.parametrize("shape,kwargs", INTERP)
def test_interpolate_numpy_reference(shape, kwargs):
    x = RNG.normal(size=shape)
    got = F.interpolate(minigrad.tensor(x), **kwargs).numpy()
    spatial = shape[2:]
    if "size" in kwargs:
        out = [kwargs["size"]] * len(spatial) if isinstance(kwargs["size"], int) else kwargs["size"]
        scales = [n / o for n, o in zip(spatial, out)]
    else:
        sf = kwargs["scale_factor"]
        sf = [sf] * len(spatial) if not isinstance(sf, tuple) else sf
        out = [int(np.floor(n * s)) for n, s in zip(spatial, sf)]
        scales = [n / o for n, o in zip(spatial, out)] if kwargs.get("recompute_scale_factor") else [1 / s for s in sf]
    want = x
    for d, (n, o, s) in enumerate(zip(spatial, out, scales)):
        src = [min(int(np.floor(np.float32(i) * np.float32(s))), n - 1) for i in range(o)]
        want = np.take(want, src, axis=2 + d)
    np.testing.assert_array_equal(got, want)


@needs_torch
@pytest.mark.parametrize("shape,kwargs", INTERP)
def test_interpolate_parity(shape, kwargs):
    check_op([shape], lambda x: torch.nn.functional.interpolate(x, **kwargs), lambda x: F.interpolate(x, **kwargs))
    if "recompute_scale_factor" not in kwargs:
        check_op([shape], lambda x: torch.nn.Upsample(**kwargs)(x), lambda x: nn.Upsample(**kwargs)(x))


def test_interpolate_gradcheck():
    x = minigrad.tensor(RNG.normal(size=(1, 2, 3, 4)), requires_grad=True)
    assert minigrad.gradcheck(lambda a: F.interpolate(a, scale_factor=2), (x,))
    assert minigrad.gradcheck(lambda a: F.interpolate(a, size=(2, 3)), (x,))
    assert gradgradcheck(lambda a: F.interpolate(a, scale_factor=2), (x,))
    assert gradgradcheck(lambda a: F.interpolate(a, size=(2, 3)), (x,))


INTERP_ERRORS = [
    ((1, 1, 5, 7), {"size": 3, "scale_factor": 2}, ValueError, "only one of size or scale_factor should be defined"),
    ((1, 1, 5, 7), {}, ValueError, "either size or scale_factor should be defined"),
    ((1, 1, 5, 7), {"size": (0, 2)}, RuntimeError,
     "Input and output sizes should be greater than 0, but got input (H: 5, W: 7) output (H: 0, W: 2)"),
    ((4,), {"size": 2}, NotImplementedError, "Only 3D, 4D and 5D input Tensors supported (got 1D)"),
    ((1, 1, 5, 7), {"size": (1, 2, 3)}, ValueError, "output size of (1, 2, 3). Please provide"),
    ((1, 1, 5, 7), {"scale_factor": (1, 2, 3)}, ValueError, "scale_factor of shape (1, 2, 3). Please provide"),
]


@pytest.mark.parametrize("shape,kwargs,exc,msg", INTERP_ERRORS)
def test_interpolate_errors(shape, kwargs, exc, msg):
    with pytest.raises(exc) as info:
        F.interpolate(minigrad.zeros(*shape), **kwargs)
    assert msg in str(info.value)
    if torch is not None:
        with pytest.raises(exc) as info:
            torch.nn.functional.interpolate(torch.zeros(*shape), **kwargs)
        assert msg in str(info.value)
    with pytest.raises(NotImplementedError, match="only 'nearest'"):
        F.interpolate(minigrad.zeros(1, 1, 4, 4), scale_factor=2, mode="bilinear")


@pytest.mark.parametrize("expr", ["Upsample(scale_factor=2)", "Upsample(size=(3, 4))",
                                  "Upsample(scale_factor=(2, 3))", "UpsamplingNearest2d(scale_factor=2)"])
def test_upsample_repr(expr):
    ours = repr(eval("nn." + expr))
    if torch is not None:
        assert ours == repr(eval("torch.nn." + expr))
    assert ours.startswith(expr.split("(")[0]) and "mode='nearest'" in ours
