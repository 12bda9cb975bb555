"""NumPy stand-ins for the layers the parity tests call (torch's names and arguments), each with
its backward written out, so `check_op(..., ref=...)` verifies minigrad's values and gradients
without torch. Values are `Ref`s: an array plus the inputs it came from and how to send a
gradient back to them; `vjp` walks that little graph newest first.

Kernels' own twins (reference_act, reference_gemm, reference_pool) do the arithmetic where one
exists; matmul and conv2d are computed in float64 and rounded to the input's dtype once.
"""
import itertools

import numpy as np

import reference_act as RA
import reference_pool as RP

_order = itertools.count()


class Ref:
    def __init__(self, value, parents=(), backward=None):
        self.value = np.asarray(value)
        self.parents = parents          # the Refs this one was computed from
        self.backward = backward        # grad of self -> one grad (or None) per parent
        self.order = next(_order)       # creation order: reverse order is a valid backward order

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def __matmul__(self, other):
        return matmul(self, other)


def vjp(outputs, cotangents, inputs):
    """Gradients of sum(output * cotangent) with respect to each input (None where none flows)."""
    grads = {id(o): np.asarray(c, np.float64) for o, c in zip(outputs, cotangents)}
    nodes, stack = {}, list(outputs)
    while stack:
        n = stack.pop()
        if id(n) not in nodes:
            nodes[id(n)] = n
            stack.extend(n.parents)
    for n in sorted(nodes.values(), key=lambda n: -n.order):
        if n.backward is None or id(n) not in grads:
            continue
        for p, g in zip(n.parents, n.backward(grads[id(n)])):
            if g is not None:
                grads[id(p)] = grads.get(id(p), 0) + g
    return [grads.get(id(i)) for i in inputs]


def _pair(v, default=None):
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0):
        return default
    if isinstance(v, int):
        return (v, v)
    return (v[0], v[0]) if len(v) == 1 else tuple(v)


def _unbroadcast(g, shape):
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _elementwise(x, forward, backward):
    """forward(x) -> y in x's dtype; backward(g, x, y) -> grad of x."""
    y = forward(x.value)
    return Ref(y, (x,), lambda g: (backward(g, x.value, y),))


# ***** activations *****

def sigmoid(x):
    return _elementwise(x, RA.sigmoid_forward, lambda g, x, y: RA.sigmoid_backward(g, y.astype(np.float64)))


def tanh(x):
    return _elementwise(x, RA.tanh_forward, lambda g, x, y: RA.tanh_backward(g, y.astype(np.float64)))


def relu(x):
    return _elementwise(x, RA.relu_forward, lambda g, x, y: RA.relu_backward(g, y))


def leaky_relu(x, negative_slope=0.01):
    return _elementwise(x, lambda v: RA.leaky_relu_forward(v, negative_slope),
                        lambda g, v, y: RA.leaky_relu_backward(g, v, negative_slope))


def rrelu(x, lower=1 / 8, upper=1 / 3, training=False):
    # NOTE: only evaluation mode has a reference value: the slope is the mean of the bounds
    if training:
        raise NotImplementedError("train-mode RReLU draws random slopes: test it by its properties")
    return leaky_relu(x, (lower + upper) / 2)


def prelu(x, weight):
    w = weight.value
    channels = 1 if w.size == 1 else x.shape[1]
    inner = x.value.size if w.size == 1 else int(np.prod(x.shape[2:]))

    def backward(g):
        return RA.prelu_backward(g, x.value.astype(np.float64), w.astype(np.float64), channels, inner)

    return Ref(RA.prelu_forward(x.value, w, channels, inner), (x, weight), backward)


# ***** matmul, linear, conv2d (float64, rounded once) *****

def matmul(a, b):
    A, B = a.value.astype(np.float64), b.value.astype(np.float64)
    A2 = A[None] if A.ndim == 1 else A
    B2 = B[:, None] if B.ndim == 1 else B
    out = A2 @ B2
    if B.ndim == 1:
        out = out[..., 0]
    if A.ndim == 1:
        out = out[..., 0, :] if B.ndim > 1 else out[..., 0]

    def backward(g):
        if A.ndim == 1:
            g = g[..., None, :] if B.ndim > 1 else g[..., None]
        if B.ndim == 1:
            g = g[..., None]
        ga = _unbroadcast(g @ np.swapaxes(B2, -1, -2), A2.shape).reshape(A.shape)
        gb = _unbroadcast(np.swapaxes(A2, -1, -2) @ g, B2.shape).reshape(B.shape)
        return ga, gb

    return Ref(out.astype(a.dtype), (a, b), backward)


def linear(x, weight, bias=None):
    X, W = x.value.astype(np.float64), weight.value.astype(np.float64)
    out = X @ W.T + (0 if bias is None else bias.value)
    O, I = W.shape

    def backward(g):
        g2, x2 = g.reshape(-1, O), X.reshape(-1, I)
        return (g @ W, g2.T @ x2) + (() if bias is None else (g2.sum(0),))

    return Ref(out.astype(x.dtype), (x, weight) + (() if bias is None else (bias,)), backward)


