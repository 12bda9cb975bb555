"""minigrad.save / minigrad.load with .safetensors and PyTorch's .pt: round trips, byte
compatibility with the safetensors package, torch's files read without torch (committed
fixtures), minigrad's files read by torch, and hostile or broken files refused."""
import io
import os
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import _safetensors, optim

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _optional(name):
    return pytest.importorskip(name, reason=f"{name} is not installed (optional, tests only)")


def _all_dtypes():
    rng = np.random.default_rng(0)
    return {"f32": rng.standard_normal((2, 3)).astype(np.float32), "f64": rng.standard_normal(4),
            "i64": np.arange(-3, 3), "i32": np.array([1, -2], np.int32), "i16": np.array([-300, 7], np.int16),
            "i8": np.array([-5, 6], np.int8), "u8": np.array([0, 255], np.uint8), "b": np.array([True, False]),
            "scalar": np.array(2.5, np.float32), "empty": np.zeros((0, 3), np.float32), "é名": np.ones(1, np.float32)}


def _model(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.ReLU(), lib.nn.Flatten(),
                             lib.nn.Linear(8, 3))


def _forward(model, x):
    model.eval()
    return model(x).detach().numpy()


# ***** safetensors *****
def test_safetensors_round_trip_every_dtype(tmp_path):
    arrays = _all_dtypes()
    tensors = {k: minigrad.tensor(v) for k, v in arrays.items()}
    tensors["transposed"] = minigrad.tensor(arrays["f32"]).t()   # non-contiguous: written C-ordered
    minigrad.save(tensors, tmp_path / "w.safetensors")
    back = minigrad.load(tmp_path / "w.safetensors")
    assert type(back) is OrderedDict and set(back) == set(tensors)
    for k, t in tensors.items():
        assert isinstance(back[k], minigrad.Tensor) and back[k].dtype == t.dtype
        np.testing.assert_array_equal(back[k].numpy(), t.numpy())


def test_safetensors_state_dict_loads_into_same_architecture(tmp_path):
    model = _model(minigrad)
    model(minigrad.randn(4, 1, 4, 4))   # BatchNorm statistics move off their defaults
    minigrad.save(model.state_dict(), str(tmp_path / "m.safetensors"))
    other = _model(minigrad)
    other.load_state_dict(minigrad.load(str(tmp_path / "m.safetensors")))
    x = minigrad.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(_forward(other, x), _forward(model, x))


def test_safetensors_refuses_what_it_cannot_hold(tmp_path):
    path = tmp_path / "x.safetensors"
    for obj, match in (([minigrad.ones(2)], "flat dict of tensors"), ({"a": {"b": minigrad.ones(2)}}, "'a' is a dict"),
                       ({"a": 1.5}, "'a' is a float"), ({1: minigrad.ones(1)}, "keys must be str"),
                       ({"h": np.ones(2, np.float16)}, "dtype float16")):
        with pytest.raises(TypeError, match=match):
            minigrad.save(obj, path)
        assert not path.exists()   # nothing half-written under the real name


def _st_bytes(arrays, metadata=None):
    buf = io.BytesIO()
    _safetensors.save(arrays, buf, metadata)
    return buf.getvalue()


def test_safetensors_layout_is_the_reference_writers():
    """Spelled out, so the format is pinned also where the package is absent."""
    raw = _st_bytes({"b": np.ones(1, np.float32), "a": np.arange(2), "c": np.array([True])})
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0 and raw[8:8 + n] == (
        b'{"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],'
        b'"data_offsets":[16,20]},"c":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}').ljust(n)
    assert raw[8 + n:] == np.arange(2).astype("<i8").tobytes() + np.float32(1).tobytes() + b"\x01"


@pytest.mark.parametrize("metadata", [None, {"format": "pt"}])
def test_safetensors_bytes_equal_the_package(metadata, tmp_path):
    st = _optional("safetensors.numpy")
    arrays = _all_dtypes()
    assert _st_bytes(arrays, metadata) == st.save(arrays, metadata=metadata)
    minigrad.save(arrays, tmp_path / "ours.safetensors")
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"))
    assert (tmp_path / "ours.safetensors").read_bytes() == (tmp_path / "theirs.safetensors").read_bytes()


