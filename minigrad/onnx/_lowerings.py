"""ONNX lowerings of minigrad's ops: one builder per ops class, `lower(g, a, outs)`.

`g` is the Recorder (_graph.py), `a` the op's forward arguments by name (as the op got them:
Tensors, arrays, numbers, tuples), `outs` the op's result Tensors (their shapes and dtypes).
A builder returns the name of each output (None: made lazily, see MaxPool2d's indices).
The ops themselves know nothing of ONNX; an op missing here is refused by name.
"""
import numpy as np

from .. import ops
from ..ops import activation as _act, conv as _conv, pool as _pool

LOWERINGS = {}
INT64_MAX = np.iinfo(np.int64).max


def lowers(*classes):
    def register(fn):
        for cls in classes:
            LOWERINGS[cls] = fn
        return fn
    return register


def _same(op_type):
    """An op whose ONNX twin takes the same inputs in the same order."""
    def lower(g, a, outs):
        return g.node(op_type, [g.name(v) for v in a.values() if not _is_option(v)])
    return lower


def _is_option(v):
    return isinstance(v, bool) or v is None


for _cls, _op_type in ((ops.Add, "Add"), (ops.Sub, "Sub"), (ops.Mul, "Mul"), (ops.Div, "Div"),
                       (ops.Neg, "Neg"), (ops.Exp, "Exp"), (ops.Log, "Log"), (ops.Sqrt, "Sqrt"),
                       (ops.Abs, "Abs"), (ops.Clone, "Identity"), (ops.MatMul, "MatMul"),
                       (_act.Sigmoid, "Sigmoid"), (_act.Tanh, "Tanh"), (_act.ReLU, "Relu")):
    LOWERINGS[_cls] = _same(_op_type)


# ***** element-wise *****

@lowers(ops.Pow)
def _pow(g, a, outs):
    # ONNX Pow takes the exponent in its own dtype; a scalar exponent keeps the base's
    return g.node("Pow", [g.name(a["a"], outs[0]._data.dtype), g.name(a["b"], outs[0]._data.dtype)])


@lowers(ops.Clamp)
def _clamp(g, a, outs):
    # Max then Min, not Clip: the bounds may be tensors (Clip takes scalars only); where lo > hi
    # the result is hi, as torch's
    dtype = outs[0]._data.dtype
    out = g.name(a["x"])
    if a["lo"] is not None:
        out = g.node("Max", [out, g.name(a["lo"], dtype)])
    if a["hi"] is not None:
        out = g.node("Min", [out, g.name(a["hi"], dtype)])
    return out


@lowers(ops.Cast)
def _cast(g, a, outs):
    return g.node("Cast", [g.name(a["x"])], to=g.helper.np_dtype_to_tensor_dtype(outs[0]._data.dtype))


# ***** activations *****

@lowers(_act.LeakyReLU)
def _leaky_relu(g, a, outs):
    return g.node("LeakyRelu", [g.name(a["x"])], alpha=float(a["slope"]))


@lowers(_act.PReLU)
def _prelu(g, a, outs):
    x, w = a["x"], a["w"]
    slope = g.name(w)
    if w._data.size > 1 and x.ndim > 2:       # one slope per channel (dim 1): (C, 1, ..., 1)
        slope = g.node("Reshape", [slope, g.ints([w._data.size] + [1] * (x.ndim - 2))])
    return g.node("PRelu", [g.name(x), slope])


@lowers(_act.RReLU)
def _rrelu(g, a, outs):
    raise RuntimeError("minigrad.onnx.export: RReLU in training mode draws a random slope per element and has "
                       "no ONNX form; export in eval mode (training=TrainingMode.EVAL, the default), where it is "
                       "LeakyReLU with slope (lower + upper) / 2")


def _softmax(op_type):
    def lower(g, a, outs):
        return g.node(op_type, [g.name(a["x"])], axis=int(a["dim"]))
    return lower


LOWERINGS[ops.Softmax] = _softmax("Softmax")
LOWERINGS[ops.LogSoftmax] = _softmax("LogSoftmax")


# ***** linear algebra *****

