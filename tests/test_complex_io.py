"""Complex tensors through the Python-side plumbing: torch.save/torch.load (round trips and a
checkpoint written by PyTorch), safetensors' C64, storages (ComplexFloatStorage, TypedStorage,
untyped bytes), DLPack with numpy, `Tensor.type()`, `finfo` and `dtype.to_real()/to_complex()`.
"""
import io
import pathlib
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close

# Written by PyTorch 2.15 itself (torch.manual_seed(0); torch.save of the dict below) with
#   obj = {"c64": randn(3, 4, complex64), "c64_t": c64.t(), "c64_row": c64[1, 1:],
#          "c128": randn(5, complex128), "scalar": tensor(3-4j, complex128),
#          "empty": zeros(0, 2, complex64), "special": tensor([nan+1j, 1+inf*j, -0.0-2.5j], complex64),
#          "grad": tensor([1+1j, -2j], requires_grad=True), "param": Parameter([[0.5-0.5j]] complex128),
#          "dtypes": [torch.complex64, torch.complex128, torch.cfloat]}
#   torch.save(obj, "complex.pt"); np.savez("complex.npz", **{k: v.detach().numpy() for tensors})
# complex.npz beside it holds the tensors' values as numpy arrays under the same keys.
CKPT = pathlib.Path(__file__).resolve().parent / "fixtures" / "torch_checkpoints"
TENSOR_KEYS = ["c64", "c64_t", "c64_row", "c128", "scalar", "empty", "special", "grad", "param"]


def cnp(shape, dtype=np.complex64, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.randn(*shape) + 1j * rng.randn(*shape)).astype(dtype)


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def host_values(t):
    """A numpy copy of a complex tensor on any device, read through its real view (the core's
    device-to-host copy of complex tensors is not available yet)."""
    parts = torch.view_as_real(t.detach()).cpu().numpy()
    return parts[..., 0] + 1j * parts[..., 1]


def assert_equal_values(t, expected):
    expected = np.asarray(expected)
    assert t.dtype == getattr(torch, expected.dtype.name) and tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(host_values(t), expected)


def same_memory(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


# ------------------------------------------------------------------------------------ save / load

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_save_load_round_trip(device, dtype):
    base_np = cnp((3, 4), dtype)
    base = torch.tensor(base_np, device=device)
    out = roundtrip({"base": base, "t": base.t(), "row": base[1, 1:], "scalar": base[2, 3],
                     "empty": torch.tensor(np.zeros((0, 2), dtype), device=device)})
    assert_equal_values(out["base"], base_np)
    assert_equal_values(out["t"], base_np.T)
    assert_equal_values(out["row"], base_np[1, 1:])
    assert_equal_values(out["scalar"], base_np[2, 3])
    assert_equal_values(out["empty"], np.zeros((0, 2), dtype))
    assert out["base"].device == base.device
    # Views of one storage share it again, with the saved geometry.
    assert same_memory(out["t"], out["base"]) and same_memory(out["row"], out["base"])
    assert out["t"].stride() == (1, 4) and out["row"].storage_offset() == 5


def test_save_writes_pytorchs_complex_storage_names():
    buf = io.BytesIO()
    values = np.array([1 + 2j, -3.5 - 0.25j], np.complex64)
    torch.save({"a": torch.tensor(values), "b": torch.tensor(values.astype(np.complex128)),
                "d": torch.complex128}, buf)
    with zipfile.ZipFile(buf) as zf:
        pkl = zf.read("archive/data.pkl")
        assert b"ctorch\nComplexFloatStorage\n" in pkl and b"ctorch\nComplexDoubleStorage\n" in pkl
        assert b"ctorch\ncomplex128\n" in pkl
        # Storage bytes are numpy's interleaved (real, imaginary) layout.
        assert zf.read("archive/data/0") == values.tobytes()
        assert zf.read("archive/data/1") == values.astype(np.complex128).tobytes()


def test_round_trip_keeps_requires_grad_parameters_and_dtypes():
    z = torch.tensor(cnp((2,)), requires_grad=True)
    p = torch.nn.Parameter(torch.tensor(cnp((2, 2), np.complex128)))
    out = roundtrip({"z": z, "p": p, "dtypes": [torch.complex64, torch.complex128]})
    assert out["z"].requires_grad and out["z"].dtype == torch.complex64
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].dtype == torch.complex128
    assert_close(out["p"], p.detach().numpy())
    assert out["dtypes"] == [torch.complex64, torch.complex128]


needs_fixture = pytest.mark.skipif(not (CKPT / "complex.pt").is_file(), reason="complex.pt fixture missing")


