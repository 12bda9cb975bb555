"""An autoencoder whose decoder un-pools with the encoder's max-pool indices.

MaxPool2d(return_indices=True) remembers where each maximum came from; MaxUnpool2d puts values
back exactly there. Trained on the bundled 8x8 digits; prints the reconstruction error falling
and saves a PNG grid (inputs on top, reconstructions below) when matplotlib is installed.
"""
import argparse
import os
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, load_digits, train_test_split


class UnpoolAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(1, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2, return_indices=True)      # 16x8x8 -> 16x4x4 + where the maxima were
        self.code = nn.Conv2d(16, 8, 3, padding=1)              # bottleneck: 8x4x4 = 128 numbers
        self.expand = nn.Conv2d(8, 16, 3, padding=1)
        self.unpool = nn.MaxUnpool2d(2)                         # 16x4x4 -> 16x8x8 at the remembered places
        self.dec = nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, x):
        h, idx = self.pool(F.relu(self.enc(x)))
        z = F.relu(self.code(h))
        h = F.relu(self.expand(z))
        return F.sigmoid(self.dec(self.unpool(h, idx)))


def save_grid(x, recon, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no image grid; pip install -e '.[examples]')")
        return
    n = len(x)
    fig, axes = plt.subplots(2, n, figsize=(1.2 * n, 2.8))
    for i in range(n):
        for row, img in ((0, x[i, 0]), (1, recon[i, 0])):
            axes[row, i].imshow(img, cmap="gray_r", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("input", fontsize=8, loc="left")
    axes[1, 0].set_title("reconstruction", fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"image grid: {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="checkpoints")
    ap.add_argument("--max-batches", type=int, default=None)
    args = ap.parse_args(argv)

    minigrad.manual_seed(args.seed)
    images, _ = load_digits()
    train, test = train_test_split(len(images), 0.2, seed=args.seed)
    x_train, x_test = images[train][:, None], images[test][:, None]
    model = UnpoolAutoencoder()
    opt = minigrad.optim.Adam(model.parameters(), lr=args.lr)
    loader = DataLoader(TensorDataset(x_train), batch_size=args.batch_size, shuffle=True)

    def test_error():
        with minigrad.no_grad():
            return F.mse_loss(model(minigrad.tensor(x_test)), minigrad.tensor(x_test)).item()

    errors = [test_error()]
    print(f"epoch  0  test reconstruction MSE {errors[0]:.4f}")
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        for i, (xb,) in enumerate(loader):
            if args.max_batches is not None and i >= args.max_batches:
                break
            opt.zero_grad()
            loss = F.mse_loss(model(xb), xb)
            loss.backward()
            opt.step()
        errors.append(test_error())
        print(f"epoch {epoch:2d}  test reconstruction MSE {errors[-1]:.4f}  ({time.perf_counter() - t0:.2f} s)")
    os.makedirs(args.out, exist_ok=True)
    with minigrad.no_grad():
        recon = model(minigrad.tensor(x_test[:10])).numpy()
    save_grid(x_test[:10], recon, os.path.join(args.out, "unpool_autoencoder.png"))
    print(f"reconstruction MSE: {errors[0]:.4f} -> {errors[-1]:.4f}")
    return errors


if __name__ == "__main__":
    main()
