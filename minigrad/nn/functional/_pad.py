"""pad and interpolate (nearest) with torch 2.13's arguments, checks and messages."""
import math
from collections.abc import Iterable

import numpy as np

from ...ops import pad as _ops

__all__ = ["pad", "interpolate"]

_UNSUPPORTED = ("Padding size {} is not supported for {}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
_NP_MODES = _ops.NP_PAD_MODES


def _pad_list(pad):
    if isinstance(pad, (int, np.integer)) or not isinstance(pad, Iterable):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    pad = list(pad)
    for i, p in enumerate(pad):
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
    return [int(p) for p in pad]


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)/2 dims; pad = (last_lo, last_hi, second_last_lo, ...) as torch.

    'constant' pads any number of dims with `value` (default 0); a negative pad crops.
    'reflect' (mirror without the edge), 'replicate' (repeat the edge) and 'circular' (wrap)
    pad the last 1, 2 or 3 dims of a (batched or unbatched) input: pad of length 2 needs a 2-D
    or 3-D input, 4 a 3-D/4-D one, 6 a 4-D/5-D one. Negative pads crop first."""
    pads = _pad_list(pad)
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pads) // 2
    if k > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pads)} and input of dimension {input.ndim}")
    # (lo, hi) per padded axis, from the last axis backwards
    pairs = [(pads[2 * i], pads[2 * i + 1]) for i in range(k)]
    axes = [input.ndim - 1 - i for i in range(k)]
    if mode == "constant":
        per_axis = [(0, 0)] * input.ndim
        for axis, (lo, hi) in zip(axes, pairs):
            if input.shape[axis] + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            per_axis[axis] = (lo, hi)
        return _ops.ConstantPad.apply(input, tuple(per_axis), 0.0 if value is None else float(value))
    if mode not in _NP_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(_UNSUPPORTED.format(len(pads), input.ndim))
    maps = []
    for axis, (lo, hi) in zip(axes, pairs):
        n = input.shape[axis]
        # torch crops (negative pads) first, then pads the rest
        kept = np.arange(max(-lo, 0), n - max(-hi, 0))
        lo, hi = max(lo, 0), max(hi, 0)
        m = len(kept)
        if mode == "reflect" and (lo >= m or hi >= m):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {axis} of input {list(input.shape)}")
        if mode == "circular" and (lo > m or hi > m):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and m == 0 and (lo or hi):
            raise RuntimeError(f"padding size is expected to be positive in dimension {axis} of input "
                               f"{list(input.shape)}")
        maps.append((axis, np.pad(kept, (lo, hi), mode=_NP_MODES[mode])))
    return _ops.GatherAxes.apply(input, tuple(maps))


def _nearest_source(n_in, n_out, scale):
    """torch's nearest: src = min(floor(dst * scale), n_in - 1), scale = n_in / n_out unless the
    caller's scale_factor is used (then 1 / scale_factor)."""
    # NOTE: in float32, as torch's kernel (floorf(float(i) * float(scale)))
    s = np.float32(n_in / n_out if scale is None else 1.0 / scale)
    return np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64), n_in - 1)


def _per_dim(value, spatial, subject, shown_as, fmt_name, letter):
    """One value per spatial dim from a scalar or a sequence (torch's message for a bad length)."""
    vals = list(value) if isinstance(value, Iterable) else [value] * len(spatial)
    if len(vals) != len(spatial):
        raise ValueError(f"Input and {subject} must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(spatial)} and {shown_as} {value}. Please provide input tensor "
                         f"in (N, C, d1, d2, ...,dK) format and {fmt_name} in ({letter}1, {letter}2, ...,{letter}K) "
                         "format.")
    return vals


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims (all after N, C) of a 3-D, 4-D or 5-D input; mode 'nearest' only.
    Give exactly one of size (int or one per spatial dim) and scale_factor (float or one per
    dim); output size = floor(input size * scale_factor)."""
    if mode != "nearest":
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented in minigrad (only 'nearest')")
    if align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if antialias:
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    dims = input.ndim - 2
    if dims < 1:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        out, scales = [int(n) for n in _per_dim(size, spatial, "output", "output size of", "output size", "o")], \
            [None] * dims
    elif scale_factor is not None:
        factors = _per_dim(scale_factor, spatial, "scale_factor", "scale_factor of shape", "scale_factor", "s")
        out = [int(math.floor(n * float(f))) for n, f in zip(spatial, factors)]
        scales = [None] * dims if recompute_scale_factor else [float(f) for f in factors]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out) or any(n == 0 for n in spatial):
        labels = "DHW"[3 - dims:]
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{a}: {n}" for a, n in zip(labels, spatial)) + ") output ("
                           + ", ".join(f"{a}: {n}" for a, n in zip(labels, out)) + ")")
    maps = tuple((2 + d, _nearest_source(spatial[d], out[d], scales[d])) for d in range(dims))
    return _ops.GatherAxes.apply(input, maps)


