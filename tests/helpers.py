"""Test helpers: one-line parity checks against NumPy references and torch, exception parity,
kernel vs reference.

check_op([(2, 3, 8, 8)], lambda x: torch.nn.functional.max_pool2d(x, 2),
                         lambda x: F.max_pool2d(x, 2))
"""
import numpy as np
import pytest

import minigrad

try:
    import torch
    HAVE_TORCH = True
except ImportError:  # the package never needs torch; parity tests skip without it
    torch = None
    HAVE_TORCH = False

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (pip install torch==2.13.0)")


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _compare(name, got, want, atol, rtol, against="torch"):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{name}: shape mismatch: minigrad={got.shape} | {against}={want.shape}"
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want, err_msg=f"{name}: integer values differ from {against}")
    else:
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=f"{name} vs {against}", equal_nan=True)


def _grad_or_none(t):
    return None if t.grad is None else t.grad.numpy()


def _compare_grads(m_grads, want_grads, atol, rtol, against):
    for i, (m, w) in enumerate(zip(m_grads, want_grads)):
        if w is None:
            assert m is None or not np.any(m), f"backward, input {i}: {against} has no grad"
            continue
        assert m is not None, f"backward, input {i}: minigrad computed no gradient"
        _compare(f"backward, input {i}", m, w, atol, rtol, against)


def check_op(shapes, torch_fn, mg_fn=None, *, ref=None, vals=None, low=-2.0, high=2.0, dtype=np.float32,
             atol=1e-6, rtol=1e-5, grad_atol=1e-5, grad_rtol=1e-4, forward_only=False, seed=0):
    """Run mg_fn on seeded inputs; compare outputs (shape, dtype, values; integer outputs exactly)
    and every input's gradient under a fixed random, non-uniform cotangent with
    - `ref`, a NumPy reference (tests/reference_nn.py) called on `Ref` inputs, always, and
    - torch_fn on the same inputs, when torch is importable.
    Skips only when there is neither."""
    if not HAVE_TORCH and ref is None:
        pytest.skip("torch not installed (pip install torch==2.13.0), and this op has no NumPy reference")
    mg_fn = mg_fn or torch_fn
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(v, dtype=dtype) for v in vals] if vals is not None else \
        [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]
    m_in = [minigrad.tensor(a.copy(), requires_grad=not forward_only) for a in arrays]
    m_out = _as_tuple(mg_fn(*m_in))
    if HAVE_TORCH:
        t_in = [torch.tensor(a, requires_grad=not forward_only) for a in arrays]
        t_out = _as_tuple(torch_fn(*t_in))
        assert len(t_out) == len(m_out), f"number of outputs: minigrad={len(m_out)} | torch={len(t_out)}"
        for i, (m, t) in enumerate(zip(m_out, t_out)):
            assert str(m.dtype).replace("minigrad.", "") == str(t.dtype).replace("torch.", "").replace("long", "int64"), \
                f"forward, output {i}: dtype minigrad={m.dtype} | torch={t.dtype}"
            _compare(f"forward, output {i}", m.detach().numpy(), t.detach().numpy(), atol, rtol)
    if ref is not None:
        import reference_nn
        r_in = [reference_nn.Ref(a.copy()) for a in arrays]
        r_out = _as_tuple(ref(*r_in))
        assert len(r_out) == len(m_out), f"number of outputs: minigrad={len(m_out)} | NumPy={len(r_out)}"
        for i, (m, r) in enumerate(zip(m_out, r_out)):
            assert m.dtype == r.dtype, f"forward, output {i}: dtype minigrad={m.dtype} | NumPy={r.dtype}"
            _compare(f"forward, output {i}", m.detach().numpy(), r.value, atol, rtol, "NumPy")
    if forward_only:
        return m_out
    diff = [i for i, m in enumerate(m_out) if m.requires_grad]
    if HAVE_TORCH:
        t_diff = [i for i, t in enumerate(t_out) if t.dtype.is_floating_point and t.requires_grad]
        assert diff == t_diff, f"differentiable outputs: minigrad={diff} | torch={t_diff}"
    cotangents = [rng.uniform(0.5, 1.5, size=m_out[i].shape).astype(dtype) for i in diff]
    m_loss = None
    for i, c in zip(diff, cotangents):
        term = (m_out[i] * minigrad.tensor(c)).sum()
        m_loss = term if m_loss is None else m_loss + term
    if m_loss is not None:
        m_loss.backward()
    m_grads = [_grad_or_none(m) for m in m_in]
    if HAVE_TORCH:
        torch.autograd.backward([t_out[i] for i in diff], [torch.tensor(c) for c in cotangents])
        _compare_grads(m_grads, [_grad_or_none(t) for t in t_in], grad_atol, grad_rtol, "torch")
    if ref is not None:
        want = reference_nn.vjp([r_out[i] for i in diff], cotangents, r_in)
        _compare_grads(m_grads, want, grad_atol, grad_rtol, "NumPy")
    return m_out


