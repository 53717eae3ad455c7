"""The regularized incomplete gamma functions `gammainc` / `gammaincc` (also `torch.igamma`,
`torch.igammac` and the Tensor methods), the scaled complementary error function `erfcx` and the
Hurwitz zeta function `zeta`, for `torch.special`.

All are fixed-length programs over elementwise tensor ops (no data-dependent loops, so no host
reads), which run on every device; the backward passes are PyTorch's formulas.

- gammainc(a, x) = P(a, x): the power series of P for x < a + 1, the continued fraction of
  Q = 1 - P (modified Lentz) above. The common factor x^a e^-x / Gamma(a) is taken from
  Stirling's series for a >= 10, so it keeps its relative accuracy for large a and x.
  The fixed term counts make float64 accurate to ~1e-13 for a up to ~300 (see _SERIES_TERMS).
- erfcx(x) = exp(x^2) erfc(x): directly below x = 3 (erfc is accurate there), Laplace's
  continued fraction above (where erfc underflows or exp(x^2) overflows).
- zeta(x, q) = sum_k (q + k)^-x: twelve terms, then the Euler-Maclaurin tail.

    >>> import ferrotorch as torch
    >>> round(torch.special.gammainc(torch.tensor([1.0]), torch.tensor([1.0])).item(), 5)  # 1 - 1/e
    0.63212
    >>> round(torch.special.zeta(torch.tensor([2.0]), torch.tensor([1.0])).item(), 5)  # pi^2 / 6
    1.64493
"""
import math
from fractions import Fraction

from . import _C
from ._attach import tensor_method
from ._shape_functions import broadcast_tensors as _broadcast_tensors
from ._math_composites import _acc, _finish, _float_unary, _inplace, _not_implemented
from .autograd.function import Function

__all__ = ["gammainc", "gammaincc", "igamma", "igammac", "erfcx", "zeta"]

_INF, _NAN = math.inf, math.nan
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
# Terms of the P series / the Q continued fraction, by compute dtype: near x = a both need about
# 9 sqrt(a) terms in float64 (6 sqrt(a) in float32), so these cover a up to ~300.
_SERIES_TERMS = {_C.float64: 160, _C.float32: 90}
_STIRLING_MIN_A = 10.0
# lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2) = sum_k B_2k / (2k (2k - 1) a^(2k - 1)).
_STIRLING = (1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156)


def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as Fractions (from sum_{j<=m} C(m+1, j) B_j = 0)."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(math.comb(m + 1, j) * b[j] for j in range(m)) / (m + 1))
    return b[2::2]


# Euler-Maclaurin coefficients B_2j / (2j)!, j = 1..12.
_EM_COEFFS = tuple(float(b / math.factorial(2 * j)) for j, b in enumerate(_bernoulli_even(12), start=1))
_ZETA_TERMS = 12


# ----------------------------------------------------------------------------- gammainc

def _log_prefactor(a, x):
    """log(x^a e^-x / Gamma(a)) for a, x > 0."""
    naive = a * x.log() - x - a.lgamma()
    # a log(x / a) + a - x = a (log1p(t) - t), t = (x - a) / a: no cancellation of big terms.
    big = a >= _STIRLING_MIN_A
    ab = _C.where(big, a, _STIRLING_MIN_A)
    t = (x - ab) / ab
    inv = ab.reciprocal()
    inv2 = inv * inv
    mu = _STIRLING[-1]
    for c in _STIRLING[-2::-1]:
        mu = inv2 * mu + c
    stirling = ab * (t.log1p() - t) + 0.5 * ab.log() - _HALF_LOG_2PI - mu * inv
    return _C.where(big, stirling, naive)


def _igamma_pair(a, x):
    """(P, Q) for finite a > 0, x > 0 (the other values are fixed up by the caller)."""
    terms = _SERIES_TERMS.get(x.dtype, 160)
    series = x < a + 1.0
    # P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)).
    xs = _C.where(series, x, a)
    term = xs / xs  # ones, of the broadcast shape and dtype
    total = term
    for n in range(1, terms):
        term = term * xs / (a + float(n))
        total = total + term
    p_series = (_log_prefactor(a, xs).exp() / a) * total
    # Q = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))).
    xc = _C.where(series, a + 2.0, x)
    tiny = 1e-300 if x.dtype == _C.float64 else 1e-30
    b = xc + 1.0 - a
    c = b / tiny  # effectively 1 / tiny, of the right shape
    d = b.reciprocal()
    h = d
    for i in range(1, terms):
        an = (a - float(i)) * float(i)
        b = b + 2.0
        d = an * d + b
        d = _C.where(d.abs() < tiny, tiny, d).reciprocal()
        c = b + an / c
        c = _C.where(c.abs() < tiny, tiny, c)
        h = h * d * c
    q_cf = _log_prefactor(a, xc).exp() * h
    p = _C.where(series, p_series, 1.0 - q_cf)
    q = _C.where(series, 1.0 - p_series, q_cf)
    return p, q