@needs_fixture
@pytest.mark.parametrize("weights_only", [True, False])
def test_load_checkpoint_written_by_pytorch(weights_only):
    out = torch.load(CKPT / "complex.pt", weights_only=weights_only)
    expected = np.load(CKPT / "complex.npz")
    for key in TENSOR_KEYS:
        assert_close(out[key], expected[key], rtol=0, atol=0)
    assert out["c64"].dtype == torch.complex64 and out["c128"].dtype == torch.complex128
    assert same_memory(out["c64_t"], out["c64"]) and same_memory(out["c64_row"], out["c64"])
    assert out["c64_t"].stride() == (1, 4) and out["c64_row"].storage_offset() == 5
    assert out["grad"].requires_grad and not out["c64"].requires_grad
    assert isinstance(out["param"], torch.nn.Parameter)
    assert out["dtypes"] == [torch.complex64, torch.complex128, torch.complex64]
    # The -0.0 real part survives (exact bytes, not just equal values).
    assert np.signbit(out["special"].numpy()[2].real)


@needs_fixture
@pytest.mark.parametrize("device", DEVICES)
def test_load_pytorch_checkpoint_onto_device(device):
    out = torch.load(CKPT / "complex.pt", map_location=device)
    expected = np.load(CKPT / "complex.npz")
    assert out["c64_t"].device.type == torch.device(device).type
    assert_equal_values(out["c64_t"], expected["c64_t"])
    assert_equal_values(out["c128"], expected["c128"])


class NotAllowed:
    """A class weights-only loading must refuse."""


