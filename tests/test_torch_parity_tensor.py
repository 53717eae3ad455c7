"""Regression tests for differences from PyTorch found by differential probes in the tensor
area: print formatting with a forced sci_mode, torch.Size, finfo/iinfo argument checks, the
container protocol of tensors, `to()` identity, the `new_*` size keyword, resize_ of
non-contiguous tensors, tensor_split keywords, the *_copy views, split_with_sizes and the
conjugation helpers of real tensors. Expected values come from numpy or are written out by hand
from PyTorch's documented behaviour.
"""
import pickle

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, to_numpy


def _close(actual, expected):
    """assert_close for tensors on any device."""
    assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected)


@pytest.fixture
def printopts():
    yield
    torch.set_printoptions(profile="default")


def _x(device, shape=(2, 3, 4)):
    a = (np.arange(int(np.prod(shape)), dtype=np.float32) - 5).reshape(shape)
    return a, from_numpy(a).to(device)


# ----------------------------------------------------------------------------- printing

def test_forced_sci_mode_sizes_columns_for_sci(printopts):
    torch.set_printoptions(sci_mode=True)
    values = np.arange(8, dtype=np.float32) / 3
    got = repr(torch.tensor(values))
    # Ten-character sci entries: (80 - 7) // (10 + 2) = 6 per line.
    items = [f"{v:.4e}" for v in values.astype(np.float64)]
    expected = "tensor([" + ", ".join(items[:6]) + ",\n        " + ", ".join(items[6:]) + "])"
    assert got == expected


def test_forced_fixed_mode_sizes_columns_for_fixed(printopts):
    torch.set_printoptions(sci_mode=False)
    assert repr(torch.tensor([1.12345, 2.5, 1e-5])) == "tensor([1.1235, 2.5000, 0.0000])"
    assert repr(torch.tensor([1e10, 1.0])) == "tensor([10000000000.,           1.])"
    assert repr(torch.tensor([123.456, 0.001])) == "tensor([123.4560,   0.0010])"


def test_forced_sci_mode_with_only_zeros_prints_fixed(printopts, device):
    torch.set_printoptions(sci_mode=True)
    assert repr(torch.zeros(2, device=device).cpu()) == "tensor([0., 0.])"


# ----------------------------------------------------------------------------- torch.Size

def test_size_arithmetic_keeps_size():
    s = torch.Size([2, 3])
    for r, expected in (((4,) + s, (4, 2, 3)), (s + (4,), (2, 3, 4)), (s * 2, (2, 3, 2, 3)),
                        (2 * s, (2, 3, 2, 3)), (s[1:], (3,))):
        assert type(r) is torch.Size and tuple(r) == expected
    assert repr(torch.Size([1]) * 0) == "torch.Size([])"
    with pytest.raises(TypeError, match=r"can only concatenate tuple \(not list\) to torch.Size"):
        s + [1]


def test_size_converts_indexables_and_refuses_others():
    s = torch.Size([torch.tensor(3), np.int64(2), True])
    assert tuple(s) == (3, 2, 1) and all(type(v) is int for v in s)
    with pytest.raises(TypeError, match=r"torch.Size\(\) takes an iterable of 'int' \(item 0 is 'float'\)"):
        torch.Size([3.0])
    with pytest.raises(TypeError, match=r"item 1 is 'Tensor'"):
        torch.Size([1, torch.tensor(3.0)])
    with pytest.raises(TypeError, match=r"item 0 is 'str'"):
        torch.Size("ab")
    assert pickle.loads(pickle.dumps(torch.Size([1, 2]))) == torch.Size([1, 2])


# ----------------------------------------------------------------------------- finfo / iinfo

def test_iinfo_bool_and_non_dtype_arguments():
    with pytest.raises(TypeError, match="^torch.bool is not supported by torch.iinfo$"):
        torch.iinfo(torch.bool)
    with pytest.raises(TypeError, match=r"^iinfo\(\): argument 'type' \(position 1\) must be torch.dtype, not str$"):
        torch.iinfo("int32")
    with pytest.raises(TypeError, match=r"^finfo\(\): argument 'type' \(position 1\) must be torch.dtype, not int$"):
        torch.finfo(3)
    assert torch.iinfo(torch.int16).max == np.iinfo(np.int16).max
    assert torch.finfo(torch.float16).eps == float(np.finfo(np.float16).eps)


# ----------------------------------------------------------------------------- container protocol

def test_contains(device):
    a, x = _x(device)
    assert (3.0 in x) is True and (100 in x) is False
    assert torch.tensor(-5.0, device=device) in x
    assert torch.tensor([100.0, 200.0, 300.0, 6.0], device=device) in x      # any element of the broadcast equality
    assert np.float64(7.0) in x
    with pytest.raises(RuntimeError, match=r"Tensor.__contains__ only supports Tensor or scalar, but you "
                                           r"passed in a <class 'str'>\."):
        "a" in x


