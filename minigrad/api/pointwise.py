"""Element-wise math: one function per op, bound as minigrad.<op>, Tensor.<op>, Tensor.<op>_.

Dtypes follow torch (see _operands.py for promotion): exp, log, sqrt, sin, sigmoid, div, ...
compute int and bool tensors in float32; abs, neg, sign, floor, ceil, round, relu, square,
maximum, minimum, clamp, add, sub, mul keep integers integer. The Python operators in tensor.py
(`x + y`, `-x`, `x // y`, ...) call these functions.

NOTE: this module defines `abs`, `pow` and `round`, shadowing the builtins inside it.
"""
import numpy as np

from .. import _dtype, ops
from ..ops import activation as act
from ..ops.reduce import normalize_dim
from ..tensor import Tensor, _dtype_name
from ._bind import apply_inplace, method, op
from ._operands import apply_binary, check_tensor, floating, operands, type_error

_ROUNDING_MODES = (None, "trunc", "floor")


def _binary(fn, input, other, name):
    if isinstance(input, Tensor):
        a, b = operands(input, other, name)
    elif isinstance(other, Tensor):      # torch.add(2, t): a number as the first operand
        b, a = operands(other, input, name, "input", 1)
    else:
        raise type_error(name, "input", 1, input)
    return apply_binary(fn, a, b)


def _scaled(other, alpha, input):
    if isinstance(alpha, float) and not _is_float(input) and not _is_float(other):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return other * alpha


def _is_float(x):
    return x._data.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, float)


def _no_bool(input, message):
    if input._data.dtype.kind == "b":
        raise RuntimeError(message)


# ***** arithmetic *****

@op(inplace=True)
def add(input, other, *, alpha=1):
    if alpha != 1:
        other = _scaled(other, alpha, input)
    return _binary(ops.Add, input, other, "add")


@op("sub", "subtract", inplace=True)
def sub(input, other, *, alpha=1):
    if isinstance(input, Tensor) and isinstance(other, Tensor) and \
            input._data.dtype.kind == other._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = _scaled(other, alpha, input)
    return _binary(ops.Sub, input, other, "sub")


@op(method=False)
def rsub(input, other, *, alpha=1):
    """other - alpha * input (what `2 - x` computes)."""
    return sub(other, input, alpha=alpha)


@op("mul", "multiply", inplace=True)
def mul(input, other):
    return _binary(ops.Mul, input, other, "mul")


@op("div", "divide", inplace=True)
def div(input, other, *, rounding_mode=None):
    """input / other. rounding_mode None: true division (integers give float32, as torch);
    'trunc' rounds toward zero, 'floor' down (integers stay integers; zero gradients)."""
    if rounding_mode is None:
        if not _is_float(input) and not _is_float(other):
            input = floating(input, "div") if isinstance(input, Tensor) else float(input)
        return _binary(ops.Div, input, other, "div")
    if rounding_mode not in _ROUNDING_MODES:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return _rounded(ops.DivRounded, input, other, "div", rounding_mode)


def _rounded(fn, input, other, name, *args):
    """An op whose integer form divides: integer division by zero is torch's RuntimeError."""
    if isinstance(input, Tensor):
        a, b = operands(input, other, name)
    else:
        b, a = operands(check_tensor(other, name), input, name, "input", 1)
    if np.asarray(b).dtype.kind in "biu" and not np.all(np.asarray(b)):
        raise RuntimeError("ZeroDivisionError")
    return apply_binary(fn, a, b, *args)


@op(inplace=True)
def true_divide(input, other):
    return div(input, other)


@op(inplace=True)
def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


@op(inplace=True)
def remainder(input, other):
    """Python's %: the result has the sign of other."""
    return _rounded(ops.Remainder, input, other, "remainder")


@op(inplace=True)
def fmod(input, other):
    """C's fmod: the result has the sign of input."""
    return _rounded(ops.Fmod, input, other, "fmod")


@op(inplace=True)
def pow(input, exponent):
    return _binary(ops.Pow, input, exponent, "pow")