def test_safetensors_cross_loading_with_the_package(tmp_path):
    st = _optional("safetensors.numpy")
    arrays = _all_dtypes()
    minigrad.save(arrays, tmp_path / "ours.safetensors")
    theirs = st.load_file(str(tmp_path / "ours.safetensors"))
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"))
    ours = minigrad.load(tmp_path / "theirs.safetensors")
    assert list(ours) == list(theirs)   # the same (file) order
    for k, v in arrays.items():
        np.testing.assert_array_equal(theirs[k], v)
        np.testing.assert_array_equal(ours[k].numpy(), v)
        assert theirs[k].dtype == v.dtype and ours[k].numpy().dtype == v.dtype


def test_safetensors_minigrad_to_torch_and_back(tmp_path):
    torch = _optional("torch")
    st_torch = _optional("safetensors.torch")
    model = _model(minigrad)
    model(minigrad.randn(4, 1, 4, 4))
    minigrad.save(model.state_dict(), tmp_path / "m.safetensors")
    tmodel = _model(torch)
    tmodel.load_state_dict(st_torch.load_file(str(tmp_path / "m.safetensors")))
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_forward(tmodel, torch.tensor(x)), _forward(model, minigrad.tensor(x)),
                               rtol=1e-5, atol=1e-6)
    st_torch.save_file(tmodel.state_dict(), str(tmp_path / "t.safetensors"))
    back = _model(minigrad)
    back.load_state_dict(minigrad.load(tmp_path / "t.safetensors"))
    np.testing.assert_array_equal(_forward(back, minigrad.tensor(x)), _forward(model, minigrad.tensor(x)))


def _header_file(header, data=b""):
    text = header if isinstance(header, bytes) else __import__("json").dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


