"""ferrotorch.load's options (weights_only, map_location, mmap, pickle_module) and its errors."""
import io
import os
import pickle
import struct
import types
import zipfile
from collections import OrderedDict

import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch import serialization


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


class MyTensor(torch.Tensor):
    pass


# ------------------------------------------------------------------------------------ weights_only
class Custom:
    def __init__(self, v=1):
        self.v = v


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_weights_only_rejects_arbitrary_classes():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(1), "obj": Custom()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"^Weights only load failed") as info:
        torch.load(buf)
    assert f"Unsupported global: GLOBAL {__name__}.Custom was not an allowed global by default" in str(info.value)
    buf.seek(0)
    out = torch.load(buf, weights_only=False)
    assert isinstance(out["obj"], Custom) and out["obj"].v == 1
    buf.seek(0)
    # An explicit pickle_module means a full load unless weights_only is asked for.
    assert isinstance(torch.load(buf, pickle_module=pickle)["obj"], Custom)
    buf.seek(0)
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        torch.load(buf, pickle_module=pickle, weights_only=True)


def test_weights_only_blocks_code_execution():
    buf = io.BytesIO()
    torch.save([Exploit()], buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os|nt)\.system was not an allowed"):
        torch.load(buf, weights_only=True)


def test_safe_globals_allowlist():
    buf = io.BytesIO()
    torch.save(Custom(5), buf)
    with serialization.safe_globals([Custom]):
        buf.seek(0)
        assert torch.load(buf).v == 5
    assert Custom not in serialization.get_safe_globals()
    serialization.add_safe_globals([Custom])
    try:
        buf.seek(0)
        assert torch.load(buf).v == 5
    finally:
        serialization.clear_safe_globals()
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(buf)


# ------------------------------------------------------------------------------------ map_location
def test_map_location_forms():
    t = torch.arange(4.0).reshape(2, 2).t()
    seen = []

    def fn(storage, loc):
        seen.append((loc, storage.dtype, storage.size()))
        return storage

    for ml in [None, "cpu", torch.device("cpu"), {"cpu": "cpu"}, {"cuda:1": "cpu"}, fn, lambda s, loc: None]:
        out = roundtrip({"t": t, "u": t[0]}, map_location=ml)
        assert out["t"].device == torch.device("cpu") and out["t"].tolist() == t.tolist()
        assert out["u"]._storage_id() == out["t"]._storage_id()
    assert seen == [("cpu", torch.float32, 4)]


def test_cuda_locations(monkeypatch):
    # A checkpoint from a GPU machine: its storages are tagged "cuda:0".
    monkeypatch.setattr(serialization, "_location_tag", lambda device: "cuda:0")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buf)
    monkeypatch.undo()
    for ml in ["cpu", {"cuda:0": "cpu"}, torch.device("cpu"), lambda s, loc: s.cpu()]:
        buf.seek(0)
        assert torch.load(buf, map_location=ml)["w"].tolist() == [1.0, 1.0, 1.0]
    for ml in [None, "cuda", {"cpu": "cpu"}]:  # stays on (or goes to) the GPU
        buf.seek(0)
        if torch.cuda.is_available():
            assert torch.load(buf, map_location=ml)["w"].is_cuda
        else:
            with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
                torch.load(buf, map_location=ml)


# ------------------------------------------------------------------------------------------- errors
def test_errors(tmp_path):
    x = torch.zeros(4)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        torch.save([x, x.view(torch.int32)], io.BytesIO())
    with pytest.raises(pickle.UnpicklingError, match="invalid load key, 'x'"):
        torch.load(io.BytesIO(b"xyz not a checkpoint"))
    with pytest.raises(RuntimeError, match="legacy"):
        torch.load(io.BytesIO(serialization._LEGACY_MAGIC + b"\x00" * 8))
    with pytest.raises(EOFError):
        torch.load(io.BytesIO(b""))
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        torch.load(io.BytesIO(b"PK"), mmap=True)
    with pytest.raises(FileNotFoundError):
        torch.load(tmp_path / "missing.pt")
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("data.pkl", b"")
    flat.seek(0)
    with pytest.raises(RuntimeError, match="file in archive is not in a subdirectory"):
        torch.load(flat)


def test_full_load_of_modules_and_tensor_subclasses():
    base = torch.arange(6.0)
    sub = MyTensor(base)
    sub.tag = "kept"
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    buf = io.BytesIO()
    torch.save({"sub": sub, "base": base, "model": model}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(buf)
    buf.seek(0)
    out = torch.load(buf, weights_only=False)
    assert type(out["sub"]) is MyTensor and out["sub"].tag == "kept"
    assert out["sub"]._storage_id() == out["base"]._storage_id()
    m = out["model"]
    assert isinstance(m, nn.Sequential) and type(m[0].weight) is nn.Parameter
    assert m[0].weight.tolist() == model[0].weight.tolist() and m[0].bias.tolist() == model[0].bias.tolist()


def test_pickle_module_with_a_python_pickler_is_used():
    calls = []

    class CountingPickler(pickle._Pickler):
        def save(self, obj, save_persistent_id=True):
            calls.append(type(obj))
            return super().save(obj, save_persistent_id)

    module = types.SimpleNamespace(Pickler=CountingPickler, Unpickler=pickle.Unpickler)
    buf = io.BytesIO()
    torch.save({"t": torch.ones(2), "d": torch.float16}, buf, pickle_module=module)
    assert dict in calls and torch.dtype in calls
    buf.seek(0)
    out = torch.load(buf, pickle_module=module)
    assert out["t"].tolist() == [1.0, 1.0] and out["d"] is torch.float16


class _V3Tensor:
    """Pickles as PyTorch pickles a tensor over an untyped storage (`_rebuild_tensor_v3`)."""

    def __init__(self, dtype, size):
        self.dtype, self.size = dtype, size

    def __reduce__(self):
        G = serialization._Global
        storage = serialization._StorageRef(("storage", G("torch", "UntypedStorage"), "0", "cpu", 8))
        return (G("torch._utils", "_rebuild_tensor_v3"),
                (storage, 0, self.size, (1,), False, OrderedDict(), self.dtype))


@pytest.mark.parametrize("dtype,size,expected", [(torch.float32, (2,), [1.5, -2.0]),
                                                 (torch.uint8, (3,), [0, 0, 192])])
def test_rebuild_tensor_v3_over_untyped_storage(dtype, size, expected):
    pkl = io.BytesIO()
    serialization._CheckpointPickler(pkl, 2).dump({"t": _V3Tensor(dtype, size)})
    buf = io.BytesIO()
    serialization._write_archive(buf, "archive", [("data.pkl", pkl.getvalue()), ("byteorder", b"little"),
                                                  ("data/0", struct.pack("<2f", 1.5, -2.0))])
    buf.seek(0)
    t = torch.load(buf)["t"]
    assert t.dtype == dtype and t.tolist() == expected
