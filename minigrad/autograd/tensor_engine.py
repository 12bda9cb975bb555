"""The backward pass over Tensors: for `create_graph=True` and for gradients w.r.t. inner tensors.

engine.run_backward passes NumPy arrays between nodes: nothing it computes is recorded, which
keeps the ordinary backward fast. Here gradients are Tensors and each node's backward is run
with grad mode on through its *differentiable* backward (written with minigrad ops, see
ArrayFunction.differentiable_backward), so the backward pass itself becomes a graph that can be
differentiated again: Hessian-vector products, gradient penalties, Newton steps.

Without create_graph the same walk serves autograd.grad(outputs, inputs) for inputs that are
not leaves: the walk is limited to the nodes between the outputs and the inputs, an input's
gradient is taken where its node has received all of its gradients, and each node runs its
ordinary array backward.
"""
import numpy as np

from . import grad_mode
from .node import backward_with_hooks, node_done

Tensor = None   # set by minigrad.tensor (see engine.py)


def _zeros_like_meta(meta):
    shape, dtype = meta
    return Tensor._wrap(np.zeros(shape, dtype=dtype))


def _needed_nodes(roots, targets):
    """The nodes to run: all reachable ones when targets is None, else only those from which a
    target (a leaf id or an inner (node, index)) is reachable. -> (set of nodes, node -> deps)."""
    order, seen, stack = [], set(), [r for r in roots]
    seen.update(roots)
    while stack:                      # every reachable node, parents after their consumers
        node = stack.pop()
        order.append(node)
        for p in node.parents:
            if p is not None and p._ctx is not None and p._ctx not in seen:
                seen.add(p._ctx)
                stack.append(p._ctx)
    if targets is None:
        needed = seen
    else:
        leaf_ids, inner = targets
        inner_nodes = {node for node, _ in inner}
        needed = set()
        changed = True
        while changed:                # a fixed point: graphs are small next to their tensors
            changed = False
            for node in order:
                if node in needed:
                    continue
                for p in node.parents:
                    if p is None:
                        continue
                    if (id(p) in leaf_ids and p._ctx is None) or p._ctx in needed or p._ctx in inner_nodes:
                        needed.add(node)
                        changed = True
                        break
        needed |= inner_nodes & seen
    deps = {}
    for node in needed:
        for p in node.parents:
            if p is not None and p._ctx is not None and p._ctx in needed:
                deps[p._ctx] = deps.get(p._ctx, 0) + 1
    return needed, deps


def _call_backward(node, grads, create_graph):
    """One node's backward: Tensors in, Tensors (or None) out."""
    if create_graph:
        call = node._differentiable_backward
        wrap, unwrap = _same, _as_tensor
    else:
        def call(arrays):
            return node._backward_arrays(arrays) if node._tensor_level else node.backward(node, *arrays)
        wrap, unwrap = Tensor._wrap, _array_of
    grads = [None if g is None else (g if create_graph else g._data) for g in grads]
    if node._hooks:
        out = backward_with_hooks(node, grads, wrap, lambda r, like: _as_grad(r, like, create_graph),
                                  call=call, unwrap=unwrap)
    else:
        out = call(grads)
    if type(out) is not tuple:
        out = (out,)
    return tuple([None if g is None else (g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g)))
                  for g in out])


def _array_of(g):
    return g._data if isinstance(g, Tensor) else np.asarray(g)


def _same(x):
    return x


def _as_tensor(g):
    return g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g))


def _as_grad(r, like, create_graph):
    like_shape = like.shape
    t = r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r))
    if tuple(t._data.shape) != tuple(like_shape):
        raise RuntimeError(f"hook returned a gradient of shape {list(t._data.shape)}; expected {list(like_shape)}")
    return t if create_graph else t._data


def _fit(node, i, p, g):
    """The gradient node returned for its input p, checked and cast to p's dtype."""
    if g._data.shape != p._data.shape:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                           f"{list(g._data.shape)} but expected shape compatible with {list(p._data.shape)}")
    if g._data.dtype != p._data.dtype:
        g = g.to(p._data.dtype) if g.requires_grad else Tensor._wrap(g._data.astype(p._data.dtype))
    return g


