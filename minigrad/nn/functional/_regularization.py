"""dropout and batch_norm."""
import warnings

import numpy as np

from ... import ops, random
from ...autograd import grad_mode

__all__ = ["dropout", "dropout2d", "batch_norm"]


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity in eval).
    The mask comes from minigrad's generator, so manual_seed makes it reproducible."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _masked(input, p, input.shape, inplace)


def _masked(input, p, mask_shape, inplace):
    """input * keep / (1 - p) for a Bernoulli(1 - p) `keep` of mask_shape (broadcast to input)."""
    keep = random.numpy_rng().random(mask_shape, dtype=np.float32) >= p
    # NOTE: p == 1 gives an all-zero mask times 0, not 0/0
    scaled = keep.astype(input.dtype) * (0.0 if p == 1.0 else 1.0 / (1.0 - p))
    if inplace:
        return ops.Dropout.apply_(input, scaled)
    return ops.Dropout.apply(input, scaled)


_DROPOUT2D_ND = ("dropout2d: Received a {}-D input to dropout2d, which is deprecated and will result in an error in a "
                 "future release. To retain the behavior and silence this warning, please use dropout instead. Note "
                 "that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
                 "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).")
_DROPOUT2D_3D = ("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
                 "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
                 "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
                 "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
                 "instead.")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: one draw per (n, c) of an (N, C, H, W) input, kept ones scaled by
    1/(1-p). A 3-D input is taken as (N, C, L), with torch 2.13's warning (and other ranks warn
    too), so the mask covers every dim after the first two."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(_DROPOUT2D_ND.format(input.ndim), stacklevel=2)
    elif input.ndim == 3:
        warnings.warn(_DROPOUT2D_3D, stacklevel=2)
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _masked(input, p, mask_shape, inplace)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise over (N, H, W) per channel. In training, use the batch's mean and biased
    variance and update the running stats with the unbiased variance; otherwise use the
    running stats. momentum=None means a cumulative average (the caller passes 1/num_batches)."""
    if input._data.size == 0:
        return input.clone()
    if training:
        axes = tuple(a for a in range(input.ndim) if a != 1)
        n = input._data.size // input.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = input._data.mean(axis=axes)
        var = input._data.var(axis=axes)
        if running_mean is not None:
            with grad_mode.no_grad():
                m = momentum
                running_mean._data[...] = (1 - m) * running_mean._data + m * mean
                running_var._data[...] = (1 - m) * running_var._data + m * var * n / (n - 1)
                running_mean._version[0] += 1
                running_var._version[0] += 1
    else:
        mean, var = running_mean._data, running_var._data
    return ops.BatchNorm.apply(input, weight, bias, mean.astype(input.dtype), var.astype(input.dtype),
                               eps, training)

