"""Storage objects (`ferrotorch.storage`): UntypedStorage / TypedStorage over a tensor's memory, the
legacy storage classes, `Tensor.untyped_storage()` / `storage()` / `storage_type()`, `set_` from a
storage and `is_storage`. Byte values are checked against numpy's view of the same numbers."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, GPU_AVAILABLE

FLOATS = np.array([1.0, -2.5, 3.25, 0.0, 1e-3, 7.0], dtype=np.float32)


def float_bytes(values):
    return np.asarray(values, dtype=np.float32).view(np.uint8).tolist()


@pytest.fixture
def fresh_warning():
    """The TypedStorage warning is once per process: let it fire again in this test."""
    torch.storage._reset_warn_typed_storage_removal()
    yield
    torch.storage._reset_warn_typed_storage_removal()


# ----------------------------------------------------------------------------- UntypedStorage of a tensor

@pytest.mark.parametrize("device", DEVICES)
def test_untyped_storage_reads_the_tensor_bytes(device):
    t = torch.tensor(FLOATS, device=device)
    s = t.untyped_storage()
    assert isinstance(s, torch.UntypedStorage)
    assert s.nbytes() == s.size() == len(s) == 24
    assert s.element_size() == 1
    assert s.device == t.device and s.is_cuda == (device != "cpu")
    assert s.data_ptr() == t.data_ptr()
    assert s.tolist() == float_bytes(FLOATS)
    assert s[5] == float_bytes(FLOATS)[5] and s[-1] == float_bytes(FLOATS)[-1]
    assert s[4:8].tolist() == float_bytes(FLOATS)[4:8]
    assert s[-4:].tolist() == float_bytes(FLOATS)[-4:]
    assert s[3:1].nbytes() == 0 and s[:100].nbytes() == 24


@pytest.mark.parametrize("device", DEVICES)
def test_writes_through_the_storage_reach_the_tensor_and_back(device):
    t = torch.tensor(FLOATS, device=device)
    s = t.untyped_storage()
    expected = FLOATS.copy()
    raw = expected.view(np.uint8)
    s[7] = 63  # the high byte of element 1
    raw[7] = 63
    s[8:12] = 0  # element 2 becomes 0.0
    raw[8:12] = 0
    np.testing.assert_array_equal(t.cpu().numpy(), expected)
    t[0] = 2.5  # and the other way: a tensor write shows in the storage
    expected[0] = 2.5
    assert s.tolist() == float_bytes(expected)
    s.fill_(0)
    assert t.tolist() == [0.0] * 6
    s.copy_(torch.tensor(FLOATS).untyped_storage())
    assert t.tolist() == FLOATS.tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_byte_writes_wrap_modulo_256(device):
    s = torch.zeros(2, dtype=torch.int32, device=device).untyped_storage()
    s[0] = 300
    s[1] = -1
    s[2] = True
    assert s.tolist()[:3] == [44, 255, 1]
    assert s.fill_(-2).tolist() == [254] * 8


def test_a_storage_slice_aliases_its_parent():
    t = torch.tensor(FLOATS)
    s = t.untyped_storage()
    part = s[4:8]
    assert part.data_ptr() == s.data_ptr() + 4
    part[3] = 0  # the high byte of element 1 (-2.5 = 0xc0200000)
    assert t[1].item() == np.array([0x00200000], dtype=np.uint32).view(np.float32)[0]


@pytest.mark.parametrize("device", DEVICES)
def test_views_share_one_storage(device):
    t = torch.arange(12.0, device=device).reshape(3, 4)
    base = t.untyped_storage()
    for view in (t[1:], t[:, 2], t.T, t.view(-1)[5:7], t[2, 3]):
        s = view.untyped_storage()
        assert s.data_ptr() == base.data_ptr()
        assert s.nbytes() == 48
    assert t[1:].data_ptr() == base.data_ptr() + 16
    other = t.clone().untyped_storage()
    assert other.data_ptr() != base.data_ptr()


@pytest.mark.parametrize("device", DEVICES)
def test_zero_dim_and_empty_tensors(device):
    s = torch.tensor(3.0, device=device).untyped_storage()
    assert s.nbytes() == 4 and s.tolist() == float_bytes([3.0])
    empty = torch.empty(0, device=device).untyped_storage()
    assert empty.nbytes() == 0 and empty.tolist() == [] and len(empty) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage.size() warns, as in PyTorch
        assert torch.empty(0, device=device)._typed_storage().size() == 0


DTYPES = [("float32", np.float32), ("float64", np.float64), ("float16", np.float16), ("bfloat16", None),
          ("int64", np.int64), ("int32", np.int32), ("int16", np.int16), ("int8", np.int8),
          ("uint8", np.uint8), ("bool", np.bool_)]


@pytest.mark.parametrize("name,np_dtype", DTYPES)
def test_every_dtype_element_size_and_bytes(name, np_dtype):
    dtype = getattr(torch, name)
    t = torch.tensor([1, 0, 1], dtype=dtype)
    typed = t._typed_storage()
    itemsize = 2 if name == "bfloat16" else np.dtype(np_dtype).itemsize
    assert typed.element_size() == itemsize and typed.dtype == dtype
    assert typed.size() == 3 and typed.nbytes() == 3 * itemsize
    assert t.untyped_storage().nbytes() == 3 * itemsize
    if np_dtype is not None:
        assert t.untyped_storage().tolist() == np.array([1, 0, 1], dtype=np_dtype).view(np.uint8).tolist()
    assert typed.tolist() == t.tolist()


@pytest.mark.skipif(not GPU_AVAILABLE, reason="no GPU")
def test_gpu_storage_slices_at_element_boundaries_only():
    s = torch.arange(4.0, device="gpu").untyped_storage()
    assert s[4:8].tolist() == float_bytes([1.0])
    with pytest.raises(RuntimeError, match="only slice a GPU storage of torch.float32 at multiples of 4 bytes"):
        s[1:3]


# ----------------------------------------------------------------------------- UntypedStorage construction

@pytest.mark.parametrize("device", DEVICES)
def test_untyped_storage_constructors(device):
    s = torch.UntypedStorage(5, device=device)
    assert s.nbytes() == 5 and s.tolist() == [0] * 5 and s.device.type == torch.device(device).type
    assert torch.UntypedStorage([1, 2, 300, -1], device=device).tolist() == [1, 2, 44, 255]
    assert torch.UntypedStorage((7,)).tolist() == [7]
    assert torch.UntypedStorage().nbytes() == 0


def test_untyped_storage_from_any_sequence_of_ints():
    # PyTorch takes any sequence: bytes, bytearray and range as well as lists and tuples.
    assert torch.UntypedStorage(b"ab").tolist() == [97, 98]
    assert torch.UntypedStorage(bytearray([1, 255])).tolist() == [1, 255]
    assert torch.UntypedStorage(range(3)).tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match=r"from a sequence \(str\), but one of the items was of type str"):
        torch.UntypedStorage("ab")


@pytest.mark.parametrize("device", DEVICES)
def test_one_storage_object_per_memory(device):
    # As in PyTorch, every tensor on one memory gives the same storage object (and so == holds).
    t = torch.arange(6.0, device=device)
    s = t.untyped_storage()
    assert t.untyped_storage() is s and t[2:].untyped_storage() is s and t.view(2, 3).untyped_storage() is s
    assert t.untyped_storage() == t[1:].untyped_storage()
    assert t._typed_storage().untyped() is s
    assert torch.arange(6.0, device=device).untyped_storage() is not s
    assert torch.tensor([], device=device).set_(s).untyped_storage() is s
    # (float32 memory: a GPU buffer of bytes cannot be read as float32 in place)
    fresh = torch.TypedStorage(2, dtype=torch.float32, device=device, _internal=True).untyped()
    assert torch.tensor([], device=device).set_(fresh).untyped_storage() is fresh


def test_untyped_storage_constructor_errors():
    with pytest.raises(RuntimeError, match="Expected a sequence type, but got float"):
        torch.UntypedStorage(2.5)
    with pytest.raises(RuntimeError, match="Expected a sequence type, but got Tensor"):
        torch.UntypedStorage(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"from a sequence \(list\), but one of the items was of type float "
                                           "instead of int"):
        torch.UntypedStorage([1.5])
    with pytest.raises(RuntimeError, match="called with negative number: 18446744073709551615"):
        torch.UntypedStorage(-1)
    with pytest.raises(TypeError, match=r"received an invalid combination of arguments - got \(int, "
                                        r"dtype=torch.dtype\)"):
        torch.UntypedStorage(3, dtype=torch.float32)


def test_untyped_storage_index_errors():
    s = torch.UntypedStorage(24)
    with pytest.raises(IndexError, match="index 24 out of range for storage of size 24"):
        s[24]
    with pytest.raises(IndexError, match="index -1 out of range for storage of size 24"):
        s[-25]
    with pytest.raises(RuntimeError, match="Trying to slice with a step of 2, but only a step of 1 is supported"):
        s[1:20:2]
    with pytest.raises(TypeError, match="can't index a torch.UntypedStorage with str"):
        s["a"]
    with pytest.raises(TypeError, match="can't index a torch.UntypedStorage with bool"):
        s[True]
    with pytest.raises(RuntimeError, match="out of bounds"):
        s[30] = 1
    with pytest.raises(RuntimeError, match="out of bounds"):
        s[-1] = 1  # PyTorch's storage __setitem__ takes no negative index
    with pytest.raises(RuntimeError, match="can't index a torch.UntypedStorage with bool"):
        s[True] = 1
    with pytest.raises(RuntimeError, match="can only set storage content with a int types, but got float instead"):
        s[0] = 1.5
    with pytest.raises(RuntimeError, match="fill_ expects int, but got float"):
        s.fill_(1.5)


def test_copy_checks_type_and_size():
    s = torch.UntypedStorage([1, 2, 3])
    assert s.copy_(torch.UntypedStorage([9, 8, 7])).tolist() == [9, 8, 7]
    with pytest.raises(RuntimeError, match="size does not match, self was 3 bytes but src was 2 bytes"):
        s.copy_(torch.UntypedStorage([1, 2]))
    with pytest.raises(TypeError, match=r"copy_\(\): argument 'src' \(position 1\) must be torch.Storage, not Tensor"):
        s.copy_(torch.tensor([1, 2, 3], dtype=torch.uint8))


@pytest.mark.parametrize("device", DEVICES)
def test_clone_and_moves_copy_the_bytes(device):
    t = torch.tensor(FLOATS, device=device)
    s = t.untyped_storage()
    c = s.clone()
    assert c.data_ptr() != s.data_ptr() and c.tolist() == s.tolist() and c.device == s.device
    c[0] = 9
    assert t.tolist() == FLOATS.tolist()
    assert s.to(device=device) is s
    on_cpu = s.cpu()
    assert on_cpu.device.type == "cpu" and on_cpu.tolist() == float_bytes(FLOATS)
    assert (on_cpu is s) == (device == "cpu")


@pytest.mark.skipif(not GPU_AVAILABLE, reason="no GPU")
def test_to_gpu_and_back():
    s = torch.UntypedStorage([5, 6, 7])
    g = s.to(device="gpu")
    assert g.is_cuda and g.tolist() == [5, 6, 7]
    g[0] = 1
    assert s.tolist() == [5, 6, 7] and g.cpu().tolist() == [1, 6, 7]
    assert s.cuda().is_cuda


def test_type_untyped_sharing_and_pinning():
    s = torch.UntypedStorage([1, 2])
    assert s.type() == "torch.storage.UntypedStorage"
    assert s.untyped() is s
    assert not s.is_shared() and not s.is_pinned()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert s.share_memory_() is s
    pinned = s.pin_memory()
    assert pinned.tolist() == [1, 2] and pinned.data_ptr() != s.data_ptr()


def test_equality_is_identity():
    s = torch.UntypedStorage([1, 2, 3])
    assert s == s and s != torch.UntypedStorage([1, 2, 3])
    assert len({s, s}) == 1


def test_repr():
    assert repr(torch.UntypedStorage([1, 2])) == " 1\n 2\n[torch.storage.UntypedStorage(device=cpu) of size 2]"
    assert str(torch.UntypedStorage(0)) == " \n[torch.storage.UntypedStorage(device=cpu) of size 0]"
    typed = torch.tensor([2.5, 1.0])._typed_storage()
    assert repr(typed) == " 2.5\n 1.0\n[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 2]"


def test_resize_only_storages_nothing_views():
    s = torch.UntypedStorage([1, 2, 3])
    assert s.resize_(5).tolist() == [1, 2, 3, 0, 0]
    assert s.resize_(2).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="cannot resize a storage that a tensor or another storage views"):
        torch.arange(3.0).untyped_storage().resize_(20)
    t = torch.tensor([])
    t.set_(s)
    with pytest.raises(RuntimeError, match="cannot resize a storage that a tensor or another storage views"):
        s.resize_(8)


# ----------------------------------------------------------------------------- TypedStorage

def test_storage_warns_once(fresh_warning):
    t = torch.arange(3.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.storage()
        t.storage()
        torch.FloatStorage(2)
    assert len(caught) == 1
    assert caught[0].category is UserWarning
    assert str(caught[0].message).startswith("TypedStorage is deprecated. It will be removed in the future")
    assert caught[0].filename == __file__


@pytest.mark.parametrize("make", [lambda: torch.FloatStorage(2), lambda: torch.TypedStorage(2),
                                  lambda: torch.ones(1).storage_type()])
def test_entry_points_warn(fresh_warning, make):
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        make()


def test_internal_typed_storage_does_not_warn(fresh_warning):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.ones(2)._typed_storage()
        torch.TypedStorage(wrap_storage=torch.UntypedStorage(4), dtype=torch.float32, _internal=True)


@pytest.mark.parametrize("use", [lambda s: s.size(), lambda s: len(s), lambda s: s.tolist(), lambda s: s[0],
                                 lambda s: s.nbytes(), lambda s: s.data_ptr(), lambda s: s.untyped(),
                                 lambda s: s.clone(), lambda s: s.device, lambda s: s.fill_(1.0), lambda s: repr(s),
                                 lambda s: s.get_device(), lambda s: isinstance(s, torch.DoubleStorage)])
def test_using_a_typed_storage_warns(fresh_warning, use):
    # PyTorch warns on (nearly) every use of a TypedStorage, even one made without a warning.
    typed = torch.ones(2)._typed_storage()
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        use(typed)


def test_untyped_paths_do_not_warn(fresh_warning):
    t = torch.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        typed = t._typed_storage()
        assert typed.dtype == torch.float32 and torch.is_storage(typed)
        torch.tensor([]).set_(typed)
        torch.UntypedStorage(8).copy_(typed)
        t.untyped_storage().tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_typed_storage_of_a_tensor(device):
    t = torch.tensor(FLOATS, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = t[2:].storage()
    assert isinstance(ts, torch.TypedStorage)
    assert ts.dtype == torch.float32 and ts.size() == len(ts) == 6 and ts.nbytes() == 24
    assert ts.data_ptr() == t.data_ptr() and ts.device == t.device
    assert ts[1] == FLOATS[1] and ts[-1] == FLOATS[-1]
    assert ts.tolist() == FLOATS.tolist()
    assert ts.untyped().data_ptr() == t.untyped_storage().data_ptr()
    assert isinstance(ts.untyped(), torch.UntypedStorage)
    ts[0] = 0.5
    ts[1:3] = 4.0
    assert t.tolist() == [0.5, 4.0, 4.0] + FLOATS[3:].tolist()
    assert ts.fill_(2.0).tolist() == [2.0] * 6 and t.tolist() == [2.0] * 6


def test_typed_storage_errors():
    ts = torch.arange(6.0)._typed_storage()
    with pytest.raises(IndexError, match="index 6 out of range for storage of size 6"):
        ts[6]
    with pytest.raises(IndexError, match="index -7 out of range for storage of size 6"):
        ts[-7]
    with pytest.raises(RuntimeError, match=r"slices are only supported in UntypedStorage.__getitem__"):
        ts[1:3]
    with pytest.raises(RuntimeError, match="can't index a <class 'torch.storage.TypedStorage'> with <class 'str'>"):
        ts["a"]
    with pytest.raises(TypeError, match="can't index a <class 'torch.storage.TypedStorage'> with <class 'bool'>"):
        ts[True]
    with pytest.raises(IndexError, match="index 6 is out of bounds for dimension 0 with size 6"):
        ts[6] = 1.0
    with pytest.raises(TypeError, match="can't assign a str to a torch.FloatTensor"):
        ts[0] = "a"


def test_typed_storage_constructor_errors():
    header = (r"(?s)TypedStorage.__init__ received an invalid combination of arguments. Expected one of:\n"
              r" \* \(\*, torch.device device, torch.dtype dtype\)\n.*\n")
    raw = torch.UntypedStorage(4)
    with pytest.raises(RuntimeError, match=header + "Argument 'dtype' must be specified"):
        torch.TypedStorage(wrap_storage=raw, _internal=True)
    with pytest.raises(RuntimeError, match=header + "No positional arguments should be given when using "
                                                    "'wrap_storage'"):
        torch.TypedStorage(1, wrap_storage=raw, dtype=torch.float32, _internal=True)
    with pytest.raises(RuntimeError, match=header + "Argument 'device' should not be specified when "
                                                    "'wrap_storage' is given"):
        torch.TypedStorage(wrap_storage=raw, dtype=torch.float32, device="cpu", _internal=True)
    with pytest.raises(TypeError, match=header + "Argument 'wrap_storage' must be UntypedStorage, but got "
                                                 "<class 'torch.storage.TypedStorage'>"):
        torch.TypedStorage(wrap_storage=torch.ones(1)._typed_storage(), dtype=torch.float32, _internal=True)
    with pytest.raises(TypeError, match=header + "Argument type not recognized: <class 'float'>"):
        torch.TypedStorage(1.5, dtype=torch.float32, _internal=True)
    with pytest.raises(TypeError, match=header + "Argument type not recognized: <class 'torch.Tensor'>"):
        torch.TypedStorage(torch.ones(2), dtype=torch.float32, _internal=True)
    with pytest.raises(RuntimeError, match=header + "Too many positional arguments"):
        torch.TypedStorage(1, 2, dtype=torch.float32, _internal=True)
    assert torch.TypedStorage(range(3), dtype=torch.int32, _internal=True).tolist() == [0, 1, 2]


def test_typed_storage_over_untyped_bytes():
    raw = torch.UntypedStorage(float_bytes([1.0, -2.5]) + [7])  # a trailing byte: not a whole float
    ts = torch.TypedStorage(wrap_storage=raw, dtype=torch.float32, _internal=True)
    assert ts.tolist() == [1.0, -2.5] and ts.size() == 2
    ts[0] = 0.25
    assert raw.tolist()[:4] == float_bytes([0.25])
    shorts = torch.TypedStorage(wrap_storage=raw, dtype=torch.int16, _internal=True)
    assert shorts.tolist() == np.array(float_bytes([0.25, -2.5]), dtype=np.uint8).view(np.int16).tolist()


LEGACY = [("FloatStorage", "float32", "Float"), ("DoubleStorage", "float64", "Double"),
          ("HalfStorage", "float16", "Half"), ("BFloat16Storage", "bfloat16", "BFloat16"),
          ("LongStorage", "int64", "Long"), ("IntStorage", "int32", "Int"), ("ShortStorage", "int16", "Short"),
          ("CharStorage", "int8", "Char"), ("ByteStorage", "uint8", "Byte"), ("BoolStorage", "bool", "Bool")]


@pytest.mark.parametrize("name,dtype_name,scalar", LEGACY)
def test_legacy_storage_classes(name, dtype_name, scalar):
    cls, dtype = getattr(torch, name), getattr(torch, dtype_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        empty, sized, filled = cls(), cls(3), cls([1, 0])
        assert torch.ones(2, dtype=dtype).storage_type() is cls
    assert cls.dtype == dtype and repr(cls) == f"<class 'torch.{name}'>"
    assert type(sized) is torch.TypedStorage and sized.dtype == dtype
    assert isinstance(sized, cls) and isinstance(sized, torch.TypedStorage)
    assert not isinstance(torch.UntypedStorage(4), cls)
    assert empty.size() == 0 and sized.size() == 3 and sized.tolist() == torch.zeros(3, dtype=dtype).tolist()
    assert filled.tolist() == torch.tensor([1, 0], dtype=dtype).tolist()
    assert sized.type() == f"torch.{name}"
    assert isinstance(torch.ones(1, dtype=dtype)._typed_storage(), cls)
    other = torch.float64 if dtype != torch.float64 else torch.float32
    assert not isinstance(torch.ones(1, dtype=other)._typed_storage(), cls)


def test_legacy_constructor_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="Keyword argument 'device' cannot be specified"):
            torch.FloatStorage(2, device="cpu")
        with pytest.raises(TypeError, match=r"<class 'torch.FloatStorage'>.__new__ received an invalid combination "
                                            r"of arguments(.|\n)*Argument type not recognized: <class 'float'>"):
            torch.FloatStorage(2.5)
        with pytest.raises(RuntimeError, match="value cannot be converted to type uint8 without overflow"):
            torch.ByteStorage([300])
        with pytest.raises(RuntimeError, match="negative number: 18446744073709551612"):
            torch.FloatStorage(-1)
        assert torch.LongStorage([1.5]).tolist() == [1]


@pytest.mark.skipif(not GPU_AVAILABLE, reason="no GPU")
def test_gpu_tensor_is_not_a_legacy_cpu_storage():
    ts = torch.ones(2, device="gpu")._typed_storage()
    assert not isinstance(ts, torch.FloatStorage) and ts.type() == "torch.cuda.FloatStorage"


def test_typed_storage_clone_and_copy():
    ts = torch.tensor([1.0, 2.0])._typed_storage()
    c = ts.clone()
    c[0] = 5.0
    assert ts.tolist() == [1.0, 2.0] and c.tolist() == [5.0, 2.0]
    assert ts.copy_(c).tolist() == [5.0, 2.0]
    assert ts.cpu() is ts
    with pytest.raises(RuntimeError, match="size does not match, self was 8 bytes but src was 24 bytes"):
        ts.copy_(torch.zeros(3, dtype=torch.float64)._typed_storage())


# ----------------------------------------------------------------------------- set_ and is_storage

@pytest.mark.parametrize("device", DEVICES)
def test_set_from_storages(device):
    t = torch.tensor(FLOATS, device=device)
    s = t.untyped_storage()
    whole = torch.tensor([], device=device).set_(s)
    assert whole.tolist() == FLOATS.tolist() and whole.data_ptr() == t.data_ptr()
    window = torch.tensor([], device=device).set_(s, 1, (2,), (2,))
    assert window.tolist() == FLOATS[1:5:2].tolist()
    window[0] = 10.0  # a view of t's memory
    assert t[1].item() == 10.0
    from_typed = torch.tensor([], device=device).set_(t._typed_storage(), 2, (2,))
    assert from_typed.tolist() == FLOATS[2:4].tolist()


def test_set_reinterprets_untyped_bytes():
    s = torch.tensor(FLOATS).untyped_storage()
    as_bytes = torch.tensor([], dtype=torch.int8).set_(s)
    assert as_bytes.tolist() == FLOATS.view(np.int8).tolist()
    as_ints = torch.tensor([], dtype=torch.int32).set_(s)
    assert as_ints.tolist() == FLOATS.view(np.int32).tolist()
    assert as_ints.untyped_storage().data_ptr() == s.data_ptr()
    halves = torch.tensor([], dtype=torch.bfloat16).set_(torch.UntypedStorage([0, 0x3F, 0, 0x40]))
    assert halves.tolist() == [0.5, 2.0]
    assert torch.tensor([]).set_(torch.UntypedStorage(6)).shape == (1,)


def test_set_from_storages_with_no_whole_element():
    # An empty storage, or fewer bytes than one element, gives an empty tensor (no error).
    assert torch.tensor([1.0]).set_(torch.UntypedStorage(0)).shape == (0,)
    assert torch.tensor([1.0]).set_(torch.UntypedStorage(3)).shape == (0,)
    assert torch.tensor([], dtype=torch.int64).set_(torch.UntypedStorage([1, 2, 3, 4, 5])).shape == (0,)


def test_set_grows_a_fresh_storage_but_not_a_tensors():
    # PyTorch resizes a storage too small for the window; only one nothing views yet can be.
    fresh = torch.UntypedStorage(float_bytes([1.0, 2.0]))
    grown = torch.tensor([]).set_(fresh, 1, (3,))
    assert fresh.nbytes() == 16 and grown.tolist() == [2.0, 0.0, 0.0]
    t = torch.tensor(FLOATS[:4])
    for args in [(0, (5,)), (3, (2,)), (0, (2, 2), (1, 3))]:
        with pytest.raises(RuntimeError, match="Trying to resize storage that is not resizable"):
            torch.tensor([]).set_(t.untyped_storage(), *args)
    assert torch.tensor([]).set_(t.untyped_storage(), 0, (2, 2), (1, 2)).tolist() == [[1.0, 3.25], [-2.5, 0.0]]


def test_set_from_typed_storage_of_another_dtype():
    with pytest.raises(RuntimeError, match="Expected a Storage of type long int or an UntypedStorage, but got type "
                                           "Float for argument 1 'storage'"):
        torch.tensor([], dtype=torch.int64).set_(torch.ones(2)._typed_storage())


@pytest.mark.parametrize("device", DEVICES)
def test_dtype_conversions_copy_into_a_typed_storage(device):
    t = torch.tensor([1.5, 2.0, -3.0], device=device)
    typed, raw = t._typed_storage(), t.untyped_storage()
    expected = {"double": [1.5, 2.0, -3.0], "float": [1.5, 2.0, -3.0], "half": [1.5, 2.0, -3.0],
                "bfloat16": [1.5, 2.0, -3.0], "long": [1, 2, -3], "int": [1, 2, -3], "short": [1, 2, -3],
                "char": [1, 2, -3], "bool": [True, True, True]}
    if device != "cpu":
        del expected["bfloat16"]  # WGSL has no bfloat16: the GPU has no such tensors
    for name, values in expected.items():
        converted = getattr(typed, name)()
        assert type(converted) is torch.TypedStorage and converted.tolist() == values, name
        assert converted.dtype == getattr(torch, {"double": "float64", "float": "float32", "half": "float16",
                                                  "long": "int64", "int": "int32", "short": "int16",
                                                  "char": "int8"}.get(name, name))
        assert converted.data_ptr() != typed.data_ptr() and converted.device.type == typed.device.type
    # An UntypedStorage converts its bytes, each as one element.
    as_float = raw.float()
    assert as_float.dtype == torch.float32 and as_float.tolist() == [float(b) for b in float_bytes([1.5, 2.0, -3.0])]
    assert raw.byte().tolist() == float_bytes([1.5, 2.0, -3.0])
    assert typed.get_device() == raw.get_device() == t.untyped_storage().device.index


def test_dtype_conversion_warns_once(fresh_warning):
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        torch.UntypedStorage([1]).float()


def test_typed_storage_index_must_be_a_python_int():
    ts = torch.arange(3.0)._typed_storage()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="can't index a <class 'torch.storage.TypedStorage'> with "
                                               "<class 'numpy.int64'>"):
            ts[np.int64(1)]
        assert ts[1] == 1.0


def test_resizable_says_whether_resize_can_work():
    fresh = torch.UntypedStorage(4)
    assert fresh.resizable()
    fresh.resize_(8)
    viewed = torch.ones(2).untyped_storage()
    assert not viewed.resizable()
    with pytest.raises(RuntimeError, match="cannot resize a storage that a tensor or another storage views"):
        viewed.resize_(16)
    torch.tensor([]).set_(fresh)
    assert not fresh.resizable()


def test_is_storage():
    t = torch.ones(2)
    assert torch.is_storage(t.untyped_storage()) and torch.is_storage(t._typed_storage())
    assert not torch.is_storage(t) and not torch.is_storage(torch.FloatStorage)
