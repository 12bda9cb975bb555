"""A tutorial-style CNN and MLP built from the new layers train identically (to float32
rounding) in minigrad and torch: same weights, same batches, three SGD steps."""
import numpy as np
import pytest

import minigrad
from helpers import needs_torch, torch


def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.SiLU(),
        nn.Conv2d(4, 6, 3, padding=1, padding_mode="reflect"), nn.GELU(), nn.MaxPool2d(2),
        nn.ConvTranspose2d(6, 4, 2, stride=2), nn.ELU(),
        nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Dropout(0.0),
        nn.Linear(16, 8), nn.LayerNorm(8), nn.Hardtanh(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))


def _mlp(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4, padding_idx=0)
            self.seq = nn.Conv1d(4, 5, 3, padding="same")
            self.bn = nn.BatchNorm1d(5)
            self.heads = nn.ModuleDict({"a": nn.Linear(5, 1), "b": nn.Linear(5, 1)})
            self.act = nn.Softplus()

        def forward(self, idx):
            h = self.emb(idx).transpose(1, 2)                  # (N, 4, L)
            h = lib.nn.functional.avg_pool1d(self.act(self.bn(self.seq(h))), 2)
            h = h.mean(2)
            return self.heads["a"](h) + lib.nn.functional.relu6(self.heads["b"](h))
    return Net()


def _train(lib, model, x, y, loss_fn):
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@needs_torch
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_tutorial_training_matches_torch(kind):
    rng = np.random.default_rng(0)
    make = _cnn if kind == "cnn" else _mlp
    theirs, ours = make(torch), make(minigrad)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    if kind == "cnn":
        x = rng.normal(size=(4, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, 3, 4)
        tx, ty, mx, my = torch.tensor(x), torch.tensor(y), minigrad.tensor(x), minigrad.tensor(y)
        losses = [_train(torch, theirs, tx, ty, torch.nn.NLLLoss()), _train(minigrad, ours, mx, my, minigrad.nn.NLLLoss())]
    else:
        x = rng.integers(0, 10, (6, 7))
        y = rng.uniform(0, 1, (6, 1)).astype(np.float32)
        tx, ty, mx, my = torch.tensor(x), torch.tensor(y), minigrad.tensor(x), minigrad.tensor(y)
        losses = [_train(torch, theirs, tx, ty, torch.nn.BCEWithLogitsLoss()),
                  _train(minigrad, ours, mx, my, minigrad.nn.BCEWithLogitsLoss())]
    np.testing.assert_allclose(losses[1], losses[0], rtol=2e-4, atol=1e-5)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-3, atol=1e-4, err_msg=k)
