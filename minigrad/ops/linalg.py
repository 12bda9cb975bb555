"""Matrix multiplication with numpy.matmul's rules (1-D operands, broadcast batch dims), on
minigrad's own GEMM (minigrad._C.gemm).

Transposes are never materialised: a transposed operand is a strided view and the GEMM packs
it directly (NN, NT, TN). Operands are copied only when their batch layout cannot be described
by one batch stride (e.g. several broadcast batch dims that do not merge).
"""
import math
import string

import numpy as np

from .._C import gemm as _cgemm
from .._parallel import get_num_threads
from ..autograd.function import ArrayFunction
from .elementwise import sum_to, unbroadcast
from .movement import Transpose

__all__ = ["Einsum", "Linear", "MatMul", "mm", "matmul_arrays"]

_GEMM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def mm(a, b, out=None, beta=0.0):
    """out := a @ b + beta * out for 2-D or 3-D (batched; a size-1 batch broadcasts) float arrays
    of one dtype; a and b may be any strided views (a transposed view costs nothing). Returns out.
    The GEMM itself keeps problems too small for a second thread on one."""
    if out is None:
        if a.ndim == 2:
            out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        else:
            out = np.empty((max(a.shape[0], b.shape[0]), a.shape[1], b.shape[2]), dtype=a.dtype)
    return _cgemm.gemm(a, b, out, 1.0, beta, get_num_threads())


def _rows(shape):
    """Π shape[:-1], the row count of an (..., n) array seen as a matrix. (reshape(-1, n) cannot
    infer it when the array is empty.)"""
    return math.prod(shape[:-1])


def _as_batch3(x, batch):
    """x (..., R, C) broadcast to batch + (R, C), viewed as (B, R, C) with one batch stride;
    a size-1 batch stays size 1 (the GEMM broadcasts it by stride 0). Copies only if needed."""
    if all(n == 1 for n in x.shape[:-2]):
        return x.reshape((1,) + x.shape[-2:])
    x = np.broadcast_to(x, batch + x.shape[-2:])
    return x.reshape((math.prod(batch),) + x.shape[-2:])   # a view whenever the dims merge


def matmul_arrays(a, b):
    """numpy.matmul(a, b) for arrays of one float dtype (other dtypes go to NumPy)."""
    if a.dtype != b.dtype or a.dtype.char not in "fd":
        return np.asarray(np.matmul(a, b))
    if a.ndim == 2 and b.ndim == 2:      # the common case, with the least Python on the way
        return _cgemm.gemm(a, b, np.empty((a.shape[0], b.shape[1]), dtype=a.dtype), 1.0, 0.0,
                           get_num_threads())
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    M, K, N = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    if b2.ndim == 2:
        # (..., M, K) @ (K, N): fold the batch into M -> one large GEMM instead of many small ones.
        out = mm(a2.reshape(_rows(a2.shape), K), b2).reshape(a2.shape[:-2] + (M, N))
    else:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        out = np.empty(batch + (M, N), dtype=a.dtype)
        mm(_as_batch3(a2, batch), _as_batch3(b2, batch), out.reshape((math.prod(batch), M, N)))
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


