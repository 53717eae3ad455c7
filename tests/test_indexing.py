"""Indexing family against numpy: subscripts (read and write), gather/scatter, index_*,
masks, where, nonzero, take. Inputs come contiguous, transposed, sliced (step 2), broadcast
(expand), 0-d and empty; errors carry PyTorch's class and message."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, run_in_fresh_process, to_numpy
from registry import OpInfo
from registry.indexing import OPS

ALL = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]
NUM = [d for d in ALL if d != "bool"]


def make(shape, dtype, seed=0):
    r = np.random.default_rng(seed)
    if dtype == "bool":
        return r.random(shape) > 0.5
    if dtype == "uint8":
        return r.integers(0, 10, size=shape).astype(np.uint8)
    if dtype.startswith("int"):
        return r.integers(-5, 6, size=shape).astype(dtype)
    # multiples of 1/8 below 3: exact in every float dtype, and so are small sums of them
    return (r.integers(-24, 25, size=shape) / 8).astype(np_of(dtype))


def np_of(dtype):
    return "float32" if dtype == "bfloat16" else dtype


def zeros(*shape, dtype=None):
    """`torch.zeros` stand-in (creation ops belong to another family)."""
    return torch.tensor(np.zeros(shape, dtype=np.float32)).to(dtype or torch.float32)


def ones(*shape, dtype=None):
    return torch.tensor(np.ones(shape, dtype=np.float32)).to(dtype or torch.float32)


def layouts(a, dtype, expand=True):
    """(name, tensor, numpy) triples holding a's values in different memory layouts."""
    out = [("contiguous", from_numpy(a, dtype), a)]
    if a.ndim >= 2:
        out.append(("transposed", from_numpy(np.ascontiguousarray(a.T), dtype).T, a))
    if a.ndim >= 1:
        wide = np.repeat(a, 2, axis=-1)
        out.append(("sliced", from_numpy(wide, dtype)[..., ::2], a))
    if expand and a.ndim >= 1 and a.shape[0] > 0:
        out.append(("expanded", from_numpy(a[:1], dtype).expand(*a.shape), np.broadcast_to(a[:1], a.shape)))
    return out


def writable(a, dtype):
    return [(n, t, x.copy()) for n, t, x in layouts(a, dtype, expand=False)]


# ----------------------------------------------------------------------------- __getitem__

BASIC = [
    (1,), (-1,), (slice(1, 3),), (slice(None, None, 2),), (slice(None), 1), (None,), (Ellipsis, 0),
    (1, None, slice(None, None, 2)), (slice(-10, 10),), (slice(2, 1),), (0, -1), (Ellipsis,),
    (None, Ellipsis, None),
]
ADVANCED = [
    ([0, 2],),
    (np.array([0, -1]),),
    ([0, 1], [1, 2]),
    ([[0], [2]], [0, 3]),
    (slice(None), [0, 2]),
    (slice(1, None), [3, 0, 3]),
    (True,),
    (False,),
    (Ellipsis, [1]),
    ([],),
    (np.array([[0, 1], [2, 2]]),),
]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("idx", BASIC, ids=repr)
def test_getitem_basic_is_view(dtype, idx):
    a = make((3, 4), np_of(dtype))
    for name, t, x in layouts(a, dtype):
        r = t[idx]
        assert_close(r, x[idx])
        assert r._storage_id() == t._storage_id(), name


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16"])
@pytest.mark.parametrize("idx", ADVANCED, ids=repr)
def test_getitem_advanced_copies(dtype, idx):
    a = make((3, 4), np_of(dtype), seed=1)
    np_idx = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else i for i in idx)
    for name, t, x in layouts(a, dtype):
        r = t[idx]
        assert_close(r, x[np_idx])
        if r.numel() > 0:
            assert r._storage_id() != t._storage_id(), name


