"""MaxPool2d / AvgPool2d / MaxUnpool2d: parity with torch 2.13 for SPEC §9 rows 1-50 (values,
indices, input grads under a non-uniform cotangent, shapes, errors with torch's type and
message), float64 gradcheck and gradgradcheck, second derivatives vs torch, reprs, non-contiguous
input, and the deliberate differences."""
import re

import numpy as np
import pytest

import minigrad
import minigrad.nn as mnn
import minigrad.nn.functional as MF
import reference_nn as RN
from minigrad.autograd import gradgradcheck
from helpers import HAVE_TORCH, check_op, check_second_order, needs_torch, torch

if HAVE_TORCH:
    import torch.nn as tnn
    import torch.nn.functional as TF
else:
    tnn = TF = None


def ar(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


def cast(x, name):
    """x.to(dtype) for either library (minigrad Tensors have no .int()/.long())."""
    if HAVE_TORCH and isinstance(x, torch.Tensor):
        return x.to(getattr(torch, name))
    return minigrad.tensor(x.numpy(), dtype=np.dtype(name))


def both(case):
    """case(nn, F, *xs) -> (torch_fn, minigrad_fn) for check_op."""
    return (lambda *xs: case(tnn, TF, *xs)), (lambda *xs: case(mnn, MF, *xs))


# ***** forward + backward parity (rows 1-6, 9, 13-15, 17-22, 24-26, 30-39, 41-42, 47) *****
P = [  # id, input (array or shape), case(nn, F, x)
    ("r1", ar(1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(3, 2, 1, ceil_mode=True, return_indices=True)(x)),
    ("r2", ar(1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(2, ceil_mode=True, return_indices=True)(x)),
    ("r3", (1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(2, 2, 1, ceil_mode=True, return_indices=True)(x)),
    ("r4", (1, 1, 6, 7), lambda nn, F, x: nn.MaxPool2d(1, 2, ceil_mode=True, return_indices=True)(x)),
    ("r5", ar(1, 1, 7, 7), lambda nn, F, x: nn.MaxPool2d(3, 1, dilation=2, return_indices=True)(x)),
    ("r6", (1, 1, 7, 7), lambda nn, F, x: nn.MaxPool2d(3, dilation=2, return_indices=True)(x)),
    ("r9", (2, 3, 5, 5), lambda nn, F, x: nn.MaxPool2d(2, padding=1, return_indices=True)(x)),
    ("r13", ar(1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(6, ceil_mode=True, return_indices=True)(x)),
    ("r14", ar(1, 1, 2, 2), lambda nn, F, x: F.max_pool2d(x, 5, ceil_mode=True, return_indices=True)),
    ("r15", ar(1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, stride=10, ceil_mode=True, return_indices=True)),
    ("r17", ar(2, 4, 4), lambda nn, F, x: F.max_pool2d(x, 2, return_indices=True)),
    ("r18", (0, 3, 4, 4), lambda nn, F, x: F.max_pool2d(x, 2, return_indices=True)),
    ("r19a", np.ones((1, 1, 2, 2)), lambda nn, F, x: F.max_pool2d(x, 2, return_indices=True)),
    ("r19b", np.ones((1, 1, 3, 3)), lambda nn, F, x: F.max_pool2d(x, 3, 1, 1, return_indices=True)),
    ("r20a", np.array([[[[1, np.nan], [np.nan, 5]]]]), lambda nn, F, x: F.max_pool2d(x, 2, return_indices=True)),
    ("r20b", np.full((1, 1, 2, 2), np.nan), lambda nn, F, x: F.max_pool2d(x, 2, return_indices=True)),
    ("r21a", np.full((1, 1, 3, 3), -np.inf), lambda nn, F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True)),
    ("r21b", np.full((1, 1, 5, 5), -np.inf), lambda nn, F, x: F.max_pool2d(x, 3, 2, 1, 2, return_indices=True)),
    ("r22", -np.ones((1, 1, 2, 2)), lambda nn, F, x: F.max_pool2d(x, 2, 1, 1, return_indices=True)),
    ("r24", np.pad([[[[9.0]]]], ((0, 0), (0, 0), (1, 1), (1, 1))), lambda nn, F, x: F.max_pool2d(x, 2, 1)),
    ("r25", np.ones((1, 1, 3, 3)), lambda nn, F, x: F.max_pool2d(x, 2, 1)),
    ("r26", ar(1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, ceil_mode=True)),
    ("r28a", (2, 2, 6, 6), lambda nn, F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)),
    ("r28b", (2, 2, 7, 6), lambda nn, F, x: F.max_pool2d(x, 3, 1, 1, 2, return_indices=True)),
    ("r30a", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, (2, 3), (1, 2), return_indices=True)),
    ("r30b", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, (2,), return_indices=True)),
    ("ties", np.random.default_rng(3).integers(-1, 2, (2, 3, 9, 8)).astype(np.float64),
     lambda nn, F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)),
    ("k2s2", (2, 3, 9, 8), lambda nn, F, x: nn.MaxPool2d(2, 2, ceil_mode=True)(x)),
    ("stride[]", (1, 2, 6, 6), lambda nn, F, x: F.max_pool2d(x, 3, [], 1)),
    ("r31a", ar(1, 1, 3, 3), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True)(x)),
    ("r31b", ar(1, 1, 3, 3), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)(x)),
    ("r32a", np.ones((1, 1, 5, 5)), lambda nn, F, x: nn.AvgPool2d(3, 2, 1)(x)),
    ("r32b", np.ones((1, 1, 5, 5)), lambda nn, F, x: nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x)),
    ("r33a", np.ones((1, 1, 6, 6)), lambda nn, F, x: nn.AvgPool2d(3, 2, 1, ceil_mode=True)(x)),
    ("r33b", (1, 1, 6, 6), lambda nn, F, x: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)(x)),
    ("r33c", (1, 1, 6, 6), lambda nn, F, x: nn.AvgPool2d(3, 2, 1)(x)),
    ("r34a", np.ones((1, 1, 4, 4)), lambda nn, F, x: nn.AvgPool2d(2, 2, 1, ceil_mode=True)(x)),
    ("r34b", np.ones((1, 1, 5, 5)), lambda nn, F, x: nn.AvgPool2d(2, 2, 1, ceil_mode=True)(x)),
    ("r35a", np.ones((1, 1, 3, 3)), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True, divisor_override=2)(x)),
    ("r35c", np.ones((1, 1, 3, 3)), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True, divisor_override=-1)(x)),
    ("r36", ar(1, 1, 7, 7), lambda nn, F, x: nn.AvgPool2d(2, 3, ceil_mode=True)(x)),
    ("r37a", (1, 2, 32, 32), lambda nn, F, x: nn.AvgPool2d(8, 4, ceil_mode=True)(x)),
    ("r37b", ar(1, 1, 4, 4), lambda nn, F, x: nn.AvgPool2d(3, 3, ceil_mode=True)(x)),
    ("r38a", np.ones((1, 1, 3, 3)), lambda nn, F, x: nn.AvgPool2d(4, ceil_mode=True)(x)),
    ("r38b", np.ones((1, 1, 3, 3)), lambda nn, F, x: nn.AvgPool2d(4, padding=2)(x)),
    ("r38c", np.ones((1, 1, 2, 2)), lambda nn, F, x: nn.AvgPool2d(5, padding=2, ceil_mode=True)(x)),
    ("r39", ar(1, 1, 5, 5), lambda nn, F, x: F.avg_pool2d(x, 3, 2, 1)),
    ("avg-unbatched", (3, 7, 9), lambda nn, F, x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 0), True, False)),
    ("avg-k2s2", (2, 3, 9, 8), lambda nn, F, x: F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)),
    ("avg-N0", (0, 2, 4, 4), lambda nn, F, x: F.avg_pool2d(x, 2)),
    ("r41", ar(1, 1, 4, 4), lambda nn, F, x: nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(x))),
    ("r42a", ar(1, 1, 4, 4), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                              output_size=(5, 5))),
    ("r42b", ar(1, 1, 4, 4), lambda nn, F, x: nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(x),
                                                                output_size=[1, 1, 5, 5])),
    ("r42c", ar(1, 1, 4, 4), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                              output_size=(7, 7, 5, 5))),
    ("r46b", ar(1, 4, 4), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)),
    ("r46c", (0, 1, 4, 4), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)),
    ("r47", (2, 3, 5, 5), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1)),
    ("unpool-odd", (2, 2, 7, 5), lambda nn, F, x: F.max_unpool2d(*F.max_pool2d(x, (2, 3), (2, 1), return_indices=True),
                                                                  (2, 3), (2, 1), output_size=(7, 5))),
]


