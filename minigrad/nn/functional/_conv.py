"""conv1d (conv2d on a (…, 1, L) view) and conv_transpose2d, with torch 2.13's arguments,
checks and messages."""
import numpy as np

from ...ops.conv_transpose import ConvTranspose2d as _ConvTranspose2d
from ...tensor import _dtype_name
from ._linear import _conv_pair, _tensor, check_conv_geometry, check_conv_operands, conv2d

__all__ = ["conv1d", "conv_transpose2d"]


def _one(value, name):
    """An int or a 1-sequence -> int, with torch's message for other lengths."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 1 values to match the "
                               f"convolution dimensions, but got {name}={list(value)}")
        value = value[0]
    return value


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: input (N, C, L) or (C, L), weight (O, C/groups, k), padding an
    int, 'valid' or 'same' (zeros)."""
    check_conv_operands(input, weight, "conv1d", 1, "(out_channels, in_channels/groups, k)")
    pad = padding if isinstance(padding, str) else (0, _one(padding, "padding"))
    return conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, _one(stride, "stride")), pad,
                  (1, _one(dilation, "dilation")), groups).squeeze(-2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d (a "deconvolution"): input (N, Cin, H, W) or (Cin, H, W), weight
    (Cin, Cout/groups, kH, kW) -> (N, Cout, OH, OW),
    OH = (H - 1)·stride - 2·padding + dilation·(kH - 1) + output_padding + 1."""
    check_conv_operands(input, weight, "conv_transpose2d", 2, "(in_channels, out_channels/groups, kH, kW)")
    stride, padding = _conv_pair(stride, "stride"), _conv_pair(padding, "padding")
    output_padding, dilation = _conv_pair(output_padding, "output_padding"), _conv_pair(dilation, "dilation")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    N, C, H, W = x.shape
    Cin, Cog, kh, kw = weight.shape
    check_conv_geometry(stride, padding, dilation, groups)
    if any(o < 0 for o in output_padding) or any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
                           f"stride_height: {stride[0]} stride_width: {stride[1]} dilation_height: {dilation[0]} "
                           f"dilation_width: {dilation[1]}")
    if Cin % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if C != Cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {Cin} channels, but got {C} channels instead")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                   for n, s, p, d, k, o in zip((H, W), stride, padding, dilation, (kh, kw), output_padding))
    if min(out_hw) < 1:
        raise RuntimeError(f"Given input size per channel: ({H} x {W}). Calculated output size per channel: "
                           f"({out_hw[0]} x {out_hw[1]}). Output size is too small")
    if weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(x.dtype)} but found {_dtype_name(weight.dtype)}")
    if bias is not None:
        _tensor(bias, "bias", "conv_transpose2d")
        if bias.ndim != 1 or bias.shape[0] != Cog * groups:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                               f"1-dimensional with {Cog * groups} elements, but got bias of size {list(bias.shape)} "
                               "instead")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"conv_transpose2d: expected a floating point input, got {x.dtype}")
    out = _ConvTranspose2d.apply(x, weight, bias, stride, padding, out_hw, dilation, int(groups))
    return out.squeeze(0) if unbatched else out
