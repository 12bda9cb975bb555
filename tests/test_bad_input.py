"""The bad-input table: every public function that takes user sizes or indices, given a wrong
dtype, rank, shape, a size near 2**31, 2**40 or 2**62, a negative size or an out-of-range index,
raises a clear error of torch's exception type, before anything is allocated or any kernel
runs. Sizes are Python ints, so nothing wraps; see minigrad/_alloc.py for what is refused as
too big to allocate. Rows whose exception type differs from torch's on purpose say why.
NaN and Inf are values, not errors: they propagate as torch propagates them (last section)."""
import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None

BIG = (2**31, 2**40, 2**62)


def F(L):
    return L.nn.functional


def x4(L, dtype=None):
    """(1, 1, 4, 4) ones: the pooling/conv input of most rows."""
    return L.ones(1, 1, 4, 4, dtype=dtype or L.float32)


def i64(L, *shape, fill=0):
    return L.full(shape, fill, dtype=L.int64)


def v6(L):
    return L.arange(6.0)


# (id, call(lib), exception type, message regex or None, why torch differs or None)
ROWS = [
    # ***** max_pool2d / avg_pool2d *****
    ("max_pool2d int input", lambda L: F(L).max_pool2d(x4(L, L.int64), 2), NotImplementedError, "not implemented",
     "minigrad pools float32/float64 only"),
    ("avg_pool2d int input", lambda L: F(L).avg_pool2d(x4(L, L.int64), 2), NotImplementedError, "not implemented",
     "minigrad pools float32/float64 only"),
    ("max_pool2d 1-D input", lambda L: F(L).max_pool2d(L.ones(4), 2), RuntimeError, "3D or 4D", None),
    ("max_pool2d 5-D input", lambda L: F(L).max_pool2d(L.ones(1, 1, 1, 4, 4), 2), RuntimeError, "3D or 4D", None),
    ("avg_pool2d 2-D input", lambda L: F(L).avg_pool2d(L.ones(4, 4), 2), RuntimeError, "3D or 4D",
     "torch: IndexError from input.size(-3)"),
    ("max_pool2d float kernel", lambda L: F(L).max_pool2d(x4(L), 2.0), TypeError, "kernel_size", None),
    ("max_pool2d 3-tuple kernel", lambda L: F(L).max_pool2d(x4(L), (2, 2, 2)), RuntimeError, "kernel_size", None),
    ("max_pool2d kernel 0", lambda L: F(L).max_pool2d(x4(L), 0), RuntimeError, "stride should not be zero", None),
    ("max_pool2d kernel -1", lambda L: F(L).max_pool2d(x4(L), -1), RuntimeError, "greater than zero", None),
    ("max_pool2d stride 0", lambda L: F(L).max_pool2d(x4(L), 2, 0), RuntimeError, "stride", None),
    ("max_pool2d padding -1", lambda L: F(L).max_pool2d(x4(L), 2, padding=-1), RuntimeError, "pad", None),
    ("max_pool2d padding > k/2", lambda L: F(L).max_pool2d(x4(L), 2, padding=2), RuntimeError, "pad", None),
    ("max_pool2d dilation 0", lambda L: F(L).max_pool2d(x4(L), 2, dilation=0), RuntimeError, "dilation", None),
    ("max_pool2d kernel > input", lambda L: F(L).max_pool2d(x4(L), 5), RuntimeError, "too small", None),
    ("max_pool2d empty plane", lambda L: F(L).max_pool2d(L.ones(1, 1, 0, 4), 2), RuntimeError, "3D or 4D", None),
    ("avg_pool2d divisor 0", lambda L: F(L).avg_pool2d(x4(L), 2, divisor_override=0), RuntimeError, "divisor",
     None),
    ("avg_pool2d float divisor", lambda L: F(L).avg_pool2d(x4(L), 2, divisor_override=2.5), TypeError,
     "divisor_override", None),
    ("avg_pool2d padding -1", lambda L: F(L).avg_pool2d(x4(L), 2, padding=-1), RuntimeError, "pad", None),
    ("avg_pool2d non-tensor", lambda L: F(L).avg_pool2d([[1.0]], 2), TypeError, "Tensor", None),
]
for n in BIG:
    for arg in ("kernel_size", "stride", "padding", "dilation"):
        kw = {"kernel_size": 1, arg: n} if arg != "padding" else {"kernel_size": 2, "padding": n}
        ROWS.append((f"max_pool2d {arg}=2**{n.bit_length() - 1}",
                     lambda L, kw=kw: F(L).max_pool2d(x4(L), **kw), RuntimeError, "overflow", None))
        ROWS.append((f"max_pool2d {arg}=-2**{n.bit_length() - 1}",
                     lambda L, kw=dict(kw, **{arg: -n}): F(L).max_pool2d(x4(L), **kw), RuntimeError, None, None))
    for arg in ("kernel_size", "stride", "padding"):
        kw = {"kernel_size": 1, arg: n} if arg != "padding" else {"kernel_size": 2, "padding": n}
        ROWS.append((f"avg_pool2d {arg}=2**{n.bit_length() - 1}",
                     lambda L, kw=kw: F(L).avg_pool2d(x4(L), **kw), RuntimeError, "overflow", None))