def test_getitem_index_tensors_and_tuple_of_lists():
    a = make((3, 4, 5), "float32", seed=2)
    t = from_numpy(a)
    i0, i1 = torch.tensor([0, 2, 1]), torch.tensor([[1], [3]])
    assert_close(t[i0], a[[0, 2, 1]])
    assert_close(t[i1 - 1, 1:, i0], a[np.array([[0], [2]]), 1:, [0, 2, 1]])
    # advanced indices separated by a slice: their dims go first (numpy rule)
    r = t[[0, 1], :, [2, 4]]
    assert_close(r, a[[0, 1], :, [2, 4]])
    assert tuple(r.shape) == (2, 4)
    # adjacent advanced indices stay in place
    assert_close(t[:, [0, 1], [2, 4]], a[:, [0, 1], [2, 4]])
    assert_close(t[:, [[0], [3]], [2, 4, 1]], a[:, [[0], [3]], [2, 4, 1]])
    assert_close(t[([0, 1], [1, 2])], a[([0, 1], [1, 2])])
    # PyTorch reads a short list of lists as a tuple of indices
    assert_close(t[[[0, 1], [1, 2]]], a[[0, 1], [1, 2]])
    assert_close(t[torch.tensor([0, 1], dtype=torch.int32)], a[[0, 1]])
    assert_close(t[np.array([1, 0], dtype=np.int32), None], a[[1, 0], None])
    # slice steps larger than the dim and index tensors on a non-contiguous view
    assert_close(t.permute(2, 0, 1)[::3, [1, 0]], a.transpose(2, 0, 1)[::3, [1, 0]])


def test_zero_dim_int_tensor_acts_like_int():
    a = make((3, 4), "float32")
    t = from_numpy(a)
    r = t[torch.tensor(2)]
    assert_close(r, a[2])
    assert r._storage_id() == t._storage_id()
    assert_close(t[1, torch.tensor(-1)], a[1, -1])
    assert_close(t[np.int64(1)], a[1])


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_getitem_masks(dtype):
    a = make((3, 4), np_of(dtype), seed=3)
    m = make((3, 4), "bool", seed=4)
    for name, t, x in layouts(a, dtype):
        assert_close(t[torch.tensor(m)], x[m])
        assert_close(t[m], x[m])
        assert_close(t[m[:, 0]], x[m[:, 0]])
        assert_close(t[:, torch.tensor(m[0])], x[:, m[0]])
        assert_close(t[[True, False, True]], x[[True, False, True]])
        assert_close(t[torch.tensor(m[:, 0]).to(torch.uint8)], x[m[:, 0]])
        assert_close(t[torch.tensor(True)], x[None])
        assert_close(t[m[:, 1], 2], x[m[:, 1], 2])


def test_getitem_zero_d_and_empty():
    s = torch.tensor(3.5)
    assert s[()].item() == 3.5
    assert s[None].shape == (1,)
    assert s[...].item() == 3.5
    assert s[True].shape == (1,)
    assert s[False].shape == (0,)
    assert s[torch.tensor(True)].shape == (1,)
    e = zeros(0, 3)
    assert e[:, 1].shape == (0,)
    assert e[torch.tensor([], dtype=torch.int64)].shape == (0, 3)
    assert e[e > 0].shape == (0,)
    assert zeros(2, 0)[[1, 0]].shape == (2, 0)