@pytest.mark.parametrize("name,x,case", P, ids=[p[0] for p in P])
def test_parity_with_reference_and_torch(name, x, case, dtype):
    """reference_nn runs the case through tests/reference_pool.py (written from SPEC, not torch)."""
    torch_fn, mg_fn = both(case)
    kw = dict(vals=[x]) if isinstance(x, np.ndarray) else {}
    shapes = [x.shape if isinstance(x, np.ndarray) else x]
    # float32 avg sums match torch's order; tolerances only cover float32 gradient sums
    check_op(shapes, torch_fn, mg_fn, ref=lambda x: case(RN, RN, x), dtype=dtype, **kw)


def test_spec_values():
    """A few SPEC §9 values written out, so they hold without torch too."""
    x = minigrad.tensor(ar(1, 1, 5, 5))
    out, idx = MF.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    want = [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], want)
    np.testing.assert_array_equal(idx.numpy()[0, 0], want)
    assert idx.dtype == np.int64
    assert MF.max_pool2d(minigrad.tensor(np.zeros((1, 1, 6, 7))), 1, 2, ceil_mode=True).shape == (1, 1, 3, 4)
    _, idx = MF.max_pool2d(minigrad.tensor(np.array([[[[1, np.nan], [np.nan, 5]]]])), 2, return_indices=True)
    assert idx.numpy().item() == 2
    avg = MF.avg_pool2d(minigrad.tensor(np.ones((1, 1, 6, 6))), 3, 2, 1, ceil_mode=True).numpy()[0, 0]
    np.testing.assert_allclose(avg, [[4 / 9, 6 / 9, 6 / 9, 1 / 3], [6 / 9, 1, 1, 1 / 2], [6 / 9, 1, 1, 1 / 2],
                                     [1 / 3, 1 / 2, 1 / 2, 1 / 4]], rtol=1e-6)
    np.testing.assert_allclose(MF.avg_pool2d(minigrad.tensor(ar(1, 1, 7, 7)), 2, 3, ceil_mode=True).numpy()[0, 0],
                               [[4, 7, 9.5], [25, 28, 30.5], [42.5, 45.5, 48]])
    x = minigrad.tensor(np.pad([[[[9.0]]]], ((0, 0), (0, 0), (1, 1), (1, 1))), requires_grad=True)
    MF.max_pool2d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


