"""Modified Bessel functions of the first kind: `i0` (a torch function and Tensor method) and
`i0e`, `i1`, `i1e` (for `torch.special`).

Cephes' Chebyshev expansions of exp(-|x|) I(x) on [0, 8] and of exp(-|x|) sqrt(|x|) I(x) on
(8, inf), as PyTorch's kernels use them, evaluated with Clenshaw's recurrence in tensor ops, so
they run on every device. Gradients are PyTorch's formulas (i0' = i1, i1' = i0 - i1 / x, ...).

    >>> import ferrotorch as torch
    >>> round(torch.i0(torch.tensor([1.0], dtype=torch.float64)).item(), 10)
    1.2660658778
"""
from . import _C
from ._attach import tensor_method
from ._dtype_info import finfo
from ._math_composites import _float_unary, _inplace
from .autograd.function import Function

__all__ = ["i0"]

# exp(-x) I0(x) on [0, 8], in y = x / 2 - 2.
_I0E_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
          1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
          -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
          9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
          -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
          1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
          -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
          1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
          -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
          1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
# exp(-x) sqrt(x) I0(x) on (8, inf), in y = 32 / x - 2.
_I0E_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
          3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
          1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
          -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
          7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
          -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
          3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
          2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
          8.04490411014108831608E-1)
# exp(-x) I1(x) / x on [0, 8].
_I1E_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
          -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
          3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
          -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
          9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
          -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
          4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
          -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
          2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
          -1.76416518357834055153E-1, 2.52587186443633654823E-1)
# exp(-x) sqrt(x) I1(x) on (8, inf).
_I1E_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
          -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
          -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
          4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
          -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
          3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
          -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
          -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
          7.78576235018280120474E-1)


def _chbevl(y, coeffs):
    """Clenshaw's recurrence for a Chebyshev series (Cephes' chbevl)."""
    b2 = None
    b1 = coeffs[0]
    b0 = y * coeffs[0] + coeffs[1]
    for c in coeffs[2:]:
        b2, b1 = b1, b0
        b0 = y * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _scaled(x, small, large, times_x):
    """exp(-|x|) I(|x|) from the two expansions (`times_x`: the small one is of I(x) / x)."""
    ax = x.abs()
    small_range = ax <= 8.0
    near = _chbevl(ax * 0.5 - 2.0, small)
    if times_x:
        near = near * ax
    big = ax.clamp(min=8.0)  # keeps 32 / x finite where the other branch is used
    far = _chbevl(32.0 / big - 2.0, large) / big.sqrt()
    return _C.where(small_range, near, far)


def _i0e_forward(x):
    return _scaled(x, _I0E_A, _I0E_B, False)


def _i1e_forward(x):
    v = _scaled(x, _I1E_A, _I1E_B, True)
    return _C.where(x < 0, -v, v)


def _safe_reciprocal(x):
    # i1's and i1e's derivatives are 0.5 at 0, where the formula meets 0 * inf (PyTorch's rule).
    eps = finfo(x.dtype).eps
    tiny = x.abs() <= eps
    return tiny, _C.where(tiny, eps, x)


class _I0(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # exp(inf) * 0 would be NaN; I0(+-inf) = inf (as scipy gives).
        return _C.where(x.isinf(), float("inf"), _i0e_forward(x) * x.abs().exp())

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _I1.apply(x)


class _I0e(Function):
    @staticmethod
    def forward(ctx, x):
        result = _i0e_forward(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * (_I1e.apply(x) - x.sign() * result)


class _I1(Function):
    @staticmethod
    def forward(ctx, x):
        result = _C.where(x.isinf(), x, _i1e_forward(x) * x.abs().exp())
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        tiny, safe = _safe_reciprocal(x)
        d = _I0.apply(safe) - result / safe
        return grad * _C.where(tiny, 0.5, d)


class _I1e(Function):
    @staticmethod
    def forward(ctx, x):
        result = _i1e_forward(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        tiny, safe = _safe_reciprocal(x)
        d = _I0e.apply(safe) - result * (safe.sign() + safe.reciprocal())
        return grad * _C.where(tiny, 0.5, d)


_I0._backward_name = "I0Backward0"
_I0e._backward_name = "SpecialI0EBackward0"
_I1._backward_name = "SpecialI1Backward0"
_I1e._backward_name = "SpecialI1EBackward0"


def i0(input, *, out=None):
    """The zeroth-order modified Bessel function of the first kind, elementwise.

        >>> import ferrotorch as torch
        >>> [round(v, 4) for v in torch.i0(torch.tensor([0.0, 1.0, 2.0])).tolist()]
        [1.0, 1.2661, 2.2796]
    """
    return _float_unary(_I0.apply, "i0", input, out)


def i0e(input, *, out=None):
    """exp(-|x|) * i0(x), without the overflow of computing i0 first."""
    return _float_unary(_I0e.apply, "special_i0e", input, out)


def i1(input, *, out=None):
    """The first-order modified Bessel function of the first kind, elementwise."""
    return _float_unary(_I1.apply, "special_i1", input, out)


def i1e(input, *, out=None):
    """exp(-|x|) * i1(x), without the overflow of computing i1 first."""
    return _float_unary(_I1e.apply, "special_i1e", input, out)


tensor_method(lambda self: i0(self), "i0").__doc__ = "See :func:`ferrotorch.i0`."
tensor_method(_inplace(i0, "i0_"), "i0_")
