"""Registry entries for elementwise ops (unary, binary, ternary)."""
import numpy as np

from . import ALL, FLOATS, HALFS, INTS, OpInfo, Sample, make

FLOAT_ALL = FLOATS + HALFS
NUMERIC = FLOAT_ALL + INTS


def _float(a):
    """PyTorch promotes integer and bool inputs of float-valued ops to float32."""
    a = np.asarray(a)
    return a.astype(np.float32) if a.dtype.kind in "biu" else a


def unary_samples(low=-3.0, high=3.0):
    def samples(dtype):
        return [
            Sample((make((3, 4), dtype, 1, low, high),), name="2d"),
            Sample((make((5,), dtype, 2, low, high),), name="1d"),
            Sample((make((), dtype, 3, low, high),), name="0d"),
            Sample((make((0, 3), dtype, 4, low, high),), name="empty"),
            Sample((make((2, 3, 4), dtype, 5, low, high),), name="3d"),
        ]

    return samples


def binary_samples(low=-3.0, high=3.0, nonzero_rhs=False):
    def rhs(shape, dtype, seed):
        b = make(shape, dtype, seed, low, high)
        if nonzero_rhs and dtype != "bool":
            b = np.where(b == 0, np.ones_like(b), b)
        return b

    def samples(dtype):
        return [
            Sample((make((3, 4), dtype, 1, low, high), rhs((3, 4), dtype, 2)), name="same"),
            Sample((make((3, 4), dtype, 3, low, high), rhs((4,), dtype, 4)), name="broadcast-row"),
            Sample((make((2, 1, 3), dtype, 5, low, high), rhs((4, 1), dtype, 6)), name="broadcast-both"),
            Sample((make((), dtype, 7, low, high), rhs((), dtype, 8)), name="0d"),
            Sample((make((3,), dtype, 9, low, high), rhs((), dtype, 10)), name="0d-rhs"),
            Sample((make((0, 3), dtype, 11, low, high), rhs((3,), dtype, 12)), name="empty"),
        ]

    return samples


def _unary(name, ref, dtypes=FLOAT_ALL + INTS, low=-3.0, high=3.0, tol=None, differentiable=True):
    return OpInfo(
        name=name,
        op=lambda torch, a, _n=name: getattr(a, _n)(),
        ref=ref,
        samples=unary_samples(low, high),
        dtypes=dtypes,
        tol=tol or {},
        differentiable=differentiable,
    )


def _binary(name, op, ref, dtypes=NUMERIC, nonzero_rhs=False, low=-3.0, high=3.0, differentiable=True, tol=None):
    return OpInfo(
        name=name, op=op, ref=ref, samples=binary_samples(low, high, nonzero_rhs),
        dtypes=dtypes, differentiable=differentiable, tol=tol or {},
    )


def _floor_div(a, b):
    return np.floor_divide(a, b)


def _round_half_even(a):
    return np.round(a)


def _sigmoid(a):
    a = _float(a)
    return (1 / (1 + np.exp(-a.astype(np.float64)))).astype(a.dtype)


def _erf(a):
    import math

    a = _float(a)
    return np.vectorize(math.erf, otypes=[np.float64])(a).astype(a.dtype) if a.size else a


def _erfinv(a):
    import math

    a = _float(a)

    def inv(y):
        lo, hi = -10.0, 10.0
        for _ in range(200):
            mid = (lo + hi) / 2
            if math.erf(mid) < y:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return np.vectorize(inv, otypes=[np.float64])(a).astype(a.dtype) if a.size else a


def _sign(a):
    if a.dtype == bool:
        return a.copy()
    return np.sign(a).astype(a.dtype)


def _relu(a):
    if a.dtype == bool:
        return a.copy()
    return np.maximum(a, 0).astype(a.dtype)


def _abs(a):
    return a.copy() if a.dtype == bool else np.abs(a)


