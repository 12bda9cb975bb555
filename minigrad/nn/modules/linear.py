"""Linear: y = x Wᵀ + b (https://pytorch.org/docs/stable/generated/torch.nn.Linear.html)."""
import math

import numpy as np

from ..._alloc import check_alloc
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear"]


def _check_sizes(shape):
    if any(s < 0 for s in shape):
        neg = next(s for s in shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {list(shape)}")


def _init_weight_and_bias(module, weight_shape, bias, dtype):
    """Give `module` a weight of weight_shape and a bias of (weight_shape[0],) (or None), both
    initialised as torch's layers are (see reset_weight_and_bias)."""
    _check_sizes(weight_shape)
    dtype = np.dtype(dtype or np.float32)
    check_alloc(weight_shape, dtype.itemsize)
    module.weight = Parameter(np.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(np.empty(weight_shape[0], dtype=dtype))
    else:
        module.register_parameter("bias", None)
    reset_weight_and_bias(module.weight, module.bias)


def reset_weight_and_bias(weight, bias):
    """torch's default for Linear and Conv2d: kaiming_uniform_(a=√5) on the weight, whose bound
    √6/√((1+5)·fan_in) = 1/√fan_in keeps Lua-Torch's U(±1/√fan_in), and U(±1/√fan_in) on the bias
    (fan_in = weight.size(1) · receptive field; a bias with fan_in 0 gets 0)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """Linear(in_features, out_features, bias=True, device=None, dtype=None) (device: CPU only,
    ignored): input (*, in_features) ->
    (*, out_features). weight (out, in) and bias (out,) start as U(−1/√in, 1/√in), as in torch."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _init_weight_and_bias(self, (out_features, in_features), bias, dtype)

    def reset_parameters(self):
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
