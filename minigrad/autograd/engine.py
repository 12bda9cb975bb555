"""The backward pass: reverse topological order over graph nodes, with an explicit stack.

Two steps (as micrograd's backward, without its recursion):
1. walk the graph from the output once, counting for every node how many of its outputs'
   consumers are in the graph (`deps`);
2. process nodes whose consumers have all delivered their gradients (Kahn's algorithm): sum
   the gradients per output, call the node's backward, hand each input its gradient - a leaf
   accumulates it into `.grad`, an inner node waits until its count reaches zero.
A chain of any depth runs in constant Python stack.
"""
import sys
import weakref

import numpy as np

from .. import _parallel
from .._C import elementwise as _elementwise
from . import function as _function
from . import tensor_engine
from .node import backward_with_hooks, node_done

# Set by minigrad.tensor once Tensor exists (it imports this module, so no import here);
# a module global is also much cheaper on the hot path than an import inside a function.
Tensor = None


def _as_grad_array(gradient, like):
    g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if g.shape != like.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {list(g.shape)} and output[0] "
                           f"has a shape of {list(like.shape)}.")
    return g.astype(like.dtype, copy=False)


def accumulate_grad(leaf, g, exclusive=False):
    """leaf.grad += g. The first gradient becomes .grad as it is only when `exclusive` (the
    engine knows nothing else holds it); otherwise it is copied, since `g` may be shared with
    other tensors' gradients (Add hands the same array to both inputs) or be a view."""
    if leaf._hooks:
        exclusive = False   # a hook may have kept the Tensor it was shown
        for hook in leaf._hooks:
            r = hook(Tensor._wrap(g))
            if r is not None:
                g = _as_grad_array(r, leaf._data)
    if leaf.grad is None:
        if not (exclusive and g.dtype == leaf._data.dtype and g.flags.c_contiguous):
            g = np.array(g, dtype=leaf._data.dtype, order="C", copy=True)
        leaf.grad = Tensor._wrap(g)
        return
    dst = leaf.grad._data
    big = dst.size >= _parallel.ELEMENTWISE_THRESHOLD   # below it, NumPy's call is cheaper than ours
    if big and dst.flags.c_contiguous and dst.flags.writeable and dst.shape == leaf._data.shape:
        src = np.ascontiguousarray(g, dtype=dst.dtype)
        _elementwise.axpy(1.0, src.reshape(-1), dst.reshape(-1), _parallel.get_num_threads())
    elif dst.flags.writeable and dst.shape == leaf._data.shape:
        np.add(dst, g, out=dst)
    else:
        leaf.grad = Tensor._wrap(dst + g)


def call_backward(node, grads):
    """One node's backward on its output gradients, its hooks around it. run_backward's loop
    inlines this (the hot path); an observer (anomaly mode, a profiler) gets it to call."""
    if node._hooks:
        return backward_with_hooks(node, grads, Tensor._wrap, _as_grad_array)
    return node._backward_arrays(grads) if node._tensor_level else node.backward(node, *grads)


def _own_memory(grad):
    """True when `grad`'s memory is reachable through `grad` alone: it owns it, or it views the
    whole of an owned base that nothing else references (an op's `fresh.reshape(shape)`)."""
    if type(grad) is not np.ndarray or not grad.flags.writeable:
        return False
    if grad.flags.owndata:
        return True
    base = grad.base
    if type(base) is not np.ndarray or not base.flags.owndata or base.nbytes != grad.nbytes:
        return False
    del base
    # 2 = grad's own reference + the argument's (a strong one: `grad.base` is a new reference)
    return sys.getrefcount(grad.base) == 2


def run_backward(root, gradient=None, retain_graph=False, capture=None):
    """Backpropagate from `root`. With `capture` (dict id(leaf) -> None) the leaves' gradients
    are stored in it instead of being accumulated into `.grad` (used by autograd.grad)."""
    if not root.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        g = np.ones_like(root._data)
    else:
        g = _as_grad_array(gradient, root._data)

    # every gradient array handed out in this pass (the root's included), weakly by id (an id
    # alone could be a dead array's, reused): an array seen twice is shared, so a leaf must copy
    # it; an unseen one can be kept as .grad without the copy (a full pass over large tensors)
    # when _own_memory says nothing else can reach it.
    handed_out = {id(g): weakref.ref(g)}

    def deliver_to_leaf(leaf, grad, trusted=False):
        if capture is None:
            seen = handed_out.get(id(grad))
            first = seen is None or seen() is not grad
            handed_out[id(grad)] = weakref.ref(grad)
            accumulate_grad(leaf, grad, trusted and first and _own_memory(grad))
        elif id(leaf) in capture:
            prev = capture[id(leaf)]
            capture[id(leaf)] = grad if prev is None else prev + grad

    if root._ctx is None:
        deliver_to_leaf(root, g)
        return

    # 1. count, for every node, the edges that will deliver a gradient to it
    #    (nodes hash by identity, so they key the dicts directly)
    deps = {}
    stack = [root._ctx]
    seen = {root._ctx}
    while stack:
        node = stack.pop()
        for p in node.parents:
            if p is not None and p._ctx is not None:
                child = p._ctx
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)

    # 2. apply the chain rule in reverse topological order
    pending = {root._ctx: [None] * len(root._ctx._out_meta)}
    pending[root._ctx][root._out_idx] = g
    ready = [root._ctx]
    while ready:
        node = ready.pop()
        grads = pending.pop(node)
        if len(grads) > 1 and node._materialize:
            for i, meta in enumerate(node._out_meta):
                if grads[i] is None and meta is not None:   # an output nobody used (max_pool2d's indices)
                    grads[i] = np.zeros(*meta)
        if _function._observer is not None:    # anomaly mode or a profiler: one global check per node
            in_grads = _function._observer.backward(node, grads, call_backward)
        elif node._hooks:
            in_grads = backward_with_hooks(node, grads, Tensor._wrap, _as_grad_array)
        else:
            in_grads = node._backward_arrays(grads) if node._tensor_level else node.backward(node, *grads)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        parents = node.parents
        node_done(node, in_grads, retain_graph)
        # minigrad's own ops return fresh arrays (or views of them) or pass on what they were
        # given; a user's Function or a hook may return anything, so theirs are always copied.
        trusted = not (node._tensor_level or node._hooks)
        for i, (p, gi) in enumerate(zip(parents, in_grads)):   # trailing non-tensor args: no grad
            if p is None or gi is None:
                continue
            dtype = p._data.dtype
            if type(gi) is not np.ndarray:
                gi = np.asarray(gi, dtype=dtype)
            elif gi.dtype != dtype:
                gi = gi.astype(dtype)
            if gi.shape != p._data.shape:
                raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(gi.shape)} but expected shape compatible with {list(p._data.shape)}")
            child = p._ctx
            if child is None:
                deliver_to_leaf(p, gi, trusted)
                continue
            slots = pending.get(child)
            if slots is None:
                slots = pending[child] = [None] * len(child._out_meta)
            prev = slots[p._out_idx]
            handed_out[id(gi)] = weakref.ref(gi)
            slots[p._out_idx] = gi if prev is None else prev + gi
            deps[child] -= 1
            if deps[child] == 0:
                ready.append(child)