@lowers(ops.Linear)
def _linear(g, a, outs):
    x, w, b = a["x"], a["w"], a["b"]
    if x.ndim == 2:
        inputs = [g.name(x), g.name(w)] + ([g.name(b)] if b is not None else [])
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [g.name(x), g.node("Transpose", [g.name(w)], perm=[1, 0])])
    return y if b is None else g.node("Add", [y, g.name(b)])


@lowers(ops.Einsum)
def _einsum(g, a, outs):
    return g.node("Einsum", [g.name(t) for t in a["operands"]], equation=a["equation"])


# ***** convolution and padding *****

@lowers(_conv.Conv2d)
def _conv2d(g, a, outs):
    w, b = a["w"], a["b"]
    pt, pb, pl, pr = a["padding"]
    inputs = [g.name(a["x"]), g.name(w)] + ([g.name(b)] if b is not None else [])
    return g.node("Conv", inputs, kernel_shape=list(w.shape[2:]), strides=list(a["stride"]),
                  pads=[pt, pl, pb, pr], dilations=list(a["dilation"]), group=int(a["groups"]))


@lowers(_conv.Pad2d)
def _pad2d(g, a, outs):
    x, (pl, pr, pt, pb), mode = a["x"], a["pad"], a["mode"]
    if mode == "circular":    # Pad's 'wrap' needs opset 19: the same from slices of x
        name = g.name(x)
        for axis, lo, hi, n in ((x.ndim - 2, pt, pb, x.shape[-2]), (x.ndim - 1, pl, pr, x.shape[-1])):
            parts = ([_slice(g, name, axis, n - lo, n)] if lo else []) + [name] + \
                    ([_slice(g, name, axis, 0, hi)] if hi else [])
            name = g.node("Concat", parts, axis=axis) if len(parts) > 1 else name
        return name
    lead = [0] * (x.ndim - 2)
    pads = g.ints(lead + [pt, pl] + lead + [pb, pr])
    return g.node("Pad", [g.name(x), pads], mode={"reflect": "reflect", "replicate": "edge"}[mode])


def _slice(g, name, axis, start, stop, step=1):
    return g.node("Slice", [name, g.ints([start]), g.ints([stop]), g.ints([axis]), g.ints([step])])


# ***** pooling *****

def _as4d(g, x):
    """(name, ndim): pooling ops take (N, C, H, W); an unbatched (C, H, W) input gets N = 1."""
    name = g.name(x)
    if x.ndim == 3:
        name = g.node("Unsqueeze", [name, g.ints([0])])
    return name


def _back(g, name, ndim):
    return g.node("Squeeze", [name, g.ints([0])]) if ndim == 3 else name


def _floor_len(L, k, s, p, d=1):
    return (L + 2 * p - d * (k - 1) - 1) // s + 1


@lowers(_pool.MaxPool2d)
def _max_pool2d(g, a, outs):
    x, (kh, kw), (sh, sw), (ph, pw), (dh, dw) = a["x"], a["kernel"], a["stride"], a["padding"], a["dilation"]
    H, W = x.shape[-2:]
    ceil = tuple(a["out_hw"]) != (_floor_len(H, kh, sh, ph, dh), _floor_len(W, kw, sw, pw, dw))
    attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph, pw, ph, pw], dilations=[dh, dw],
                 ceil_mode=int(ceil))
    if not a["return_indices"]:
        return _back(g, g.node("MaxPool", [_as4d(g, x)], **attrs), x.ndim)
    y, idx = g.node("MaxPool", [_as4d(g, x)], n_out=2, **attrs)
    idx = _back(g, idx, x.ndim)
    plane = H * W
    indices = outs[1]
    g.keep.append(indices)
    g.pool_indices[id(indices)] = (idx, plane)
    # ONNX counts indices over the whole tensor ((n*C + c)*H + h)*W + w; minigrad within each
    # H x W plane. The plane offset is a multiple of H*W, so Mod gives minigrad's; made only
    # where something reads minigrad's form (MaxUnpool2d reads ONNX's directly).
    g.lazy[id(indices)] = lambda: g.node("Mod", [idx, g.ints(plane)])
    return [_back(g, y, x.ndim), None]


