"""Look at a graph: `print(graph.describe(t))` for text, `graph.to_dot(t)` for Graphviz DOT,
`graph.render(t, "g.svg")` for a picture (needs the `graph` extra and Graphviz's `dot`).

Nodes are Functions (with the shapes of what they saved) and leaf tensors; edges run from
each input to the Function that consumed it, so the output is at the bottom. Pass
`params=dict(model.named_parameters())` to name the leaves, as torchviz's `make_dot` does;
after a backward each leaf that has a `.grad` also shows its gradient's norm. The colours are
torchviz's: leaves lightblue, saved tensors orange, outputs darkolivegreen1, Functions grey.
"""
import os
import shutil
from collections.abc import Mapping

import numpy as np

_GRAPHVIZ = "Graphviz's `dot` program (apt install graphviz, brew install graphviz or conda install graphviz)"


def _walk(outputs):
    """Yield every Function reachable from the output tensors, each once (explicit stack)."""
    stack = [t._ctx for t in outputs if t._ctx is not None]
    seen = {id(n) for n in stack}
    while stack:
        node = stack.pop()
        yield node
        for p in node.parents:
            if p is not None and p._ctx is not None and id(p._ctx) not in seen:
                seen.add(id(p._ctx))
                stack.append(p._ctx)


def _outputs(tensor, caller):
    from ..tensor import Tensor
    outs = tuple(tensor) if isinstance(tensor, (tuple, list)) else (tensor,)
    for t in outs:
        if not isinstance(t, Tensor):
            raise TypeError(f"graph.{caller}(): expected a Tensor or a tuple of Tensors, but got "
                            f"{type(t).__name__}")
    return outs


def _param_names(params, caller):
    """{id(tensor): name} from a {name: tensor} mapping; a tensor under several names gets all."""
    if params is None:
        return {}
    from ..tensor import Tensor
    if not isinstance(params, Mapping):
        raise TypeError(f"graph.{caller}(): params must be a dict of name -> Tensor, such as "
                        f"dict(model.named_parameters()), but got {type(params).__name__}")
    names = {}
    for name, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"graph.{caller}(): params[{name!r}] must be a Tensor, but got {type(t).__name__}")
        names[id(t)] = f"{names[id(t)]}, {name}" if id(t) in names else str(name)
    return names


def _shape_dtype(x):
    arr = getattr(x, "_data", x)        # a Tensor (custom Functions save those) or an array
    return f"{tuple(arr.shape)} {arr.dtype}"


def _node_lines(node, inline_saved, show_attrs=False, max_attr_chars=50):
    lines = [node.name()]
    saved = [_shape_dtype(s) for s in node._saved if hasattr(s, "shape")]   # custom Functions may save None
    if inline_saved and saved:
        lines.append("saved: " + ", ".join(saved))
    if show_attrs:
        for key, value in node.__dict__.items():
            if not key.startswith("_"):
                tensor = isinstance(value, np.ndarray) or hasattr(value, "_data")
                text = f"[{_shape_dtype(value)}]" if tensor else repr(value)
                limit = max(max_attr_chars, 3)
                lines.append(f"{key}: " + (text if len(text) <= limit else text[:limit - 3] + "..."))
    if node._freed:
        lines.append("(freed)")
    return lines


def _leaf_lines(t, names):
    name = names.get(id(t))
    if name is None:
        name = "Parameter" if type(t).__name__ == "Parameter" else "leaf"
    lines = [name, _shape_dtype(t)]
    if t.grad is not None:
        g = t.grad._data
        lines.append(f"grad norm {np.sqrt(np.sum(np.square(g, dtype=np.float64))):.4g}")
    return lines


def describe(tensor, params=None):
    """One line per node, outputs first: `AddBackward0 <- MulBackward0, leaf (3,) float32`.

    params: `{name: tensor}` (e.g. `dict(model.named_parameters())`) to name the leaves.
    """
    outs = _outputs(tensor, "describe")
    names = _param_names(params, "describe")
    lines = [" ".join(_leaf_lines(t, names)) for t in outs if t._ctx is None]
    for node in _walk(outs):
        ins = [(p._ctx.name() if p._ctx is not None else " ".join(_leaf_lines(p, names)))
               for p in node.parents if p is not None]
        lines.append(f"{' '.join(_node_lines(node, True))} <- {', '.join(ins)}")
    return "\n".join(lines)


