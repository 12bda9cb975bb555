"""Adadelta, as torch.optim.Adadelta (NumPy in-place updates, torch's order of operations)."""
import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _signed_decayed_grad


class Adadelta(Optimizer):
    """For each parameter with a gradient (torch's equations):

        step += 1 ; g = -grad if maximize else grad ; g = g + weight_decay * p
        square_avg = rho * square_avg + (1 - rho) * g * g
        delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        p = p - lr * delta

    foreach, capturable and differentiable pick among torch's implementations of the same equations;
    they are kept in the param groups (as torch does) and otherwise ignored.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_nonnegative({"learning rate": lr})
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative({"epsilon value": eps, "weight_decay value": weight_decay})
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    @staticmethod
    def _update(p, grad, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p._data)
            state["acc_delta"] = np.zeros_like(p._data)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        g = _signed_decayed_grad(p._data, grad, group["weight_decay"], group["maximize"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]

        tmp = np.multiply(g, 1 - rho)           # addcmul: (value * t1) * t2
        tmp *= g
        square_avg *= rho
        square_avg += tmp
        std = np.add(square_avg, eps)
        np.sqrt(std, out=std)
        delta = np.add(acc_delta, eps)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        np.multiply(delta, 1 - rho, out=tmp)
        tmp *= delta
        acc_delta *= rho
        acc_delta += tmp
        delta *= -group["lr"]
        p._data += delta
