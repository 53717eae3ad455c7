"""Reductions and scans against numpy, over contiguous, transposed, sliced, broadcast, 0-d and
empty inputs, for every dtype each op supports."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, to_numpy
from registry import ALL, FLOATS, HALFS, INTS, make

FLOATY = FLOATS + HALFS
TOL = {"float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2), "float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12)}


def variants(a, dtype):
    """(name, tensor, numpy array with the tensor's logical values) for several layouts."""
    yield "contiguous", from_numpy(a, dtype), a
    if a.ndim >= 2:
        rev = tuple(range(a.ndim))[::-1]
        yield "transposed", from_numpy(np.ascontiguousarray(a.transpose(rev)), dtype).permute(*rev), a
    if a.ndim >= 1 and a.size > 0:
        big = np.zeros(a.size * 2, dtype=a.dtype)
        big[::2] = a.ravel()
        strides = [2 * int(np.prod(a.shape[i + 1:])) for i in range(a.ndim)]
        yield "sliced", from_numpy(big, dtype).as_strided(a.shape, strides, 0), a
        first = a[:1]
        yield "broadcast", from_numpy(first, dtype).expand(*a.shape), np.broadcast_to(first, a.shape)


def check(actual, expected, dtype):
    rtol, atol = TOL.get(dtype, (0, 0))
    assert_close(actual, expected, rtol=rtol, atol=atol)


def widen(a):
    """numpy's view of PyTorch's sum/prod dtype: ints and bools -> int64."""
    return np.int64 if a.dtype.kind in "biu" else a.dtype


def np_sum(a, dim=None, keepdim=False):
    if a.dtype.kind == "f":
        return np.sum(a.astype(np.float64), axis=dim, keepdims=keepdim).astype(a.dtype)
    return np.sum(a, axis=dim, keepdims=keepdim, dtype=np.int64)


def np_prod(a, dim=None, keepdim=False):
    if a.dtype.kind == "f":
        return np.prod(a.astype(np.float64), axis=dim, keepdims=keepdim).astype(a.dtype)
    return np.prod(a, axis=dim, keepdims=keepdim, dtype=np.int64)


def np_float(fn):
    def ref(a, dim=None, keepdim=False, **kw):
        return np.asarray(fn(a.astype(np.float64), axis=dim, keepdims=keepdim, **kw)).astype(a.dtype)

    return ref


def np_logical(fn):
    def ref(a, dim=None, keepdim=False):
        r = np.asarray(fn(a, axis=dim, keepdims=keepdim))
        return r.astype(np.uint8) if a.dtype == np.uint8 else r

    return ref


def np_logsumexp(a, dim=None, keepdim=False):
    x = a.astype(np.float64)
    m = np.max(x, axis=dim, keepdims=True)
    r = m + np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))
    if not keepdim:
        r = np.squeeze(r, axis=dim)
    return r.astype(a.dtype)


# name, ferrotorch call, numpy reference, dtypes, whether `dim` may be a tuple
REDUCTIONS = [
    ("sum", lambda t, **k: t.sum(**k), np_sum, ALL, True),
    ("nansum", lambda t, **k: t.nansum(**k), np_sum, ALL, True),
    ("mean", lambda t, **k: t.mean(**k), np_float(np.mean), FLOATY, True),
    ("nanmean", lambda t, **k: t.nanmean(**k), np_float(np.mean), FLOATY, True),
    ("prod", lambda t, **k: t.prod(**k), np_prod, ALL, False),
    ("amax", lambda t, **k: t.amax(**k), lambda a, dim=None, keepdim=False: np.amax(a, axis=dim, keepdims=keepdim), ALL, True),
    ("amin", lambda t, **k: t.amin(**k), lambda a, dim=None, keepdim=False: np.amin(a, axis=dim, keepdims=keepdim), ALL, True),
    ("var", lambda t, **k: t.var(**k), np_float(lambda x, **kw: np.var(x, ddof=1, **kw)), FLOATY, True),
    ("std", lambda t, **k: t.std(**k), np_float(lambda x, **kw: np.std(x, ddof=1, **kw)), FLOATY, True),
    ("logsumexp", lambda t, **k: t.logsumexp(**k), np_logsumexp, FLOATY, True),
    ("all", lambda t, **k: t.all(**k), np_logical(np.all), ALL, True),
    ("any", lambda t, **k: t.any(**k), np_logical(np.any), ALL, True),
]

