"""searchsorted and bucketize against numpy, on every device, and PyTorch's errors."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu, to_numpy as _np


def to_numpy(t):
    return _np(t.cpu())

DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8"]


def _sorted(shape, dtype, seed=0):
    a = np.sort(np.random.default_rng(seed).integers(0, 40, size=shape), axis=-1)
    return a.astype(dtype)


def _values(shape, dtype, seed=1):
    return np.random.default_rng(seed).integers(-2, 43, size=shape).clip(0 if dtype == "uint8" else -2).astype(dtype)


def _t(a, device):
    return torch.from_numpy(np.array(a, order="C")).to(device)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_one_row_shared_by_every_value(device, dtype, side):
    b, v = _sorted((9,), dtype), _values((4, 6), dtype)  # repeated boundaries and exact hits included
    got = torch.searchsorted(_t(b, device), _t(v, device), side=side)
    assert got.dtype == torch.int64 and got.is_cuda == (device != "cpu")
    np.testing.assert_array_equal(to_numpy(got), np.searchsorted(b, v, side=side))
    # bucketize's `right` picks the same side.
    np.testing.assert_array_equal(to_numpy(torch.bucketize(_t(v, device), _t(b, device), right=side == "right")),
                                  np.searchsorted(b, v, side=side))


@pytest.mark.parametrize("right", [False, True])
def test_rows_of_boundaries_and_strided_views(device, right):
    b, v = _sorted((2, 3, 7), "float32"), _values((2, 3, 5), "float32")
    want = np.stack([np.searchsorted(b[i, j], v[i, j], side="right" if right else "left")
                     for i in range(2) for j in range(3)]).reshape(2, 3, 5)
    np.testing.assert_array_equal(to_numpy(torch.searchsorted(_t(b, device), _t(v, device), right=right)), want)
    # Transposed values and boundaries (leading dims swapped) are read through their strides.
    bt = _t(b.transpose(1, 0, 2), device).transpose(0, 1)
    vt = _t(v.transpose(1, 0, 2), device).transpose(0, 1)
    assert not vt.is_contiguous()
    np.testing.assert_array_equal(to_numpy(torch.searchsorted(bt, vt, right=right)), want)
    # A strided slice of a 1-D sequence.
    wide = _t(np.repeat(np.arange(10.0, dtype=np.float32), 2), device)[::2]
    np.testing.assert_array_equal(to_numpy(torch.searchsorted(wide, _t(np.array([2.5, 9.0, -1.0], np.float32), device))), [3, 9, 0])


def test_zero_dim_empty_and_numbers(device):
    b = _t(np.array([1.5, 2.5, 3.5]), device)
    assert torch.searchsorted(b, _t(np.array(2.6), device)).shape == ()
    assert torch.searchsorted(b, 2).item() == 1
    assert torch.searchsorted(b, 2.5, right=True).item() == 2
    assert torch.bucketize(3.0, b).item() == 2
    assert torch.searchsorted(b, torch.zeros(0, 4, dtype=torch.float64, device=device)).shape == (0, 4)
    # No boundaries: every value goes to 0.
    empty = torch.zeros(0, device=device)
    assert to_numpy(torch.searchsorted(empty, _t(np.array([1.0, -1.0], np.float32), device))).tolist() == [0, 0]
    # Values are promoted with the boundaries: 2.5 is not truncated to an int.
    ints = _t(np.array([1, 2, 3]), device)
    assert torch.searchsorted(ints, 2.5).item() == 2
    assert to_numpy(torch.searchsorted(ints, _t(np.array([2.5], np.float32), device))).tolist() == [2]


def test_nan_values_go_after_every_boundary(device):
    # PyTorch's comparisons put NaN after everything, on either side.
    b = _t(np.array([1.5, 2.5, 3.5], np.float32), device)
    nan = _t(np.array([np.nan, 2.0], np.float32), device)
    assert to_numpy(torch.searchsorted(b, nan)).tolist() == [3, 1]
    assert to_numpy(torch.bucketize(nan, b, right=True)).tolist() == [3, 1]
    assert to_numpy(torch.searchsorted(b.double(), nan.double())).tolist() == [3, 1]


def test_sorter_out_int32_and_out(device):
    rng = np.random.default_rng(3)
    a = rng.permutation(12).astype(np.float32)
    order = np.argsort(a, kind="stable")
    v = rng.uniform(-1, 13, 7).astype(np.float32)
    got = torch.searchsorted(_t(a, device), _t(v, device), sorter=_t(order, device), out_int32=True)
    assert got.dtype == torch.int32
    np.testing.assert_array_equal(to_numpy(got), np.searchsorted(a, v, sorter=order))
    out = torch.empty(7, dtype=torch.int64, device=device)
    r = torch.searchsorted(_t(np.sort(a), device), _t(v, device), out=out)
    assert r is out
    np.testing.assert_array_equal(to_numpy(out), np.searchsorted(np.sort(a), v))


@requires_gpu
def test_gpu_multinomial_with_replacement_draws_the_cpu_samples_over_many_categories():
    # A large category count used to make the GPU compare every sample with every category.
    p = torch.rand(3, 5000, dtype=torch.float64)
    torch.manual_seed(7)
    want = torch.multinomial(p, 300, replacement=True)
    torch.manual_seed(7)
    got = torch.multinomial(p.cuda(), 300, replacement=True)
    assert (got.cpu() != want).sum().item() == 0


def test_errors(device):
    b2 = torch.tensor([[1, 2, 3], [4, 5, 6]], device=device)
    v3 = torch.ones(2, 2, 3, dtype=torch.int64, device=device)
    with pytest.raises(RuntimeError, match=r"boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                                           r"boundaries tensor and input value tensor must match, but we got "
                                           r"boundaries tensor \[2, 3\] and input value tensor \[2, 2, 3\]"):
        torch.searchsorted(b2, v3)
    with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got dim\(2\)"):
        torch.bucketize(v3, b2)
    with pytest.raises(RuntimeError, match=r"input value can be a scalar only when boundaries tensor dimension is 1, "
                                           r"but we got boundaries tensor dim\(2\) and input value's dim\(0\) numel\(1\)"):
        torch.searchsorted(b2, 1)
    with pytest.raises(RuntimeError, match="boundaries tensor should have positive dimension, but got 0 dimension"):
        torch.searchsorted(torch.tensor(1.0, device=device), torch.ones(2, device=device))
    b = torch.tensor([1.0, 2.0, 3.0], device=device)
    v = torch.tensor([1.5], device=device)
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got side of left while right was True"):
        torch.searchsorted(b, v, side="left", right=True)
    with pytest.raises(RuntimeError, match="side can only be 'left' or 'right' but got up"):
        torch.searchsorted(b, v, side="up")
    with pytest.raises(RuntimeError, match=r"boundary and sorter must have the same size, but got boundary tensor \[3\]"
                                           r"and got sorter tensor \[2\]"):
        torch.searchsorted(b, v, sorter=torch.tensor([0, 1], device=device))
    with pytest.raises(RuntimeError, match="sorter must be a tensor of long dtype but got dtype Int"):
        torch.searchsorted(b, v, sorter=torch.tensor([0, 1, 2], dtype=torch.int32, device=device))
    with pytest.raises(RuntimeError, match="sorter index out of range"):
        torch.searchsorted(b, v, sorter=torch.tensor([0, 1, 3], device=device))
    with pytest.raises(RuntimeError, match="output tensor's dtype is wrong, it can only be Int\\(int32\\) or Long\\(int64\\) "
                                           "depending on whether out_int32 flag is True, but we got output tensor's dtype "
                                           "Float and out_int32 flag is False"):
        torch.searchsorted(b, v, out=torch.empty(1, device=device))
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        torch.searchsorted(torch.tensor([False, True], device=device), torch.tensor([True], device=device))
    if device != "cpu":
        with pytest.raises(RuntimeError, match="boundaries and input value tensors should have same device type"):
            torch.searchsorted(b, v.cpu())
