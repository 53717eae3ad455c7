"""Registry entries for the ops composed in Python (python/ferrotorch/_math_composites.py).

References compute in float64 and return PyTorch's result dtype; integer inputs of float-valued
ops give float32 (the default dtype). Special values (NaN, infinities, signed zeros) are tested in
tests/test_math_composites.py, where gradients are not checked by finite differences.
"""
import numpy as np

from . import FLOATS, HALFS, OpInfo, Sample, make
from .elementwise import binary_samples, unary_samples


def _out_dtype(*arrays):
    """PyTorch's dtype for a float-valued op: the promoted float type of the arrays (numbers do
    not take part), else float32."""
    dt = np.result_type(*[a.dtype for a in arrays if isinstance(a, np.ndarray)])
    return dt if dt.kind == "f" else np.dtype(np.float32)


def _f64(fn):
    """A float-valued numpy reference computed in float64."""
    def ref(*arrays, **kw):
        return np.asarray(fn(*[np.asarray(a, dtype=np.float64) for a in arrays], **kw)).astype(_out_dtype(*arrays))

    return ref


def _xlogy(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def _heaviside(x, values):
    return np.where(x == 0, values, (x > 0)).astype(np.result_type(x, values))


def _softmax(a, dim, dtype=None, log=False):
    x = a.astype(np.float64)
    if x.ndim == 0:
        r = np.zeros_like(x) if log else np.ones_like(x)
    else:
        shifted = x - np.max(x, axis=dim, keepdims=True) if x.size else x
        lse = np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        r = shifted - lse if log else np.exp(shifted - lse)
    return np.asarray(r).astype(dtype or a.dtype)


def _logcumsumexp(a, dim):
    x = a.astype(np.float64)
    r = x.copy() if x.ndim == 0 else np.logaddexp.accumulate(x, axis=dim)
    return r.astype(a.dtype)


def _ternary_samples(nonzero_last=False):
    def samples(dtype):
        def last(shape, seed):
            return make(shape, dtype, seed, 0.5, 3.0) if nonzero_last else make(shape, dtype, seed)

        return [
            Sample((make((3, 4), dtype, 1), make((3, 4), dtype, 2), last((3, 4), 3)), {"value": 0.5}, "same"),
            Sample((make((3, 4), dtype, 4), make((4,), dtype, 5), last((3, 1), 6)), {}, "broadcast"),
            Sample((make((), dtype, 7), make((), dtype, 8), last((), 9)), {"value": -2}, "0d"),
            Sample((make((0, 3), dtype, 10), make((3,), dtype, 11), last((0, 3), 12)), {}, "empty"),
        ]

    return samples


def _xlogy_samples(dtype):
    x = make((3, 4), dtype, 1)
    x[0, :2] = 0  # x == 0 gives 0 (and a finite gradient) for any positive y
    return [
        Sample((x, make((3, 4), dtype, 2, 0.1, 5.0)), name="same"),
        Sample((make((2, 1, 3), dtype, 3), make((4, 1), dtype, 4, 0.1, 5.0)), name="broadcast"),
        Sample((make((3,), dtype, 5), 2.5), name="number-other"),
        Sample((make((), dtype, 6), make((), dtype, 7, 0.1, 5.0)), name="0d"),
        Sample((make((0, 3), dtype, 8), make((3,), dtype, 9, 0.1, 5.0)), name="empty"),
    ]


def _heaviside_samples(dtype):
    def stepped(shape, seed):
        return np.asarray(np.round(make(shape, dtype, seed))).astype(make((), dtype).dtype)  # with zeros

    return [
        Sample((stepped((3, 4), 1), make((3, 4), dtype, 2)), name="same"),
        Sample((stepped((3, 4), 3), make((4,), dtype, 4)), name="broadcast"),
        Sample((stepped((), 5), make((), dtype, 6)), name="0d"),
        Sample((stepped((0, 3), 7), make((3,), dtype, 8)), name="empty"),
    ]


def _logit_samples(dtype):
    return [
        Sample((make((3, 4), dtype, 1, 0.05, 0.95),), name="2d"),
        Sample((make((3, 4), dtype, 2, 0.0, 1.0),), {"eps": 0.2}, "eps"),
        Sample((make((), dtype, 3, 0.05, 0.95),), name="0d"),
        Sample((make((0, 3), dtype, 4, 0.05, 0.95),), name="empty"),
    ]


def _dim_samples(dtype, extra=()):
    return [
        Sample((make((3, 4, 5), dtype, 1),), {"dim": 1}, "dim1"),
        Sample((make((3, 4, 5), dtype, 2),), {"dim": -1}, "dim-1"),
        Sample((make((), dtype, 3),), {"dim": 0}, "0d"),
        Sample((make((0, 3), dtype, 4),), {"dim": 1}, "empty"),
        *extra,
    ]


def _softmax_samples(dtype):
    return _dim_samples(dtype, [Sample((make((2, 3), dtype, 5),), {"dim": 0, "dtype": "float64"}, "dtype")])


def _logcumsumexp_samples(dtype):
    # A long, wide-ranged row: many scan steps, and prefixes far below the row's max.
    wide = make((2, 37), dtype, 6, -60.0, 60.0)
    return _dim_samples(dtype, [Sample((wide,), {"dim": 1}, "wide"),
                                Sample((make((0, 3), dtype, 7),), {"dim": 0}, "empty-dim")])


def _dtype_arg(t, dtype):
    return None if dtype is None else getattr(t, dtype)


OPS = [
    OpInfo("softmax", lambda t, a, dim, dtype=None: t.softmax(a, dim, _dtype_arg(t, dtype)),
           lambda a, dim, dtype=None: _softmax(a, dim, dtype), _softmax_samples),
    OpInfo("log_softmax", lambda t, a, dim, dtype=None: a.log_softmax(dim, dtype=_dtype_arg(t, dtype)),
           lambda a, dim, dtype=None: _softmax(a, dim, dtype, log=True), _softmax_samples),
    OpInfo("addcmul", lambda t, a, b, c, **kw: t.addcmul(a, b, c, **kw),
           lambda a, b, c, value=1: a + value * b * c, _ternary_samples()),
    OpInfo("addcdiv", lambda t, a, b, c, **kw: a.addcdiv(b, c, **kw),
           lambda a, b, c, value=1: (a + value * (b.astype(np.float64) / c)).astype(np.result_type(a, b, c)),
           _ternary_samples(nonzero_last=True)),
    OpInfo("logaddexp", lambda t, a, b: t.logaddexp(a, b), _f64(np.logaddexp), binary_samples(),
           dtypes=FLOATS + HALFS),
    OpInfo("logaddexp2", lambda t, a, b: a.logaddexp2(b), _f64(np.logaddexp2), binary_samples()),
    OpInfo("xlogy", lambda t, a, b: t.xlogy(a, b), _f64(_xlogy), _xlogy_samples, dtypes=FLOATS + HALFS),
    OpInfo("copysign", lambda t, a, b: t.copysign(a, b), _f64(np.copysign), binary_samples(),
           dtypes=FLOATS + ("int64",)),
    OpInfo("fmax", lambda t, a, b: t.fmax(a, b), np.fmax, binary_samples(), dtypes=FLOATS + ("int32",)),
    OpInfo("fmin", lambda t, a, b: a.fmin(b), np.fmin, binary_samples(), dtypes=FLOATS + ("int32",)),
    OpInfo("deg2rad", lambda t, a: t.deg2rad(a), _f64(np.deg2rad), unary_samples(-400.0, 400.0),
           dtypes=FLOATS + ("int64",)),
    OpInfo("rad2deg", lambda t, a: a.rad2deg(), _f64(np.rad2deg), unary_samples(), dtypes=FLOATS + ("int32",)),
    OpInfo("sinc", lambda t, a: t.sinc(a), _f64(np.sinc), unary_samples(), dtypes=FLOATS + HALFS + ("int64",)),
    OpInfo("logit", lambda t, a, **kw: t.logit(a, **kw), _f64(_logit), _logit_samples),
    OpInfo("heaviside", lambda t, a, v: t.heaviside(a, v), _heaviside, _heaviside_samples,
           dtypes=FLOATS + ("int64",), differentiable=False),
    OpInfo("logcumsumexp", lambda t, a, dim: t.logcumsumexp(a, dim), _logcumsumexp, _logcumsumexp_samples,
           dtypes=FLOATS + HALFS, tol={"float32": (1e-5, 1e-5)}),
]