# ***** errors (rows 7-16, 18, 29, 35, 38, 40, 43-46, 48) *****
E = [  # id, input shape, case(nn, F, x), exception
    ("r7", (1, 1, 7, 7), lambda nn, F, x: nn.MaxPool2d(3, 1, padding=2, dilation=2)(x), RuntimeError),
    ("r8a", (1, 1, 7, 7), lambda nn, F, x: nn.MaxPool2d(3, padding=2)(x), RuntimeError),
    ("r8b", (1, 1, 7, 7), lambda nn, F, x: nn.AvgPool2d(3, padding=2)(x), RuntimeError),
    ("r9", (1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(2, padding=2)(x), RuntimeError),
    ("r10", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, (3, 1), 1, (1, 1)), RuntimeError),
    ("r11a", (1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(0)(x), RuntimeError),
    ("r11b", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 0, 1), RuntimeError),
    ("r11c", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 0, 1, 1), RuntimeError),
    ("r12a", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, -1), RuntimeError),
    ("r12b", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, 1, 0, 0), RuntimeError),
    ("r12c", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, 1, -1), RuntimeError),
    ("r12d", (1, 1, 5, 5), lambda nn, F, x: F.avg_pool2d(x, 2, (1, -1)), RuntimeError),
    ("r13", (1, 1, 5, 5), lambda nn, F, x: nn.MaxPool2d(6)(x), RuntimeError),
    ("r14", (1, 1, 2, 2), lambda nn, F, x: F.max_pool2d(x, 3, 1, ceil_mode=True), RuntimeError),
    ("r16a", (4, 4), lambda nn, F, x: nn.MaxPool2d(2)(x), RuntimeError),
    ("r16b", (1, 1, 1, 4, 4), lambda nn, F, x: nn.MaxPool2d(2)(x), RuntimeError),
    ("r16c", (4, 4), lambda nn, F, x: F.max_pool2d(x, 2, 0), RuntimeError),
    ("r18a", (1, 0, 4, 4), lambda nn, F, x: F.max_pool2d(x, 2), RuntimeError),
    ("r18b", (1, 3, 0, 4), lambda nn, F, x: F.max_pool2d(x, 2), RuntimeError),
    ("r18c", (0, 4, 4), lambda nn, F, x: F.max_pool2d(x, 2), RuntimeError),
    ("r18d", (1, 0, 4, 4), lambda nn, F, x: F.max_pool2d(x, 0, 1), RuntimeError),   # kernel check first
    ("r29a", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, (2, 2, 2)), RuntimeError),
    ("r29b", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2.0), TypeError),
    ("r29c", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, (2, 2.0)), TypeError),
    ("r29d", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, (1, 1, 1)), RuntimeError),
    ("r29e", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, 2, (1, 1, 1)), RuntimeError),
    ("r29f", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, 2, 2, 0, (1, 1, 1)), RuntimeError),
    ("r29g", (1, 1, 5, 5), lambda nn, F, x: F.avg_pool2d(x, (2, 2, 2), divisor_override=0), RuntimeError),
    ("r29h", (1, 1, 5, 5), lambda nn, F, x: F.max_pool2d(x, True), TypeError),
    ("r35b", (1, 1, 3, 3), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True, divisor_override=0)(x), RuntimeError),
    ("r35d", (1, 1, 3, 3), lambda nn, F, x: nn.AvgPool2d(2, ceil_mode=True, divisor_override=2.5)(x), TypeError),
    ("r38", (1, 1, 3, 3), lambda nn, F, x: nn.AvgPool2d(4)(x), RuntimeError),
    ("r40b", (1, 1, 1, 5, 5), lambda nn, F, x: F.avg_pool2d(x, 2), RuntimeError),
    ("r40c", (1, 0, 4, 4), lambda nn, F, x: F.avg_pool2d(x, 2), RuntimeError),
    ("r40d", (5, 5), lambda nn, F, x: F.avg_pool2d(x, 2, divisor_override=0), RuntimeError),
]


