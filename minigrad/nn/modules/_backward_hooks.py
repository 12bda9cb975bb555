"""register_full_backward_hook / register_full_backward_pre_hook, as torch's BackwardHook does
it: the module's tensor inputs and outputs pass through an identity node each. In backward the
outputs' node sees grad_output first (the pre-hooks may replace it); the inputs' node then sees
grad_input, calls hook(module, grad_input, grad_output), and passes on what the hook returns.
The hooks see Tensors: recorded ones under create_graph, so what they return is differentiated too."""
import warnings

from ...autograd.function import ArrayFunction
from ...tensor import Tensor


class _BackwardHookIdentity(ArrayFunction):
    @staticmethod
    def forward(ctx, *arrays, on_grads=None, requires=()):
        ctx.on_grads = on_grads
        outs = tuple(a.view() for a in arrays)   # new array objects, so some can be non-differentiable
        ctx.mark_non_differentiable(*[o for o, r in zip(outs, requires) if not r])
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return _unwrap(ctx.on_grads(_wrap(grads, ctx.needs_input_grad)))

    @staticmethod
    def differentiable_backward(ctx, *grads):
        return ctx.on_grads(tuple(g if n else None for g, n in zip(grads, ctx.needs_input_grad)))


def _wrap(arrays, needs):
    return tuple(Tensor._wrap(g) if n and g is not None else None for g, n in zip(arrays, needs))


def _unwrap(grads):
    return tuple(None if g is None else g._data for g in grads)


def _replaced(res, grads, kind, what):
    """A hook's return value as the new grads (None: keep them), checked for length."""
    if res is None:
        return grads
    res = (res,) if isinstance(res, Tensor) else tuple(res)
    if len(res) != len(grads):
        raise RuntimeError(f"Backward {kind} returned an invalid number of {what}, got {len(res)}, "
                           f"but expected {len(grads)}")
    return res


class BackwardHook:
    """One forward call's state: which args are tensors, and grad_output once backward has it."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs, self.input_positions, self.grad_outputs = 0, None, None

    def _through_identity(self, values, on_grads):
        """values with each Tensor replaced by its identity-node output; None if none needs grad."""
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in positions]
        if not any(t.requires_grad for t in tensors):
            return None, positions
        outs = _BackwardHookIdentity.apply(*tensors, on_grads=on_grads,
                                           requires=[t.requires_grad for t in tensors])
        values = list(values)
        for i, o in zip(positions, outs):
            values[i] = o
        return tuple(values), positions

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        new_args, positions = self._through_identity(args, self._on_grad_inputs)
        if new_args is None:
            return args
        self.input_positions = positions
        return new_args

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        if not single and not isinstance(result, tuple):
            return result
        new, _ = self._through_identity((result,) if single else result, self._on_grad_outputs)
        if new is None:
            return result
        return new[0] if single else new

    def _on_grad_outputs(self, grad_outputs):
        for hook in self.pre_hooks.values():
            grad_outputs = _replaced(hook(self.module, grad_outputs), grad_outputs, "pre hook", "grad_output")
        self.grad_outputs = grad_outputs
        if self.input_positions is None and self.hooks:   # no input needs a gradient: the hooks run now
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                          "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                          "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for "
                          "more details.", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks.values():
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                       "always return None or None for all gradients.")
        return grad_outputs

    def _on_grad_inputs(self, grads):
        if self.grad_outputs is None:
            # As torch: the gradient reached the inputs without passing through the outputs
            # (double backward), so the hooks, which were already called, are not called again.
            return grads
        grad_inputs = [None] * self.n_inputs
        for i, g in zip(self.input_positions, grads):
            grad_inputs[i] = g
        grad_inputs = tuple(grad_inputs)
        for hook in self.hooks.values():
            grad_inputs = _replaced(hook(self.module, grad_inputs, self.grad_outputs), grad_inputs, "hook",
                                    "grad_input")
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.input_positions)
