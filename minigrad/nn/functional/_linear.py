"""linear and conv2d: torch's arguments, checks and messages (torch 2.13), then one ops Function."""
import numpy as np

from ..._alloc import check_alloc
from ...ops.conv import Conv2d as _Conv2d, Pad2d as _Pad2d
from ...ops.linalg import Linear as _Linear, MatMul as _MatMul
from ...tensor import Tensor, _dtype_name

__all__ = ["linear", "conv2d"]


# ***** linear *****

def _tensor(x, name, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias; input (*, in_features), weight (out_features, in_features)."""
    _tensor(input, "input", "linear")
    _tensor(weight, "weight", "linear")
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
                           f"{weight.ndim}D")
    if weight.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.ndim}D")
    if weight.ndim == 1:                  # torch: a 1-D weight is a dot product over the last dim
        out = _MatMul.apply(input, weight)
        return out if bias is None else out + bias
    rows = int(np.prod(input.shape[:-1]))
    if input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype_name(input.dtype).lower()} != {_dtype_name(weight.dtype).lower()}")
    if bias is not None:
        _tensor(bias, "bias", "linear")
        if bias.dtype != input.dtype:
            raise RuntimeError(f"linear: expected bias of dtype {_dtype_name(input.dtype).lower()}, but got "
                               f"{_dtype_name(bias.dtype).lower()}")
        if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] not in (1, weight.shape[0])):
            raise RuntimeError(f"The expanded size of the tensor ({weight.shape[0]}) must match the existing size "
                               f"({bias.shape[-1]}) at non-singleton dimension 1.  Target sizes: "
                               f"[{rows}, {weight.shape[0]}].  Tensor sizes: {list(bias.shape)}")
        if bias.ndim == 0 or bias.shape[0] != weight.shape[0]:
            bias = bias.expand(weight.shape[0])
    if input.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"linear: expected a floating point input, got {input.dtype}")
    return _Linear.apply(input, weight, bias)


# ***** conv2d *****

def _conv_pair(value, name):
    """An int or a 1-/2-sequence -> (h, w), with torch's message for other lengths.
    (Conv-specific: the pooling layers' _pair in _pooling.py accepts other forms.)"""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 2 values to match the "
                               f"convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"conv2d(): argument '{name}' must be tuple of ints, not {type(value).__name__}")
    return (int(value), int(value))


def check_conv_operands(input, weight, fn, dims, weight_layout):
    """Tensor checks shared by the conv functions: a (batched or not) input, a (dims+2)-D weight."""
    _tensor(input, "input", fn)
    _tensor(weight, "weight", fn)
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {fn}, but got input "
                           f"of size: {list(input.shape)}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{fn}: expected a {dims + 2}-D weight {weight_layout}, got size {list(weight.shape)}")


def check_conv_geometry(stride, pads, dilation, groups):
    """torch's checks (order and messages) on stride, padding, dilation and groups."""
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def same_padding(kernel, dilation):
    """'same': total d(k-1) per dim, left = total // 2, the extra one on the right (torch)."""
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out += [total // 2, total - total // 2]
    return tuple(out)   # (top, bottom, left, right)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, torch.nn.functional.conv2d: input (N, C, H, W) or (C, H, W),
    weight (O, C/groups, kH, kW), padding an int, a pair, 'valid' or 'same' (zeros)."""
    check_conv_operands(input, weight, "conv2d", 2, "(out_channels, in_channels/groups, kH, kW)")
    stride = _conv_pair(stride, "stride")
    dilation = _conv_pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = (0, 0, 0, 0) if padding == "valid" else None
    else:
        ph, pw = _conv_pair(padding, "padding")
        pads = (ph, ph, pw, pw)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    check_conv_geometry(stride, pads or (), dilation, groups)
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}")
    if O < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    if O % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if C != Cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {Cg * groups} channels, but got {C} channels instead")
    if pads is None:
        pads = same_padding((kh, kw), dilation)
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if H + pads[0] + pads[1] < eh or W + pads[2] + pads[3] < ew:
        raise RuntimeError(f"Calculated padded input size per channel: ({H + pads[0] + pads[1]} x "
                           f"{W + pads[2] + pads[3]}). Kernel size: ({eh} x {ew}). Kernel size can't be greater "
                           f"than actual input size")
    stride, dilation = _kernel_ints(H + pads[0] + pads[1], W + pads[2] + pads[3], (kh, kw), stride, dilation)
    if any(p >= 2**31 for p in pads):
        raise RuntimeError("value cannot be converted to type int without overflow")
    OH = (H + pads[0] + pads[1] - eh) // stride[0] + 1
    OW = (W + pads[2] + pads[3] - ew) // stride[1] + 1
    check_alloc((N, O, OH, OW), x._data.dtype.itemsize)
    check_alloc((N, C, H + pads[0] + pads[1], W + pads[2] + pads[3]), x._data.dtype.itemsize)   # the padded copy
    if weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(x.dtype)} but found {_dtype_name(weight.dtype)}")
    if bias is not None:
        _tensor(bias, "bias", "conv2d")
        if bias.ndim != 1 or bias.shape[0] != O:
            raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                               f"{O} elements, but got bias of size {list(bias.shape)} instead")
        if bias.dtype != x.dtype:
            raise RuntimeError(f"Input type ({_dtype_name(x.dtype).lower()}) and bias type "
                               f"({_dtype_name(bias.dtype).lower()}) should be the same")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"conv2d: expected a floating point input, got {x.dtype}")
    out = _Conv2d.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=int(groups))
    return out.squeeze(0) if unbatched else out


def _kernel_ints(HP, WP, kernel, stride, dilation):
    """The kernels take C ints. A stride at least the padded size gives one output whatever its
    value, and a 1-tap kernel ignores its dilation: both are clamped (same result, as torch
    takes any int64 there); what is left must fit an int, as no valid input can be that large."""
    stride = tuple(min(s, max(L, 1)) for s, L in zip(stride, (HP, WP)))
    dilation = tuple(1 if k == 1 else d for k, d in zip(kernel, dilation))
    if any(v >= 2**31 for v in stride + dilation):
        raise RuntimeError("value cannot be converted to type int without overflow")
    return stride, dilation


def _pad_mode(input, pad, mode):
    """Pad the last two dims by pad = (left, right, top, bottom) with 'reflect', 'replicate' or
    'circular', checked like torch's F.pad (what Conv2d does for a non-zero padding_mode)."""
    pl, pr, pt, pb = pad
    H, W = input.shape[-2], input.shape[-1]
    if mode == "reflect":
        for (lo, hi), n, d in (((pl, pr), W, input.ndim - 1), ((pt, pb), H, input.ndim - 2)):
            if lo >= n or hi >= n:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                                   f"{list(input.shape)}")
    elif mode == "circular":
        if pl > W or pr > W or pt > H or pb > H:
            raise RuntimeError("Padding value causes wrapping around more than once.")
    elif mode == "replicate":
        if (H == 0 and (pt or pb)) or (W == 0 and (pl or pr)):
            raise RuntimeError(f"replicate padding: input {list(input.shape)} has an empty padded dimension")
    return _Pad2d.apply(input, pad=tuple(pad), mode=mode)

