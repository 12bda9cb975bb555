"""elu, gelu, silu, softplus, hardtanh, relu6: torch 2.13's arguments, defaults and checks; the
ops are NumPy ones (minigrad.ops.activation_np). Same input rule as the other activations:
float32/float64 only (NotImplementedError otherwise; torch runs hardtanh/relu6 on integers).
`inplace=True` overwrites the input through Function.apply_ (torch's leaf error included)."""
from ...ops import activation_np as _ops
from ._activation import _check_input

__all__ = ["elu", "gelu", "silu", "softplus", "hardtanh", "relu6"]


def _run(op, input, inplace, *args):
    return op.apply_(input, *args) if inplace else op.apply(input, *args)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _check_input("elu", input)
    return _run(_ops.ELU, input, inplace, float(alpha))


def gelu(input, approximate="none"):
    """x * Φ(x) (Φ the standard normal CDF); approximate='tanh' uses torch's tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_input("gelu", input, "GeluKernelImpl")
    return _ops.GELU.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x) (swish)."""
    _check_input("silu", input)
    return _run(_ops.SiLU, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    _check_input("softplus", input)
    return _ops.Softplus.apply(input, float(beta), float(threshold))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); the gradient is 0 at the bounds (torch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _check_input("hardtanh", input)
    return _run(_ops.Hardtanh, input, inplace, float(min_val), float(max_val))


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)
