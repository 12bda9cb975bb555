"""Module: parameters and sub-modules registered by attribute assignment (torch's skeleton)."""
from collections import OrderedDict

import numpy as np

from ... import _dtype
from ...tensor import Tensor, _parse_to
from ..parameter import Parameter


class Module:
    """Base class of every layer. Assigning a Parameter or a Module to an attribute registers it;
    `register_buffer` registers state that is saved but not learned (BatchNorm's running stats)."""

    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ***** registration *****
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameter before Module.__init__() call")
            self.__dict__.pop(name, None)
            self._modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self.__dict__.pop(name, None)
            params.pop(name, None)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' object to parameter '{name}' "
                                "(minigrad.nn.Parameter or None required)")
            params[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' object to buffer '{name}' "
                                "(Tensor or None required)")
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(minigrad.nn.Module or None required)")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(minigrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)")
        self._buffers[name] = tensor

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    # ***** traversal *****
    def named_modules(self, prefix=""):
        stack, seen = [(prefix, self)], set()
        while stack:
            name, m = stack.pop(0)
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            stack[0:0] = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items() if c is not None]

    def modules(self):
        return (m for _, m in self.named_modules())

    def children(self):
        return (m for m in self._modules.values() if m is not None)

    def named_children(self):
        return ((k, m) for k, m in self._modules.items() if m is not None)

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for k, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{k}" if mname else k), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mname, m in self.named_modules(prefix):
            for k, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{k}" if mname else k), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    # ***** modes and grads *****
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data.fill(0)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ***** device and dtype: the CPU is the only device; dtypes change in place *****
    def to(self, *args, **kwargs):
        """to(device) / to(dtype) / to(device, dtype) / to(tensor): floating point parameters and
        buffers take the dtype in place (the Parameter objects stay, so optimizers built before
        keep working); returns self."""
        dtype, _ = _parse_to(args, kwargs)
        if dtype is not None:
            if dtype.kind != "f":
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={_dtype.from_numpy_dtype(dtype)}")
            for m in self.modules():
                for t in list(m._parameters.values()) + list(m._buffers.values()):
                    if t is not None and t._data.dtype.kind == "f" and t._data.dtype != dtype:
                        t._data = t._data.astype(dtype)
                        if t.grad is not None:
                            t.grad._data = t.grad._data.astype(dtype)
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise RuntimeError("minigrad runs on the CPU only: there is no CUDA device "
                           "(minigrad.cuda.is_available() is False)")

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    # ***** calling *****
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ***** state dict: torch's key names and shapes, values as NumPy arrays *****
    def state_dict(self):
        """OrderedDict name -> np.ndarray (a copy), parameters and buffers, in registration order."""
        sd = OrderedDict()
        for mname, m in self.named_modules():
            pre = f"{mname}." if mname else ""
            for k, p in m._parameters.items():
                if p is not None:
                    sd[pre + k] = p._data.copy()
            for k, b in m._buffers.items():
                if b is not None:
                    sd[pre + k] = b._data.copy()
        return sd

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (or Tensors, or anything np.asarray takes, e.g. torch tensors' .numpy())
        into parameters and buffers. Returns (missing_keys, unexpected_keys)."""
        own = OrderedDict()
        for mname, m in self.named_modules():
            pre = f"{mname}." if mname else ""
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is not None:
                        own[pre + k] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        loads = []
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = np.asarray(v._data if isinstance(v, Tensor) else v)
            if arr.shape != t._data.shape:
                errors.append(f"size mismatch for {k}: copying a param with shape {tuple(arr.shape)} from checkpoint, "
                              f"the shape in current model is {tuple(t._data.shape)}.")
                continue
            # every conversion happens before the first copy, so a refused state_dict changes nothing
            if arr.dtype.kind not in "biuf":
                errors.append(f'While copying the parameter named "{k}", expected a Tensor or array of numbers from '
                              f"checkpoint but received {type(v).__name__} of dtype {arr.dtype}.")
                continue
            loads.append((t, arr.astype(t._data.dtype, copy=False)))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for t, arr in loads:
            t._data[...] = arr
            t._version[0] += 1
        return missing, unexpected

    # ***** printing *****
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