def _unpool(F, x, **kw):
    return F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, **kw)


E += [
    ("r43a", (1, 1, 4, 4), lambda nn, F, x: _unpool(F, x, output_size=(6, 6)), ValueError),
    ("r43b", (1, 1, 4, 4), lambda nn, F, x: _unpool(F, x, output_size=[2, 2]), ValueError),
    ("r43c", (1, 1, 4, 4), lambda nn, F, x: _unpool(F, x, output_size=(3, 3)), RuntimeError),
    ("r43d", (1, 1, 4, 4), lambda nn, F, x: _unpool(F, x, output_size=(5,)), ValueError),
    ("r43e", (1, 1, 4, 4), lambda nn, F, x: _unpool(F, x, output_size=(1, 5, 5)), ValueError),
    ("r44a", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o, i + 11, 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r44b", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o, i - 6, 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r45a", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o, cast(i, "int32"), 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r45b", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o, cast(i, "float32"), 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r45c", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o, i[..., :1], 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r46a", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o[0, 0], i[0, 0], 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r46b", (1, 1, 4, 4), lambda nn, F, x: (lambda o, i: F.max_unpool2d(o[None], i[None], 2))(
        *F.max_pool2d(x, 2, return_indices=True)), RuntimeError),
    ("r46d", (1, 0, 2, 2), lambda nn, F, x: F.max_unpool2d(x, cast(x, "int64"), 2), RuntimeError),
    ("r48", (1, 1, 2, 2), lambda nn, F, x: F.max_unpool2d(x, cast(x, "int64"), 2, padding=3), ValueError),
]