def _conv_padding(padding, kh, kw, dh, dw):
    """-> (top, bottom, left, right); 'same' puts the odd pixel after, as torch does."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = _pair(padding)
    return ph, ph, pw, pw


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation as a sum over kernel taps; the backward runs the same taps in reverse."""
    unbatched = x.value.ndim == 3
    X = x.value.astype(np.float64)[None] if unbatched else x.value.astype(np.float64)
    W = weight.value.astype(np.float64)
    N, C, H, Wd = X.shape
    O, Cg, kh, kw = W.shape
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    pt, pb, pl, pr = _conv_padding(padding, kh, kw, dh, dw)
    xp = np.pad(X, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    OH = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    OW = (Wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    Og = O // groups

    def taps():
        """(group's input channels, group's output channels, tap i, j, the input window slices)"""
        for g in range(groups):
            for i in range(kh):
                for j in range(kw):
                    yield (slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og), i, j,
                           (slice(i * dh, i * dh + (OH - 1) * sh + 1, sh), slice(j * dw, j * dw + (OW - 1) * sw + 1, sw)))

    out = np.zeros((N, O, OH, OW))
    for cs, os_, i, j, (hs, ws) in taps():
        out[:, os_] += np.einsum("nchw,oc->nohw", xp[:, cs, hs, ws], W[os_, :, i, j])
    if bias is not None:
        out += bias.value.reshape(1, O, 1, 1)

    def backward(g):
        G = g[None] if unbatched else g
        gxp, gw = np.zeros_like(xp), np.zeros_like(W)
        for cs, os_, i, j, (hs, ws) in taps():
            gxp[:, cs, hs, ws] += np.einsum("nohw,oc->nchw", G[:, os_], W[os_, :, i, j])
            gw[os_, :, i, j] += np.einsum("nohw,nchw->oc", G[:, os_], xp[:, cs, hs, ws])
        gx = gxp[:, :, pt:pt + H, pl:pl + Wd]
        return (gx[0] if unbatched else gx, gw) + (() if bias is None else (G.sum((0, 2, 3)),))

    out = out[0] if unbatched else out
    return Ref(out.astype(x.dtype), (x, weight) + (() if bias is None else (bias,)), backward)


# ***** pooling: reference_pool on (planes, H, W), reshaped back *****

def _planes(v):
    return v.reshape((int(np.prod(v.shape[:-2])),) + v.shape[-2:])     # -1 cannot be inferred when empty


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    (kH, kW), (pH, pW), (dH, dW) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sH, sW = _pair(stride, (kH, kW))
    H, W = x.shape[-2:]
    OH, OW = RP.pool_out_size(H, kH, sH, pH, dH, ceil_mode), RP.pool_out_size(W, kW, sW, pW, dW, ceil_mode)
    out, idx = RP.max_pool2d_forward(_planes(x.value), OH, OW, kH, kW, sH, sW, pH, pW, dH, dW)
    lead = x.shape[:-2] + (OH, OW)

    def backward(g):
        return (RP.max_pool2d_backward(_planes(g), idx, H, W).reshape(x.shape),)

    values = Ref(out.reshape(lead), (x,), backward)
    return (values, Ref(idx.reshape(lead))) if return_indices else values


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    (kH, kW), (pH, pW) = _pair(kernel_size), _pair(padding)
    sH, sW = _pair(stride, (kH, kW))
    H, W = x.shape[-2:]
    OH, OW = RP.pool_out_size(H, kH, sH, pH, 1, ceil_mode), RP.pool_out_size(W, kW, sW, pW, 1, ceil_mode)
    geometry = (kH, kW, sH, sW, pH, pW, count_include_pad, divisor_override)
    out = RP.avg_pool2d_forward(_planes(x.value), OH, OW, *geometry)

    def backward(g):
        return (RP.avg_pool2d_backward(_planes(g), H, W, *geometry).reshape(x.shape),)

    return Ref(out.reshape(x.shape[:-2] + (OH, OW)), (x,), backward)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    (kH, kW), (pH, pW) = _pair(kernel_size), _pair(padding)
    sH, sW = _pair(stride, (kH, kW))
    H, W = x.shape[-2:]
    if output_size is None:
        OH, OW = (H - 1) * sH - 2 * pH + kH, (W - 1) * sW - 2 * pW + kW
    else:
        OH, OW = tuple(output_size)[-2:]
    idx = _planes(indices.value)
    out = RP.max_unpool2d_forward(_planes(x.value), idx, OH, OW)

    def backward(g):
        return RP.max_unpool2d_backward(_planes(g), idx).reshape(x.shape), None

    return Ref(out.reshape(x.shape[:-2] + (OH, OW)), (x, indices), backward)


class MaxPool2d:
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        self.args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)

    def __call__(self, x):
        return max_pool2d(x, *self.args)


class AvgPool2d:
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        self.args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)

    def __call__(self, x):
        return avg_pool2d(x, *self.args)


class MaxUnpool2d:
    def __init__(self, kernel_size, stride=None, padding=0):
        self.args = (kernel_size, stride, padding)

    def __call__(self, x, indices, output_size=None):
        return max_unpool2d(x, indices, *self.args, output_size=output_size)