def _avg_divisors(L, k, s, p, out, count_include_pad):
    """torch's divisor per output position along one dim (window clipped as avg_pool2d does)."""
    divs = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, L + p)
        size = end - start
        start, end = max(start, 0), min(end, L)
        divs.append(size if count_include_pad else end - start)
    return np.array(divs)


@lowers(_pool.AvgPool2d)
def _avg_pool2d(g, a, outs):
    x, (kh, kw), (sh, sw), (ph, pw) = a["x"], a["kernel"], a["stride"], a["padding"]
    (OH, OW), cip, dov = a["out_hw"], a["count_include_pad"], a["divisor_override"]
    H, W = x.shape[-2:]
    name = _as4d(g, x)
    if dov is None and (OH, OW) == (_floor_len(H, kh, sh, ph), _floor_len(W, kw, sw, pw)):
        y = g.node("AveragePool", [name], kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph, pw, ph, pw],
                   count_include_pad=int(cip))
        return _back(g, y, x.ndim)
    # ceil_mode windows and divisor_override: ONNX's divisor rules differ from torch's, so the
    # window sums come from a depthwise Conv with a ones kernel (zero padding, extended at the
    # end to reach torch's output size) and are divided by torch's divisors, a constant.
    C = x.shape[-3]
    dtype = x._data.dtype
    eh, ew = max((OH - 1) * sh + kh - H - ph, 0), max((OW - 1) * sw + kw - W - pw, 0)
    s = g.node("Conv", [name, g.const(np.ones((C, 1, kh, kw), dtype))], kernel_shape=[kh, kw],
               strides=[sh, sw], pads=[ph, pw, eh, ew], group=C)
    if (_floor_len(H + eh - ph, kh, sh, ph), _floor_len(W + ew - pw, kw, sw, pw)) != (OH, OW):
        s = g.node("Slice", [s, g.ints([0, 0]), g.ints([OH, OW]), g.ints([2, 3])])
    if dov is not None:
        div = np.asarray(dov, dtype)
    else:
        div = np.outer(_avg_divisors(H, kh, sh, ph, OH, cip), _avg_divisors(W, kw, sw, pw, OW, cip)).astype(dtype)
    return _back(g, g.node("Div", [s, g.const(div)]), x.ndim)


@lowers(_pool.MaxUnpool2d)
def _max_unpool2d(g, a, outs):
    x, indices, (OH, OW) = a["x"], a["indices"], a["out_hw"]
    xn = _as4d(g, x)
    shape = g.node("Shape", [xn])
    lead = g.node("Slice", [shape, g.ints([0]), g.ints([2]), g.ints([0])])        # [N, C]
    known = g.pool_indices.get(id(indices))
    if known is not None and known[1] == OH * OW:
        idx = _as4d_name(g, known[0], x.ndim)
    else:   # minigrad's per-plane indices + each plane's offset (n*C + c) * OH*OW
        planes = g.node("ReduceProd", [lead], keepdims=0) if g.opset >= 18 else \
            g.node("ReduceProd", [lead], keepdims=0, axes=[0])
        offsets = g.node("Range", [g.const(np.int64(0)), planes, g.const(np.int64(1))])
        offsets = g.node("Mul", [offsets, g.const(np.int64(OH * OW))])
        offsets = g.node("Reshape", [offsets, g.node("Concat", [lead, g.ints([1, 1])], axis=0)])
        idx = g.node("Add", [_as4d(g, indices), offsets])
    out_shape = g.node("Concat", [lead, g.ints([OH, OW])], axis=0)
    # kernel 1 / stride 1: the output size comes from output_shape, which must not be smaller
    y = g.node("MaxUnpool", [xn, idx, out_shape], kernel_shape=[1, 1], strides=[1, 1])
    return _back(g, y, x.ndim)


def _as4d_name(g, name, ndim):
    return g.node("Unsqueeze", [name, g.ints([0])]) if ndim == 3 else name


# ***** normalisation, dropout *****