DIM_CASES = [{}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": -1}, {"dim": (0, 2)}, {"dim": (2, 0), "keepdim": True}]


def _cases():
    for name, op, ref, dtypes, tuples in REDUCTIONS:
        for dtype in dtypes:
            for kw in DIM_CASES:
                if name == "logsumexp" and "dim" not in kw:
                    continue
                if not tuples and isinstance(kw.get("dim"), tuple):
                    continue
                yield pytest.param(op, ref, dtype, kw, id=f"{name}-{dtype}-{kw}")


@pytest.mark.parametrize("op,ref,dtype,kw", list(_cases()))
def test_reduction_layouts(op, ref, dtype, kw):
    a = make((3, 4, 5), dtype, low=-2, high=2) if dtype not in ("bool",) else make((3, 4, 5), dtype)
    for layout, t, arr in variants(a, dtype):
        check(op(t, **kw), ref(arr, **kw), dtype)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_module_functions_match_methods(dtype):
    a = make((4, 6), dtype)
    t = from_numpy(a, dtype)
    assert_close(torch.sum(t, 1), np_sum(a, 1))
    assert_close(torch.sum(t, dim=(0, 1), keepdim=True), np_sum(a, (0, 1), True))
    assert_close(torch.amax(t, 0), a.max(0))
    assert_close(torch.argmax(t), np.int64(a.argmax()))
    assert_close(torch.cumsum(t, 0), np.cumsum(a, 0, dtype=widen(a)))


def test_sum_prod_dtypes():
    i = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert i.sum().dtype == torch.int64
    assert i.prod().dtype == torch.int64
    assert torch.tensor([True, True, False]).sum().item() == 2
    assert i.sum(dtype=torch.float64).dtype == torch.float64
    assert i.sum(dtype=torch.int32).dtype == torch.int32
    assert i.prod(1, dtype=torch.int16).tolist() == [2, 12]
    assert i.mean(dtype=torch.float32).item() == 2.5
    h = from_numpy(np.full(5000, 0.1, np.float32), "float16")
    assert h.sum().dtype == torch.float16
    assert abs(h.sum().item() - 499.75) < 1.0  # float32 accumulation (float16 alone stalls at 256)
    big = torch.tensor([2**62, 2**62, 2**62])
    assert big.sum().item() == np.array([2**62] * 3, dtype=np.int64).sum()  # wraps like int64


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"):
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        torch.tensor([1, 2]).var()


def test_nan_propagates():
    x = torch.tensor([[1.0, float("nan"), 3.0], [4.0, 5.0, 6.0]])
    assert math.isnan(x.sum().item())
    assert math.isnan(x.max().item()) and math.isnan(x.min().item())
    assert to_numpy(x.amax(1)).tolist()[1] == 6.0
    v, i = x.max(1)
    assert math.isnan(v.select(0, 0).item()) and i.tolist() == [1, 2]
    assert x.argmax().item() == 1 and x.argmin().item() == 1
    assert x.nansum().item() == 19.0
    assert abs(x.nanmean().item() - 19.0 / 5) < 1e-6


def test_max_min_forms():
    a = make((3, 4), "float32")
    t = from_numpy(a, "float32")
    assert t.max().dim() == 0
    assert_close(t.max(), a.max())
    r = t.max(dim=1)
    assert type(r).__name__ == "max" and type(r).__module__ == "ferrotorch.return_types"
    assert_close(r.values, a.max(1))
    assert_close(r.indices, a.argmax(1))
    values, indices = t.min(0, keepdim=True)
    assert_close(values, a.min(0, keepdims=True))
    assert_close(indices, a.argmin(0)[None])
    assert_close(torch.max(t, 1)[0], a.max(1))
    b = from_numpy(make((3, 4), "float32", seed=2), "float32")
    assert_close(t.max(b), np.maximum(a, to_numpy(b)))
    assert_close(torch.min(t, b), np.minimum(a, to_numpy(b)))
    mn, mx = t.aminmax()
    assert_close(mn, a.min())
    assert_close(mx, a.max())
    r = torch.aminmax(t, dim=0, keepdim=True)
    assert_close(r.min, a.min(0, keepdims=True))
    assert_close(r.max, a.max(0, keepdims=True))


def test_ties_take_first_index():
    t = torch.tensor([[3, 1, 3, 1], [2, 2, 2, 2]])
    assert t.argmax(1).tolist() == [0, 0]
    assert t.argmin(1).tolist() == [1, 0]
    assert t.max(1).indices.tolist() == [0, 0]
    assert t.argmax().item() == 0
    assert t.argmax(dim=None, keepdim=True).shape == (1, 1)


@pytest.mark.parametrize("dtype", ALL)
def test_argmax_argmin(dtype):
    a = make((4, 5, 3), dtype, low=-50, high=50)
    for layout, t, arr in variants(a, dtype):
        if dtype != "bool":  # bool ties make first-occurrence the only meaningful check
            assert_close(t.argmax(), np.int64(arr.argmax()))
            assert_close(t.argmin(), np.int64(arr.argmin()))
        for d in (0, 1, -1):
            assert_close(t.argmax(d), arr.argmax(d))
            assert_close(t.argmin(d, keepdim=True), np.expand_dims(arr.argmin(d), d))


def test_zero_dim_inputs():
    x = torch.tensor(2.5)
    for name in ("sum", "mean", "prod", "amax", "amin", "nansum"):
        r = getattr(x, name)()
        assert r.dim() == 0 and r.item() == 2.5
    assert x.sum(0).item() == 2.5 and x.sum(-1, keepdim=True).dim() == 0
    assert x.max().item() == 2.5 and x.argmax().item() == 0
    assert x.max(0).indices.item() == 0
    assert x.cumsum(0).item() == 2.5 and x.cumsum(0).dim() == 0
    assert math.isnan(x.var().item())
    assert x.var(correction=0).item() == 0.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(1)


def test_empty_reductions():
    e = from_numpy(np.zeros((0, 3), np.float32))
    assert_close(e.sum(0), np.zeros(3, np.float32))
    assert_close(e.prod(0), np.ones(3, np.float32))
    assert e.sum().item() == 0.0 and e.prod().item() == 1.0
    assert_close(e.sum(1), np.zeros(0, np.float32))
    assert math.isnan(e.mean().item())
    assert e.all().item() is True and e.any().item() is False
    assert e.count_nonzero().item() == 0
    assert_close(e.amax(1), np.zeros(0, np.float32))
    assert e.logsumexp(0).tolist() == [-math.inf] * 3
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        e.amax(0)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        e.max(0)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"):
        e.max()
    # PyTorch: RuntimeError for max(), IndexError for argmax()/argmin().
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified for input.numel\(\) == 0"):
        e.argmax()
    with pytest.raises(IndexError, match=r"^argmin\(\): Expected reduction dim to be specified for input.numel\(\) == 0.$"):
        e.argmin()
    with pytest.raises(RuntimeError, match="amin"):
        e.amin()
    assert e.cumsum(0).shape == (0, 3)


def test_var_std_arguments():
    a = make((5, 6), "float64")
    t = from_numpy(a, "float64")
    assert_close(t.var(), a.var(ddof=1), rtol=1e-12)
    assert_close(t.var(unbiased=False), a.var())
    assert_close(t.var(False), a.var())
    assert_close(t.var(1, keepdim=True), a.var(1, ddof=1, keepdims=True))
    assert_close(t.std(0, correction=0), a.std(0))
    assert_close(t.std(dim=1, correction=2), a.std(1, ddof=2))
    v, m = torch.var_mean(t, 1)
    assert_close(v, a.var(1, ddof=1))
    assert_close(m, a.mean(1))
    s, m = torch.std_mean(t, dim=(0, 1), correction=0)
    assert_close(s, a.std())
    assert_close(m, a.mean())
    assert math.isnan(t.narrow(0, 0, 1).var(0).select(0, 0).item())


@pytest.mark.parametrize("dtype", FLOATY)
def test_norms(dtype):
    a = make((3, 4, 5), dtype)
    for layout, t, arr in variants(a, dtype):
        x = arr.astype(np.float64)
        for p in (1, 2, 3, 0.5, math.inf, -math.inf, 0):
            check(t.norm(p), np.linalg.norm(x.ravel(), p).astype(a.dtype), dtype)
            check(t.norm(p, dim=1), np.linalg.norm(x, p, axis=1).astype(a.dtype), dtype)
            check(t.norm(p, dim=(0, 2), keepdim=True), np.linalg.norm(x.reshape(3, 4, 5).transpose(1, 0, 2).reshape(4, 15), p, axis=1).reshape(1, 4, 1).astype(a.dtype), dtype)
        check(t.norm(), np.linalg.norm(x.ravel()).astype(a.dtype), dtype)
        check(t.norm("fro", dim=(1, 2)), np.sqrt((x ** 2).sum((1, 2))).astype(a.dtype), dtype)
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        torch.tensor([1, 2]).norm()


def test_linalg_norms():
    import ferrotorch.linalg as linalg

    a = make((4, 5), "float64")
    t = from_numpy(a, "float64")
    assert_close(linalg.vector_norm(t), np.linalg.norm(a.ravel()))
    assert_close(linalg.vector_norm(t, ord=math.inf, dim=1), np.abs(a).max(1))
    assert_close(linalg.vector_norm(t, 1, (0, 1), True), np.abs(a).sum(keepdims=True))
    assert_close(linalg.norm(t), np.linalg.norm(a))
    for ord in ("fro", 1, -1, math.inf, -math.inf):
        assert_close(linalg.norm(t, ord), np.linalg.norm(a, ord))
        assert_close(linalg.matrix_norm(t, ord), np.linalg.norm(a, ord))
    assert_close(linalg.norm(t.select(0, 0), 3), np.linalg.norm(a[0], 3))
    assert_close(linalg.norm(t, dim=1), np.linalg.norm(a, axis=1))
    assert_close(linalg.vector_norm(t.float(), dtype=torch.float64), np.linalg.norm(a.astype(np.float32).astype(np.float64).ravel()))


@pytest.mark.parametrize("dtype", ALL)
def test_count_nonzero(dtype):
    a = make((3, 4, 5), dtype, low=-1, high=1)
    for layout, t, arr in variants(a, dtype):
        assert_close(t.count_nonzero(), np.int64(np.count_nonzero(arr)))
        assert_close(torch.count_nonzero(t, 1), np.count_nonzero(arr, 1).astype(np.int64))
        assert_close(t.count_nonzero((0, 2)), np.count_nonzero(arr, (0, 2)).astype(np.int64))


@pytest.mark.parametrize("dtype", ALL)
def test_cumsum_cumprod(dtype):
    a = make((3, 4, 5), dtype, low=-2, high=2)
    for layout, t, arr in variants(a, dtype):
        for d in (0, 1, -1):
            if dtype in FLOATY:
                check(t.cumsum(d), np.cumsum(arr.astype(np.float64), d).astype(arr.dtype), dtype)
                check(t.cumprod(d), np.cumprod(arr.astype(np.float64), d).astype(arr.dtype), dtype)
            else:
                assert_close(t.cumsum(d), np.cumsum(arr, d, dtype=np.int64))
                assert_close(t.cumprod(dim=d), np.cumprod(arr, d, dtype=np.int64))
    t = from_numpy(a, dtype)
    assert t.cumsum(0, dtype=torch.float64).dtype == torch.float64


def np_cum_extreme(a, d, is_max):
    """PyTorch's cummax/cummin: ties and NaNs move the index to the newer element."""
    a = np.moveaxis(a, d, -1)
    vals, idx = np.empty_like(a), np.zeros(a.shape, np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        row = a[pos]
        best, at = row[0], 0
        for i, v in enumerate(row):
            if v != v or (best == best and ((v >= best) if is_max else (v <= best))):
                best, at = v, i
            vals[pos + (i,)], idx[pos + (i,)] = best, at
    return np.moveaxis(vals, -1, d), np.moveaxis(idx, -1, d)


@pytest.mark.parametrize("dtype", FLOATS + INTS + ("bool",))
def test_cummax_cummin(dtype):
    a = make((3, 4, 5), dtype, low=-2, high=2)
    for layout, t, arr in variants(a, dtype):
        for d in (0, -1):
            r = t.cummax(d)
            assert type(r).__name__ == "cummax"
            v, i = np_cum_extreme(arr, d, True)
            assert_close(r.values, v)
            assert_close(r.indices, i)
            v, i = np_cum_extreme(arr, d, False)
            assert_close(torch.cummin(t, d).values, v)
            assert_close(torch.cummin(t, d).indices, i)
    x = torch.tensor([1.0, float("nan"), 5.0, float("nan")])
    assert x.cummax(0).indices.tolist() == [0, 1, 1, 3]


def test_all_any_dtypes():
    u = torch.tensor([1, 0, 2], dtype=torch.uint8)
    assert u.all().dtype == torch.uint8 and u.any().item() == 1
    assert torch.tensor([0.5, 2.0]).all().dtype == torch.bool
    assert torch.all(torch.tensor([[True, False], [True, True]]), dim=1).tolist() == [False, True]


def test_large_sums_are_accurate_and_layout_independent():
    a = np.random.default_rng(0).random((700, 300), dtype=np.float32)
    t = from_numpy(a, "float32")
    exact = a.astype(np.float64).sum()
    assert abs(t.sum().item() - exact) < 1e-6 * exact
    assert t.T.sum().item() == t.sum().item()
    assert_close(t.T.sum(0), a.astype(np.float64).sum(1).astype(np.float32))


def test_norm_over_an_empty_dim_is_plus_zero(device):
    x = torch.ones(2, 0, device=device)
    for p in (1, 2, 3):
        r = x.norm(p, dim=1).cpu().numpy()
        assert r.tolist() == [0.0, 0.0] and not np.signbit(r).any(), p


@pytest.mark.parametrize("call, name", [
    (lambda x: x.var(dim=1), "var"),
    (lambda x: x.std(1), "std"),
    (lambda x: torch.var_mean(x, 1), "var_mean"),
    (lambda x: torch.std_mean(x, 1), "std_mean"),
    (lambda x: x.var(0, correction=3), "var"),
    (lambda x: x[:0].var(), "var"),
])
def test_var_and_std_warn_when_the_degrees_of_freedom_are_not_positive(device, call, name):
    x = torch.ones(3, 1, device=device)
    with pytest.warns(UserWarning) as caught:
        call(x)
    assert [str(w.message) for w in caught] == [
        f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
        "(input numel divided by output numel)."]


def test_var_with_positive_degrees_of_freedom_does_not_warn(device):
    x = torch.ones(3, 1, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.var(1, correction=0), x.var(0, correction=2.5), x.std(0), torch.var_mean(x, 0)
