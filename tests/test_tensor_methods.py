"""The Tensor methods written in Python (_tensor_methods.py) and finfo/iinfo, on every device."""
import doctest

import numpy as np
import pytest

import ferrotorch as torch
from conftest import to_numpy as _np


def to_numpy(t):
    return _np(t.cpu())


def test_docstring_examples_run():
    from ferrotorch import _dtype_info, _tensor_methods
    for module in (_tensor_methods, _dtype_info):
        assert doctest.testmod(module).failed == 0


def test_new_constructors_take_dtype_and_device_from_self(device):
    x = torch.ones(2, dtype=torch.float64, device=device)
    for t in (x.new_zeros(2, 3), x.new_zeros((2, 3)), x.new_ones([2, 3]), x.new_empty(torch.Size([2, 3])),
              x.new_full((2, 3), 7)):
        assert t.shape == (2, 3) and t.dtype == torch.float64 and t.is_cuda == (device != "cpu")
    assert to_numpy(x.new_full((2,), 7)).tolist() == [7.0, 7.0]
    assert to_numpy(x.new_zeros(2)).tolist() == [0.0, 0.0] and to_numpy(x.new_ones(1)).tolist() == [1.0]
    i = x.new_zeros(3, dtype=torch.int32, requires_grad=False)
    assert i.dtype == torch.int32
    r = x.new_ones(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    t = x.new_tensor([1, 2])
    assert t.dtype == torch.float64 and to_numpy(t).tolist() == [1.0, 2.0]
    with pytest.warns(UserWarning, match="detach\\(\\).clone\\(\\)"):
        c = x.new_tensor(x)
    c.add_(1)
    assert to_numpy(x).tolist() == [1.0, 1.0]  # a copy, not a view
    assert x.new_zeros(0).shape == (0,) and x.new_zeros(()).shape == ()


def test_type_as_takes_dtype_and_device(device):
    a = torch.arange(3, dtype=torch.int32)
    b = torch.zeros(1, dtype=torch.float16, device=device)
    r = a.type_as(b)
    assert r.dtype == torch.float16 and r.is_cuda == (device != "cpu")
    assert to_numpy(r).tolist() == [0.0, 1.0, 2.0]


def test_sum_to_size(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = torch.tensor(a, device=device, requires_grad=True)
    np.testing.assert_array_equal(to_numpy(x.sum_to_size(3, 1)), a.sum(0).sum(1, keepdims=True))
    np.testing.assert_array_equal(to_numpy(x.sum_to_size((1, 1, 4))), a.sum((0, 1), keepdims=True))
    assert x.sum_to_size(2, 3, 4).shape == (2, 3, 4)
    x.transpose(0, 2).sum_to_size(4, 1, 1).sum().backward()
    assert to_numpy(x.grad).tolist() == np.ones((2, 3, 4)).tolist()
    with pytest.raises(RuntimeError, match=r"size \{5\} is not expandable to size \{2, 3, 4\}."):
        x.sum_to_size(5)


def test_fill_diagonal(device):
    for shape, wrap in [((3, 3), False), ((2, 4), False), ((5, 2), False), ((7, 3), True), ((3, 3, 3), False)]:
        a = np.zeros(shape)
        np.fill_diagonal(a, 5, wrap=wrap)
        x = torch.zeros(shape, device=device)
        assert x.fill_diagonal_(5, wrap=wrap) is x
        np.testing.assert_array_equal(to_numpy(x), a)
    # A transposed view is written through its strides.
    base = torch.zeros(4, 3, device=device)
    base.t().fill_diagonal_(2)
    assert to_numpy(base).tolist() == (2 * np.eye(4, 3)).tolist()
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        torch.zeros(2, 3, 3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        torch.zeros(3).fill_diagonal_(1)


def test_resize(device):
    x = torch.arange(6.0, device=device)
    assert x.resize_(2, 2) is x and to_numpy(x).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    x.resize_((3, 2))
    assert x.shape == (3, 2) and to_numpy(x).reshape(-1)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]
    x.resize_as_(torch.zeros(1))
    assert to_numpy(x).tolist() == [0.0]
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        torch.zeros(2, requires_grad=True).resize_(3)


def test_pin_memory_real_imag_apply_map(device):
    x = torch.tensor([1.0, -2.0, 3.0], device=device)
    assert x.real is x and not x.is_pinned()
    with pytest.raises(TypeError, match="imag is not implemented for tensors with non-complex dtypes."):
        x.imag
    if device == "cpu":
        assert x.pin_memory() is x
        assert x.clone().apply_(lambda v: v * 10).tolist() == [10.0, -20.0, 30.0]
        assert x.clone().map_(torch.tensor([1.0, 1.0, 2.0]), lambda a, b: a + b).tolist() == [2.0, -1.0, 5.0]
    else:
        with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
            x.pin_memory()
        with pytest.raises(TypeError, match="apply_ is only implemented on CPU tensors"):
            x.apply_(abs)


def test_random_fills_follow_their_distributions(device):
    torch.manual_seed(0)
    g = torch.empty(20000, device=device).geometric_(0.25)
    gv = to_numpy(g)
    assert gv.min() >= 1 and np.all(gv == np.round(gv))
    assert abs(gv.mean() - 4.0) < 0.15  # mean 1/p
    ln = to_numpy(torch.empty(20000, dtype=torch.float64, device=device).log_normal_(0.5, 0.25))
    assert abs(np.log(ln).mean() - 0.5) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    c = to_numpy(torch.empty(20000, device=device).cauchy_(1.0, 2.0))
    assert abs(np.median(c) - 1.0) < 0.1  # median; quartiles at median +- sigma
    assert abs(np.percentile(c, 75) - 3.0) < 0.2 and abs(np.percentile(c, 25) + 1.0) < 0.2
    assert torch.empty(4, dtype=torch.int64, device=device).geometric_(0.5).dtype == torch.int64
    with pytest.raises(RuntimeError, match="geometric_ expects p to be in \\(0, 1\\), but got p=1.5"):
        torch.empty(2).geometric_(1.5)
    with pytest.raises(RuntimeError, match="cauchy_ expects sigma > 0.0, but found sigma=0"):
        torch.empty(2).cauchy_(0, 0)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(device, interpolation):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 7))
    q = np.array([0.0, 0.1, 0.5, 0.75, 1.0])
    x = torch.tensor(a, device=device)
    qt = torch.tensor(q, device=device)
    np.testing.assert_allclose(to_numpy(torch.quantile(x, qt, dim=1, interpolation=interpolation)),
                               np.quantile(a, q, axis=1, method=interpolation), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.t().quantile(0.3, dim=0, keepdim=True, interpolation=interpolation)),
                               np.quantile(a.T, 0.3, axis=0, keepdims=True, method=interpolation), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(torch.quantile(x, qt, interpolation=interpolation)),
                               np.quantile(a, q, method=interpolation), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(torch.quantile(x, qt, keepdim=True, interpolation=interpolation)),
                               np.quantile(a, q, keepdims=True, method=interpolation), rtol=1e-12)