def _seed(out, g):
    """A grad_output as a Tensor (ones for a scalar output when None)."""
    if g is None:
        if out._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return Tensor._wrap(np.ones_like(out._data))
    if isinstance(g, Tensor):
        _as_grad_array(g, out._data)   # the shape check
        return g if g._data.dtype == out._data.dtype else g.to(out._data.dtype)
    return Tensor._wrap(_as_grad_array(g, out._data))


def _as_tuple(xs):
    return (xs,) if isinstance(xs, Tensor) else tuple(xs)


def _differentiated(inputs):
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    return inputs


def _outputs_and_seeds(outputs, grad_outputs):
    outputs = _as_tuple(outputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} for "
                           f"{len(outputs)} outputs")
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {k} of tensors does not require grad and does not have a grad_fn")
    return outputs, [_seed(o, g) for o, g in zip(outputs, grad_outputs)]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of `outputs` w.r.t. `inputs` as a tuple of Tensors, as torch.autograd.grad;
    `.grad` is untouched. An input the outputs do not depend on is an error unless
    `allow_unused` (then None) or `materialize_grads` (then zeros). With `create_graph` the
    gradients are themselves recorded (tensor_engine) and can be differentiated again."""
    if is_grads_batched:
        raise RuntimeError("is_grads_batched=True is not supported by minigrad")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _differentiated(inputs)
    seeds = grad_outputs if isinstance(grad_outputs, (list, tuple)) else (grad_outputs,)
    if create_graph or any(t._ctx is not None for t in inputs) or any(
            isinstance(g, Tensor) and g.requires_grad for g in seeds):
        outputs, seeds = _outputs_and_seeds(outputs, grad_outputs)
        found = tensor_engine.run(outputs, seeds, inputs, bool(retain_graph), bool(create_graph))
    else:
        capture = _captured(outputs, inputs, grad_outputs, bool(retain_graph))
        found = [None if capture[id(t)] is None else Tensor._wrap(capture[id(t)]) for t in inputs]
    res = []
    for t, g in zip(inputs, found):
        if g is None and materialize_grads:
            g = Tensor._wrap(np.zeros_like(t._data))
        elif g is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
        res.append(g)
    return tuple(res)


def _captured(outputs, inputs, grad_outputs, retain_graph):
    """Run the array backward from each output; -> {id(leaf input): summed array gradient or None}."""
    outputs = _as_tuple(outputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} for "
                           f"{len(outputs)} outputs")
    capture = {id(t): None for t in inputs}
    for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
        run_backward(out, g, retain_graph=retain_graph or k < len(outputs) - 1, capture=capture)
    return capture


def backward(root, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward: accumulate into every leaf's .grad, or only into `inputs`' .grad."""
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        outputs, seeds = _outputs_and_seeds(root, gradient)
        if inputs is None:
            tensor_engine.run(outputs, seeds, None, bool(retain_graph), True)
            return
        inputs = _differentiated(inputs)
        for t, g in zip(inputs, tensor_engine.run(outputs, seeds, inputs, bool(retain_graph), True)):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
        return
    if inputs is None:
        run_backward(root, gradient, bool(retain_graph))
        return
    inputs = _differentiated(inputs)
    if any(t._ctx is not None for t in inputs):
        outputs, seeds = _outputs_and_seeds(root, gradient)
        found = tensor_engine.run(outputs, seeds, inputs, bool(retain_graph), False)
    else:
        capture = _captured(root, inputs, gradient, bool(retain_graph))
        found = [capture[id(t)] for t in inputs]
    for t, g in zip(inputs, found):
        if g is not None:
            accumulate_grad(t, g._data if isinstance(g, Tensor) else g)
