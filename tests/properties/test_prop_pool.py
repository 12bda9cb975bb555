"""Properties of max_pool2d, avg_pool2d and max_unpool2d over random shapes, arguments, dtypes
and memory layouts: what the functional layer accepts equals reference_nn (values, indices,
gradients) and torch; what torch's rules (SPEC §1) reject raises RuntimeError."""
import numpy as np
import pytest
from hypothesis import event, example, given, strategies as st

import minigrad
import minigrad.nn.functional as F
import reference_nn as RN
from prop_helpers import as_pair as _hw, as_tensor, dtypes, layouts, seeds, torch, value_kinds, values

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")    # the references' inf - inf on specials

# k up to 5 on planes up to 9: kernels larger than the plane, 1x1 planes and primes all occur.
shapes = st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.booleans())
pairs = lambda lo, hi: st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def geometry(draw, max_k=5, max_s=4, max_d=3):
    """(kernel_size, stride, padding, dilation) as ints or pairs: padding mostly <= kernel // 2
    (torch's limit), sometimes one more (a rejection)."""
    kh, kw = draw(st.integers(1, max_k)), draw(st.integers(1, max_k))
    over = draw(st.integers(0, 3)) == 0
    ph, pw = (draw(st.integers(0, k // 2 + over)) for k in (kh, kw))
    dh, dw = (draw(st.sampled_from([1, 1, 2, 3][:max_d + 1])) for _ in range(2))
    stride = draw(st.one_of(st.none(), pairs(1, max_s)))
    pair = lambda a, b: draw(st.sampled_from([(a, b), [a, b]])) if a != b or draw(st.booleans()) else a
    return pair(kh, kw), stride, pair(ph, pw), pair(dh, dw)


def _out_len(L, k, s, p, d, ceil):
    out = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= L + p:
        out -= 1
    return out


def torch_pool_valid(H, W, kernel, stride, padding, dilation, ceil):
    """torch 2.13's rules for positive k, s, d (SPEC §1 rows c, d, i, j)."""
    for L, k, s, p, d in zip((H, W), kernel, stride, padding, dilation):
        if p > ((k - 1) * d + 1) // 2 or p > k // 2 or _out_len(L, k, s, p, d, ceil) < 1:
            return False
    return True


def _shape(N, C, H, W, batched):
    return (N, C, H, W) if batched else (C, H, W)


def _grads_vs_reference(out, ref_out, x_t, x_ref, rng, dtype, rtol):
    c = rng.uniform(0.5, 1.5, size=out.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    want, = RN.vjp([ref_out], [c], [x_ref])
    np.testing.assert_allclose(x_t.grad.numpy(), want, rtol=rtol, atol=rtol)
    return c


@given(shape=shapes, geom=geometry(), ceil=st.booleans(), dtype=dtypes, layout=layouts, kind=value_kinds,
       seed=seeds)
@example(shape=(1, 1, 2, 2, True), geom=(2, 1, 1, 3), ceil=False, dtype=np.float32, layout="contiguous",
         kind="uniform", seed=0)                        # windows with no in-bounds tap (torch #114216)
def test_max_pool2d(shape, geom, ceil, dtype, layout, kind, seed):
    N, C, H, W, batched = shape
    kernel, stride, padding, dilation = geom
    rng = np.random.default_rng(seed)
    x = values(rng, _shape(N, C, H, W, batched), dtype, kind)
    k, p, d = _hw(kernel), _hw(padding), _hw(dilation)
    s = k if stride is None else _hw(stride)
    xt = as_tensor(x, layout, requires_grad=True)
    args = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil)
    valid = torch_pool_valid(H, W, k, s, p, d, ceil)
    if torch is not None:
        try:
            t_out, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x.copy()), return_indices=True, **args)
        except RuntimeError:
            t_out = None
        assert (t_out is not None) == valid, "the test's validity rule disagrees with torch"
    event("valid" if valid else "rejected")
    if not valid:
        with pytest.raises(RuntimeError):
            F.max_pool2d(xt, **args)
        return
    out, idx = F.max_pool2d(xt, return_indices=True, **args)
    xr = RN.Ref(x)
    ref_out, ref_idx = RN.max_pool2d(xr, **args, return_indices=True)
    assert out.dtype == dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(out.detach().numpy(), ref_out.value)
    np.testing.assert_array_equal(idx.numpy(), ref_idx.value)
    c = _grads_vs_reference(out, ref_out, xt, xr, rng, dtype, 1e-6 if dtype == np.float32 else 1e-12)
    if torch is not None:
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
        np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
        if idx.numel() and (idx.numpy().min() >= 0 and idx.numpy().max() < H * W):   # else torch writes OOB
            tx = torch.from_numpy(x.copy()).requires_grad_(True)
            torch.nn.functional.max_pool2d(tx, **args).backward(torch.from_numpy(c))
            np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@given(shape=shapes, geom=geometry(max_d=1), ceil=st.booleans(), count_include_pad=st.booleans(),
       divisor_override=st.one_of(st.none(), st.sampled_from([-3, -1, 1, 2, 5])), dtype=dtypes, layout=layouts,
       kind=value_kinds, seed=seeds)
def test_avg_pool2d(shape, geom, ceil, count_include_pad, divisor_override, dtype, layout, kind, seed):
    N, C, H, W, batched = shape
    kernel, stride, padding, _ = geom
    rng = np.random.default_rng(seed)
    x = values(rng, _shape(N, C, H, W, batched), dtype, kind)
    k, p = _hw(kernel), _hw(padding)
    s = k if stride is None else _hw(stride)
    xt = as_tensor(x, layout, requires_grad=True)
    args = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil,
                count_include_pad=count_include_pad, divisor_override=divisor_override)
    valid = torch_pool_valid(H, W, k, s, p, (1, 1), ceil)
    t_out = None
    if torch is not None:
        try:
            t_out = torch.nn.functional.avg_pool2d(torch.from_numpy(x.copy()), **args)
        except RuntimeError:
            pass
        assert (t_out is not None) == valid, "the test's validity rule disagrees with torch"
    event("valid" if valid else "rejected")
    if not valid:
        with pytest.raises(RuntimeError):
            F.avg_pool2d(xt, **args)
        return
    out = F.avg_pool2d(xt, **args)
    xr = RN.Ref(x)
    ref_out = RN.avg_pool2d(xr, **args)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    assert out.dtype == dtype
    np.testing.assert_allclose(out.detach().numpy(), ref_out.value, rtol=tol, atol=tol)
    c = _grads_vs_reference(out, ref_out, xt, xr, rng, dtype, tol)
    if t_out is not None:
        np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
        tx = torch.from_numpy(x.copy()).requires_grad_(True)
        torch.nn.functional.avg_pool2d(tx, **args).backward(torch.from_numpy(c))
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@given(shape=shapes, kernel=pairs(1, 4), stride=st.one_of(st.none(), pairs(1, 3)), padding=pairs(0, 1),
       grow=st.tuples(*[st.sampled_from([0, 0, 0, 1, -1, 2, -2])] * 2), explicit=st.booleans(),
       index_kind=st.sampled_from(["pool", "random", "bad"]), dtype=dtypes, layout=layouts, seed=seeds)