@pytest.mark.parametrize("name,shape,case,exc", E, ids=[e[0] for e in E])
def test_errors_match_torch(name, shape, case, exc):
    """Same exception class and the same message as torch 2.13 (first line)."""
    torch_fn, mg_fn = both(case)
    x = np.zeros(shape, np.float32)
    with pytest.raises(exc) as mg_err:
        mg_fn(minigrad.tensor(x))
    assert str(mg_err.value)
    if HAVE_TORCH:
        with pytest.raises(exc) as t_err:
            torch_fn(torch.tensor(x))
        # torch names an argument's position only when it was passed positionally
        norm = [re.sub(r" \(position \d\)", "", str(e.value).splitlines()[0]) for e in (mg_err, t_err)]
        assert norm[0] == norm[1]


def test_error_messages_without_torch():
    x = minigrad.tensor(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(RuntimeError, match="pad should be smaller than or equal to half of kernel size, "
                                           "but got padW = 2, padH = 2, kW = 3, kH = 3"):
        MF.max_pool2d(x, 3, 1, 2, 2)
    with pytest.raises(RuntimeError, match=r"Calculated output size: \(1x0x0\). Output size is too small"):
        MF.max_pool2d(x, 6)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        mnn.MaxPool2d(0)(x)
    with pytest.raises(ValueError, match=r"dim 0 must be between 2 and 6"):
        _unpool(MF, minigrad.tensor(np.zeros((1, 1, 4, 4))), output_size=(6, 6))
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 15 \(output volumes are of size 3x3\)"):
        _unpool(MF, minigrad.tensor(ar(1, 1, 4, 4)), output_size=(3, 3))


# ***** deliberate differences from torch (SPEC §10) *****
def test_avg_pool_2d_input_is_runtime_error():
    with pytest.raises(RuntimeError, match="Expected 3D or 4D"):
        MF.avg_pool2d(minigrad.tensor(np.zeros((5, 5), np.float32)), 2)


@pytest.mark.parametrize("kw", [dict(kernel_size=0), dict(kernel_size=2, stride=0), dict(kernel_size=2, stride=-1),
                                dict(kernel_size=2, padding=-1), dict(kernel_size=(2,)), dict(kernel_size=2.0)])
def test_unpool_rejects_bad_kernel_stride_padding(kw):
    x = minigrad.tensor(np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="max_unpool2d"):
        MF.max_unpool2d(x, minigrad.tensor(np.zeros((1, 1, 2, 2), np.int64)), **kw)


def test_max_pool_no_in_bounds_tap_backward_writes_nothing():
    """Row 23 (#114216): value -inf, index 6 (outside the 2x2 plane); gradient dropped."""
    x = minigrad.tensor(ar(1, 1, 2, 2), requires_grad=True)
    out, idx = MF.max_pool2d(x, 2, 1, 1, 3, return_indices=True)
    assert out.detach().numpy().tolist() == [[[[-np.inf]]]] and idx.numpy().tolist() == [[[[6]]]]
    MF.max_pool2d(x, 2, 1, 1, 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((1, 1, 2, 2)))
    if HAVE_TORCH:
        t_out, t_idx = TF.max_pool2d(torch.tensor(ar(1, 1, 2, 2)), 2, 1, 1, 3, return_indices=True)
        assert t_out.tolist() == out.detach().numpy().tolist() and t_idx.tolist() == idx.numpy().tolist()


def test_unpool_duplicates_last_writer_wins_and_every_duplicate_gets_grad():
    """Rows 49-50: duplicates are deterministic (last in row-major order); backward is a gather."""
    x = minigrad.tensor(np.array([[[[1.0, 2], [3, 4]]]]), requires_grad=True)
    idx = minigrad.tensor(np.full((1, 1, 2, 2), 5, np.int64))
    out = MF.max_unpool2d(x, idx, 2)
    assert out.detach().numpy()[0, 0].flat[5] == 4 and out.detach().numpy().sum() == 4
    w = minigrad.tensor(ar(1, 1, 4, 4))
    (out * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 1, 2, 2), 5.0))
    if HAVE_TORCH:   # torch's backward agrees (only its forward is nondeterministic)
        tx = torch.tensor(x.detach().numpy(), requires_grad=True)
        (TF.max_unpool2d(tx, torch.tensor(idx.numpy()), 2) * torch.tensor(w.numpy())).sum().backward()
        np.testing.assert_array_equal(tx.grad.numpy(), x.grad.numpy())


