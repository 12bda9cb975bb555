"""Bad checkpoints are refused with a clear error, a refused state_dict leaves the model exactly
as it was, and a save that fails midway keeps the previous checkpoint."""
import errno
import json
import os
import zipfile

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import serialization

REFUSED = "is not a valid minigrad checkpoint"


def _model(seed):
    minigrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _snapshot(model):
    return {k: np.array(getattr(v, "_data", v)) for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    after = _snapshot(model)
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    minigrad.save(_model(1).state_dict(), path)
    return path


def _entries(path):
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def _skeleton(entries):
    return json.loads(entries["__minigrad__"].tobytes().decode())


def _write(path, entries, skeleton=None):
    if skeleton is not None:
        entries = dict(entries, __minigrad__=np.frombuffer(json.dumps(skeleton).encode(), dtype=np.uint8))
    with open(path, "wb") as f:
        np.savez(f, **entries)


def _refused(path):
    """minigrad.load refuses the file with ValueError naming it, and a model given nothing is unchanged."""
    model = _model(2)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=REFUSED) as info:
        model.load_state_dict(minigrad.load(path))
    assert os.fspath(path) in str(info.value)
    _assert_unchanged(model, before)
    return str(info.value)


def _load_state_dict_refuses(state, match):
    model = _model(2)
    before = _snapshot(model)
    with pytest.raises(RuntimeError, match=match):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


# ***** foreign, empty, truncated files *****

@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, -1])
def test_truncated_file_is_refused(checkpoint, tmp_path, keep):
    data = checkpoint.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[:len(data) - 1] if keep == -1 else data[:int(len(data) * keep)])
    _refused(cut)


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _refused(path)


def test_random_bytes_behind_a_zip_signature_are_refused(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _refused(path)


def test_json_file_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "minigrad-checkpoint-2", "object": {"__dict__": []}}))
    _refused(path)


def test_zip_without_the_minigrad_entry_is_refused(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, weight=np.ones((4, 3), np.float32))
    assert "no minigrad header" in _refused(path)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "not a checkpoint")
    _refused(other)


