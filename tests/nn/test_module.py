"""Module registration, traversal, modes, repr, state_dict (torch keys), containers."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from tests.helpers import needs_torch, torch


class Affine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(np.ones((n, n), np.float32))
        self.bias = nn.Parameter(np.zeros(n, np.float32))
        self.register_buffer("count", minigrad.zeros(1))

    def forward(self, x):
        return x @ self.weight + self.bias

    def extra_repr(self):
        return f"n={self.weight.shape[0]}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Affine(2)
        self.body = nn.Sequential(Affine(2), nn.Identity(), Affine(2))
        self.scale = 3.0

    def forward(self, x):
        return self.body(self.a(x)) * self.scale


def test_registration_by_assignment():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["a.weight", "a.bias", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert len(list(net.parameters())) == 6
    assert [type(m).__name__ for m in net.children()] == ["Affine", "Sequential"]
    assert [n for n, _ in net.named_modules()] == ["", "a", "body", "body.0", "body.1", "body.2"]
    assert [n for n, _ in net.named_buffers()] == ["a.count", "body.0.count", "body.2.count"]
    assert net.scale == 3.0 and "scale" not in net._parameters


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1, np.float32))

    with pytest.raises(AttributeError, match="cannot assign parameter before Module.__init__"):
        Early()
    m = Affine(2)
    with pytest.raises(TypeError, match="cannot assign 'ndarray' object to parameter 'weight'"):
        m.weight = np.ones((2, 2))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        m.nothing


def test_train_eval_propagates():
    net = Net()
    assert net.training and net.body[0].training
    net.eval()
    assert not net.training and not net.body[2].training
    net.train()
    assert net.body[1].training


def test_zero_grad_and_forward():
    net = Net()
    out = net(minigrad.ones(1, 2))
    out.sum().backward()
    assert net.a.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_is_a_tree():
    assert repr(Net()) == (
        "Net(\n  (a): Affine(n=2)\n  (body): Sequential(\n    (0): Affine(n=2)\n    (1): Identity()\n"
        "    (2): Affine(n=2)\n  )\n)")


def test_state_dict_round_trip_and_errors():
    a, b = Net(), Net()
    for p in a.parameters():
        with minigrad.no_grad():
            p.copy_(np.random.default_rng(0).standard_normal(p.shape))
    sd = a.state_dict()
    assert list(sd) == ["a.weight", "a.bias", "a.count", "body.0.weight", "body.0.bias", "body.0.count",
                        "body.2.weight", "body.2.bias", "body.2.count"]
    assert isinstance(sd["a.weight"], minigrad.Tensor) and not sd["a.weight"].requires_grad
    b.load_state_dict(sd)
    for (ka, pa), (kb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    sd["a.weight"][...] = 0                    # as in torch, state_dict shares the module's memory
    assert not a.a.weight.detach().numpy().any()
    assert a.state_dict(keep_vars=True)["a.weight"] is a.a.weight
    assert list(a.state_dict(prefix="net."))[0] == "net.a.weight"
    bad = dict(sd)
    bad["extra"] = np.zeros(1)
    del bad["a.bias"]
    with pytest.raises(RuntimeError, match=r'(?s)Missing key\(s\) in state_dict: "a.bias".*Unexpected key\(s\) in state_dict: "extra"'):
        b.load_state_dict(bad)
    missing, unexpected = b.load_state_dict(bad, strict=False)
    assert missing == ["a.bias"] and unexpected == ["extra"]
    wrong = dict(sd)
    wrong["a.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for a.weight: copying a param with shape \(3, 3\)"):
        b.load_state_dict(wrong)


def test_sequential_and_module_list():
    seq = nn.Sequential(OrderedDict([("first", nn.Identity()), ("flat", nn.Flatten())]))
    assert seq(minigrad.ones(2, 3, 4)).shape == (2, 12)
    assert len(seq) == 2 and isinstance(seq[1], nn.Flatten) and len(seq[:1]) == 1
    ml = nn.ModuleList([Affine(2), Affine(2)])
    assert len(list(ml.parameters())) == 4 and len(ml) == 2


def test_flatten_like_torch():
    assert nn.Flatten()(minigrad.ones(2, 3, 4, 5)).shape == (2, 60)
    assert nn.Flatten()(minigrad.ones(0, 3, 4)).shape == (0, 12)
    assert nn.Flatten(0, 1)(minigrad.ones(2, 3, 4)).shape == (6, 4)
    with pytest.raises(IndexError):
        nn.Flatten()(minigrad.ones(3))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


@needs_torch
def test_state_dict_keys_and_shapes_match_torch_for_containers():
    t = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.Flatten())
    m = nn.Sequential(nn.BatchNorm2d(3), nn.Flatten())
    tsd = t.state_dict()
    msd = m.state_dict()
    assert list(tsd) == list(msd)
    for k in tsd:
        assert tuple(tsd[k].shape) == msd[k].shape
    m.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    t.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in m.state_dict().items()})