@needs_torch
def test_unpool_grad_gather_row50():
    x = np.array([[[[1.0, 2], [3, 4]]]])
    i = np.array([[[[5, 7], [13, 15]]]])
    m = minigrad.tensor(x, requires_grad=True)
    (MF.max_unpool2d(m, minigrad.tensor(i), 2) * minigrad.tensor(ar(1, 1, 4, 4))).sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [[[[5, 7], [13, 15]]]])


def test_unpool_bad_index_writes_nothing_and_reports_first():
    x = minigrad.tensor(np.ones((2, 1, 2, 2)))
    idx = np.zeros((2, 1, 2, 2), np.int64)
    idx[1, 0, 1, 0], idx[1, 0, 1, 1] = 99, -4
    # the last invalid index in row-major order is reported (torch's serial loop keeps the last)
    with pytest.raises(RuntimeError, match=r"invalid max index: -4 \(output volumes are of size 4x4\)"):
        MF.max_unpool2d(x, minigrad.tensor(idx), 2)


# ***** gradcheck, gradgradcheck (float64, tiny shapes: they build full Jacobians) *****
GRAD_CASES = [  # id, fn(F, x): the same call for minigrad and torch
    ("max-k3s2p1-ceil", lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("max-k3s1p1d2", lambda F, x: F.max_pool2d(x, 3, 1, 1, 2)),
    ("max-k2-ceil", lambda F, x: F.max_pool2d(x, 2, ceil_mode=True)),
    ("avg-k3s2p1-ceil", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("avg-cip-false", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ("avg-dov", lambda F, x: F.avg_pool2d(x, 2, 1, 1, divisor_override=3)),
    ("unpool", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5))),
]
# distinct values keep max pooling away from ties, where finite differences are meaningless
DISTINCT = np.random.default_rng(0).permutation(2 * 5 * 5).reshape(1, 2, 5, 5) / 7.0


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn):
    assert minigrad.gradcheck(lambda x: fn(MF, x), (minigrad.tensor(DISTINCT, requires_grad=True),))


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradgradcheck(name, fn):
    """The backward is linear in the output gradient (a scatter, an average's adjoint, a gather):
    its derivative is the gather, average pooling, the scatter."""
    assert gradgradcheck(lambda x: fn(MF, x), (minigrad.tensor(DISTINCT, requires_grad=True),))


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_second_derivatives_match_torch(name, fn):
    # x * x: the pooled gradient then depends on x as well as on the output gradient
    check_second_order([], lambda L, x: fn(L.nn.functional, x * x), vals=[DISTINCT], rtol=1e-12)


def test_gradcheck_unpool_explicit_indices():
    # no duplicates: with them the forward keeps one value but the backward feeds all (torch #80204)
    idx = minigrad.tensor(np.array([[[[0, 3], [9, 14]], [[5, 6], [1, 2]]]]))
    x = minigrad.tensor(np.random.default_rng(1).standard_normal((1, 2, 2, 2)), requires_grad=True)
    assert minigrad.gradcheck(lambda t: MF.max_unpool2d(t, idx, 2), (x,))
    assert gradgradcheck(lambda t: MF.max_unpool2d(t, idx, 2), (x,))