@lowers(ops.BatchNorm)
def _batch_norm(g, a, outs):
    x, w, b = a["x"], a["weight"], a["bias"]
    if a["batch_stats"]:
        raise RuntimeError("minigrad.onnx.export: BatchNorm with batch statistics (training mode, or "
                           "track_running_stats=False) has no lowering; export in eval mode with running stats")
    C, dtype = x.shape[1], x._data.dtype
    scale = g.name(w) if w is not None else g.const(np.ones(C, dtype))
    bias = g.name(b) if b is not None else g.const(np.zeros(C, dtype))
    return g.node("BatchNormalization", [g.name(x), scale, bias, g.name(a["mean"]), g.name(a["var"])],
                  epsilon=float(a["eps"]))


@lowers(ops.Dropout)
def _dropout(g, a, outs):
    raise RuntimeError("minigrad.onnx.export: Dropout in training mode (its mask is random); export in eval mode "
                       "(training=TrainingMode.EVAL, the default), where dropout is the identity")


# ***** shapes *****

@lowers(ops.Reshape)
def _reshape(g, a, outs):
    x, shape = a["x"], tuple(outs[0].shape)
    # Leading dims kept as they are become 0 ("copy from the input") and a single remaining dim
    # -1, so a dynamic batch dim stays dynamic through flatten/view/squeeze/unsqueeze.
    k = 0
    while k < min(x.ndim, len(shape)) and x.shape[k] == shape[k] and shape[k] != 0:
        k += 1
    spec = [0] * k + list(shape[k:])
    if len(shape) - k == 1:
        spec[-1] = -1
    return g.node("Reshape", [g.name(x), g.ints(spec)])


@lowers(ops.Transpose)
def _transpose(g, a, outs):
    x = a["x"]
    perm = list(range(x.ndim))
    d0, d1 = a["dim0"] % max(x.ndim, 1), a["dim1"] % max(x.ndim, 1)
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return g.node("Transpose", [g.name(x)], perm=perm)


@lowers(ops.Permute)
def _permute(g, a, outs):
    return g.node("Transpose", [g.name(a["x"])], perm=[int(d) for d in a["dims"]])


@lowers(ops.Expand)
def _expand(g, a, outs):
    x, target = a["x"], tuple(outs[0].shape)
    lead = len(target) - x.ndim
    # 1 where the input keeps its size: broadcasting keeps that dim as it is (dynamic or not)
    spec = [1 if i >= lead and x.shape[i - lead] == n else n for i, n in enumerate(target)]
    return g.node("Expand", [g.name(x), g.ints(spec)])


@lowers(ops.Repeat)
def _repeat(g, a, outs):
    x, reps = a["x"], list(a["repeats"])
    name = g.name(x)
    if len(reps) > x.ndim:
        name = g.node("Reshape", [name, g.ints([1] * (len(reps) - x.ndim) + list(x.shape))])
    return g.node("Tile", [name, g.ints(reps)])


@lowers(ops.Cat)
def _cat(g, a, outs):
    return g.node("Concat", [g.name(t) for t in a["xs"]], axis=int(a["dim"]))


@lowers(ops.Stack)
def _stack(g, a, outs):
    d = int(a["dim"])
    return g.node("Concat", [g.node("Unsqueeze", [g.name(t), g.ints([d])]) for t in a["xs"]], axis=d)


@lowers(ops.Split)
def _split(g, a, outs):
    names = g.node("Split", [g.name(a["x"]), g.ints(a["sizes"])], n_out=len(outs), axis=int(a["dim"]))
    return [names] if len(outs) == 1 else names


@lowers(ops.Flip)
def _flip(g, a, outs):
    dims = [int(d) for d in a["dims"]]
    n = len(dims)
    return g.node("Slice", [g.name(a["x"]), g.ints([-1] * n), g.ints([np.iinfo(np.int64).min] * n), g.ints(dims),
                            g.ints([-1] * n)])


