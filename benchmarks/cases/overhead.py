"""Framework overhead: what dominates toy-model training.

- a chain of 10 tiny element-wise ops on a 1-element tensor, forward + backward;
- one step of a small MLP (64-32-10, batch 16): zero_grad, forward, loss, backward, SGD step.
"""
import numpy as np

import minigrad
import minigrad.nn as nn
from benchmarks.common import Case, sgd_step_pair, torch


def _chain(mod, x):
    y = x
    for _ in range(5):
        y = y * 1.0001
        y = y + 0.5
    return y


def _tiny_chain_case():
    xm = minigrad.tensor([1.0], requires_grad=True)

    def mg():
        xm.grad = None
        _chain(minigrad, xm).sum().backward()

    t = None
    if torch is not None:
        xt = torch.tensor([1.0], requires_grad=True)

        def t():
            xt.grad = None
            _chain(torch, xt).sum().backward()

    def check():
        mg()
        ref = 1.0001 ** 5
        assert abs(xm.grad.item() - ref) < 1e-5, (xm.grad.item(), ref)

    return Case("overhead", "10 tiny ops fwd+bwd (1 element)", mg, None, t, check,
                no_numpy_twin="it times building and walking an autograd graph, which NumPy has not")


def _mlp_step_case(batch=16):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 64)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    m_model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    mg, t, _ = sgd_step_pair(m_model, lambda: torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)), x, y)
    xm = minigrad.tensor(x)

    def check():
        sd = {k: v.numpy() for k, v in m_model.state_dict().items()}
        h = np.maximum(x @ sd["0.weight"].T + sd["0.bias"], 0)
        logits = h @ sd["2.weight"].T + sd["2.bias"]
        with minigrad.no_grad():
            got = m_model(xm).numpy()
        np.testing.assert_allclose(got, logits, rtol=1e-4, atol=1e-5)

    return Case("overhead", f"MLP 64-32-10 step (batch {batch})", mg, None, t, check,
                no_numpy_twin="a whole training step (autograd + optimizer)")


def cases(quick=False):
    return [_tiny_chain_case(), _mlp_step_case()]