# ***** max_unpool2d: indices are user data *****
ROWS += [
    ("max_unpool2d float indices", lambda L: F(L).max_unpool2d(x4(L), L.zeros(1, 1, 4, 4), 2), RuntimeError,
     "int64 but got: Float", None),
    ("max_unpool2d int32 indices", lambda L: F(L).max_unpool2d(x4(L), L.zeros(1, 1, 4, 4, dtype=L.int32), 2),
     RuntimeError, "int64 but got: Int", None),
    ("max_unpool2d index = size", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4, fill=64), 2),
     RuntimeError, "invalid max index: 64", None),
    ("max_unpool2d negative index", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4, fill=-1), 2),
     RuntimeError, "invalid max index: -1", None),
    ("max_unpool2d index 2**40", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4, fill=2**40), 2),
     RuntimeError, "invalid max index", None),
    ("max_unpool2d index 2**62", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4, fill=2**62), 2),
     RuntimeError, "invalid max index", None),
    ("max_unpool2d index -2**62", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4, fill=-2**62), 2),
     RuntimeError, "invalid max index", None),
    ("max_unpool2d indices shape", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 3), 2), RuntimeError,
     "shape of indices", None),
    ("max_unpool2d int input", lambda L: F(L).max_unpool2d(x4(L, L.int64), i64(L, 1, 1, 4, 4), 2),
     NotImplementedError, "not implemented", None),
    ("max_unpool2d 2-D input", lambda L: F(L).max_unpool2d(L.ones(4, 4), i64(L, 4, 4), 2), RuntimeError,
     "3d or 4d", None),
    ("max_unpool2d output_size 3 long", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2,
                                                                    output_size=(8, 8, 8)), ValueError,
     "2 or 4 elements", None),
    ("max_unpool2d output_size 2**31", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2,
                                                                   output_size=(2**31, 2**31)), ValueError,
     "invalid output_size", None),
    ("max_unpool2d output_size 2**62", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2,
                                                                   output_size=(2**62, 8)), ValueError,
     "invalid output_size", None),
    ("max_unpool2d kernel 2**20 (64 TiB)", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2**20),
     RuntimeError, "allocate", None),
    ("max_unpool2d kernel 2**31", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2**31), RuntimeError,
     "overflow", None),
    ("max_unpool2d stride 2**40", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2, 2**40), RuntimeError,
     "overflow", None),
    ("max_unpool2d kernel 2**62", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2**62), TypeError,
     "Overflow when unpacking long long", None),
    ("max_unpool2d kernel 0", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 0), ValueError,
     "kernel_size", "torch accepts a non-positive kernel (#73154)"),
    ("max_unpool2d padding -1", lambda L: F(L).max_unpool2d(x4(L), i64(L, 1, 1, 4, 4), 2, 2, -1), ValueError,
     "padding", "torch accepts a negative padding (#73154)"),
]

