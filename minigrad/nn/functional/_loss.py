"""softmax, log_softmax and the losses, with torch's arguments, defaults and errors."""
import warnings

import numpy as np

from ... import ops
from ...tensor import Tensor
from ...ops.reduce import normalize_dim

__all__ = ["softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _softmax_dim(input, dim, name):
    if dim is None:
        # torch's legacy implicit choice, with its warning
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=3)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return normalize_dim(dim, input.ndim) if input.ndim else 0


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, computed from x - max(x) so large logits cannot overflow.
    dtype: cast the input to it first (torch's way to get a float64 softmax of float32 logits)."""
    if dtype is not None:
        input = input.to(dtype)
    return ops.Softmax.apply(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim, stable for large logits."""
    if dtype is not None:
        input = input.to(dtype)
    return ops.LogSoftmax.apply(input, _softmax_dim(input, dim, "log_softmax"))


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _class_rows(input, target):
    """(N, C, d1...) / (C,) input and (N, d1...) / () target -> (M, C) rows and (M,) targets."""
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"Expected target to be 0-dimensional for 1-D input, got shape {tuple(target.shape)}")
        return input.reshape(1, input.shape[0]), target._data.reshape(1), ()
    if target.shape[0] != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]}).")
    if input.ndim > 2:
        if tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {(input.shape[0],) + tuple(input.shape[2:])}, got "
                               f"{tuple(target.shape)}")
        rows = input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])
        return rows, target._data.reshape(-1), tuple(target.shape)
    return input, target._data, tuple(target.shape)


def _legacy_reduction(size_average, reduce, reduction):
    """torch's _Reduction.legacy_get_string: the pre-1.0 flags, when given, decide."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'sum' if size_average is False else 'mean'}' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices `target` (int64) under log-probabilities `input`."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _nll_loss(input, target, weight, ignore_index, reduction, 0.0)


def _nll_loss(input, target, weight, ignore_index, reduction, label_smoothing):
    """nll_loss, and cross_entropy's class-index case (which smooths labels: torch's nll_loss does not)."""
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor._wrap(np.asarray(target))
    if target.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_word(target.dtype)}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    rows, t, out_shape = _class_rows(input, target)
    c = rows.shape[1]
    t = t.astype(np.int64)
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    w = None
    if weight is not None:
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
        if w.shape != (c,):
            raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but "
                               f"got weight tensor of shape: {list(w.shape)}")
    loss = ops.NLLLoss.apply(rows, t, w, ignore_index, reduction, float(label_smoothing))
    if reduction == "none":
        return loss.reshape(out_shape)
    return loss


def _dtype_word(dt):
    return {np.dtype(np.int32): "Int", np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
            np.dtype(np.float32): "Float", np.dtype(np.float64): "Double"}.get(np.dtype(dt), str(dt))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for (C,) input) followed by nll_loss; float
    `target` of input's shape means class probabilities."""
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor._wrap(np.asarray(target))
    class_dim = 0 if input.ndim == 1 else 1
    lp = log_softmax(input, class_dim)
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target size {tuple(input.shape)}, got {tuple(target.shape)}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        c = input.shape[class_dim]
        q = target._data * (1 - label_smoothing) + label_smoothing / c
        if weight is not None:
            shape = [1] * input.ndim
            shape[class_dim] = c
            q = q * np.asarray(weight._data if isinstance(weight, Tensor) else weight).reshape(shape)
        per_row = -(lp * Tensor._wrap(q.astype(input.dtype))).sum(class_dim)
        return _reduce(per_row, reduction)   # 'mean': torch divides by the number of rows (numel / C)
    return _nll_loss(lp, target, weight, ignore_index, reduction, label_smoothing)


def mse_loss(input, target, reduction="mean"):
    """mean((input - target)**2); different shapes broadcast, with torch's warning."""
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=2)
    return _reduce((input - target) ** 2, reduction)
