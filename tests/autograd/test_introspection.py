"""grad_fn as torch users look at it: next_functions, AccumulateGrad, node hooks, metadata."""
import gc
import weakref

import numpy as np
import pytest

import minigrad
from minigrad.autograd import node as node_module


def _walk(fn, leaves):
    """The graph below fn as nested (kind, [children]); leaves numbered by their order in `leaves`."""
    if fn is None:
        return None
    if type(fn).__name__ == "AccumulateGrad":
        assert fn.next_functions == ()
        return ("leaf", [i for i, t in enumerate(leaves) if fn.variable is t])
    return (len(fn.next_functions), [(_walk(f, leaves), i) for f, i in fn.next_functions])


def _graphs(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, 0.1, 0.2], requires_grad=True)
    c = lib.tensor([1.0, 1.0, 1.0])
    m = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    return [((x * w + c).exp() * 2).sum(),                 # tensor-scalar ops, a constant input
            (x.reshape(3, 1) * m).sum(0).mean(),           # non-tensor args (shape, dim) have no edge
            lib.cat([x, c, w * x]).sum(),                  # a leaf used twice, a constant in a list
            (x.reshape(1, 3) @ m).sum() + (c - x).sum()], [x, w, m]   # 1-D @ 2-D is three nodes in torch


def test_graph_structure_matches_torch():
    torch = pytest.importorskip("torch")
    ours, our_leaves = _graphs(minigrad)
    theirs, their_leaves = _graphs(torch)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert _walk(a.grad_fn, our_leaves) == _walk(b.grad_fn, their_leaves), f"graph {i}"


def test_next_functions_reference():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    c = minigrad.tensor([3.0, 4.0])
    y = x * c
    z = y.exp()
    (acc, i), (none, j) = y.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and i == 0
    assert none is None and j == 0
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert z.grad_fn.next_functions == ((y.grad_fn, 0),)
    assert y.grad_fn.name() == "MulBackward0"
    # one AccumulateGrad per leaf while it lives, shared between graphs
    assert (x + 1).grad_fn.next_functions[0][0] is acc


def test_multi_output_node_index():
    x = minigrad.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    values, _ = x.max(1)
    assert values.exp().grad_fn.next_functions[0] == (values.grad_fn, 0)


def test_custom_function_edges_skip_non_tensor_arguments():
    class Scale(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, g

    x = minigrad.tensor([1.0], requires_grad=True)
    out = Scale.apply(x, 3.0, minigrad.tensor([1.0]))
    fns = out.grad_fn.next_functions
    assert len(fns) == 2 and fns[0][0].variable is x and fns[1] == (None, 0)


def test_no_accumulate_grad_objects_made_by_backward():
    before = len(node_module._accumulators)
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert len(node_module._accumulators) == before


def test_no_reference_cycles():
    gc.disable()
    try:
        x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        node_ref, leaf_ref, acc_ref = weakref.ref(y.grad_fn), weakref.ref(x), weakref.ref(acc)
        before = len(node_module._accumulators)
        del y, acc
        assert node_ref() is None and acc_ref() is None   # freed by reference counting alone
        del x
        assert leaf_ref() is None
        assert len(node_module._accumulators) == before - 1
    finally:
        gc.enable()


def _hook_run(lib, replace):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).exp().sum()
    mul = y.grad_fn.next_functions[0][0].next_functions[0][0]
    calls = []

    def post(grad_inputs, grad_outputs):
        calls.append(("post", [None if g is None else g.tolist() for g in grad_inputs],
                      [g.tolist() for g in grad_outputs]))
        if replace:
            return (grad_inputs[0] * 10, None)

    def pre(grad_outputs):
        calls.append(("pre", [g.tolist() for g in grad_outputs]))
        if replace:
            return (grad_outputs[0] * 2,)

    mul.register_hook(post)
    mul.register_prehook(pre)
    y.backward()
    return calls, x.grad.tolist()


@pytest.mark.parametrize("replace", [False, True])
def test_node_hooks_match_torch(replace):
    calls, grad = _hook_run(minigrad, replace)
    assert [c[0] for c in calls] == ["pre", "post"]
    expect = 3 * np.exp([3.0, 6.0]) * (20 if replace else 1)
    np.testing.assert_allclose(grad, expect, rtol=1e-5)
    torch = pytest.importorskip("torch")
    t_calls, t_grad = _hook_run(torch, replace)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-5)
    assert [c[0] for c in calls] == [c[0] for c in t_calls]
    assert [len(c[1]) for c in calls] == [len(c[1]) for c in t_calls]
    assert [None in c[1] for c in calls] == [None in c[1] for c in t_calls]


def test_hook_remove_wrong_count_and_tensor_hooks_still_run():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    handle = y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100, None))
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    handle.remove()
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [3.0, 3.0] and seen == [[1.0, 1.0]]
    y.grad_fn.register_hook(lambda gi, go: (gi[0],))

    with pytest.raises(RuntimeError, match=r"has returned an incorrect number of values \(got 1, but expected 2\)"):
        y.sum().backward()


def test_metadata_is_a_persistent_dict():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x * 2
    y.grad_fn.metadata["note"] = 1
    assert y.grad_fn.metadata == {"note": 1}
    assert y.grad_fn.next_functions[0][0].metadata == {}
