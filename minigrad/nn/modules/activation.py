"""Activation layers: hyperparameters (and PReLU's weight) plus one functional call.
See https://pytorch.org/docs/stable/nn.html#non-linear-activations-weighted-sum-nonlinearity"""
import warnings

import numpy as np

from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU", "Softmax", "LogSoftmax", "ELU", "GELU",
           "SiLU", "Softplus", "Hardtanh", "ReLU6"]


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)). Shape: any -> same.

    >>> nn.Sigmoid()(minigrad.tensor([0.0]))   # tensor([0.5])
    """
    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """y = tanh(x). Shape: any -> same."""
    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """y = max(x, 0). Args: inplace (overwrite the input). Shape: any -> same."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x. Args: negative_slope=0.01, inplace. Shape: any -> same."""
    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """y = x if x > 0 else a_c * x, with a learnable `weight` a of shape (num_parameters,), float32,
    filled with `init`. num_parameters is 1 or the channel count C = input.size(1) (a 1-D input has
    one channel). Weight decay on `a` is not recommended (torch's docs). Shape: any -> same.

    >>> m = nn.PReLU(3); y = m(minigrad.randn(2, 3, 4, 4))
    """
    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=np.float32))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU (Xu et al. 2015). In training mode each x <= 0 gets its own slope
    r ~ U(lower, upper) (seeded by minigrad.manual_seed); in eval mode the slope is (lower+upper)/2.
    Follows train()/eval(). Args: lower=1/8, upper=1/3, inplace. Shape: any -> same."""
    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


class _AlongDim(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """exp(x_i) / Σ_j exp(x_j) along `dim` (None: torch's legacy implicit choice, with a warning)."""
    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_AlongDim):
    """log(softmax(x)) along `dim`, computed stably (x - logsumexp(x))."""
    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class ELU(Module):
    """y = x if x > 0 else alpha (e^x - 1). Shape: any -> same."""
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """y = x Φ(x); approximate='tanh' uses the tanh approximation. Shape: any -> same."""
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """y = x σ(x) (swish). Shape: any -> same."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Softplus(Module):
    """y = log(1 + e^(βx)) / β, linear (y = x) where βx > threshold. Shape: any -> same."""
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """y = clamp(x, min_val, max_val). min_value/max_value: torch's deprecated spellings."""
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        assert self.max_val > self.min_val, f"max_val ({max_val}) must be greater than min_val ({min_val})"

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6)."""
    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)
