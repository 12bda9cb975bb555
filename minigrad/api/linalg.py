"""Products (mm bmm matmul dot mv t outer einsum addmm): torch's shape checks and messages,
then minigrad's GEMM (ops.MatMul) wherever it applies."""
import math
import string

import numpy as np

from .. import ops
from ..creation import tensor as _tensor
from ..tensor import Tensor, _dtype_name
from ._bind import op


def _as_tensor(x):
    # minigrad.tensor's dtype rules (a float64 array stays float64), not the legacy
    # Tensor(data) constructor's (always float32)
    return x if isinstance(x, Tensor) else _tensor(x)


def _c_name(dtype):
    """The C type name torch's GEMM errors use ("float != double")."""
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}.get(dtype.name, dtype.name)


def _same_dtype_mm(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(a._data.dtype)} != "
                           f"{_c_name(b._data.dtype)}")


def _mm_shapes(rows, k, b):
    kb, n = b._data.shape   # the array's shape: Tensor.shape builds a Size on every read
    if kb != k:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {kb}x{n})")


def _dot_checks(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_dtype_name(a._data.dtype)} "
                           f"and {_dtype_name(b._data.dtype)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")


def _mv_shapes(a, b):
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({b.shape[0]})")


@op()
def matmul(input, other):
    """numpy.matmul's rules (1-D operands, broadcast batch dims), with autograd. `x @ y` lands here."""
    a, b = _as_tensor(input), _as_tensor(other)
    if a._data.ndim == 2 and b._data.ndim == 2:     # the hot case first: as little Python as possible
        _same_dtype_mm(a, b)
        _mm_shapes(*a._data.shape, b)
        return ops.MatMul.apply(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        _dot_checks(a, b)
    elif b.ndim == 1:
        _same_dtype_mm(a, b)
        if a.ndim == 2:
            _mv_shapes(a, b)
        elif a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({math.prod(a.shape[:-1])}), mat "
                               f"({math.prod(a.shape[:-1])}x{a.shape[-1]}), vec ({b.shape[0]})")
    elif b.ndim == 2:                   # (..., K) @ (K, N): folded into one matrix product
        _same_dtype_mm(a, b)
        _mm_shapes(math.prod(a.shape[:-1]), a.shape[-1], b)
    else:
        _same_dtype_mm(a, b)
        _batched_shapes(a, b)
    return ops.MatMul.apply(a, b)


def _batched_shapes(a, b):
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    for i in range(1, min(len(batch_a), len(batch_b)) + 1):
        if batch_a[-i] != batch_b[-i] and 1 not in (batch_a[-i], batch_b[-i]):
            dim = max(len(batch_a), len(batch_b)) - i
            raise RuntimeError(f"The size of tensor a ({batch_a[-i]}) must match the size of tensor b "
                               f"({batch_b[-i]}) at non-singleton dimension {dim}")
    k = a.shape[-1]
    if b.shape[-2] != k:
        n = math.prod(np.broadcast_shapes(batch_a, batch_b))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {k}] but got: "
                           f"[{n}, {b.shape[-2]}].")


@op()
def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_dtype_mm(input, mat2)
    _mm_shapes(input.shape[0], input.shape[1], mat2)
    return ops.MatMul.apply(input, mat2)


@op()
def bmm(input, mat2):
    """Batched matrix product; unlike matmul, the batch sizes must be equal (no broadcasting)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(input._data.dtype)} but found "
                           f"{_dtype_name(mat2._data.dtype)}")
    return ops.MatMul.apply(input, mat2)


@op()
def dot(input, tensor):
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    _dot_checks(input, tensor)
    return ops.MatMul.apply(input, tensor)


@op()
def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_dtype_name(vec._data.dtype)}, "
                           f"{_dtype_name(input._data.dtype)}, and {_dtype_name(vec._data.dtype)}")
    _mv_shapes(input, vec)
    return ops.MatMul.apply(input, vec)


@op()
def t(input):
    """Transpose a matrix; a vector or a scalar comes back as a view of itself."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.ndim < 2:
        return ops.Reshape.apply(input, input.shape)
    return ops.Transpose.apply(input, 0, 1)


@op("outer", "ger")
def outer(input, vec2):
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return ops.Reshape.apply(input, (input.shape[0], 1)) * vec2


@op()
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to the product's shape. With beta
    = 0 input is ignored (NaN in it does not propagate), as torch."""
    product = mm(mat1, mat2)
    target = product.shape
    if input.ndim > 2 or any(n not in (1, m) for n, m in zip(input.shape[::-1], target[::-1])):
        raise RuntimeError(f"The expanded size of the tensor ({target[0]}) must match the existing size "
                           f"({input.shape[0]}) at non-singleton dimension 0.  Target sizes: {list(target)}.  "
                           f"Tensor sizes: {list(input.shape)}")
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


# ***** einsum *****

@op(method=False)
def einsum(*args):
    """einsum(equation, *operands) (operands may also come as one list): np.einsum forward,
    einsum backward (ops.Einsum). Supports '...', implicit output, diagonals and size-1
    broadcasting of a subscript."""
    if len(args) < 2:
        raise RuntimeError("einsum(): must specify the equation string and at least one operand, "
                           "or at least one operand and its subscripts list")
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = [_as_tensor(o) for o in operands]
    dtypes = [o._data.dtype for o in operands]
    for d in dtypes[1:]:
        if d != dtypes[0]:
            raise RuntimeError(f"expected scalar type {_dtype_name(dtypes[0])} but found {_dtype_name(d)}")
    terms, out, sizes = _parse_einsum(equation.replace(" ", ""), operands)
    expanded = []
    for term, o in zip(terms, operands):
        full = tuple(sizes[c] for c in term)
        expanded.append(o if o.shape == full else ops.Expand.apply(o, full))
    return ops.Einsum.apply(*expanded, equation=",".join(terms) + "->" + out)


def _parse_einsum(equation, operands):
    """-> (one explicit subscript string per operand, the output's, subscript -> size), with
    '...' spelled out as unused letters; torch's errors for malformed equations."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    spare = [c for c in string.ascii_letters if c not in equation]
    n_ell = max([o.ndim - (len(t) - 3) for t, o in zip(terms, operands) if "..." in t], default=0)
    ell = "".join(spare[:n_ell])
    explicit, sizes = [], {}
    for i, (term, o) in enumerate(zip(terms, operands)):
        if "..." in term:
            k = o.ndim - (len(term) - 3)
            if k < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term) - 3}) is more "
                                   f"than the number of dimensions ({o.ndim}) for operand {i}")
            term = term.replace("...", ell[n_ell - k:])
        elif len(term) != o.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match "
                               f"the number of dimensions ({o.ndim}) for operand {i} and no ellipsis was given")
        own = {}
        for c, n in zip(term, o.shape):
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index {equation.index(c)} in the equation "
                                   f"string, subscripts must be in [a-zA-Z]")
            if own.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                                   f"match, {n} != {own[c]}")
            seen = sizes.get(c, 1)
            if n != seen and 1 not in (n, seen):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                                   f"broadcast with previously seen size {seen}")
            sizes[c] = max(n, seen)
        explicit.append(term)
    if arrow:
        out = rhs.replace("...", ell)
        for k, c in enumerate(out):
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                                   f"input operand")
            if c in out[:k]:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:   # implicit output: '...' first, then the subscripts seen once, in alphabetical order
        counts = "".join(explicit)
        out = ell + "".join(sorted(c for c in sizes if c not in ell and counts.count(c) == 1))
    return explicit, out, sizes
