"""addr, *_scatter, index_reduce, unravel_index, histogram(dd), gradient, frombuffer, range, the
determinism flags and the small Tensor members, against numpy / loops, on every device."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close as _assert_close


def assert_close(actual, expected, **kwargs):
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **kwargs)


def f64(a, device, requires_grad=False):
    return torch.tensor(np.array(a, order="C"), dtype=torch.float64, device=device,
                        requires_grad=requires_grad)


RNG = np.random.default_rng(5)


# ----------------------------------------------------------------------------- addr

def test_addr_values_broadcast_and_grad(device):
    m, v1, v2 = RNG.normal(size=(3, 4)), RNG.normal(size=3), RNG.normal(size=4)
    ref = 0.5 * m + 2.0 * np.outer(v1, v2)
    assert_close(torch.addr(f64(m, device), f64(v1, device), f64(v2, device), beta=0.5, alpha=2.0), ref)
    # Transposed input, broadcast input (a row), and the method / in-place forms.
    assert_close(f64(m.T, device).T.addr(f64(v1, device), f64(v2, device)), m + np.outer(v1, v2))
    assert_close(torch.addr(f64(m[0], device), f64(v1, device), f64(v2, device)), m[0] + np.outer(v1, v2))
    x = f64(m, device)
    assert x.addr_(f64(v1, device), f64(v2, device), alpha=3) is x
    assert_close(x, m + 3 * np.outer(v1, v2))
    # beta=0 ignores NaN in input.
    nan = f64(np.full((3, 4), np.nan), device)
    assert_close(torch.addr(nan, f64(v1, device), f64(v2, device), beta=0), np.outer(v1, v2))
    ints = torch.addr(torch.ones(2, 2, dtype=torch.int64, device=device),
                      torch.tensor([1, 2], device=device), torch.tensor([3, 4], device=device), beta=2)
    assert_close(ints, np.array([[5, 6], [8, 10]]))
    args = (f64(m, device, True), f64(v1, device, True), f64(v2, device, True))
    assert torch.autograd.gradcheck(lambda a, b, c: torch.addr(a, b, c, beta=0.7, alpha=-1.3), args)


def test_addr_errors(device):
    v = torch.ones(3, device=device)
    with pytest.raises(RuntimeError, match="addr: Expected 1-D argument vec1, but got 2-D"):
        torch.addr(torch.ones(3, 3, device=device), torch.ones(3, 1, device=device), v)
    i = torch.ones(3, dtype=torch.int64, device=device)
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point number."):
        torch.addr(torch.ones(3, 3, dtype=torch.int64, device=device), i, i, alpha=0.5)


# ----------------------------------------------------------------------------- *_scatter

def test_diagonal_scatter(device):
    a = RNG.normal(size=(3, 4))
    for offset, dim1, dim2 in [(0, 0, 1), (1, 0, 1), (-1, 1, 0), (2, -2, -1)]:
        ref = a.copy()
        d = np.diagonal(ref, offset, dim1, dim2)
        src = RNG.normal(size=d.shape)
        # Write the diagonal with an explicit loop (reference).
        rows, cols = (a.shape[dim1 % 2], a.shape[dim2 % 2])
        k = 0
        for i in range(rows):
            j = i + offset
            if 0 <= j < cols:
                idx = [0, 0]
                idx[dim1 % 2], idx[dim2 % 2] = i, j
                ref[tuple(idx)] = src[k]
                k += 1
        assert_close(torch.diagonal_scatter(f64(a, device), f64(src, device), offset, dim1, dim2), ref)
    args = (f64(a, device, True), f64(RNG.normal(size=3), device, True))
    assert torch.autograd.gradcheck(lambda x, s: torch.diagonal_scatter(x, s), args)
    # Gradient to src alone (input a constant) is not lost.
    assert torch.autograd.gradcheck(lambda s: f64(a, device).diagonal_scatter(s, 1), (args[1],))
    with pytest.raises(RuntimeError, match=r"expected src to have a size equal to the slice of self. "
                                           r"src size = \[2\], slice size = \[3\]"):
        torch.diagonal_scatter(f64(a, device), f64(np.ones(2), device))


def test_select_and_slice_scatter(device):
    a = RNG.normal(size=(4, 5))
    at = f64(a.T, device).T  # non-contiguous input
    ref = a.copy()
    ref[:, -2] = np.arange(4)
    assert_close(torch.select_scatter(at, f64(np.arange(4), device), 1, -2), ref)
    ref = a.copy()
    ref[1:4:2] = 7.0
    assert_close(at.slice_scatter(f64(np.full((2, 5), 7.0), device), 0, 1, None, 2), ref)
    ref = a.copy()
    ref[:, 3:] = -1.0
    assert_close(torch.slice_scatter(at, f64(-np.ones((4, 2)), device), dim=1, start=3), ref)
    x, s = f64(a, device, True), f64(RNG.normal(size=(4, 2)), device, True)
    assert torch.autograd.gradcheck(lambda x, s: torch.slice_scatter(x, s, 1, 0, 4, 2), (x, s))
    s1 = f64(RNG.normal(size=5), device, True)
    assert torch.autograd.gradcheck(lambda x, s: torch.select_scatter(x, s, 0, 2), (x, s1))
    with pytest.raises(IndexError, match=r"select\(\): index 4 out of range for tensor of size \[4, 5\] at dimension 0"):
        torch.select_scatter(at, s1, 0, 4)
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        torch.slice_scatter(at, s1, 0, step=0)
    empty = torch.zeros(0, 3, device=device)
    assert tuple(torch.slice_scatter(empty, torch.zeros(0, 3, device=device)).shape) == (0, 3)


# ----------------------------------------------------------------------------- index_reduce

def ref_index_reduce(x, dim, index, src, reduce, include_self):
    out = np.moveaxis(x.copy(), dim, 0)
    s = np.moveaxis(src, dim, 0)
    groups = {}
    for i, j in enumerate(index):
        groups.setdefault(j, []).append(s[i])
    for j, rows in groups.items():
        vals = ([out[j]] if include_self else []) + rows
        stack = np.stack(vals)
        out[j] = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce](stack, axis=0)
    return np.moveaxis(out, 0, dim)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(device, reduce):
    x, src = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 5))
    index = np.array([0, 3, 0, 1, 3])
    for include_self in (True, False):
        got = torch.index_reduce(f64(x, device), 1, torch.tensor(index, device=device),
                                 f64(src, device), reduce, include_self=include_self)
        assert_close(got, ref_index_reduce(x, 1, index, src, reduce, include_self))
    y = f64(x.T, device)  # (4, 3): reduce rows along dim 0 with a transposed source
    assert_close(y.index_reduce(0, torch.tensor(index, device=device), f64(src.T, device).T.T, reduce),
                 ref_index_reduce(x.T, 0, index, src.T, reduce, True))
    z = f64(x, device)
    z.index_reduce_(1, torch.tensor(index, device=device), f64(src, device), reduce, include_self=False)
    assert_close(z, ref_index_reduce(x, 1, index, src, reduce, False))
    args = (f64(x, device, True), f64(src, device, True))
    idx = torch.tensor(index, device=device)
    assert torch.autograd.gradcheck(lambda a, b: torch.index_reduce(a, 1, idx, b, reduce), args)


def test_index_reduce_errors(device):
    x, s = torch.zeros(3, 2, device=device), torch.ones(2, 2, device=device)
    i = torch.tensor([0, 2], device=device)
    with pytest.raises(RuntimeError, match="index_reduce\\(\\): Expected reduce to be one of prod, mean, amax or amin but got sum."):
        x.index_reduce(0, i, s, "sum")
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_reduce(0, torch.tensor([0, 3], device=device), s, "prod")
    with pytest.raises(RuntimeError, match=r"self \(Float\) and source \(Double\) must have the same scalar type"):
        x.index_reduce(0, i, s.double(), "amax")
    with pytest.raises(IndexError, match=r"Number of indices \(3\) should be equal to source.size\(dim\) \(2\)"):
        x.index_reduce(0, torch.tensor([0, 1, 2], device=device), s, "amin")


# ----------------------------------------------------------------------------- unravel_index

def test_unravel_index(device):
    flat = np.array([[0, 5, 23], [7, 11, 19]])
    got = torch.unravel_index(torch.tensor(flat, device=device).T, (2, 3, 4))
    for g, r in zip(got, np.unravel_index(flat.T, (2, 3, 4))):
        assert_close(g, r.astype(np.int64))
    got = torch.unravel_index(torch.tensor(9, dtype=torch.int32, device=device), torch.Size([4, 5]))
    assert [int(g.item()) for g in got] == list(np.unravel_index(9, (4, 5)))
    assert tuple(torch.unravel_index(torch.zeros(0, dtype=torch.int64, device=device), 5)[0].shape) == (0,)
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got torch.float32"):
        torch.unravel_index(torch.tensor([1.0], device=device), (2,))
    with pytest.raises(ValueError, match=r"'shape' cannot have negative values, but got \(2, -1\)"):
        torch.unravel_index(torch.tensor([1], device=device), (2, -1))


# ----------------------------------------------------------------------------- histogram

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_numpy(device, dtype):
    a = RNG.normal(size=(6, 7)).astype(dtype)
    t = torch.tensor(a, device=device).T  # non-contiguous
    hist, edges = torch.histogram(t, bins=5)
    np.testing.assert_allclose(edges.cpu().numpy(), np.histogram(a, bins=5)[1], rtol=1e-6)
    # Counts are compared with numpy on the same edges: bin membership must agree exactly.
    assert_close(hist, np.histogram(a, bins=edges.cpu().numpy())[0].astype(dtype))
    w = np.abs(a.T)
    hist, edges = t.histogram(4, range=(-1.0, 1.0), weight=torch.tensor(w, device=device), density=True)
    ref = np.histogram(a.T, bins=edges.cpu().numpy(), weights=w, density=True)[0]
    assert_close(hist, ref.astype(dtype), rtol=1e-5)
    custom = np.array([-3.0, -0.5, 0.0, 0.1, 2.0], dtype=dtype)
    hist, edges = torch.histogram(t, torch.tensor(custom, device=device))
    assert_close(hist, np.histogram(a, bins=custom)[0].astype(dtype))
    assert_close(edges, custom)
    # 0-d and empty inputs, equal min and max (widened by 0.5 each way).
    h0, e0 = torch.histogram(torch.tensor(2.0, dtype=getattr(torch, dtype), device=device), 2)
    rh, re = np.histogram(np.array([2.0]), bins=2)
    assert_close(h0, rh.astype(dtype))
    assert_close(e0, re.astype(dtype))
    he, ee = torch.histogram(torch.zeros(0, dtype=getattr(torch, dtype), device=device), 3)
    assert_close(he, np.zeros(3, dtype=dtype))
    assert_close(ee, np.histogram(np.zeros(0), bins=3)[1].astype(dtype))


def test_histogram_out_grad_and_errors(device):
    x = torch.tensor([0.1, 0.4, 0.4, 0.9], dtype=torch.float64, device=device)
    out = (torch.empty(0, dtype=torch.float64, device=device), torch.empty(0, dtype=torch.float64, device=device))
    r = torch.histogram(x, 2, range=(0.0, 1.0), out=out)
    assert r.hist is out[0] and r.bin_edges is out[1]
    assert_close(out[0], np.array([3.0, 1.0]))
    w = f64([1.0, 2.0, 3.0, 4.0], device, True)
    assert torch.autograd.gradcheck(lambda w: torch.histogram(x, 2, range=(0.0, 1.0), weight=w).hist, (w,))
    kernel = "cpu" if device == "cpu" else "cuda"
    with pytest.raises(RuntimeError, match=f'"histogram_{kernel}" not implemented for \'Long\''):
        torch.histogram(torch.tensor([1, 2], device=device), 2)
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0 for dimension 0"):
        torch.histogram(x, 0)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        torch.histogram(x, 2, range=(1.0, 0.0))
    with pytest.raises(RuntimeError, match="is not finite"):
        torch.histogram(torch.tensor([1.0, float("inf")], device=device), 2)
    with pytest.raises(RuntimeError, match="input tensor and bins tensors should have the same dtype"):
        torch.histogram(x, torch.tensor([0.0, 1.0], device=device))
    # Any integer counts as a bin count (numpy's were refused); bool and float are not counts.
    assert_close(torch.histogram(x, np.int64(2), range=(0.0, 1.0)).hist, np.array([3.0, 1.0]))
    assert_close(torch.histogramdd(x.reshape(-1, 1), np.int32(2), range=[0.0, 1.0]).hist, np.array([3.0, 1.0]))
    with pytest.raises(TypeError, match="argument 'bins' must be int or Tensor, not float"):
        torch.histogram(x, 2.0)
    # bins defaults to 100, as PyTorch's
    default = torch.histogram(x)
    assert default.hist.shape == (100,) and default.bin_edges.shape == (101,)
    assert_close(x.histogram().hist, default.hist.cpu())
    assert_close(default.hist, np.histogram(x.cpu().numpy(), bins=100)[0].astype(np.float64))


def test_histogramdd_matches_numpy(device):
    a = RNG.normal(size=(40, 3))
    t = torch.tensor(a, device=device)
    hist, edges = torch.histogramdd(t, bins=[2, 3, 4])
    assert_close(hist, np.histogramdd(a, bins=[e.cpu().numpy() for e in edges])[0])
    hist, edges = torch.histogramdd(t[:, :2], bins=3, range=[-1.0, 1.0, -2.0, 2.0], density=True,
                                    weight=torch.tensor(np.abs(a[:, 2]), device=device))
    ref = np.histogramdd(a[:, :2], bins=[e.cpu().numpy() for e in edges], weights=np.abs(a[:, 2]), density=True)[0]
    assert_close(hist, ref, rtol=1e-6)


# ----------------------------------------------------------------------------- gradient

@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_matches_numpy(device, edge_order):
    a = RNG.normal(size=(5, 6))
    x = np.cumsum(RNG.uniform(0.5, 2.0, size=5))
    t = torch.tensor(a.T, device=device).T  # non-contiguous
    got = torch.gradient(t, spacing=[torch.tensor(x, device=device), 2.0], edge_order=edge_order)
    for g, r in zip(got, np.gradient(a, x, 2.0, edge_order=edge_order)):
        assert_close(g, r)
    (g,) = torch.gradient(t, spacing=0.5, dim=-1, edge_order=edge_order)
    assert_close(g, np.gradient(a, 0.5, axis=-1, edge_order=edge_order))
    got = torch.gradient(t, edge_order=edge_order)
    for g, r in zip(got, np.gradient(a, edge_order=edge_order)):
        assert_close(g, r)
    # Integer input gives the default float dtype.
    (gi,) = torch.gradient(torch.tensor([1, 2, 4, 8], device=device))
    assert_close(gi, np.gradient(np.array([1, 2, 4, 8])).astype(np.float32))
    inp = f64(a, device, True)
    assert torch.autograd.gradcheck(lambda v: torch.gradient(v, edge_order=edge_order), (inp,))


def test_gradient_errors(device):
    t = torch.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match="torch.gradient only supports edge_order=1 and edge_order=2."):
        torch.gradient(t, edge_order=3)
    with pytest.raises(RuntimeError, match=r"expected each dimension size to be at least edge_order\+1"):
        torch.gradient(t, edge_order=2)
    with pytest.raises(RuntimeError, match="spacing argument of length 3 and a dim argument of length 2"):
        torch.gradient(t, spacing=[1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        torch.gradient(t, dim=(1, -1))


# ----------------------------------------------------------------------------- frombuffer / range

@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int64", "uint8"])
def test_frombuffer(dtype):
    data = np.arange(12).astype(dtype)
    buf = bytearray(data.tobytes())
    size = data.itemsize
    t = torch.frombuffer(buf, dtype=getattr(torch, dtype), count=5, offset=2 * size)
    assert_close(t, np.frombuffer(buf, dtype=dtype, count=5, offset=2 * size))
    t[0] = 100  # shares memory with the buffer
    assert np.frombuffer(buf, dtype=dtype)[2] == 100
    assert_close(torch.frombuffer(buf, dtype=getattr(torch, dtype)), np.frombuffer(buf, dtype=dtype))


def test_frombuffer_unaligned_offset_copies():
    # An offset that is not a multiple of the element size used to abort the process (the core
    # reads elements in place); now the tensor holds an aligned copy, with a warning.
    data = np.array([1.5, -2.0, 3.25], dtype=np.float32)
    buf = bytearray(b"\x07\x07" + data.tobytes())
    with pytest.warns(UserWarning, match="unaligned"):
        t = torch.frombuffer(buf, dtype=torch.float32, offset=2, count=2)
    assert t.tolist() == [1.5, -2.0]
    with pytest.warns(UserWarning, match="unaligned"):
        t = torch.frombuffer(buf, dtype=torch.float32, offset=2)
    assert_close(t, data)


def test_frombuffer_errors_and_grad():
    with pytest.raises(ValueError, match=r"buffer length \(3 bytes\) after offset \(1 bytes\) must be a multiple of element size \(2\)"):
        torch.frombuffer(bytearray(4), dtype=torch.int16, offset=1)
    with pytest.raises(ValueError, match=r"must not be greater than actual buffer length \(4 bytes\)"):
        torch.frombuffer(bytearray(4), dtype=torch.int16, count=3)
    with pytest.raises(ValueError, match=r"offset \(4 bytes\) must be non-negative and no greater than buffer length"):
        torch.frombuffer(bytearray(4), dtype=torch.uint8, offset=4)
    with pytest.raises(ValueError, match="must not be 0"):
        torch.frombuffer(bytearray(0), dtype=torch.uint8)
    with pytest.warns(UserWarning, match="not writable"):
        t = torch.frombuffer(b"\x00\x00\x80\x3f", dtype=torch.float32, requires_grad=True)
    assert t.requires_grad and t.tolist() == [1.0]


def test_range_is_inclusive_and_deprecated(device):
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = torch.range(1, 4, device=device)
    assert_close(r, np.arange(1, 5, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(torch.range(0, 1, 0.25, dtype=torch.float64), np.linspace(0, 1, 5))
        assert_close(torch.range(5, 1, -2, dtype=torch.int64), np.array([5, 3, 1]))
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            torch.range(0, 3, -1)


# ----------------------------------------------------------------------------- flags and members

def test_deterministic_flags():
    assert torch.are_deterministic_algorithms_enabled() is False
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        assert torch.are_deterministic_algorithms_enabled() is True
        assert torch.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        torch.use_deterministic_algorithms(False)
    assert torch.is_deterministic_algorithms_warn_only_enabled() is False


def test_tensor_members(device):
    a = RNG.normal(size=(2, 3))
    t = f64(a, device)
    assert_close(t.H, a.T)
    b = RNG.normal(size=(4, 2, 3))
    assert_close(f64(b, device).mH, np.swapaxes(b, -1, -2))
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices \\(2-D tensors\\). Got 1-D tensor."):
        f64(a[0], device).H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."):
        f64(a[0], device).mH
    kinds = ("is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_nested", "is_ipu", "is_maia",
             "is_mps", "is_mtia", "is_vulkan", "is_xla", "is_xpu")
    assert [getattr(t, name) for name in kinds] == [False] * len(kinds)
    assert t.dim_order() == (0, 1) and t.T.dim_order() == (1, 0)
    assert f64(b, device).permute(2, 0, 1).dim_order() == (1, 2, 0)
    c = f64(a, device)
    assert c.cumsum_(1) is c
    assert_close(c, np.cumsum(a, 1))
    c.cumprod_(0)
    assert_close(c, np.cumprod(np.cumsum(a, 1), 0))
