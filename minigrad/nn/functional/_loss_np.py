"""l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy, binary_cross_entropy_with_logits,
kl_div and one_hot with torch 2.13's arguments (the legacy size_average/reduce too), defaults,
reductions and errors. The element-wise loss is one op (minigrad.ops.pointwise_loss); weights
and reductions are Tensor ops, so a weight that requires grad gets one.

Deliberate differences from torch 2.13:
- binary_cross_entropy_with_logits gives pos_weight no gradient.
- binary_cross_entropy(_with_logits) accept a `weight` that requires grad and differentiate it
  (torch raises "is not differentiable with respect to argument 'weight'").
- kl_div's gradient for a target of exactly 0 is 1 - input (torch: nan, from xlogy's 0/0).
"""
import warnings

import numpy as np

from ...ops import pointwise_loss as _ops
from ...tensor import Tensor
from ._loss import _check_reduction, _legacy_reduction, _reduce

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "kl_div", "one_hot"]


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=like._data.dtype))


def _warn_broadcast(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def _regression(op, input, target, reduction, weight, *params):
    """The shared tail of l1/smooth_l1/huber: element-wise loss, optional same-shape weight."""
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    _warn_broadcast(input, target)
    loss = op.apply(input, target, *params)
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    return loss * weight, weight


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced; with `weight` (input's shape) 'mean' is Σ w·l / Σ w (torch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    out = _regression(_ops.L1Loss, input, target, reduction, weight)
    if weight is None:
        return out
    loss, weight = out
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d²/beta where |d| < beta, else |d| - beta/2 (d = input - target); beta = 0 is l1_loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _regression(_ops.SmoothL1Loss, input, target, reduction, None, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d² where |d| < delta, else delta (|d| - delta/2); `weight` (input's shape) scales each
    element before a plain reduction (torch's mean of the weighted losses)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    out = _regression(_ops.HuberLoss, input, target, reduction, weight, float(delta))
    return out if weight is None else _reduce(out[0], reduction)


def _weighted(loss, weight, reduction):
    """Scale by a weight broadcastable to the loss (torch expands it), then reduce."""
    if weight is not None:
        weight = _as_tensor(weight, loss)
        loss = loss * (weight if weight.dtype == loss.dtype else weight.to(loss.dtype))
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1], logs clamped at -100."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_word(target.dtype)} but expected {_word(input.dtype)}")
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    return _weighted(_ops.BCELoss.apply(input, target), weight, reduction)


def _word(dt):
    return {"float32": "Float", "float64": "Double"}.get(str(np.dtype(dt)), str(dt))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed from the logits without overflow;
    pos_weight (broadcast against input, e.g. one per class) weighs the positive term."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_tensor(target, input)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})")
    pw = None
    if pos_weight is not None:
        pw = np.asarray(pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight, dtype=input._data.dtype)
        try:
            np.broadcast_shapes(pw.shape, tuple(input.shape))
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({pw.shape[-1] if pw.ndim else 1}) must match the size of "
                               f"tensor b ({input.shape[-1]}) at non-singleton dimension {input.ndim - 1}") from None
    return _weighted(_ops.BCEWithLogitsLoss.apply(input, target, pw), weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Σ target (log target - input), input being log-probabilities (log_target: target too).
    reduction='batchmean' divides the sum by input.size(0), the KL divergence per sample;
    'mean' (the default) divides by the element count and warns, as torch 2.13 does."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction != "batchmean":
        _check_reduction(reduction)
    loss = _ops.KLDivLoss.apply(input, _as_tensor(target, input), bool(log_target))
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    return total / input.shape[0] if input.ndim else total


def one_hot(tensor, num_classes=-1):
    """int64 indices (*) -> int64 (*, num_classes) with a 1 at each index; num_classes=-1 is
    max + 1."""
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    if idx.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if num_classes == -1:
            num_classes = int(idx.max()) + 1
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._wrap(out)