def test_quantile_nan_rows_gradients_and_errors(device):
    a = np.array([[1.0, np.nan, 3.0, 2.0], [4.0, 1.0, 2.0, 8.0], [np.nan] * 4])
    x = torch.tensor(a, dtype=torch.float32, device=device)
    np.testing.assert_allclose(to_numpy(torch.nanquantile(x, 0.4, dim=1)), np.nanquantile(a, 0.4, axis=1), rtol=1e-6)
    got = to_numpy(torch.quantile(x, 0.4, dim=1))
    assert np.isnan(got[0]) and np.isnan(got[2]) and got[1] == pytest.approx(np.quantile(a[1], 0.4))
    assert torch.quantile(torch.tensor(3.0, device=device), 0.5).item() == 3.0
    # Gradient: linear interpolation weights on the two neighbouring order statistics.
    v = torch.tensor([4.0, 1.0, 3.0, 2.0], dtype=torch.float64, device=device, requires_grad=True)
    torch.quantile(v, 0.5).backward()  # halfway between 2 and 3
    assert to_numpy(v.grad).tolist() == [0.0, 0.0, 0.5, 0.5]
    with pytest.raises(RuntimeError, match=r"quantile\(\) q must be in the range \[0, 1\] but got 1.5"):
        torch.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match=r"quantile\(\) input tensor must be either float or double dtype"):
        torch.quantile(torch.tensor([1, 2], device=device), 0.5)
    with pytest.raises(RuntimeError, match=r"quantile\(\) q tensor must be same dtype as the input tensor"):
        torch.quantile(x, torch.tensor([0.5], dtype=torch.float64, device=device))
    with pytest.raises(RuntimeError, match=r"quantile\(\) q values must be in the range \[0, 1\]"):
        torch.quantile(x, torch.tensor([0.5, 2.0], device=device))
    with pytest.raises(RuntimeError, match=r"quantile\(\) interpolation must be one of linear, lower, higher, "
                                           r"midpoint or nearest, but got cubic"):
        torch.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match=r"^quantile\(\) q must be in the range \[0, 1\] but got 1.5"):
        torch.nanquantile(x, 1.5)  # PyTorch's nanquantile reports as quantile()
    with pytest.raises(RuntimeError, match=r"quantile\(\) input tensor must be non-empty"):
        torch.quantile(torch.zeros(0, device=device), 0.5)