def test_reversed_flips_dim0(device):
    a, x = _x(device)
    _close(reversed(x), a[::-1])
    _close(reversed(x.transpose(0, 2)), a.transpose(2, 1, 0)[::-1])
    zero_d = torch.tensor(2.5, device=device)
    assert reversed(zero_d) is zero_d


def test_numpy_ufunc_returns_tensor():
    a, x = _x("cpu")
    r = np.sin(x)
    assert isinstance(r, torch.Tensor)
    _close(r, np.sin(a))
    m = np.greater(x, 0)  # bool results come back as uint8, as in PyTorch
    assert isinstance(m, torch.Tensor) and m.dtype == torch.uint8
    _close(m, (a > 0).astype(np.uint8))


def test_numpy_scalar_operands_give_tensors(device):
    a, x = _x(device)
    for r, e in ((np.float64(2.0) * x, 2.0 * a), (np.float32(1.5) + x, 1.5 + a), (np.int64(3) - x, 3 - a),
                 (np.float64(0.0) == x, a == 0)):
        assert isinstance(r, torch.Tensor) and r.device == x.device
        _close(r, e)


# ----------------------------------------------------------------------------- to() identity

def test_to_without_change_returns_self(device):
    x = torch.ones(3, device=device, requires_grad=True)
    assert x.to(torch.float32) is x
    assert x.to(x) is x
    assert x.to(device=x.device, dtype=x.dtype) is x
    y = x.to(torch.float32, copy=True)
    assert y is not x
    assert x.to(torch.float64) is not x
    # A real change still converts.
    assert x.to(torch.float64).dtype == torch.float64


# ----------------------------------------------------------------------------- new_* and resize_

@pytest.mark.parametrize("name,fill", [("new_zeros", 0), ("new_ones", 1)])
def test_new_constructors_size_keyword(device, name, fill):
    x = torch.ones(2, dtype=torch.float64, device=device)
    r = getattr(x, name)(size=(2, 3))
    assert r.dtype == torch.float64 and r.device == x.device
    _close(r.cpu(), np.full((2, 3), fill, dtype=np.float64))
    assert tuple(x.new_empty(size=[4]).shape) == (4,)
    with pytest.raises(TypeError, match="unexpected keyword argument 'sizes'"):
        getattr(x, name)(sizes=(2,))


def test_resize_reads_storage_order(device):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = from_numpy(a).to(device).t()          # logical order 0,3,1,4,2,5
    x.resize_(2, 2)
    _close(x.cpu(), a.reshape(-1)[:4].reshape(2, 2))
    base = from_numpy(np.arange(4, dtype=np.float32)).to(device)
    view = base[:]
    view.resize_(2)                           # shrinking keeps sharing the memory
    view[0] = 9
    _close(base.cpu(), np.array([9, 1, 2, 3], dtype=np.float32))
    grown = from_numpy(np.arange(4, dtype=np.float32)).to(device).resize_(3, 2)
    assert tuple(grown.shape) == (3, 2)
    _close(grown.cpu()[:2], np.arange(4, dtype=np.float32).reshape(2, 2))


# ----------------------------------------------------------------------------- splits

def test_tensor_split_keywords(device):
    a, x = _x(device)
    for kw, expected in (({"sections": 3}, np.array_split(a, 3, axis=2)),
                         ({"indices": [1, 3]}, np.split(a, [1, 3], axis=2)),
                         ({"tensor_indices_or_sections": torch.tensor(2)}, np.array_split(a, 2, axis=2))):
        parts = torch.tensor_split(x, dim=2, **kw)
        assert len(parts) == len(expected)
        for p, e in zip(parts, expected):
            _close(p, e)


def test_split_with_sizes_and_unsafe_splits(device):
    a, x = _x(device)
    xt = x.transpose(0, 2)
    for parts, ref in ((torch.split_with_sizes(x, [1, 2], 1), np.split(a, [1], axis=1)),
                       (xt.split_with_sizes([3, 1], dim=0), np.split(a.transpose(2, 1, 0), [3], axis=0)),
                       (torch.unsafe_split(x, 3, 2), np.split(a, [3], axis=2)),
                       (x.unsafe_chunk(2, 2), np.split(a, 2, axis=2)),
                       (x.unsafe_split_with_sizes([2, 2], -1), np.split(a, 2, axis=2))):
        assert len(parts) == len(ref)
        for p, e in zip(parts, ref):
            _close(p, e)
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 3 \(input "
                                           r"tensor's size at dimension 1\), but got split_sizes=\[1, 1\]"):
        torch.split_with_sizes(x, [1, 1], 1)


def test_split_with_sizes_backward(device):
    a, _ = _x(device)
    x = from_numpy(a.astype(np.float64)).to(device).requires_grad_()
    p, q = x.split_with_sizes([1, 2], 1)
    (p * 2 + q.sum(1, keepdim=True) * 3).sum().backward()
    expected = np.concatenate([np.full((2, 1, 4), 2.0), np.full((2, 2, 4), 3.0)], axis=1)
    _close(x.grad.cpu(), expected)


# ----------------------------------------------------------------------------- *_copy views