def _igamma_values(a, x, upper):
    """PyTorch's values, with its order of special cases (the first that applies wins)."""
    safe = (a > 0) & (x > 0) & ~a.isinf() & ~x.isinf()
    p, q = _igamma_pair(_C.where(safe, a, 1.0), _C.where(safe, x, 1.0))
    out = _C.where(a.isnan() | x.isnan(), _NAN, q if upper else p)
    zero_x, one_x = (1.0, 0.0) if upper else (0.0, 1.0)
    out = _C.where(x.isinf(), one_x, out)
    out = _C.where(a.isinf(), _C.where(x.isinf(), _NAN, zero_x), out)
    out = _C.where(x == 0, zero_x, out)
    out = _C.where(a == 0, _C.where(x > 0, one_x, _NAN), out)
    return _C.where((x < 0) | (a < 0), _NAN, out)


class _NoDerivative(Function):
    """Zeros, whose backward raises PyTorch's error: added to a result that PyTorch does not
    differentiate in argument `t`, so that only asking for that gradient fails (and a gradient
    for the other argument alone still works)."""
    @staticmethod
    def forward(ctx, t, message):
        ctx.message = message
        return _C.zeros_like(t)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(ctx.message)


def _without_derivative(result, t, message):
    if t.requires_grad and _C.is_grad_enabled():
        return result + _NoDerivative.apply(t, message)
    return result


class _Igamma(Function):
    @staticmethod
    def forward(ctx, a, x, upper):
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return _igamma_values(a, x, upper)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        d = grad * ((a - 1.0) * x.log() - x - a.lgamma()).exp()
        return None, (-d if ctx.upper else d), None


def _igamma(name, input, other, out, upper):
    for pos, arg, v in ((1, "input", input), (2, "other", other)):
        if not isinstance(v, _C.Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}")
    dtype = _C.result_type(input, other)
    if not dtype.is_floating_point:
        raise _not_implemented("igammac" if upper else "igamma", input)
    compute = _acc(dtype)
    a, x = _broadcast_tensors(input.to(compute), other.to(compute))
    name = "igammac" if upper else "igamma"
    result = _without_derivative(_Igamma.apply(a.detach(), x, upper), a,
                                 f"the derivative for '{name}: input' is not implemented.")
    return _finish(result.to(dtype), out)


def gammainc(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a), with
    a = `input`, x = `other` (both non-negative). Differentiable in `other` only, as in PyTorch.

        >>> import ferrotorch as torch
        >>> [round(v, 5) for v in torch.special.gammainc(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])).tolist()]
        [0.63212, 0.26424]
    """
    return _igamma("special_gammainc", input, other, out, False)


def gammaincc(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate where it
    is tiny.

        >>> import ferrotorch as torch
        >>> q = torch.special.gammaincc(torch.tensor([1.0], dtype=torch.float64), torch.tensor([30.0], dtype=torch.float64))
        >>> round(q.item() * 1e14, 6)  # exp(-30): no cancellation against 1
        9.357623
    """
    return _igamma("special_gammaincc", input, other, out, True)


def igamma(input, other, *, out=None):
    """`torch.igamma`: the same as `torch.special.gammainc`."""
    return _igamma("igamma", input, other, out, False)


def igammac(input, other, *, out=None):
    """`torch.igammac`: the same as `torch.special.gammaincc`."""
    return _igamma("igammac", input, other, out, True)


