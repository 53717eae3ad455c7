"""ferrotorch.save / ferrotorch.load: PyTorch's zip checkpoint format, checked against files
written by PyTorch itself (the fixtures) and by round trips."""
import io
import os
import pathlib
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn

REPO = pathlib.Path(__file__).resolve().parent.parent
# Files written by PyTorch 2.13 itself (a copy of the team's shared fixtures lives in the repo, so
# CI on a bare clone tests them too); FERROTORCH_FIXTURES points elsewhere.
FIXTURES = pathlib.Path(os.environ.get("FERROTORCH_FIXTURES", REPO / "tests" / "fixtures"))
CKPT = FIXTURES / "torch_checkpoints"
needs_fixtures = pytest.mark.skipif(not CKPT.is_dir(), reason=f"PyTorch checkpoint fixtures not found at {CKPT} "
                                    "(set FERROTORCH_FIXTURES)")

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def raw(t):
    """A tensor's element bytes (row-major), for exact comparisons in any dtype."""
    return torch.Tensor.__reduce__(t.detach())[1][0]


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 50
    if dtype == "bool":
        return torch.tensor(a > 0)
    np_dtype = "float32" if dtype == "bfloat16" else dtype
    return torch.tensor(a.astype(np_dtype)).to(getattr(torch, dtype))


# ------------------------------------------------------------------------------ PyTorch's own files
@needs_fixtures
def test_fixture_mixed_matches_npz():
    d = torch.load(CKPT / "mixed.pt")
    ref = np.load(CKPT / "mixed.npz")
    for key in ref.files:
        obj = d
        for part in key.split("."):
            obj = obj[int(part)] if isinstance(obj, list) else obj[part]
        exp = ref[key]
        assert tuple(obj.shape) == exp.shape and str(obj.dtype) == f"torch.{exp.dtype}", key
        np.testing.assert_array_equal(obj.numpy(), exp)
    assert d["scalar"].dim() == 0 and d["empty"].shape == (0, 3)
    assert {k: v for k, v in d["nested"].items() if k != "list"} == {"epoch": 12, "name": "run-1", "lr": 0.01}


@needs_fixtures
def test_fixture_views_share_base_storage():
    d = torch.load(CKPT / "mixed.pt")
    base, vt, vs = d["base"], d["view_t"], d["view_slice"]
    assert vt._storage_id() == base._storage_id() == vs._storage_id()
    assert vt.stride() == (1, 6) and not vt.is_contiguous()
    assert vs.storage_offset() == 6 and vs.stride() == (6, 2)
    base.mul_(-1.0)
    np.testing.assert_array_equal(vt.numpy(), base.numpy().T)
    np.testing.assert_array_equal(vs.numpy(), base.numpy()[1:3, ::2])


@needs_fixtures
def test_fixture_bf16():
    w = torch.load(CKPT / "bf16.pt")["w"]
    assert w.dtype == torch.bfloat16 and w.shape == (4, 3)
    np.testing.assert_array_equal(w.float().numpy(), np.load(CKPT / "bf16.npz")["w_as_f32"])


