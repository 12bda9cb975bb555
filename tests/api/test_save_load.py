"""minigrad.save / minigrad.load as torch users call them: state dicts, optimizer states,
checkpoints, lone tensors; paths, PathLikes and file objects; types preserved; training resumes."""
import inspect
import io
import pathlib
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import optim


def _round_trip(obj, where="bytes", tmp_path=None, **load_kw):
    if where == "bytes":
        buf = io.BytesIO()
        minigrad.save(obj, buf)
        buf.seek(0)
        return minigrad.load(buf, **load_kw)
    path = tmp_path / "ckpt.pt"
    minigrad.save(obj, str(path) if where == "str" else path)
    return minigrad.load(str(path) if where == "str" else path, **load_kw)


def _types(obj):
    """The type tree of obj: containers, key types, leaf types."""
    if isinstance(obj, dict):
        return (type(obj).__name__, [(_types(k), _types(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_types(v) for v in obj])
    if hasattr(obj, "numpy") and hasattr(obj, "requires_grad"):
        return ("Tensor", str(obj.dtype).replace("torch.", "").replace("minigrad.", ""), tuple(obj.shape))
    return type(obj).__name__


def _checkpoint(lib):
    w = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    return {"model": OrderedDict([("fc.weight", w), ("fc.bias", lib.tensor([0.5, -0.5]))]),
            "optimizer": {"state": {0: {"step": 3, "momentum_buffer": lib.tensor([1.0, 2.0])}, 1: {"step": 3}},
                          "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "eps": 1e-8,
                                            "weight_decay": 0, "maximize": None, "params": [0, 1]}]},
            "epoch": 7, "loss": float("inf"), "history": [1.5, 0.75], "labels": lib.tensor([1, 2, 3]),
            "shared": [w, w]}


@pytest.mark.parametrize("where", ["bytes", "str", "pathlike"])
def test_round_trip_keeps_structure_and_types(where, tmp_path):
    ck = _checkpoint(minigrad)
    back = _round_trip(ck, where, tmp_path)
    assert _types(back) == _types(ck)
    np.testing.assert_array_equal(back["model"]["fc.weight"].numpy(), [[1, 2], [3, 4]])
    assert back["optimizer"]["state"][0]["step"] == 3 and back["loss"] == float("inf")
    assert back["labels"].dtype == np.int64
    assert back["shared"][0] is back["shared"][1]   # sharing kept, as torch.save keeps it


def test_structure_matches_torch_round_trip():
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(_checkpoint(torch), buf)
    buf.seek(0)
    assert _types(_round_trip(_checkpoint(minigrad))) == _types(torch.load(buf))


def test_lone_tensor_list_parameter_and_arrays():
    t = minigrad.randn(3, 2)
    back = _round_trip(t)
    assert isinstance(back, minigrad.Tensor) and not back.requires_grad
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    lst = _round_trip([t, np.arange(3), np.float32(1.5), (1, "a", None), minigrad.float64])
    assert isinstance(lst[1], np.ndarray) and lst[2] == np.float32(1.5) and type(lst[2]) is np.float32
    assert lst[3] == (1, "a", None) and lst[4] == minigrad.float64
    p = _round_trip(nn.Parameter(minigrad.ones(2)))
    assert type(p) is nn.Parameter and p.requires_grad
    g = _round_trip(minigrad.ones(2, requires_grad=True))
    assert g.requires_grad and g.is_leaf


def _model():
    minigrad.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _train_step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                      lambda ps: optim.Adam(ps, lr=0.01)], ids=["sgd-momentum", "adam"])
def test_resumed_training_is_identical_to_uninterrupted(make_opt, tmp_path):
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 3, 16))
    model = _model()
    opt = make_opt(model.parameters())
    for _ in range(2):
        _train_step(model, opt, x, y)
    path = tmp_path / "ck.pt"
    minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, path)

    ck = minigrad.load(path)
    resumed = _model()
    resumed.load_state_dict(ck["model"])
    opt2 = make_opt(resumed.parameters())
    opt2.load_state_dict(ck["optimizer"])
    assert ck["epoch"] == 2
    for _ in range(3):
        assert _train_step(resumed, opt2, x, y) == _train_step(model, opt, x, y)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_model_state_dict_round_trip_loads():
    model = _model()
    sd = minigrad.load(_save_bytes(model.state_dict()))
    assert list(sd) == list(model.state_dict())
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    other.load_state_dict(sd)
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _save_bytes(obj):
    buf = io.BytesIO()
    minigrad.save(obj, buf)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("loc", ["cpu", {"cuda:0": "cpu"}, None])
def test_map_location_cpu(loc):
    back = minigrad.load(_save_bytes({"w": minigrad.ones(2)}), map_location=loc, weights_only=True)
    np.testing.assert_array_equal(back["w"].numpy(), [1, 1])


def test_map_location_callable_and_other_devices():
    seen = []
    minigrad.load(_save_bytes([minigrad.ones(2), minigrad.zeros(1)]), map_location=lambda t, loc: seen.append(loc))
    assert seen == ["cpu", "cpu"]
    for loc in ("cuda", "cuda:1", {"cpu": "cuda:0"}):
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
            minigrad.load(_save_bytes([1]), map_location=loc)


def test_unknown_objects_raise_type_error_naming_the_type():
    class Thing:
        pass

    for obj, name in ((Thing(), "Thing"), ({"m": nn.Linear(2, 2)}, "Linear"), ({1, 2}, "set")):
        with pytest.raises(TypeError, match=f"cannot store an object of type {name}"):
            minigrad.save(obj, io.BytesIO())


def test_signatures_match_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((minigrad.save, torch.save), (minigrad.load, torch.load)):
        a, b = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
        assert [(n, p.kind) for n, p in a.items()] == [(n, p.kind) for n, p in b.items()]


def test_missing_parent_folder(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        minigrad.save([1], pathlib.Path(tmp_path) / "nope" / "x.pt")
