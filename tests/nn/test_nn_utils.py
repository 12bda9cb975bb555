"""nn.utils: gradient clipping and parameter vectors, against NumPy and torch."""
import math

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed (pip install torch==2.13.0)")

GRADS = [np.array([[3.0, -4.0], [0.5, 1.0]]), np.array([12.0, -0.25])]


def _params(lib, grads=GRADS):
    ps = []
    for g in grads:
        p = (lib.nn.Parameter(lib.tensor(np.ones_like(g))))
        p.grad = lib.tensor(g.copy())
        ps.append(p)
    return ps


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (2.0, 1.0), (3.0, math.inf), (0.5, 3)])
def test_clip_grad_norm_matches_numpy(max_norm, norm_type):
    ps = _params(minigrad)
    total = nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
    flat = np.concatenate([g.ravel() for g in GRADS])
    want = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    np.testing.assert_allclose(total.item(), want, rtol=1e-12)
    coef = min(1.0, max_norm / (want + 1e-6))
    for p, g in zip(ps, GRADS):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (2.0, 1.0), (3.0, math.inf)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    mine, theirs = _params(minigrad), _params(torch)
    a = nn.utils.clip_grad_norm_(mine, max_norm, norm_type)
    b = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_edge_cases():
    assert nn.utils.clip_grad_norm_([nn.Parameter(minigrad.ones(2))], 1.0).item() == 0.0   # no gradients
    p = nn.Parameter(minigrad.ones(2))
    p.grad = minigrad.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(p, 1.0).item())   # a single Tensor is accepted too


def test_clip_grad_value_and_parameter_vectors():
    ps = _params(minigrad)
    nn.utils.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.numpy(), [[1.0, -1.0], [0.5, 1.0]])
    np.testing.assert_array_equal(ps[1].grad.numpy(), [1.0, -0.25])
    vec = nn.utils.parameters_to_vector(ps)
    assert vec.shape == (6,) and vec.requires_grad
    vec.sum().backward()
    new = minigrad.arange(6.0, dtype=minigrad.float64)
    nn.utils.vector_to_parameters(new, ps)
    assert ps[0].tolist() == [[0.0, 1.0], [2.0, 3.0]] and ps[1].tolist() == [4.0, 5.0]
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters([1.0], ps)


def test_a_training_step_with_clipping_runs_through_compat():
    from minigrad.compat import as_torch
    with as_torch():
        import torch as t
        from torch.nn.utils import clip_grad_norm_
        model = t.nn.Linear(3, 2)
        model(t.ones(4, 3)).pow(2).sum().backward()
        norm = clip_grad_norm_(model.parameters(), max_norm=0.1)
        clipped = math.sqrt(sum((p.grad ** 2).sum().item() for p in model.parameters()))
    assert norm.item() > 0.1 and clipped == pytest.approx(0.1, rel=1e-4)