def test_weights_only_still_refuses_other_globals():
    buf = io.BytesIO()
    torch.save({"z": torch.tensor(cnp((2,))), "x": NotAllowed()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(buf)


# ------------------------------------------------------------------------------------ safetensors

def test_safetensors_c64_round_trip():
    from ferrotorch import safetensors as st
    values = cnp((2, 3))
    blob = st.save({"z": torch.tensor(values), "f": torch.ones(2, dtype=torch.float64)})
    out = st.load(blob)
    assert out["z"].dtype == torch.complex64
    assert_close(out["z"], values, rtol=0, atol=0)


def test_safetensors_matches_the_package_byte_for_byte():
    sn = pytest.importorskip("safetensors.numpy")
    from ferrotorch import safetensors as st
    arrays = {"z": cnp((2, 2)), "a": np.ones(3, np.float32), "b": np.ones(1, np.float64), "c": np.arange(2)}
    ours = st.save({k: torch.tensor(v) for k, v in arrays.items()})
    assert ours == sn.save(arrays)
    assert_close(st.load(sn.save(arrays))["z"], arrays["z"], rtol=0, atol=0)
    np.testing.assert_array_equal(sn.load(ours)["z"], arrays["z"])


def test_safetensors_has_no_complex128():
    from ferrotorch import safetensors as st
    with pytest.raises(st.SafetensorError, match='Unknown dtype "complex128". Supported dtypes: .*complex64'):
        st.save({"z": torch.tensor(cnp((2,), np.complex128))})


# ------------------------------------------------------------------------------------ storages

@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # TypedStorage's deprecation warning
        yield


def test_legacy_complex_storage_classes(quiet):
    assert repr(torch.ComplexFloatStorage) == "<class 'torch.ComplexFloatStorage'>"
    assert torch.ComplexFloatStorage.dtype == torch.complex64
    assert torch.ComplexDoubleStorage.dtype == torch.complex128
    s = torch.ComplexFloatStorage([1 + 2j, 3])
    assert isinstance(s, torch.TypedStorage) and s.dtype == torch.complex64
    assert s.tolist() == [1 + 2j, 3 + 0j] and s.size() == 2 and s.element_size() == 8
    assert s.type() == "torch.ComplexFloatStorage"
    assert torch.ComplexDoubleStorage(3).tolist() == [0j, 0j, 0j]
    z = torch.tensor(np.array([1 + 2j, 3 - 1j], np.complex64))
    assert isinstance(z.storage(), torch.ComplexFloatStorage)
    assert not isinstance(z.storage(), torch.ComplexDoubleStorage)
    assert z.storage_type() is torch.ComplexFloatStorage
    assert z.to(torch.complex128).storage_type() is torch.ComplexDoubleStorage
    wrapped = torch.ComplexFloatStorage(wrap_storage=z.untyped_storage())
    assert wrapped.tolist() == [1 + 2j, 3 - 1j]


def test_typed_storage_reads_and_writes_the_tensor(quiet):
    z = torch.tensor(np.array([1 + 2j, 3 - 1j, 0.5j], np.complex128))
    s = z.storage()
    assert s.dtype == torch.complex128 and s.nbytes() == 48 and s[1] == 3 - 1j
    s[0] = 5 - 5j
    assert z.tolist()[0] == 5 - 5j
    s.fill_(1 + 1j)
    assert z.tolist() == [1 + 1j] * 3
    t = torch.TypedStorage([1j, 2], dtype=torch.complex64)
    assert t.tolist() == [1j, 2 + 0j]
    assert repr(t) == " 1j\n (2+0j)\n[torch.storage.TypedStorage(dtype=torch.complex64, device=cpu) of size 2]"


def test_storage_conversions_to_and_from_complex(quiet):
    z = torch.tensor(np.array([1 + 2j, 3 - 1j], np.complex64))
    assert z.storage().complex_double().dtype == torch.complex128
    assert z.storage().complex_double().tolist() == [1 + 2j, 3 - 1j]
    assert z.storage().float().tolist() == [1.0, 3.0]  # the real parts, as a cast to float
    f = torch.tensor([1.5, -2.0]).storage().complex_float()
    assert f.dtype == torch.complex64 and f.tolist() == [1.5 + 0j, -2 + 0j]
    u = torch.UntypedStorage([1, 2, 3]).complex_float()
    assert u.tolist() == [1 + 0j, 2 + 0j, 3 + 0j]


@pytest.mark.parametrize("device", DEVICES)
def test_untyped_storage_bytes_are_interleaved(device, quiet):
    values = np.array([1 + 2.5j, -3 - 0.1j], np.complex64)
    z = torch.tensor(values, device=device)
    u = z.untyped_storage()
    assert u.nbytes() == 16
    assert bytes(u.tolist()) == values.tobytes()
    assert same_memory(z[1:], z)
    assert z.storage().tolist() == values.tolist()
    assert z.storage()[1] == complex(values[1])
    assert z.storage().cpu().tolist() == values.tolist()
    assert z.storage().type() == ("torch." if device == "cpu" else "torch.cuda.") + "ComplexFloatStorage"


def test_set_from_untyped_storage_of_a_complex_tensor():
    z = torch.tensor(np.array([1 + 2j, 3 - 1j], np.complex64))
    out = torch.empty(0, dtype=torch.complex64).set_(z.untyped_storage(), 1, (1,), (1,))
    assert out.tolist() == [3 - 1j] and same_memory(out, z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        typed = z.storage()
    with pytest.raises(RuntimeError, match="Expected a Storage of type float or an UntypedStorage, but got type "
                                           "ComplexFloat for argument 1 'storage'"):
        torch.empty(0).set_(typed)


# ------------------------------------------------------------------------------------ DLPack

@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_dlpack_from_numpy_shares_memory(dtype):
    a = cnp((2, 3), dtype)
    t = torch.from_dlpack(a)
    assert t.dtype == getattr(torch, np.dtype(dtype).name)
    assert_close(t, a, rtol=0, atol=0)
    a[0, 1] = 9 - 9j
    assert t[0, 1].item() == 9 - 9j
    strided = torch.from_dlpack(a[:, ::2])
    assert strided.stride() == (3, 2)
    assert_close(strided, a[:, ::2], rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_dlpack_to_numpy_shares_memory(dtype):
    values = cnp((3, 2), dtype)
    t = torch.tensor(values)
    b = np.from_dlpack(t)
    assert b.dtype == dtype
    np.testing.assert_array_equal(b, values)
    b[2, 0] = 7j
    assert t[2, 0].item() == 7j
    bt = np.from_dlpack(t.t())
    np.testing.assert_array_equal(bt, b.T)


# ------------------------------------------------------------------------------------ dtypes

def test_tensor_type_strings():
    z = torch.tensor(cnp((2,)))
    assert z.type() == "torch.ComplexFloatTensor"
    assert z.to(torch.complex128).type() == "torch.ComplexDoubleTensor"
    assert z.type(torch.complex128).dtype == torch.complex128
    assert torch.tensor([1.0, 2.0]).type("torch.ComplexFloatTensor").tolist() == [1 + 0j, 2 + 0j]


def test_finfo_of_complex_is_finfo_of_its_parts():
    assert torch.finfo(torch.complex64) == torch.finfo(torch.float32)
    assert torch.finfo(torch.complex64).eps == np.finfo(np.complex64).eps
    assert torch.finfo(torch.complex128).max == np.finfo(np.complex128).max
    assert torch.finfo(torch.complex128).dtype == "float64"
    assert repr(torch.finfo(torch.complex64)) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)")
    with pytest.raises(TypeError, match="torch.iinfo\\(\\) requires an integer input type"):
        torch.iinfo(torch.complex64)


def test_dtype_to_real_and_to_complex():
    assert torch.complex64.to_real() == torch.float32
    assert torch.complex128.to_real() == torch.float64
    assert torch.float16.to_real() == torch.float16 and torch.int64.to_real() == torch.int64
    assert torch.float32.to_complex() == torch.complex64
    assert torch.float64.to_complex() == torch.complex128
    assert torch.complex64.to_complex() == torch.complex64
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Long"):
        torch.int64.to_complex()
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Bool"):
        torch.bool.to_complex()
    with pytest.raises(NotImplementedError, match="complex32"):
        torch.float16.to_complex()