def check_raises(shapes, torch_fn, mg_fn, exc, match=None, dtype=np.float32):
    """Both libraries raise `exc` (same class) on the same input; `match` is checked on minigrad's message."""
    arrays = [np.zeros(s, dtype=dtype) for s in shapes]
    if HAVE_TORCH:
        with pytest.raises(exc):
            torch_fn(*[torch.tensor(a) for a in arrays])
    with pytest.raises(exc, match=match):
        mg_fn(*[minigrad.tensor(a) for a in arrays])


def check_kernel(kernel, reference, *arrays, rtol=None, atol=0.0):
    """Compare a minigrad._C kernel's outputs with its NumPy reference (exact for integers)."""
    got, want = _as_tuple(kernel(*arrays)), _as_tuple(reference(*arrays))
    for i, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        if rtol is None and g.dtype.kind == "f":
            rtol_i = 1e-6 if g.dtype == np.float32 else 1e-12
        else:
            rtol_i = rtol or 0
        _compare(f"kernel output {i}", g, w, atol, rtol_i)


def check_raises_both(fn, exc, match=None):
    """fn(lib) raises `exc` with lib = minigrad (its message matching `match`) and, when
    installed, with lib = torch: the same call written once for both libraries."""
    with pytest.raises(exc, match=match):
        fn(minigrad)
    if HAVE_TORCH:
        with pytest.raises(exc):
            fn(torch)


def check_second_order(shapes, fn, *, vals=None, low=-2.0, high=2.0, seed=0, rtol=1e-7, atol=1e-10):
    """Second derivatives vs torch, in float64, with fn written once for both libraries:
    g = grad(fn(x), x, v, create_graph=True) for random cotangents v, then the gradient of
    <g, w> (random w) w.r.t. x and v. The first-order g is compared too. Skips without torch."""
    if not HAVE_TORCH:
        pytest.skip("torch not installed (pip install torch==2.13.0)")
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(v, dtype=np.float64) for v in vals] if vals is not None else \
        [rng.uniform(low, high, size=s) for s in shapes]
    out_shapes = [o.shape for o in _as_tuple(fn(minigrad, *[minigrad.tensor(a) for a in arrays]))
                  if o.dtype.is_floating_point]
    vs = [rng.standard_normal(s) for s in out_shapes]
    ws = [rng.standard_normal(a.shape) for a in arrays]

    def run(lib):
        xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        outs = [o for o in _as_tuple(fn(lib, *xs)) if o.dtype.is_floating_point]
        cots = [lib.tensor(v, requires_grad=True) for v in vs]
        first = lib.autograd.grad(outs, xs, cots, create_graph=True, allow_unused=True)
        terms = [(g * lib.tensor(w)).sum() for g, w in zip(first, ws) if g is not None and g.requires_grad]
        second = [None] * (len(xs) + len(cots))
        if terms:
            second = lib.autograd.grad(sum(terms), xs + cots, allow_unused=True)
        # force: torch may answer a ZeroTensor, whose numpy() refuses without it
        return [None if g is None else g.detach().numpy(force=True) for g in (*first, *second)]

    for i, (m, t) in enumerate(zip(run(minigrad), run(torch))):
        m = np.zeros_like(t) if m is None and t is not None else m
        t = np.zeros_like(m) if t is None and m is not None else t
        if m is not None:
            stage = "first derivative" if i < len(arrays) else "second derivative"
            _compare(f"{stage}, gradient {i}", m, t, atol, rtol)


def first_derivative(f):
    """x -> the gradient of f(x).sum(), recorded (create_graph=True): gradgradcheck on it checks
    the third derivatives of f."""
    def df(x):
        with minigrad.enable_grad():      # gradcheck's finite differences run under no_grad
            return minigrad.autograd.grad(f(x).sum(), x, create_graph=True)[0]
    return df
