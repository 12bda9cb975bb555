"""Jacobians, Hessians and their products with vectors, as torch.autograd.functional.

Everything here is built on autograd.grad; nothing new is differentiated:
- vjp  v^T J   one backward pass;
- jvp  J v     the double-backward trick (minigrad has no forward mode): g(u) = u^T J is linear
               in a dummy cotangent u, so its gradient w.r.t. u, taken along v, is J v;
- vhp  v^T H   the gradient of <grad f, v> (a backward through a recorded backward);
- hvp  H v     the double-backward trick again, on grad f;
- jacobian     one backward per output element (row), or, for strategy="forward-mode", one
               double-backward per input element (column);
- hessian      the Jacobian of the (recorded) gradient.
So each works for every op with a differentiable backward (create_graph=True), and the results
carry a graph themselves with create_graph=True.

Signatures, return structures (a Tensor or tuples following `inputs`/the outputs), `strict`
checks and error messages are torch's.
"""
import numpy as np

# Bound to the package while it is still being imported (minigrad.autograd comes before
# minigrad.Tensor exists); the attributes are looked up at call time, when they do.
import minigrad as _mg

from . import grad_mode
from .engine import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


# ***** tuples in, tuples out *****

def _as_tuple(value, arg_name, fn_name):
    """-> (was it a tuple, a tuple of Tensors); TypeError naming the argument otherwise."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, el in enumerate(values):
        if not isinstance(el, _mg.Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but {where} has type {type(el)}.")
    return is_tuple, values


def _unpack(res, was_tuple):
    """Undo _as_tuple on a result: `was_tuple` is one flag, or (outer, inner) for nested tuples."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(el[0] for el in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _fresh(tensors, create_graph, need_graph):
    """New Tensor objects for `func` to see: views keeping the history when create_graph (so the
    result can be differentiated w.r.t. the caller's tensors), else detached leaves. Always new
    objects, so gradients are taken w.r.t. the arguments, not the same tensors captured by func."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _finish(res, create_graph):
    """Results without history unless create_graph (nested tuples for jacobian/hessian)."""
    if isinstance(res[0], _mg.Tensor):
        return res if create_graph else tuple(t.detach() for t in res)
    return tuple(_finish(r, create_graph) for r in res)


def _vector(fn_name, v, like, like_is_tuple, create_graph, none_msg):
    """v as a tuple matching `like` (the outputs for vjp, the inputs otherwise)."""
    if v is None:
        if len(like) != 1 or like[0].nelement() != 1:
            raise RuntimeError(f"The vector v can only be None if {none_msg}")
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _fresh(v, create_graph, need_graph=False)
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el, ref) in enumerate(zip(v, like)):
        if el.size() != ref.size():
            prefix = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {ref.size()} but got {el.size()}.")
    return v


_INPUTS_SINGLE = "the input to the user-provided function is a single Tensor with a single element."


def _call(func, inputs, fn_name, strict, scalar=False):
    """func(*inputs) as (was it a tuple, tuple of outputs), checked for strict / a scalar output."""
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if scalar:
        if is_tuple:
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if outputs[0].nelement() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single "
                               f"element")
    return is_tuple, outputs


# ***** strict mode and missing gradients *****

_INDEPENDENT = {   # what a Tensor that does not require grad means, by where it was found
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be "
               "computed in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect "
                "to input {i} is independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is twice differentiable and that the jacobian depends on the inputs (this "
                "would be violated by a linear function for example).",
}

_MISSING = {       # what a None gradient means, by the backward pass that returned it
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _check_requires_grad(tensors, kind, strict):
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(_MISSING["back"].format(i=i))
        if not t.requires_grad:
            raise RuntimeError(_INDEPENDENT[kind].format(i=i))


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """None gradients (independent inputs) as zeros, or a strict-mode error."""
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = _mg.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is "
                               f"not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None for an output is allowed);
    None for an input nothing depends on."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    outs, seeds = zip(*kept)
    return _grad(outs, inputs, seeds, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _one_hot(like, k):
    """A Tensor shaped like `like` with a 1 at flat index k: the seed that picks one row/column."""
    e = np.zeros(like.shape, dtype=like._data.dtype)
    e.reshape(-1)[k] = 1
    return _mg.Tensor._wrap(e)


# ***** products with vectors *****

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """v^T J of func at `inputs` -> (func_output, vjp), vjp shaped like `inputs`.

    v: shaped like func's output (optional when that is a single element). create_graph: the
    results are recorded, so they can be differentiated again. strict: raise when an input has
    no influence on the outputs instead of returning zeros for it."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector("vjp", v, outputs, is_outputs_tuple, create_graph,
                    "the user-provided function returns a single Tensor with a single element.")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """J v of func at `inputs` -> (func_output, jvp), jvp shaped like the output.

    v: shaped like `inputs` (optional for a single-element input). Computed with the double
    backward trick: u -> u^T J is linear in the dummy cotangent u, and its gradient along v is J v."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _vector("jvp", v, inputs, is_inputs_tuple, create_graph, _INPUTS_SINGLE)
        is_outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # The backward is linear in u, so u's value never appears in the second graph: zeros do.
        u = tuple(_mg.zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, u, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, u, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_outputs_tuple))


def _gradient_of_scalar(func, inputs, v, fn_name, create_graph, strict):
    """Shared start of vhp/hvp: (was inputs a tuple, inputs, v, output, recorded grad f)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    v = _vector(fn_name, v, inputs, is_inputs_tuple, create_graph, _INPUTS_SINGLE)
    _, outputs = _call(func, inputs, fn_name, strict, scalar=True)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """v^T H of a scalar func at `inputs` -> (func_output, vhp), vhp shaped like `inputs`:
    the gradient of <grad f, v>."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs, v, outputs, jac = _gradient_of_scalar(func, inputs, v, "vhp", create_graph, strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """H v of a scalar func at `inputs` -> (func_output, hvp), hvp shaped like `inputs`, by the
    double backward trick on grad f (equal to vhp when f is twice continuously differentiable)."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs, v, outputs, jac = _gradient_of_scalar(func, inputs, v, "hvp", create_graph, strict)
        u = tuple(_mg.zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _autograd_grad(jac, inputs, u, create_graph=True)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        grads = _autograd_grad(double_back, u, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), is_inputs_tuple)


