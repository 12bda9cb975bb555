"""Assorted torch functions: selection (unbind nonzero masked_select unique isin count_nonzero
bincount), matrices (diag trace tensordot), grids and stacking (meshgrid hstack vstack), cleanup
(nan_to_num clamp_min clamp_max), moments (std_mean var_mean) and sampling (bernoulli multinomial).

Differentiable ones compose existing ops (diag adds ops.Diag); index- and count-valued ones
return int64 tensors with no graph, as torch.
"""
import warnings

import numpy as np

from .. import ops
from ..random import numpy_rng
from ..tensor import Tensor, _dtype_name
from ._bind import apply_inplace, method, op
from ._operands import broadcast_error, check_tensor
from .linalg import matmul
from .pointwise import clamp, where
from .reduction import _dims
from .shape import _dim, cat, distinct_dims, int_tuple


def _int64(array):
    return Tensor._wrap(np.asarray(array, dtype=np.int64))


# ***** selection *****

@op()
def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, input.ndim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.shape[d]))


@op()
def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) tensor, or one 1-D tensor per dim."""
    x = check_tensor(input, "nonzero")._data
    if not as_tuple:
        return _int64(np.argwhere(x))
    return tuple(_int64(i) for i in np.nonzero(x.reshape(1) if x.ndim == 0 else x))


@op()
def masked_select(input, mask):
    """The elements where mask (broadcast with input) is True, as a 1-D tensor; differentiable."""
    check_tensor(mask, "masked_select", "mask", 2)
    if mask._data.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise broadcast_error(mask.shape, input.shape) from None   # torch names the mask "a"
    x = input if input.shape == shape else input.expand(*shape)
    return ops.GetItem.apply(x, np.broadcast_to(mask._data, shape))


@op()
def count_nonzero(input, dim=None):
    axes = None if dim is None else distinct_dims(dim, input.ndim)
    return _int64(np.count_nonzero(input._data, axis=axes))


@op()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, always in ascending order (one of the orders sorted=False allows)."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by minigrad; only dim=None")
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True)
    out = (Tensor._wrap(values),)
    if return_inverse:
        out += (_int64(inverse.reshape(input.shape)),)
    if return_counts:
        out += (_int64(counts),)
    return out[0] if len(out) == 1 else out


@op(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: at least one of elements and "
                        "test_elements must be a Tensor")
    values = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in (elements, test_elements)]
    return Tensor._wrap(np.asarray(np.isin(*values, assume_unique=assume_unique, invert=invert)))


@op()
def bincount(input, weights=None, minlength=0):
    """How often each value 0..max occurs (or the sum of its weights); float32 weights give float32,
    other weights float64, as torch."""
    x = check_tensor(input, "bincount")._data
    if x.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_dtype_name(x.dtype)}'")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _int64(np.bincount(x, minlength=minlength))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    return Tensor._wrap(np.bincount(x, w.astype(np.float64), minlength).astype(dtype))


# ***** matrices *****

@op()
def diag(input, diagonal=0):
    """A vector -> the matrix with it on the `diagonal`-th diagonal; a matrix -> that diagonal."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return ops.Diag.apply(input, int(diagonal))


@op()
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diag(input).sum()


@op(method=False)
def tensordot(a, b, dims=2):
    """Contract a's dims `dims[0]` with b's `dims[1]` (an int n: a's last n with b's first n) as
    one matmul: a becomes (free, contracted), b (contracted, free)."""
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims = (list(range(-dims, 0)), list(range(dims)))
    given_a, given_b = (int_tuple(ds, "tensordot", "dims") for ds in dims)
    if len(given_a) != len(given_b):
        raise RuntimeError("both dimension lists should have same length")
    da, db = [_dim(d, a.ndim) for d in given_a], [_dim(d, b.ndim) for d in given_b]
    for i, j, gi, gj in zip(da, db, given_a, given_b):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {gi} "
                               f"and second has size {b.shape[j]} in dim {gj}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    left = a.permute(*free_a, *da).reshape(-1, k)
    right = b.permute(*db, *free_b).reshape(k, -1)
    return matmul(left, right).reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


# ***** grids and stacking *****

