"""Adadelta, RMSprop, Adagrad: 10-step parity with torch over the option grid, a NumPy re-statement of
torch's equations (runs without torch), hand-computed first steps, state-dict round trips, errors."""
import inspect

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import optim
from tests.helpers import needs_torch, torch

SHAPES = [(3, 4), (5,)]


# ***** NumPy re-statements of torch's pseudo-code (docs.pytorch.org/docs/stable/generated/torch.optim.*) *****

def _g(p, grad, kw):
    g = -grad if kw.get("maximize") else grad
    return g + kw.get("weight_decay", 0) * p


def ref_adadelta(p, grad, state, kw):
    lr, rho, eps = kw.get("lr", 1.0), kw.get("rho", 0.9), kw.get("eps", 1e-6)
    g = _g(p, grad, kw)
    v = state.get("v", np.zeros_like(p)) * rho + (1 - rho) * g * g
    u = state.get("u", np.zeros_like(p))
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    state["v"], state["u"] = v, u * rho + (1 - rho) * delta * delta
    return p - lr * delta


def ref_rmsprop(p, grad, state, kw):
    lr, alpha, eps = kw.get("lr", 0.01), kw.get("alpha", 0.99), kw.get("eps", 1e-8)
    mom = kw.get("momentum", 0)
    g = _g(p, grad, kw)
    v = state["v"] = alpha * state.get("v", np.zeros_like(p)) + (1 - alpha) * g * g
    vt = v
    if kw.get("centered"):
        ga = state["ga"] = alpha * state.get("ga", np.zeros_like(p)) + (1 - alpha) * g
        vt = v - ga * ga
    if mom > 0:
        b = state["b"] = mom * state.get("b", np.zeros_like(p)) + g / (np.sqrt(vt) + eps)
        return p - lr * b
    return p - lr * g / (np.sqrt(vt) + eps)


def ref_adagrad(p, grad, state, kw):
    lr, eps = kw.get("lr", 0.01), kw.get("eps", 1e-10)
    t = state["t"] = state.get("t", 0) + 1
    g = _g(p, grad, kw)
    clr = lr / (1 + (t - 1) * kw.get("lr_decay", 0))
    s = state["s"] = state.get("s", np.full_like(p, kw.get("initial_accumulator_value", 0))) + g * g
    return p - clr * g / (np.sqrt(s) + eps)


