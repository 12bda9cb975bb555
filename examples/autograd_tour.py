"""A guided tour of autograd in minigrad: run it top to bottom and read what each step prints.

    python examples/autograd_tour.py               # a few seconds
    python examples/autograd_tour.py --out tour    # also keeps graph.dot (+ graph.svg), trace.json

1. a graph is recorded as you compute        5. anomaly mode finds the op that made a NaN
2. the graph as a picture (DOT, Graphviz)    6. a profiler shows where a training step's time goes
3. hooks watch gradients flow back           7. gradients of gradients: a Hessian-vector product,
4. your own op, gradchecked twice               checked against finite differences
"""
import argparse
import os
import tempfile
import time
import warnings

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import Function, functional, graph, gradcheck, gradgradcheck, profiler


def step(title):
    print(f"\n{'=' * 8} {title} {'=' * (70 - len(title))}")


def recorded_graph():
    step("1. A graph is recorded as you compute")
    minigrad.manual_seed(0)
    w = minigrad.randn(3, 2, requires_grad=True)
    b = minigrad.zeros(2, requires_grad=True)
    x = minigrad.randn(4, 3)                      # data: no requires_grad, so no gradient for it
    y = (x @ w + b).tanh()
    loss = y.pow(2).mean()
    print("loss.grad_fn:", loss.grad_fn)
    print("its inputs (next_functions):", loss.grad_fn.next_functions)
    print("Every op that touched a tensor requiring grad left a node; leaves are the parameters:")
    print(graph.describe(loss, params={"w": w, "b": b}))
    return loss, {"w": w, "b": b}


def picture(loss, params, out_dir):
    step("2. The graph as a picture")
    dot = graph.to_dot(loss, params=params, show_saved=True)
    path = os.path.join(out_dir, "graph.dot")
    with open(path, "w") as f:
        f.write(dot)
    print(f"DOT source ({len(dot.splitlines())} lines) written to {path}; its first lines:")
    print("\n".join(dot.splitlines()[:6]))
    try:
        svg = graph.render(loss, os.path.join(out_dir, "graph.svg"), format="svg", params=params,
                           show_saved=True)
        print(f"rendered with Graphviz to {svg}")
    except (ImportError, RuntimeError) as e:   # graphviz is an optional extra
        print(f"(not rendered: {e})")


def hooks(loss, params):
    step("3. Hooks watch gradients flow back")
    y = loss.grad_fn.next_functions[0][0]        # the node that made y ** 2
    print(f"backward visits {loss.grad_fn.name()} first, then {y.name()}, ... down to the leaves")
    y.register_prehook(lambda grad_outputs: print(f"  {y.name()} receives a gradient of norm "
                                                  f"{grad_outputs[0].norm().item():.4f}"))
    for name, p in params.items():
        p.register_hook(lambda g, name=name: print(f"  leaf {name} receives its gradient, norm "
                                                   f"{g.norm().item():.4f}"))
    loss.backward()
    print("after backward, .grad holds them:", {n: p.grad.shape for n, p in params.items()})


class Softsign(Function):
    """x / (1 + |x|), forward and backward side by side; backward is written with minigrad
    ops, so it can itself be differentiated (gradgradcheck)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1 + x.abs()) ** 2


def own_op():
    step("4. Your own op, checked against finite differences")
    x = minigrad.randn(5, dtype=minigrad.float64, requires_grad=True)
    print("gradcheck     (first derivatives vs central differences):", gradcheck(Softsign.apply, (x,)))
    print("gradgradcheck (second derivatives, through create_graph):", gradgradcheck(Softsign.apply, (x,)))


def anomaly():
    step("5. Anomaly mode names the op that made a NaN")
    minigrad.manual_seed(0)
    encoder = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 8))
    images = minigrad.randn(4, 1, 8, 8)
    images[1] = images[0]                           # a duplicated sample: the planted bug

    def pair_distance_loss():
        z = encoder(images)
        d = (z[0::2] - z[1::2]).pow(2).sum(dim=1).sqrt()   # sqrt'(0) is infinite
        return d.mean()

    with np.errstate(divide="ignore", invalid="ignore"):   # NumPy's own warnings would give the game away
        planted_nan(encoder, pair_distance_loss)


def planted_nan(encoder, pair_distance_loss):
    loss = pair_distance_loss()
    loss.backward()
    print("without anomaly mode the loss is", round(loss.item(), 4), "but the conv weight's gradient has",
          int(minigrad.isnan(encoder[0].weight.grad).sum().item()), "NaNs, and nothing says where they came from")
    encoder.zero_grad()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with minigrad.autograd.detect_anomaly():
                pair_distance_loss().backward()
        except RuntimeError as e:
            print("with detect_anomaly(), backward stops at once:", e)
    for w in caught:
        text = str(w.message)
        if "Traceback of forward call" in text:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            print("and it shows the line of *your* code that made that node:")
            print("\n".join("    " + ln for ln in lines[-3:]))
            break


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def profile_step(out_dir):
    step("6. Where the time of a LeNet training step goes")
    minigrad.manual_seed(0)
    model = lenet()
    opt = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.randn(64, 1, 28, 28), minigrad.randint(0, 10, (64,))

    def train_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    train_step()                                    # warm up: the first step allocates
    start = time.perf_counter()
    with profiler.profile() as prof:
        with profiler.record_function("train_step"):
            train_step()
    wall = time.perf_counter() - start
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    trace = os.path.join(out_dir, "trace.json")
    prof.export_chrome_trace(trace)
    print(f"wall time of the profiled step: {wall * 1e3:.1f} ms; a timeline for chrome://tracing or "
          f"ui.perfetto.dev: {trace}")


def hessian_vector_product():
    step("7. Gradients of gradients: a Hessian-vector product")
    minigrad.manual_seed(0)
    x, target = minigrad.randn(16, 3, dtype=minigrad.float64), minigrad.randn(16, dtype=minigrad.float64)
    w0 = minigrad.randn(3, dtype=minigrad.float64)
    v = minigrad.randn(3, dtype=minigrad.float64)

    def loss(w):
        return ((x @ w).tanh() - target).pow(2).mean()

    _, hv = functional.hvp(loss, w0, v)            # backward through a recorded backward
    print("H v by autograd (functional.hvp):      ", np.round(hv.numpy(), 8))

    def grad_at(w):
        w = w.detach().requires_grad_()
        g, = minigrad.autograd.grad(loss(w), w)
        return g
    eps = 1e-5
    fd = (grad_at(w0 + eps * v) - grad_at(w0 - eps * v)) / (2 * eps)
    print("H v by finite differences of gradients:", np.round(fd.numpy(), 8))
    print(f"largest difference: {np.abs(hv.numpy() - fd.numpy()).max():.2e}")
    w = w0.clone().requires_grad_()
    g, = minigrad.autograd.grad(loss(w), w, create_graph=True)
    print("the same by hand: g = grad(loss, w, create_graph=True) is itself recorded:", g.grad_fn)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="directory for graph.dot, graph.svg and trace.json (default: a temporary one)")
    args = parser.parse_args(argv)
    out_dir = args.out or tempfile.mkdtemp(prefix="minigrad-tour-")
    os.makedirs(out_dir, exist_ok=True)
    loss, params = recorded_graph()
    picture(loss, params, out_dir)
    hooks(loss, params)
    own_op()
    anomaly()
    profile_step(out_dir)
    hessian_vector_product()


if __name__ == "__main__":
    main()