_F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("raw, match", [
    (b"\x01\x00", "shorter than the 8-byte header"),
    (struct.pack("<Q", 10 ** 12) + b"{}", "header length"),
    (struct.pack("<Q", 40) + b"{}", "header length"),
    (_header_file(b"[1, 2]"), "not a JSON object"),
    (_header_file(b"{\"a\": "), "not valid UTF-8 JSON"),
    (_header_file(b"{\xff}"), "not valid UTF-8 JSON"),
    (_header_file(b'{"a":' + b'{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":'
                  b'{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', bytes(8)), "duplicate key"),
    (_header_file({"a": _F32x2}, bytes(4)), "cover 8 bytes of data, the file holds 4"),
    (_header_file({"a": _F32x2}, bytes(12)), "cover 8 bytes of data, the file holds 12"),
    (_header_file({"a": {**_F32x2, "shape": [3]}}, bytes(8)), "needs 12 bytes"),
    (_header_file({"a": {**_F32x2, "shape": [-2]}}, bytes(8)), "invalid shape"),
    (_header_file({"a": {**_F32x2, "data_offsets": [8, 0]}}, bytes(8)), "invalid data_offsets"),
    (_header_file({"a": {**_F32x2, "dtype": "F99"}}, bytes(8)), "unknown dtype"),
    (_header_file({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)), "exactly dtype, shape and data_offsets"),
    (_header_file({"a": _F32x2, "b": _F32x2}, bytes(16)), "overlaps or has a gap"),
    (_header_file({"a": _F32x2, "b": {**_F32x2, "data_offsets": [12, 20]}}, bytes(20)), "overlaps or has a gap"),
    (_header_file({"__metadata__": {"k": 1}, "a": _F32x2}, bytes(8)), "__metadata__"),
])
def test_corrupt_safetensors_is_refused(raw, match, tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        minigrad.load(path)


def test_safetensors_half_precision_is_refused_clearly(tmp_path):
    path = tmp_path / "h.safetensors"
    path.write_bytes(_header_file({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)))
    with pytest.raises(TypeError, match=r"'h' is stored as F16 \(float16\); minigrad computes in float32/float64"):
        minigrad.load(path)


def test_damaged_safetensors_never_crash_or_half_load(tmp_path):
    """Every truncation and many byte flips: a full result or ValueError/TypeError, nothing else."""
    raw = _st_bytes(_all_dtypes())
    rng = np.random.default_rng(0)
    damaged = [raw[:n] for n in range(0, len(raw), 7)]
    for _ in range(300):
        b = bytearray(raw)
        b[rng.integers(len(b))] = rng.integers(256)
        damaged.append(bytes(b))
    refused = 0
    for data in damaged:
        try:
            out = minigrad.load(io.BytesIO(data) if data[8:9] == b"{" else _named(data, tmp_path))
        except (ValueError, TypeError):
            refused += 1
            continue
        assert all(isinstance(v, minigrad.Tensor) for v in out.values())   # loaded: whole tensors only
    assert refused >= len(raw) // 7   # every truncation at least


def _named(data, tmp_path):
    path = tmp_path / "d.safetensors"
    path.write_bytes(data)
    return path


# ***** PyTorch .pt: reading torch's files *****
def _expected(prefix):
    with np.load(os.path.join(FIXTURES, "expected.npz")) as npz:
        return {k[len(prefix):]: npz[k] for k in npz.files if k.startswith(prefix)}


def test_torch_written_state_dict_fixture_loads_without_torch():
    sd = minigrad.load(os.path.join(FIXTURES, "torch_state_dict.pt"))
    want = _expected("sd/")
    assert type(sd) is OrderedDict and list(sd) == list(want)
    for k, v in want.items():
        assert isinstance(sd[k], minigrad.Tensor) and sd[k].numpy().dtype == v.dtype
        np.testing.assert_array_equal(sd[k].numpy(), v)
    assert sd["1.num_batches_tracked"].dtype == minigrad.int64 and sd["1.num_batches_tracked"].item() == 1
    model = _model(minigrad)
    model.load_state_dict(sd)
    np.testing.assert_array_equal(model[1].running_var.numpy(), want["1.running_var"])


def test_torch_written_mixed_fixture_loads_without_torch():
    d = minigrad.load(os.path.join(FIXTURES, "torch_mixed.pt"))
    for k, v in _expected("mixed/").items():
        got = d[k].detach().numpy()
        assert got.dtype == v.dtype and got.flags.c_contiguous, k
        np.testing.assert_array_equal(got, v, err_msg=k)
    np.testing.assert_array_equal(d["w_t"].numpy(), d["w"].numpy().T)   # transposed view of a shared storage
    assert d["w_again"] is d["w"]
    assert type(d["param"]) is nn.Parameter and d["param"].requires_grad
    assert d["dtype"] == minigrad.float64 and d["size"] == minigrad.Size([2, 3]) and d["epoch"] == 3
    adam = _expected("adam/")
    state = d["optimizer"]["state"]
    np.testing.assert_array_equal(state[4]["exp_avg_sq"].numpy(), adam["4/exp_avg_sq"])
    assert d["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_torch_optimizer_state_fixture_resumes_in_minigrad():
    d = minigrad.load(os.path.join(FIXTURES, "torch_mixed.pt"))
    model = _model(minigrad)
    model.load_state_dict(minigrad.load(os.path.join(FIXTURES, "torch_state_dict.pt")))
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(d["optimizer"])
    model(minigrad.randn(4, 1, 4, 4)).sum().backward()
    opt.step()
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())


def test_torch_live_state_dict_with_views_and_shared_storage(tmp_path):
    torch = _optional("torch")
    torch.manual_seed(0)
    tmodel = _model(torch)
    tmodel.train()
    tmodel(torch.randn(4, 1, 4, 4))
    sd = tmodel.state_dict()
    sd["extra.f64"] = torch.linspace(0, 1, 7, dtype=torch.float64)
    sd["extra.t"] = sd["4.weight"].t()
    sd["extra.col"] = sd["4.weight"][:, 3]
    sd["extra.alias"] = sd["0.weight"]
    torch.save(sd, tmp_path / "t.pt")
    got = minigrad.load(tmp_path / "t.pt")
    for k, v in sd.items():
        assert got[k].numpy().dtype == v.numpy().dtype, k
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)
    model = _model(minigrad)
    model.load_state_dict({k: v for k, v in got.items() if not k.startswith("extra.")})
    x = np.random.default_rng(2).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_forward(model, minigrad.tensor(x)), _forward(tmodel, torch.tensor(x)),
                               rtol=1e-5, atol=1e-6)