GRID = {
    "Adadelta": (ref_adadelta, [dict(), dict(lr=0.5, rho=0.8, eps=1e-4), dict(weight_decay=0.1),
                                dict(maximize=True), dict(lr=0.3, weight_decay=0.05, maximize=True)]),
    "RMSprop": (ref_rmsprop, [dict(), dict(lr=0.02, alpha=0.9, eps=1e-6), dict(weight_decay=0.1),
                              dict(maximize=True), dict(momentum=0.9), dict(centered=True),
                              dict(centered=True, momentum=0.5, weight_decay=0.01, maximize=True),
                              dict(alpha=0.3, centered=True)]),   # alpha < 0.5: lerp's other formula
    "Adagrad": (ref_adagrad, [dict(), dict(lr=0.1, eps=1e-6), dict(lr_decay=0.1), dict(weight_decay=0.1),
                              dict(initial_accumulator_value=0.5), dict(maximize=True),
                              dict(lr=0.2, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.1,
                                   maximize=True)]),
}
CASES = [(name, kw) for name, (_, kws) in GRID.items() for kw in kws]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def grads_for(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def run_minigrad(name, kw, w0, grads, opt=None, params=None):
    params = params or [nn.Parameter(w.copy()) for w in w0]
    opt = opt or getattr(optim, name)(params, **kw)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = minigrad.tensor(g.astype(p.detach().numpy().dtype))
        opt.step()
    return [p.detach().numpy() for p in params], opt


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_ten_steps_match_numpy_restatement(name, kw):
    ref = GRID[name][0]
    w0, grads = make_params(), grads_for(10)
    got, _ = run_minigrad(name, kw, w0, grads)
    want, states = [w.copy() for w in w0], [{} for _ in w0]
    for gs in grads:
        want = [ref(p, g, s, kw) for p, g, s in zip(want, gs, states)]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_ten_steps_match_torch(name, kw):
    w0, grads = make_params(), grads_for(10)
    got, mo = run_minigrad(name, kw, w0, grads)
    tparams = [torch.tensor(w.copy(), requires_grad=True) for w in w0]
    to = getattr(torch.optim, name)(tparams, **kw)
    for gs in grads:
        for p, g in zip(tparams, gs):
            p.grad = torch.tensor(g)
        to.step()
    for a, b in zip(got, tparams):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    # the state dict reads like torch's: same group keys and values, same state keys and buffers
    msd, tsd = mo.state_dict(), to.state_dict()
    assert msd["param_groups"] == tsd["param_groups"]
    for i in range(len(SHAPES)):
        assert list(msd["state"][i]) == list(tsd["state"][i])
        assert msd["state"][i]["step"] == tsd["state"][i]["step"].item() == 10
        for key, buf in tsd["state"][i].items():
            if key != "step":
                np.testing.assert_allclose(msd["state"][i][key], buf.numpy(), rtol=1e-12, atol=1e-14)


# ***** hand-computed first steps (always run) *****

def one_step(cls, grad, **kw):
    p = nn.Parameter(np.array([1.0, -2.0]))
    opt = cls([p], **kw)
    p.grad = minigrad.tensor(np.array(grad))
    opt.step()
    return p.detach().numpy(), opt.state[p]


def test_adadelta_first_step_by_hand():
    got, state = one_step(optim.Adadelta, [2.0, 0.0], lr=1.0, rho=0.5, eps=0.25)
    # v = 0.5 * 4 = 2 ; delta = sqrt(0.25) / sqrt(2.25) * 2 = 2/3 ; u = 0.5 * 4/9
    np.testing.assert_allclose(got, [1.0 - 2 / 3, -2.0], rtol=1e-15)
    np.testing.assert_allclose(state["square_avg"], [2.0, 0.0])
    np.testing.assert_allclose(state["acc_delta"], [2 / 9, 0.0], rtol=1e-15)


def test_rmsprop_first_steps_by_hand():
    got, state = one_step(optim.RMSprop, [2.0, -1.0], lr=0.1, alpha=0.75, eps=0.0, momentum=0.5, centered=True)
    # v = 0.25 * g**2 = [1, 0.25] ; grad_avg = 0.25 * g = [0.5, -0.25] ; avg = sqrt(v - grad_avg**2) ; buf = g / avg
    avg = np.sqrt([0.75, 0.1875])
    np.testing.assert_allclose(got, [1.0 - 0.1 * 2 / avg[0], -2.0 + 0.1 / avg[1]], rtol=1e-15)
    np.testing.assert_allclose(state["momentum_buffer"], [2 / avg[0], -1 / avg[1]], rtol=1e-15)
    assert list(state) == ["step", "square_avg", "momentum_buffer", "grad_avg"]


def test_adagrad_first_steps_by_hand():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.Adagrad([p], lr=0.5, lr_decay=1.0, initial_accumulator_value=5.0, eps=0.0)
    assert opt.state[p]["step"] == 0 and opt.state[p]["sum"].tolist() == [5.0]   # state exists before step 1
    p.grad = minigrad.tensor(np.array([2.0]))
    opt.step()                                  # sum = 9 ; p = 1 - 0.5 * 2 / 3
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 1 / 3], rtol=1e-15)
    opt.step()                                  # clr = 0.5 / 2 ; sum = 13
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 1 / 3 - 0.25 * 2 / np.sqrt(13)], rtol=1e-15)


# ***** state dicts, gradients left alone, float32, skipped parameters *****

@pytest.mark.parametrize("name,kw", [CASES[2], CASES[11], CASES[-1]], ids=[IDS[2], IDS[11], IDS[-1]])
def test_state_dict_round_trip_continues_identically(name, kw):
    w0, grads = make_params(), grads_for(10)
    straight, _ = run_minigrad(name, kw, w0, grads)
    half, opt = run_minigrad(name, kw, w0, grads[:5])
    saved = opt.state_dict()
    buffer_at_5 = saved["state"][0][BUFFER[name]].copy()
    params = [nn.Parameter(w.copy()) for w in half]
    fresh = getattr(optim, name)(params, lr=123.0)      # the loaded groups bring back the real lr
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kw.get("lr", DEFAULT_LR[name])
    resumed, _ = run_minigrad(name, kw, None, grads[5:], opt=fresh, params=params)
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a, b)
    # neither optimizer writes into the saved dict
    run_minigrad(name, kw, None, grads[5:], opt=opt, params=opt.param_groups[0]["params"])
    assert saved["state"][0]["step"] == 5
    np.testing.assert_array_equal(saved["state"][0][BUFFER[name]], buffer_at_5)


