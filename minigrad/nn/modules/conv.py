"""Conv1d, Conv2d, ConvTranspose2d (https://pytorch.org/docs/stable/nn.html#convolution-layers)."""
from .. import functional as F
from ..functional._linear import _conv_pair, _pad_mode, same_padding
import numpy as np

from ..parameter import Parameter
from .linear import _check_sizes, _init_weight_and_bias, reset_weight_and_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]

# torch prints these sets in this order in its messages.
_PADDING_STRINGS = "{'valid', 'same'}"
_PADDING_MODES = "{'zeros', 'reflect', 'circular', 'replicate'}"


class Conv2d(Module):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None) (device: CPU only, ignored).

    Input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, OH, OW),
    OH = floor((H + 2·padding − dilation·(kernel − 1) − 1)/stride) + 1. weight (C_out, C_in/groups,
    kH, kW) and bias (C_out,) start as U(−1/√fan_in, 1/√fan_in), fan_in = C_in/groups·kH·kW.
    padding: int, pair, 'valid' or 'same' (stride 1 only); padding_mode 'reflect', 'replicate' or
    'circular' pads the input with that mode first and then convolves without padding (as torch)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _check_channels(in_channels, out_channels, groups, padding_mode)
        kernel_size = _conv_pair(kernel_size, "kernel_size")
        stride = _conv_pair(stride, "stride")
        dilation = _conv_pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _conv_pair(padding, "padding")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.groups, self.padding_mode = groups, padding_mode
        # (left, right, top, bottom), the order F.pad takes, for the non-zero padding modes.
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            pads = same_padding(kernel_size, dilation)
        else:
            pads = (padding[0], padding[0], padding[1], padding[1])
        self._reversed_padding_repeated_twice = (pads[2], pads[3], pads[0], pads[1])
        _init_weight_and_bias(self, (out_channels, in_channels // groups, *kernel_size), bias, dtype)

    def reset_parameters(self):
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        if self.padding_mode != "zeros":
            padded = _pad_mode(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return _conv_repr(self)


def _conv_repr(m):
    """torch's _ConvNd.extra_repr: only the arguments that differ from their defaults."""
    n = len(m.kernel_size)
    s = f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, stride={m.stride}"
    if m.padding != (0,) * n:
        s += f", padding={m.padding}"
    if m.dilation != (1,) * n:
        s += f", dilation={m.dilation}"
    if getattr(m, "output_padding", (0,) * n) != (0,) * n:
        s += f", output_padding={m.output_padding}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    if m.padding_mode != "zeros":
        s += f", padding_mode={m.padding_mode}"
    return s


def _check_channels(in_channels, out_channels, groups, padding_mode):
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")


def _single(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class Conv1d(Module):
    """Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', dtype=None): (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
    run as Conv2d on a (…, 1, L) view. weight (C_out, C_in/groups, k), bias (C_out,), initialised
    as torch's (U(±1/√fan_in), fan_in = C_in/groups·k)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _check_channels(in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = _single(kernel_size), _single(stride), _single(dilation)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}")
            if padding == "same" and self.stride != (1,):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
            pads = (0, 0) if padding == "valid" else same_padding(self.kernel_size, self.dilation)
        else:
            self.padding = _single(padding)
            pads = (self.padding[0], self.padding[0])
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = pads
        _init_weight_and_bias(self, (out_channels, in_channels // groups, *self.kernel_size), bias, dtype)

    def reset_parameters(self):
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return _conv_repr(self)


class ConvTranspose2d(Module):
    """ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', dtype=None):
    (N, C_in, H, W) -> (N, C_out, OH, OW), OH = (H − 1)·stride − 2·padding + dilation·(k − 1) +
    output_padding + 1. weight (C_in, C_out/groups, kH, kW). forward(input, output_size=None):
    output_size picks output_padding among the sizes a stride-s conv maps to H."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        _check_channels(in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _conv_pair(kernel_size, "kernel_size"), _conv_pair(stride, "stride")
        self.padding, self.dilation = _conv_pair(padding, "padding"), _conv_pair(dilation, "dilation")
        self.output_padding = _conv_pair(output_padding, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        _check_sizes(shape)
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        reset_weight_and_bias(self.weight, self.bias)

    def _output_padding(self, input, output_size):
        """torch's _ConvTransposeNd._output_padding."""
        if output_size is None:
            return self.output_padding
        non_spatial = 2 if input.ndim == 4 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + 2:
            output_size = output_size[non_spatial:]
        if len(output_size) != 2:
            raise ValueError(f"ConvTranspose2D: for {input.ndim}D input, output_size must have 2 or "
                             f"{non_spatial + 2} elements (got {len(output_size)})")
        spatial = input.shape[non_spatial:]
        min_sizes = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d] + self.dilation[d] *
                     (self.kernel_size[d] - 1) + 1 for d in range(2)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {tuple(spatial)})")
        return tuple(o - m for o, m in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)

    def extra_repr(self):
        return _conv_repr(self)
