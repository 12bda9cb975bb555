"""Shape ops: views and reshapes, joining and splitting, with torch's names, forms and messages.

Views (view, reshape where strides allow, flatten, squeeze, unsqueeze, transpose, permute,
expand, narrow, split, chunk) share memory with their input, and so its version counter: an
in-place change through either is seen by both, and by autograd's checks of saved values.
"""
import math
import operator

import numpy as np

from .. import ops
from ..tensor import Tensor, _dtype_name
from ..ops.reduce import normalize_dim as _dim
from ._bind import method, op


def distinct_dims(dims, ndim):
    """A dim or dims -> a tuple of non-negative dims; a repeat is an error, named as torch names it."""
    if dims is None:
        return tuple(range(ndim))
    out = tuple(_dim(d, ndim) for d in int_tuple(dims, "dims", "dim"))
    for i, d in enumerate(out):
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def sizes_arg(args, name, arg="size"):
    """torch's `*size` convention: (2, 3), ((2, 3),) and ([2, 3],) all mean (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple([operator.index(n) for n in args])
    except TypeError:
        pos, bad = next((i, n) for i, n in enumerate(args) if not hasattr(n, "__index__"))
        raise TypeError(f"{name}(): argument '{arg}' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__} at pos {pos}") from None


def int_tuple(value, name, arg):
    """An int or a sequence of ints -> a tuple of ints."""
    return sizes_arg((value,), name, arg)


def _infer_size(shape, numel):
    """Resolve a -1 in `shape` for a tensor of `numel` elements, with torch's errors."""
    inferred, known = None, 1
    for i, n in enumerate(shape):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
        else:
            known *= n
    if inferred is None:
        if known == numel:
            return shape
    elif known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
    elif numel % known == 0:
        return shape[:inferred] + (numel // known,) + shape[inferred + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _reshape(input, shape):
    """A view when the strides allow one, else a copy (torch's reshape)."""
    try:
        return ops.Reshape.apply(input, shape)
    except ValueError:
        return ops.Reshape.apply(ops.Clone.apply(input), shape)


# ***** views and reshapes *****

@method()
def view(self, *shape):
    shape = _infer_size(sizes_arg(shape, "view"), self._data.size)
    try:
        return ops.Reshape.apply(self, shape)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None


@method()
def view_as(self, other):
    return self.view(other.shape)


@op(method=False)
def reshape(input, shape):
    return _reshape(input, _infer_size(int_tuple(shape, "reshape", "shape"), input._data.size))


@method("reshape")
def reshape_method(self, *shape):
    return _reshape(self, _infer_size(sizes_arg(shape, "reshape", "shape"), self._data.size))


@method()
def reshape_as(self, other):
    return _reshape(self, other.shape)


@op()
def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return _reshape(input, (1,))
    s, e = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return _reshape(input, input.shape[:s] + (math.prod(input.shape[s:e + 1]),) + input.shape[e + 1:])


@op()
def unflatten(input, dim, sizes):
    d = _dim(dim, input.ndim)
    sizes = int_tuple(sizes, "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    if -1 not in sizes and math.prod(sizes) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return ops.Reshape.apply(input, input.shape[:d] + _infer_size(sizes, n) + input.shape[d + 1:])


@op()
def squeeze(input, dim=None):
    dims = distinct_dims(dim, input.ndim)
    shape = tuple(n for a, n in enumerate(input.shape) if n != 1 or a not in dims)
    return ops.Reshape.apply(input, shape)


@op()
def unsqueeze(input, dim):
    d = _dim(dim, input.ndim + 1)
    return ops.Reshape.apply(input, input.shape[:d] + (1,) + input.shape[d:])


@op(method=False)
def permute(input, dims):
    dims = int_tuple(dims, "permute", "dims")
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} "
                           f"is not equal to len(dims) = {len(dims)}")
    dims = tuple(_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return ops.Permute.apply(input, dims)


@method("permute")
def permute_method(self, *dims):
    return permute(self, sizes_arg(dims, "permute", "dims"))


@op("transpose", "swapdims")
def transpose(input, dim0, dim1):
    d0, d1 = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    if input.ndim == 0:
        return ops.Reshape.apply(input, ())
    return ops.Transpose.apply(input, d0, d1)


@op()
def swapaxes(input, axis0, axis1):
    return transpose(input, axis0, axis1)


@op("movedim", "moveaxis")
def movedim(input, source, destination):
    src, dst = int_tuple(source, "movedim", "source"), int_tuple(destination, "movedim", "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    for name, given in (("source", src), ("destination", dst)):
        if len({_dim(d, input.ndim) for d in given}) != len(given):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    src, dst = [_dim(d, input.ndim) for d in src], [_dim(d, input.ndim) for d in dst]
    order = [d for d in range(input.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


@method()
def expand(self, *sizes):
    sizes = sizes_arg(sizes, "expand")
    lead = len(sizes) - self.ndim
    if lead < 0:
        raise RuntimeError(f"expand({_dtype_name(self._data.dtype)}Tensor{{{list(self.shape)}}}, size={list(sizes)}): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({self.ndim})")
    full = list(sizes)
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            continue
        have = self.shape[i - lead]
        if n == -1:
            full[i] = have
        elif have != 1 and n != have:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({have}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(self.shape)}")
    _check_view_size(full, self._data.dtype.itemsize)
    return ops.Expand.apply(self, tuple(full))


def _check_view_size(sizes, itemsize):
    """A stride-0 view allocates nothing, but NumPy still needs its byte count in an int64."""
    numel = 1
    for i, n in enumerate(sizes):
        if n < 0:
            raise RuntimeError(f"expand: invalid size {n} at dimension {i} (only -1 keeps a dimension)")
        numel *= n
    if numel * itemsize >= 2**63:
        raise RuntimeError(f"numel: integer multiplication overflow (sizes {list(sizes)}; minigrad's NumPy views "
                           "need the byte count in an int64)")


@method()
def expand_as(self, other):
    return self.expand(other.shape)


@method()
def repeat(self, *sizes):
    """Tile the tensor `sizes` times (a copy); extra leading sizes add dims, as torch."""
    sizes = sizes_arg(sizes, "repeat")
    if len(sizes) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    out = [r * n for r, n in zip(sizes, (1,) * (len(sizes) - self.ndim) + self.shape)]
    negative = [n for n in out if n < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {out}")
    return ops.Repeat.apply(self, sizes)


@method()
def contiguous(self):
    return self if self._data.flags.c_contiguous else ops.Clone.apply(self)


@method()
def is_contiguous(self):
    return bool(self._data.flags.c_contiguous)


# ***** joining *****

def _tensor_list(tensors):
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _one_dtype(tensors, name):
    """Integer tensors join a float one in its dtype; float32 with float64 is an error, as for
    every minigrad op (no silent upcast of a whole network; torch would promote)."""
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    floats = {d for d in dtypes if d.kind == "f"}
    if len(floats) > 1:
        raise RuntimeError(f"{name}(): expected all tensors to have the same dtype, got {sorted(map(str, dtypes))} "
                           f"(convert with .float() or .double())")
    to = floats.pop() if floats else np.result_type(*dtypes)
    return [t if t._data.dtype == to else t.to(to) for t in tensors]


@op("cat", "concat", method=False)
def cat(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # torch still skips legacy empty 1-D tensors, shape (0,), when joining others
    kept = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)] or list(enumerate(tensors))
    ref = kept[0][1]
    d = _dim(dim, ref.ndim)
    for i, t in kept:
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return ops.Cat.apply(*_one_dtype([t for _, t in kept], "cat"), dim=d)


@op(method=False)
def concatenate(tensors, axis=0):
    return cat(tensors, axis)


@op(method=False)
def stack(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    d = _dim(dim, tensors[0].ndim + 1)
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    return ops.Stack.apply(*_one_dtype(tensors, "stack"), dim=d)


# ***** splitting: views of consecutive pieces *****

def _pieces(input, sizes, dim):
    return ops.Split.apply(input, tuple(sizes), dim)


@op(method=False)
def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(int_tuple(split_size_or_sections, "split", "split_size"))
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}), but got split_sizes={sizes}")
        return _pieces(tensor, sizes, d)
    size = operator.index(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = max(-(-n // size), 1) if size else 1
    return _pieces(tensor, [size] * (count - 1) + [n - size * (count - 1)], d)


@method("split")
def split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


@op()
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    if n == 0:   # torch returns `chunks` empty pieces here, where split(0) would give one
        return _pieces(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


@op()
def narrow(input, dim, start, length):
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    start = int(start) if isinstance(start, Tensor) else operator.index(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return ops.Slice.apply(input, index)