# ***** conv2d and linear *****
ROWS += [
    ("conv2d int input", lambda L: F(L).conv2d(x4(L, L.int64), L.ones(1, 1, 2, 2, dtype=L.int64)), RuntimeError,
     "floating point", "minigrad convolves float32/float64 only"),
    ("conv2d 2-D input", lambda L: F(L).conv2d(L.ones(4, 4), L.ones(1, 1, 2, 2)), RuntimeError, "3D", None),
    ("conv2d 3-D weight", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2)), RuntimeError, None, None),
    ("conv2d channels mismatch", lambda L: F(L).conv2d(x4(L), L.ones(1, 2, 2, 2)), RuntimeError, "channels", None),
    ("conv2d dtype mismatch", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2, dtype=L.float64)), RuntimeError,
     None, None),
    ("conv2d bias shape", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), L.ones(2)), RuntimeError, "bias",
     None),
    ("conv2d kernel > input", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 5, 5)), RuntimeError,
     "Kernel size can't be greater", None),
    ("conv2d stride 0", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=0), RuntimeError,
     "non-positive stride", None),
    ("conv2d stride -2**62", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=-2**62), RuntimeError,
     "non-positive stride", None),
    ("conv2d padding -1", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), padding=-1), RuntimeError,
     "negative padding", None),
    ("conv2d padding 'full'", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), padding="full"), RuntimeError,
     "Invalid padding string", None),
    ("conv2d same + stride 2", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=2, padding="same"),
     RuntimeError, "strided", None),
    ("conv2d dilation 0", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), dilation=0), RuntimeError,
     "dilation", None),
    ("conv2d groups 0", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), groups=0), RuntimeError,
     "non-positive groups", None),
    ("conv2d float stride", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=1.5), TypeError, None, None),
    ("linear in_features mismatch", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 5)), RuntimeError,
     "cannot be multiplied", None),
    ("linear bias shape", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 3), L.ones(5)), RuntimeError,
     "expanded size", None),
    ("linear 3-D weight", lambda L: F(L).linear(L.ones(2, 3), L.ones(2, 4, 3)), RuntimeError, "t\\(\\) expects",
     None),
    ("linear 0-D input", lambda L: F(L).linear(L.tensor(1.0), L.ones(4, 3)), RuntimeError, "at least 1D", None),
    ("linear dtype mismatch", lambda L: F(L).linear(L.ones(2, 3), L.ones(4, 3, dtype=L.float64)), RuntimeError,
     "same dtype", None),
    ("linear int input", lambda L: F(L).linear(L.ones(2, 3, dtype=L.int64), L.ones(4, 3, dtype=L.int64)),
     RuntimeError, "floating point", "minigrad's linear is float32/float64 only"),
]
for n in BIG:
    e = n.bit_length() - 1
    ROWS += [
        (f"conv2d padding 2**{e}", lambda L, n=n: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), padding=n), RuntimeError,
         None, None),
        (f"conv2d dilation 2**{e}", lambda L, n=n: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), dilation=n),
         RuntimeError, "Kernel size can't be greater", None),
        (f"conv2d groups 2**{e}", lambda L, n=n: F(L).conv2d(x4(L), L.ones(2, 1, 2, 2), groups=n), RuntimeError,
         "at least", None),
    ]

