"""SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD."""
import numpy as np

from .._C import optim as _optim
from .._parallel import threads_for
from .optimizer import Optimizer, _check_fused, _flat_like, _flat_param, _write_back


class SGD(Optimizer):
    """For each parameter with a gradient (torch's equations):

        g = -grad if maximize else grad
        if weight_decay: g = g + weight_decay * p
        if momentum:
            buf = g (first step: NOTE no dampening, unlike the paper's zero-initialised buffer)
                  else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    foreach, differentiable and fused pick among torch's implementations of the same equations; they are
    kept in the param groups (as torch does) and otherwise ignored.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                                      foreach=foreach, differentiable=differentiable, fused=fused))
        _check_fused(fused, foreach, differentiable)

    @staticmethod
    def _update(p, grad, state, group):
        first = "momentum_buffer" not in state
        if group["momentum"] and first:
            state["momentum_buffer"] = np.empty(p._data.shape, p._data.dtype)   # C order: read through a flat view
        buf = state.get("momentum_buffer")
        flat = _flat_param(p)
        _optim.sgd_update(flat, _flat_like(grad, p._data), flat if buf is None else buf.reshape(-1),
                          group["lr"], group["momentum"], group["dampening"], group["weight_decay"],
                          group["nesterov"], group["maximize"], first, threads_for(flat.size))
        _write_back(p, flat)
