"""Activation layers: hyperparameters (and PReLU's weight) plus one functional call.
See https://pytorch.org/docs/stable/nn.html#non-linear-activations-weighted-sum-nonlinearity"""
import numpy as np

from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU"]


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