# ***** module constructors *****
ROWS += [
    ("Linear(-1, 3)", lambda L: L.nn.Linear(-1, 3), RuntimeError, "negative dimension", None),
    ("Conv2d(-1, 1, 3)", lambda L: L.nn.Conv2d(-1, 1, 3), RuntimeError, "negative dimension", None),
    ("Conv2d(1, 1, -3)", lambda L: L.nn.Conv2d(1, 1, -3), RuntimeError, "negative dimension", None),
    ("Conv2d groups not dividing", lambda L: L.nn.Conv2d(2, 2, 3, groups=3), ValueError, "divisible by groups",
     None),
    ("Conv2d groups 0", lambda L: L.nn.Conv2d(2, 2, 3, groups=0), ValueError, "positive integer", None),
    ("Conv2d padding string", lambda L: L.nn.Conv2d(1, 1, 3, padding="full"), ValueError, "padding", None),
    ("Conv2d same + stride 2", lambda L: L.nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError, "strided",
     None),
    ("Conv2d padding_mode", lambda L: L.nn.Conv2d(1, 1, 3, padding_mode="mirror"), ValueError, "padding_mode",
     None),
    ("Conv2d float kernel", lambda L: L.nn.Conv2d(1, 1, 3.0), TypeError, None, None),
    ("MaxPool2d(-1) forward", lambda L: L.nn.MaxPool2d(-1)(x4(L)), RuntimeError, "greater than zero", None),
    ("AvgPool2d(0) forward", lambda L: L.nn.AvgPool2d(0)(x4(L)), RuntimeError, "stride should not be zero",
     None),
    ("MaxUnpool2d(2**40) forward", lambda L: L.nn.MaxUnpool2d(2**40)(x4(L), i64(L, 1, 1, 4, 4)), RuntimeError,
     None, None),
]
for n in BIG[1:]:   # Linear(2**31, 2) is valid (16 GiB): not a row
    ROWS.append((f"Linear(2**{n.bit_length() - 1}, 2)", lambda L, n=n: L.nn.Linear(n, 2), RuntimeError, None, None))
for n in BIG:
    e = n.bit_length() - 1
    ROWS += [
        (f"Linear(2**{e}, 2**{e})", lambda L, n=n: L.nn.Linear(n, n), RuntimeError, None, None),
        (f"Conv2d kernel 2**{e}", lambda L, n=n: L.nn.Conv2d(1, 1, n), RuntimeError, None, None),
        (f"Conv2d channels 2**{e}", lambda L, n=n: L.nn.Conv2d(n, n, 3), RuntimeError, None, None),
        (f"MaxPool2d(2**{e}) forward", lambda L, n=n: L.nn.MaxPool2d(n)(x4(L)), RuntimeError, "overflow", None),
        (f"AvgPool2d(2, stride=2**{e}) forward", lambda L, n=n: L.nn.AvgPool2d(2, stride=n)(x4(L)), RuntimeError,
         "overflow", None),
    ]

# ***** creation *****
for fn in ("zeros", "ones", "empty"):
    ROWS += [
        (f"{fn}(-1)", lambda L, fn=fn: getattr(L, fn)(-1), RuntimeError, None, None),
        (f"{fn}(2, -3)", lambda L, fn=fn: getattr(L, fn)(2, -3), RuntimeError, None, None),
        (f"{fn}(2.0)", lambda L, fn=fn: getattr(L, fn)(2.0), TypeError, None, None),
        (f"{fn}(2**64)", lambda L, fn=fn: getattr(L, fn)(2**64), TypeError, "Overflow", None),
    ]
    for n in BIG[1:]:
        e = n.bit_length() - 1
        ROWS.append((f"{fn}(2**{e})", lambda L, fn=fn, n=n: getattr(L, fn)(n), RuntimeError, None, None))
    ROWS.append((f"{fn}(2**31, 2**31)", lambda L, fn=fn: getattr(L, fn)(2**31, 2**31), RuntimeError, "overflow",
                 None))
    ROWS.append((f"{fn}(2**62, 2**62)", lambda L, fn=fn: getattr(L, fn)(2**62, 2**62), RuntimeError, "overflow",
                 None))
