"""Activations: sigmoid, tanh, relu, leaky_relu, prelu, rrelu with torch 2.13's arguments,
defaults, checks (exception types and messages) and results (SPEC §5). Each function validates
here, then calls one ops Function; `inplace=True` goes through Function.apply_ (version counter,
torch's error for a leaf that requires grad).

Deliberate differences from torch 2.13:
- Inputs must be float32 or float64: NotImplementedError otherwise (torch also runs relu on
  integers and promotes integers for sigmoid/tanh).
- sigmoid is evaluated stably: float32 results below ~1e-38 are the true tiny values
  (sigmoid(-100) = 3.7e-44) where torch's 1/(1+exp(-x)) flushes them to 0.
- leaky_relu(..., inplace=True) with a negative slope works when grad is needed (torch raises).
- rrelu's random slopes come from minigrad's counter-based stream, not torch's generator.
"""
import numpy as np

from ...ops import activation as _ops
from ...tensor import Tensor, _dtype_name

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu"]


def _check_input(fn, input, kernel=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f'"{kernel or fn}_cpu" not implemented for \'{_dtype_name(input.dtype)}\'')


def sigmoid(input):
    """sigmoid(x) = 1 / (1 + exp(-x)), element-wise; any shape; output dtype = input dtype."""
    _check_input("sigmoid", input)
    return _ops.Sigmoid.apply(input)


def tanh(input):
    """tanh(x), element-wise; any shape; output dtype = input dtype."""
    _check_input("tanh", input)
    return _ops.Tanh.apply(input)


def relu(input, inplace=False):
    """relu(x) = max(x, 0); gradient 0 at x = 0 (torch). inplace=True overwrites `input`."""
    _check_input("relu", input, "clamp_min")
    if inplace:
        return _ops.ReLU.apply_(input, inplace=True)
    return _ops.ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x; gradient at 0 is negative_slope (torch). The slope
    is not checked (torch accepts negative or > 1 slopes too)."""
    _check_input("leaky_relu", input)
    slope = float(negative_slope)
    if inplace:
        return _ops.LeakyReLU.apply_(input, slope, inplace=True)
    return _ops.LeakyReLU.apply(input, slope)


def prelu(input, weight):
    """x if x > 0 else a_c * x with a learnable a of 1 or C entries.

    Channel dim: 1 (input.size(1)) for input.dim() >= 2, and a single channel for 0-d and 1-d
    input (SPEC §10); unbatched (C, H, W) input therefore uses H, like torch. Shape: any.
    Raises RuntimeError (torch's messages) for: weight.dim() > 1, dtype mismatch, more than one
    parameter on a 0-d input, and parameter count != channel size.
    """
    _check_input("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_dtype_name(input.dtype)} and "
                           f"{_dtype_name(weight.dtype)}")
    n_params = weight.numel()
    if n_params != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if n_params != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n_params} and channel size = {channels}.")
    return _ops.PReLU.apply(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU. training=True: each element with x <= 0 gets a slope r ~ U(lower, upper)
    (minigrad.manual_seed's stream; backward uses the same r). training=False (the functional's
    default, as torch): leaky_relu with slope (lower + upper) / 2.
    Raises RuntimeError if lower > upper (in both modes, as torch)."""
    _check_input("rrelu", input, "rrelu_with_noise")
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    if inplace:
        return _ops.RReLU.apply_(input, lower, upper, inplace=True)
    return _ops.RReLU.apply(input, lower, upper)