def _method(fn, name):
    def method(self, other):
        if not isinstance(other, _C.Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return fn(self, other)
    method.__doc__ = f"See :func:`ferrotorch.{name}`."
    return method


tensor_method(_method(igamma, "igamma"), "igamma")
tensor_method(_method(igammac, "igammac"), "igammac")
tensor_method(_inplace(_method(igamma, "igamma"), "igamma_"), "igamma_")
tensor_method(_inplace(_method(igammac, "igammac"), "igammac_"), "igammac_")


# ----------------------------------------------------------------------------- erfcx

_ERFCX_SWITCH = 3.0
_ERFCX_DEPTH = {_C.float64: 60, _C.float32: 24}


def _erfcx_forward(x):
    near = x < _ERFCX_SWITCH
    xn = _C.where(near, x, 0.0)
    direct = (xn * xn).exp() * xn.erfc()
    # erfcx(x) = 1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))), evaluated bottom-up.
    xf = _C.where(near, _ERFCX_SWITCH, x)
    f = xf
    for k in range(_ERFCX_DEPTH.get(x.dtype, 60), 0, -1):
        f = xf + (0.5 * k) / f
    far = _INV_SQRT_PI / f
    return _C.where(near, direct, far)


class _Erfcx(Function):
    @staticmethod
    def forward(ctx, x):
        result = _erfcx_forward(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * (2.0 * x * result - 2.0 * _INV_SQRT_PI)


_Erfcx._backward_name = "SpecialErfcxBackward0"


def erfcx(input, *, out=None):
    """The scaled complementary error function exp(x^2) * erfc(x), finite where erfc underflows.

        >>> import ferrotorch as torch
        >>> round(torch.special.erfcx(torch.tensor([100.0], dtype=torch.float64)).item(), 8)
        0.00564161
    """
    return _float_unary(_Erfcx.apply, "special_erfcx", input, out)


# ----------------------------------------------------------------------------- zeta

def _zeta_values(x, q):
    """The Hurwitz zeta function, PyTorch's special values included."""
    eps = 1.2e-16 if x.dtype == _C.float64 else 6e-8
    ok = x > 1.0
    xs = _C.where(ok, x, 2.0)
    total = q.pow(-xs)
    for k in range(1, _ZETA_TERMS):
        total = total + (q + float(k)).pow(-xs)
    w = q + float(_ZETA_TERMS)
    b = w.pow(-xs)
    # The tail's corrections grow like (x)_(2j) / w^(2j): drop the tail where it is below the
    # rounding of the sum (it is then negligible, and the corrections could overflow).
    needed = b.abs() > eps * total.abs()
    xt = _C.where(needed, xs, 2.0)
    bt = _C.where(needed, b, 0.0)
    tail = bt * w / (xt - 1.0) + 0.5 * bt
    rising = xt
    power = bt / w
    inv_w2 = (w * w).reciprocal()
    for j, coeff in enumerate(_EM_COEFFS):
        tail = tail + coeff * rising * power
        rising = rising * (xt + float(2 * j + 1)) * (xt + float(2 * j + 2))
        power = power * inv_w2
    out = _C.where(x.isnan() | q.isnan(), _NAN, total + _C.where(needed, tail, 0.0))
    # x = +inf: q^-inf is 0 for q > 1 (PyTorch's series then meets inf * 0 = NaN), and so at q = +inf.
    out = _C.where(((x == _INF) & (q > 1.0)) | ((q == _INF) & (x > 1.0)), _NAN, out)
    nonpos = q <= 0
    out = _C.where(nonpos & (x != x.floor()), _NAN, out)
    out = _C.where(nonpos & (q == q.floor()), _INF, out)
    out = _C.where(x < 1.0, _NAN, out)
    return _C.where(x == 1.0, _INF, out)


class _Zeta(Function):
    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        return _zeta_values(x, q)

    @staticmethod
    def backward(ctx, grad):
        x, q = ctx.saved_tensors
        return None, grad * -x * _Zeta.apply(x + 1.0, q)


_Zeta._backward_name = "SpecialZetaBackward0"


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function sum_{k>=0} (other + k)^-input (the Riemann zeta at other = 1).
    Either argument may be a number; differentiable in `other` only, as in PyTorch.

        >>> import ferrotorch as torch
        >>> round(torch.special.zeta(torch.tensor([4.0], dtype=torch.float64), 1.0).item() * 90, 6)  # pi^4
        97.409091
    """
    if not isinstance(input, _C.Tensor) and not isinstance(other, _C.Tensor):
        raise TypeError(
            f"special_zeta() received an invalid combination of arguments - got ({type(input).__name__}, "
            f"{type(other).__name__}), but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other, *, Tensor out = None)\n * (Tensor input, Number other, *, Tensor out = None)\n")
    dtype = _C.result_type(input, other)
    device = (input if isinstance(input, _C.Tensor) else other).device
    if dtype.is_complex:
        raise _not_implemented("zeta", input if isinstance(input, _C.Tensor) else other, dtype)
    if not dtype.is_floating_point:
        dtype = _C.get_default_dtype()
    compute = _acc(dtype)

    def conv(v):
        return v.to(compute) if isinstance(v, _C.Tensor) else _C.tensor(float(v), dtype=compute, device=device)

    x, q = _broadcast_tensors(conv(input), conv(other))
    result = _without_derivative(_Zeta.apply(x.detach(), q), x, "the derivative for 'zeta' is not implemented.")
    return _finish(result.to(dtype), out)