@op("neg", "negative", inplace=True)
def neg(input):
    _no_bool(check_tensor(input, "neg"), "Negation, the `-` operator, on a bool tensor is not supported. "
             "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return ops.Neg.apply(input)


@op()
def positive(input):
    _no_bool(check_tensor(input, "positive"), "The `+` operator, on a bool tensor is not supported.")
    return input


@op(inplace=True)
def abs(input):
    _not_for_bool(check_tensor(input, "abs"), "abs")
    return ops.Abs.apply(input)


def _not_for_bool(input, kernel):
    if input._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for 'Bool'")


@op(inplace=True)
def square(input):
    check_tensor(input, "square")
    if input._data.dtype.kind == "b":
        input = Tensor._wrap(input._data.astype(np.int64))
    return ops.Square.apply(input)


@op(inplace=True)
def lerp(input, end, weight):
    """input + weight * (end - input); weight a number or a tensor."""
    check_tensor(input, "lerp")
    check_tensor(end, "lerp", "end", 2)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"lerp_kernel_scalar\" not implemented for '{_dtype_name(input.dtype)}'")
    if end._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected dtype {_torch_name(input)} for `end` but got dtype {_torch_name(end)}")
    if isinstance(weight, Tensor):
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {_torch_name(input)} for `weight` but got dtype "
                               f"{_torch_name(weight)}")
    else:
        weight = float(weight)
    try:
        return ops.Lerp.apply(input, end, weight)
    except ValueError:
        raise RuntimeError(f"shapes {tuple(input.shape)}, {tuple(end.shape)} and {tuple(np.shape(weight))} "
                           "cannot be broadcast together") from None


def _torch_name(t):
    return {"float32": "float", "float64": "double", "int64": "long"}.get(t._data.dtype.name, t._data.dtype.name)


# ***** float math: int and bool tensors are computed in float32 *****

def _float_op(fn, name):
    """Define and bind minigrad.<name>, Tensor.<name> and Tensor.<name>_ for a float-only unary op."""
    def unary(input):
        return fn.apply(floating(input, name))
    unary.__name__ = unary.__qualname__ = name
    unary.__doc__ = f"{name}(input) element-wise; int and bool tensors give float32 (torch)."
    unary.__module__ = __name__
    return op(inplace=True)(unary)


for _name, _fn in [("exp", ops.Exp), ("log", ops.Log), ("sqrt", ops.Sqrt), ("rsqrt", ops.Rsqrt),
                   ("log1p", ops.Log1p), ("expm1", ops.Expm1), ("exp2", ops.Exp2), ("log2", ops.Log2),
                   ("log10", ops.Log10), ("sin", ops.Sin), ("cos", ops.Cos), ("tan", ops.Tan),
                   ("sinh", ops.Sinh), ("cosh", ops.Cosh), ("sigmoid", act.Sigmoid), ("tanh", act.Tanh),
                   ("reciprocal", ops.Reciprocal)]:
    globals()[_name] = _float_op(_fn, _name)


@op()
def relu(input):
    """max(input, 0), gradient 0 at 0 (torch); integers stay integers."""
    kind = check_tensor(input, "relu")._data.dtype.kind
    if kind == "f":
        return act.ReLU.apply(input)
    if kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Tensor._wrap(np.maximum(input._data, 0))


@method()
def relu_(self):
    if self._data.dtype.kind == "f":
        return act.ReLU.apply_(self, inplace=True)    # the kernel writes into self: no copy
    return apply_inplace(self, relu)


# ***** rounding: integers pass through unchanged; the gradient is zero *****

def _rounding(input, fn, name, *args):
    kind = check_tensor(input, name)._data.dtype.kind
    if kind == "f":
        return fn.apply(input, *args)
    if kind == "b":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    return Tensor._wrap(input._data.copy())


@op(inplace=True)
def floor(input):
    return _rounding(input, ops.Floor, "floor")


@op(inplace=True)
def ceil(input):
    return _rounding(input, ops.Ceil, "ceil")


