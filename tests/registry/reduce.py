"""Registry entries for the reduce family: reductions, scans and sorts.

`op` calls ferrotorch; `ref` is the numpy equivalent returning PyTorch's result dtype. Samples
cover the full reduction, single dims (negative too), dim tuples and keepdim.
"""
import numpy as np

from . import ALL, FLOATS, HALFS, INTS, OpInfo, Sample, make

FLOATY = FLOATS + HALFS
_SHAPE = (3, 4, 5)


def _float_ref(fn):
    """Compute in float64, return in the input's dtype (as PyTorch does for float reductions)."""
    def ref(a, dim=None, keepdim=False, **kw):
        return np.asarray(fn(a.astype(np.float64), axis=dim, keepdims=keepdim, **kw)).astype(a.dtype)

    return ref


def _widening(fn):
    """sum/prod: ints and bools widen to int64, floats compute in float64 and keep their dtype."""
    def ref(a, dim=None, keepdim=False):
        if a.dtype.kind == "f":
            return np.asarray(fn(a.astype(np.float64), axis=dim, keepdims=keepdim)).astype(a.dtype)
        return np.asarray(fn(a, axis=dim, keepdims=keepdim, dtype=np.int64))

    return ref


def _same(fn):
    def ref(a, dim=None, keepdim=False):
        return np.asarray(fn(a, axis=dim, keepdims=keepdim))

    return ref


def _logical(fn):
    def ref(a, dim=None, keepdim=False):
        r = np.asarray(fn(a, axis=dim, keepdims=keepdim))
        return r.astype(np.uint8) if a.dtype == np.uint8 else r

    return ref


def _dim_samples(tuples=True, full=True, low=-3.0, high=3.0):
    def samples(dtype):
        a = make(_SHAPE, dtype, low=low, high=high)
        out = []
        if full:
            out.append(Sample((a,), {}, "all"))
        out += [
            Sample((a,), {"dim": 0}, "dim0"),
            Sample((a,), {"dim": -1, "keepdim": True}, "dim-1-keepdim"),
        ]
        if tuples:
            out += [Sample((a,), {"dim": (0, 2)}, "dims02"), Sample((a,), {"dim": (1, 2), "keepdim": True}, "dims12-keepdim")]
        return out

    return samples


def _single_dim_samples(low=-100.0, high=100.0):
    """Wide value ranges so arg-reductions and sorts see few ties."""
    def samples(dtype):
        a = make(_SHAPE, dtype, low=low, high=high)
        return [Sample((a,), {"dim": 0}, "dim0"), Sample((a,), {"dim": -1, "keepdim": True}, "dim-1-keepdim"),
                Sample((a,), {"dim": 1}, "dim1")]

    return samples


def _logsumexp(a, dim=None, keepdim=False):
    x = a.astype(np.float64)
    m = np.max(x, axis=dim, keepdims=True)
    r = m + np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))
    return (r if keepdim else np.squeeze(r, axis=dim)).astype(a.dtype)


