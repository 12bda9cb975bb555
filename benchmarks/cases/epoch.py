"""One epoch of examples/train_digits.py's model on the bundled 8×8 digits (1,437 training
images, batch 32, Adam), minigrad vs torch CPU from the same weights: framework overhead more
than arithmetic (BENCHMARKS.md: torch ~58 ms at t1 and t2)."""
import importlib.util
import os

import minigrad
import minigrad.nn.functional as F
from benchmarks.common import Case, check_loss_like_torch, torch
from minigrad.data import load_digits, train_test_split


def _digits_model():
    """examples/train_digits.py's lenet(8), loaded from the example itself."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "train_digits.py")
    spec = importlib.util.spec_from_file_location("_train_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lenet(8)


def _torch_digits_model():
    """The same layers in torch (the check compares the state dicts' names and shapes)."""
    n = torch.nn
    return n.Sequential(
        n.Conv2d(1, 16, 3, padding=1), n.ReLU(), n.MaxPool2d(2),
        n.Conv2d(16, 32, 3, padding=1), n.ReLU(), n.MaxPool2d(2),
        n.Flatten(), n.Linear(128, 64), n.ReLU(), n.Linear(64, 10))


def _digits_epoch_case(quick):
    x, y = load_digits()
    train, _ = train_test_split(len(x), 0.2, seed=0)
    x, y = x[train][:, None], y[train]
    if quick:
        x, y = x[:64], y[:64]
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, len(x), 32)]
    m_model = _digits_model()
    m_opt = minigrad.optim.Adam(m_model.parameters(), lr=2e-3)
    m_batches = [(minigrad.tensor(a), minigrad.tensor(b)) for a, b in batches]

    def mg():
        for xb, yb in m_batches:
            m_opt.zero_grad()
            F.cross_entropy(m_model(xb), yb).backward()
            m_opt.step()

    t = t_model = None
    if torch is not None:
        t_model = _torch_digits_model()
        t_model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m_model.state_dict().items()})
        t_opt = torch.optim.Adam(t_model.parameters(), lr=2e-3)
        t_batches = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in batches]

        def t():
            for xb, yb in t_batches:
                t_opt.zero_grad()
                torch.nn.functional.cross_entropy(t_model(xb), yb).backward()
                t_opt.step()

    def check():
        if t_model is not None:   # same layers as the example's model
            shapes = {k: tuple(v.shape) for k, v in m_model.state_dict().items()}
            assert shapes == {k: tuple(v.shape) for k, v in t_model.state_dict().items()}, shapes
        check_loss_like_torch(m_model, t_model, *batches[0], (0.0, 4.0))

    return Case("epoch", f"digits epoch ({len(x)} images, batch 32, Adam)", mg, None, t, check,
                no_numpy_twin="a whole training epoch (autograd + optimizer)")


def cases(quick=False):
    return [_digits_epoch_case(quick)]
