"""Properties of F.conv2d over random shapes, strides, paddings (ints, pairs, 'same', 'valid'),
dilations, groups, bias, dtypes and layouts: reference_nn.conv2d's values and gradients (and
torch's) for what torch accepts; RuntimeError for what torch rejects."""
import numpy as np
import pytest
from hypothesis import event, given, strategies as st

import minigrad
import minigrad.nn.functional as F
import reference_nn as RN
from prop_helpers import as_pair as _hw, as_tensor, dtypes, layouts, seeds, torch

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")    # torch, even kernels

small = lambda lo, hi: st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


def torch_conv_valid(H, W, kernel, stride, padding, dilation):
    if padding == "same" and _hw(stride) != (1, 1):
        return False
    (kh, kw), (dh, dw) = kernel, _hw(dilation)
    if padding in ("same", "valid"):
        pads = (dh * (kh - 1), dw * (kw - 1)) if padding == "same" else (0, 0)
    else:
        pads = tuple(2 * p for p in _hw(padding))
    return H + pads[0] >= dh * (kh - 1) + 1 and W + pads[1] >= dw * (kw - 1) + 1


@given(n=st.integers(0, 3), groups=st.integers(1, 3), cg=st.integers(1, 2), og=st.integers(1, 2),
       hw=st.tuples(st.integers(1, 10), st.integers(1, 10)), kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=small(1, 3), padding=st.one_of(small(0, 2), st.sampled_from(["same", "valid"])), dilation=small(1, 3),
       bias=st.booleans(), unbatched=st.booleans(), dtype=dtypes, layouts=st.tuples(layouts, layouts), seed=seeds)
def test_conv2d(n, groups, cg, og, hw, kernel, stride, padding, dilation, bias, unbatched, dtype, layouts, seed):
    rng = np.random.default_rng(seed)
    H, W = hw
    x = rng.uniform(-1, 1, size=((groups * cg, H, W) if unbatched else (n, groups * cg, H, W))).astype(dtype)
    w = rng.uniform(-1, 1, size=(groups * og, cg) + kernel).astype(dtype)
    b = rng.uniform(-1, 1, size=groups * og).astype(dtype) if bias else None
    xt, wt = as_tensor(x, layouts[0], True), as_tensor(w, layouts[1], True)
    bt = minigrad.tensor(b, requires_grad=True) if bias else None
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    valid = torch_conv_valid(H, W, kernel, stride, padding, dilation)
    if torch is not None:
        tx, tw = (torch.from_numpy(v.copy()).requires_grad_(True) for v in (x, w))
        tb = torch.from_numpy(b.copy()).requires_grad_(True) if bias else None
        try:
            tout = torch.nn.functional.conv2d(tx, tw, tb, **args)
        except RuntimeError:
            tout = None
        assert (tout is not None) == valid, "the test's validity rule disagrees with torch"
    event("valid" if valid else "rejected")
    if not valid:
        with pytest.raises(RuntimeError):
            F.conv2d(xt, wt, bt, **args)
        return
    out = F.conv2d(xt, wt, bt, **args)
    refs = [RN.Ref(x), RN.Ref(w)] + ([RN.Ref(b)] if bias else [])
    ref = RN.conv2d(*refs[:2], refs[2] if bias else None, **args)
    assert out.shape == ref.shape and out.dtype == dtype
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), ref.value, **tol)
    c = rng.uniform(0.5, 1.5, size=out.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    got = [xt.grad, wt.grad] + ([bt.grad] if bias else [])
    for i, (g, want) in enumerate(zip(got, RN.vjp([ref], [c], refs))):
        np.testing.assert_allclose(g.numpy(), want, err_msg=f"grad {i}", **tol)
    if torch is not None:
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
        tout.backward(torch.from_numpy(c))
        for i, (g, t) in enumerate(zip(got, [tx, tw] + ([tb] if bias else []))):
            np.testing.assert_allclose(g.numpy(), t.grad.numpy(), err_msg=f"grad {i} vs torch", **tol)


@pytest.mark.parametrize("bad", ["stride0", "neg_pad", "dil0", "groups0", "groups_mismatch", "pad_str", "dtype",
                                 "bias_shape", "weight_3d", "input_2d"])
def test_conv2d_rejects_invalid_arguments(bad, seed=0):
    """Invalid combinations raise torch's exception class (RuntimeError here), never crash."""
    rng = np.random.default_rng(seed)
    x = minigrad.tensor(rng.standard_normal((2, 4, 6, 6)).astype(np.float32))
    w = minigrad.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32))
    args, b = dict(groups=2), None
    if bad == "stride0":
        args["stride"] = 0
    elif bad == "neg_pad":
        args["padding"] = -1
    elif bad == "dil0":
        args["dilation"] = (1, 0)
    elif bad == "groups0":
        args["groups"] = 0
    elif bad == "groups_mismatch":
        args["groups"] = 3
    elif bad == "pad_str":
        args["padding"] = "full"
    elif bad == "dtype":
        w = minigrad.tensor(w.numpy().astype(np.float64))
    elif bad == "bias_shape":
        b = minigrad.tensor(np.zeros(3, np.float32))
    elif bad == "weight_3d":
        w = minigrad.tensor(w.numpy()[0])
    else:
        x = minigrad.tensor(x.numpy()[0, 0])
    with pytest.raises(RuntimeError):
        F.conv2d(x, w, b, **args)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv2d(torch.from_numpy(x.numpy()), torch.from_numpy(w.numpy()),
                                       None if b is None else torch.from_numpy(b.numpy()), **args)