ROWS += [
    ("full((-1,), 1.0)", lambda L: L.full((-1,), 1.0), RuntimeError, None, None),
    ("full((2**40,), 1.0)", lambda L: L.full((2**40,), 1.0), RuntimeError, None, None),
    ("full((2**62,), 1)", lambda L: L.full((2**62,), 1), RuntimeError, "overflow", None),
    ("full((2.5,), 1)", lambda L: L.full((2.5,), 1), TypeError, None, None),
    ("arange step 0", lambda L: L.arange(0, 5, 0), RuntimeError, "step must be nonzero", None),
    ("arange step NaN", lambda L: L.arange(0, 1, float("nan")), RuntimeError, "step must be nonzero", None),
    ("arange wrong sign", lambda L: L.arange(0, 5, -1), RuntimeError, "inconsistent with step sign", None),
    ("arange(NaN)", lambda L: L.arange(float("nan")), RuntimeError, "unsupported range", None),
    ("arange(inf)", lambda L: L.arange(float("inf")), RuntimeError, "unsupported range", None),
    ("arange(-inf, 0)", lambda L: L.arange(float("-inf"), 0), RuntimeError, "unsupported range", None),
    ("arange(0, 1e300, 1e-300)", lambda L: L.arange(0.0, 1e300, 1e-300), RuntimeError, "possible overflow", None),
    ("arange(2**40)", lambda L: L.arange(2**40), RuntimeError, None, None),
    ("arange(2**62)", lambda L: L.arange(2**62), RuntimeError, "overflow", None),
    ("arange(-2**62, 2**62)", lambda L: L.arange(-2**62, 2**62), RuntimeError, None, None),
]

# ***** shape: reshape / view / expand *****
ROWS += [
    ("reshape(-1, -1)", lambda L: v6(L).reshape(-1, -1), RuntimeError, "only one dimension can be inferred", None),
    ("reshape(-2, 3)", lambda L: v6(L).reshape(-2, 3), RuntimeError, "invalid shape dimension -2", None),
    ("reshape(4)", lambda L: v6(L).reshape(4), RuntimeError, "invalid for input of size 6", None),
    ("reshape(2.0, 3)", lambda L: v6(L).reshape(2.0, 3), TypeError, None, None),
    ("reshape(-1, 0)", lambda L: v6(L).reshape(-1, 0), RuntimeError, None, None),
    ("view(4)", lambda L: v6(L).view(4), RuntimeError, "invalid for input of size 6", None),
    ("view(-1, -1)", lambda L: v6(L).view(-1, -1), RuntimeError, "only one dimension", None),
    ("view(2.0, 3)", lambda L: v6(L).view(2.0, 3), TypeError, None, None),
    ("view of non-contiguous", lambda L: v6(L).reshape(2, 3).t().view(6), RuntimeError, "view size", None),
    ("expand(3) of size 2", lambda L: L.ones(2).expand(3), RuntimeError, "must match the existing size", None),
    ("expand(-2)", lambda L: L.ones(1).expand(-2), RuntimeError, None, None),
    ("expand(-1, 4) new leading -1", lambda L: L.ones(4).expand(-1, 4), RuntimeError, "leading", None),
    ("expand fewer dims", lambda L: L.ones(2, 2).expand(2), RuntimeError, "number of sizes", None),
    ("expand(2**62, 2**62)", lambda L: L.ones(1).expand(2**62, 2**62), RuntimeError, "overflow", None),
    ("expand(2**31, 2**31)", lambda L: L.ones(1).expand(2**31, 2**31), RuntimeError, "overflow",
     "torch makes this 2**62-element view; NumPy cannot hold its byte count"),
]
for n in BIG:
    e = n.bit_length() - 1
    ROWS += [
        (f"reshape(2**{e})", lambda L, n=n: v6(L).reshape(n), RuntimeError, "invalid for input of size 6", None),
        (f"reshape(2**{e}, 2**{e})", lambda L, n=n: v6(L).reshape(n, n), RuntimeError, "invalid for input", None),
        (f"reshape(2**{e}, 0)", lambda L, n=n: v6(L).reshape(n, 0), RuntimeError, "invalid for input", None),
        (f"view(2**{e})", lambda L, n=n: v6(L).view(n), RuntimeError, "invalid for input of size 6", None),
        (f"view(-2**{e})", lambda L, n=n: v6(L).view(-n), RuntimeError, None, None),
    ]

