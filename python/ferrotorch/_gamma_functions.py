"""The gamma family: `lgamma`, `digamma`, `polygamma`, `mvlgamma`, as torch functions and
Tensor methods (and the `torch.special` names `gammaln`, `psi`, `multigammaln`).

Each is a program over elementwise tensor ops, so it runs on every device; gradients are
PyTorch's formulas (lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n+1)),
themselves differentiable, so second derivatives work too.

- lgamma: Lanczos (g = 7, 9 terms) for x >= 2.5, the reflection formula below 0.5; between,
  where lgamma has its zeros (at 1 and 2), a Taylor series around 2 keeps the relative error small.
- digamma: the recurrence psi(x) = psi(x + 10) - sum 1/(x + k), then the asymptotic series (as
  PyTorch's CPU kernel does); a Taylor series around the positive root (within 0.1); reflection for x < 0.
- polygamma(n >= 1): (-1)^(n+1) n! zeta(n + 1, x) by Euler-Maclaurin summation; reflection
  (derivatives of pi cot(pi x)) for x < 0.

    >>> import ferrotorch as torch
    >>> round(torch.lgamma(torch.tensor([5.0], dtype=torch.float64)).exp().item(), 9)
    24.0
    >>> round(torch.digamma(torch.tensor([1.0], dtype=torch.float64)).item(), 12)
    -0.577215664902
"""
import math
from fractions import Fraction

from . import _C
from ._attach import tensor_method
from ._math_composites import _finish, _float_input, _float_unary, _horner, _inplace
from .autograd.function import Function

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma"]

_PI = math.pi
_INF = math.inf
_NAN = math.nan

# Lanczos approximation, g = 7, n = 9 (Numerical Recipes 3rd ed. / Boost's tabulation).
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EULER = 0.5772156649015329
# lgamma(2 + e) = (1 - gamma) e + sum_k (-1)^k (zeta(k) - 1) / k e^k, k = 2..28, used on
# 0.5 <= x < 2.5 (|e| <= 0.5), where lgamma has its zeros and the Lanczos sum only an absolute accuracy.
_LGAMMA2_SERIES = (0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
                   0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
                   -0.00022315475845357939, 9.945751278180853e-05, -4.492623673813314e-05,
                   2.050721277567069e-05, -9.439488275268397e-06, 4.374866789907488e-06,
                   -2.039215753801366e-06, 9.55141213040742e-07, -4.492469198764566e-07,
                   2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08,
                   -2.2711094608943164e-08, 1.0838659214896955e-08, -5.183475041970047e-09,
                   2.4836745438024785e-09, -1.1921401405860912e-09, 5.731367241678862e-10,
                   -2.7595228851242334e-10, 1.330476437424449e-10)

# digamma's asymptotic series in z = 1/x^2 (PyTorch's/Cephes' coefficients, highest power first).
_PSI_ASYMPTOTIC = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                   -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                   8.33333333333333333333E-2)
_PSI_SHIFT = 10
# psi around its positive root x0: psi(x0) and psi^(k)(x0) / k!, k = 1..16 (|x - x0| < 0.1).
# The root is split into a float32-exact head and a tail, so x - root is accurate in float32 too.
_PSI_ROOT_HI, _PSI_ROOT_LO = 1.4616321325302124, 1.2438149843418955e-08
_PSI_ROOT_VALUE = -9.241265521729427e-17
_PSI_ROOT_SERIES = (0.9676722454476212, -0.4427631689835922, 0.2584997609556511, -0.16394270544240658,
                    0.10782405069126241, -0.07219956125645474, 0.04880428816414313, -0.033161126474847376,
                    0.022597648232218118, -0.01542476590494897, 0.010538791616612184, -0.007204534386356875,
                    0.004926781395729858, -0.0033698016554393312, 0.00230512632673493, -0.001576936771430199)
_PSI_ROOT_RADIUS = 0.1

# Bernoulli numbers B_2, B_4, ..., B_20 for the Euler-Maclaurin tail of the Hurwitz zeta function.
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330))


# ----------------------------------------------------------------------------- helpers

def _reduced_fraction(x):
    """(r, flip): the distance r in [0, 0.5] of x from its nearest integer, and flip where x lies
    below it (x - floor(x) is then 1 - r), so sin(pi r) and tan(pi r) keep full relative accuracy
    near the integers. x - round(x) is exact in floating point, whereas x - floor(x) rounds for a
    small negative x (-1e-8 - (-1) is 1.0 in float32, which would put a pole at -1e-8)."""
    d = x - x.round()
    return d.abs(), d < 0


