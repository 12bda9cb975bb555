"""Function: one differentiable op, forward and backward side by side.

Two flavours share one machinery:

- `Function`, for users: PyTorch's contract. forward and backward take and return Tensors;
  forward runs with grad mode off; `ctx.save_for_backward`, `ctx.saved_tensors`,
  `ctx.needs_input_grad`, `ctx.mark_non_differentiable`, `ctx.set_materialize_grads`.

      class Square(Function):
          @staticmethod
          def forward(ctx, x):
              ctx.save_for_backward(x)
              return x * x

          @staticmethod
          def backward(ctx, grad):          # one Tensor per output
              x, = ctx.saved_tensors
              return 2 * x * grad           # one gradient (Tensor or None) per argument

      y = Square.apply(t)

- `ArrayFunction`, minigrad's own ops (minigrad/ops): the same, but forward and backward see
  NumPy arrays. That skips a Tensor wrapper per input, output and gradient: the fast path that
  keeps a toy model's per-op overhead small.

`apply` is the only place a graph node is made. The node *is* the ctx (an instance of the
Function subclass); it is created only when grad mode is on and an input requires grad, so
inference pays nothing for autograd. References point backwards only (output -> node ->
inputs), so a graph is freed by reference counting as soon as its output is dropped.
"""
import functools

import numpy as np

from threading import get_ident as _get_ident

from .. import _dtype
from . import grad_mode

_mode = grad_mode.state   # a module global: cheaper on the hot path than grad_mode.state
from .node import NodeIntrospection

# Set by minigrad.tensor once Tensor exists (it imports this module, so no import here);
# a module global is also much cheaper on the hot path than an import inside a function.
Tensor = None

# minigrad.onnx's graph recorder while an export runs (None otherwise): every op of the
# exporting thread (`_tracer.thread`) then goes through it, so the graph is recorded at the one
# place all ops pass; other threads' ops are not recorded. One global check per op.
_tracer = None

_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved tensors after "
              "they have already been freed). Saved intermediate values of the graph are freed when you call "
              ".backward(). Specify retain_graph=True if you need to backward through the graph a second time.")


