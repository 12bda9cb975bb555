"""Export a model to ONNX: `minigrad.onnx.export(model, args, "model.onnx")`, torch.onnx.export's names.

The graph is recorded by running the model once on `args` (every op passes through
ArrayFunction.apply, where the recorder sits while an export runs) and each op is lowered by a
builder in _lowerings.py. Needs the optional extra: pip install -e '.[onnx]' (onnx, onnxruntime);
minigrad itself imports without it.

Deliberate differences from torch.onnx.export: the TorchScript-style exporter only (no dynamo,
dynamic_shapes, custom tables); returns the onnx.ModelProto (torch: an ONNXProgram or None);
Python control flow and shapes are frozen at their traced values, except that a dim named in
dynamic_axes stays dynamic through the shape ops (flatten, view, unsqueeze, expand).
"""
import enum
import os

from ..autograd import function as _function
from ..autograd import grad_mode
from ..tensor import Tensor

__all__ = ["export", "TrainingMode"]

DEFAULT_OPSET = 17
_MIN_OPSET = 13     # Squeeze/Unsqueeze/ReduceSum/Split take axes as inputs from 13 on


class TrainingMode(enum.IntEnum):
    """torch.onnx.TrainingMode: which mode the model is exported in."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401
    except ImportError:
        raise ImportError("minigrad.onnx.export needs the onnx package: pip install -e '.[onnx]' "
                          "(installs onnx and onnxruntime)") from None
    return onnx


def _dynamic_axes(dynamic_axes):
    """{'name': {0: 'batch'}} or {'name': [0]} (torch's auto names) -> {'name': {axis: dim name}}."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(k): str(v) for k, v in axes.items()}
        else:
            out[name] = {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(axes)}
    return out


def _flat_outputs(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat += _flat_outputs(o)
        return flat
    raise TypeError(f"minigrad.onnx.export: the model returned {type(out).__name__}; expected Tensors "
                    "(or tuples/lists of them)")


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None,
           training=TrainingMode.EVAL, do_constant_folding=True):
    """Run `model(*args, **kwargs)` once and write the recorded graph to `f` as ONNX.

    args: a Tensor or a tuple of Tensors (a trailing dict is taken as keyword arguments, as
    torch). f: a path or a binary file object (None: nothing written). input_names /
    output_names: graph names ("input"/"output" for one, else "input_0", ... by default).
    dynamic_axes: {name: {axis: dim_name}} or {name: [axis, ...]}. training: EVAL (default:
    the model is switched to eval for the export and restored after), TRAINING or PRESERVE.
    opset_version: 13 or later (default 17). Parameters and buffers become initializers named
    as in the state dict (graph inputs with export_params=False). do_constant_folding is
    accepted for torch's sake (there is nothing to fold: constants are recorded as values).
    Returns the onnx.ModelProto. Raises NotImplementedError naming an op with no lowering.
    """
    onnx = _import_onnx()
    from . import _graph, _lowerings

    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not _MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"minigrad.onnx.export: opset_version must be between {_MIN_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()}, got {opset_version}")
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    inputs = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
    names_in = list(input_names or [])
    names_in += ["input" if len(inputs) == 1 else f"input_{i}" for i in range(len(names_in), len(inputs))]
    dyn = _dynamic_axes(dynamic_axes)

    params = {}
    if hasattr(model, "named_parameters"):
        params.update({id(p): n for n, p in model.named_parameters()})
        params.update({id(b): n for n, b in model.named_buffers() if b is not None})
    rec = _graph.Recorder(onnx, opset, params, export_params, _lowerings.LOWERINGS)
    graph_inputs = []
    for t, name in zip(inputs, names_in):
        rec.bind(t, name)
        graph_inputs.append(rec.value_info(name, t._data.dtype, t.shape, dyn.get(name)))

    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    if modes and training != TrainingMode.PRESERVE:
        model.train(training == TrainingMode.TRAINING)
    if _function._tracer is not None:
        raise RuntimeError("minigrad.onnx.export: another export is running (one at a time per process)")
    _function._tracer = rec
    try:
        with grad_mode.no_grad():
            out = model(*args, **kwargs)
        outputs = _flat_outputs(out)
        names_out = [rec.name(o) for o in outputs]
    finally:
        _function._tracer = None
        for m, was_training in modes:
            m.training = was_training

    wanted = list(output_names or [])
    wanted += ["output" if len(outputs) == 1 else f"output_{i}" for i in range(len(wanted), len(outputs))]
    graph_outputs, renamed = [], {}
    dynamic_inputs = any(dyn.get(n) for n in names_in)
    for t, name, target in zip(outputs, names_out, wanted):
        name = renamed.get(name, name)
        if _name_output(rec, name, target):
            renamed[name] = target
        dims = dyn.get(target)
        if dims is None and dynamic_inputs:     # other dims are unknown unless named: left open
            shape = [None] * t.ndim
        else:
            shape = t.shape
        graph_outputs.append(rec.value_info(target, t._data.dtype, shape, dims))

    helper = onnx.helper
    init_inputs = []
    if keep_initializers_as_inputs:
        init_inputs = [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in rec.initializers]
    graph = helper.make_graph(rec.nodes, "main_graph", graph_inputs + rec.param_inputs + init_inputs,
                              graph_outputs, rec.initializers)
    opsets = [helper.make_opsetid("", opset)]
    model_proto = helper.make_model(graph, opset_imports=opsets, producer_name="minigrad",
                                    ir_version=helper.find_min_ir_version_for(opsets, True))
    if verbose:
        print(helper.printable_graph(model_proto.graph))
    if f is not None:
        data = model_proto.SerializeToString()
        if hasattr(f, "write"):
            f.write(data)
        else:
            with open(os.fspath(f), "wb") as fh:
                fh.write(data)
    return model_proto


def _name_output(rec, name, target):
    """Give the value `name` the graph output name `target`: rename the node output that makes
    it (and its readers), or add an Identity where it is an input, an initializer or taken.
    True when renamed."""
    if name == target:
        return False
    producer = next((n for n in rec.nodes if name in n.output), None)
    taken = any(target in n.output or target in n.input for n in rec.nodes)
    if producer is None or taken:
        rec.nodes.append(rec.helper.make_node("Identity", [name], [target], name=rec.fresh("n_Identity")))
        return False
    for n in rec.nodes:
        for seq in (n.input, n.output):
            for i, v in enumerate(seq):
                if v == name:
                    seq[i] = target
    for t_id, v in list(rec.values.items()):
        if v == name:
            rec.values[t_id] = target
    return True
