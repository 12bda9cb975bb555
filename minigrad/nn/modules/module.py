"""Module: parameters and sub-modules registered by attribute assignment (torch's skeleton)."""
from collections import OrderedDict

import numpy as np

from ... import _dtype
from ...tensor import Tensor, _parse_to
from ..parameter import Parameter
from ...utils.hooks import RemovableHandle
from . import _hooks


class Module:
    """Base class of every layer. Assigning a Parameter or a Module to an attribute registers it;
    `register_buffer` registers state that is saved but not learned (BatchNorm's running stats)."""

    training = True
    _call_hooked = False   # set (on the instance, or on Module by a global hook) by hook registration

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
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
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name, kind, store, contains_hint=False):
        """torch's checks on a name to register (its exception types and messages)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."' + (f", got: {name}" if contains_hint else ""))
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in store:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(minigrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """State saved with the module but not learned (BatchNorm's running stats); a
        non-persistent buffer is left out of state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(minigrad Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name(name, "module", self._modules, contains_hint=True)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at a dotted path ("body.0"); "" is the module itself."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _get_attr(self, target):
        """(owning module, attribute name, value) for a dotted path to a parameter or buffer."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{type(mod).__name__} has no attribute `{name}`")
        return mod, name, getattr(mod, name)

    def get_parameter(self, target):
        _, name, param = self._get_attr(target)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        mod, name, buf = self._get_attr(target)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return buf

    # ***** traversal (torch's order: pre-order, depth first, registration order) *****
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and m not in memo:
                memo.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        """(dotted name, tensor) of every Parameter or buffer (store names the dict), each
        tensor once when remove_duplicate (a shared weight is listed under its first name)."""
        memo = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mname, m in mods:
            for k, v in getattr(m, store).items():
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mname + "." if mname else "") + k, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """fn(m) for every sub-module, children first, then self (torch's order); returns self.
        The usual use: `model.apply(init_weights)`."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

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
        """Set requires_grad on every parameter (freezing a layer: requires_grad_(False))."""
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
        if not self._call_hooked:
            return self.forward(*args, **kwargs)
        return _hooks.call_with_hooks(self, args, kwargs)

    # ***** hooks (torch's signatures; the calls are in _hooks.py and _backward_hooks.py) *****
    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or a replacement grad_input; grad_input
        has one entry per positional argument (None where it is not a tensor needing grad)."""
        object.__setattr__(self, "_call_hooked", True)
        return _hooks.add_hook(_hooks.hook_store(self, "_backward_hooks"), hook, [], prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or a replacement grad_output, before grad_input is computed."""
        object.__setattr__(self, "_call_hooked", True)
        return _hooks.add_hook(_hooks.hook_store(self, "_backward_pre_hooks"), hook, [], prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or new args (a non-tuple becomes a 1-tuple); with_kwargs:
        hook(module, args, kwargs) -> None or (new_args, new_kwargs). Runs before forward."""
        object.__setattr__(self, "_call_hooked", True)
        store = _hooks.hook_store
        return _hooks.add_hook(store(self, "_forward_pre_hooks"),
                               hook, [(store(self, "_forward_pre_hooks_with_kwargs"), with_kwargs)], prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """hook(module, args, output) -> None or a replacement output (with_kwargs: hook(module,
        args, kwargs, output)); always_call: also run when forward raises (output None)."""
        object.__setattr__(self, "_call_hooked", True)
        store = _hooks.hook_store
        flags = [(store(self, "_forward_hooks_with_kwargs"), with_kwargs),
                 (store(self, "_forward_hooks_always_called"), always_call)]
        return _hooks.add_hook(store(self, "_forward_hooks"), hook, flags, prepend)

    # ***** state dict: torch's key names and shapes, values as NumPy arrays *****
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """OrderedDict name -> Tensor, parameters and buffers in registration order. As in torch,
        the tensors share memory with the module's (detached unless `keep_vars`): clone them to
        keep a snapshot."""
        sd = OrderedDict() if destination is None else destination
        for mname, m in self.named_modules(remove_duplicate=False):
            pre = prefix + (f"{mname}." if mname else "")
            for store, skip in ((m._parameters, ()), (m._buffers, m._non_persistent_buffers_set)):
                for k, t in store.items():
                    if t is not None and k not in skip:
                        sd[pre + k] = t if keep_vars else t.detach()
        return sd

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (or Tensors, or anything np.asarray takes, e.g. torch tensors' .numpy())
        into parameters and buffers. Returns (missing_keys, unexpected_keys)."""
        own = OrderedDict()
        for mname, m in self.named_modules(remove_duplicate=False):
            pre = f"{mname}." if mname else ""
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is not None and not (store is m._buffers and k in m._non_persistent_buffers_set):
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
        # torch's layout: a one-line extra_repr stays on the head line unless there are children
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"


def register_module_forward_pre_hook(hook):
    """A forward pre-hook on every module (before each module's own)."""
    Module._call_hooked = True
    return _hooks.add_hook(_hooks._global_forward_pre_hooks, hook, [], False, _GlobalHandle)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """A forward hook on every module (before each module's own)."""
    Module._call_hooked = True
    flags = [(_hooks._global_forward_hooks_with_kwargs, with_kwargs),
             (_hooks._global_forward_hooks_always_called, always_call)]
    return _hooks.add_hook(_hooks._global_forward_hooks, hook, flags, False, _GlobalHandle)


class _GlobalHandle(RemovableHandle):
    """Once no global hook is left, modules without hooks of their own go back to the plain path."""

    def remove(self):
        super().remove()
        Module._call_hooked = bool(_hooks._global_forward_pre_hooks or _hooks._global_forward_hooks)


def _typename(obj):
    """torch.typename for non-tensors: 'int', 'numpy.ndarray', 'minigrad.tensor.Tensor'."""
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"