def test_double_backward_of_a_window_with_no_in_bounds_tap_is_zero():
    """Its index names no element (#114216): the backward drops it, and so does its derivative
    (the gather at the indices) rather than reading outside the plane."""
    x = minigrad.tensor(ar(1, 1, 2, 2), requires_grad=True)
    v = minigrad.tensor(np.ones((1, 1, 1, 1)), requires_grad=True)
    g, = minigrad.autograd.grad(MF.max_pool2d(x, 2, 1, 1, 3), x, v, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros((1, 1, 2, 2)))
    gv, = minigrad.autograd.grad((g * minigrad.tensor(ar(1, 1, 2, 2) + 1)).sum(), v)
    np.testing.assert_array_equal(gv.numpy(), np.zeros((1, 1, 1, 1)))


# ***** layout, dtypes, threads *****
def test_non_contiguous_input_bitwise_equal(dtype):
    """Row 27: transposed and channels_last-like views give bitwise the contiguous result."""
    base = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(dtype)
    views = [np.ascontiguousarray(base.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2),
             np.ascontiguousarray(base.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)]
    want = MF.max_pool2d(minigrad.tensor(base), 3, 2, 1, return_indices=True)
    want_avg = MF.avg_pool2d(minigrad.tensor(base), 3, 2, 1).numpy()
    for v in views:
        assert not v.flags.c_contiguous
        t = minigrad.Tensor._wrap(v)
        got = MF.max_pool2d(t, 3, 2, 1, return_indices=True)
        assert got[0].numpy().tobytes() == want[0].numpy().tobytes()
        assert got[1].numpy().tobytes() == want[1].numpy().tobytes()
        assert MF.avg_pool2d(t, 3, 2, 1).numpy().tobytes() == want_avg.tobytes()


def test_dtype_preserved_and_ints_refused(dtype):
    x = minigrad.tensor(np.ones((1, 1, 4, 4), dtype))
    assert MF.max_pool2d(x, 2).dtype == dtype and MF.avg_pool2d(x, 2).dtype == dtype
    with pytest.raises(NotImplementedError):
        MF.max_pool2d(minigrad.tensor(np.ones((1, 1, 4, 4), np.int64)), 2)


def test_indices_not_differentiable_and_no_grad_skips_indices():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((1, 2, 6, 6)), requires_grad=True)
    out, idx = mnn.MaxPool2d(2, return_indices=True)(x)
    assert out.requires_grad and not idx.requires_grad
    with minigrad.no_grad():
        assert MF.max_pool2d(x, 2).grad_fn is None


def test_threads_bit_identical(num_threads, dtype):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 8, 40, 40)).astype(dtype), requires_grad=True)
    res = {}
    for nt in (1, 2):
        minigrad.set_num_threads(nt)
        x.grad = None
        o, i = MF.max_pool2d(x, 3, 2, 1, return_indices=True)
        a = MF.avg_pool2d(x, 3, 2, 1)
        u = MF.max_unpool2d(o, i, 3, 2, 1, output_size=(40, 40))
        (u.sum() + (a * a).sum()).backward()
        res[nt] = [t.tobytes() for t in (o.detach().numpy(), i.numpy(), a.detach().numpy(), u.detach().numpy(), x.grad.numpy())]
    assert res[1] == res[2]


# ***** modules *****
@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool2d(3), lambda nn: nn.MaxPool2d((2, 3), ceil_mode=True, return_indices=True),
    lambda nn: nn.MaxPool2d(3, 2, 1, 2), lambda nn: nn.AvgPool2d(3), lambda nn: nn.AvgPool2d((2, 1), 1, 0, True, False, 2),
    lambda nn: nn.MaxUnpool2d(3), lambda nn: nn.MaxUnpool2d((2,)), lambda nn: nn.MaxUnpool2d(2, 1, (1,)),
])
def test_repr_like_torch(make):
    got = repr(make(mnn))
    if HAVE_TORCH:
        assert got == repr(make(tnn))
    assert got.split("(")[0] in ("MaxPool2d", "AvgPool2d", "MaxUnpool2d")


def test_repr_spec_strings():
    assert repr(mnn.MaxPool2d(3)) == "MaxPool2d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"
    assert repr(mnn.AvgPool2d(3)) == "AvgPool2d(kernel_size=3, stride=3, padding=0)"
    assert repr(mnn.MaxUnpool2d(3)) == "MaxUnpool2d(kernel_size=(3, 3), stride=(3, 3), padding=(0, 0))"
