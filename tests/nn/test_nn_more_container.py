"""ModuleDict, ParameterList, ParameterDict, Unflatten: registration, state_dict keys, reprs
(torch's with "torch." -> "minigrad."), mapping/list behaviour, errors."""
import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from helpers import needs_torch, torch


def _containers(lib):
    return {
        "moduledict": lib.nn.ModuleDict({"a": lib.nn.Linear(1, 2), "b": lib.nn.ReLU()}),
        "paramlist": lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.ones(2, 3), 3]),
        "paramdict": lib.nn.ParameterDict({"x": lib.nn.Parameter(lib.ones(2)), "y": lib.ones(3, dtype=lib.float64)}),
        "nested": lib.nn.Sequential(lib.nn.ModuleDict({"enc": lib.nn.Linear(2, 2)}),
                                    lib.nn.Unflatten(1, (2, 1))),
    }


def test_containers_numpy_reference():
    c = _containers(minigrad)
    assert list(c["moduledict"].state_dict()) == ["a.weight", "a.bias"]
    assert list(c["paramlist"].state_dict()) == ["0", "1"]
    assert list(c["paramdict"].state_dict()) == ["x", "y"]
    assert list(c["nested"].state_dict()) == ["0.enc.weight", "0.enc.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in c["paramdict"].values())
    assert isinstance(c["paramlist"][1], nn.Parameter) and c["paramlist"][2] == 3
    assert len(list(c["moduledict"].parameters())) == 2


@needs_torch
@pytest.mark.parametrize("name", ["moduledict", "paramlist", "paramdict", "nested"])
def test_containers_match_torch(name):
    ours, theirs = _containers(minigrad)[name], _containers(torch)[name]
    assert repr(ours) == repr(theirs).replace("torch.", "minigrad.")
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(np.shape(v)) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_moduledict_mapping():
    d = nn.ModuleDict([("x", nn.Identity())])
    d["y"] = nn.ReLU()
    d.update({"z": nn.Tanh()})
    assert list(d) == ["x", "y", "z"] and len(d) == 3 and "y" in d
    assert list(d.keys()) == ["x", "y", "z"] and isinstance(d.pop("x"), nn.Identity)
    del d["y"]
    assert [k for k, _ in d.items()] == ["z"] and isinstance(list(d.values())[0], nn.Tanh)
    d.clear()
    assert len(d) == 0
    with pytest.raises(TypeError, match="is not a Module subclass"):
        d["bad"] = 3
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"):
        d.update([("a", nn.ReLU(), 1)])


def test_parameterlist_and_dict_behaviour():
    pl = nn.ParameterList()
    pl.append(minigrad.zeros(2)).extend([minigrad.ones(1)])
    assert len(pl) == 2 and pl[-1].shape == (1,)
    pl[0] = minigrad.full((3,), 2.0)
    assert pl[0].shape == (3,) and isinstance(pl[0], nn.Parameter)
    assert len(pl[0:1]) == 1
    with pytest.raises(IndexError, match="index 5 is out of range"):
        pl[5]
    assert [p.shape for p in pl] == [(3,), (1,)]
    pd = nn.ParameterDict()
    pd["w"] = minigrad.ones(2)
    assert pd.get("nope") is None and pd.setdefault("b", minigrad.zeros(1)).shape == (1,)
    assert list(pd) == ["w", "b"] and "w" in pd
    pd.pop("w")
    assert list(pd.keys()) == ["b"] and list(pd.state_dict()) == ["b"]
    pd.clear()
    assert len(pd) == 0


def test_unflatten():
    x = minigrad.tensor(np.arange(30.0).reshape(3, 10), requires_grad=True)
    y = nn.Unflatten(1, (2, 5))(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.arange(30.0).reshape(3, 2, 5))
    assert nn.Unflatten(-1, [2, -1])(x).shape == (3, 2, 5)
    y.sum().backward()
    assert x.grad.shape == (3, 10)
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[3, 4\] don't multiply up to the size of "
                                           r"dim 1 \(10\) in the input tensor"):
        nn.Unflatten(1, (3, 4))(x)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type float "
                                        "at pos 0"):
        nn.Unflatten(1, (2.0, 5))
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    assert repr(nn.Unflatten(-1, [2, 5])) == "Unflatten(dim=-1, unflattened_size=[2, 5])"
    if torch is not None:
        assert repr(torch.nn.Unflatten(-1, [2, 5])) == repr(nn.Unflatten(-1, [2, 5]))
        with pytest.raises(RuntimeError):
            torch.nn.Unflatten(1, (3, 4))(torch.zeros(3, 10))
        with pytest.raises(TypeError):
            torch.nn.Unflatten(1, (2.0, 5))


def _module_lists(lib):
    nn = lib.nn
    return [nn.ModuleList(), nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Tanh()]),
            nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.ReLU()) for _ in range(2)])]


def test_modulelist_repr_compresses_runs():
    empty, mixed, nested = _module_lists(minigrad)
    assert repr(empty) == "ModuleList()"
    assert repr(mixed).splitlines() == ["ModuleList(", "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)",
                                        "  (3-4): 2 x ReLU()", "  (5): Tanh()", ")"]
    assert "(0-1): 2 x Sequential(\n    (0): Linear" in repr(nested)
    if torch is not None:
        for ours, theirs in zip((empty, mixed, nested), _module_lists(torch)):
            assert repr(ours) == repr(theirs)
