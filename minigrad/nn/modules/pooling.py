"""Pooling layers: hyperparameters only; forward is one nn.functional call. Like torch, nothing
is validated at construction: every check runs at forward (so MaxPool2d(0) fails there)."""
from collections.abc import Iterable

from .. import functional as F
from ..functional._pooling import _pair
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "MaxUnpool2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool2d"]


class MaxPool2d(Module):
    """Max over (dilated) kernel_size windows (https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d).

    Args: kernel_size, stride (default kernel_size), padding, dilation: int or (H, W) pair;
    return_indices: forward returns (output, int64 indices) for MaxUnpool2d; ceil_mode.
    Shape: (N, C, H, W) or (C, H, W) -> (N, C, OH, OW), OH = floor((H + 2p - d(k-1) - 1) / s) + 1
    (see nn.functional.max_pool2d for ceil_mode).

        >>> MaxPool2d(2)(minigrad.arange(16.).reshape(1, 1, 4, 4))   # [[[[5, 7], [13, 15]]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kernel_size windows (https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d).

    Args: kernel_size, stride (default kernel_size), padding: int or (H, W) pair; ceil_mode;
    count_include_pad: count the zero padding in the divisor; divisor_override: a fixed int divisor.
    Shape: as MaxPool2d with dilation 1.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(Module):
    """Partial inverse of MaxPool2d (https://pytorch.org/docs/stable/generated/torch.nn.MaxUnpool2d).

    Args: kernel_size, stride (default kernel_size), padding, stored as pairs.
    forward(input, indices, output_size=None): indices from MaxPool2d(return_indices=True);
    output_size (OH, OW) or (N, C, OH, OW) picks among the input sizes a pool maps to the same
    output. Default OH = (H - 1)*stride - 2*padding + kernel_size.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride if stride is not None else kernel_size)
        self.padding = _pair(padding)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(MaxPool2d):
    """Max over windows of the last dim: (N, C, L) or (C, L) -> (…, L_out), as MaxPool2d along L."""

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


def _single(x):
    """torch.nn.modules.utils._single: an iterable becomes a tuple, anything else (x,)."""
    return tuple(x) if isinstance(x, Iterable) else (x,)


class AvgPool1d(Module):
    """Mean over windows of the last dim: (N, C, L) or (C, L) -> (…, L_out). The sizes are kept as
    1-tuples (torch's repr shows kernel_size=(k,))."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (OH, OW) (an int, a pair, None keeps a dim):
    (N, C, H, W) or (C, H, W) -> (…, OH, OW) with torch's (possibly overlapping) windows."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    """Max pooling to a fixed output size; return_indices for MaxUnpool2d."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
