"""Pooling: max_pool2d, avg_pool2d, max_unpool2d with torch 2.13's arguments, output sizes,
checks (same order, exception types and messages) and results. Each function validates and
normalises here, then calls one ops Function. See SPEC §1-4 for the rules quoted below.

Deliberate differences from torch 2.13 (all where torch is unsafe, silent or undefined):
- max_pool2d backward skips indices outside the input plane (windows with no in-bounds tap,
  torch #114216); torch writes out of bounds there.
- max_unpool2d checks every index before writing anything, and scatters serially per plane:
  with duplicate indices the last one in row-major order wins (torch: nondeterministic, #78249).
- max_unpool2d rejects kernel_size/stride <= 0 and padding < 0 (ValueError); torch accepts them
  (#73154) and a 1-element kernel/stride/padding sequence is also refused (torch fails later).
- avg_pool2d on a 2-D input raises RuntimeError (torch: IndexError from input.size(-3)).
- Inputs must be float32 or float64 (torch also pools integers): NotImplementedError otherwise.
"""
import operator
from collections.abc import Iterable

import numpy as np

from ..._alloc import check_alloc
from ...ops import pool as _ops
from ...tensor import Tensor

__all__ = ["max_pool2d", "avg_pool2d", "max_unpool2d"]


# ***** argument helpers (also used by other layers: keep _pair torch-compatible) *****
def _pair(x):
    """torch.nn.modules.utils._pair: an iterable becomes a tuple as is, anything else (x, x)."""
    if isinstance(x, Iterable):
        return tuple(x)
    return (x, x)


def _int_or_tuple(value, fn, name, position):
    """Parse like torch's IntArrayRef argument: an int -> [v], a sequence of ints -> list.
    Floats, bools and other types raise TypeError with torch's wording."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, list, tuple)):
        if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
            value = tuple(value)   # e.g. torch.Size or a range
        else:
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, "
                            f"not {type(value).__name__}")
    if not isinstance(value, (list, tuple)):
        return [operator.index(value)]
    out = []
    for v in value:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {position} with error "
                            f"\"type must be tuple of ints,but got {type(v).__name__}\"")
        out.append(int(v))
    return out


def _hw(values, fn, name, allow_empty_as=None, verb="must either be"):
    """[a] -> (a, a), [a, b] -> (a, b); [] -> allow_empty_as (stride's default); else RuntimeError."""
    if len(values) == 0 and allow_empty_as is not None:
        return allow_empty_as
    if len(values) not in (1, 2):
        what = "omitted, a single int" if allow_empty_as is not None else "a single int"
        raise RuntimeError(f"{fn}: {name} {verb} {what}, or a tuple of two ints")
    if not all(-2**31 <= v < 2**31 for v in values):   # the kernels take C ints, as torch's do
        raise RuntimeError("value cannot be converted to type int without overflow")
    return (values[0], values[-1])


def _trunc_div(a, b):
    """C++ integer division (truncates toward zero), as in torch's pad check."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _out_len(L, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape for one dim: its three checks, then the size (SPEC §1)."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _trunc_div((k - 1) * d + 1, 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k} and dilation={d}")
    out = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= L + p:   # the last window would start in the right padding
        out -= 1
    return out


def _shape_check(shape, kernel, stride, padding, dilation, out_hw):
    """torch's pool2d_shape_check (rows e-j of SPEC §1), in its order."""
    (kH, kW), (sH, sW), (pH, pW), (dH, dW), (OH, OW) = kernel, stride, padding, dilation, out_hw
    if kW <= 0 or kH <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kH} kW: {kW}")
    if sW <= 0 or sH <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sH} dW: {sW}")
    if dH <= 0 or dW <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dH} dilationW: {dW}")
    ndim = len(shape)
    if not ((ndim == 3 and all(n != 0 for n in shape)) or (ndim == 4 and all(n != 0 for n in shape[1:]))):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(shape)}")
    # NOTE: this pad rule ignores dilation (torch #154262): k3 d2 p2 fails although 2 <= (5-1)//2.
    if kW // 2 < pW or kH // 2 < pH:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pW}, padH = {pH}, kW = {kW}, kH = {kH}")
    if OW < 1 or OH < 1:
        C, H, W = shape[-3:]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{OH}x{OW}). "
                           "Output size is too small")


def _check_float(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if x._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"{fn}\" not implemented for '{x._data.dtype}' "
                                  "(minigrad pools float32 and float64 tensors)")


