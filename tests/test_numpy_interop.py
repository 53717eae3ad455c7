"""numpy interop: zero-copy both ways, dtype mapping, errors."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]


@pytest.mark.parametrize("npdt", NP_DTYPES)
def test_from_numpy_shares_memory(npdt):
    a = np.arange(6).reshape(2, 3).astype(npdt)
    t = torch.from_numpy(a)
    assert str(t.dtype) == "torch." + np.dtype(npdt).name
    assert t.shape == (2, 3) and t.tolist() == a.tolist()
    if npdt is not np.bool_:
        t.add_(1)
        assert a[0, 0] == 1, "writes through the tensor must show in numpy"
        a[1, 2] = 0
        assert t[1, 2].item() == 0


def test_from_numpy_non_contiguous_views():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    t = torch.from_numpy(a[::2, 1::2])
    assert t.shape == (2, 3) and t.stride() == (12, 2)
    assert_close(t, a[::2, 1::2])
    tt = torch.from_numpy(a.T)
    assert tt.stride() == (1, 6)
    assert_close(tt, a.T)
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(a[::-1])


def test_from_numpy_keeps_array_alive():
    t = torch.from_numpy(np.arange(1000, dtype=np.float64))
    import gc

    gc.collect()
    assert t.sum().item() == 499500.0


def test_from_numpy_rejects_unsupported():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        torch.from_numpy(np.zeros(3, np.uint16))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy([1, 2])


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int32, torch.int64, torch.float16, torch.float32, torch.float64])
def test_numpy_shares_memory(dtype):
    t = torch.tensor([[0, 1, 0], [1, 0, 1]]).to(dtype)
    a = t.numpy()
    assert a.dtype == np.dtype(str(dtype).replace("torch.", ""))
    assert a.tolist() == t.tolist()
    t.fill_(1)
    assert a.all(), "numpy() must share memory with the tensor"


def test_numpy_of_views_and_asarray():
    t = torch.tensor(np.arange(12.0).reshape(3, 4))
    v = t.T.narrow(0, 1, 2)
    a = v.numpy()
    assert a.shape == (2, 3) and a.strides == (8, 32)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[1:3])
    b = np.asarray(t)
    b[0, 0] = 42
    assert t.tolist()[0][0] == 42
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    e = torch.tensor([1.0]).expand(3)
    assert e.numpy().strides == (0,)


def test_numpy_outlives_tensor():
    a = torch.tensor(np.arange(100.0)).numpy()
    import gc

    gc.collect()
    assert a.sum() == 4950.0


def test_bfloat16_numpy_error():
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        torch.tensor([1.0]).bfloat16().numpy()


def test_numpy_ops_accept_tensors():
    t = torch.tensor([1.0, 2.0])
    assert np.add(np.asarray(t), 1).tolist() == [2.0, 3.0]
    assert np.array(t).tolist() == [1.0, 2.0]


def test_pickle_roundtrip():
    import pickle

    for t in [torch.tensor([[1.5, 2.0]]), torch.tensor([1, 2]).int(), torch.tensor([True]),
              torch.tensor(3.0), torch.tensor([1.0, 2.0]).bfloat16(), torch.tensor(np.arange(6.0)).view(2, 3).T]:
        u = pickle.loads(pickle.dumps(t))
        assert u.dtype == t.dtype and u.shape == t.shape
        assert u.tolist() == t.tolist()
    assert pickle.loads(pickle.dumps(torch.float16)) == torch.float16
    assert pickle.loads(pickle.dumps(torch.Size([2, 3]))) == torch.Size([2, 3])
    assert pickle.loads(pickle.dumps(torch.device("cpu"))) == torch.device("cpu")


def test_pickle_keeps_the_device(device):
    # PyTorch rebuilds a pickled CUDA tensor on the GPU (copy.deepcopy of modules relies on it).
    import pickle

    t = torch.arange(6.0, device=device).view(2, 3).T.requires_grad_()
    u = pickle.loads(pickle.dumps(t))
    assert u.device == t.device and u.requires_grad and u.tolist() == t.tolist()


def test_from_numpy_refuses_misaligned_memory():
    # Sharing a misaligned buffer would hand the kernels misaligned typed slices; copying
    # silently would break from_numpy's sharing promise, so it is an error with a way out.
    a = np.frombuffer(bytes(17), dtype=np.float32, offset=1)
    assert a.ctypes.data % 4 != 0
    with pytest.raises(ValueError, match="not aligned to its 4-byte element size"):
        torch.from_numpy(a)
    assert torch.from_numpy(a.copy()).tolist() == [0.0] * 4