def test_max_unpool2d(shape, kernel, stride, padding, grow, explicit, index_kind, dtype, layout, seed):
    N, C, H, W, batched = shape
    rng = np.random.default_rng(seed)
    lead = (N, C) if batched else (C,)
    x = values(rng, lead + (H, W), dtype)
    k, p = _hw(kernel), _hw(padding)
    s = k if stride is None else _hw(stride)
    default = [(L - 1) * s_ - 2 * p_ + k_ for L, s_, p_, k_ in zip((H, W), s, p, k)]
    out_hw = [dflt + g for dflt, g in zip(default, grow)] if explicit else default
    size_ok = all(o >= 0 for o in out_hw) and (not explicit or all(
        dflt - s_ < o < dflt + s_ for dflt, s_, o in zip(default, s, out_hw)))
    n_out = max(out_hw[0], 0) * max(out_hw[1], 0)
    planes = int(np.prod(lead))
    if index_kind == "pool" and n_out >= H * W:     # unique per plane, as max_pool2d makes them
        idx = np.array([rng.permutation(n_out)[:H * W] for _ in range(planes)]).reshape(planes, H * W)
    else:                                   # duplicates; "bad" adds one index outside the plane
        idx = rng.integers(0, max(n_out, 1), size=(planes, H * W))
        if index_kind == "bad" and idx.size:
            idx.flat[rng.integers(idx.size)] = rng.choice([-1, n_out, n_out + 7])
    idx = idx.reshape(lead + (H, W)).astype(np.int64)
    in_range = idx.size == 0 or (idx.min() >= 0 and idx.max() < n_out)
    xt = as_tensor(x, layout, requires_grad=True)
    it = as_tensor(idx, layout)
    args = dict(kernel_size=kernel, stride=stride, padding=padding, output_size=out_hw if explicit else None)
    event("bad output_size" if not size_ok else "index out of range" if not in_range else "valid")
    if not size_ok:
        with pytest.raises(ValueError):
            F.max_unpool2d(xt, it, **args)
        return
    if not in_range:
        with pytest.raises(RuntimeError, match="invalid max index"):
            F.max_unpool2d(xt, it, **args)
        return
    out = F.max_unpool2d(xt, it, **args)
    xr = RN.Ref(x)
    ref_out = RN.max_unpool2d(xr, RN.Ref(idx), **args)
    assert out.shape == ref_out.shape and out.dtype == dtype
    np.testing.assert_array_equal(out.detach().numpy(), ref_out.value)
    c = rng.uniform(0.5, 1.5, size=out.shape).astype(dtype)
    (out * minigrad.tensor(c)).sum().backward()
    want = RN.vjp([ref_out], [c], [xr])[0]
    np.testing.assert_array_equal(xt.grad.numpy(), want.astype(dtype))
    unique = all(len(set(plane.ravel())) == plane.size for plane in idx.reshape(-1, H * W))
    if torch is not None and unique and N > 0:     # torch's scatter of duplicates is nondeterministic
        t_out = torch.nn.functional.max_unpool2d(torch.from_numpy(x.copy()), torch.from_numpy(idx.copy()), **args)
        np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())