def _copy_cases(a):
    return [
        ("view_copy", lambda T, x: T.view_copy(x, (6, 4)), a.reshape(6, 4)),
        ("permute_copy", lambda T, x: T.permute_copy(x, (2, 0, 1)), a.transpose(2, 0, 1)),
        ("expand_copy", lambda T, x: T.expand_copy(x[:, :1], (2, 3, 4)), np.broadcast_to(a[:, :1], (2, 3, 4))),
        ("transpose_copy", lambda T, x: T.transpose_copy(x, 0, 2), a.transpose(2, 1, 0)),
        ("t_copy", lambda T, x: T.t_copy(x[0]), a[0].T),
        ("squeeze_copy", lambda T, x: T.squeeze_copy(x[:, :1]), a[:, 0]),
        ("unsqueeze_copy", lambda T, x: T.unsqueeze_copy(x, 1), a[:, None]),
        ("select_copy", lambda T, x: T.select_copy(x, 2, -1), a[:, :, -1]),
        ("diagonal_copy", lambda T, x: T.diagonal_copy(x, 1, 1, 2), np.diagonal(a, 1, 1, 2)),
        ("detach_copy", lambda T, x: T.detach_copy(x), a),
        ("alias_copy", lambda T, x: T.alias_copy(x), a),
        ("as_strided_copy", lambda T, x: T.as_strided_copy(x, (2, 2), (1, 4)), a.reshape(-1)[[[0, 4], [1, 5]]]),
        ("unfold_copy", lambda T, x: T.unfold_copy(x, 2, 2, 2), a.reshape(2, 3, 2, 2)),
        ("slice_copy", lambda T, x: T.slice_copy(x, 2, 1, None, 2), a[:, :, 1::2]),
    ]


@pytest.mark.parametrize("i", range(14))
def test_view_copies_are_fresh_memory(device, i):
    a, x = _x(device)
    name, fn, expected = _copy_cases(a)[i]
    r = fn(torch, x)
    _close(r, expected)
    assert r.is_contiguous()
    # Writing to the copy leaves the input alone.
    r.fill_(123.0)
    _close(x, a)


def test_tuple_copies_and_copy_grad(device):
    a, x = _x(device)
    for r, e in zip(torch.unbind_copy(x, 1), [a[:, k] for k in range(3)]):
        _close(r, e)
    for r, e in zip(torch.split_copy(x, 3, 2), np.split(a, [3], axis=2)):
        _close(r, e)
    for r, e in zip(torch.split_with_sizes_copy(x, [2, 1], 1), np.split(a, [2], axis=1)):
        _close(r, e)
    xg = from_numpy(a.astype(np.float64)).to(device).requires_grad_()
    torch.permute_copy(xg, (2, 0, 1)).mul(from_numpy(np.arange(24.0).reshape(4, 2, 3)).to(device)).sum().backward()
    _close(xg.grad.cpu(), np.arange(24.0).reshape(4, 2, 3).transpose(1, 2, 0))
    out = torch.empty(0, device=device)
    assert torch.t_copy(x[0], out=out) is out
    _close(out, a[0].T)


# ----------------------------------------------------------------------------- real-tensor helpers

def test_conjugation_helpers_are_identity(device):
    a, x = _x(device)
    for fn in (torch.conj, torch.resolve_conj, torch.resolve_neg, torch.conj_physical,
               torch.Tensor.conj, torch.Tensor.resolve_conj, torch.Tensor.resolve_neg):
        assert fn(x) is x
    assert not torch.is_conj(x) and not x.is_conj() and not torch.is_neg(x) and not x.is_neg()
    assert not torch.is_storage(x)


def test_adjoint(device):
    a, x = _x(device)
    _close(torch.adjoint(x), a.transpose(0, 2, 1))
    _close(x.transpose(0, 2).adjoint(), a.transpose(2, 0, 1))
    with pytest.raises(RuntimeError, match=r"tensor.adjoint\(\) is only supported on matrices or batches of "
                                           r"matrices. Got 1-D tensor."):
        x[0, 0].adjoint()
    xg = from_numpy(a.astype(np.float64)).to(device).requires_grad_()
    w = np.arange(24.0).reshape(2, 4, 3)
    (xg.adjoint() * from_numpy(w).to(device)).sum().backward()
    _close(xg.grad.cpu(), w.transpose(0, 2, 1))


def test_is_same_size_and_is_set_to(device):
    a, x = _x(device)
    assert x.is_same_size(torch.zeros(2, 3, 4, device=device))
    assert not x.is_same_size(x.transpose(0, 2))
    assert torch.is_same_size(x, x[:])
    with pytest.raises(TypeError, match=r"is_same_size\(\): argument 'other' \(position 1\) must be Tensor, not int"):
        x.is_same_size(3)
    assert x.is_set_to(x[:])
    assert not x.is_set_to(x.clone())
    assert not x.is_set_to(x[1:])
    assert not x.is_set_to(x.transpose(0, 1).reshape(2, 3, 4))
    assert to_numpy(x.cpu()).shape == (2, 3, 4)
