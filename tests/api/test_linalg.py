"""Matrix products: NumPy reference values (always), torch parity of values and gradients,
float64 gradcheck and gradgradcheck, second derivatives vs torch, and torch's shape/dtype errors."""
import numpy as np
import pytest

import minigrad
from minigrad.api import FUNCTIONS
from minigrad.autograd import gradgradcheck
from helpers import check_op, check_raises, check_second_order, needs_torch

RNG = np.random.default_rng(1)


def _arr(*shape):
    return RNG.uniform(-1, 1, size=shape)


def _t(a, grad=False):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


A, B, V, W = _arr(3, 4), _arr(4, 5), _arr(4), _arr(3)
BA, BB = _arr(2, 3, 4), _arr(2, 4, 5)

NUMPY_CASES = [
    ("mm", lambda: minigrad.mm(_t(A), _t(B)), lambda: A @ B),
    ("mm_method", lambda: _t(A).mm(_t(B)), lambda: A @ B),
    ("bmm", lambda: minigrad.bmm(_t(BA), _t(BB)), lambda: BA @ BB),
    ("matmul", lambda: minigrad.matmul(_t(BA), _t(B)), lambda: BA @ B),
    ("matmul_operator", lambda: _t(A) @ _t(V), lambda: A @ V),
    ("dot", lambda: _t(V).dot(_t(V)), lambda: V @ V),
    ("mv", lambda: minigrad.mv(_t(A), _t(V)), lambda: A @ V),
    ("t", lambda: _t(A).t(), lambda: A.T),
    ("t_vector", lambda: minigrad.t(_t(V)), lambda: V),
    ("outer", lambda: minigrad.outer(_t(V), _t(W)), lambda: np.outer(V, W)),
    ("ger", lambda: _t(V).ger(_t(W)), lambda: np.outer(V, W)),
    ("addmm", lambda: minigrad.addmm(_t(W[:, None]), _t(A), _t(B), beta=0.5, alpha=2),
     lambda: 0.5 * W[:, None] + 2 * (A @ B)),
    ("einsum_mm", lambda: minigrad.einsum("ij,jk->ik", _t(A), _t(B)), lambda: A @ B),
    ("einsum_list", lambda: minigrad.einsum("ij,jk", [_t(A), _t(B)]), lambda: A @ B),
    ("einsum_batch_ellipsis", lambda: minigrad.einsum("...ij,...jk->...ik", _t(BA), _t(BB)), lambda: BA @ BB),
    ("einsum_trace", lambda: minigrad.einsum("ii", _t(A[:3, :3])), lambda: np.trace(A[:3, :3])),
    ("einsum_sum_axis", lambda: minigrad.einsum("ij->j", _t(A)), lambda: A.sum(0)),
    ("einsum_three", lambda: minigrad.einsum("i,ij,j->", _t(W), _t(A), _t(V)), lambda: W @ A @ V),
]


@pytest.mark.parametrize("name,mg,ref", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_values_match_numpy(name, mg, ref):
    got, want = mg().numpy(), np.asarray(ref())
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_names_are_one_definition():
    for name in ("mm", "bmm", "matmul", "dot", "mv", "t", "outer", "ger", "addmm"):
        assert getattr(minigrad, name) is FUNCTIONS[name] is getattr(minigrad.Tensor, name)
    assert minigrad.einsum is FUNCTIONS["einsum"]


TORCH_CASES = [
    ("mm", [(3, 4), (4, 5)], lambda a, b: a.mm(b)),
    ("bmm", [(2, 3, 4), (2, 4, 5)], lambda a, b: a.bmm(b)),
    ("matmul_broadcast", [(2, 1, 3, 4), (5, 4, 2)], lambda a, b: a.matmul(b)),
    ("dot", [(4,), (4,)], lambda a, b: a.dot(b)),
    ("mv", [(3, 4), (4,)], lambda a, b: a.mv(b)),
    ("t", [(3, 4)], lambda a: a.t()),
    ("outer", [(3,), (4,)], lambda a, b: a.outer(b)),
    ("addmm", [(3, 5), (3, 4), (4, 5)], lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=3)),
    ("addmm_row", [(5,), (3, 4), (4, 5)], lambda c, a, b: c.addmm(a, b)),
    ("einsum_bilinear", [(2, 3), (4, 3, 5), (2, 5)], None),
    ("einsum_diag_outer", [(3, 3), (4,)], None),
    ("einsum_broadcast_one", [(2, 1, 3), (4, 3)], None),
    ("einsum_implicit_ellipsis", [(2, 3, 4), (4,)], None),
]
EINSUM = {
    "einsum_bilinear": "bn,anm,bm->ba",
    "einsum_diag_outer": "ii,j->ij",
    "einsum_broadcast_one": "bij,kj->bik",
    "einsum_implicit_ellipsis": "...j,j",
}