BAD_VALUES = [0, -1, -3, 2.0, (1, 2, 3), (2, 0), (0, 2), (1, -1), ()]
# torch 2.13 accepts these (with kernel_size=2): stride=() is the default, a negative divisor negates
ACCEPTED = {("stride", ()), ("padding", 0), ("divisor_override", -1), ("divisor_override", -3)}


@given(fn=st.sampled_from(["max_pool2d", "avg_pool2d"]),
       field=st.sampled_from(["kernel_size", "stride", "padding", "dilation", "divisor_override"]),
       bad=st.sampled_from(BAD_VALUES), shape=st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(4, 9),
                                                        st.integers(4, 9), st.booleans()), seed=seeds)
def test_pool_bad_arguments_raise_like_torch(fn, field, bad, shape, seed):
    """One argument out of its domain (zero, negative, float, wrong length): minigrad raises a
    RuntimeError/TypeError/ValueError, the same class as torch when torch raises, and torch's
    result when torch accepts it (e.g. stride=() means the default)."""
    if (fn, field) in (("avg_pool2d", "dilation"), ("max_pool2d", "divisor_override")):
        return
    if field == "divisor_override" and isinstance(bad, tuple):
        return
    N, C, H, W, batched = shape
    x = values(np.random.default_rng(seed), _shape(N, C, H, W, batched), np.float32)
    args = dict(kernel_size=2)
    args[field] = bad
    try:
        got = getattr(F, fn)(minigrad.tensor(x), **args)
        err = None
    except (RuntimeError, TypeError, ValueError) as e:
        got, err = None, e
    accepted = (field, bad) in ACCEPTED
    assert (err is None) == accepted, f"{fn}({field}={bad!r}): {'raised ' + repr(err) if err else 'accepted'}"
    if torch is None:
        return
    try:
        want = getattr(torch.nn.functional, fn)(torch.from_numpy(x), **args)
    except (RuntimeError, TypeError, ValueError, IndexError) as e:
        assert err is not None, f"{fn}({field}={bad!r}): torch raises {type(e).__name__}, minigrad returned"
        assert type(err) is type(e), f"{fn}({field}={bad!r}): {type(err).__name__} vs torch {type(e).__name__}"
        return
    assert err is None, f"{fn}({field}={bad!r}): torch accepts it, minigrad raised {err!r}"
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
