"""Look at a graph: `print(graph.describe(t))` for text, `graph.to_dot(t)` for Graphviz DOT.

Nodes are Functions (with the shapes of what they saved) and leaf tensors; edges run from
each input to the Function that consumed it, so the output is at the bottom.
"""


def _walk(tensor):
    """Yield (node, [(parent_label_key, parent)]) for every Function reachable from tensor."""
    if tensor._ctx is None:
        return
    stack, seen = [tensor._ctx], {id(tensor._ctx)}
    while stack:
        node = stack.pop()
        yield node
        for p in node.parents:
            if p is not None and p._ctx is not None and id(p._ctx) not in seen:
                seen.add(id(p._ctx))
                stack.append(p._ctx)


def _node_label(node):
    saved = ", ".join(str(tuple(s.shape)) for s in node._saved if hasattr(s, "shape"))
    return f"{node.name()}" + (f" saved: {saved}" if saved else "") + (" (freed)" if node._freed else "")


def _leaf_label(t):
    kind = "Parameter" if type(t).__name__ == "Parameter" else "leaf"
    return f"{kind} {tuple(t.shape)} {t._data.dtype}"


def describe(tensor):
    """One line per node, outputs first: `AddBackward <- MulBackward, leaf (3,) float32`."""
    lines = []
    if tensor._ctx is None:
        return _leaf_label(tensor)
    for node in _walk(tensor):
        ins = [(p._ctx.name() if p._ctx is not None else _leaf_label(p)) for p in node.parents if p is not None]
        lines.append(f"{_node_label(node)} <- {', '.join(ins)}")
    return "\n".join(lines)


def to_dot(tensor):
    """Graphviz DOT source for tensor's graph (render with `dot -Tpng`)."""
    out = ["digraph minigrad {", '  node [shape=box, fontname="monospace"];']
    out.append(f'  out [label="output {tuple(tensor.shape)}", shape=ellipse];')
    if tensor._ctx is None:
        out.append(f'  leaf{id(tensor)} [label="{_leaf_label(tensor)}", shape=ellipse];')
        out.append(f"  leaf{id(tensor)} -> out;")
    else:
        out.append(f"  n{id(tensor._ctx)} -> out;")
    for node in _walk(tensor):
        out.append(f'  n{id(node)} [label="{_node_label(node)}"];')
        for p in node.parents:
            if p is None:
                continue
            if p._ctx is None:
                out.append(f'  leaf{id(p)} [label="{_leaf_label(p)}", shape=ellipse];')
                out.append(f"  leaf{id(p)} -> n{id(node)};")
            else:
                out.append(f"  n{id(p._ctx)} -> n{id(node)};")
    out.append("}")
    return "\n".join(out)
