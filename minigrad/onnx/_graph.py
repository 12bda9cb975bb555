"""The graph recorder behind minigrad.onnx.export.

While an export runs, `ArrayFunction.apply` hands every op to `Recorder.apply` (the module
global minigrad.autograd.function._tracer). The op runs as usual, and its ONNX lowering (a
builder in _lowerings.py) appends nodes at once, while the names of its inputs are still the
current ones: an in-place op (ReLU(inplace=True)) moves a Tensor's name to its new value.

Values are named by Tensor identity: graph inputs by the names given, parameters and buffers by
their state-dict names (initializers), any other Tensor or array an op reads is a constant
(an initializer too). Every Tensor seen is kept alive until the export ends, so no id is reused.
"""
import inspect
import threading

import numpy as np

from ..autograd import function as _function
from ..tensor import Tensor


class Recorder:
    def __init__(self, onnx, opset, param_names, export_params, lowerings):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes, self.initializers, self.param_inputs = [], [], []
        self.values = {}            # id(Tensor) -> the name of its current value
        self.lazy = {}              # id(Tensor) -> a function that makes its value on first use
        self.pool_indices = {}      # id(indices Tensor) -> (ONNX whole-tensor indices name, plane size)
        self.keep = []
        self.param_names = param_names
        self.export_params = export_params
        self.lowerings = lowerings
        self._count = 0
        self._signatures = {}
        self.thread = threading.get_ident()   # only this thread's ops are recorded

    # ***** names *****
    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def bind(self, tensor, name):
        self.values[id(tensor)] = name
        self.keep.append(tensor)

    def name(self, x, dtype=None):
        """The graph value of an op argument: a Tensor, an array or a number (a constant), or None ("")."""
        if x is None:
            return ""
        if not isinstance(x, Tensor):
            return self.const(np.asarray(x, dtype=dtype))
        key = id(x)
        name = self.values.get(key)
        if name is None:
            make = self.lazy.pop(key, None)
            name = make() if make is not None else self._external(x)
            self.bind(x, name)
        return name

    def _external(self, t):
        """A Tensor that no recorded op produced: a parameter/buffer, or else a constant."""
        pname = self.param_names.get(id(t))
        if pname is None:
            return self.const(t._data, hint="const")
        if self.export_params:
            self.initializers.append(self.onnx.numpy_helper.from_array(np.array(t._data), pname))
        else:
            self.param_inputs.append(self.value_info(pname, t._data.dtype, t.shape))
        return pname

    def const(self, value, dtype=None, hint="const"):
        arr = np.array(value, dtype=dtype)      # a copy: later in-place changes must not reach it
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), hint="ints")

    def value_info(self, name, dtype, shape, dim_names=None):
        dim_names = dim_names or {}
        dims = [dim_names.get(i, n) for i, n in enumerate(shape)]
        return self.helper.make_tensor_value_info(name, self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), dims)

    # ***** nodes *****
    def node(self, op_type, inputs, n_out=1, **attrs):
        """Append one node; returns its output name (a list of them when n_out > 1)."""
        outputs = [self.fresh(op_type) for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs, name=self.fresh("n_" + op_type),
                                                **attrs))
        return outputs[0] if n_out == 1 else outputs

    # ***** the hook *****
    def _arguments(self, cls, args, kwargs):
        sig = self._signatures.get(cls)
        if sig is None:
            sig = self._signatures[cls] = inspect.signature(cls.forward)
        bound = sig.bind(None, *args, **kwargs)
        bound.apply_defaults()
        a = dict(bound.arguments)
        a.pop(next(iter(sig.parameters)))      # ctx
        return a

    def apply(self, cls, args, kwargs):
        lower = self.lowerings.get(cls)
        if lower is None:
            where = f"ops.{cls.__name__}" if cls.__module__.startswith("minigrad.ops") else \
                f"{cls.__module__}.{cls.__qualname__}"
            raise NotImplementedError(f"minigrad.onnx.export: no ONNX lowering for {where}")
        thread, self.thread = self.thread, None     # the op itself runs untraced
        try:
            out = cls.apply(*args, **kwargs)
        finally:
            self.thread = thread
        outs = out if isinstance(out, tuple) else (out,)
        for t in args:
            if isinstance(t, Tensor):
                self.keep.append(t)
        names = lower(self, self._arguments(cls, args, kwargs), outs)
        for t, n in zip(outs, [names] if isinstance(names, str) else names):
            if n is not None:
                self.bind(t, n)
        return out

    def apply_(self, cls, tensor, args, kwargs):
        out = self.apply(cls, (tensor, *args), kwargs)
        _function._write_inplace(tensor, out._data)
        self.bind(tensor, self.name(out))
        return tensor
