"""register_full_backward_hook / register_full_backward_pre_hook against torch and by hand."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn

try:
    import torch
except ImportError:
    torch = None

LIBS = [minigrad] + ([torch] if torch is not None else [])
X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
W = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
B = np.array([0.5, -1.0], np.float32)


def _linear(lib):
    lin = lib.nn.Linear(3, 2)
    lin.load_state_dict({"weight": lib.tensor(W), "bias": lib.tensor(B)})
    return lin


def _arr(t):
    return None if t is None else t.detach().numpy().copy()


def _record(lib, x_requires_grad=True, hook_result=None, pre_result=None):
    lin, log = _linear(lib), []
    def hook(m, gi, go):
        log.append(("hook", [_arr(g) for g in gi], [_arr(g) for g in go]))
        return hook_result(gi) if hook_result else None
    def pre(m, go):
        log.append(("pre", [_arr(g) for g in go]))
        return pre_result(go) if pre_result else None
    lin.register_full_backward_hook(hook)
    lin.register_full_backward_pre_hook(pre)
    x = lib.tensor(X, requires_grad=x_requires_grad)
    (lin(x) * lib.tensor([1.0, 3.0])).sum().backward()
    return log, _arr(x.grad), _arr(lin.weight.grad)


def _same(a, b):
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    elif a is None or isinstance(a, str):
        assert a == b
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_grad_input_and_grad_output_by_hand():
    log, xg, _ = _record(minigrad)
    go = np.tile([1.0, 3.0], (4, 1)).astype(np.float32)
    assert [entry[0] for entry in log] == ["pre", "hook"]
    _same(log[0][1], [go])
    _same(log[1][1], [go @ W])
    _same(log[1][2], [go])
    _same(xg, go @ W)


@pytest.mark.parametrize("case", ["plain", "no_input_grad", "replace_grad_input", "replace_grad_output"])
def test_matches_torch(case):
    if torch is None:
        pytest.skip("torch not installed")
    kwargs = {"plain": {}, "no_input_grad": {"x_requires_grad": False},
              "replace_grad_input": {"hook_result": lambda gi: (gi[0] * 2,)},
              "replace_grad_output": {"pre_result": lambda go: (go[0] * 0.5,)}}[case]
    mine, theirs = _record(minigrad, **kwargs), _record(torch, **kwargs)
    _same(mine, theirs)


class _TwoInputs(nn.Module):
    def forward(self, a, scale, b):
        return a * scale + b * b


def test_hooks_fire_on_outputs_with_a_warning_when_no_input_needs_grad():
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                         "to module outputs since no inputs require gradients"):
        log, xg, wg = _record(minigrad, x_requires_grad=False)
    assert xg is None and wg is not None
    assert [e[0] for e in log] == ["pre", "hook"] and log[1][1] == [None]


def test_non_tensor_and_non_grad_inputs_get_none():
    m, seen = _TwoInputs(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    a, b = minigrad.ones(2, requires_grad=True), minigrad.full((2,), 3.0)
    m(a, 2.0, b).sum().backward()
    assert len(seen) == 1 and len(seen[0]) == 3 and seen[0][1] is None and seen[0][2] is None
    np.testing.assert_array_equal(seen[0][0].numpy(), [2.0, 2.0])


def test_wrong_number_of_grad_inputs_is_a_runtime_error():
    lin = _linear(minigrad)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    out = lin(minigrad.tensor(X, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but expected 1"):
        out.backward()


def _cnn_counts(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(2 * 4 * 4, 3))
    return model


def test_cnn_backward_hook_calls_and_grads_match_torch():
    if torch is None:
        pytest.skip("torch not installed")
    mg, th = _cnn_counts(minigrad), _cnn_counts(torch)
    mg.load_state_dict({k: v.detach().numpy() for k, v in th.state_dict().items()})
    results = []
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6)).astype(np.float32)
    for lib, model in ((minigrad, mg), (torch, th)):
        log = []
        for name, m in model.named_children():
            m.register_full_backward_hook(lambda mod, gi, go, name=name: log.append((name, _arr(go[0]))))
        model(lib.tensor(x)).pow(2).sum().backward()
        results.append((log, _arr(model[0].weight.grad)))
    assert [n for n, _ in results[0][0]] == [n for n, _ in results[1][0]] == ["3", "2", "1", "0"]
    _same(results[0], results[1])


def test_no_hook_call_under_no_grad_and_removal():
    lin, calls = _linear(minigrad), []
    h = lin.register_full_backward_hook(lambda *a: calls.append(1))
    with minigrad.no_grad():
        assert not lin(minigrad.tensor(X)).requires_grad
    h.remove()
    lin(minigrad.tensor(X, requires_grad=True)).sum().backward()
    assert calls == []


def test_wrong_number_of_grad_outputs_from_pre_hook_is_a_runtime_error():
    lin = _linear(minigrad)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    out = lin(minigrad.tensor(X, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, got 2, "
                                           "but expected 1"):
        out.backward()
