"""Optimizer base: parameter groups, per-parameter state, zero_grad, state_dict."""
import copy

import numpy as np

from ..tensor import Tensor


def _flat_like(grad, param):
    """The gradient as a flat C-contiguous array of the parameter's dtype (no copy if it is one)."""
    return np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)


def _flat_param(param):
    """The parameter's values as a flat C-contiguous array for the fused kernels to update in
    place: a view (the usual case), or a copy when `p.data = <non-contiguous tensor>` replaced the
    array after the optimizer was built; then _write_back must copy the result back."""
    return np.ascontiguousarray(param._data).reshape(-1)


def _write_back(param, flat):
    if not param._data.flags.c_contiguous:          # _flat_param made a copy
        param._data[...] = flat.reshape(param._data.shape)


def _signed_decayed_grad(param, grad, weight_decay, maximize):
    """torch's `g = -grad if maximize else grad; g = g + weight_decay * p` for the NumPy-written optimizers.
    May return `grad` itself: callers only ever write into their own buffers, never into g."""
    g = np.asarray(grad, dtype=param.dtype)
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        decay = np.multiply(param, weight_decay)
        decay += g
        g = decay
    return g


def _check_nonnegative(checks):
    """torch's argument checks, in its order: `if not 0.0 <= x: raise ValueError(f"Invalid {what}: {x}")`
    (NaN fails too)."""
    for what, x in checks.items():
        if not 0.0 <= x:
            raise ValueError(f"Invalid {what}: {x}")


def _check_fused(fused, foreach, differentiable):
    """torch's checks on its implementation switches; minigrad has one implementation and ignores them."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}           # Parameter -> dict of buffers (torch keys state by parameter too)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if not p._data.flags.c_contiguous:
                # the fused update kernels write through a flat view of the parameter
                raise ValueError(f"optimizer: a parameter of shape {tuple(p.shape)} is not C-contiguous; "
                                 "pass a contiguous tensor (e.g. t.contiguous())")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data.fill(0)

    def _params_with_grad(self, group):
        return [p for p in group["params"] if p.grad is not None]

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                self._update(p, p.grad._data, self.state.setdefault(p, {}), group)
                p._version[0] += 1
        return loss

    # ***** state dict: torch's layout, parameters replaced by their index *****
    def state_dict(self):
        index, groups, n = {}, [], 0
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = n
                    n += 1
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        params = [p for g in self.param_groups for p in g["params"]]
        self.state = {}
        for k, v in state_dict["state"].items():
            p = params[int(k)]
            # a checkpoint read from a .pt file (torch's or minigrad's) holds Tensors, not arrays
            v = {name: val._data if isinstance(val, Tensor) else val for name, val in v.items()}
            self.state[p] = {name: (np.array(val, dtype=p._data.dtype) if isinstance(val, np.ndarray)
                                    and np.asarray(val).shape == p._data.shape else copy.deepcopy(val))
                             for name, val in v.items()}
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = v

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
