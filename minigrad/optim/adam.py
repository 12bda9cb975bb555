"""Adam and AdamW, as torch.optim.Adam / AdamW (eps added after the bias correction of v)."""
import numpy as np

from .._C import optim as _optim
from .._parallel import threads_for
from .optimizer import Optimizer, _check_fused, _flat_like, _flat_param, _write_back


class Adam(Optimizer):
    """For each parameter with a gradient (torch's equations):

        t += 1 ; g = -grad if maximize else grad
        AdamW: p = p * (1 - lr * weight_decay)      Adam: g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vhat = max(vmax, v) if amsgrad else v       (vmax kept in state)
        p = p - lr / (1 - beta1**t) * m / (sqrt(vhat) / sqrt(1 - beta2**t) + eps)

    decoupled_weight_decay=True is AdamW. foreach, capturable, differentiable and fused pick among torch's
    implementations of the same equations; they are kept in the param groups (as torch does) and otherwise ignored.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))
        _check_fused(fused, foreach, differentiable)

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(p._data.shape, p._data.dtype)
            state["exp_avg_sq"] = np.zeros(p._data.shape, p._data.dtype)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros(p._data.shape, p._data.dtype)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        flat = _flat_param(p)                       # state buffers are C order: flat views
        m, v = state["exp_avg"].reshape(-1), state["exp_avg_sq"].reshape(-1)
        vmax = state["max_exp_avg_sq"].reshape(-1) if group["amsgrad"] else v
        _optim.adam_update(flat, _flat_like(grad, p._data), m, v, vmax, group["lr"], beta1, beta2,
                           group["eps"], group["weight_decay"], group["decoupled_weight_decay"], group["amsgrad"],
                           group["maximize"], state["step"], threads_for(flat.size))
        _write_back(p, flat)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2): p *= 1 - lr * weight_decay before the step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
