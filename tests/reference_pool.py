"""Readable NumPy references of the pooling kernels in _ext/pool.pyx (plain loops, same names
and array conventions: (P, H, W) planes, indices flat inside a plane). Written from SPEC §2-4,
not from the kernels, so the two can disagree."""
import math

import numpy as np

__all__ = ["pool_out_size", "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward",
           "avg_pool2d_backward", "max_unpool2d_forward", "max_unpool2d_backward"]


def pool_out_size(L, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape (Pool.h)."""
    out = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= L + p:
        out -= 1
    return out


def max_pool2d_forward(x, OH, OW, kH, kW, sH, sW, pH, pW, dH, dW):
    """-> (out, indices): scan each window row-major on its dilation grid; `v > m or isnan(v)`."""
    P, H, W = x.shape
    out = np.empty((P, OH, OW), x.dtype)
    idx = np.empty((P, OH, OW), np.int64)
    for p in range(P):
        for oh in range(OH):
            for ow in range(OW):
                hs, ws = oh * sH - pH, ow * sW - pW
                he, we = min(hs + (kH - 1) * dH + 1, H), min(ws + (kW - 1) * dW + 1, W)
                while hs < 0:
                    hs += dH
                while ws < 0:
                    ws += dW
                m, k = -math.inf, hs * W + ws
                for y in range(hs, he, dH):
                    for xx in range(ws, we, dW):
                        v = x[p, y, xx]
                        if v > m or math.isnan(v):
                            m, k = v, y * W + xx
                out[p, oh, ow], idx[p, oh, ow] = m, k
    return out, idx


def max_pool2d_backward(grad_out, indices, H, W):
    """grad_in[p].flat[idx] += g for every output, skipping indices outside the plane."""
    P = grad_out.shape[0]
    grad_in = np.zeros((P, H * W), grad_out.dtype)
    for p in range(P):
        for g, k in zip(grad_out[p].ravel(), indices[p].ravel()):
            if 0 <= k < H * W:
                grad_in[p, k] += g
    return grad_in.reshape(P, H, W)


def _avg_window(H, W, oh, ow, kH, kW, sH, sW, pH, pW, count_include_pad, divisor_override):
    hs, ws = oh * sH - pH, ow * sW - pW
    he, we = min(hs + kH, H + pH), min(ws + kW, W + pW)
    pool = (he - hs) * (we - ws)
    hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
    if divisor_override is not None:
        div = divisor_override
    elif count_include_pad:
        div = pool
    else:
        div = (he - hs) * (we - ws)
    return hs, he, ws, we, div


def avg_pool2d_forward(x, OH, OW, kH, kW, sH, sW, pH, pW, count_include_pad, divisor_override):
    """out = (row-major sum of the clipped window, in x's dtype) / divisor."""
    P, H, W = x.shape
    out = np.empty((P, OH, OW), x.dtype)
    for p in range(P):
        for oh in range(OH):
            for ow in range(OW):
                hs, he, ws, we, div = _avg_window(H, W, oh, ow, kH, kW, sH, sW, pH, pW,
                                                  count_include_pad, divisor_override)
                s = x.dtype.type(0)
                for y in range(hs, he):
                    for xx in range(ws, we):
                        s = s + x[p, y, xx]
                out[p, oh, ow] = s / x.dtype.type(div)
    return out


def avg_pool2d_backward(grad_out, H, W, kH, kW, sH, sW, pH, pW, count_include_pad, divisor_override):
    """every input of a window gets grad_out / divisor, summed over windows in output order."""
    P, OH, OW = grad_out.shape
    dt = grad_out.dtype.type
    grad_in = np.zeros((P, H, W), grad_out.dtype)
    for p in range(P):
        for oh in range(OH):
            for ow in range(OW):
                hs, he, ws, we, div = _avg_window(H, W, oh, ow, kH, kW, sH, sW, pH, pW,
                                                  count_include_pad, divisor_override)
                delta = grad_out[p, oh, ow] / dt(div)
                for y in range(hs, he):
                    for xx in range(ws, we):
                        grad_in[p, y, xx] += delta
    return grad_in


def max_unpool2d_forward(x, indices, OH, OW):
    """out[p].flat[indices[p, i]] = x[p, i], serially in row-major order (last writer wins)."""
    P = x.shape[0]
    out = np.zeros((P, OH * OW), x.dtype)
    for p in range(P):
        for v, k in zip(x[p].ravel(), indices[p].ravel()):
            out[p, k] = v
    return out.reshape(P, OH, OW)


def max_unpool2d_backward(grad_out, indices):
    """grad_in[p, i] = grad_out[p].flat[indices[p, i]] (a gather)."""
    P = grad_out.shape[0]
    flat = grad_out.reshape(P, int(np.prod(grad_out.shape[1:])))     # -1 cannot be inferred when P == 0
    grad_in = np.empty(indices.shape, grad_out.dtype)
    for p in range(P):
        for i, k in enumerate(indices[p].ravel()):
            grad_in[p].flat[i] = flat[p, k]
    return grad_in