# ***** full Jacobians and Hessians *****

def _assemble(pieces, shape, dim):
    """Rows (or columns) into one Tensor of `shape`. One piece is a reshape (the Hessian's inner
    Jacobian of a scalar), so that case stays differentiable through Reshape alone."""
    if len(pieces) == 1:
        return pieces[0].reshape(shape)
    return _mg.stack(pieces, dim=dim).reshape(shape)


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """Reverse mode: J[i][j] from one backward per element of output i (a one-hot cotangent)."""
    jac = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        for k in range(out.nelement()):
            grads = _autograd_grad((out,), inputs, (_one_hot(out, k),), retain_graph=True,
                                   create_graph=create_graph)
            for j, (g, inp) in enumerate(zip(grads, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. "
                                           f"This is not allowed in strict mode.")
                    g = _mg.zeros_like(inp)
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {j}. "
                                       f"This is not allowed in strict mode when create_graph=True.")
                rows[j].append(g)
        jac.append(tuple(_assemble(r, out.shape + inp.shape, 0) if r else
                         _mg.zeros(out.shape + inp.shape, dtype=inp.dtype) for r, inp in zip(rows, inputs)))
    return tuple(jac)


def _jacobian_columns(func, inputs):
    """strategy="forward-mode": J[i][j] one column (input element) at a time by the double
    backward trick, as jvp; the result has the outputs' dtype, as torch's forward mode."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph=False, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        u = tuple(_mg.zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, u, create_graph=True)
    cols = [[[] for _ in inputs] for _ in outputs]
    for j, (g, inp) in enumerate(zip(grad_inputs, inputs)):
        for k in range(inp.nelement()):
            grads = _autograd_grad((g,), u, (_one_hot(inp, k),), retain_graph=True)
            for i, (c, out) in enumerate(zip(grads, outputs)):
                cols[i][j].append(_mg.zeros_like(out) if c is None else c)
    jac = tuple(tuple(_assemble(c, out.shape + inp.shape, out.ndim) if c else
                      _mg.zeros(out.shape + inp.shape, dtype=out.dtype) for c, inp in zip(cols_i, inputs))
                for cols_i, out in zip(cols, outputs))
    return _unpack(_finish(jac, False), (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at `inputs`: a Tensor of shape out.shape + in.shape for one input and
    one output; a tuple when one of them is a tuple; J[i][j] (output i, input j) when both are.

    strategy: "reverse-mode" (one backward per output element) or "forward-mode" (one double
    backward per input element; needs vectorize=True, as in torch). vectorize: accepted for
    torch's signature; the rows are still computed one by one (minigrad has no vmap)."""
    if strategy not in _STRATEGIES:
        raise AssertionError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}. '
                             f'Hint: If your function has more outputs than inputs, "forward-mode" tends to be more '
                             f'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is "
                                      "only implemented for `vectorize=True`.")
        return _jacobian_columns(func, inputs)
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = _jacobian_rows(outputs, inputs, create_graph, strict)
    return _unpack(_finish(jac, create_graph), (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func at `inputs`: a Tensor of shape in.shape + in.shape for one
    input, H[i][j] (inputs i and j) for a tuple. The Jacobian of the recorded gradient; the outer
    Jacobian's strategy as `jacobian`'s."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got '
                             f'{outer_jacobian_strategy!r}.')

    def scalar_func(*inp):
        _, out = _call(func, inp, "hessian", strict, scalar=True)
        return out[0].reshape(())

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _unpack(res, (is_inputs_tuple, is_inputs_tuple))
