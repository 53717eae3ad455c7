"""DLPack interchange: zero-copy both ways with numpy, dtypes, strides, capsule lifetime."""
import gc

import numpy as np
import pytest

import ferrotorch as torch

NP_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_device():
    assert torch.zeros(2).__dlpack_device__() == (1, 0)


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_numpy_consumes_tensor_zero_copy(dtype):
    t = torch.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    a = np.from_dlpack(t)
    assert a.dtype == np.dtype(dtype) and a.shape == (2, 3)
    np.testing.assert_array_equal(a, t.numpy())
    assert a.__array_interface__["data"][0] == t.data_ptr()
    if dtype != "bool":
        t.select(0, 0).select(0, 1).fill_(5)
        assert a[0, 1] == 5
        a[1, 2] = 4
        assert t.tolist()[1][2] == 4


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_tensor_consumes_numpy_zero_copy(dtype):
    a = (np.arange(12).reshape(3, 4) % 2).astype(dtype)
    t = torch.from_dlpack(a)
    assert t.dtype == getattr(torch, dtype) and tuple(t.shape) == (3, 4)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.data_ptr() == a.__array_interface__["data"][0]
    a[2, 3] = 1
    assert t.tolist()[2][3] == 1
    t.select(0, 0).select(0, 0).fill_(1)
    assert a[0, 0] == 1


def test_noncontiguous_strides_survive():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    v = base.as_strided((2, 3), (12, 2), 1).T  # base[::2, 1::2].T: shape (3, 2), strides (2, 12)
    a = np.from_dlpack(v)
    assert a.shape == (3, 2)
    assert a.strides == tuple(s * 4 for s in v.stride())
    np.testing.assert_array_equal(a, v.numpy())
    arr = np.arange(30, dtype=np.int32).reshape(5, 6)[1::2, ::3]
    t = torch.from_dlpack(arr)
    assert t.stride() == tuple(s // 4 for s in arr.strides)
    np.testing.assert_array_equal(t.numpy(), arr)
    arr[0, 1] = -7
    assert t.tolist()[0][1] == -7


def test_zero_dim_and_empty():
    s = torch.tensor(3.5)
    a = np.from_dlpack(s)
    assert a.shape == () and a == 3.5
    e = torch.zeros(0, 3)
    assert np.from_dlpack(e).shape == (0, 3)
    assert tuple(torch.from_dlpack(np.zeros((2, 0), dtype=np.int16)).shape) == (2, 0)
    assert torch.from_dlpack(np.array(2.0)).item() == 2.0


def test_roundtrip_ferrotorch_and_bfloat16():
    t = torch.tensor([1.5, -2.0, 3.25]).to(torch.bfloat16)
    cap = t.__dlpack__()
    assert "dltensor" in repr(cap)
    u = torch.from_dlpack(cap)
    assert u.dtype == torch.bfloat16 and u.data_ptr() == t.data_ptr()
    assert u.float().tolist() == [1.5, -2.0, 3.25]
    u.select(0, 0).fill_(8)
    assert t.float().tolist()[0] == 8
    w = torch.from_dlpack(t)  # objects with __dlpack__
    assert w.data_ptr() == t.data_ptr()


def test_versioned_capsules():
    t = torch.arange(6, dtype=torch.int32)
    cap = t.__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(cap)
    u = torch.from_dlpack(cap)
    assert "used_dltensor_versioned" in repr(cap)
    assert u.data_ptr() == t.data_ptr() and u.tolist() == list(range(6))
    assert "dltensor_versioned" in repr(torch.zeros(1).__dlpack__(max_version=(1, 1)))
    assert "versioned" not in repr(torch.zeros(1).__dlpack__(max_version=(0, 8)))
    # A read-only producer is copied rather than aliased.
    ro = np.arange(4.0)
    ro.flags.writeable = False
    r = torch.from_dlpack(ro)
    assert r.tolist() == [0.0, 1.0, 2.0, 3.0] and r.data_ptr() != ro.__array_interface__["data"][0]


def test_capsule_is_consumed_once():
    cap = torch.arange(3).__dlpack__()
    torch.from_dlpack(cap)
    assert "used_dltensor" in repr(cap)
    with pytest.raises(RuntimeError, match="already been consumed"):
        torch.from_dlpack(cap)


def test_lifetimes():
    # The exported capsule keeps the storage alive after the tensor goes away.
    t = torch.arange(1000, dtype=torch.float64)
    a = np.from_dlpack(t)
    del t
    gc.collect()
    assert a[999] == 999
    # An unconsumed capsule frees its tensor without crashing.
    for _ in range(100):
        torch.zeros(100).__dlpack__()
    gc.collect()
    # The imported tensor keeps the numpy producer's memory alive.
    arr = np.arange(500, dtype=np.int64)
    t = torch.from_dlpack(arr)
    del arr
    gc.collect()
    assert t.tolist()[499] == 499
    u = t.narrow(0, 10, 10)
    del t
    gc.collect()
    assert u.tolist()[0] == 10


def test_errors():
    with pytest.raises(TypeError):
        torch.from_dlpack(42)
    with pytest.raises(BufferError):
        torch.zeros(2).__dlpack__(dl_device=(2, 0))
    c = torch.arange(4).__dlpack__(copy=True)
    assert torch.from_dlpack(c).tolist() == [0, 1, 2, 3]