def _cot_pi(x):
    """cot(pi x), accurate near the integers."""
    r, flip = _reduced_fraction(x)
    # cot(pi r) = tan(pi (1/2 - r)): an argument of at most pi/4 either way, so the zero of cot
    # at half-integers is met exactly (pi * 0.5 is not pi/2 in floating point).
    low = r < 0.25
    c = _C.where(low, (_C.where(low, r, 0.25) * _PI).tan().reciprocal(), ((0.5 - r) * _PI).tan())
    return _C.where(flip, -c, c)


def _nonpositive_integer(x):
    return (x <= 0) & (x == x.floor())


# ----------------------------------------------------------------------------- lgamma

def _lgamma_lanczos(x):
    """lgamma for x >= 0.5."""
    z = x - 1.0
    a = _LANCZOS[0] + _LANCZOS[1] / (z + 1.0)
    for i in range(2, len(_LANCZOS)):
        a = a + _LANCZOS[i] / (z + float(i))
    t = z + (_LANCZOS_G + 0.5)
    return (z + 0.5) * t.log() - t + a.log() + _HALF_LOG_2PI


def _lgamma_positive(x):
    """lgamma for x >= 0.5: the series around 2 on [0.5, 2.5), Lanczos above."""
    near1 = x < 1.5
    series_range = x < 2.5
    e = _C.where(near1, x - 1.0, _C.where(series_range, x - 2.0, 0.0))
    series = _horner(e, _LGAMMA2_SERIES[::-1]) * e * e + (1.0 - _EULER) * e
    series = _C.where(near1, series - e.log1p(), series)  # lgamma(1 + e) = lgamma(2 + e) - log(1 + e)
    return _C.where(series_range, series, _lgamma_lanczos(_C.where(series_range, 2.5, x)))


def _lgamma_forward(x):
    reflect = x < 0.5
    positive = _lgamma_positive(_C.where(reflect, 1.0 - x, x))
    # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); +inf at the poles.
    r, _ = _reduced_fraction(x)
    out = _C.where(reflect, (_PI / (r * _PI).sin()).log() - positive, positive)
    return _C.where(x.isinf(), _INF, out)


class _Lgamma(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _lgamma_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _Digamma.apply(x)


# ----------------------------------------------------------------------------- digamma

def _digamma_positive(x):
    """psi for x >= 0 (and -0.0): the recurrence up by _PSI_SHIFT, then the asymptotic series."""
    acc = x.reciprocal()
    for k in range(1, _PSI_SHIFT):
        acc = acc + (x + float(k)).reciprocal()
    a = x + float(_PSI_SHIFT)
    z = (a * a).reciprocal()
    return a.log() - 0.5 / a - z * _horner(z, _PSI_ASYMPTOTIC) - acc


def _digamma_forward(x):
    reflect = x < 0
    out = _digamma_positive(_C.where(reflect, 1.0 - x, x))
    e = (x - _PSI_ROOT_HI) - _PSI_ROOT_LO
    near_root = e.abs() < _PSI_ROOT_RADIUS
    e = _C.where(near_root, e, 0.0)
    out = _C.where(near_root, _horner(e, _PSI_ROOT_SERIES[::-1]) * e + _PSI_ROOT_VALUE, out)
    # psi(x) = psi(1 - x) - pi cot(pi x); NaN at the negative integers, as in PyTorch.
    out = _C.where(reflect, out - _PI * _cot_pi(x), out)
    return _C.where(reflect & (x == x.floor()), _NAN, out)


class _Digamma(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _digamma_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _Polygamma.apply(x, 1)


# ----------------------------------------------------------------------------- polygamma

def _hurwitz_zeta(s, q):
    """zeta(s, q) for an integer s >= 2 and q >= 0, by Euler-Maclaurin summation."""
    # Enough terms up front that the tail's asymptotic series converges fast for this s.
    n_terms = 10 + s
    acc = q.pow(-s)
    for k in range(1, n_terms):
        acc = acc + (q + float(k)).pow(-s)
    a = q + float(n_terms)
    inv_a = a.reciprocal()
    tail = a.pow(1 - s) / float(s - 1) + 0.5 * a.pow(-s)
    # sum_j B_2j / (2j)! * s (s + 1) ... (s + 2j - 2) * a^(-s - 2j + 1)
    rising, fact = Fraction(s), Fraction(2)
    term_power = a.pow(-s - 1)
    inv_a2 = inv_a * inv_a
    series = None
    for j, b in enumerate(_BERNOULLI, start=1):
        coeff = float(b / fact * rising)
        piece = term_power * coeff
        series = piece if series is None else series + piece
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
        term_power = term_power * inv_a2
    return acc + tail + series


def _cot_derivative_coeffs(n):
    """Coefficients (highest power first) of P_n with d^n/dx^n cot(pi x) = P_n(cot(pi x))."""
    # P_0(c) = c; P_{k+1}(c) = P_k'(c) * (-pi (1 + c^2)). Coefficients are lowest power first here.
    p = [0.0, 1.0]
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))]
        nxt = [0.0] * (len(d) + 2)
        for i, c in enumerate(d):
            nxt[i] += -_PI * c
            nxt[i + 2] += -_PI * c
        p = nxt
    return p[::-1]


