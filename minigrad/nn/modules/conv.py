"""Conv2d (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html)."""
from .. import functional as F
from ..functional._linear import _conv_pair, _pad_mode, same_padding
from .linear import _init_weight_and_bias, reset_weight_and_bias
from .module import Module

__all__ = ["Conv2d"]

# torch prints these sets in this order in its messages.
_PADDING_STRINGS = "{'valid', 'same'}"
_PADDING_MODES = "{'zeros', 'reflect', 'circular', 'replicate'}"


class Conv2d(Module):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', dtype=None).

    Input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, OH, OW),
    OH = floor((H + 2·padding − dilation·(kernel − 1) − 1)/stride) + 1. weight (C_out, C_in/groups,
    kH, kW) and bias (C_out,) start as U(−1/√fan_in, 1/√fan_in), fan_in = C_in/groups·kH·kW.
    padding: int, pair, 'valid' or 'same' (stride 1 only); padding_mode 'reflect', 'replicate' or
    'circular' pads the input with that mode first and then convolves without padding (as torch)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
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
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
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
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
