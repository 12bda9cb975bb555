"""Module forward hooks (torch's _call_impl order and return-value rules) and RemovableHandle."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.nn.modules import module as module_mod
from minigrad.utils.hooks import RemovableHandle

try:
    import torch
except ImportError:   # the NumPy-reference tests still run
    torch = None


def _cnn(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                             lib.nn.Flatten(), lib.nn.Linear(4 * 4 * 4, 5))


def _x(lib, seed=1):
    return lib.tensor(np.random.default_rng(seed).standard_normal((3, 2, 8, 8)).astype(np.float32))


def _capture(model):
    feats, handles = {}, []
    for name, m in model.named_children():
        def hook(mod, args, out, name=name):
            feats[name] = out.detach().numpy().copy()
        handles.append(m.register_forward_hook(hook))
    return feats, handles


def test_feature_maps_equal_calling_the_layers_by_hand():
    model, x = _cnn(minigrad), _x(minigrad)
    feats, _ = _capture(model)
    out = model(x)
    h = x
    for name, m in model.named_children():
        h = m(h)
        np.testing.assert_array_equal(feats[name], h.detach().numpy())
    np.testing.assert_array_equal(out.detach().numpy(), h.detach().numpy())
    assert feats["0"].shape == (3, 4, 8, 8) and feats["2"].shape == (3, 4, 4, 4)


def test_feature_maps_and_call_counts_match_torch():
    if torch is None:
        pytest.skip("torch not installed")
    mg, th = _cnn(minigrad), _cnn(torch)
    mg.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    (fm, _), (ft, _) = _capture(mg), _capture(th)
    counts = {"mg": 0, "th": 0}
    mg.register_forward_pre_hook(lambda m, a: counts.__setitem__("mg", counts["mg"] + 1))
    th.register_forward_pre_hook(lambda m, a: counts.__setitem__("th", counts["th"] + 1))
    for _ in range(2):
        out_m, out_t = mg(_x(minigrad)), th(_x(torch))
    assert counts["mg"] == counts["th"] == 2
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert fm.keys() == ft.keys()
    for k in fm:
        np.testing.assert_allclose(fm[k], ft[k], rtol=1e-5, atol=1e-5)


def _linear(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)


def _run_modifying_hooks(lin, lib):
    """A pre-hook doubling the input (returned bare, so wrapped in a tuple) and a forward hook
    adding 1 to the output; then both removed."""
    x = lib.tensor([[1.0, 2.0, 3.0]])
    plain = lin(x).detach().numpy().copy()
    h1 = lin.register_forward_pre_hook(lambda m, args: args[0] * 2)
    h2 = lin.register_forward_hook(lambda m, args, out: out + 1)
    hooked = lin(x).detach().numpy().copy()
    h1.remove()
    h2.remove()
    h2.remove()   # a second remove is a no-op
    return plain, hooked, lin(x).detach().numpy()


def test_pre_hook_modifies_input_and_forward_hook_replaces_output():
    lin = _linear(minigrad)
    plain, hooked, after = _run_modifying_hooks(lin, minigrad)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(plain, x @ w.T + b, rtol=1e-6)
    np.testing.assert_allclose(hooked, (2 * x) @ w.T + b + 1, rtol=1e-6)
    np.testing.assert_array_equal(after, plain)
    if torch is not None:
        lin_t = _linear(torch)
        lin_t.load_state_dict({k: torch.from_numpy(v.detach().numpy()) for k, v in lin.state_dict().items()})
        for mine, theirs in zip((plain, hooked, after), _run_modifying_hooks(lin_t, torch)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def _order_log(lib):
    lin, log = _linear(lib), []
    x = lib.ones(1, 3)
    lin.register_forward_hook(lambda m, a, o: log.append("f1"))
    lin.register_forward_hook(lambda m, a, o: log.append("f0"), prepend=True)
    lin.register_forward_pre_hook(lambda m, a: log.append("p1"))
    lin.register_forward_pre_hook(lambda m, a: log.append("p0"), prepend=True)
    with lin.register_forward_hook(lambda m, a, o: log.append("ctx")):
        lin(x)
    lin(x)
    return log


def test_order_prepend_and_context_manager_removal():
    log = _order_log(minigrad)
    assert log == ["p0", "p1", "f0", "f1", "ctx", "p0", "p1", "f0", "f1"]
    if torch is not None:
        assert log == _order_log(torch)


class _Scale(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


def test_with_kwargs_hooks_see_and_replace_kwargs():
    m, seen = _Scale(), []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": kwargs["scale"] * 10}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(dict(kwargs)), with_kwargs=True)
    out = m(minigrad.ones(2), scale=2.0)
    np.testing.assert_array_equal(out.numpy(), [20.0, 20.0])
    assert seen == [{"scale": 20.0}]


def test_with_kwargs_pre_hook_bad_return_raises_runtime_error():
    m = _Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        m(minigrad.ones(2))


class _Boom(nn.Module):
    def forward(self, x):
        raise ValueError("boom")


def test_always_call_hook_runs_when_forward_raises():
    m, calls = _Boom(), []
    m.register_forward_hook(lambda mod, a, out: calls.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, a, out: calls.append(("plain", out)))
    with pytest.raises(ValueError, match="boom"):
        m(minigrad.ones(1))
    assert calls == [("always", None)]


def test_always_call_hook_error_is_warned_not_raised():
    m = _Boom()
    m.register_forward_hook(lambda mod, a, out: 1 / 0, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True"), pytest.raises(ValueError, match="boom"):
        m(minigrad.ones(1))


def test_global_forward_hooks_run_before_module_hooks_and_are_removable():
    lin, log = _linear(minigrad), []
    lin.register_forward_hook(lambda m, a, o: log.append("own"))
    hp = module_mod.register_module_forward_pre_hook(lambda m, a: log.append(("gpre", type(m).__name__)))
    hf = module_mod.register_module_forward_hook(lambda m, a, o: log.append("global"))
    try:
        lin(minigrad.ones(1, 3))
        nn.ReLU()(minigrad.ones(1))   # a module without hooks of its own sees global hooks too
    finally:
        hp.remove()
        hf.remove()
    lin(minigrad.ones(1, 3))
    assert log == [("gpre", "Linear"), "global", "own", ("gpre", "ReLU"), "global", "own"]


def test_module_without_hooks_takes_the_plain_path():
    lin = _linear(minigrad)
    assert "_forward_hooks" not in lin.__dict__ and not lin._call_hooked
    lin.register_forward_hook(lambda *a: None).remove()
    assert lin._call_hooked and lin.__dict__["_forward_hooks"] == {}


def test_removable_handle_ids_and_extra_dict():
    hooks, flags = OrderedDict(), OrderedDict()
    h = RemovableHandle(hooks, extra_dict=flags)
    hooks[h.id], flags[h.id] = "hook", True
    h2 = RemovableHandle(hooks)
    assert h2.id == h.id + 1
    h.remove()
    assert hooks == {} and flags == {}


def test_hook_signatures_match_torch():
    if torch is None:
        pytest.skip("torch not installed")
    import inspect
    for name in ("register_forward_pre_hook", "register_forward_hook", "register_full_backward_hook",
                 "register_full_backward_pre_hook"):
        mine = inspect.signature(getattr(nn.Module, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.Module, name)).parameters
        assert [(p.name, p.kind, p.default) for p in mine.values()] == \
               [(p.name, p.kind, p.default) for p in theirs.values()]
    for name in ("register_module_forward_pre_hook", "register_module_forward_hook"):
        mine = inspect.signature(getattr(module_mod, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.modules.module, name)).parameters
        assert [(p.name, p.kind, p.default) for p in mine.values()] == \
               [(p.name, p.kind, p.default) for p in theirs.values()]


def test_removing_global_hooks_restores_the_plain_path():
    with module_mod.register_module_forward_hook(lambda m, a, o: None) as h:
        assert isinstance(h, RemovableHandle) and nn.Module._call_hooked
    assert not nn.Module._call_hooked and not _linear(minigrad)._call_hooked
