"""Adagrad, as torch.optim.Adagrad (NumPy in-place updates, torch's order of operations)."""
import numpy as np

from .optimizer import Optimizer, _check_fused, _check_nonnegative, _signed_decayed_grad


class Adagrad(Optimizer):
    """For each parameter with a gradient (torch's equations):

        step += 1 ; g = -grad if maximize else grad ; g = g + weight_decay * p
        clr = lr / (1 + (step - 1) * lr_decay)
        sum = sum + g * g                     (sum starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    As in torch, the state (step 0, sum) of every parameter exists from construction on.
    foreach, differentiable and fused are kept in the param groups (as torch does) and otherwise ignored.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_nonnegative({"learning rate": lr, "lr_decay value": lr_decay, "weight_decay value": weight_decay,
                            "initial_accumulator_value value": initial_accumulator_value,
                            "epsilon value": eps})
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state.setdefault(p, {}), group)

    @staticmethod
    def _init_state(p, state, group):
        state["step"] = 0
        state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])

    def _update(self, p, grad, state, group):
        if not state:                           # a parameter added later with add_param_group
            self._init_state(p, state, group)
        state["step"] += 1
        g = _signed_decayed_grad(p._data, grad, group["weight_decay"], group["maximize"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])

        tmp = np.multiply(g, g)
        state["sum"] += tmp
        std = np.sqrt(state["sum"])
        std += group["eps"]
        np.multiply(g, -clr, out=tmp)           # addcdiv: (value * t1) / t2
        tmp /= std
        p._data += tmp
