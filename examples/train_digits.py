"""Train a LeNet-style CNN on the 8x8 handwritten digits bundled with minigrad (or on MNIST).

    python examples/train_digits.py                    # digits, 15 epochs, prints test accuracy
    python examples/train_digits.py --data mnist:~/mnist --epochs 3
    python examples/train_digits.py --export lenet.onnx   # also an ONNX file (pip install -e '.[onnx]')

Writes a checkpoint (minigrad.save) and, when matplotlib is installed, a training-curve PNG.
"""
import argparse
import os
import sys
import time

import numpy as np

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import DataLoader, TensorDataset, load_digits, load_mnist, train_test_split

try:
    from tqdm import tqdm
except ImportError:   # tqdm is an optional extra: fall back to one line per epoch
    tqdm = None


def lenet(image_size):
    """Conv-ReLU-Pool twice, then two Linear layers; sized for 8x8 digits or 28x28 MNIST."""
    if image_size == 8:
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # 16 x 4 x 4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 32 x 2 x 2
            nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),          # 16 x 14 x 14
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),         # 32 x 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def load(spec, seed):
    """(x_train, y_train, x_test, y_test) as float32 (N, 1, H, W) and int64 labels."""
    if spec == "digits":
        x, y = load_digits()
        train, test = train_test_split(len(x), 0.2, seed=seed)
        x = x[:, None]
        return x[train], y[train], x[test], y[test]
    if spec.startswith("mnist:"):
        path = os.path.expanduser(spec[len("mnist:"):])
        xtr, ytr = load_mnist(path, "train")
        xte, yte = load_mnist(path, "test")
        return xtr[:, None], ytr, xte[:, None], yte
    raise SystemExit(f"--data must be 'digits' or 'mnist:PATH', got {spec!r}")


@minigrad.no_grad()
def accuracy(model, x, y, batch_size=512):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        logits = model(minigrad.tensor(x[i:i + batch_size]))
        correct += int((logits.argmax(1).numpy() == y[i:i + batch_size]).sum())
    model.train()
    return correct / len(x)


def plot_curves(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no training curve; pip install -e '.[examples]')")
        return
    epochs = [h["epoch"] for h in history]
    fig, ax1 = plt.subplots(figsize=(7, 4))
    ax1.plot(epochs, [h["loss"] for h in history], "o-", color="tab:blue", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("train loss", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(epochs, [100 * h["test_acc"] for h in history], "s-", color="tab:red", label="test accuracy")
    ax2.set_ylabel("test accuracy (%)", color="tab:red")
    ax1.set_title("minigrad LeNet: loss and test accuracy per epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"training curve: {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="digits", help="'digits' (bundled) or 'mnist:PATH' (IDX files)")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--threads", type=int, default=None, help="default: minigrad's (all cores)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="checkpoints", help="folder for the checkpoint and the curve PNG")
    ap.add_argument("--max-batches", type=int, default=None, help="stop each epoch early (smoke tests)")
    ap.add_argument("--export", metavar="MODEL.onnx", default=None,
                    help="after training, export the model to ONNX (needs pip install -e '.[onnx]')")
    args = ap.parse_args(argv)
    if args.export:
        try:
            import onnx  # noqa: F401  (checked before training, not after)
        except ImportError:
            raise SystemExit("--export needs the onnx package: pip install -e '.[onnx]'") from None

    if args.threads:
        minigrad.set_num_threads(args.threads)
    minigrad.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load(args.data, args.seed)
    model = lenet(x_train.shape[-1])
    if args.optimizer == "adam":
        opt = minigrad.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = minigrad.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    print(f"minigrad {minigrad.__version__}: {len(x_train)} train / {len(x_test)} test images "
          f"{x_train.shape[1:]}, {sum(p.numel() for p in model.parameters())} parameters, "
          f"{minigrad.get_num_threads()} threads")

    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        total, seen = 0.0, 0
        batches = loader if tqdm is None else tqdm(loader, desc=f"epoch {epoch}", leave=False, file=sys.stdout)
        for i, (xb, yb) in enumerate(batches):
            if args.max_batches is not None and i >= args.max_batches:
                break
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            seen += len(yb)
        train_time = time.perf_counter() - t0
        acc = accuracy(model, x_test, y_test)
        history.append({"epoch": epoch, "loss": total / max(seen, 1), "test_acc": acc, "time": train_time})
        print(f"epoch {epoch:2d}  loss {total / max(seen, 1):.4f}  test accuracy {100 * acc:.2f}%  "
              f"time {train_time:.2f} s")

    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "lenet_digits.npz" if args.data == "digits" else "lenet_mnist.npz")
    minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epochs": args.epochs}, ckpt)
    print(f"checkpoint: {ckpt}")
    plot_curves(history, os.path.join(args.out, "training_curve.png"))
    print(f"total training time: {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {100 * history[-1]['test_acc']:.2f}%")
    if args.export:
        export_onnx(model, x_test, args.export)
    return history


def export_onnx(model, x_test, path):
    """Write the model as ONNX with a dynamic batch dim; with onnxruntime installed, run the test
    set through it and print the largest difference from minigrad's logits."""
    minigrad.onnx.export(model, minigrad.tensor(x_test[:1]), path, input_names=["image"],
                         output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print(f"ONNX model: {path}")
    try:
        import onnxruntime
    except ImportError:
        print("(onnxruntime not installed: the ONNX file was not checked; pip install -e '.[onnx]')")
        return None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": x_test})[0]
    model.eval()
    with minigrad.no_grad():
        want = model(minigrad.tensor(x_test)).numpy()
    model.train()
    diff = float(np.abs(got - want).max())
    print(f"onnxruntime vs minigrad on the {len(x_test)} test images: max abs difference {diff:.2e}")
    return diff


if __name__ == "__main__":
    main()
