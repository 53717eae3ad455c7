"""ferrotorch.safetensors against the format and against the `safetensors` package itself."""
import json
import struct

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import safetensors as st

sn = pytest.importorskip("safetensors.numpy")
rust = pytest.importorskip("safetensors._safetensors_rust")

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]
NUMPY_DTYPES = [d for d in DTYPES if d != "bfloat16"]  # numpy has no bfloat16


def raw(t):
    return torch.Tensor.__reduce__(t.detach())[1][0]


def sample(dtype, shape, seed=0):
    a = np.asarray(np.random.default_rng(seed).standard_normal(shape) * 50)
    if dtype == "bool":
        return np.asarray(a > 0)
    return np.asarray(a.astype("float32" if dtype == "bfloat16" else dtype))


def tensors(dtype):
    t = lambda a: torch.tensor(a).to(getattr(torch, dtype))  # noqa: E731
    return {"m": t(sample(dtype, (3, 4))), "s": t(sample(dtype, ())), "e": t(sample(dtype, (2, 0)))}


@pytest.mark.parametrize("dtype", DTYPES)
def test_roundtrip_every_dtype(dtype, tmp_path):
    d = tensors(dtype)
    for out in [st.load(st.save(d)), (st.save_file(d, tmp_path / "x.safetensors")
                                      or st.load_file(tmp_path / "x.safetensors"))]:
        assert set(out) == set(d)
        for k, t in d.items():
            assert out[k].dtype == t.dtype and out[k].shape == t.shape and raw(out[k]) == raw(t)
    assert st.load_file(tmp_path / "x.safetensors", device=torch.device("cpu"))["m"].device.type == "cpu"
    if torch.cuda.is_available() and dtype != "bfloat16":
        on_gpu = st.load_file(tmp_path / "x.safetensors", device="cuda")
        assert all(t.is_cuda for t in on_gpu.values()) and raw(on_gpu["m"].cpu()) == raw(d["m"])
    elif not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            st.load_file(tmp_path / "x.safetensors", device="cuda")


def test_header_layout_and_metadata(tmp_path):
    d = {"b": torch.ones(3, dtype=torch.int8), "a": torch.arange(2.0, dtype=torch.float64), "c": torch.ones(2, 2)}
    blob = st.save(d, metadata={"format": "pt", "note": "é"})
    n = struct.unpack("<Q", blob[:8])[0]
    assert n % 8 == 0 and len(blob) == 8 + n + 3 + 16 + 16
    header = json.loads(blob[8:8 + n])
    assert header.pop("__metadata__") == {"format": "pt", "note": "é"}
    # Largest dtype first, so every tensor is aligned to its element size.
    assert header == {"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
                      "c": {"dtype": "F32", "shape": [2, 2], "data_offsets": [16, 32]},
                      "b": {"dtype": "I8", "shape": [3], "data_offsets": [32, 35]}}
    assert st.load_metadata(blob) == {"format": "pt", "note": "é"} and st.load_metadata(st.save(d)) is None
    st.save_file(d, str(tmp_path / "m.safetensors"), metadata={"k": "v"})
    with rust.safe_open(str(tmp_path / "m.safetensors"), framework="numpy") as f:
        assert f.metadata() == {"k": "v"} and sorted(f.keys()) == ["a", "b", "c"]


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_interop_with_the_safetensors_package(dtype, tmp_path):
    arrays = {k: sample(dtype, s, i) for i, (k, s) in enumerate([("m", (3, 4)), ("s", ()), ("e", (2, 0))])}
    # Theirs -> ours.
    sn.save_file(arrays, tmp_path / "np.safetensors")
    ours = st.load_file(tmp_path / "np.safetensors")
    for k, a in arrays.items():
        assert str(ours[k].dtype) == f"torch.{a.dtype}" and ours[k].shape == a.shape
        np.testing.assert_array_equal(ours[k].numpy(), a)
    # Ours -> theirs, and byte for byte the same file as theirs.
    d = {k: torch.tensor(a) for k, a in arrays.items()}
    st.save_file(d, tmp_path / "ft.safetensors", metadata={"k": "v"})
    back = sn.load_file(tmp_path / "ft.safetensors")
    for k, a in arrays.items():
        assert back[k].dtype == a.dtype
        np.testing.assert_array_equal(back[k], a)
    assert st.save(d, {"k": "v"}) == sn.save(arrays, {"k": "v"})


def test_bfloat16_interop_compares_bytes():
    bits = (np.arange(-6, 6, dtype=np.float32) * 1.37).view(np.uint32) >> 16
    bits = bits.astype(np.uint16).reshape(3, 4)
    # Theirs -> ours: the package serializes raw bfloat16 bits.
    blob = rust.serialize({"w": rust.TensorSpec(dtype="bfloat16", shape=[3, 4], data_ptr=bits.ctypes.data,
                                                data_len=bits.nbytes)}, None)
    w = st.load(blob)["w"]
    assert w.dtype == torch.bfloat16 and w.shape == (3, 4) and raw(w) == bits.tobytes()
    np.testing.assert_array_equal(w.float().numpy(), (bits.astype(np.uint32) << 16).view(np.float32))
    # Ours -> theirs.
    [(name, info)] = rust.deserialize(st.save({"w": w}))
    assert name == "w" and info["dtype"] == "BF16" and list(info["shape"]) == [3, 4]
    assert bytes(info["data"]) == bits.tobytes()


def test_unsupported_dtype_from_the_package(tmp_path):
    sn.save_file({"u": np.arange(3, dtype=np.uint16)}, tmp_path / "u.safetensors")
    with pytest.raises(TypeError, match="no dtype for safetensors dtype U16"):
        st.load_file(tmp_path / "u.safetensors")


def test_save_errors():
    base = torch.arange(12.0).reshape(3, 4)
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        st.save({"t": torch.arange(12.0).reshape(3, 4).t()})
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        st.save({"a": base, "b": base[1]})
    with pytest.raises(ValueError, match="Expected a dict of \\[str, torch.Tensor\\]"):
        st.save([base])
    with pytest.raises(ValueError, match="Key `x` is invalid, expected torch.Tensor"):
        st.save({"x": np.zeros(2)})
    with pytest.raises(TypeError, match="'int' object cannot be converted to 'PyString'"):
        st.save({"a": base}, metadata={"k": 1})
    # Distinct empty tensors are not "shared" even if their storages have no address.
    assert set(st.load(st.save({"e1": torch.empty(0), "e2": torch.empty(0, 2)}))) == {"e1", "e2"}


def _blob(header, data=b""):
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + data


@pytest.mark.parametrize("blob,match", [
    (b"\x01\x00", "HeaderTooSmall"),
    (struct.pack("<Q", 10 ** 9) + b"{}", "HeaderTooLarge"),
    (struct.pack("<Q", 50) + b"{}", "InvalidHeaderLength"),
    (struct.pack("<Q", 2) + b"[]", "InvalidHeaderStart"),
    (struct.pack("<Q", 3) + b"{x}", "InvalidHeaderDeserialization"),
    (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12), "InvalidOffset"),
    (_blob({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "TensorInvalidInfo"),
    (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 9), "MetadataIncompleteBuffer"),
    (_blob({"a": {"dtype": "F32", "shape": [2]}}), "InvalidHeaderDeserialization"),
])
def test_load_rejects_malformed_buffers(blob, match):
    with pytest.raises(st.SafetensorError, match=match):
        st.load(blob)
    with pytest.raises(rust.SafetensorError):  # the reference implementation agrees these are invalid
        rust.deserialize(blob)