def test_bare_npy_file_is_refused(tmp_path):
    path = tmp_path / "weight.npy"
    np.save(path, np.ones((4, 3), np.float32))
    _refused(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        minigrad.load(tmp_path / "nothing.npz")


# ***** edited skeletons *****

def test_unknown_format_is_refused(checkpoint):
    entries = _entries(checkpoint)
    _write(checkpoint, entries, dict(_skeleton(entries), format="minigrad-checkpoint-99"))
    assert "unknown format" in _refused(checkpoint)


@pytest.mark.parametrize("edit", ["array_missing", "unknown_node", "empty_node", "bad_dtype", "no_object",
                                  "not_pairs", "skeleton_not_json", "skeleton_a_list"])
def test_edited_skeleton_is_refused(checkpoint, edit):
    entries = _entries(checkpoint)
    skel = _skeleton(entries)
    pairs = skel["object"]["__odict__"]
    if edit == "array_missing":
        del entries["a0"]
    elif edit == "unknown_node":
        pairs[0][1] = {"__pickle__": "cos\nsystem\n"}
    elif edit == "empty_node":
        pairs[0][1] = {}
    elif edit == "bad_dtype":
        pairs[0][1] = {"__dtype__": "not-a-dtype"}
    elif edit == "no_object":
        del skel["object"]
    elif edit == "not_pairs":
        skel["object"]["__odict__"] = [1, 2, 3]
    if edit == "skeleton_not_json":
        entries["__minigrad__"] = np.frombuffer(b"{not json", dtype=np.uint8)
        _write(checkpoint, entries)
    elif edit == "skeleton_a_list":
        _write(checkpoint, entries, [1, 2])
    else:
        _write(checkpoint, entries, skel)
    _refused(checkpoint)


def test_tensor_entry_of_strings_is_refused(tmp_path):
    path = tmp_path / "tensors.npz"
    minigrad.save({"w": minigrad.ones(2, 3)}, path)
    entries = _entries(path)
    entries["a0"] = np.full((2, 3), "x")
    _write(path, entries)
    assert "which no Tensor holds" in _refused(path)


def test_array_entry_of_strings_is_refused(checkpoint):
    # state_dict entries are Tensors (as torch's), so load itself refuses the strings
    entries = _entries(checkpoint)
    entries["a0"] = np.full(entries["a0"].shape, "x")
    _write(checkpoint, entries)
    with pytest.raises(ValueError, match="which no Tensor holds"):
        minigrad.load(checkpoint)


def test_state_dict_of_strings_is_refused_by_load_state_dict():
    sd = {k: np.full(tuple(v.shape), "x") for k, v in _model(1).state_dict().items()}
    _load_state_dict_refuses(sd, "expected a Tensor or array of numbers")


# ***** a checkpoint that loads but does not fit the model: load_state_dict changes nothing *****

def test_wrong_shape_entry_leaves_the_model_unchanged(checkpoint):
    entries = _entries(checkpoint)
    last = max((k for k in entries if k != "__minigrad__"), key=lambda k: int(k[1:]))
    entries[last] = np.zeros(entries[last].shape + (2,), entries[last].dtype)   # the last one copied
    _write(checkpoint, entries)
    _load_state_dict_refuses(minigrad.load(checkpoint), "size mismatch for 2.bias")


def test_non_numeric_value_leaves_the_model_unchanged():
    state = _model(3).state_dict()
    state["2.bias"] = np.array(["a", "b"])     # the last entry: the others would be copied first
    _load_state_dict_refuses(state, 'While copying the parameter named "2.bias"')


def test_missing_and_unexpected_keys_leave_the_model_unchanged():
    state = _model(3).state_dict()
    del state["2.bias"]
    state["extra"] = minigrad.zeros(1)
    _load_state_dict_refuses(state, 'Missing key\\(s\\) in state_dict: "2.bias"')


def test_float64_checkpoint_is_converted_as_torch_copies(checkpoint):
    entries = _entries(checkpoint)
    for k in entries:
        if k != "__minigrad__":
            entries[k] = entries[k].astype(np.float64)
    _write(checkpoint, entries)
    model = _model(2)
    model.load_state_dict(minigrad.load(checkpoint))
    expected = _snapshot(_model(1))
    for k, v in _snapshot(model).items():
        assert v.dtype == np.float32
        np.testing.assert_allclose(v, expected[k])


# ***** interrupted saves keep the previous checkpoint *****

def _half_writer(exc):
    real = np.savez

    def savez(f, **entries):
        real(f, **entries)
        f.truncate(f.tell() // 2)      # half a file on disk, then the failure
        raise exc
    return savez


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk_full", "interrupt"])
def test_interrupted_save_keeps_the_previous_checkpoint(checkpoint, monkeypatch, exc):
    old = checkpoint.read_bytes()
    monkeypatch.setattr(serialization.np, "savez", _half_writer(exc))
    with pytest.raises(type(exc)):
        minigrad.save(_model(5).state_dict(), checkpoint)
    monkeypatch.undo()
    assert checkpoint.read_bytes() == old
    assert sorted(os.listdir(checkpoint.parent)) == ["model.npz"], "a temporary file was left behind"
    model = _model(2)
    model.load_state_dict(minigrad.load(checkpoint))
    _assert_unchanged(model, _snapshot(_model(1)))


def test_failed_fsync_keeps_the_previous_checkpoint(checkpoint, monkeypatch):
    old = checkpoint.read_bytes()

    def fsync(fd):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(serialization.os, "fsync", fsync)
    with pytest.raises(OSError, match="Input/output error"):
        minigrad.save(_model(5).state_dict(), checkpoint)
    monkeypatch.undo()
    assert checkpoint.read_bytes() == old
    assert sorted(os.listdir(checkpoint.parent)) == ["model.npz"]


def test_unsavable_object_leaves_no_file(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match="cannot store an object of type Linear"):
        minigrad.save({"model": nn.Linear(2, 2)}, path)
    assert os.listdir(tmp_path) == []


def test_map_location_errors_are_the_callers_not_the_files(tmp_path):
    path = tmp_path / "tensors.npz"
    minigrad.save({"w": minigrad.ones(2)}, path)

    def refuse(tensor, location):
        raise TypeError("my map_location refuses")
    with pytest.raises(TypeError, match="my map_location refuses"):
        minigrad.load(path, map_location=refuse)