def _np_mode(row):
    vals, counts = np.unique(row, return_counts=True)
    v = vals[np.argmax(counts)]  # smallest among ties
    return v, np.flatnonzero(row == v)[-1]


def test_mode_matches_numpy_and_pytorch_tie_breaks(device):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, size=(5, 9))
    x = torch.tensor(a, device=device)
    r = torch.mode(x, 1)
    want = [_np_mode(row) for row in a]
    assert to_numpy(r.values).tolist() == [w[0] for w in want]
    assert to_numpy(r.indices).tolist() == [w[1] for w in want]
    # Along dim 0 of a transposed view, with keepdim.
    r0 = x.t().mode(0, keepdim=True)
    assert r0.values.shape == (1, 5) and to_numpy(r0.values)[0].tolist() == [w[0] for w in want]
    s = torch.mode(torch.tensor(2.5, device=device))
    assert s.values.shape == () and s.values.item() == 2.5 and s.indices.item() == 0
    # Gradient goes to the returned occurrence.
    f = torch.tensor([1.0, 2.0, 1.0, 3.0], dtype=torch.float64, device=device, requires_grad=True)
    f.mode().values.backward()
    assert to_numpy(f.grad).tolist() == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(IndexError, match=r"mode\(\): Expected reduction dim 1 to have non-zero size."):
        torch.zeros(2, 0, device=device).mode(1)


def test_finfo_and_iinfo():
    assert torch.finfo(torch.float32).eps == np.finfo(np.float32).eps
    assert torch.finfo(torch.float64).max == np.finfo(np.float64).max
    assert torch.finfo(torch.float16).tiny == np.finfo(np.float16).tiny
    assert torch.finfo().dtype == "float32" and torch.finfo(torch.bfloat16).eps == 0.0078125
    assert torch.finfo(torch.float32).min == -torch.finfo(torch.float32).max
    assert torch.iinfo(torch.int16).max == 32767 and torch.iinfo(torch.uint8).min == 0
    assert torch.iinfo(torch.int64).min == -(2 ** 63)
    with pytest.raises(TypeError, match="torch.finfo\\(\\) requires a floating point input type"):
        torch.finfo(torch.int32)
    with pytest.raises(TypeError, match="torch.iinfo\\(\\) requires an integer input type"):
        torch.iinfo(torch.float32)