def _norm(a, p=2, dim=None, keepdim=False):
    x = np.abs(a.astype(np.float64))
    if p == np.inf:
        r = np.max(x, axis=dim, keepdims=keepdim)
    elif p == 0:
        r = np.sum(x != 0, axis=dim, keepdims=keepdim)
    else:
        r = np.sum(x ** p, axis=dim, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(r).astype(a.dtype)


def _norm_samples(dtype):
    a = make(_SHAPE, dtype)
    return [Sample((a,), {"p": 2}, "p2"), Sample((a,), {"p": 1, "dim": 1}, "p1-dim1"),
            Sample((a,), {"p": 3.5, "dim": (0, 2), "keepdim": True}, "p3.5"),
            Sample((a,), {"p": float("inf"), "dim": -1}, "pinf"), Sample((a,), {"p": 0}, "p0")]


def _values(fn):
    """The `values` of max/min with a dim (the indices are checked in tests/test_reduce.py)."""
    def ref(a, dim, keepdim=False):
        return np.asarray(fn(a, axis=dim, keepdims=keepdim))

    return ref


def _cum(fn):
    def ref(a, dim):
        if a.dtype.kind == "f":
            return fn(a.astype(np.float64), axis=dim).astype(a.dtype)
        return fn(a, axis=dim, dtype=np.int64)

    return ref


def _scan_samples(dtype):
    a = make(_SHAPE, dtype, low=-2, high=2)
    return [Sample((a,), {"dim": 0}, "dim0"), Sample((a,), {"dim": -1}, "dim-1"), Sample((a,), {"dim": 1}, "dim1")]


def _stable_sort(a, dim, descending=False):
    key = a
    if descending:
        key = ~a if a.dtype == bool else (np.iinfo(a.dtype).max - a if a.dtype.kind == "u" else -a.astype(np.float64))
    return np.argsort(key, axis=dim, kind="stable").astype(np.int64)


def _sort_samples(dtype):
    a = make(_SHAPE, dtype, low=-3, high=3)
    return [Sample((a,), {"dim": 0}, "dim0"), Sample((a,), {"dim": -1, "descending": True}, "dim-1-desc"),
            Sample((a,), {"dim": 1}, "dim1")]


def _topk_samples(dtype):
    a = make(_SHAPE, dtype, low=-100, high=100)
    return [Sample((a, 2), {"dim": 1}, "k2-dim1"), Sample((a, 3), {"dim": -1, "largest": False}, "k3-smallest")]


def _topk_ref(a, k, dim=-1, largest=True):
    idx = _stable_sort(a, dim, descending=largest)
    v = np.take_along_axis(a, idx, dim)
    return np.take(v, np.arange(k), axis=dim)


def _kth_ref(a, k, dim=-1, keepdim=False):
    v = np.take(np.sort(a, axis=dim), k - 1, axis=dim)
    return np.expand_dims(v, dim) if keepdim else v


def _median_ref(a, dim=None, keepdim=False):
    if dim is None:
        s = np.sort(a.ravel())
        return s[(s.size - 1) // 2]
    s = np.sort(a, axis=dim)
    v = np.take(s, (a.shape[dim] - 1) // 2, axis=dim)
    return np.expand_dims(v, dim) if keepdim else v


def _median_samples(dtype):
    a = make(_SHAPE, dtype, low=-100, high=100)
    return [Sample((a,), {}, "all"), Sample((a,), {"dim": 1}, "dim1"), Sample((a,), {"dim": -1, "keepdim": True}, "dim-1-keepdim")]


OPS = [
    OpInfo("sum", lambda t, x, **k: t.sum(x, **k), _widening(np.sum), _dim_samples(), dtypes=ALL),
    OpInfo("nansum", lambda t, x, **k: t.nansum(x, **k), _widening(np.sum), _dim_samples(), dtypes=ALL),
    OpInfo("mean", lambda t, x, **k: t.mean(x, **k), _float_ref(np.mean), _dim_samples(), dtypes=FLOATY),
    OpInfo("nanmean", lambda t, x, **k: t.nanmean(x, **k), _float_ref(np.mean), _dim_samples(), dtypes=FLOATY),
    OpInfo("prod", lambda t, x, **k: t.prod(x, **k), _widening(np.prod), _dim_samples(tuples=False, low=-2, high=2), dtypes=ALL),
    OpInfo("amax", lambda t, x, **k: t.amax(x, **k), _same(np.amax), _dim_samples(), dtypes=ALL),
    OpInfo("amin", lambda t, x, **k: t.amin(x, **k), _same(np.amin), _dim_samples(), dtypes=ALL),
    OpInfo("max", lambda t, x, **k: t.max(x, **k).values, _values(np.max), _single_dim_samples(), dtypes=FLOATS + INTS),
    OpInfo("min", lambda t, x, **k: t.min(x, **k).values, _values(np.min), _single_dim_samples(), dtypes=FLOATS + INTS),
    OpInfo("argmax", lambda t, x, **k: t.argmax(x, **k),
           lambda a, dim, keepdim=False: np.asarray(np.argmax(a, axis=dim, keepdims=keepdim), dtype=np.int64),
           _single_dim_samples(), dtypes=FLOATS + INTS, differentiable=False),
    OpInfo("argmin", lambda t, x, **k: t.argmin(x, **k),
           lambda a, dim, keepdim=False: np.asarray(np.argmin(a, axis=dim, keepdims=keepdim), dtype=np.int64),
           _single_dim_samples(), dtypes=FLOATS + INTS, differentiable=False),
    OpInfo("var", lambda t, x, **k: t.var(x, **k), _float_ref(lambda x, **kw: np.var(x, ddof=1, **kw)), _dim_samples(), dtypes=FLOATY),
    OpInfo("std", lambda t, x, **k: t.std(x, **k), _float_ref(lambda x, **kw: np.std(x, ddof=1, **kw)), _dim_samples(), dtypes=FLOATY),
    OpInfo("logsumexp", lambda t, x, **k: t.logsumexp(x, **k), _logsumexp, _dim_samples(full=False), dtypes=FLOATY),
    OpInfo("norm", lambda t, x, **k: t.norm(x, **k), _norm, _norm_samples, dtypes=FLOATY),
    OpInfo("all", lambda t, x, **k: t.all(x, **k), _logical(np.all), _dim_samples(low=-1, high=1), dtypes=ALL, differentiable=False),
    OpInfo("any", lambda t, x, **k: t.any(x, **k), _logical(np.any), _dim_samples(low=-1, high=1), dtypes=ALL, differentiable=False),
    OpInfo("count_nonzero", lambda t, x, **k: t.count_nonzero(x, **k),
           lambda a, dim=None, keepdim=False: np.asarray(np.count_nonzero(a, axis=dim), dtype=np.int64),
           lambda d: [Sample((make(_SHAPE, d, low=-1, high=1),), kw, n) for kw, n in (({}, "all"), ({"dim": 1}, "dim1"), ({"dim": (0, 2)}, "dims02"))],
           dtypes=ALL, differentiable=False),
    OpInfo("cumsum", lambda t, x, **k: t.cumsum(x, **k), _cum(np.cumsum), _scan_samples, dtypes=ALL),
    OpInfo("cumprod", lambda t, x, **k: t.cumprod(x, **k), _cum(np.cumprod), _scan_samples, dtypes=ALL),
    OpInfo("sort", lambda t, x, **k: t.sort(x, stable=True, **k).values,
           lambda a, dim=-1, descending=False: np.take_along_axis(a, _stable_sort(a, dim, descending), dim),
           _sort_samples, dtypes=FLOATS + INTS + ("bool",)),
    OpInfo("argsort", lambda t, x, **k: t.argsort(x, stable=True, **k), _stable_sort, _sort_samples,
           dtypes=FLOATS + INTS + ("bool",), differentiable=False),
    OpInfo("topk", lambda t, x, k, **kw: t.topk(x, k, **kw).values, _topk_ref, _topk_samples, dtypes=FLOATS + INTS),
    OpInfo("kthvalue", lambda t, x, k, **kw: t.kthvalue(x, k, **kw).values, _kth_ref,
           lambda d: [Sample((make(_SHAPE, d, low=-100, high=100), 2), {"dim": 1}, "k2-dim1"),
                      Sample((make(_SHAPE, d, low=-100, high=100), 1), {"dim": -1, "keepdim": True}, "k1-keepdim")],
           dtypes=FLOATS + INTS),
    OpInfo("median", lambda t, x, **k: t.median(x, **k) if "dim" not in k else t.median(x, **k).values, _median_ref,
           _median_samples, dtypes=FLOATS + INTS),
    OpInfo("nanmedian", lambda t, x, **k: t.nanmedian(x, **k) if "dim" not in k else t.nanmedian(x, **k).values,
           _median_ref, _median_samples, dtypes=FLOATS),
    OpInfo("cummax", lambda t, x, **k: t.cummax(x, **k).values, lambda a, dim: np.maximum.accumulate(a, axis=dim),
           _scan_samples, dtypes=FLOATS + INTS),
    OpInfo("cummin", lambda t, x, **k: t.cummin(x, **k).values, lambda a, dim: np.minimum.accumulate(a, axis=dim),
           _scan_samples, dtypes=FLOATS + INTS),
    OpInfo("unique", lambda t, x, **k: t.unique(x, **k), lambda a: np.unique(a),
           lambda d: [Sample((make(_SHAPE, d, low=-3, high=3),), {}, "flat")],
           # bfloat16 is left out: its rounding merges values numpy (in float32) keeps apart.
           dtypes=FLOATS + ("float16",) + INTS + ("bool",), differentiable=False),
]