def _accumulate(leaf, g, create_graph):
    """leaf.grad += g; recorded (out of place, as torch) with create_graph, else in place."""
    if leaf._hooks:
        for hook in leaf._hooks:
            r = hook(g)
            if r is not None:
                g = r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r, dtype=leaf._data.dtype))
    if not create_graph:
        from .engine import accumulate_grad
        accumulate_grad(leaf, g._data)
    elif leaf.grad is None:
        leaf.grad = g
    else:
        leaf.grad = leaf.grad + g


def run(outputs, grad_outputs, inputs=None, retain_graph=False, create_graph=False):
    """Backpropagate from `outputs` (Tensors) seeded with `grad_outputs` (Tensors). With
    `inputs`, return their gradients (Tensor or None each) and leave .grad alone; without,
    accumulate into every reached leaf's .grad."""
    if inputs is None:
        targets = None
        captured = None
    else:
        leaf_ids = {id(t) for t in inputs if t._ctx is None}
        inner = {(t._ctx, t._out_idx) for t in inputs if t._ctx is not None}
        targets = (leaf_ids, inner)
        captured = {}

    def deliver_leaf(leaf, g):
        if captured is None:
            _accumulate(leaf, g, create_graph)
        elif id(leaf) in targets[0]:
            prev = captured.get(("leaf", id(leaf)))
            captured[("leaf", id(leaf))] = g if prev is None else prev + g

    record = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        pending = {}
        roots = []
        for out, g in zip(outputs, grad_outputs):
            if out._ctx is None:
                deliver_leaf(out, g)
                continue
            slots = pending.get(out._ctx)
            if slots is None:
                slots = pending[out._ctx] = [None] * len(out._ctx._out_meta)
                roots.append(out._ctx)
            prev = slots[out._out_idx]
            slots[out._out_idx] = g if prev is None else prev + g
        needed, deps = _needed_nodes(roots, targets)
        inner_nodes = {}
        if targets is not None:
            for node, idx in targets[1]:
                inner_nodes.setdefault(node, []).append(idx)
        ready = [r for r in roots if r in needed and deps.get(r, 0) == 0]
        while ready:
            node = ready.pop()
            grads = pending.pop(node)
            for idx in inner_nodes.get(node, ()):
                captured[("inner", node, idx)] = grads[idx]
            if targets is not None and not _reaches_more(node, needed, targets):
                continue
            if node._materialize:
                for i, meta in enumerate(node._out_meta):
                    if grads[i] is None and meta is not None:
                        grads[i] = _zeros_like_meta(meta)
            in_grads = _call_backward(node, grads, create_graph)
            parents = node.parents
            node_done(node, in_grads, retain_graph)
            for i, (p, gi) in enumerate(zip(parents, in_grads)):
                if p is None or gi is None:
                    continue
                gi = _fit(node, i, p, gi)
                child = p._ctx
                if child is None:
                    deliver_leaf(p, gi)
                    continue
                if child not in needed:
                    continue
                slots = pending.get(child)
                if slots is None:
                    slots = pending[child] = [None] * len(child._out_meta)
                prev = slots[p._out_idx]
                slots[p._out_idx] = gi if prev is None else prev + gi
                deps[child] -= 1
                if deps[child] == 0:
                    ready.append(child)
    finally:
        grad_mode.state.enabled = record
    if inputs is None:
        return None
    return tuple([captured.get(("leaf", id(t))) if t._ctx is None else
                  captured.get(("inner", t._ctx, t._out_idx)) for t in inputs])


def _reaches_more(node, needed, targets):
    """Does running node's backward feed some target? (A captured inner node may be only that.)"""
    leaf_ids, _ = targets
    for p in node.parents:
        if p is None:
            continue
        if p._ctx is None:
            if id(p) in leaf_ids:
                return True
        elif p._ctx in needed:
            return True
    return False
