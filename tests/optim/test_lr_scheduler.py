"""LR schedulers: 25-step lr (and momentum) sequences against torch, hand-computed values that run without
torch, get_last_lr, state-dict round trips, ReduceLROnPlateau's patience/cooldown/threshold modes, errors."""
import inspect
import math
import pickle
import warnings

import numpy as np
import pytest

import minigrad.nn as nn
from minigrad import optim
from minigrad.optim import lr_scheduler as mls
from tests.helpers import needs_torch, torch

STEPS = 25


def mg_optimizer(cls=optim.SGD, lrs=(0.1, 0.05), **kw):
    return cls([{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs], **kw)


def torch_optimizer(cls_name="SGD", lrs=(0.1, 0.05), **kw):
    return getattr(torch.optim, cls_name)(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], **kw)


def group_trace(opt, keys):
    return [tuple(g[k] for k in keys) for g in opt.param_groups]


def run(opt, sched, steps=STEPS, keys=("lr",), metrics=None):
    """[(get_last_lr(), the groups' values of keys)] after construction and after each step."""
    out = [(list(sched.get_last_lr()), group_trace(opt, keys))]
    for i in range(steps):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
        out.append((list(sched.get_last_lr()), group_trace(opt, keys)))
    return out


def assert_traces_close(got, want):
    assert len(got) == len(want)
    for step, ((g_last, g_groups), (w_last, w_groups)) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g_last, w_last, rtol=1e-12, atol=0, err_msg=f"get_last_lr at step {step}")
        np.testing.assert_allclose(np.array(g_groups, dtype=float), np.array(w_groups, dtype=float), rtol=1e-12,
                                   atol=0, err_msg=f"param_groups at step {step}")


class Warmup:
    """A picklable schedule: LambdaLR saves its __dict__ (a lambda is saved as None)."""
    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


