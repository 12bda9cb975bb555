"""Properties of the fused optimizer updates (SGD with momentum/dampening/nesterov/weight decay/
maximize; Adam and AdamW with amsgrad) over random shapes, hyper-parameters, dtypes and
parameter layouts: 1-3 steps equal tests/reference_optim.py's equations (and torch.optim)."""
import numpy as np
from hypothesis import example, given, strategies as st

import minigrad
from minigrad import nn, optim
import reference_optim as RO
from prop_helpers import dtypes, laid_out, layouts, seeds, torch

shapes = st.lists(st.integers(0, 7), max_size=3).map(tuple)
lrs = st.sampled_from([0.0, 1e-3, 0.1, 1.0])


@st.composite
def sgd_args(draw):
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
    dampening = draw(st.sampled_from([0.0, 0.3]))
    nesterov = momentum > 0 and dampening == 0 and draw(st.booleans())
    return dict(lr=draw(lrs), momentum=momentum, dampening=dampening, nesterov=nesterov,
                weight_decay=draw(st.sampled_from([0.0, 1e-2, 0.5])), maximize=draw(st.booleans()))


@st.composite
def adam_args(draw):
    return dict(lr=draw(lrs), betas=draw(st.sampled_from([(0.9, 0.999), (0.0, 0.5), (0.5, 0.0)])),
                eps=draw(st.sampled_from([1e-8, 1e-3])), weight_decay=draw(st.sampled_from([0.0, 1e-2, 0.5])),
                amsgrad=draw(st.booleans()), maximize=draw(st.booleans()))


def _run(name, args, shape, dtype, layout, steps, seed):
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-1, 1, size=shape).astype(dtype)
    grads = [rng.uniform(-1, 1, size=shape).astype(dtype) for _ in range(steps)]
    p = nn.Parameter(minigrad.tensor(p0.copy()))
    opt = getattr(optim, name)([p], **args)
    if layout != "contiguous":          # p.data swapped for a strided view after construction
        p.data = minigrad.from_numpy(laid_out(p0, layout))
    ref, want = getattr(RO, name)(**args), p0.astype(np.float64)
    for g in grads:
        p.grad = minigrad.tensor(g)
        opt.step()
        want = ref.step(want, g.astype(np.float64))
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    got = p.detach().numpy()
    assert got.dtype == dtype and got.shape == shape
    np.testing.assert_allclose(got, want, **tol)
    if torch is not None:
        tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
        topt = getattr(torch.optim, name)([tp], **args)
        for g in grads:
            tp.grad = torch.from_numpy(g)
            topt.step()
        np.testing.assert_allclose(got, tp.detach().numpy(), **tol)


@given(args=sgd_args(), shape=shapes, dtype=dtypes, layout=layouts, steps=st.integers(1, 3), seed=seeds)
@example(args=dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False),
         shape=(3, 2), dtype=np.float64, layout="transposed", steps=2, seed=0)   # was a silent no-op
def test_sgd(args, shape, dtype, layout, steps, seed):
    _run("SGD", args, shape, dtype, layout, steps, seed)


@given(name=st.sampled_from(["Adam", "AdamW"]), args=adam_args(), shape=shapes, dtype=dtypes, layout=layouts,
       steps=st.integers(1, 3), seed=seeds)
@example(name="Adam", args=dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=True,
                                maximize=False), shape=(3, 2), dtype=np.float64, layout="flipped", steps=2, seed=0)
def test_adam(name, args, shape, dtype, layout, steps, seed):
    _run(name, args, shape, dtype, layout, steps, seed)
