"""One definition per op: `@op` binds a function as `minigrad.<name>`, `Tensor.<name>` and,
where PyTorch has one, the in-place `Tensor.<name>_`.

    @op(inplace=True)
    def exp(input):
        return ops.Exp.apply(input)

gives `minigrad.exp(x)`, `x.exp()` and `x.exp_()`. The function takes PyTorch's signature with
`input` first, so as a method `self` is `input`. Where the method's signature differs from the
function's (`x.reshape(2, 3)` vs `minigrad.reshape(x, (2, 3))`), `method=False` and a method
that calls the function, next to it.
"""
from ..autograd.function import check_inplace
from ..autograd.grad_mode import state as _mode
from ..tensor import Tensor, _dtype_name

# name -> function, copied into the `minigrad` namespace by minigrad/__init__.py
FUNCTIONS = {}


def op(*names, function=True, method=True, inplace=False):
    def bind(fn):
        for name in names or (fn.__name__,):
            if function:
                FUNCTIONS[name] = fn
            if method:
                setattr(Tensor, name, fn)
            if inplace:
                setattr(Tensor, name + "_", _inplace_method(fn, name + "_"))
        return fn
    return bind


def method(*names):
    """Bind a method-only form (`x.view(2, 3)`, `x.size()`)."""
    def bind(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
        return fn
    return bind


def _inplace_method(fn, name):
    def inplace(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    inplace.__name__ = inplace.__qualname__ = name
    inplace.__wrapped__ = fn   # inspect.signature shows fn's parameters, torch's names
    inplace.__doc__ = f"In-place version of {fn.__name__}: overwrites self and returns it."
    return inplace


def apply_inplace(tensor, fn, *args, **kwargs):
    """tensor <- fn(tensor, *args): the value is written into tensor's memory, its version
    bumped, and, when a graph is recorded, its history rebased onto the op (torch's `op_`)."""
    if not _mode.enabled:
        return _write(tensor, fn(tensor, *args, **kwargs))
    check_inplace(tensor)
    if not tensor.requires_grad:
        out = fn(Tensor._wrap(tensor._data), *args, **kwargs)
        if not out.requires_grad:          # no graph: nothing saved the old value
            return _write(tensor, out)
    # The old value becomes a tensor of its own (a copy: the graph may have saved it), holding
    # the old history; the op reads it and tensor takes the op's history.
    old = Tensor._wrap(tensor._data.copy(), tensor._ctx, tensor._out_idx)
    old.requires_grad = tensor.requires_grad
    out = fn(old, *args, **kwargs)
    _write(tensor, out)
    if out.requires_grad:
        tensor._ctx, tensor._out_idx, tensor.requires_grad = out._ctx, out._out_idx, True
    return tensor


def _write(tensor, out):
    value = out._data if isinstance(out, Tensor) else out
    if value.shape != tensor._data.shape:
        raise RuntimeError(f"output with shape {list(tensor._data.shape)} doesn't match the broadcast shape "
                           f"{list(value.shape)}")
    if value.dtype.kind == "f" and tensor._data.dtype.kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_dtype_name(tensor._data.dtype)}")
    if value is not tensor._data:
        tensor._data[...] = value
    tensor._version[0] += 1
    return tensor