# ***** max pool *****
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input (torch.nn.functional.max_pool2d).

    Args: kernel_size, stride (None or [] = kernel_size), padding, dilation: an int or a pair
    (H, W); ceil_mode: use ceil instead of floor for the output size (a window may hang past the
    input but must start inside it or the left padding); return_indices: also return int64
    indices, flat positions y*W + x in each input plane (what max_unpool2d takes).
    Shape: OH = floor((H + 2p - d(k-1) - 1 [+ s-1 if ceil_mode]) / s) + 1, minus 1 when
    ceil_mode's last window would start at or beyond H + p; likewise OW.
    NOTE: padding acts as -inf; ties pick the first maximum in row-major order; any NaN makes
    the output NaN with the index of the last NaN. A window with no in-bounds tap (dilation
    plus padding) gives -inf and an index outside the plane, whose gradient is dropped
    (torch writes it out of bounds, #114216).
    """
    fn = "max_pool2d"
    kernel = _hw(_int_or_tuple(kernel_size, fn, "kernel_size", 2), fn, "kernel_size")
    stride = kernel if stride is None else _hw(_int_or_tuple(stride, fn, "stride", 3), fn, "stride",
                                               allow_empty_as=kernel)
    padding = _hw(_int_or_tuple(padding, fn, "padding", 4), fn, "padding")
    dilation = _hw(_int_or_tuple(dilation, fn, "dilation", 5), fn, "dilation", verb="must be either")
    _check_float(input, fn)
    shape = input.shape
    if len(shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_hw = (_out_len(shape[-2], kernel[0], stride[0], padding[0], dilation[0], ceil_mode),
              _out_len(shape[-1], kernel[1], stride[1], padding[1], dilation[1], ceil_mode))
    _shape_check(shape, kernel, stride, padding, dilation, out_hw)
    return _ops.MaxPool2d.apply(input, kernel, stride, padding, dilation, out_hw, bool(return_indices))


# ***** average pool *****
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W) input (torch.nn.functional.avg_pool2d).

    Output size as max_pool2d with dilation 1; zero padding. Each output is
    sum(input over the window clipped to the input) / divisor, where divisor is
    divisor_override if given (any non-zero int, negative too), else the window clipped at the
    end of the right padding (count_include_pad=True) or clipped to the input (False).
    NOTE: the part of a ceil_mode window beyond input + padding never counts.
    Deliberate difference: a 2-D input raises RuntimeError (torch: IndexError).
    """
    fn = "avg_pool2d"
    kernel = _hw(_int_or_tuple(kernel_size, fn, "kernel_size", 2), fn, "kernel_size")
    stride = kernel if stride is None else _hw(_int_or_tuple(stride, fn, "stride", 3), fn, "stride",
                                               allow_empty_as=kernel)
    padding = _hw(_int_or_tuple(padding, fn, "padding", 4), fn, "padding")
    if divisor_override is not None:
        if isinstance(divisor_override, (bool, np.bool_)) or not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"avg_pool2d(): argument 'divisor_override' (position 7) must be int, not "
                            f"{type(divisor_override).__name__}")
        divisor_override = int(divisor_override)
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
    _check_float(input, fn)
    shape = input.shape
    if len(shape) < 3:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(shape)}")
    out_hw = (_out_len(shape[-2], kernel[0], stride[0], padding[0], 1, ceil_mode),
              _out_len(shape[-1], kernel[1], stride[1], padding[1], 1, ceil_mode))
    _shape_check(shape, kernel, stride, padding, (1, 1), out_hw)
    return _ops.AvgPool2d.apply(input, kernel, stride, padding, out_hw, bool(count_include_pad),
                                divisor_override)


# ***** max unpool *****
def _unpool_arg(value, name):
    """Deliberate extension (SPEC §4): kernel_size/stride > 0 and padding >= 0, as an int or a pair."""
    vals = _pair(value)
    ok = len(vals) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                                for v in vals)
    if not ok:
        raise ValueError(f"max_unpool2d: {name} must be an int or a pair of ints, got {value!r}")
    vals = tuple(int(v) for v in vals)
    if (name == "padding" and min(vals) < 0) or (name != "padding" and min(vals) <= 0):
        bound = "non-negative" if name == "padding" else "positive"
        raise ValueError(f"max_unpool2d: {name} must be {bound}, got {value!r}")
    return vals


def _unpool_output_size(in_hw, kernel, stride, padding, output_size):
    """torch's _unpool_output_size: default (L-1)*s - 2p + k, or a checked explicit size."""
    default = [(in_hw[d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(2)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == 4:
            output_size = output_size[2:]   # N and C are dropped unchecked, as torch does
        if len(output_size) != 2:
            raise ValueError("output_size should be a sequence containing 2 or 4 elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(2):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(2):
        if ret[d] >= 2**63:   # torch passes the size on as an int64 list
            raise TypeError(f"max_unpool2d(): argument 'output_size' failed to unpack the object at pos {d + 1} "
                            "with error \"Overflow when unpacking long long\"")
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return tuple(int(n) for n in ret)


_TORCH_DTYPE_NAMES = {"int32": "Int", "int64": "Long", "float32": "Float", "float64": "Double", "int16": "Short",
                      "int8": "Char", "uint8": "Byte", "bool": "Bool", "float16": "Half"}


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d (torch.nn.functional.max_unpool2d): zeros everywhere except
    out[n, c].flat[indices[n, c, i]] = input[n, c, i].

    Args: kernel_size, stride (None = kernel_size), padding: an int or a pair; output_size:
    (OH, OW) or (N, C, OH, OW) (N, C ignored), each dim strictly between default - stride and
    default + stride, default = (L - 1)*stride - 2*padding + kernel_size.
    Deliberate differences: every index is checked before anything is written; duplicate
    indices are scattered serially, so the last one in row-major order wins (deterministic;
    torch's parallel scatter is not); the backward still gives every duplicate the gradient at
    its position (as torch, #80204); kernel_size/stride <= 0 and padding < 0 raise ValueError.
    """
    kernel = _unpool_arg(kernel_size, "kernel_size")
    stride = kernel if stride is None else _unpool_arg(stride, "stride")
    padding = _unpool_arg(padding, "padding")
    if input.ndim < 2:
        raise IndexError("tuple index out of range")
    out_hw = _unpool_output_size(input.shape[-2:], kernel, stride, padding, output_size)
    check_alloc(tuple(input.shape[:-2]) + out_hw, input._data.dtype.itemsize)
    _check_float(input, "max_unpool2d")
    if not isinstance(indices, Tensor):
        raise TypeError(f"max_unpool2d(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices._data.dtype != np.int64:
        name = _TORCH_DTYPE_NAMES.get(str(indices._data.dtype), str(indices._data.dtype))
        raise RuntimeError(f"elements in indices should be type int64 but got: {name}")
    if input.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    if input.shape != indices.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    for d in range(1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError("max_unpooling2d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(input.shape)} with dimension {d} being empty.")
    return _ops.MaxUnpool2d.apply(input, indices, out_hw)