def _quote(text):
    """A DOT string: backslashes and quotes escaped, each newline a centred line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(tensor, params=None, show_saved=False, show_attrs=False, max_attr_chars=50):
    """Graphviz DOT source for tensor's graph (render with `dot -Tsvg` or `graph.render`).

    tensor: the output, or a tuple of outputs. params: `{name: tensor}`, e.g.
    `dict(model.named_parameters())`, to label leaves with their names (torchviz's `make_dot`).
    show_saved: draw each saved tensor as its own orange node (otherwise their shapes are
    written in the Function's box). show_attrs: list each Function's non-tensor attributes
    (dims, shapes, flags), cut to max_attr_chars. A backward frees the saved tensors
    (`retain_graph=True` keeps them) and fills the leaves' `.grad`, whose norms are shown.
    """
    outs = _outputs(tensor, "to_dot")
    names = _param_names(params, "to_dot")
    decl, edges, declared = [], [], set()

    def node(key, lines, colour=None):
        if key not in declared:
            declared.add(key)
            fill = f", fillcolor={colour}" if colour else ""
            decl.append(f"  {key} [label={_quote(chr(10).join(lines))}{fill}];")

    def source(p):          # the DOT id of what made tensor p: its Function, or p as a leaf
        if p._ctx is not None:
            return f"n{id(p._ctx)}"
        node(f"leaf{id(p)}", _leaf_lines(p, names), "lightblue")
        return f"leaf{id(p)}"

    for i, t in enumerate(outs):
        node(f"out{i}", ["output" if len(outs) == 1 else f"output {i}", _shape_dtype(t)], "darkolivegreen1")
        edges.append(f"  {source(t)} -> out{i};")
    for fn in _walk(outs):
        node(f"n{id(fn)}", _node_lines(fn, not show_saved, show_attrs, max_attr_chars))
        for p in fn.parents:
            if p is not None:
                edges.append(f"  {source(p)} -> n{id(fn)};")
        if show_saved:
            for j, s in enumerate(fn._saved):
                if not hasattr(s, "shape"):
                    continue
                role = next((f" (input {k}: {names[id(p)]})" if id(p) in names else f" (input {k})"
                             for k, p in enumerate(fn.parents) if p is not None and (s is p or s is p._data)), "")
                node(f"s{id(fn)}_{j}", [f"saved[{j}]{role}", _shape_dtype(s)], "orange")
                edges.append(f"  s{id(fn)}_{j} -> n{id(fn)} [dir=none];")
    head = ["digraph minigrad {",
            '  node [style=filled, shape=box, fontsize=10, height=0.2, fontname="monospace"];']
    return "\n".join(head + decl + edges + ["}"])


def _graphviz():
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(f'graph.render() needs the graphviz Python package, pip install "minigrad[graph]", '
                          f"and {_GRAPHVIZ}") from e
    if shutil.which("dot") is None:
        raise RuntimeError(f"graph.render(): `dot` was not found on PATH; it needs {_GRAPHVIZ}")
    return graphviz


def render(tensor, path, format="svg", params=None, show_saved=False, show_attrs=False):
    """Draw tensor's graph (see `to_dot` for the arguments) into the file `path` as SVG or PNG;
    returns path. Needs `pip install "minigrad[graph]"` and Graphviz's `dot` program."""
    if format not in ("svg", "png"):
        raise ValueError(f"graph.render(): format must be 'svg' or 'png', but got {format!r}")
    source = to_dot(tensor, params=params, show_saved=show_saved, show_attrs=show_attrs)
    image = _graphviz().Source(source).pipe(format=format)
    with open(path, "wb") as f:
        f.write(image)
    return os.fspath(path)
