"""Plot each activation (blue) and its derivative (red) on x in [-6, 6], one panel each.

The derivative is what minigrad's autograd computes (y.sum().backward() -> x.grad), not a
formula: the picture is a check of the backward kernels. RReLU is shown in training mode
(random slopes, so its derivative scatters in [lower, upper] for x <= 0) next to its eval slope.

    python examples/activation_curves.py --out activations.png
"""
import argparse
import sys

import numpy as np

import minigrad
import minigrad.nn as nn


def curves(points=601):
    """{name: (x, y, dy/dx)} for the six activations, derivatives from autograd."""
    minigrad.manual_seed(0)
    x_np = np.linspace(-6, 6, points, dtype=np.float32)
    layers = {"Sigmoid": nn.Sigmoid(), "Tanh": nn.Tanh(), "ReLU": nn.ReLU(),
              "LeakyReLU(0.1)": nn.LeakyReLU(0.1), "PReLU(init=0.25)": nn.PReLU(),
              "RReLU (train)": nn.RReLU().train()}
    out = {}
    for name, layer in layers.items():
        x = minigrad.tensor(x_np, requires_grad=True)
        y = layer(x)
        y.sum().backward()
        out[name] = (x_np, y.detach().numpy(), x.grad.numpy())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="activation_curves.png", help="PNG to write")
    parser.add_argument("--points", type=int, default=601, help="samples on [-6, 6]")
    args = parser.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'minigrad[examples]'); nothing plotted.")
        return 0
    data = curves(args.points)
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True)
    for ax, (name, (x, y, dy)) in zip(axes.ravel(), data.items()):
        ax.plot(x, y, color="tab:blue", label="f(x)")
        style = dict(s=2) if name.startswith("RReLU") else None
        if style:
            ax.scatter(x, dy, color="tab:red", label="f'(x) (autograd)", **style)
        else:
            ax.plot(x, dy, color="tab:red", label="f'(x) (autograd)")
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_title(name)
        ax.set_ylim(-1.6, 1.6 if "ReLU" not in name else 6.2)
    axes[0, 0].legend(loc="upper left")
    fig.suptitle("minigrad activations (blue) and their autograd derivatives (red)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