class MatMul(ArrayFunction):
    """a @ b. 1-D operands are promoted to matrices (a: 1×K, b: K×1) and the extra dim dropped.

    Gradients (g = dL/d(a@b), promoted the same way):
        da = g @ bᵀ   (an NT GEMM)     db = aᵀ @ g   (a TN GEMM)
    summed over the batch dims that were broadcast."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return matmul_arrays(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:     # first: for vector @ vector g is 0-d, and this makes it (1,)
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if a.dtype not in _GEMM_DTYPES:
            if ctx.needs_input_grad[0]:
                ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
            if ctx.needs_input_grad[1]:
                gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
            return ga, gb
        M, K, N = a2.shape[-2], a2.shape[-1], b2.shape[-1]
        if b2.ndim == 2 and a2.ndim >= 2:
            # b is one matrix shared by the whole batch: fold the batch into M.
            g_f = g2.reshape(_rows(g2.shape), N)
            if ctx.needs_input_grad[0]:
                ga = mm(g_f, b2.T).reshape(a.shape)                  # NT
            if ctx.needs_input_grad[1]:
                gb = mm(a2.reshape(_rows(a2.shape), K).T, g_f).reshape(b.shape)   # TN, sums the batch in K
            return ga, gb
        batch = g2.shape[:-2]
        g3 = g2.reshape((math.prod(batch), M, N))
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(mm(g3, np.swapaxes(_as_batch3(b2, batch), -1, -2)).reshape(batch + (M, K)),
                             a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            a3 = _as_batch3(a2, batch)
            gb = unbroadcast(mm(np.swapaxes(a3, -1, -2), g3).reshape(batch + (K, N)),
                             b2.shape).reshape(b.shape)
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        """The same products as MatMuls of Tensors (a bilinear op's derivatives are itself)."""
        a, b = ctx.inputs
        a2 = a.reshape((1,) + tuple(a.shape)) if a.ndim == 1 else a
        b2 = b.reshape(tuple(b.shape) + (1,)) if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:
            g2 = g2.reshape(tuple(g2.shape) + (1,))
        if a.ndim == 1:
            g2 = g2.reshape(tuple(g2.shape[:-1]) + (1, g2.shape[-1]))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = sum_to(MatMul.apply(g2, Transpose.apply(b2, -1, -2)), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            if b2.ndim == 2:    # one matrix for the whole batch: fold the batch into the product
                K, N = b2.shape
                a_f, g_f = a2.reshape(_rows(a2.shape), K), g2.reshape(_rows(g2.shape), N)
                gb = MatMul.apply(Transpose.apply(a_f, 0, 1), g_f).reshape(b.shape)
            else:
                gb = sum_to(MatMul.apply(Transpose.apply(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb


class Linear(ArrayFunction):
    """y = x Wᵀ + b on x (*, in), W (out, in), b (out,) or None. With x₂ = x as (rows, in):
        dx = g W (NN)    dW = gᵀ x₂ (TN: the row sum runs in the GEMM's K loop)    db = Σ_rows g"""
    @staticmethod
    def forward(ctx, x, w, b):
        x2 = x.reshape(_rows(x.shape), x.shape[-1])
        out = np.empty((x2.shape[0], w.shape[0]), dtype=x.dtype)
        beta = 0.0
        if b is not None:          # start from the bias; the GEMM adds x Wᵀ onto it (beta = 1)
            out[...] = b
            beta = 1.0
        mm(x2, w.T, out, beta=beta)                       # NT: Wᵀ is a strided view, no copy
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        g2 = g.reshape(_rows(g.shape), w.shape[0])
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = mm(g2, w).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            gw = mm(g2.T, x.reshape(_rows(x.shape), x.shape[-1]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        x, w, _ = ctx.inputs
        g2 = g.reshape(_rows(g.shape), w.shape[0])
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = MatMul.apply(g2, w).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            gw = MatMul.apply(Transpose.apply(g2, 0, 1), x.reshape(_rows(x.shape), x.shape[-1]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g2.sum(dim=0)
        return gx, gw, gb


class Einsum(ArrayFunction):
    """np.einsum on an explicit equation ("ij,jk->ik": no '...', every operand already expanded
    to the full size of each of its subscripts; minigrad.einsum prepares both).

    The gradient of operand i is an einsum too: the output gradient contracted with every other
    operand onto operand i's subscripts. Subscripts summed inside operand i alone ("ij->i") do
    not appear there, so that result is broadcast along them; a repeated subscript ("ii->i",
    a diagonal) is written back onto the diagonal of a zero gradient."""
    @staticmethod
    def forward(ctx, *operands, equation):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return np.asarray(np.einsum(equation, *operands, optimize=len(operands) > 2))

    @staticmethod
    def backward(ctx, g):
        inputs, out = ctx.equation.split("->")
        terms = inputs.split(",")
        operands = ctx.saved_tensors
        return tuple([_einsum_grad(g, out, terms, operands, i) if need else None
                      for i, need in enumerate(ctx.needs_input_grad)])

    @staticmethod
    def differentiable_backward(ctx, g):
        inputs, out = ctx.equation.split("->")
        terms = inputs.split(",")
        operands = ctx.inputs
        return tuple([_einsum_grad_op(g, out, terms, operands, i, ctx.equation) if need else None
                      for i, need in enumerate(ctx.needs_input_grad)])


def _einsum_grad(g, out, terms, operands, i):
    term, x = terms[i], operands[i]
    others = [j for j in range(len(terms)) if j != i]
    seen = set(out).union(*(terms[j] for j in others))
    letters = "".join(dict.fromkeys(term))                  # each subscript once, in order
    kept = "".join(c for c in letters if c in seen)
    spec = ",".join([out] + [terms[j] for j in others]) + "->" + kept
    partial = np.einsum(spec, g, *[operands[j] for j in others], optimize=len(others) > 1)
    if kept == term:           # every subscript once, none summed away: partial is the gradient
        return partial
    size = dict(zip(term, x.shape))
    full = np.broadcast_to(partial.reshape([size[c] if c in kept else 1 for c in letters]),
                           [size[c] for c in letters])
    gx = np.zeros(x.shape, dtype=x.dtype)
    if len(letters) == len(term):
        gx[...] = full
    else:
        np.einsum(f"{term}->{letters}", gx)[...] = full     # a writeable view of the diagonal
    return gx


def _einsum_grad_op(g, out, terms, operands, i, equation):
    """_einsum_grad as one Einsum of Tensors (so it is differentiable again): the output gradient
    contracted with the other operands, times a ones vector for each subscript summed inside
    operand i alone (a broadcast) and an identity matrix tying each repeat of a subscript to its
    first occurrence under a fresh letter (a diagonal)."""
    term, x = terms[i], operands[i]
    size = dict(zip(term, x.shape))
    others = [j for j in range(len(terms)) if j != i]
    seen = set(out).union(*(terms[j] for j in others))
    fresh = iter([c for c in string.ascii_letters if c not in equation])
    specs, consts, result = [out] + [terms[j] for j in others], [], ""
    for k, c in enumerate(term):
        if c in term[:k]:
            f = next(fresh)
            specs.append(c + f)
            consts.append(np.eye(size[c], dtype=x.dtype))
            result += f
        else:
            if c not in seen:
                specs.append(c)
                consts.append(np.ones(size[c], dtype=x.dtype))
            result += c
    return Einsum.apply(g, *[operands[j] for j in others], *consts, equation=",".join(specs) + "->" + result)
