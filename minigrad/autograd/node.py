"""Looking at a graph node as torch users do: `grad_fn.next_functions`, `AccumulateGrad`,
`grad_fn.register_hook` / `register_prehook`, `grad_fn.metadata`.

Nothing here runs while a graph is built or backpropagated without hooks: AccumulateGrad
objects are made only when `next_functions` is read, and cached per leaf through a weak
reference (the leaf does not point at its AccumulateGrad, so no Tensor<->node cycle appears).
"""
import weakref

import numpy as np

# id(leaf) -> weakref to its AccumulateGrad. While an AccumulateGrad lives it holds its leaf,
# so the id cannot be reused by another object; when it dies its entry goes.
_accumulators = {}


class AccumulateGrad:
    """The node that stands for a leaf tensor in `next_functions`; `.variable` is the leaf."""
    __slots__ = ("variable", "_metadata", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._metadata = None

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulate_grad_node(leaf):
    """The leaf's AccumulateGrad: the same object as long as anyone holds it."""
    key = id(leaf)
    ref = _accumulators.get(key)
    node = None if ref is None else ref()
    if node is None:
        node = AccumulateGrad(leaf)

        def forget(dead, key=key):
            if _accumulators.get(key) is dead:
                del _accumulators[key]
        _accumulators[key] = weakref.ref(node, forget)
    return node


class NodeIntrospection:
    """Mixed into ArrayFunction: the graph-node API of torch's autograd.graph.Node."""
    __slots__ = ()
    # Set by apply only when some argument needs no grad: the types of all arguments, so that
    # next_functions can skip non-Tensor arguments (shapes, dims) as torch's nodes have no edge
    # for them. None means every argument was a Tensor that needs grad.
    _arg_types = None

    def _input_positions(self):
        """Indices into `parents` of the arguments that have an edge in next_functions."""
        types = self._arg_types
        if types is None:
            return range(len(self.parents))
        inputs = self._input_kinds()
        return [i for i, p in enumerate(self.parents) if p is not None or issubclass(types[i], inputs)]

    @property
    def next_functions(self):
        """((node, output index), ...) per Tensor input, as torch: the grad_fn of an inner
        input, an AccumulateGrad for a leaf that requires grad, (None, 0) otherwise."""
        cached = self.__dict__.get("_next_functions")
        if cached is None:
            edges = []
            for i in self._input_positions():
                p = self.parents[i]
                if p is None:
                    edges.append((None, 0))
                elif p._ctx is not None:
                    edges.append((p._ctx, p._out_idx))
                else:
                    edges.append((accumulate_grad_node(p), 0))
            cached = self.__dict__["_next_functions"] = tuple(edges)
        return cached

    @property
    def metadata(self):
        """A dict for the user's own notes about this node (torch's Node.metadata)."""
        return self.__dict__.setdefault("_metadata", {})

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node's backward: grad_inputs are the
        gradients it computed for its inputs (one per next_functions entry), grad_outputs those
        it received. Returning a tuple replaces grad_inputs. Returns a handle with .remove()."""
        return self._add_hook(("post", fn))

    def register_prehook(self, fn):
        """fn(grad_outputs) before this node's backward; returning a tuple replaces grad_outputs."""
        return self._add_hook(("pre", fn))

    def _add_hook(self, entry):
        from ..tensor import _HookHandle
        self._hooks = (self._hooks or []) + [entry]
        return _HookHandle(self, entry, "ctx")


def node_done(node, in_grads, retain_graph):
    """After a node's backward (both engines): check the count of gradients it returned, and
    free what it saved unless the graph is retained."""
    parents = node.parents
    if len(in_grads) < len(parents) and any(p is not None for p in parents[len(in_grads):]):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(parents)}, got {len(in_grads)})")
    if not retain_graph:
        node._saved = node._args = ()
        node._freed = True


def _wrap_all(grads, wrap):
    return tuple([None if g is None else wrap(g) for g in grads])


def _array_of(g):
    return g._data if hasattr(g, "_data") else np.asarray(g)


def _unwrap_all(grads, hook, expected, unwrap=_array_of):
    grads = tuple(grads)
    if len(grads) != expected:
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of values "
                           f"(got {len(grads)}, but expected {expected})")
    return [None if g is None else unwrap(g) for g in grads]


def backward_with_hooks(node, grads, wrap, as_grad_array, call=None, unwrap=_array_of):
    """The engine's path for a node with hooks: tensor hooks, then the node's pre-hooks, its
    backward, then its post-hooks (torch's order). `wrap` makes a Tensor of a gradient, `unwrap`
    the reverse; `call(grads)` runs the backward (the node's array backward by default)."""
    pre, post = [], []
    for key, hook in node._hooks:
        if key == "pre":
            pre.append(hook)
        elif key == "post":
            post.append(hook)
        elif grads[key] is not None:      # a hook registered on the node's output tensor `key`
            r = hook(wrap(grads[key]))
            if r is not None:
                grads[key] = as_grad_array(r, grads[key])
    for hook in pre:
        r = hook(_wrap_all(grads, wrap))
        if r is not None:
            grads = _unwrap_all(r, hook, len(grads), unwrap)
    if call is not None:
        in_grads = call(grads)
    else:
        in_grads = node._backward_arrays(grads) if node._tensor_level else node.backward(node, *grads)
    if not post:
        return in_grads
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    parents = node.parents
    positions = list(node._input_positions())
    full = list(in_grads) + [None] * (len(parents) - len(in_grads))
    grad_inputs = _wrap_all([full[i] if parents[i] is not None else None for i in positions], wrap)
    grad_outputs = _wrap_all(grads, wrap)
    for hook in post:
        r = hook(grad_inputs, grad_outputs)
        if r is not None:
            grad_inputs = _wrap_all(_unwrap_all(r, hook, len(positions), unwrap), wrap)
    for j, i in enumerate(positions):
        full[i] = None if grad_inputs[j] is None else unwrap(grad_inputs[j])
    return tuple(full)