@needs_torch
@pytest.mark.parametrize("name,shapes,fn", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch(name, shapes, fn):
    if fn is None:
        import torch
        eq = EINSUM[name]
        fn = lambda *xs: (torch if isinstance(xs[0], torch.Tensor) else minigrad).einsum(eq, *xs)  # noqa: E731
    check_op(shapes, fn, dtype=np.float64)


GRAD_CASES = [  # shapes, fn(lib, *tensors)
    ([(3, 4), (4, 2)], lambda L, a, b: a.mm(b)),
    ([(2, 3, 4), (2, 4, 2)], lambda L, a, b: a.bmm(b)),
    ([(4,), (4,)], lambda L, a, b: a.dot(b)),
    ([(3, 4), (4,)], lambda L, a, b: a.mv(b)),
    ([(3,), (2,)], lambda L, a, b: L.outer(a, b)),
    ([(3, 2), (3, 4), (4, 2)], lambda L, c, a, b: L.addmm(c, a, b, alpha=2)),
    ([(2, 3), (4, 3, 5), (2, 5)], lambda L, a, w, b: L.einsum("bn,anm,bm->ba", a, w, b)),
    ([(3, 3), (3,)], lambda L, a, v: L.einsum("ii,i->i", a, v)),
    ([(2, 3)], lambda L, a: L.einsum("ij->i", a)),
    ([(3, 3, 2), (2,)], lambda L, a, v: L.einsum("iij,k->jk", a * a, v)),   # diagonal, broadcast, squared
    ([(3, 3)], lambda L, a: L.einsum("ii", a * a)),
]
GRAD_IDS = [f"{i}-{len(c[0])}" for i, c in enumerate(GRAD_CASES)]


def _leaves(shapes):
    return tuple(_t(_arr(*s), grad=True) for s in shapes)


@pytest.mark.parametrize("shapes,fn", GRAD_CASES, ids=GRAD_IDS)
def test_gradcheck(shapes, fn):
    assert minigrad.gradcheck(lambda *xs: fn(minigrad, *xs), _leaves(shapes))


@pytest.mark.parametrize("shapes,fn", GRAD_CASES, ids=GRAD_IDS)
def test_gradgradcheck(shapes, fn):
    """Products' gradients are products (einsums) again, so they differentiate once more."""
    assert gradgradcheck(lambda *xs: fn(minigrad, *xs), _leaves(shapes))


@pytest.mark.parametrize("shapes,fn", GRAD_CASES, ids=GRAD_IDS)
def test_second_derivatives_match_torch(shapes, fn):
    check_second_order(shapes, fn, rtol=1e-12)


@pytest.mark.parametrize("shapes,torch_fn,mg_fn,match", [
    ([(2, 3), (4, 5)], "mm", None, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ([(3,), (3, 5)], "mm", None, "self must be a matrix"),
    ([(2, 3), (3,)], "mm", None, "mat2 must be a matrix"),
    ([(2, 3), (3, 2)], "bmm", None, "batch1 must be a 3D tensor"),
    ([(2, 2, 3), (2, 4, 2)], "bmm", None, r"batch2 tensor to be: \[2, 3\] but got: \[2, 4\]"),
    ([(2, 3), (3,)], "dot", None, "1D tensors expected, but got 2D and 1D tensors"),
    ([(3,), (4,)], "dot", None, r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    ([(2, 3), (4,)], "mv", None, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    ([(3,), (3,)], "mv", None, "vector \\+ matrix @ vector expected, got 1, 1, 1"),
    ([(2, 3, 4)], "t", None, "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"),
    ([(2, 3), (3,)], "outer", None, "outer: Expected 1-D argument self, but got 2-D"),
    ([(2, 3), (4, 5)], "matmul", None, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ([(3,), (4,)], "matmul", None, "inconsistent tensor size"),
    ([(3,), (4, 5)], "matmul", None, r"\(1x3 and 4x5\)"),
    ([(2, 2, 3), (2, 4, 5)], "matmul", None, r"batch2 tensor to be: \[2, 3\] but got: \[2, 4\]"),
    ([(2, 2, 3), (3, 3, 5)], "matmul", None, r"size of tensor a \(2\) must match the size of tensor b \(3\)"),
    ([(), (3,)], "matmul", None, "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ([(2, 2), (2, 3), (4, 2)], "addmm", None, r"\(2x3 and 4x2\)"),
    ([(3, 2), (2, 3), (3, 2)], "addmm", None, "The expanded size of the tensor"),
])
def test_errors_match_torch(shapes, torch_fn, mg_fn, match):
    def call(*xs):
        import sys
        lib = minigrad if isinstance(xs[0], minigrad.Tensor) else sys.modules["torch"]
        return getattr(lib, torch_fn)(*xs)
    check_raises(shapes, call, call, RuntimeError, match)


@pytest.mark.parametrize("eq,shapes,match", [
    ("ij,jk", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1 which does not broadcast"),
    ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified"),
    ("ijk,jk->ik", [(2, 3), (3, 4)], r"number of subscripts in the equation \(3\) does not match"),
    ("ij,jk->iz", [(2, 3), (3, 4)], "output subscript z does not appear"),
    ("ij,jk->ii", [(2, 3), (3, 4)], "output subscript i appears more than once"),
    ("ii", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
])
def test_einsum_errors_match_torch(eq, shapes, match):
    def call(*xs):
        import sys
        lib = minigrad if isinstance(xs[0], minigrad.Tensor) else sys.modules["torch"]
        return lib.einsum(eq, *xs)
    check_raises(shapes, call, call, RuntimeError, match)


def test_dtype_mismatch_errors():
    f, d = minigrad.ones(2, 2), minigrad.ones(2, 2, dtype=minigrad.float64)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        f.mm(d)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        f @ d
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but found Float and Double"):
        f[0].dot(d[0])
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        minigrad.einsum("ij,jk", f, d)


def test_matmul_operator_and_integer_inputs():
    x = minigrad.tensor([[1, 2], [3, 4]])
    assert (x @ x).tolist() == [[7, 10], [15, 22]] and (x @ x).dtype == np.int64
    assert (np.eye(2) @ _t(A[:2, :2])).shape == (2, 2)      # reflected: ndarray @ Tensor