# ***** gather / index_select / scatter: indices *****
ROWS += [
    ("gather float index", lambda L: L.gather(v6(L), 0, L.tensor([0.0])), RuntimeError, "int32/int64", None),
    ("gather index rank", lambda L: L.gather(v6(L), 0, L.tensor([[0]])), RuntimeError, "same number of dim",
     None),
    ("gather dim 1 of 1-D", lambda L: L.gather(v6(L), 1, L.tensor([0])), IndexError, "Dimension out of range",
     None),
    ("gather dim 2**62", lambda L: L.gather(v6(L), 2**62, L.tensor([0])), IndexError, "Dimension out of range",
     None),
    ("gather index = size", lambda L: L.gather(v6(L), 0, L.tensor([6])), RuntimeError, "out of bounds", None),
    ("gather index -1", lambda L: L.gather(v6(L), 0, L.tensor([-1])), RuntimeError, "out of bounds", None),
    ("gather int32 index -1", lambda L: L.gather(v6(L), 0, L.tensor([-1], dtype=L.int32)), RuntimeError,
     "out of bounds", None),
    ("gather non-tensor index", lambda L: L.gather(v6(L), 0, [0]), TypeError, None, None),
    ("index_select float index", lambda L: L.index_select(v6(L), 0, L.tensor([0.0])), RuntimeError,
     "int32 or int64", None),
    ("index_select 2-D index", lambda L: L.index_select(v6(L), 0, L.tensor([[1]])), IndexError,
     "supposed to be a vector", None),
    ("index_select 1-D index = size", lambda L: L.index_select(v6(L), 0, L.tensor([6])), IndexError,
     "index out of range in self", None),
    ("index_select 1-D index -1", lambda L: L.index_select(v6(L), 0, L.tensor([-1])), IndexError,
     "index out of range in self", None),
    ("index_select 1-D int32 index -1", lambda L: L.index_select(v6(L), 0, L.tensor([-1], dtype=L.int32)),
     IndexError, "index out of range in self", None),
    ("index_select 2-D input index 3", lambda L: v6(L).reshape(2, 3).index_select(1, L.tensor([3])),
     RuntimeError, "out of DATA bounds", None),
    ("index_select 2-D input index -1", lambda L: v6(L).reshape(2, 3).index_select(1, L.tensor([-1])),
     RuntimeError, "out of DATA bounds", None),
    ("index_select dim 3", lambda L: v6(L).reshape(2, 3).index_select(3, L.tensor([0])), IndexError,
     "Dimension out of range", None),
    ("scatter float index", lambda L: L.scatter(v6(L), 0, L.tensor([0.0]), 1.0), RuntimeError, "int32/int64",
     None),
    ("scatter index = size", lambda L: L.scatter(v6(L), 0, L.tensor([6]), 1.0), RuntimeError, "out of bounds",
     None),
    ("scatter index -1", lambda L: L.scatter(v6(L), 0, L.tensor([-1]), 1.0), RuntimeError, "out of bounds", None),
    ("scatter index larger than src", lambda L: L.scatter(v6(L), 0, L.tensor([0, 1]), L.ones(1)), RuntimeError,
     "no larger", None),
    ("scatter index rank", lambda L: L.scatter(v6(L), 0, L.tensor([[0]]), 1.0), RuntimeError,
     "same number of dim", None),
    ("scatter dim 5", lambda L: L.scatter(v6(L), 5, L.tensor([0]), 1.0), IndexError, "Dimension out of range",
     None),
]
for n in BIG:
    e = n.bit_length() - 1
    ROWS += [
        (f"gather index 2**{e}", lambda L, n=n: L.gather(v6(L), 0, L.tensor([n])), RuntimeError, "out of bounds",
         None),
        (f"gather index -2**{e}", lambda L, n=n: L.gather(v6(L), 0, L.tensor([-n])), RuntimeError,
         "out of bounds", None),
        (f"index_select index 2**{e}", lambda L, n=n: L.index_select(v6(L), 0, L.tensor([n])), IndexError,
         "index out of range", None),
        (f"scatter index 2**{e}", lambda L, n=n: L.scatter(v6(L), 0, L.tensor([n]), 1.0), RuntimeError,
         "out of bounds", None),
        (f"scatter index -2**{e}", lambda L, n=n: L.scatter(v6(L), 0, L.tensor([-n]), 1.0), RuntimeError,
         "out of bounds", None),
    ]

