"""Optimizers: hand-computed steps, multi-step parity with the NumPy equations and torch, errors, state dicts, schedulers."""
import math

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import optim
import reference_optim as RO
from tests.helpers import HAVE_TORCH, needs_torch, torch


def param(values):
    return nn.Parameter(np.array(values, dtype=np.float64))


def test_sgd_momentum_by_hand():
    p = param([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = minigrad.tensor(np.array([1.0, 1.0]))
    opt.step()                                   # buf = g (no dampening on step 1)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.9])
    opt.step()                                   # buf = 0.9*1 + 0.5*1 = 1.4
    np.testing.assert_allclose(p.detach().numpy(), [0.9 - 0.14, 1.9 - 0.14])
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.4, 1.4])


def test_adam_first_step_by_hand():
    p = param([1.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = minigrad.tensor(np.array([2.0]))
    opt.step()
    # m = 0.2, v = 0.004; mhat = 2, vhat = 4 -> step = 0.1 * 2 / (2 + 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-12)


def test_params_without_grad_are_skipped():
    a, b = param([1.0]), param([2.0])
    opt = optim.SGD([a, b], lr=1.0, momentum=0.9)
    a.grad = minigrad.tensor(np.array([1.0]))
    opt.step()
    assert b.detach().numpy()[0] == 2.0 and b not in opt.state


def test_validation_errors():
    p = [param([1.0])]
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.SGD(p, lr=-0.1)
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        optim.SGD(p, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        optim.SGD(p, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.Adam(p, eps=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        optim.Adam(p, betas=(1.0, 0.999))


def test_zero_grad_sets_none():
    p = param([1.0])
    p.grad = minigrad.tensor(np.array([1.0]))
    optim.SGD([p], lr=0.1).zero_grad()
    assert p.grad is None


CONFIGS = [
    (optim.SGD, torch.optim.SGD if torch else None, dict(lr=0.1)),
    (optim.SGD, torch.optim.SGD if torch else None, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, torch.optim.SGD if torch else None, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, torch.optim.SGD if torch else None, dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    (optim.Adam, torch.optim.Adam if torch else None, dict(lr=0.01)),
    (optim.Adam, torch.optim.Adam if torch else None, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, torch.optim.AdamW if torch else None, dict(lr=0.01)),
    (optim.AdamW, torch.optim.AdamW if torch else None, dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True, maximize=True)),
]


@pytest.mark.parametrize("mg_cls,t_cls,kw", CONFIGS, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CONFIGS)])
def test_ten_steps_match_reference_and_torch(mg_cls, t_cls, kw):
    """Ten steps against the update equations in NumPy, and against torch when installed."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    mp = param(w0.copy())
    mo, ref = mg_cls([mp], **kw), getattr(RO, mg_cls.__name__)(**kw)
    w_ref = w0.copy()
    if HAVE_TORCH:
        tp = torch.tensor(w0.copy(), requires_grad=True)
        to = t_cls([tp], **kw)
    for step in range(10):
        g = rng.standard_normal((3, 4))
        mp.grad = minigrad.tensor(g)
        mo.step()
        w_ref = ref.step(w_ref, g)
        if HAVE_TORCH:
            tp.grad = torch.tensor(g)
            to.step()
    got = mp.detach().numpy()
    assert not np.allclose(got, w0)                      # the steps moved the weights
    np.testing.assert_allclose(got, w_ref, rtol=1e-12, atol=1e-12, err_msg="vs NumPy equations")
    if HAVE_TORCH:
        np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg="vs torch")


def test_param_groups_and_state_dict_round_trip():
    a, b = param([1.0, 2.0]), param([3.0])
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[0]["lr"] == 0.1
    for p in (a, b):
        p.grad = minigrad.tensor(np.ones_like(p.detach().numpy()))
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["state"][0]["step"] == 1
    a2, b2 = param([1.0, 2.0]), param([3.0])
    opt2 = optim.Adam([{"params": [a2]}, {"params": [b2]}], lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.5
    np.testing.assert_array_equal(opt2.state[a2]["exp_avg"], opt.state[a]["exp_avg"])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_step_lr_and_cosine():
    p = param([1.0])
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt = optim.SGD([p], lr=1.0)
    cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    got = []
    for _ in range(5):
        got.append(cos.get_last_lr()[0])
        cos.step()
    want = [0.1 + 0.9 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)]
    np.testing.assert_allclose(got, want)


@needs_torch
def test_schedulers_match_torch():
    for mg_s, t_s, kw in [(optim.lr_scheduler.StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=3, gamma=0.3)),
                          (optim.lr_scheduler.CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
                           dict(T_max=7, eta_min=0.01))]:
        mo = optim.SGD([param([1.0])], lr=0.5)
        to = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        ms, ts = mg_s(mo, **kw), t_s(to, **kw)
        for _ in range(10):
            assert mo.param_groups[0]["lr"] == pytest.approx(to.param_groups[0]["lr"], rel=1e-9)
            to.step()
            ms.step()
            ts.step()


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
                                  lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True)], ids=["sgd", "adamw"])
def test_fused_updates_are_thread_independent_float32(make):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(300_000).astype(np.float32)
    grads = [rng.standard_normal(300_000).astype(np.float32) for _ in range(3)]
    results = []
    for threads in (1, 2):
        minigrad.set_num_threads(threads)
        p = nn.Parameter(w0.copy())
        opt = make([p])
        for g in grads:
            p.grad = minigrad.tensor(g)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].dtype == np.float32


def test_non_contiguous_parameter_is_refused():
    t = minigrad.from_numpy(np.ones((3, 4)).T).requires_grad_()
    with pytest.raises(ValueError, match="not C-contiguous"):
        optim.SGD([t], lr=0.1)
    assert nn.Parameter(np.ones((3, 4)).T).detach().numpy().flags.c_contiguous
