"""Old-style PyTorch (0.3-era tutorials, still common in course notes): updates through .data,
gradient zeroing through .grad.data, the autograd tutorial's `while y.data.norm() < 1000`."""
import numpy as np
import torch


def main(init_state=None, steps=20):
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    print(y.shape, y.requires_grad, round(y.data.norm().item()))
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
    y.backward(v)
    print(x.grad)

    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((64, 5)), dtype=torch.float64)
    w_true = torch.tensor([[1.0], [-2.0], [0.5], [3.0], [0.0]], dtype=torch.float64)
    Y = X.mm(w_true) + 0.1
    w = torch.zeros(5, 1, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    lr = 0.05
    losses = []
    for _ in range(steps):
        loss = ((X.mm(w) + b - Y) ** 2).mean()
        loss.backward()
        w.data -= lr * w.grad.data
        b.data.add_(b.grad, alpha=-lr)
        w.grad.data.zero_()
        b.grad.data.zero_()
        losses.append(loss.item())
    print('w is a leaf:', w.is_leaf, 'requires grad:', w.requires_grad, 'grad is zero:', bool((w.grad == 0).all()))
    print('loss fell:', losses[-1] < losses[0] / 4)
    return {"losses": losses, "w": w.detach().numpy().ravel().tolist()}


if __name__ == '__main__':
    main()