@op(method=False)
def meshgrid(*tensors, indexing=None):
    """Coordinate grids; 'ij' (the default, with torch's warning when not given) or 'xy', which
    swaps the first two dims. Each grid is its input broadcast: gradients add back up."""
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(tensors)
        shape[axis] = sizes[axis]
        grids.append(t.reshape(*shape).expand(*sizes))
    return tuple(grids)


def _at_least(tensors, ndim, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return [t.reshape(*(1,) * (ndim - t.ndim), *t.shape) if t.ndim < ndim else t for t in tensors]


@op(method=False)
def hstack(tensors):
    """Join along dim 1, or dim 0 when the tensors are 1-D (0-d ones count as 1-D)."""
    tensors = _at_least(tensors, 1, "hstack")
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@op(method=False)
def vstack(tensors):
    """Join along dim 0, 1-D tensors (n,) as rows (1, n)."""
    return cat(_at_least(tensors, 2, "vstack"), 0)


# ***** cleanup and clamping *****

@op(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (default: the dtype's largest and smallest
    finite values); the gradient passes where the input was finite."""
    x = input._data
    if x.dtype.kind != "f":
        return input.clone()
    info = np.finfo(x.dtype)
    replaced = np.where(np.isnan(x), nan, np.where(x > 0, info.max if posinf is None else posinf,
                                                    info.min if neginf is None else neginf))
    return where(Tensor._wrap(np.isfinite(x)), input, Tensor._wrap(replaced.astype(x.dtype)))


@op(inplace=True)
def clamp_min(input, min):
    return clamp(input, min=min)


@op(inplace=True)
def clamp_max(input, max):
    return clamp(input, max=max)


# ***** moments *****

def _moment_and_mean(name, input, dim, correction, keepdim, take_sqrt):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    axes = _dims(dim, input.ndim)
    spread = ops.Var.apply(input, axes, correction, keepdim=keepdim, take_sqrt=take_sqrt)
    return spread, ops.Mean.apply(input, axes, keepdim=keepdim)


@op(method=False)
def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return _moment_and_mean("std_mean", input, dim, correction, keepdim, True)


@op(method=False)
def var_mean(input, dim=None, *, correction=1, keepdim=False):
    return _moment_and_mean("var_mean", input, dim, correction, keepdim, False)


# ***** sampling: from the generator's NumPy stream (default: minigrad's default generator) *****

def _probabilities(name, input):
    x = check_tensor(input, name)._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype_name(x.dtype)}'")
    return x


def _draw_bernoulli(p, shape, dtype, generator):
    if p.size and not (p.min() >= 0 and p.max() <= 1):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return Tensor._wrap((numpy_rng(generator).random(shape) < p).astype(dtype))


@op()
def bernoulli(input, *, generator=None):
    """1 with probability input[i], else 0, in input's dtype."""
    p = _probabilities("bernoulli", input)
    return _draw_bernoulli(p, p.shape, p.dtype, generator)


@method()
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill self (any dtype) with draws that are 1 with probability p, a number or a tensor
    broadcast to self."""
    if not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    probs = np.broadcast_to(p._data if isinstance(p, Tensor) else p, self.shape)
    return apply_inplace(self, lambda t: _draw_bernoulli(probs, t.shape, t._data.dtype, generator))


@op()
def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn with weights input (per row of a 2-D input). Without replacement
    this takes the num_samples largest keys log(u)/p (Efraimidis-Spirakis), so zero-weight
    categories come last, as in torch."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype_name(input._data.dtype)}")
    p = input._data.astype(np.float64).reshape(-1, input.shape[-1])
    n = p.shape[1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not np.all(np.isfinite(p)) or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = numpy_rng(generator)
    if replacement:
        cdf = np.cumsum(p, axis=1)
        u = rng.random((p.shape[0], num_samples)) * cdf[:, -1:]
        last = n - 1 - np.argmax(p[:, ::-1] > 0, axis=1)   # never land on trailing zero weights
        out = np.stack([np.minimum(np.searchsorted(c, r, side="right"), m) for c, r, m in zip(cdf, u, last)])
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rng.random(p.shape)) / p
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return _int64(out.reshape(*input.shape[:-1], num_samples))