def _polygamma_forward(n, x):
    reflect = x < 0
    q = _C.where(reflect, 1.0 - x, x)
    sign = 1.0 if n % 2 == 1 else -1.0
    out = _hurwitz_zeta(n + 1, q) * (sign * math.factorial(n))
    # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi d^n/dx^n cot(pi x)
    reflected = out * (1.0 if n % 2 == 0 else -1.0) - _PI * _horner(_cot_pi(x), _cot_derivative_coeffs(n))
    out = _C.where(reflect, reflected, out)
    # zeta(n + 1, q) is infinite at the poles: (-1)^(n+1) inf, as PyTorch's kernel gives.
    return _C.where(_nonpositive_integer(x), sign * _INF, out)


class _Polygamma(Function):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        if n == 0:
            return _digamma_forward(x)
        return _polygamma_forward(n, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _Polygamma.apply(x, ctx.n + 1), None


# PyTorch's grad_fn names.
_Lgamma._backward_name = "LgammaBackward0"
_Digamma._backward_name = "DigammaBackward0"
_Polygamma._backward_name = "PolygammaBackward0"


# ----------------------------------------------------------------------------- public functions

def _check_tensor(name, input, position=1):
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position {position}) must be Tensor, not {type(input).__name__}")


def lgamma(input, *, out=None):
    """The natural log of the absolute value of the gamma function (+inf at 0, -1, -2, ...).

        >>> import ferrotorch as torch
        >>> [round(v, 6) for v in torch.lgamma(torch.tensor([0.5, 3.0])).tolist()]
        [0.572365, 0.693147]
    """
    return _float_unary(_Lgamma.apply, "lgamma", input, out)


def digamma(input, *, out=None):
    """The logarithmic derivative of the gamma function (-inf at 0, NaN at -1, -2, ...).

        >>> import ferrotorch as torch
        >>> round(torch.digamma(torch.tensor([1.0])).item(), 5)
        -0.57722
    """
    return _float_unary(_Digamma.apply, "digamma", input, out)


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (`n` = 0 is digamma itself).

        >>> import ferrotorch as torch
        >>> round(torch.polygamma(1, torch.tensor([1.0])).item(), 5)  # pi^2 / 6
        1.64493
    """
    _check_n(n)
    return _float_unary(lambda x: _Polygamma.apply(x, n), "polygamma", input, out, position=2)


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma function of dimension `p`, elementwise:
    sum_{j<p} lgamma(x - j/2) + p (p - 1) / 4 log(pi).

        >>> import ferrotorch as torch
        >>> round(torch.mvlgamma(torch.tensor([2.5]), 2).item(), 5)
        0.85705
    """
    _check_tensor("mvlgamma", input)
    if input.dtype == _C.bool:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x, dtype = _float_input(input)
    offsets = _C.arange(-(p - 1) / 2.0, 0.5, 0.5, dtype=x.dtype, device=x.device)
    result = _Lgamma.apply(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4.0 * math.log(math.pi)
    return _finish(result.to(dtype), out)


for _name, _fn in {
    "lgamma": lambda self: lgamma(self),
    "lgamma_": _inplace(lgamma, "lgamma_"),
    "digamma": lambda self: digamma(self),
    "digamma_": _inplace(digamma, "digamma_"),
    "polygamma": lambda self, n: polygamma(n, self),
    "polygamma_": _inplace(lambda self, n: polygamma(n, self), "polygamma_"),
    "mvlgamma": lambda self, p: mvlgamma(self, p),
    "mvlgamma_": _inplace(mvlgamma, "mvlgamma_"),
}.items():
    if _fn.__doc__ is None:
        _fn.__doc__ = f"See :func:`ferrotorch.{_name}`."
    tensor_method(_fn, _name)
del _name, _fn