# ***** cross_entropy / nll_loss targets *****
ROWS += [
    ("cross_entropy target = C", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([3, 0])), IndexError,
     "Target 3 is out of bounds", None),
    ("cross_entropy target -1", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([-1, 0])), IndexError,
     "Target -1 is out of bounds", None),
    ("cross_entropy int32 target", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 0], dtype=L.int32)),
     RuntimeError, "Long or Byte", None),
    ("cross_entropy batch mismatch", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0])), ValueError,
     "batch_size", None),
    ("cross_entropy 2-D class target", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([[0, 0]])),
     ValueError, "batch_size", None),
    ("cross_entropy prob target shape", lambda L: F(L).cross_entropy(L.ones(2, 3), L.ones(2, 4)), RuntimeError,
     None, None),
    ("cross_entropy reduction", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 1]), reduction="avg"),
     ValueError, "not a valid value for reduction", None),
    ("cross_entropy label_smoothing 2", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 1]),
                                                                     label_smoothing=2.0), RuntimeError,
     "label_smoothing", None),
    ("cross_entropy weight size", lambda L: F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 1]), weight=L.ones(2)),
     RuntimeError, "weight tensor should be defined", None),
    ("nll_loss float target", lambda L: F(L).nll_loss(L.ones(2, 3), L.tensor([0.5, 0.0])), RuntimeError,
     "Long or Byte, but got Float", None),
    ("nll_loss target = C", lambda L: F(L).nll_loss(L.ones(2, 3), L.tensor([3, 0])), IndexError,
     "Target 3 is out of bounds", None),
    ("nll_loss spatial target shape", lambda L: F(L).nll_loss(L.ones(2, 3, 4), L.tensor([0, 1])), RuntimeError,
     "Expected target size", None),
]
for n in BIG:
    e = n.bit_length() - 1
    ROWS += [
        (f"cross_entropy target 2**{e}", lambda L, n=n: F(L).cross_entropy(L.ones(2, 3), L.tensor([n, 0])),
         IndexError, "is out of bounds", None),
        (f"cross_entropy target -2**{e}", lambda L, n=n: F(L).cross_entropy(L.ones(2, 3), L.tensor([-n, 0])),
         IndexError, "is out of bounds", None),
        (f"nll_loss target 2**{e}", lambda L, n=n: F(L).nll_loss(L.ones(2, 3), L.tensor([0, n])),
         IndexError, "is out of bounds", None),
    ]

IDS = [r[0] for r in ROWS]
assert len(set(IDS)) == len(IDS), "duplicate row ids"


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_minigrad_refuses(row):
    _, call, exc, match, _ = row
    with pytest.raises(exc, match=match):
        call(minigrad)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_torch_raises_the_same_type(row):
    if torch is None:
        pytest.skip("torch not installed")
    _, call, exc, _, differs = row
    if differs:
        pytest.skip(f"deliberate difference: {differs}")
    with pytest.raises(exc):
        call(torch)


# ***** sizes that are valid although large: the result, computed without a huge allocation *****

VALID = [
    ("conv2d stride 2**31", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=2**31), [[[[4.0]]]]),
    ("conv2d stride 2**62", lambda L: F(L).conv2d(x4(L), L.ones(1, 1, 2, 2), stride=(1, 2**62)),
     [[[[4.0], [4.0], [4.0]]]]),
    ("conv2d 1x1 kernel dilation 2**40", lambda L: F(L).conv2d(L.ones(1, 1, 2, 2), L.full((1, 1, 1, 1), 3.0),
                                                                dilation=2**40), [[[[3.0, 3.0], [3.0, 3.0]]]]),
    ("avg_pool2d divisor 2**40", lambda L: F(L).avg_pool2d(x4(L), 4, divisor_override=2**40), [[[[16 / 2**40]]]]),
    ("zeros(2**31, 0)", lambda L: L.zeros(2**31, 0).shape, [2**31, 0]),
    ("expand(2**40)", lambda L: L.ones(1).expand(2**40).shape, [2**40]),
    ("ignore_index 2**62", lambda L: F(L).cross_entropy(L.zeros(2, 4), L.tensor([0, 1]), ignore_index=2**62),
     np.log(4.0)),
    ("gather int32 index", lambda L: L.gather(v6(L), 0, L.tensor([5, 0], dtype=L.int32)), [5.0, 0.0]),
]


