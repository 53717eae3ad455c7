"""The standard normal distribution's CDF `ndtr`, its inverse `ndtri` and `log_ndtr`, for
`torch.special`, written with tensor ops so they run on every device.

- ndtr(x) = erfc(-x / sqrt(2)) / 2, accurate in both tails.
- ndtri: Cephes' rational approximations (PyTorch's kernel): one around the median, two in
  z = sqrt(-2 log p) for the tails.
- log_ndtr: log1p(-erfc(x / sqrt(2)) / 2) for x >= -1, log(ndtr(x)) below, and the asymptotic
  series of the Mills ratio in the far left tail, where ndtr underflows.

    >>> import ferrotorch as torch
    >>> [round(v, 6) for v in torch.special.ndtr(torch.tensor([0.0, 1.0])).tolist()]
    [0.5, 0.841345]
"""
import math

from . import _C
from ._math_composites import _float_unary, _horner
from .autograd.function import Function

_SQRT1_2 = math.sqrt(0.5)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EXP_M2 = 0.13533528323661269189  # exp(-2)

# Cephes ndtri: p in (exp(-2), 1 - exp(-2)): x = y + y y2 P0(y2) / Q0(y2), y = p - 0.5, y2 = y^2.
_NDTRI_P0 = (-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0)
# z = sqrt(-2 log p) in [2, 8)
_NDTRI_P1 = (4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4)
# z in [8, 64)
_NDTRI_P2 = (3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9)


# ----------------------------------------------------------------------------- ndtr

def _ndtr(x):
    return (x * -_SQRT1_2).erfc() * 0.5


# ----------------------------------------------------------------------------- ndtri

def _ndtri_forward(p):
    upper = p > 1.0 - _EXP_M2
    y = _C.where(upper, 1.0 - p, p)
    central = y > _EXP_M2
    # The central approximation, in y = p - 0.5.
    yc = _C.where(central, p - 0.5, 0.0)
    y2 = yc * yc
    x_central = (yc + yc * (y2 * _horner(y2, _NDTRI_P0) / _horner(y2, _NDTRI_Q0))) * _SQRT_2PI
    # The tails, in z = sqrt(-2 log y) (y kept in (0, exp(-2)] where unused, so the logs are finite).
    yt = _C.where(central | (y <= 0), _EXP_M2, y)
    z = (yt.log() * -2.0).sqrt()
    x0 = z - z.log() / z
    w = z.reciprocal()
    x1 = _C.where(z < 8.0, w * _horner(w, _NDTRI_P1) / _horner(w, _NDTRI_Q1),
                  w * _horner(w, _NDTRI_P2) / _horner(w, _NDTRI_Q2))
    x_tail = x0 - x1
    out = _C.where(central, x_central, _C.where(upper, x_tail, -x_tail))
    out = _C.where(p == 0, -math.inf, _C.where(p == 1, math.inf, out))
    return _C.where((p < 0) | (p > 1), math.nan, out)


class _Ndtri(Function):
    @staticmethod
    def forward(ctx, p):
        result = _ndtri_forward(p)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * _SQRT_2PI * (result.square() * 0.5).exp()


# ----------------------------------------------------------------------------- log_ndtr

def _log_ndtr_forward(x):
    # Where ndtr underflows (x below -20 in float64, -8 where computed in float32), use
    # log ndtr(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 + sum_k (-1)^k (2k-1)!! / x^(2k)).
    double = x.dtype == _C.float64
    cut, terms = (-20.0, 10) if double else (-8.0, 8)
    tail = x < cut
    xt = _C.where(tail, x, cut)
    inv2 = (xt * xt).reciprocal()
    coeffs, c = [], 1.0
    for k in range(1, terms + 1):
        c *= -(2 * k - 1)
        coeffs.append(c)
    series = _horner(inv2, coeffs[::-1] + [0.0])
    far = -0.5 * xt * xt - (-xt).log() - _HALF_LOG_2PI + series.log1p()
    # log1p(-erfc(t)/2) keeps the right tail's tiny logs; log(erfc(-t)/2) the left tail's.
    t = x * _SQRT1_2
    right = (t.erfc() * -0.5).log1p()
    left = ((-t).erfc() * 0.5).log()
    return _C.where(tail, far, _C.where(x < -1.0, left, right))


class _LogNdtr(Function):
    @staticmethod
    def forward(ctx, x):
        result = _log_ndtr_forward(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad / _SQRT_2PI * (result + x.square() * 0.5).neg().exp()


_Ndtri._backward_name = "SpecialNdtriBackward0"
_LogNdtr._backward_name = "SpecialLogNdtrBackward0"


def ndtr(input, *, out=None):
    """The standard normal CDF: the area under the Gaussian density from -inf to x."""
    return _float_unary(_ndtr, "special_ndtr", input, out)


def ndtri(input, *, out=None):
    """The inverse of `ndtr`: the x with ndtr(x) = p (-inf at 0, inf at 1, NaN outside [0, 1])."""
    return _float_unary(_Ndtri.apply, "special_ndtri", input, out)


def log_ndtr(input, *, out=None):
    """log(ndtr(x)), accurate where ndtr(x) underflows or is close to 1."""
    return _float_unary(_LogNdtr.apply, "special_log_ndtr", input, out)