def test_getitem_errors():
    t = zeros(3, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        t[5]
    with pytest.raises(IndexError, match="index -5 is out of bounds for dimension 1 with size 4"):
        t[0, -5]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match=r"The shape of the mask \[3\] at index 0 does not match the shape of the indexed tensor \[4\] at index 0"):
        zeros(4)[torch.tensor([True, False, True])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[torch.tensor([0.0])]
    with pytest.raises(IndexError, match=r"only integers, slices \(`:`\), ellipsis \(`...`\), None and long or byte Variables are valid indices \(got float\)"):
        t[1.0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]
    with pytest.raises(ValueError, match="^slice step cannot be zero$"):
        t[::0]
    with pytest.raises(IndexError, match="out of bounds"):
        t[[0, 3]]
    with pytest.raises(IndexError, match="shape mismatch: indexing tensors could not be broadcast together"):
        t[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., ...]
    with pytest.raises(IndexError, match=r"dimension 0"):
        torch.tensor(1.0)[0]


# ----------------------------------------------------------------------------- __setitem__

SET = [
    (1,), (slice(None), 2), (slice(None, None, 2),), (Ellipsis, -1), ([0, 2],), ([0, 1], [3, 3]),
    (slice(None), [1, 0]), (None, 1), ([[0], [2]], [1, 2]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int16", "uint8", "bool", "float16"])
@pytest.mark.parametrize("idx", SET, ids=repr)
def test_setitem_scalar_and_tensor(dtype, idx):
    a = make((3, 4), np_of(dtype), seed=5)
    np_idx = tuple(np.array(i) if isinstance(i, list) else i for i in idx)
    for name, t, x in writable(a, dtype):
        v0 = t._version
        t[idx] = 1
        x[np_idx] = 1
        assert_close(t, x)
        assert t._version > v0
        shape = x[np_idx].shape
        val = make(shape, np_of(dtype), seed=6)
        t[idx] = from_numpy(val, dtype)
        x[np_idx] = val
        assert_close(t, x)
        # broadcast value along the last dim
        if len(shape) >= 1:
            row = make(shape[-1:], np_of(dtype), seed=7)
            t[idx] = from_numpy(row, dtype)
            x[np_idx] = row
            assert_close(t, x)


def test_setitem_masks_views_and_casts():
    a = make((3, 4), "float32", seed=8)
    for name, t, x in writable(a, "float32"):
        m = x > 0
        t[torch.tensor(m)] = 0.0
        x[m] = 0.0
        assert_close(t, x)
        t[t < -1] = torch.tensor(-1.0, dtype=torch.float64)  # value dtype is cast
        x[x < -1] = -1.0
        assert_close(t, x)
        t[1] = ones(1, 4)  # leading size-1 dims are dropped
        x[1] = 1.0
        assert_close(t, x)
        t[[0, 2], 1:3] = torch.tensor([[5.0, 6.0], [7.0, 8.0]])
        x[[0, 2], 1:3] = [[5.0, 6.0], [7.0, 8.0]]
        assert_close(t, x)
    base = zeros(2, 3)
    v = base[1]
    v[:] = 4
    assert base.tolist() == [[0, 0, 0], [4, 4, 4]]
    base[0] = base[1] * 2  # value computed from the same storage
    assert base.tolist() == [[8, 8, 8], [4, 4, 4]]
    d = zeros(3)
    d[[0, 0, 2]] = torch.tensor([1.0, 2.0, 3.0])
    assert d[2].item() == 3.0 and d[0].item() in (1.0, 2.0)


def test_setitem_errors():
    t = zeros(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        t[3] = 1
    with pytest.raises(RuntimeError, match=r"^shape mismatch: value tensor of shape \[3\] cannot be broadcast to "
                                           r"indexing result of shape \[2, 4\]$"):
        t[[0, 1]] = ones(3)
    with pytest.raises(RuntimeError, match=r"^The expanded size of the tensor \(4\) must match the existing size \(3\) "
                                           r"at non-singleton dimension 0.  Target sizes: \[4\].  Tensor sizes: \[3\]$"):
        t[0] = ones(3)
    t[0] = ones(1, 1, 4)  # leading size-1 dims of the value are dropped, as in PyTorch
    assert t[0].tolist() == [1.0] * 4
    # Only tensors and numbers are assignable (numpy's float64 is a float, its float32 is not).
    for value, name in [([1, 2, 3, 4], "list"), ((1, 2, 3, 4), "tuple"), (np.ones(4), "numpy.ndarray"),
                        (np.float32(2), "numpy.float32"), ("a", "str"), (None, "NoneType")]:
        with pytest.raises(TypeError, match=f"^can't assign a {name} to a torch.FloatTensor$"):
            t[1] = value
    with pytest.raises(TypeError, match="^can't assign a list to a torch.LongTensor$"):
        zeros(2, dtype=torch.long)[0] = [1]
    t[1] = np.float64(2.0)
    t[2] = np.int64(3)
    assert t[1:].tolist() == [[2.0] * 4, [3.0] * 4]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        zeros(1, 3).expand(2, 3)[[0]] = 1.0


# ----------------------------------------------------------------------------- gather / scatter

def np_gather(x, dim, idx):
    out = np.empty(idx.shape, dtype=x.dtype)
    for pos in np.ndindex(*idx.shape):
        src = list(pos)
        src[dim] = idx[pos]
        out[pos] = x[tuple(src)]
    return out


def np_scatter(x, dim, idx, src, op=None):
    out = x.copy()
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        v = src[pos] if np.ndim(src) > 0 else src
        tgt = tuple(tgt)
        if op == "add":
            out[tgt] = out[tgt] + v
        elif op == "multiply":
            out[tgt] = out[tgt] * v
        else:
            out[tgt] = v
    return out


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dtype, dim):
    a = make((3, 4), np_of(dtype), seed=9)
    r = np.random.default_rng(dim + 5)
    idx = r.integers(0, a.shape[dim], size=(2, 3))
    for name, t, x in layouts(a, dtype):
        for iname, it, ix in layouts(idx, "int64"):
            assert_close(torch.gather(t, dim, it), np_gather(x, dim, ix))
            assert_close(t.gather(dim, it), np_gather(x, dim, ix))


def test_gather_edge_cases_and_errors():
    s = torch.tensor(5.0)
    assert s.gather(0, torch.tensor(0)).item() == 5.0
    assert zeros(3, 2).gather(0, zeros(0, 2, dtype=torch.int64)).shape == (0, 2)
    t = zeros(3, 4)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 3"):
        t.gather(0, torch.tensor([[5]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 4"):
        t.gather(1, torch.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="gather\\(\\): Expected dtype int32/int64 for index"):
        t.gather(0, torch.tensor([[0]], dtype=torch.int16))
    # int32 indices are taken as they are in PyTorch, also by the backward.
    src = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    i32 = torch.tensor([[1, 0], [1, 1]], dtype=torch.int32)
    out = src.gather(1, i32)
    assert out.tolist() == [[2.0, 1.0], [4.0, 4.0]]
    out.sum().backward()
    assert src.grad.tolist() == [[1.0, 1.0], [0.0, 2.0]]
    assert torch.take_along_dim(src.detach(), i32, 1).tolist() == [[2.0, 1.0], [4.0, 4.0]]
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as input tensor"):
        t.gather(0, torch.tensor([0]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 1"):
        t.gather(0, zeros(1, 5, dtype=torch.int64))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.gather(2, torch.tensor([[0]]))


@pytest.mark.parametrize("dtype", ALL)
def test_scatter_family(dtype):
    a = make((3, 4), np_of(dtype), seed=10)
    src = make((2, 4), np_of(dtype), seed=11)
    idx = np.array([[0, 1, 2, 0], [1, 2, 0, 2]])  # no duplicates per column: order-independent
    for name, t, x in writable(a, dtype):
        st = from_numpy(src, dtype)
        assert_close(t.scatter(0, torch.tensor(idx), st), np_scatter(x, 0, idx, src))
        assert_close(torch.scatter(t, 0, torch.tensor(idx), 1), np_scatter(x, 0, idx, np.array(1).astype(x.dtype)))
        assert_close(t.scatter(0, torch.tensor(idx), value=0), np_scatter(x, 0, idx, np.array(0).astype(x.dtype)))
        if dtype != "bool":
            dup = np.array([[0, 0, 2, 2], [0, 0, 2, 2]])
            assert_close(t.scatter_add(0, torch.tensor(dup), st), np_scatter(x, 0, dup, src, "add"))
            assert_close(t.scatter(0, torch.tensor(dup), st, reduce="add"), np_scatter(x, 0, dup, src, "add"))
            tol = dict(rtol=2e-2, atol=2e-2) if dtype in ("float16", "bfloat16") else {}
            assert_close(t.scatter(0, torch.tensor(dup), st, reduce="multiply"), np_scatter(x, 0, dup, src, "multiply"), **tol)
        v0 = t._version
        r = t.scatter_(1, torch.tensor(idx[:, :3]), st)
        assert r is t and t._version > v0
        x = np_scatter(x, 1, idx[:, :3], src)
        assert_close(t, x)
        if dtype != "bool":
            t.scatter_add_(1, torch.tensor(idx[:, :3]), st)
            assert_close(t, np_scatter(x, 1, idx[:, :3], src, "add"))


def test_scatter_errors():
    t = zeros(3, 4)
    i = torch.tensor([[5]])
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 3"):
        t.scatter(0, i, ones(1, 1))
    with pytest.raises(RuntimeError, match="scatter\\(\\): Expected dtype int32/int64 for index"):
        t.scatter_add(0, i.short(), ones(1, 1))
    assert t.scatter(0, torch.tensor([[2]], dtype=torch.int32), ones(1, 1)).tolist()[2] == [1.0, 0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        t.scatter(0, torch.tensor([[0]]), ones(1, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="to be smaller than self"):
        t.scatter(0, zeros(1, 5, dtype=torch.int64), ones(1, 5))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        t.scatter(0, torch.tensor([[0]]), ones(1, 1), reduce="max")


# "max"/"min" are accepted as amax/amin, as PyTorch 2.15's forward does.
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin", "max", "min"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_scatter_reduce(reduce, include_self, dtype):
    a = make((4, 3), dtype, seed=12)
    src = make((5, 3), dtype, seed=13)
    idx = np.array([[0, 1, 2], [0, 1, 2], [3, 3, 0], [0, 0, 0], [1, 1, 1]])
    exp = a.copy()
    groups = {}
    for pos in np.ndindex(*idx.shape):
        groups.setdefault((idx[pos], pos[1]), []).append(src[pos])
    for k, vals in groups.items():
        vals = ([a[k]] if include_self else []) + vals
        f = {"sum": np.sum, "prod": np.prod, "amax": np.max, "amin": np.min, "max": np.max, "min": np.min,
             "mean": np.mean}[reduce]
        v = f(np.array(vals))
        if reduce == "mean" and dtype == "int64":
            v = np.floor_divide(np.sum(vals), len(vals))
        exp[k] = v
    for name, t, _ in writable(a, dtype):
        r = torch.scatter_reduce(t, 0, torch.tensor(idx), from_numpy(src), reduce, include_self=include_self)
        assert_close(r, exp, rtol=1e-5)
        t.scatter_reduce_(0, torch.tensor(idx), from_numpy(src), reduce, include_self=include_self)
        assert_close(t, exp, rtol=1e-5)


# ----------------------------------------------------------------------------- index_*

@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("dim", [0, 1])
def test_index_select(dtype, dim):
    a = make((3, 4), np_of(dtype), seed=14)
    idx = np.array([2, 0, 2, 1]) % a.shape[dim]
    for name, t, x in layouts(a, dtype):
        for itype in ("int64", "int32"):
            i = torch.tensor(idx).to(getattr(torch, itype))
            assert_close(t.index_select(dim, i), np.take(x, idx, axis=dim))
        assert_close(torch.index_select(t, dim, torch.tensor(idx)[::2]), np.take(x, idx[::2], axis=dim))
        assert_close(t.index_select(dim, torch.tensor(1)), np.take(x, [1], axis=dim))
        assert_close(t.index_select(dim, torch.tensor([], dtype=torch.int64)), np.take(x, np.array([], dtype=np.int64), axis=dim))


def test_index_select_errors():
    t = zeros(3, 4)
    with pytest.raises(IndexError, match="index out of range in self"):
        t.index_select(0, torch.tensor([3]))
    with pytest.raises(IndexError, match="index out of range in self"):
        t.index_select(0, torch.tensor([-1]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        t.index_select(0, torch.tensor([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        t.index_select(0, torch.tensor([0.0]))


@pytest.mark.parametrize("dtype", NUM)
def test_index_add_copy_fill(dtype):
    a = make((3, 4), np_of(dtype), seed=15)
    src = make((3, 2), np_of(dtype), seed=16)
    for name, t, x in writable(a, dtype):
        s = from_numpy(src, dtype)
        dup = np.array([3, 3])
        exp = x.copy()
        for j, k in enumerate(dup):
            exp[:, k] = exp[:, k] + 2 * src[:, j]
        if dtype.startswith("float") or dtype == "bfloat16":
            assert_close(t.index_add(1, torch.tensor(dup), s, alpha=2), exp, rtol=2e-2, atol=2e-2)
        else:
            assert_close(torch.index_add(t, 1, torch.tensor(dup), s, alpha=2), exp.astype(x.dtype))
        exp = x.copy()
        exp[:, [0, 2]] = src
        assert_close(t.index_copy(1, torch.tensor([0, 2]), s), exp)
        exp = x.copy()
        exp[[0, 2], :] = 1
        assert_close(torch.index_fill(t, 0, torch.tensor([0, -1]), 1), exp)
        assert_close(t.index_fill(0, torch.tensor([0, 2]), torch.tensor(1)), exp)
        v0 = t._version
        t.index_add_(1, torch.tensor([1, 0]), s)
        x[:, [1, 0]] += src
        assert_close(t, x, rtol=2e-2, atol=2e-2)
        assert t._version > v0
        t.index_copy_(0, torch.tensor([1]), s.T[:1, :].contiguous()[:, :1].expand(1, 4).clone())
        x[1] = src.T[0, 0]
        assert_close(t, x, rtol=2e-2, atol=2e-2)
        t.index_fill_(1, torch.tensor([3]), 0)
        x[:, 3] = 0
        assert_close(t, x, rtol=2e-2, atol=2e-2)


def test_index_ops_errors():
    t = zeros(3, 4)
    with pytest.raises(IndexError, match="index out of range in self"):
        t.index_add_(0, torch.tensor([3]), ones(1, 4))
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        t.index_add_(0, torch.tensor([0]), ones(1, 4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="Source/destination tensor must have same slice shapes"):
        t.index_copy_(0, torch.tensor([0]), ones(1, 3))
    with pytest.raises(IndexError, match="index_copy_\\(\\): index 7 is out of bounds for dimension 0 with size 3"):
        t.index_copy_(0, torch.tensor([7]), ones(1, 4))
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        t.index_fill_(0, torch.tensor([-4]), 1.0)
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        t.index_fill_(0, torch.tensor([0], dtype=torch.int32), 1.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor, but got tensor with 1 dimension"):
        t.index_fill_(0, torch.tensor([0]), ones(1))


# ----------------------------------------------------------------------------- index_put_

@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_index_put(dtype):
    a = make((3, 4), dtype, seed=17)
    for name, t, x in writable(a, dtype):
        rows, cols = np.array([0, 2, 0]), np.array([1, 3, 1])
        vals = make((3,), dtype, seed=18)
        r = t.index_put((torch.tensor(rows), torch.tensor(cols)), from_numpy(vals), accumulate=True)
        exp = x.copy()
        np.add.at(exp, (rows, cols), vals)
        assert_close(r, exp)
        assert_close(t, x)  # out-of-place
        torch.index_put_(t, (torch.tensor([1]),), torch.tensor(7).to(t.dtype))
        x[1] = 7
        assert_close(t, x)
        t.index_put_((torch.tensor(x > 0),), from_numpy(np.array(0, dtype=dtype)), True)
        assert_close(t, x)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        zeros(3).index_put_((torch.tensor([0]),), torch.tensor([1], dtype=torch.int64))


# ----------------------------------------------------------------------------- masks

@pytest.mark.parametrize("dtype", ALL)
def test_masked_fill_select_scatter(dtype):
    a = make((3, 4), np_of(dtype), seed=19)
    m = make((3, 4), "bool", seed=20)
    for name, t, x in layouts(a, dtype):
        mt = torch.tensor(m)
        assert_close(t.masked_fill(mt, 1), np.where(m, np.array(1).astype(x.dtype), x))
        assert_close(torch.masked_fill(t, mt[0], torch.tensor(0)), np.where(m[0], np.array(0).astype(x.dtype), x))
        assert_close(t.masked_select(mt), x[m])
        assert_close(torch.masked_select(t, mt[:, :1]), np.broadcast_to(x, (3, 4))[np.broadcast_to(m[:, :1], (3, 4))])
        src = make((12,), np_of(dtype), seed=21)
        exp = np.array(x, copy=True)
        exp[m] = src[: m.sum()]
        assert_close(t.masked_scatter(mt, from_numpy(src, dtype)), exp)
    for name, t, x in writable(a, dtype):
        t.masked_fill_(torch.tensor(m), 0)
        x[m] = 0
        assert_close(t, x)
    # broadcasting the input against a larger mask (out-of-place only)
    assert zeros(4).masked_fill(torch.tensor(m), 1).shape == (3, 4)
    assert zeros(0, 4).masked_select(zeros(0, 4, dtype=torch.bool)).shape == (0,)


def test_mask_errors():
    t = zeros(3)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype float$"):
        t.masked_fill(zeros(3), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension"):
        t.masked_fill(zeros(3, dtype=torch.bool), ones(1))
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        t.masked_select(zeros(3))
    with pytest.raises(RuntimeError, match="^Number of elements of source < number of ones in mask$"):
        t.masked_scatter(ones(3, dtype=torch.bool), ones(2))


# ----------------------------------------------------------------------------- where

@pytest.mark.parametrize("dtype", ALL)
def test_where(dtype):
    a = make((3, 4), np_of(dtype), seed=22)
    b = make((4,), np_of(dtype), seed=23)
    c = make((3, 1), "bool", seed=24)
    for name, t, x in layouts(a, dtype):
        ct = torch.tensor(c)
        assert_close(torch.where(ct, t, from_numpy(b, dtype)), np.where(c, x, b))
        assert_close(t.where(ct, from_numpy(b, dtype)), np.where(c, x, b))


def test_where_promotion_and_forms():
    c = torch.tensor([True, False, True])
    i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
    assert torch.where(c, i32, 0).dtype == torch.int32  # int scalar does not widen
    assert torch.where(c, i32, 0.5).dtype == torch.float32  # float scalar lifts the category
    assert torch.where(c, i32, torch.tensor([1.0], dtype=torch.float64)).dtype == torch.float64
    assert torch.where(c, torch.tensor([1], dtype=torch.int8), torch.tensor(5, dtype=torch.int64)).dtype == torch.int8
    assert torch.where(c, 1.0, 0.0).dtype == torch.float32
    assert torch.where(c, 1, 0).dtype == torch.int64
    assert torch.where(c, 1.0, 0.0).tolist() == [1.0, 0.0, 1.0]
    (nz,) = torch.where(c)
    assert nz.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor with dtype Float$"):
        torch.where(zeros(3), i32, i32)
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.where(c, zeros(2), 0.0)


# ----------------------------------------------------------------------------- nonzero, take

@pytest.mark.parametrize("dtype", ALL)
def test_nonzero_argwhere(dtype):
    a = make((3, 4), np_of(dtype), seed=25)
    if dtype != "bool":
        a[0, 1] = 0
    for name, t, x in layouts(a, dtype):
        exp = np.argwhere(x).astype(np.int64)
        assert_close(t.nonzero(), exp)
        assert_close(torch.argwhere(t), exp)
        tup = torch.nonzero(t, as_tuple=True)
        assert len(tup) == 2
        for got, e in zip(tup, np.nonzero(x)):
            assert_close(got, e.astype(np.int64))
    assert torch.nonzero(torch.tensor(3)).shape == (1, 0)
    assert torch.nonzero(torch.tensor(0)).shape == (0, 0)
    assert zeros(0, 3).nonzero().shape == (0, 2)
    assert [x.tolist() for x in torch.tensor(2.0).nonzero(as_tuple=True)] == [[0]]


@pytest.mark.parametrize("dtype", ALL)
def test_take_and_take_along_dim(dtype):
    a = make((3, 4), np_of(dtype), seed=26)
    idx = np.array([[0, -1, 5], [11, 2, 2]])
    for name, t, x in layouts(a, dtype):
        assert_close(t.take(torch.tensor(idx)), np.take(x.reshape(-1), idx))
        assert_close(torch.take(t, torch.tensor(7)), np.take(x.reshape(-1), 7))
        ia = np.array([[0, 3], [1, 1], [2, 0]])
        assert_close(torch.take_along_dim(t, torch.tensor(ia), 1), np.take_along_axis(x, ia, 1))
        # a (1, 1) index broadcasts against (3, 4) apart from dim 0
        assert_close(t.take_along_dim(torch.tensor([[2]]), 0), np.take_along_axis(x, np.array([[2, 2, 2, 2]]), 0))
        assert_close(t.take_along_dim(torch.tensor([5, 0])), np.take(x.reshape(-1), [5, 0]))
    with pytest.raises(IndexError, match="out of range: tried to access index 12 on a tensor of 12 elements."):
        from_numpy(a, dtype).take(torch.tensor([12]))
    with pytest.raises(RuntimeError, match="take\\(\\): Expected a long tensor for index, but got Int"):
        from_numpy(a, dtype).take(torch.tensor([1], dtype=torch.int32))


def test_put():
    a = make((3, 4), "float32", seed=27)
    for name, t, x in writable(a, "float32"):
        src = np.array([1.0, 2.0, 3.0], dtype=np.float32)
        r = t.put(torch.tensor([0, -1, 5]), torch.tensor(src))
        exp = x.copy().reshape(-1)
        exp[[0, -1, 5]] = src
        assert_close(r, exp.reshape(3, 4))
        t.put_(torch.tensor([1, 1]), torch.tensor(src[:2]), accumulate=True)
        x.reshape(-1)[1] += 3.0  # x is a fresh contiguous copy, so reshape is a view
        assert_close(t, x)


# ----------------------------------------------------------------------------- registry

@pytest.mark.parametrize("info", OPS, ids=repr)
def test_registry_entries(info: OpInfo):
    """Runs this family's registry entries on contiguous and transposed inputs."""
    for dtype in info.dtypes:
        for sample in info.samples(dtype):
            np_args = [np.asarray(a) for a in sample.args]
            expected = info.ref(*np_args, **sample.kwargs)
            for mode in ("contiguous", "transposed"):
                targs = []
                for arr in np_args:
                    if mode == "transposed" and arr.ndim >= 2:
                        targs.append(from_numpy(np.ascontiguousarray(arr.T), dtype).T)
                    else:
                        targs.append(from_numpy(arr, dtype))
                got = info.op(torch, *targs, **sample.kwargs)
                rtol, atol = info.tolerance(dtype)
                assert_close(got, expected, rtol=rtol, atol=atol, check_dtype=info.check_dtype)


def test_scatter_reduce_argument_with_a_tensor_source_is_deprecated_once_per_process():
    # PyTorch's TORCH_WARN_ONCE (every time under set_warn_always), checked in a fresh process;
    # a number as the source does not warn.
    code = ("import warnings, ferrotorch as torch\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    i = torch.tensor([0])\n"
            "    torch.zeros(3).scatter_(0, i, 2.0, reduce='add'); print(len(w))\n"
            "    torch.zeros(3).scatter_(0, i, torch.ones(1), reduce='add')\n"
            "    torch.zeros(3).scatter(0, i, torch.ones(1), reduce='multiply'); print(len(w))\n"
            "    torch.set_warn_always(True); torch.zeros(3).scatter(0, i, torch.ones(1), reduce='add'); print(len(w))\n"
            "    print(w[0].category.__name__, w[0].message)\n")
    assert run_in_fresh_process(code) == [
        "0", "1", "2",
        "UserWarning The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
        "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
    ]
