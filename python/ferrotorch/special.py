"""`torch.special`: special functions with SciPy's names (PyTorch's module).

Each is an existing ferrotorch op under its SciPy name, or a composite of tensor ops (the gamma
family in `_gamma_functions.py`, the Bessel functions in `_bessel_functions.py` and `_bessel_more.py`, the normal
distribution in `_normal_functions.py`, the incomplete gamma, erfcx and zeta functions in
`_special_incomplete.py`, the orthogonal polynomials in `_special_polynomials.py`), so all run on
every device and are differentiable where PyTorch's are.

    >>> import ferrotorch as torch
    >>> torch.special.expit(torch.tensor([0.0])).tolist()
    [0.5]
    >>> torch.special.gammaln(torch.tensor([4.0])).exp().round().tolist()  # log(3!)
    [6.0]
"""
import math

from . import _C
from . import _elementwise, _math_composites, _reduce
from ._bessel_functions import _I0, _I1, i0, i0e, i1, i1e
from ._bessel_more import (
    airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_k0, modified_bessel_k1,
    scaled_modified_bessel_k0, scaled_modified_bessel_k1)
from ._gamma_functions import digamma, lgamma, mvlgamma, polygamma
from ._math_composites import _finish, _float_input, _float_operands, _float_unary, _horner
from ._normal_functions import log_ndtr, ndtr, ndtri
from ._special_incomplete import erfcx, gammainc, gammaincc, zeta
from ._special_polynomials import (
    chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v, chebyshev_polynomial_w,
    hermite_polynomial_h, hermite_polynomial_he, laguerre_polynomial_l, legendre_polynomial_p,
    shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w)
from .autograd.function import Function

__all__ = [
    "expit", "logit", "erf", "erfc", "erfinv", "expm1", "exp2", "log1p", "xlogy", "xlog1py",
    "logsumexp", "softmax", "log_softmax", "sinc", "round", "entr", "ndtr", "ndtri", "log_ndtr",
    "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
    "gammainc", "gammaincc", "erfcx", "zeta", "modified_bessel_i0", "modified_bessel_i1",
    "spherical_bessel_j0", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p", "airy_ai", "bessel_j0",
    "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
]


def _tensor_arg(name, input):
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def expit(input, *, out=None):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    _tensor_arg("special_expit", input)
    return _finish(input.sigmoid(), out)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    return _math_composites.logit(input, eps, out=out)


def erf(input, *, out=None):
    """The error function."""
    return _elementwise.erf(input, out=out)


def erfc(input, *, out=None):
    """The complementary error function 1 - erf(x)."""
    return _elementwise.erfc(input, out=out)


def erfinv(input, *, out=None):
    """The inverse of the error function."""
    return _elementwise.erfinv(input, out=out)


def expm1(input, *, out=None):
    """exp(x) - 1, accurate for small x."""
    return _elementwise.expm1(input, out=out)


def exp2(input, *, out=None):
    """2 ** x."""
    return _elementwise.exp2(input, out=out)


def log1p(input, *, out=None):
    """log(1 + x), accurate for small x."""
    return _elementwise.log1p(input, out=out)


def xlogy(input, other, *, out=None):
    """input * log(other), and 0 where input == 0 (unless other is NaN)."""
    return _math_composites.xlogy(input, other, out=out)


def xlog1py(input, other, *, out=None):
    """input * log1p(other), and 0 where input == 0 (unless other is NaN); either may be a number.

        >>> import ferrotorch as torch
        >>> torch.special.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 0.0])).tolist()
        [0.0, 0.0]
    """
    x, y, dtype = _float_operands("special_xlog1py", input, other, kernel="xlog1py")
    # Where x == 0 the log is taken of 1 instead of a y <= -1 or +inf: the value is then 0, and
    # neither the value nor the gradient meets 0 * inf.
    unused = (x == 0) & ((y <= -1) | y.isposinf())
    return _finish((x * _C.where(unused, 0.0, y).log1p()).to(dtype), out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(x))) along `dim`, computed stably."""
    _tensor_arg("special_logsumexp", input)
    return _finish(_reduce.logsumexp(input, dim, keepdim), out)


def softmax(input, dim, *, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, computed in `dtype` if given."""
    return _math_composites.softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(x)) along `dim`, computed in `dtype` if given."""
    return _math_composites.log_softmax(input, dim, dtype)


def sinc(input, *, out=None):
    """The normalized sinc function sin(pi x) / (pi x), 1 at 0."""
    return _math_composites.sinc(input, out=out)


def round(input, *, decimals=0, out=None):
    """Rounds half to even, to `decimals` decimal places."""
    return _elementwise.round(input, decimals=decimals, out=out)


class _Entr(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        positive = x > 0
        value = -x * _C.where(positive, x, 1.0).log()
        out = _C.where(positive, value, _C.where(x == 0, 0.0, -math.inf))
        return _C.where(x.isnan(), x, out)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(x.log() + 1.0)


_Entr._backward_name = "SpecialEntrBackward0"


def entr(input, *, out=None):
    """Elementwise entropy: -x log(x) for x > 0, 0 at 0, -inf for x < 0.

        >>> import ferrotorch as torch
        >>> torch.special.entr(torch.tensor([0.0, 1.0, -1.0])).tolist()
        [0.0, -0.0, -inf]
    """
    _tensor_arg("special_entr", input)
    if input.dtype.is_complex:
        raise _math_composites._not_implemented("entr", input)
    x, dtype = _float_input(input)
    return _finish(_Entr.apply(x).to(dtype), out)


def gammaln(input, *, out=None):
    """The natural log of the absolute value of the gamma function (`torch.lgamma`)."""
    return lgamma(input, out=out)


def psi(input, *, out=None):
    """The digamma function (`torch.digamma`)."""
    return digamma(input, out=out)


def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma function of dimension `p` (`torch.mvlgamma`)."""
    return mvlgamma(input, p, out=out)


def modified_bessel_i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0: `i0`'s values, except NaN at
    +-inf (PyTorch's kernel for this name gives NaN there, its `i0` gives inf)."""
    return _float_unary(lambda x: _C.where(x.isinf(), math.nan, _I0.apply(x)), "special_modified_bessel_i0", input, out)


def modified_bessel_i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1: `i1`'s values, except NaN at
    +-inf (as PyTorch gives)."""
    return _float_unary(lambda x: _C.where(x.isinf(), math.nan, _I1.apply(x)), "special_modified_bessel_i1", input, out)


def _spherical_j0(x):
    # sin(x) / x, with its Taylor series near 0 (where the quotient loses accuracy) and 0 at +-inf.
    small = x.abs() < 0.5
    xs = _C.where(small, x, 1.0)
    z = xs * xs
    series = _horner(z, [1.0 / math.factorial(k) * (-1) ** (k // 2) for k in range(17, 0, -2)])
    xl = _C.where(small, 1.0, x)
    return _C.where(small, series, _C.where(x.isinf(), 0.0, xl.sin() / xl))


def spherical_bessel_j0(input, *, out=None):
    """The spherical Bessel function of the first kind of order 0, sin(x) / x (1 at 0). Not
    differentiable, as in PyTorch.

        >>> import ferrotorch as torch
        >>> torch.special.spherical_bessel_j0(torch.tensor([0.0])).tolist()
        [1.0]
    """
    _tensor_arg("special_spherical_bessel_j0", input)
    return _float_unary(_spherical_j0, "special_spherical_bessel_j0", input.detach(), out)
