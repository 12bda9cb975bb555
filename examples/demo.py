"""A tiny end-to-end demo: fit y = 3x - 2 + noise with minigrad's autograd and plain SGD."""
import time

import minigrad

minigrad.manual_seed(0)
x = minigrad.randn(256, 1)
y = 3 * x - 2 + 0.1 * minigrad.randn(256, 1)
w = minigrad.zeros(1, 1, requires_grad=True)
b = minigrad.zeros(1, requires_grad=True)

start = time.perf_counter()
for step in range(200):
    loss = ((x @ w + b - y) ** 2).mean()
    w.grad = b.grad = None
    loss.backward()
    with minigrad.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
print(f"w = {w.item():.3f}, b = {b.item():.3f}, loss = {loss.item():.4f}, "
      f"time: {time.perf_counter() - start:.2f} s")