def _same_if_int(fn):
    """floor/ceil/round/trunc leave integer tensors unchanged."""
    return lambda a: a.copy() if a.dtype.kind in "biu" else fn(a)


F_ = lambda fn: (lambda a: fn(_float(a)))  # noqa: E731  float-valued op on any input

OPS = [
    _unary("exp", F_(np.exp)),
    _unary("exp2", F_(np.exp2)),
    _unary("expm1", F_(np.expm1)),
    _unary("log", F_(np.log), low=0.1, high=5.0),
    _unary("log2", F_(np.log2), low=0.1, high=5.0),
    _unary("log10", F_(np.log10), low=0.1, high=5.0),
    _unary("log1p", F_(np.log1p), low=0.0, high=5.0),
    _unary("sqrt", F_(np.sqrt), low=0.0, high=5.0),
    _unary("rsqrt", F_(lambda a: 1 / np.sqrt(a)), low=0.5, high=5.0),
    _unary("sin", F_(np.sin)),
    _unary("cos", F_(np.cos)),
    _unary("tan", F_(np.tan), low=-1.2, high=1.2, tol={"float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2)}),
    _unary("asin", F_(np.arcsin), low=-0.9, high=0.9),
    _unary("acos", F_(np.arccos), low=-0.9, high=0.9),
    _unary("atan", F_(np.arctan)),
    _unary("sinh", F_(np.sinh)),
    _unary("cosh", F_(np.cosh)),
    _unary("tanh", F_(np.tanh)),
    _unary("asinh", F_(np.arcsinh)),
    _unary("acosh", F_(np.arccosh), low=1.0, high=5.0),
    _unary("atanh", F_(np.arctanh), low=-0.9, high=0.9),
    _unary("sigmoid", _sigmoid),
    _unary("erf", _erf),
    _unary("erfinv", _erfinv, low=-0.9, high=0.9, tol={"float32": (1e-5, 1e-5)}),
    _unary("reciprocal", F_(lambda a: 1 / a), low=0.5, high=3.0),
    _unary("neg", np.negative, dtypes=FLOAT_ALL + ("int64", "int32", "int16", "int8")),
    _unary("abs", _abs, dtypes=FLOAT_ALL + INTS + ("bool",)),
    _unary("sign", _sign, dtypes=FLOAT_ALL + ("int64", "int32", "int8")),
    _unary("floor", _same_if_int(np.floor), low=-3.7, high=3.7),
    _unary("ceil", _same_if_int(np.ceil), low=-3.7, high=3.7),
    _unary("round", _same_if_int(_round_half_even), dtypes=FLOATS + INTS, low=-3.7, high=3.7),
    _unary("trunc", _same_if_int(np.trunc), low=-3.7, high=3.7),
    _unary("frac", lambda a: a - np.trunc(a), dtypes=FLOATS, low=-3.7, high=3.7),
    _unary("relu", _relu, dtypes=FLOAT_ALL + ("int64", "int32")),
    _unary("square", np.square, dtypes=FLOATS + ("int64", "int32")),
    _unary("bitwise_not", np.invert, dtypes=INTS + ("bool",), differentiable=False),
    _unary("logical_not", np.logical_not, dtypes=ALL, differentiable=False),
    _unary("isnan", np.isnan, dtypes=FLOATS + ("int64",), differentiable=False),
    _unary("isinf", np.isinf, dtypes=FLOATS + ("int64",), differentiable=False),
    _unary("isfinite", np.isfinite, dtypes=FLOATS + ("int64",), differentiable=False),
    _binary("add", lambda t, a, b: a + b, np.add, dtypes=ALL),
    _binary("sub", lambda t, a, b: a - b, np.subtract),
    _binary("mul", lambda t, a, b: a * b, np.multiply, dtypes=ALL),
    _binary("div", lambda t, a, b: a / b, lambda a, b: np.true_divide(_float(a), _float(b)), nonzero_rhs=True),
    _binary("floor_divide", lambda t, a, b: a // b, _floor_div, nonzero_rhs=True, dtypes=FLOATS + INTS, differentiable=False),
    _binary("remainder", lambda t, a, b: a % b, np.remainder, nonzero_rhs=True, dtypes=FLOATS + INTS),
    _binary("fmod", lambda t, a, b: a.fmod(b), np.fmod, nonzero_rhs=True, dtypes=FLOATS + INTS),
    _binary("pow", lambda t, a, b: a ** b, np.power, dtypes=FLOATS, low=0.5, high=2.0),
    _binary("atan2", lambda t, a, b: a.atan2(b), lambda a, b: np.arctan2(_float(a), _float(b))),
    _binary("hypot", lambda t, a, b: a.hypot(b), np.hypot, dtypes=FLOATS),
    _binary("maximum", lambda t, a, b: t.maximum(a, b), np.maximum, dtypes=ALL),
    _binary("minimum", lambda t, a, b: t.minimum(a, b), np.minimum, dtypes=ALL),
    _binary("bitwise_and", lambda t, a, b: a & b, np.bitwise_and, dtypes=INTS + ("bool",), differentiable=False),
    _binary("bitwise_or", lambda t, a, b: a | b, np.bitwise_or, dtypes=INTS + ("bool",), differentiable=False),
    _binary("bitwise_xor", lambda t, a, b: a ^ b, np.bitwise_xor, dtypes=INTS + ("bool",), differentiable=False),
    _binary("logical_and", lambda t, a, b: a.logical_and(b), np.logical_and, dtypes=ALL, differentiable=False),
    _binary("logical_or", lambda t, a, b: a.logical_or(b), np.logical_or, dtypes=ALL, differentiable=False),
    _binary("logical_xor", lambda t, a, b: a.logical_xor(b), np.logical_xor, dtypes=ALL, differentiable=False),
    _binary("eq", lambda t, a, b: a == b, np.equal, dtypes=ALL, differentiable=False),
    _binary("ne", lambda t, a, b: a != b, np.not_equal, dtypes=ALL, differentiable=False),
    _binary("lt", lambda t, a, b: a < b, np.less, dtypes=ALL, differentiable=False),
    _binary("le", lambda t, a, b: a <= b, np.less_equal, dtypes=ALL, differentiable=False),
    _binary("gt", lambda t, a, b: a > b, np.greater, dtypes=ALL, differentiable=False),
    _binary("ge", lambda t, a, b: a >= b, np.greater_equal, dtypes=ALL, differentiable=False),
    OpInfo(
        name="clamp",
        op=lambda t, a: a.clamp(-1, 1.5) if a.is_floating_point() else a.clamp(-1, 2),
        ref=lambda a: np.clip(a, -1, 1.5) if a.dtype.kind == "f" else np.clip(a, -1, 2).astype(a.dtype),
        samples=unary_samples(),
        dtypes=FLOATS + ("int64", "int32"),
    ),
    OpInfo(
        name="clamp_tensor",
        op=lambda t, a, lo, hi: a.clamp(lo, hi),
        ref=lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi),
        samples=lambda d: [
            Sample((make((3, 4), d, 1), make((4,), d, 2, -3, 0), make((3, 1), d, 3, 0, 3))),
            Sample((make((), d, 4), make((), d, 5, -3, 0), make((), d, 6, 0, 3))),
        ],
        dtypes=FLOATS,
    ),
    OpInfo(
        name="lerp",
        op=lambda t, a, b, w: a.lerp(b, w),
        ref=lambda a, b, w: np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w)),
        samples=lambda d: [
            Sample((make((3, 4), d, 1), make((3, 4), d, 2), make((4,), d, 3, 0, 1))),
            Sample((make((), d, 4), make((), d, 5), make((), d, 6, 0, 1))),
        ],
        dtypes=FLOATS,
    ),
]