@lowers(ops.GetItem, ops.Slice)
def _getitem(g, a, outs):
    x, index = a["x"], a["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    if any(isinstance(i, (list, np.ndarray)) and np.ndim(i) > 0 for i in items):
        return _gather_index(g, x, items)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        used = sum(1 for i in items if i is not None and i is not Ellipsis)
        items[at:at + 1] = [slice(None)] * (x.ndim - used)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = out_pos = 0
    for item in items:
        if item is None:
            unsqueeze.append(out_pos)
            out_pos += 1
            continue
        if isinstance(item, slice):
            if item != slice(None):
                start, stop, step = item.start, item.stop, item.step
                starts.append(0 if start is None else int(start))
                ends.append(INT64_MAX if stop is None else int(stop))
                axes.append(axis)
                steps.append(1 if step is None else int(step))
            out_pos += 1
        else:
            i = int(item)
            starts.append(i)
            ends.append(INT64_MAX if i == -1 else i + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    name = g.name(x)
    if axes:
        name = g.node("Slice", [name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        name = g.node("Squeeze", [name, g.ints(squeeze)])
    if unsqueeze:
        name = g.node("Unsqueeze", [name, g.ints(unsqueeze)])
    if not (axes or squeeze or unsqueeze):
        name = g.node("Identity", [name])
    return name


def _gather_index(g, x, items):
    """x[:, ..., idx] with one integer array on one axis (the others full slices): Gather."""
    arrays = [k for k, i in enumerate(items) if isinstance(i, (list, np.ndarray)) and np.ndim(i) > 0]
    if len(arrays) != 1 or any(i != slice(None) for k, i in enumerate(items) if k != arrays[0]):
        raise NotImplementedError("minigrad.onnx.export: no ONNX lowering for ops.GetItem with this advanced index "
                                  "(only one integer array on one dim, other dims full slices)")
    idx = np.asarray(items[arrays[0]])
    if idx.dtype == bool:
        raise NotImplementedError("minigrad.onnx.export: no ONNX lowering for ops.GetItem with a boolean mask")
    return g.node("Gather", [g.name(x), g.const(idx.astype(np.int64))], axis=arrays[0])


@lowers(ops.IndexSelect)
def _index_select(g, a, outs):
    return g.node("Gather", [g.name(a["x"]), g.const(np.asarray(a["index"], np.int64))], axis=int(a["dim"]))


# ***** reductions *****

def _reduce(g, op_type, x, axes, keepdim):
    name = g.name(x)
    axes = [int(d) for d in axes]
    if not axes:         # a 0-d input: nothing to reduce
        return g.node("Identity", [name])
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.node(op_type, [name, g.ints(axes)], keepdims=int(keepdim))
    return g.node(op_type, [name], axes=axes, keepdims=int(keepdim))


def _reduction(op_type):
    def lower(g, a, outs):
        return _reduce(g, op_type, a["x"], a["axes"], a["keepdim"])
    return lower


for _cls, _op_type in ((ops.Sum, "ReduceSum"), (ops.Mean, "ReduceMean"), (ops.Amax, "ReduceMax"),
                       (ops.Amin, "ReduceMin"), (ops.LogSumExp, "ReduceLogSumExp")):
    LOWERINGS[_cls] = _reduction(_op_type)


@lowers(ops.Prod)
def _prod(g, a, outs):
    x, dim = a["x"], a["dim"]
    return _reduce(g, "ReduceProd", x, range(x.ndim) if dim is None else [dim], a["keepdim"] and dim is not None)


def _extreme_dim(reduce_op, arg_op):
    """max(dim)/min(dim): the values and the (first) index of the extreme."""
    def lower(g, a, outs):
        x, dim, keep = a["x"], int(a["dim"]), a["keepdim"]
        values = _reduce(g, reduce_op, x, [dim], keep)
        return [values, g.node(arg_op, [g.name(x)], axis=dim, keepdims=int(keep))]
    return lower


LOWERINGS[ops.MaxDim] = _extreme_dim("ReduceMax", "ArgMax")
LOWERINGS[ops.MinDim] = _extreme_dim("ReduceMin", "ArgMin")


@lowers(ops.Cumsum)
def _cumsum(g, a, outs):
    return g.node("CumSum", [g.name(a["x"]), g.const(np.int64(a["dim"]))])