class ArrayFunction(NodeIntrospection):
    __slots__ = ("parents", "needs_input_grad", "_saved", "_versions", "_freed", "_non_diff",
                 "_out_meta", "_hooks", "_args", "_kwargs", "__dict__")
    # Set by view-like ops (reshape, transpose, ...): their output shares the input's storage,
    # so it shares its version counter too.
    is_view = False
    # Tensor-level Functions (the user-facing kind) are called differently by the engine.
    _tensor_level = False
    _materialize = True

    # ------------------------------------------------------------------ user API
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    def save_for_backward(self, *arrays):
        """Keep arrays for backward. Checked against in-place changes when backward reads them."""
        self._saved = arrays

    @property
    def saved_tensors(self):
        self._check_saved()
        return self._saved

    def _check_saved(self):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        for cell, version, shape in self._versions:
            if cell[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [Tensor of shape {list(shape)}] is at version {cell[0]}; expected version "
                    f"{version} instead. (In {self.name()}.)")

    def mark_non_differentiable(self, *arrays):
        """Mark outputs (e.g. pooling indices) that never get a gradient."""
        self._non_diff = arrays

    @staticmethod
    def differentiable_backward(ctx, *grads):
        """backward written with minigrad ops on Tensors, for create_graph=True: `grads` are
        Tensors, `ctx.inputs` the forward's arguments as Tensors (those that require grad are
        the very tensors, with their history); returns one Tensor or None per argument. Run
        with grad mode on, so what it computes is recorded and can be differentiated again."""
        raise RuntimeError(f"{ctx.name()}: this op has no differentiable backward, so gradients of its "
                           f"gradients (create_graph=True) are not available")

    @property
    def inputs(self):
        """The forward's arguments, array ones as Tensors (for differentiable_backward)."""
        self._check_saved()
        return tuple([p if p is not None else (Tensor._wrap(a._data if isinstance(a, Tensor) else a)
                                               if isinstance(a, (Tensor, np.ndarray)) else a)
                      for p, a in zip(self.parents, self._args)])

    def _differentiable_backward(self, grads):
        return type(self).differentiable_backward(self, *grads)

    def name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @staticmethod
    def _input_kinds():
        # Graph inputs in next_functions: minigrad's ops also take arrays (`x * 2` passes 2 as one)
        return (Tensor, np.ndarray)

    # ------------------------------------------------------------------ machinery
    @classmethod
    def apply(cls, *args, **kwargs):
        # NOTE: the hot path of every op; written for CPython's speed (comprehensions, no
        # generators, single-output fast path), since toy models are bound by this overhead.
        if _tracer is not None and _tracer.thread == _get_ident():
            return _tracer.apply(cls, args, kwargs)
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        record = _mode.enabled
        needs = tuple([record and isinstance(a, Tensor) and a.requires_grad for a in args])
        any_needs = True in needs

        ctx = cls.__new__(cls)
        ctx.needs_input_grad = needs
        ctx._saved = ()
        ctx._non_diff = ()
        ctx._freed = False
        _mode.enabled = False
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        finally:
            _mode.enabled = record

        single = type(out) is not tuple
        if not any_needs:
            if single:
                t = Tensor._wrap(out)
                if cls.is_view and getattr(out, "base", None) is not None:
                    t._version = args[0]._version   # one memory, one version counter
                return t
            ts = tuple([Tensor._wrap(o) for o in out])
            if cls.is_view:
                for t in ts:
                    t._version = args[0]._version
            return ts

        outs = (out,) if single else out
        ctx.parents = tuple([a if n else None for a, n in zip(args, needs)])
        if False in needs:
            ctx._arg_types = tuple(map(type, args))
        ctx._args = args      # for differentiable_backward (create_graph); freed with the saved arrays
        ctx._kwargs = kwargs
        ctx._hooks = None
        ctx._out_meta = tuple([(o.shape, o.dtype) for o in outs])
        results = []
        for i, o in enumerate(outs):
            diff = not any(o is nd for nd in ctx._non_diff)
            t = Tensor._wrap(o, ctx if diff else None, i)
            if diff and cls.is_view:
                t._version = args[0]._version
            results.append(t)
        ctx._versions = cls._record_versions(ctx, args, results) if ctx._saved else ()
        return results[0] if single else tuple(results)

    @staticmethod
    def _record_versions(ctx, args, results):
        versions = []
        for s in ctx._saved:
            for t in (*args, *results):
                if isinstance(t, Tensor) and t._data is s:
                    versions.append((t._version, t._version[0], s.shape))
                    break
        return tuple(versions)

    @classmethod
    def apply_(cls, tensor, *args, **kwargs):
        """Run the op in place on `tensor` (torch's `op_`): its data is overwritten, its version
        bumped, and, when a graph is recorded, its history rebased onto this op."""
        if _tracer is not None and _tracer.thread == _get_ident():   # the name moves to the result
            return _tracer.apply_(cls, tensor, args, kwargs)
        return apply_inplace(tensor, cls.apply, *args, **kwargs)


def apply_inplace(tensor, fn, *args, **kwargs):
    """tensor <- fn(tensor, *args): the value is written into tensor's memory, its version
    bumped, and, when a graph is recorded, its history rebased onto the op (torch's `op_`).
    fn is an op written with Tensors (ArrayFunction.apply, or any function of minigrad ops)."""
    if not _mode.enabled or not (tensor.requires_grad or any(
            isinstance(a, Tensor) and a.requires_grad for a in (*args, *kwargs.values()))):
        _write_inplace(tensor, fn(tensor, *args, **kwargs)._data)   # no graph: nothing saved the old value
        return tensor
    check_inplace(tensor)
    # The old value becomes a tensor of its own (a copy: the graph may have saved it), holding
    # the old history; the op reads it and tensor takes the op's history.
    old = Tensor._wrap(tensor._data.copy(), tensor._ctx, tensor._out_idx)
    old.requires_grad = tensor.requires_grad
    out = fn(old, *args, **kwargs)
    _write_inplace(tensor, out._data)
    if out.requires_grad:
        tensor._ctx, tensor._out_idx, tensor.requires_grad = out._ctx, out._out_idx, True
    return tensor


def check_inplace(tensor):
    """torch's refusals for an in-place op while grad mode is on: on a leaf that requires grad,
    or on a view of one (its memory is the leaf's: the leaf would change behind autograd's back)."""
    if not tensor.requires_grad:
        return
    ctx = tensor._ctx
    if ctx is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    while ctx.is_view and ctx.parents and ctx.parents[0] is not None:
        base = ctx.parents[0]
        if base._ctx is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        ctx = base._ctx