CASES = {
    "StepLR": dict(step_size=3, gamma=0.3),
    "MultiStepLR": dict(milestones=[2, 5, 5, 9, 20], gamma=0.5),
    "ExponentialLR": dict(gamma=0.9),
    "LambdaLR": dict(lr_lambda=lambda e: 0.95 ** e),
    "LambdaLR-per-group": dict(lr_lambda=[Warmup(4), lambda e: 1.0 / (1 + e)]),
    "LinearLR": dict(),
    "LinearLR-decay": dict(start_factor=0.5, end_factor=0.1, total_iters=8),
    "CosineAnnealingLR": dict(T_max=7, eta_min=0.01),   # 25 steps pass the bottom and climb back up
    "OneCycleLR": dict(max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR-three-phase-linear": dict(max_lr=0.8, epochs=5, steps_per_epoch=5, pct_start=0.25,
                                          anneal_strategy="linear", three_phase=True, base_momentum=[0.8, 0.7],
                                          max_momentum=0.9, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": dict(max_lr=0.3, total_steps=STEPS, cycle_momentum=False),
}
OPTIMIZERS = [("SGD", dict(momentum=0.9), ("lr", "momentum")), ("Adam", dict(), ("lr", "betas")),
              ("RMSprop", dict(), ("lr", "momentum"))]


def sched_name(case):
    return case.split("-")[0]


@needs_torch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("opt_name,opt_kw,keys", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_sequence_matches_torch(case, opt_name, opt_kw, keys):
    mo, to = mg_optimizer(getattr(optim, opt_name), **opt_kw), torch_optimizer(opt_name, **opt_kw)
    ms = getattr(mls, sched_name(case))(mo, **CASES[case])
    ts = getattr(torch.optim.lr_scheduler, sched_name(case))(to, **CASES[case])
    flatten = lambda trace: [(last, [tuple(x for v in g for x in (v if isinstance(v, tuple) else (v,)))
                                     for g in groups]) for last, groups in trace]
    assert_traces_close(flatten(run(mo, ms, keys=keys)), flatten(run(to, ts, keys=keys)))
    assert ms.last_epoch == ts.last_epoch == STEPS
    assert [g["initial_lr"] for g in mo.param_groups] == [g["initial_lr"] for g in to.param_groups]
    assert set(ms.state_dict()) == set(ts.state_dict())


@needs_torch
@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR-decay", "CosineAnnealingLR"])
def test_step_with_epoch_uses_torchs_closed_form(case):
    mo, to = mg_optimizer(), torch_optimizer()
    ms = getattr(mls, sched_name(case))(mo, **CASES[case])
    ts = getattr(torch.optim.lr_scheduler, sched_name(case))(to, **CASES[case])
    mo.step()
    to.step()
    for epoch in [3, 4, 9, 2, 15, 7]:
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            ms.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts.step(epoch)
        np.testing.assert_allclose(ms.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=0)


# ***** hand-computed sequences (always run) *****

def lr_sequence(sched_cls, steps, lr=1.0, opt_kw=None, **kw):
    opt = mg_optimizer(lrs=(lr,), **(opt_kw or {}))
    sched = sched_cls(opt, **kw)
    return [last[0] for last, _ in run(opt, sched, steps=steps)]


def test_hand_computed_sequences():
    assert lr_sequence(mls.ExponentialLR, 4, gamma=0.5) == [1.0, 0.5, 0.25, 0.125, 0.0625]
    assert lr_sequence(mls.MultiStepLR, 5, milestones=[2, 4, 4], gamma=0.5) == [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    assert lr_sequence(mls.StepLR, 4, step_size=2, gamma=0.5) == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert lr_sequence(mls.LambdaLR, 3, lr_lambda=lambda e: 1 / (e + 1)) == pytest.approx([1.0, 0.5, 1 / 3, 0.25],
                                                                                          rel=1e-15)
    # LinearLR: factor 1/3 + (2/3) * epoch / 5, then 1
    assert lr_sequence(mls.LinearLR, 7, lr=0.3) == pytest.approx([0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3],
                                                                 rel=1e-14)


def test_one_cycle_by_hand():
    opt = mg_optimizer(lrs=(0.0,), momentum=0.5)
    sched = mls.OneCycleLR(opt, max_lr=1.0, total_steps=10)    # rise over steps 0..2, fall over 2..9
    g = opt.param_groups[0]
    assert (g["initial_lr"], g["max_lr"], g["min_lr"]) == (0.04, 1.0, 0.04 / 1e4)
    assert (g["momentum"], g["max_momentum"], g["base_momentum"]) == (0.95, 0.95, 0.85)
    assert g["lr"] == pytest.approx(0.04, rel=1e-14)   # 1 + (0.04 - 1) / 2 * 2: torch's rounding too
    opt.step()
    sched.step()                                # halfway up: cosine midpoint
    assert g["lr"] == pytest.approx(0.52, rel=1e-15) and g["momentum"] == pytest.approx(0.9, rel=1e-15)
    sched.step()
    assert (g["lr"], g["momentum"]) == (1.0, 0.85)
    for _ in range(7):
        sched.step()
    assert g["lr"] == pytest.approx(4e-6, rel=1e-12) and g["momentum"] == pytest.approx(0.95, rel=1e-15)
    sched.step()                                # step 10 == total_steps is still allowed, as in torch
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()


def test_one_cycle_cycles_adams_beta1():
    opt = mg_optimizer(optim.Adam, lrs=(0.0,), betas=(0.5, 0.99))
    mls.OneCycleLR(opt, max_lr=0.1, total_steps=10, max_momentum=0.97)
    assert opt.param_groups[0]["betas"] == (0.97, 0.99)
    assert "momentum" not in opt.param_groups[0]


def test_get_last_lr_and_initial_lr():
    opt = mg_optimizer()
    sched = mls.StepLR(opt, step_size=1, gamma=0.5)
    assert sched.get_last_lr() == [0.1, 0.05] and sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.025] == [g["lr"] for g in opt.param_groups]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]   # set once, never moved
    sched.get_last_lr()[0] = 99.0                   # torch hands out its list; the groups are not touched
    assert opt.param_groups[0]["lr"] == 0.05
    assert issubclass(mls._LRScheduler, mls.LRScheduler) and mls._LRScheduler.__name__ == "_LRScheduler"


# ***** state dicts *****

ROUND_TRIP = ["StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR-per-group", "LinearLR", "CosineAnnealingLR",
              "OneCycleLR"]


@pytest.mark.parametrize("case", ROUND_TRIP)
def test_state_dict_round_trip_continues_identically(case):
    cls, kw = getattr(mls, sched_name(case)), CASES[case]
    opt = mg_optimizer(momentum=0.9)
    straight = run(opt, cls(opt, **kw), steps=20, keys=("lr", "momentum"))

    opt = mg_optimizer(momentum=0.9)
    sched = cls(opt, **kw)
    first = run(opt, sched, steps=8, keys=("lr", "momentum"))
    saved_opt, saved = pickle.dumps(opt.state_dict()), pickle.dumps(sched.state_dict())   # as torch.save would
    fresh_kw = dict(kw, lr_lambda=[Warmup(100), lambda e: 1.0 / (1 + e)]) if "lr_lambda" in kw else kw
    opt2 = mg_optimizer(lrs=(7.0, 7.0), momentum=0.9)
    sched2 = cls(opt2, **fresh_kw)                 # torch's order: scheduler first, then both load_state_dicts
    opt2.load_state_dict(pickle.loads(saved_opt))
    sched2.load_state_dict(pickle.loads(saved))
    assert sched2.last_epoch == 8 and sched2.get_last_lr() == sched.get_last_lr()
    rest = run(opt2, sched2, steps=12, keys=("lr", "momentum"))
    assert first + rest[1:] == straight


def test_lambda_lr_state_dict_skips_functions_and_keeps_callable_objects():
    opt = mg_optimizer()
    sched = mls.LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None] and "optimizer" not in sd
    other = mls.LambdaLR(mg_optimizer(), [Warmup(50), lambda e: 2.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 4 and other.lr_lambdas[1](0) == 2.0
    assert sd["lr_lambdas"] == [{"n": 4}, None]    # the caller's dict is left as it was


@needs_torch
def test_state_dict_keys_match_torch_for_plateau_and_lambda():
    mo, to = mg_optimizer(), torch_optimizer()
    assert set(mls.ReduceLROnPlateau(mo).state_dict()) == set(torch.optim.lr_scheduler.ReduceLROnPlateau(to)
                                                             .state_dict())
    ms, ts = mls.LambdaLR(mo, Warmup(3)), torch.optim.lr_scheduler.LambdaLR(to, Warmup(3))
    assert ms.state_dict().keys() == ts.state_dict().keys()
    assert ms.state_dict()["lr_lambdas"] == ts.state_dict()["lr_lambdas"]


# ***** ReduceLROnPlateau *****

def plateau_lrs(metrics, lrs=(1.0,), **kw):
    opt = mg_optimizer(lrs=lrs)
    sched = mls.ReduceLROnPlateau(opt, **kw)
    return [last for last, _ in run(opt, sched, steps=len(metrics), metrics=metrics)][1:], sched


def test_plateau_patience_cooldown_rel_by_hand():
    # best*(1 - 0.1) must be beaten; 3 bad epochs > patience 2 -> halve; cooldown 1 swallows the next bad epoch
    metrics = [10, 9.5, 9.2, 9.1, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    lrs, sched = plateau_lrs(metrics, factor=0.5, patience=2, threshold=0.1, cooldown=1)
    assert [x[0] for x in lrs] == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch) == (8.0, 1, 0, 10)


def test_plateau_threshold_modes_by_hand():
    metrics = [1.0, 0.95, 0.9, 0.85]
    # abs: 0.95 < 1.0 - 0.1 fails, 0.9 < 1.0 - 0.1 fails (equal), 0.85 < 0.9 passes... patience 1 -> cut at 0.9
    lrs, _ = plateau_lrs(metrics, factor=0.5, patience=1, threshold=0.1, threshold_mode="abs")
    assert [x[0] for x in lrs] == [1, 1, 0.5, 0.5]
    lrs, _ = plateau_lrs(metrics, factor=0.5, patience=1, threshold=0.01, threshold_mode="rel")
    assert [x[0] for x in lrs] == [1, 1, 1, 1]
    lrs, _ = plateau_lrs(metrics, mode="max", factor=0.5, patience=1)     # nothing improves in max mode
    assert [x[0] for x in lrs] == [1, 1, 0.5, 0.5]


def test_plateau_min_lr_and_eps():
    lrs, _ = plateau_lrs([1.0] * 6, lrs=(1.0, 0.1), factor=0.1, patience=0, min_lr=[0.05, 0.0], eps=1e-3)
    # group 0 stops at min_lr; group 1 stops once a cut would be smaller than eps (0.001 -> 0.0001 skipped)
    assert [x[0] for x in lrs] == pytest.approx([1.0, 0.1, 0.05, 0.05, 0.05, 0.05])
    assert [x[1] for x in lrs] == pytest.approx([0.1, 0.01, 0.001, 0.001, 0.001, 0.001])


PLATEAU_METRICS = [5, 4, 4, 3.9999, 4.1, 4, 3.5, 3.5, 3.5, 3.5, 3.5, 3.49, 3.6, 2.0, 2.1, 2.2, 2.3, 2.0, 2.0, 1.99,
                   1.5, 1.5, 1.5, 1.5, 1.5, 1.4, 1.41, 1.42, 1.43, 1.44]
PLATEAU_CONFIGS = [dict(patience=4), dict(patience=1), dict(patience=2, cooldown=2, factor=0.5),
                   dict(mode="max", patience=1, threshold=0.05), dict(mode="min", threshold_mode="abs", threshold=0.2,
                                                                      patience=1, cooldown=1),
                   dict(mode="max", threshold_mode="abs", threshold=0.0, patience=0, min_lr=[0.02, 0.001]),
                   dict(patience=0, factor=0.5, eps=0.02)]


@needs_torch
@pytest.mark.parametrize("kw", PLATEAU_CONFIGS)
def test_plateau_matches_torch(kw):
    mo, to = mg_optimizer(), torch_optimizer()
    ms, ts = mls.ReduceLROnPlateau(mo, **kw), torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    m = run(mo, ms, steps=len(PLATEAU_METRICS), metrics=PLATEAU_METRICS)
    t = run(to, ts, steps=len(PLATEAU_METRICS), metrics=PLATEAU_METRICS)
    assert_traces_close(m, t)
    assert len({x[0][0] for x in m}) > 1, "the configuration never reduced the lr"
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs"):
        assert getattr(ms, key) == getattr(ts, key)


def test_plateau_state_dict_round_trip():
    metrics = PLATEAU_METRICS
    straight, _ = plateau_lrs(metrics, patience=1, cooldown=1)
    opt = mg_optimizer(lrs=(1.0,))
    sched = mls.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    first = run(opt, sched, steps=13, metrics=metrics)
    opt2 = mg_optimizer(lrs=(1.0,))
    sched2 = mls.ReduceLROnPlateau(opt2, mode="max")
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(pickle.loads(pickle.dumps(sched.state_dict())))
    rest = run(opt2, sched2, steps=len(metrics) - 13, metrics=metrics[13:])
    assert [x[0] for x in first[1:] + rest[1:]] == straight


# ***** errors and warnings *****

def test_errors_as_torch():
    opt = mg_optimizer()
    cases = [
        (TypeError, "list is not an Optimizer", lambda: mls.StepLR([], step_size=1)),
        (TypeError, "int is not an Optimizer", lambda: mls.ReduceLROnPlateau(3)),
        (ValueError, "Expected 2 lr_lambdas, but got 1", lambda: mls.LambdaLR(opt, [lambda e: 1.0])),
        (ValueError, "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
         lambda: mls.LinearLR(opt, start_factor=0)),
        (ValueError, "Ending multiplicative factor expected to be between 0 and 1.",
         lambda: mls.LinearLR(opt, end_factor=1.5)),
        (ValueError, "Factor should be < 1.0.", lambda: mls.ReduceLROnPlateau(opt, factor=1.0)),
        (ValueError, "mode avg is unknown!", lambda: mls.ReduceLROnPlateau(opt, mode="avg")),
        (ValueError, "threshold mode pct is unknown!", lambda: mls.ReduceLROnPlateau(opt, threshold_mode="pct")),
        (ValueError, "expected 2 min_lrs, got 3", lambda: mls.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])),
        (ValueError, "Expected positive integer total_steps, but got 0", lambda: mls.OneCycleLR(opt, 1.0, 0)),
        (ValueError, "Expected positive integer epochs, but got 0",
         lambda: mls.OneCycleLR(opt, 1.0, epochs=0, steps_per_epoch=3)),
        (ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)",
         lambda: mls.OneCycleLR(opt, 1.0, epochs=3)),
        (ValueError, "Expected float between 0 and 1 pct_start, but got 1.5",
         lambda: mls.OneCycleLR(opt, 1.0, 10, pct_start=1.5)),
        (ValueError, "anneal_strategy must be one of 'cos' or 'linear', instead got exp",
         lambda: mls.OneCycleLR(opt, 1.0, 10, anneal_strategy="exp")),
        (ValueError, "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
                     "param_groups has 2.", lambda: mls.OneCycleLR(opt, [1.0] * 3, 10)),
        (ValueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
         lambda: mls.OneCycleLR(mg_optimizer(optim.Adagrad), 1.0, 10)),
        (KeyError, "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler",
         lambda: mls.ExponentialLR(mg_optimizer(), gamma=0.9, last_epoch=3)),
    ]
    for exc, msg, make in cases:
        with pytest.raises(exc) as err:
            make()
        assert msg in str(err.value), (msg, str(err.value))


def test_warnings_as_torch():
    opt = mg_optimizer()
    sched = mls.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    opt = mg_optimizer()
    sched = mls.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()                              # the right order: no warning
        sched.step()
    assert sched.get_last_lr() == [0.05, 0.025]


def test_resume_with_last_epoch_keeps_the_current_lr():
    opt = mg_optimizer()
    mls.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.025           # as if loaded from a checkpoint two steps in
    sched = mls.ExponentialLR(opt, gamma=0.5, last_epoch=2)
    assert sched.get_last_lr()[0] == 0.025 and sched.last_epoch == 3
    assert math.isclose(sched._get_closed_form_lr()[0], 0.1 * 0.5 ** 3)


@needs_torch
@pytest.mark.parametrize("name", mls.__all__)
def test_signature_matches_torch(name):
    def params(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    assert params(getattr(mls, name)) == params(getattr(torch.optim.lr_scheduler, name))
