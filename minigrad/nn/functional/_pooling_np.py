"""adaptive_avg_pool2d, adaptive_max_pool2d (NumPy ops), and max_pool1d / avg_pool1d run as
the 2-D kernels on a (…, 1, L) view. torch 2.13's arguments, output sizes and messages."""
from collections.abc import Iterable

from ...ops import adaptive_pool as _ops
from ._pooling import _check_float, avg_pool2d, max_pool2d

__all__ = ["adaptive_avg_pool2d", "adaptive_max_pool2d", "max_pool1d", "avg_pool1d"]


def _adaptive_size(input, output_size, fn, bad_len_msg):
    """(OH, OW) from an int, a pair, or a pair with None (keep that input dim)."""
    sizes = list(output_size) if isinstance(output_size, Iterable) else [output_size, output_size]
    if len(sizes) != 2:
        raise RuntimeError(bad_len_msg)
    return tuple(int(input.shape[d - 2]) if s is None else int(s) for d, s in enumerate(sizes))


def _adaptive_check(input, fn, colon):
    _check_float(input, fn)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got{colon} {list(input.shape)}")
    for d in range(input.ndim - 3, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {d} being empty")


def adaptive_avg_pool2d(input, output_size):
    """Average over torch's adaptive windows so that the output is (…, OH, OW) whatever H, W;
    output_size an int, a pair, or a pair with None (that dim unchanged)."""
    _adaptive_check(input, "adaptive_avg_pool2d", "")
    out_hw = _adaptive_size(input, output_size, "adaptive_avg_pool2d", "adaptive_avg_pool2d: output_size must be 2")
    if min(out_hw) < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{out_hw[0]}, {out_hw[1]}}}")
    return _ops.AdaptiveAvgPool2d.apply(input, out_hw)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over torch's adaptive windows; return_indices also gives int64 flat positions in
    each input plane (for max_unpool2d)."""
    _adaptive_check(input, "adaptive_max_pool2d", ":")
    out_hw = _adaptive_size(input, output_size, "adaptive_max_pool2d",
                            "adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    if min(out_hw) < 0:
        shape = list(input.shape[:-2]) + list(out_hw)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out_hw)}: {shape}")
    return _ops.AdaptiveMaxPool2d.apply(input, out_hw, bool(return_indices))


def _single(value, name, fn):
    """An int or a 1-sequence -> int (torch's _single arguments)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"{fn}: {name} must be a single int, or a tuple of one int")
        value = value[0]
    return value


def _stride(stride, kernel, fn):
    """None or () -> the kernel size (torch's default stride)."""
    if stride is None or (isinstance(stride, (tuple, list)) and not stride):
        return kernel
    return _single(stride, "stride", fn)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of the last dim: (N, C, L) or (C, L) -> (…, L_out); indices are positions in L."""
    if input.ndim not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k = _single(kernel_size, "kernel_size", "max_pool1d")
    s = _stride(stride, k, "max_pool1d")
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding", "max_pool1d")),
                     (1, _single(dilation, "dilation", "max_pool1d")), ceil_mode=ceil_mode,
                     return_indices=return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of the last dim: (N, C, L) or (C, L) -> (…, L_out)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    k = _single(kernel_size, "kernel_size", "avg_pool1d")
    s = _stride(stride, k, "avg_pool1d")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding, "padding", "avg_pool1d")),
                     ceil_mode, count_include_pad)
    return out.squeeze(-2)
