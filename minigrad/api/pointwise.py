"""Element-wise math: one function per op, bound as minigrad.<op>, Tensor.<op>, Tensor.<op>_."""
from .. import ops
from ._bind import op


@op(inplace=True)
def exp(input):
    return ops.Exp.apply(input)


@op(inplace=True)
def log(input):
    return ops.Log.apply(input)


@op(inplace=True)
def sqrt(input):
    return ops.Sqrt.apply(input)


@op(inplace=True)
def abs(input):
    return ops.Abs.apply(input)