@pytest.mark.parametrize("call, expected", [v[1:] for v in VALID], ids=[v[0] for v in VALID])
def test_large_but_valid_sizes_work(call, expected):
    got = call(minigrad)
    got = list(got) if isinstance(got, minigrad.Size) else got
    np.testing.assert_allclose(np.asarray(got.tolist() if hasattr(got, "tolist") else got, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=1e-6)
    if torch is not None:
        ref = call(torch)
        ref = list(ref) if isinstance(ref, torch.Size) else ref.tolist()
        np.testing.assert_allclose(np.asarray(ref, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                                   rtol=1e-6)


# ***** NaN / Inf propagate (values, not errors) *****

def _with(L, values):
    return L.tensor(np.array(values, dtype=np.float32))


NAN, INF = float("nan"), float("inf")
PROPAGATION = [
    ("max_pool2d NaN", lambda L: F(L).max_pool2d(_with(L, [[[[1, NAN], [2, 3]]]]), 2), [[[[NAN]]]]),
    ("max_pool2d inf", lambda L: F(L).max_pool2d(_with(L, [[[[1, INF], [2, 3]]]]), 2), [[[[INF]]]]),
    ("max_pool2d -inf only", lambda L: F(L).max_pool2d(_with(L, [[[[-INF, -INF], [-INF, -INF]]]]), 2),
     [[[[-INF]]]]),
    ("avg_pool2d inf", lambda L: F(L).avg_pool2d(_with(L, [[[[1, INF], [2, 3]]]]), 2), [[[[INF]]]]),
    ("avg_pool2d inf - inf", lambda L: F(L).avg_pool2d(_with(L, [[[[-INF, INF], [2, 3]]]]), 2), [[[[NAN]]]]),
    ("conv2d NaN", lambda L: F(L).conv2d(_with(L, [[[[1, NAN], [2, 3]]]]), L.ones(1, 1, 1, 1)),
     [[[[1, NAN], [2, 3]]]]),
    ("conv2d inf * 0", lambda L: F(L).conv2d(_with(L, [[[[INF]]]]), L.zeros(1, 1, 1, 1)), [[[[NAN]]]]),
    ("linear inf", lambda L: F(L).linear(_with(L, [[INF, 1.0]]), L.ones(1, 2)), [[INF]]),
    ("cross_entropy NaN logit", lambda L: F(L).cross_entropy(_with(L, [[NAN, 0.0]]), L.tensor([1])), NAN),
    ("cross_entropy inf logit", lambda L: F(L).cross_entropy(_with(L, [[INF, 0.0]]), L.tensor([1])), NAN),
    ("softmax large logits", lambda L: F(L).softmax(_with(L, [[1e30, 0.0]]), 1), [[1.0, 0.0]]),
    ("gather NaN values", lambda L: L.gather(_with(L, [NAN, 1.0]), 0, L.tensor([0, 0])), [NAN, NAN]),
]


@pytest.mark.parametrize("call, expected", [p[1:] for p in PROPAGATION], ids=[p[0] for p in PROPAGATION])
def test_nan_and_inf_propagate_as_in_torch(call, expected):
    got = np.asarray(call(minigrad).tolist(), dtype=np.float64)
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=np.float64))   # NaN == NaN here
    if torch is not None:
        np.testing.assert_array_equal(np.asarray(call(torch).tolist(), dtype=np.float64), got)


def test_row_count():
    """The table's size, for the report (and so that a refactor cannot silently drop rows)."""
    assert len(ROWS) >= 200, len(ROWS)