@op(inplace=True)
def round(input, *, decimals=0):
    """Round half to even (torch), to `decimals` places."""
    if decimals and check_tensor(input, "round")._data.dtype.kind != "f":
        raise NotImplementedError(f"\"round_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    return _rounding(input, ops.Round, "round", decimals)


@op(inplace=True)
def sign(input):
    if check_tensor(input, "sign")._data.dtype.kind == "b":
        return Tensor._wrap(input._data.copy())
    return ops.Sign.apply(input)


# ***** selections *****

def _pair(fn, input, other, name):
    """A binary op whose operands must both be tensors (torch.maximum, ...)."""
    check_tensor(input, name)
    check_tensor(other, name, "other", 2)
    return apply_binary(fn, *operands(input, other, name))


@op()
def maximum(input, other):
    """Element-wise max; NaN propagates; on ties each input gets half the gradient (torch)."""
    return _pair(ops.Maximum, input, other, "maximum")


@op()
def minimum(input, other):
    return _pair(ops.Minimum, input, other, "minimum")


@op("clamp", "clip", inplace=True)
def clamp(input, min=None, max=None):
    """Limit input to [min, max]; min and max are numbers or tensors (which get gradients too).
    Where min > max every element becomes max (torch). The gradient passes where min <= x <= max."""
    check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    # first the result dtype (an int tensor with a float bound becomes float32), then the bounds in it
    for position, bound in ((2, min), (3, max)):
        if bound is not None:
            input, _ = operands(input, bound, "clamp", "min" if position == 2 else "max", position)
    bounds = [None if b is None else operands(input, b, "clamp")[1] for b in (min, max)]
    try:
        return ops.Clamp.apply(input, *bounds)
    except ValueError:
        raise RuntimeError(f"clamp: shapes of input {tuple(input.shape)}, min {tuple(np.shape(min))} and max "
                           f"{tuple(np.shape(max))} cannot be broadcast together") from None


@op(method=False)
def where(condition, input=None, other=None):
    """input where condition else other (either may be a number); where(condition) alone is
    condition.nonzero(as_tuple=True), as torch."""
    cond = check_tensor(condition, "where")._data
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype_name(cond.dtype)}")
    if isinstance(input, Tensor):
        a, b = operands(input, other, "where", "other", 3)
    elif isinstance(other, Tensor):
        b, a = operands(other, input, "where", "input", 2)
    else:   # two numbers: torch's default dtypes
        first = np.asarray(input, _dtype.get_default_dtype().dtype if isinstance(input, float) else np.int64)
        a, b = operands(Tensor._wrap(first),
                        other, "where", "other", 3)
    try:
        return ops.Where.apply(cond, a, b)
    except ValueError:
        raise RuntimeError(f"where: shapes of condition {tuple(cond.shape)}, input {tuple(np.shape(a))} and "
                           f"other {tuple(np.shape(b))} cannot be broadcast together") from None


@method("where")
def _where_method(self, condition, y):
    return where(condition, self, y)


@op(inplace=True)
def masked_fill(input, mask, value):
    """input with `value` (a number or a 0-d tensor, which then gets a gradient) where mask is True."""
    check_tensor(input, "masked_fill")
    check_tensor(mask, "masked_fill", "mask", 2)
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_torch_name(mask)}")
    dtype = input._data.dtype
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        value = ops.Cast.apply(value, dtype) if value._data.dtype != dtype else value
    else:
        value = np.asarray(value).astype(dtype)
    try:
        return ops.MaskedFill.apply(input, mask, value)
    except ValueError:
        raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} cannot be broadcast to input of "
                           f"shape {tuple(input.shape)}") from None


# ***** softmax *****

def _softmax_input(input, dim, dtype, name):
    """(x, dim) for the op; a 0-d input is seen as shape (1,)."""
    check_tensor(input, name)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"softmax_lastdim_kernel_impl\" not implemented for "
                                  f"'{_dtype_name(input.dtype)}'")
    if input._data.ndim == 0:
        return input.reshape(1), normalize_dim(dim, 1)
    return input, normalize_dim(dim, input._data.ndim)


@op()
def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along dim (computed from x - max, so large inputs cannot overflow)."""
    x, d = _softmax_input(input, dim, dtype, "softmax")
    out = ops.Softmax.apply(x, d)
    return out if input.ndim else out.reshape(())


@op()
def log_softmax(input, dim, dtype=None):
    """x - log(sum(exp(x))) along dim, stable for large inputs."""
    x, d = _softmax_input(input, dim, dtype, "log_softmax")
    out = ops.LogSoftmax.apply(x, d)
    return out if input.ndim else out.reshape(())