# ***** PyTorch .pt: minigrad's files *****
def test_minigrad_pt_layout_is_torchs(tmp_path):
    minigrad.save(_model(minigrad).state_dict(), tmp_path / "net.pt")
    raw = (tmp_path / "net.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "net.pt") as zf:
        names = zf.namelist()
        assert names[0] == "net/data.pkl" and "net/data/0" in names and "net/.data/serialization_id" in names
        assert zf.read("net/version") == b"3\n" and zf.read("net/byteorder") == b"little"
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename


def test_minigrad_pt_round_trip_keeps_types(tmp_path):
    w = minigrad.randn(3, 4)
    obj = {"w": w, "w_t": w.t(), "same": w, "p": nn.Parameter(minigrad.ones(2)), "dt": minigrad.float64,
           "size": minigrad.Size([2, 3]), "lr": np.float64(0.5), "nested": [1, (2, None), {"a": True}], 3: "k",
           "od": OrderedDict(b=minigrad.tensor([1, 2], dtype=minigrad.int32)), "arr": np.arange(3)}
    back = minigrad.load(_save(obj, tmp_path / "o.pt"))
    assert back["same"] is back["w"] and type(back["p"]) is nn.Parameter and back["p"].requires_grad
    np.testing.assert_array_equal(back["w_t"].numpy(), w.numpy().T)
    assert back["dt"] == minigrad.float64 and back["size"] == (2, 3) and type(back["size"]) is minigrad.Size
    assert back["lr"] == 0.5 and type(back["lr"]) is float   # NumPy scalars are written as Python numbers
    assert back["nested"] == [1, (2, None), {"a": True}] and back[3] == "k" and type(back["od"]) is OrderedDict
    assert back["od"]["b"].dtype == minigrad.int32
    assert isinstance(back["arr"], minigrad.Tensor)   # arrays become tensors, as torch holds no arrays
    for bad in ({"f": lambda: 0}, {"s": {1, 2}}, {"m": nn.Linear(2, 2)}):
        with pytest.raises(TypeError, match="cannot store an object of type"):
            minigrad.save(bad, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def _save(obj, path):
    minigrad.save(obj, path)
    return path


def test_minigrad_pt_loads_in_torch_weights_only(tmp_path):
    torch = _optional("torch")
    model = _model(minigrad)
    model(minigrad.randn(4, 1, 4, 4))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(minigrad.randn(4, 1, 4, 4)).sum().backward()
    opt.step()
    sd = model.state_dict()
    w = minigrad.tensor(sd["4.weight"])
    minigrad.save({"model": sd, "optimizer": opt.state_dict(), "w": w, "w_t": w.t(), "dt": minigrad.float32,
                   "epoch": 2}, tmp_path / "ck.pt")
    ck = torch.load(tmp_path / "ck.pt", weights_only=True)
    tmodel = _model(torch)
    tmodel.load_state_dict(ck["model"])
    assert ck["model"]["1.num_batches_tracked"].dtype == torch.int64
    x = np.random.default_rng(3).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_forward(tmodel, torch.tensor(x)), _forward(model, minigrad.tensor(x)),
                               rtol=1e-5, atol=1e-6)
    assert ck["w_t"].untyped_storage().data_ptr() == ck["w"].untyped_storage().data_ptr()   # shared, as torch
    assert ck["dt"] is torch.float32 and ck["epoch"] == 2
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    topt.load_state_dict(ck["optimizer"])
    np.testing.assert_array_equal(topt.state_dict()["state"][0]["momentum_buffer"].numpy(),
                                  opt.state_dict()["state"][0]["momentum_buffer"])


# ***** PyTorch .pt: hostile and broken files *****
def _glob(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def _s(text):
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _i(n):
    return b"J" + struct.pack("<i", n)


def _tup(*items):
    return b"(" + b"".join(items) + b"t"


def _tensor(kind="FloatStorage", key="0", location="cpu", numel=4, offset=0, size=(2, 2), stride=(2, 1)):
    storage = _tup(_s("storage"), _glob("torch", kind), _s(key), _s(location), _i(numel)) + b"Q"
    args = _tup(storage, _i(offset), _tup(*map(_i, size)), _tup(*map(_i, stride)), b"\x89",
                _glob("collections", "OrderedDict") + b")R")
    return _glob("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def _pt(tmp_path, pkl, storages=None, name="x.pt"):
    storages = {"0": np.arange(4, dtype=np.float32).tobytes()} if storages is None else storages
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            zf.writestr(f"archive/data/{key}", data)
        zf.writestr("archive/version", "3\n")
    return path


def test_hand_built_pt_loads(tmp_path):
    """The helpers below build valid files, so the refusals that follow are about one change each."""
    d = minigrad.load(_pt(tmp_path, b"\x80\x02}" + _s("w") + _tensor() + b"s."))
    np.testing.assert_array_equal(d["w"].numpy(), [[0, 1], [2, 3]])
    d = minigrad.load(_pt(tmp_path, b"\x80\x02}" + _s("w") + _tensor(size=(2, 2), stride=(1, 2)) + b"s."))
    np.testing.assert_array_equal(d["w"].numpy(), [[0, 2], [1, 3]])


@pytest.mark.parametrize("module, name", [("os", "system"), ("posix", "system"), ("builtins", "eval"),
                                          ("builtins", "exec"), ("subprocess", "call"),
                                          ("torch", "load"), ("torch._utils", "_rebuild_device_tensor_from_numpy")])
def test_malicious_pickle_is_refused_and_runs_nothing(module, name, tmp_path):
    marker = tmp_path / "pwned"
    payload = _glob(module, name) + _tup(_s(f"open({str(marker)!r}, 'w').close()" if name in ("eval", "exec")
                                            else f"touch {marker}")) + b"R"
    for pkl in (b"\x80\x02" + payload + b".",                                              # the whole object
                b"\x80\x02}" + _s("w") + _tensor() + _s("x") + payload + b"u.",           # after a valid tensor
                b"\x80\x04\x8c" + bytes([len(module)]) + module.encode() + b"\x8c" + bytes([len(name)])
                + name.encode() + b"\x93" + _tup(_s(f"touch {marker}")) + b"R."):          # STACK_GLOBAL form
        for source in (lambda: _pt(tmp_path, pkl), lambda: io.BytesIO(_pt(tmp_path, pkl).read_bytes())):
            with pytest.raises(__import__("pickle").UnpicklingError, match=f"refusing to load the global {module}.{name}"):
                minigrad.load(source())
    assert not marker.exists()


@pytest.mark.parametrize("pkl, storages, exc, match", [
    (b"\x80\x02}" + _s("w") + _tensor(numel=5) + b"s.", None, ValueError, "storage 0 has 16 bytes"),
    (b"\x80\x02}" + _s("w") + _tensor(offset=1) + b"s.", None, ValueError, "reaches past its storage"),
    (b"\x80\x02}" + _s("w") + _tensor(stride=(3, 1)) + b"s.", None, ValueError, "reaches past its storage"),
    (b"\x80\x02}" + _s("w") + _tensor(size=(2,)) + b"s.", None, ValueError, "malformed tensor record"),
    (b"\x80\x02}" + _s("w") + _tensor(key="7") + b"s.", None, ValueError, "no item named 'archive/data/7'"),
    (b"\x80\x02}" + _s("w") + _tensor() + b"s", None, ValueError, "x.pt is not a valid PyTorch checkpoint"),
    (b"\x80\x02}" + _s("w") + _tensor(kind="HalfStorage") + b"s.", None, TypeError, "float16 tensors"),
    (b"\x80\x02}" + _s("w") + _tensor(kind="BFloat16Storage") + b"s.", None, TypeError, "bfloat16 tensors"),
    (b"\x80\x02}" + _s("w") + _tensor(location="cuda:0") + b"s.", None, RuntimeError,
     "Attempting to deserialize object on a CUDA device"),
])
def test_broken_pt_is_refused(pkl, storages, exc, match, tmp_path):
    with pytest.raises(exc, match=match):
        minigrad.load(_pt(tmp_path, pkl, storages))


def test_cuda_checkpoint_loads_with_map_location(tmp_path):
    path = _pt(tmp_path, b"\x80\x02}" + _s("w") + _tensor(location="cuda:0") + b"s.")
    np.testing.assert_array_equal(minigrad.load(path, map_location="cpu")["w"].numpy(), [[0, 1], [2, 3]])


def test_truncated_pt_is_refused(tmp_path):
    raw = open(os.path.join(FIXTURES, "torch_state_dict.pt"), "rb").read()
    for n in (0, 10, len(raw) // 2, len(raw) - 30):
        path = tmp_path / "t.pt"
        path.write_bytes(raw[:n])
        with pytest.raises(ValueError, match="is not a valid PyTorch checkpoint"):
            minigrad.load(path)
    flipped = bytearray(raw)
    flipped[raw.index(b"data.pkl") + 200] ^= 0xFF   # inside the pickle: the zip's CRC check fails
    (tmp_path / "f.pt").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="not a valid PyTorch checkpoint"):
        minigrad.load(tmp_path / "f.pt")