@needs_fixtures
def test_fixture_mlp_state_dict_into_sequential():
    sd = torch.load(CKPT / "mlp_state_dict.pt")
    assert isinstance(sd, OrderedDict) and list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sd._metadata[""] == {"version": 1}
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    model.load_state_dict(sd)
    ref = np.load(CKPT / "mlp_state_dict.npz")
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    h = np.maximum(x @ ref["0.weight"].T + ref["0.bias"], 0)
    expected = h @ ref["2.weight"].T + ref["2.bias"]
    np.testing.assert_allclose(model(torch.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


class _Call(dict):
    """What a symbolic unpickler builds for a call: the callee's name, its args, items, state."""

    def __init__(self, name, args):
        super().__init__()
        self.name, self.args, self.state = name, args, None

    def __setstate__(self, state):
        self.state = state

    def __eq__(self, other):
        return (isinstance(other, _Call) and (self.name, self.args, self.state, dict(self))
                == (other.name, other.args, other.state, dict(other)))


class _Name(str):
    """A global, kept as its dotted name; calling it records the call."""

    def __call__(self, *args):
        return _Call(str(self), args)


def _symbolic(pkl):
    """The object tree a pickle describes, with every global and storage kept as names: two
    pickles that `torch.load` reads identically give equal trees."""
    class Sym(pickle.Unpickler):
        def find_class(self, module, name):
            return _Name(f"{module}.{name}")

        def persistent_load(self, pid):
            return ("persistent", pid)
    return Sym(io.BytesIO(pkl)).load()


def _records(path_or_buf):
    with zipfile.ZipFile(path_or_buf) as zf:
        names = zf.namelist()
        prefix = names[0].split("/")[0]
        return prefix, {n[len(prefix) + 1:]: zf.read(n) for n in names}


@needs_fixtures
@pytest.mark.parametrize("name", ["mixed", "mlp_state_dict", "bf16"])
def test_resaving_a_pytorch_file_writes_what_pytorch_wrote(name, tmp_path):
    out = tmp_path / f"{name}.pt"
    torch.save(torch.load(CKPT / f"{name}.pt"), out)
    _, theirs = _records(CKPT / f"{name}.pt")
    prefix, ours = _records(out)
    assert prefix == name  # the archive folder is the file's stem, as PyTorch names it
    assert set(ours) == set(theirs)
    for rec in set(theirs) - {"data.pkl", ".data/serialization_id"}:
        assert ours[rec] == theirs[rec], rec
    assert _symbolic(ours["data.pkl"]) == _symbolic(theirs["data.pkl"])


def test_storage_records_are_64_byte_aligned():
    buf = io.BytesIO()
    torch.save({"a": torch.arange(5.0), "b": torch.ones(3, dtype=torch.int8)}, buf)
    data = buf.getvalue()
    with zipfile.ZipFile(buf) as zf:
        for info in zf.infolist():
            sig, *_, name_len, extra_len = struct.unpack("<IHHHHHIIIHH", data[info.header_offset:][:30])
            assert sig == 0x04034B50
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
        assert zf.namelist()[0] == "archive/data.pkl"
        assert zf.read("archive/version") == b"3\n" and zf.read("archive/byteorder") == b"little"


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", DTYPES)
def test_roundtrip_every_dtype(dtype):
    d = {"m": sample(dtype, (3, 4)), "s": sample(dtype, ()), "e": sample(dtype, (0, 2))}
    out = roundtrip(d)
    for k, t in d.items():
        assert out[k].dtype == t.dtype and out[k].shape == t.shape
        assert raw(out[k]) == raw(t)


def test_views_stay_shared_after_load():
    base = torch.arange(24.0).reshape(4, 6)
    d = {"t": base.t(), "base": base, "slice": base[1:3, ::2], "row": base[2], "bcast": base[0].expand(3, 6)}
    out = roundtrip(d)
    ids = {v._storage_id() for v in out.values()}
    assert len(ids) == 1
    for k, v in d.items():
        assert out[k].stride() == v.stride() and out[k].storage_offset() == v.storage_offset(), k
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    out["base"].zero_()
    assert out["t"].abs().sum().item() == 0 and out["bcast"].abs().sum().item() == 0


def test_slice_saved_alone_keeps_its_whole_storage_and_offset():
    big = torch.arange(10, dtype=torch.int64)
    v = big[7:9]
    out = roundtrip(v)
    assert out.storage_offset() == 7 and out.untyped_storage_nbytes() == 80
    assert out.tolist() == [7, 8]


def test_same_object_twice_and_distinct_empty_tensors():
    t = torch.ones(2)
    e1, e2 = torch.empty(0), torch.empty(0, dtype=torch.int64)
    out = roundtrip([t, t, e1, e2])
    assert out[0] is out[1]
    assert out[2].dtype == torch.float32 and out[3].dtype == torch.int64


def test_parameters_and_requires_grad():
    p = nn.Parameter(torch.randn(3, 2))
    frozen = nn.Parameter(torch.ones(2), requires_grad=False)
    leaf = torch.zeros(2).requires_grad_()
    out = roundtrip({"p": p, "frozen": frozen, "leaf": leaf, "plain": torch.ones(1)})
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert raw(out["p"]) == raw(p)
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad
    assert type(out["leaf"]) is torch.Tensor and out["leaf"].requires_grad and out["leaf"].is_leaf
    assert not out["plain"].requires_grad


def test_nested_containers_and_python_values():
    obj = {"list": [1, 2.5, "x", None, True], "tuple": (torch.ones(2), (3, b"\x00\xffbytes")),
           "od": OrderedDict([("b", 1), ("a", torch.zeros(1))]), "set": {1, 2}, "frozenset": frozenset({3}),
           "complex": 1 + 2j, "bytearray": bytearray(b"ab"), "dtype": torch.bfloat16,
           "device": torch.device("cpu"), "size": torch.zeros(2, 3).shape, "big": 2 ** 70}
    out = roundtrip(obj)
    assert out["list"] == obj["list"] and out["tuple"][1] == obj["tuple"][1]
    assert out["tuple"][0].tolist() == [1.0, 1.0]
    assert isinstance(out["od"], OrderedDict) and list(out["od"]) == ["b", "a"]
    for k in ["set", "frozenset", "complex", "bytearray", "dtype", "device", "big"]:
        assert out[k] == obj[k] and type(out[k]) is type(obj[k]), k
    assert type(out["size"]) is torch.Size and out["size"] == (2, 3)


def test_module_state_dict_roundtrip(tmp_path):
    torch.manual_seed(0)
    src = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    path = tmp_path / "model.pth"
    torch.save(src.state_dict(), path)
    dst = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    dst.load_state_dict(torch.load(path))
    x = torch.randn(4, 3)
    assert raw(dst(x)) == raw(src(x))


def test_paths_and_file_objects(tmp_path):
    t = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    for target in [str(tmp_path / "a.pt"), tmp_path / "b.ckpt"]:
        torch.save(t, target)
        assert raw(torch.load(target)) == raw(t)
        assert torch.load(str(target)).shape == (2, 3)
    with open(tmp_path / "c.pt", "wb") as f:
        torch.save({"t": t}, f)
    with open(tmp_path / "c.pt", "rb") as f:
        assert raw(torch.load(f)["t"]) == raw(t)
    assert torch.load(tmp_path / "c.pt", mmap=True)["t"].tolist() == t.tolist()


def test_unseekable_streams():
    class Writer:
        def __init__(self):
            self.buf = io.BytesIO()

        def write(self, b):
            return self.buf.write(b)

        def flush(self):
            pass

    class Reader:
        def __init__(self, data):
            self._f = io.BytesIO(data)

        def read(self, n=-1):
            return self._f.read(n)

    w = Writer()
    torch.save({"x": torch.arange(3.0).t()}, w)
    assert torch.load(Reader(w.buf.getvalue()))["x"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("protocol", [2, 4, pickle.HIGHEST_PROTOCOL])
def test_pickle_protocols(protocol):
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2, dtype=torch.float16), "d": torch.int8}, buf, pickle_protocol=protocol)
    buf.seek(0)
    out = torch.load(buf)
    assert out["d"] is torch.int8 and out["w"].dtype == torch.float16


def test_big_endian_checkpoint_is_byteswapped():
    buf = io.BytesIO()
    t = torch.tensor([1.5, -2.0, 3.25], dtype=torch.float64)
    torch.save({"t": t}, buf)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("byteorder"):
                data = b"big"
            elif "/data/" in name:
                data = np.frombuffer(data, "<f8").astype(">f8").tobytes()
            zf.writestr(name, data)
    out.seek(0)
    assert torch.load(out)["t"].tolist() == [1.5, -2.0, 3.25]
