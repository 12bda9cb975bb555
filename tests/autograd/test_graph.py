"""graph.describe / to_dot / render naming parameters (torchviz's make_dot), checked by parsing the DOT."""
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.autograd import Function, graph

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def parse_dot(source):
    """{id: {attr: value}} and [(tail, head, attrs)] of a DOT digraph, asserting its structure:
    balanced braces, one statement per line, each node declared once, every edge end declared."""
    bare = _STRING.sub('""', source)
    assert bare.count("{") == bare.count("}") == 1 and bare.startswith("digraph") and bare.rstrip().endswith("}")
    nodes, edges = {}, []
    for line in source.splitlines()[1:-1]:
        line = line.strip()
        assert line.endswith(";"), line
        edge = re.fullmatch(r"(\w+) -> (\w+)(?: \[(.*)\])?;", line)
        decl = re.fullmatch(r"(\w+) \[(.*)\];", line)
        if edge:
            edges.append((edge[1], edge[2], edge[3] or ""))
        elif decl and decl[1] != "node":
            assert decl[1] not in nodes, f"node {decl[1]} declared twice"
            attrs = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[\w.]+)', decl[2]))
            if "label" in attrs:    # the label as the picture shows it
                attrs["label"] = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], attrs["label"][1:-1])
            nodes[decl[1]] = attrs
        else:
            assert decl, f"not a DOT statement: {line}"
    for tail, head, _ in edges:
        assert tail in nodes and head in nodes, (tail, head)
    return nodes, edges


def _by_colour(nodes, colour):
    return sorted(a["label"] for a in nodes.values() if a.get("fillcolor") == colour)


def _mlp():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = minigrad.randn(5, 4)
    return model, x, model(x).sum()


def _norm(t):
    return f"grad norm {np.linalg.norm(t.grad.numpy().astype(np.float64).ravel()):.4g}"


def test_leaves_named_by_params_with_shape_and_dtype():
    model, x, loss = _mlp()
    nodes, edges = parse_dot(graph.to_dot(loss, params=dict(model.named_parameters())))
    assert _by_colour(nodes, "lightblue") == ["0.bias\n(3,) float32", "0.weight\n(3, 4) float32",
                                             "2.bias\n(2,) float32", "2.weight\n(2, 3) float32"]
    assert _by_colour(nodes, "darkolivegreen1") == ["output\n() float32"]
    names = sorted(a["label"].split("\n")[0] for a in nodes.values() if "fillcolor" not in a)
    assert names == ["LinearBackward0", "LinearBackward0", "ReLUBackward0", "SumBackward0"]
    assert len(edges) == 4 + 3 + 1      # Linear, ReLU, Linear, Sum: 4 leaves, 3 between nodes, 1 to the output


def test_unnamed_leaves_and_parameters_keep_their_kind():
    model, x, _ = _mlp()
    x.requires_grad_()
    loss = model(x).sum()
    nodes, _ = parse_dot(graph.to_dot(loss, params={"0.weight": model[0].weight}))
    assert _by_colour(nodes, "lightblue") == ["0.weight\n(3, 4) float32", "Parameter\n(2, 3) float32",
                                             "Parameter\n(2,) float32", "Parameter\n(3,) float32",
                                             "leaf\n(5, 4) float32"]


def test_show_saved_draws_orange_nodes_with_shapes_and_dtypes():
    model, x, loss = _mlp()
    nodes, edges = parse_dot(graph.to_dot(loss, show_saved=True))
    saved = _by_colour(nodes, "orange")
    # Each Linear saves (input, weight), ReLU its (5, 3) output. The first Linear's input x needs
    # no grad, so it is no graph input and its saved copy cannot be named "input 0".
    assert saved == ["saved[0]\n(5, 3) float32", "saved[0]\n(5, 4) float32",
                     "saved[0] (input 0)\n(5, 3) float32", "saved[1] (input 1)\n(2, 3) float32",
                     "saved[1] (input 1)\n(3, 4) float32"]
    saved_edges = [e for e in edges if e[2] == "dir=none"]
    assert len(saved_edges) == 5 and all(nodes[t].get("fillcolor") == "orange" for t, _, _ in saved_edges)
    # Without show_saved the shapes are written in the Function's own box, as before.
    nodes, _ = parse_dot(graph.to_dot(loss))
    assert "ReLUBackward0\nsaved: (5, 3) float32" in [a["label"] for a in nodes.values()]


def test_gradient_norms_after_backward():
    model, x, loss = _mlp()
    params = dict(model.named_parameters())
    loss.backward(retain_graph=True)
    nodes, _ = parse_dot(graph.to_dot(loss, params=params, show_saved=True))
    leaves = {a["label"].split("\n")[0]: a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue"}
    assert sorted(leaves) == sorted(params)
    for name, p in params.items():
        assert leaves[name].endswith("\n" + _norm(p)), leaves[name]
    saved = _by_colour(nodes, "orange")               # retained, and named where they are parameters
    assert len(saved) == 5 and "saved[1] (input 1: 2.weight)\n(2, 3) float32" in saved
    loss.backward()                                    # frees the saved tensors, doubles the grads
    nodes, _ = parse_dot(graph.to_dot(loss, params=params, show_saved=True))
    assert not _by_colour(nodes, "orange")
    assert all(a["label"].endswith("(freed)") for a in nodes.values() if "fillcolor" not in a)
    assert sorted(a["label"].split("\n")[2] for a in nodes.values() if a.get("fillcolor") == "lightblue") == \
        sorted(_norm(p) for p in params.values())


def test_describe_takes_params():
    model, x, loss = _mlp()
    params = dict(model.named_parameters())
    text = graph.describe(loss, params=params)
    assert "LinearBackward0 saved: (5, 3) float32, (2, 3) float32 <- ReLUBackward0, 2.weight (2, 3) float32, " \
           "2.bias (2,) float32" in text
    loss.backward()
    text = graph.describe(loss, params=params)
    assert f"0.weight (3, 4) float32 {_norm(model[0].weight)}" in text and "ReLUBackward0 (freed)" in text
    assert graph.describe(model[0].bias, params=params) == f"0.bias (3,) float32 {_norm(model[0].bias)}"


def test_show_attrs_lists_non_tensor_attributes_cut_to_max_attr_chars():
    x = minigrad.randn(3, 4, requires_grad=True)
    y = x.sum(dim=1, keepdim=True)
    nodes, _ = parse_dot(graph.to_dot(y, show_attrs=True))
    assert "SumBackward0\nshape: (3, 4)\naxes: (1,)\nkeepdim: True" in [a["label"] for a in nodes.values()]
    nodes, _ = parse_dot(graph.to_dot(y, show_attrs=True, max_attr_chars=5))
    assert "SumBackward0\nshape: (3...\naxes: (1,)\nkeepdim: True" in [a["label"] for a in nodes.values()]


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x, None)
        ctx.power = 3
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.saved_tensors
        return g * 3 * x ** 2