DEFAULT_LR = {"Adadelta": 1.0, "RMSprop": 0.01, "Adagrad": 0.01}
BUFFER = {"Adadelta": "square_avg", "RMSprop": "square_avg", "Adagrad": "sum"}


@pytest.mark.parametrize("name,kw", [CASES[4], CASES[6], CASES[-1]], ids=[IDS[4], IDS[6], IDS[-1]])
def test_gradient_is_not_modified_and_float32_stays_float32(name, kw):
    p = nn.Parameter(np.array([[0.5, -1.0], [2.0, 3.0]], dtype=np.float32))
    g = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)
    p.grad = minigrad.tensor(g.copy())
    opt = getattr(optim, name)([p], **kw)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.grad.numpy(), g)
    assert p.detach().numpy().dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("cls", [optim.Adadelta, optim.RMSprop])
def test_parameters_without_grad_are_skipped(cls):
    a, b = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([2.0]))
    opt = cls([a, b])
    a.grad = minigrad.tensor(np.array([1.0]))
    opt.step()
    assert b.detach().numpy()[0] == 2.0 and b not in opt.state and opt.state[a]["step"] == 1


# ***** errors and signatures *****

BAD = [
    (optim.Adadelta, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
    (optim.Adadelta, dict(rho=-0.1), "Invalid rho value: -0.1"),
    (optim.Adadelta, dict(eps=-1e-3), "Invalid epsilon value: -0.001"),
    (optim.Adadelta, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.RMSprop, dict(lr=-0.5), "Invalid learning rate: -0.5"),
    (optim.RMSprop, dict(eps=-1), "Invalid epsilon value: -1"),
    (optim.RMSprop, dict(momentum=-1), "Invalid momentum value: -1"),
    (optim.RMSprop, dict(weight_decay=-2), "Invalid weight_decay value: -2"),
    (optim.RMSprop, dict(alpha=-0.9), "Invalid alpha value: -0.9"),
    (optim.Adagrad, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    (optim.Adagrad, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (optim.Adagrad, dict(eps=-1), "Invalid epsilon value: -1"),
    (optim.Adagrad, dict(lr=float("nan")), "Invalid learning rate: nan"),
]


@pytest.mark.parametrize("cls,kw,msg", BAD, ids=[f"{c.__name__}-{m}" for c, _, m in BAD])
def test_bad_arguments_raise_like_torch(cls, kw, msg):
    with pytest.raises(ValueError) as err:
        cls([nn.Parameter(np.ones(2))], **kw)
    assert str(err.value) == msg
    if torch is not None:
        with pytest.raises(ValueError) as terr:
            getattr(torch.optim, cls.__name__)([torch.ones(2, requires_grad=True)], **kw)
        assert str(terr.value) == msg


def test_adagrad_fused_conflicts_and_empty_params():
    p = [nn.Parameter(np.ones(2))]
    with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
        optim.Adagrad(p, fused=True, differentiable=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
        optim.Adagrad(p, fused=True, foreach=True)
    for cls in (optim.Adadelta, optim.RMSprop, optim.Adagrad):
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            cls([])


ALL = ["Adadelta", "RMSprop", "Adagrad", "SGD", "Adam", "AdamW"]


@needs_torch
@pytest.mark.parametrize("name", ALL)
def test_signature_and_group_keys_match_torch(name):
    def params(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    assert params(getattr(optim, name)) == params(getattr(torch.optim, name))
    mine = getattr(optim, name)([nn.Parameter(np.ones(2))], lr=0.1)
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], lr=0.1)
    assert list(mine.param_groups[0]) == list(theirs.param_groups[0])
    assert mine.defaults == theirs.defaults


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_implementation_switches_are_checked_like_torch(name):
    p = [nn.Parameter(np.ones(2))]
    with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
        getattr(optim, name)(p, fused=True, differentiable=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
        getattr(optim, name)(p, fused=True, foreach=True)
    getattr(optim, name)(p, lr=0.1, foreach=False, differentiable=False, fused=False)


def test_adam_decoupled_weight_decay_is_adamw():
    w0, grads = make_params(), grads_for(5)
    kw = dict(lr=0.05, weight_decay=0.3)
    a, _ = run_minigrad("Adam", dict(kw, decoupled_weight_decay=True), w0, grads)
    b, _ = run_minigrad("AdamW", kw, w0, grads)
    c, _ = run_minigrad("Adam", kw, w0, grads)
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        assert not np.allclose(x, z)
