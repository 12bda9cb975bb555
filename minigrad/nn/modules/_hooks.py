"""Forward hooks (and the set-up of full backward hooks) around Module.forward, in torch's order (nn.Module._call_impl): global pre-hooks,
the module's pre-hooks, forward, global forward hooks, the module's forward hooks. Only modules
that ever had a hook (or any module once a global hook exists) come here: Module.__call__
checks one flag first, so a model without hooks pays nothing."""
import warnings
from collections import OrderedDict

from ...autograd import grad_mode
from ...utils.hooks import RemovableHandle
from ._backward_hooks import BackwardHook

# register_module_forward_{pre_,}hook: every module's hooks (ids index the flag dicts)
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()

def hook_store(module, name):
    """The module's dict `name`, made on first use (modules without hooks carry none)."""
    d = module.__dict__.get(name)
    if d is None:
        d = OrderedDict()
        object.__setattr__(module, name, d)
    return d


def add_hook(hooks, hook, flags, prepend, handle_cls=RemovableHandle):
    """Register `hook` in `hooks`; `flags`: (flag dict, whether it is set for this hook) pairs."""
    handle = handle_cls(hooks, extra_dict=[d for d, _ in flags])
    hooks[handle.id] = hook
    for d, on in flags:
        if on:
            d[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _empty():
    return OrderedDict()


def _forward_hook_result(module, hook_id, hook, args, kwargs, result, with_kwargs):
    """The output after one forward hook (its return value, or the output it was given)."""
    if hook_id in with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
        new = hook(module, args, kwargs, result)
    else:
        new = hook(module, args, result)
    return result if new is None else new


def call_with_hooks(module, args, kwargs):
    d = module.__dict__
    pre, pre_kw = d.get("_forward_pre_hooks") or _empty(), d.get("_forward_pre_hooks_with_kwargs") or _empty()
    post, post_kw = d.get("_forward_hooks") or _empty(), d.get("_forward_hooks_with_kwargs") or _empty()
    always = d.get("_forward_hooks_always_called") or _empty()
    called_always = set()
    result = None
    try:
        for hook_id, hook in (*_global_forward_pre_hooks.items(), *pre.items()):
            if hook_id in pre_kw:
                new = hook(module, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {new}.")
                    args, kwargs = new
            else:
                new = hook(module, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        bw_hooks, bw_pre_hooks = d.get("_backward_hooks"), d.get("_backward_pre_hooks")
        bw_hook = None
        if (bw_hooks or bw_pre_hooks) and grad_mode.state.enabled:
            bw_hook = BackwardHook(module, bw_hooks or _empty(), bw_pre_hooks or _empty())
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in (*_global_forward_hooks.items(), *post.items()):
            if hook_id in always or hook_id in _global_forward_hooks_always_called:
                called_always.add(hook_id)
            result = _forward_hook_result(module, hook_id, hook, args, kwargs, result, post_kw)
        return result if bw_hook is None else bw_hook.setup_output_hook(result)
    except Exception:
        # always_call hooks still see the call (result None when forward raised); their
        # errors are only warned about, so the original error is the one raised
        for hook_id, hook in (*_global_forward_hooks.items(), *post.items()):
            is_global = hook_id in _global_forward_hooks_always_called
            if (hook_id in always or is_global) and hook_id not in called_always:
                try:
                    result = _forward_hook_result(module, hook_id, hook, args, kwargs, result, post_kw)
                except Exception as e:
                    kind = "global module" if is_global else "module"
                    warnings.warn(f"{kind} forward hook with ``always_call=True`` raised an exception "
                                  f"that was silenced as another error was raised in forward: {str(e)}")
        raise
