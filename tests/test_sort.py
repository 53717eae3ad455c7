"""Sorting, order statistics and unique against numpy, over several layouts and dtypes."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, to_numpy
from registry import ALL, FLOATS, INTS, make

SORTABLE = FLOATS + ("float16",) + INTS + ("bool",)


def variants(a, dtype):
    yield from_numpy(a, dtype), a
    rev = tuple(range(a.ndim))[::-1]
    yield from_numpy(np.ascontiguousarray(a.transpose(rev)), dtype).permute(*rev), a
    big = np.zeros(a.size * 2, dtype=a.dtype)
    big[::2] = a.ravel()
    strides = [2 * int(np.prod(a.shape[i + 1:])) for i in range(a.ndim)]
    yield from_numpy(big, dtype).as_strided(a.shape, strides, 0), a
    yield from_numpy(a[:1], dtype).expand(*a.shape), np.broadcast_to(a[:1], a.shape)


def stable_sort(a, d, descending=False):
    """Stable argsort; descending keeps equal elements in their original order."""
    if descending:
        # Reverse, stable-sort the negated order, then map back: equal keys keep first-seen order.
        if a.dtype == bool:
            key = ~a
        elif a.dtype.kind == "u":
            key = np.iinfo(a.dtype).max - a
        else:
            key = -a.astype(np.float64)
        idx = np.argsort(key, axis=d, kind="stable")
    else:
        idx = np.argsort(a, axis=d, kind="stable")
    return np.take_along_axis(a, idx, d), idx.astype(np.int64)


@pytest.mark.parametrize("dtype", SORTABLE)
def test_sort_argsort(dtype):
    a = make((4, 5, 6), dtype, low=-3, high=3)  # many ties: checks stability
    for t, arr in variants(a, dtype):
        for d in (0, 1, -1):
            for desc in (False, True):
                r = t.sort(d, descending=desc)
                assert type(r).__name__ == "sort"
                v, i = stable_sort(arr, d, desc)
                assert_close(r.values, v)
                assert_close(r.indices, i)
                assert_close(torch.argsort(t, dim=d, descending=desc, stable=True), i)
        v, i = torch.sort(t, stable=True)
        assert_close(i, stable_sort(arr, -1)[1])


def test_sort_nan_and_special_shapes():
    x = torch.tensor([3.0, float("nan"), -1.0, float("nan"), 2.0])
    v, i = x.sort()
    assert i.tolist() == [2, 4, 0, 1, 3]
    v, i = x.sort(descending=True)
    assert i.tolist() == [1, 3, 0, 4, 2]
    s = torch.tensor(5.0).sort()
    assert s.values.dim() == 0 and s.indices.item() == 0
    e = from_numpy(np.zeros((0, 3), np.float32)).sort(0)
    assert e.values.shape == (0, 3) and e.indices.dtype == torch.int64
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sort(1)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_topk(dtype):
    a = make((4, 7), dtype, low=-100, high=100)
    for t, arr in variants(a, dtype):
        for d in (0, 1):
            for largest in (True, False):
                k = 3
                r = t.topk(k, dim=d, largest=largest)
                assert type(r).__name__ == "topk"
                v, i = stable_sort(arr, d, descending=largest)
                sl = [slice(None)] * 2
                sl[d] = slice(0, k)
                assert_close(r.values, v[tuple(sl)])
                assert_close(np.take_along_axis(arr, np.asarray(r.indices.numpy()), d), v[tuple(sl)])
    t = from_numpy(a, dtype)
    assert t.topk(0).values.shape == (4, 0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        t.topk(8)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_kthvalue_median(dtype):
    a = make((5, 6), dtype, low=-100, high=100)
    for t, arr in variants(a, dtype):
        for d in (0, 1):
            s = np.sort(arr, axis=d)
            r = t.kthvalue(2, d)
            assert type(r).__name__ == "kthvalue"
            assert_close(r.values, np.take(s, 1, axis=d))
            assert_close(np.take_along_axis(arr, np.expand_dims(r.indices.numpy(), d), d).squeeze(d), np.take(s, 1, axis=d))
            m = t.median(d, keepdim=True)
            lower = np.take(s, (arr.shape[d] - 1) // 2, axis=d)
            assert_close(m.values, np.expand_dims(lower, d))
            assert_close(np.take_along_axis(arr, m.indices.numpy(), d), np.expand_dims(lower, d))
        flat = np.sort(arr.ravel())
        assert_close(t.median(), flat[(flat.size - 1) // 2])
        assert t.median().dim() == 0
    with pytest.raises(IndexError, match="out of range"):
        from_numpy(a, dtype).kthvalue(7, 1)


def test_median_nan():
    x = torch.tensor([[1.0, float("nan"), 3.0], [4.0, 2.0, 6.0]])
    assert math.isnan(x.median().item())
    r = x.median(1)
    assert math.isnan(r.values.select(0, 0).item()) and r.indices.tolist() == [1, 0]
    assert x.nanmedian().item() == 3.0
    assert x.nanmedian(1).values.tolist() == [1.0, 4.0]
    assert math.isnan(from_numpy(np.zeros(0, np.float32)).median().item())


@pytest.mark.parametrize("dtype", ALL)
def test_unique(dtype):
    a = make((6, 5), dtype, low=-3, high=3)
    for t, arr in variants(a, dtype):
        arr = to_numpy(t)  # bfloat16 rounding can merge values
        vals, inv, counts = np.unique(arr, return_inverse=True, return_counts=True)
        assert_close(torch.unique(t), vals)
        u, i, c = t.unique(return_inverse=True, return_counts=True)
        assert_close(u, vals)
        assert_close(i, inv.reshape(arr.shape).astype(np.int64))
        assert_close(c, counts.astype(np.int64))
        u, c = torch.unique(t, return_counts=True)
        assert_close(c, counts.astype(np.int64))


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_unique_dim(dtype):
    a = make((6, 3), dtype, low=0, high=1)
    a = np.concatenate([a, a[:2]])
    for t, arr in variants(a, dtype):
        for d in (0, 1):
            vals, inv, counts = np.unique(arr, axis=d, return_inverse=True, return_counts=True)
            u, i, c = t.unique(dim=d, return_inverse=True, return_counts=True)
            assert_close(u, vals)
            assert_close(i, inv.ravel().astype(np.int64))
            assert_close(c, counts.astype(np.int64))


def np_unique_consecutive(a):
    a = a.ravel()
    if a.size == 0:
        return a, np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.concatenate([[True], a[1:] != a[:-1]])
    ids = np.cumsum(starts) - 1
    return a[starts], ids.astype(np.int64), np.bincount(ids).astype(np.int64)


@pytest.mark.parametrize("dtype", ALL)
def test_unique_consecutive(dtype):
    a = make((20,), dtype, low=0, high=2)
    t = from_numpy(a, dtype)
    v, i, c = np_unique_consecutive(to_numpy(t))
    assert_close(t.unique_consecutive(), v)
    r = torch.unique_consecutive(t, return_inverse=True, return_counts=True)
    assert_close(r[0], v)
    assert_close(r[1], i)
    assert_close(r[2], c)
    m = torch.tensor([[1, 2], [1, 2], [3, 4], [1, 2]])
    u, c = m.unique_consecutive(dim=0, return_counts=True)
    assert u.tolist() == [[1, 2], [3, 4], [1, 2]] and c.tolist() == [2, 1, 1]
    assert from_numpy(np.zeros(0, np.float32)).unique().shape == (0,)
