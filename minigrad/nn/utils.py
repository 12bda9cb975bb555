"""torch.nn.utils's training helpers: gradient clipping and flat parameter vectors."""
import math

import numpy as np

from ..api.shape import cat
from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(a, norm_type):
    a = np.abs(a.reshape(-1))
    if norm_type == math.inf:
        return a.max(initial=0)
    if norm_type == -math.inf:
        return a.min(initial=math.inf)
    if norm_type == 0:
        return np.count_nonzero(a).astype(a.dtype)
    return np.power(np.power(a, norm_type).sum(), 1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients in place so that their joint norm (the norm of the per-parameter norms)
    is at most `max_norm`; returns that norm before clipping. As torch, the gradients are always
    multiplied, by min(1, max_norm / (norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    total = _norm(np.array([_norm(g._data, norm_type) for g in grads], dtype=dtype), norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    coef = np.minimum(np.asarray(max_norm, dtype) / (total + np.asarray(1e-6, dtype)), np.asarray(1.0, dtype))
    with np.errstate(invalid="ignore"):   # a non-finite norm makes NaN gradients, as torch's (no warning)
        for g in grads:
            np.multiply(g._data, coef, out=g._data)
            g._version[0] += 1
    return Tensor._wrap(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
            p.grad._version[0] += 1


def parameters_to_vector(parameters):
    """All parameters flattened into one vector (differentiable, as torch's)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of `vec` into the parameters (their .data), as torch does."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.data = vec[pointer:pointer + n].reshape(p.shape).data   # shares vec's memory, as torch
            pointer += n