def _write_inplace(tensor, value):
    if value.shape != tensor._data.shape:
        raise RuntimeError(f"output with shape {list(tensor._data.shape)} doesn't match the broadcast shape "
                           f"{list(value.shape)}")
    if value.dtype.kind == "f" and tensor._data.dtype.kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_dtype.legacy_name(tensor._data.dtype)}")
    if value is not tensor._data:
        tensor._data[...] = value
    tensor._version[0] += 1


class Function(ArrayFunction):
    """A differentiable op written as PyTorch writes one: Tensors in forward and backward.

    Either `forward(ctx, *args)` or, PyTorch 2's style, `forward(*args)` plus
    `setup_context(ctx, inputs, output)`. `backward(ctx, *grads)` runs with grad mode off and
    returns one gradient per forward argument (None for non-Tensors or unneeded ones).
    """
    _tensor_level = True

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self._saved = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        """With False, backward gets None (not zeros) for outputs nobody used."""
        self._materialize = bool(value)

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<minigrad.autograd.function.{self.name()} object at {id(self):#x}>"

    @staticmethod
    def _input_kinds():
        return (Tensor,)

    @classmethod
    def apply(cls, *args, **kwargs):
        record = _mode.enabled
        needs = tuple([record and isinstance(a, Tensor) and a.requires_grad for a in args])
        ctx = cls.__new__(cls)
        ctx.needs_input_grad = needs
        ctx._saved = ()
        ctx._non_diff = ()
        ctx._freed = False
        _mode.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args, **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
        finally:
            _mode.enabled = record

        single = type(out) is not tuple
        outs = (out,) if single else out
        graph = True in needs
        if graph:
            ctx.parents = tuple([a if n else None for a, n in zip(args, needs)])
            if False in needs:
                ctx._arg_types = tuple(map(type, args))
            ctx._hooks = None
            ctx._out_meta = tuple([(o.shape, o.dtype) if isinstance(o, Tensor) else None for o in outs])
        results = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            diff = graph and o.dtype.kind == "f" and not any(o is nd for nd in ctx._non_diff)
            t = Tensor._wrap(o._data, ctx if diff else None, i)
            # The result and what forward returned are one value: an in-place change to the
            # result must be seen when backward reads a saved output.
            t._version = o._version
            results.append(t)
        if graph:
            ctx._versions = tuple([(s._version, s._version[0], s.shape) for s in ctx._saved if s is not None])
        return results[0] if single else tuple(results)

    def _backward_arrays(self, grads):
        """The engine's call: array gradients in, array gradients out, the user's backward between."""
        wrap = Tensor._wrap
        tensors = [None if g is None else wrap(g) for g in grads]
        record = _mode.enabled
        _mode.enabled = False
        try:
            out = self.backward(self, *tensors)
        finally:
            _mode.enabled = record
        if type(out) is not tuple:
            out = (out,)
        return tuple([g._data if isinstance(g, Tensor) else g for g in out])

    def _differentiable_backward(self, grads):
        """create_graph=True: the user's backward runs with grad mode on, so it is recorded as
        far as it is written with minigrad ops (torch's rule)."""
        if getattr(type(self).backward, "_once_differentiable", False):
            out = self._backward_arrays([None if g is None else g._data for g in grads])
            # As torch: the results hang off the incoming gradients through a node that refuses
            # to be differentiated.
            return tuple([None if g is None else _OnceDifferentiable.apply(g, type(self).__name__, *grads)
                          for g in out])
        out = self.backward(self, *grads)
        return out if type(out) is tuple else (out,)


class _OnceDifferentiable(ArrayFunction):
    """The gradient a @once_differentiable backward returned under create_graph: differentiating
    it again is an error, as in torch."""
    @staticmethod
    def forward(ctx, result, name, *grads):
        ctx.fn_name = name
        return result

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError(f"trying to differentiate twice a function that was marked with @once_differentiable "
                           f"({ctx.fn_name})")


def once_differentiable(fn):
    """PyTorch's decorator for a backward that is not itself differentiable: under
    create_graph=True its results are not recorded, and differentiating them again raises."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        return fn(ctx, *args)
    wrapper._once_differentiable = True
    return wrapper