def test_custom_function_saved_tensors_and_attrs():
    x = minigrad.randn(2, dtype=minigrad.float64, requires_grad=True)
    nodes, _ = parse_dot(graph.to_dot(_Cube.apply(x), show_saved=True, show_attrs=True))
    assert _by_colour(nodes, "orange") == ["saved[0] (input 0)\n(2,) float64"]
    assert "_CubeBackward\npower: 3" in [a["label"] for a in nodes.values()]


def test_several_outputs_and_a_leaf_output_share_one_graph():
    w = nn.Parameter(minigrad.randn(3))
    a, b = (w * 2).exp(), (w * 2).sum()
    nodes, edges = parse_dot(graph.to_dot((a, b, w), params={"w": w}))
    assert _by_colour(nodes, "darkolivegreen1") == ["output 0\n(3,) float32", "output 1\n() float32",
                                                   "output 2\n(3,) float32"]
    assert _by_colour(nodes, "lightblue") == ["w\n(3,) float32"]        # declared once, used thrice
    assert sum(1 for t, _, _ in edges if t.startswith("leaf")) == 3
    assert graph.describe([a, w]).splitlines()[0] == "Parameter (3,) float32"


def test_names_with_quotes_backslashes_and_newlines_stay_valid_dot():
    w = nn.Parameter(minigrad.ones(2))
    name = 'a "b" \\c {d}\ne;'
    nodes, _ = parse_dot(graph.to_dot((w * w).sum(), params={name: w}))
    assert _by_colour(nodes, "lightblue") == [name + "\n(2,) float32"]


def test_tied_parameter_gets_every_name():
    w = nn.Parameter(minigrad.ones(2))
    nodes, _ = parse_dot(graph.to_dot((w * 3).sum(), params={"enc.w": w, "dec.w": w}))
    assert _by_colour(nodes, "lightblue") == ["enc.w, dec.w\n(2,) float32"]


@pytest.mark.parametrize("fn", [graph.to_dot, graph.describe])
def test_bad_arguments(fn):
    w = nn.Parameter(minigrad.ones(2))
    y = (w * 2).sum()
    with pytest.raises(TypeError, match=r"params must be a dict of name -> Tensor.*named_parameters.*list"):
        fn(y, params=[w])
    with pytest.raises(TypeError, match=r"params\['w'\] must be a Tensor, but got ndarray"):
        fn(y, params={"w": np.ones(2)})
    with pytest.raises(TypeError, match="expected a Tensor or a tuple of Tensors, but got ndarray"):
        fn(np.ones(2))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_dot_program_accepts_the_output():
    model, x, loss = _mlp()
    x.requires_grad_()
    loss = model(x).sum()
    params = dict(model.named_parameters())
    for source in (graph.to_dot(loss), graph.to_dot(loss, params=params, show_saved=True, show_attrs=True),
                   graph.to_dot(x), graph.to_dot((loss, x), params={'q"\\\n': x})):
        run = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=60)
        assert run.returncode == 0 and not run.stderr, run.stderr.decode()
        assert b"<svg" in run.stdout


# ---------------------------------------------------------------- render

def _loss():
    w = nn.Parameter(minigrad.ones(2))
    return (w * w).sum(), {"w": w}


def test_render_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)       # `import graphviz` raises ImportError
    loss, params = _loss()
    with pytest.raises(ImportError,
                       match=r'graphviz Python package, pip install "minigrad\[graph\]", and Graphviz\'s `dot`'):
        graph.render(loss, tmp_path / "g.svg", params=params)
    assert not (tmp_path / "g.svg").exists()


def test_render_without_dot_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", types.ModuleType("graphviz"))
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, _ = _loss()
    with pytest.raises(RuntimeError,
                       match=r"`dot` was not found on PATH; it needs Graphviz's `dot` program \(apt install graphviz"):
        graph.render(loss, tmp_path / "g.png", format="png")


def test_render_checks_format_first(tmp_path):
    loss, _ = _loss()
    with pytest.raises(ValueError, match="format must be 'svg' or 'png', but got 'pdf'"):
        graph.render(loss, tmp_path / "g.pdf", format="pdf")


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n")])
def test_render_writes_the_picture(tmp_path, fmt, magic):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    loss, params = _loss()
    loss.backward()
    path = tmp_path / f"graph.{fmt}"
    assert graph.render(loss, path, format=fmt, params=params, show_saved=True) == str(path)
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 200
    if fmt == "svg":
        assert b"grad norm 2.828" in data and b"MulBackward0" in data
