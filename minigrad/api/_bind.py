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
from ..autograd.function import apply_inplace
from ..tensor import Tensor

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
