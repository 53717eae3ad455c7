"""More of `torch.special`'s Bessel family: `bessel_j0`, `bessel_j1`, `bessel_y0`, `bessel_y1`,
`modified_bessel_k0`, `modified_bessel_k1`, `scaled_modified_bessel_k0`,
`scaled_modified_bessel_k1` and `airy_ai`.

PyTorch's kernels (Cephes' rational and Chebyshev approximations, the same coefficients) written
as tensor ops: every branch is computed for the whole tensor and `where` keeps each element's own,
so they run on every device. j0, j1, y0, y1, k0 and k1 are differentiable with PyTorch's formulas
(j0' = -j1, j1' = j0 - j1 / x, y0' = -y1, y1' = y0 - y1 / x, k0' = -k1, k1' = -k0 - k1 / x);
airy_ai and the scaled k's are not, as in PyTorch. Integer inputs give the default float dtype;
half precisions are refused, as PyTorch's kernels are not built for them.

    >>> import ferrotorch as torch
    >>> round(torch.special.bessel_j0(torch.tensor([1.0], dtype=torch.float64)).item(), 10)
    0.7651976866
    >>> torch.special.modified_bessel_k0(torch.tensor([0.0, -1.0])).tolist()
    [inf, nan]
"""
import math

from . import _C
from ._bessel_functions import _chbevl, _i0e_forward, _i1e_forward
from ._math_composites import _finish, _float_input, _horner, _not_implemented, _refuse_complex_kernel
from .autograd.function import Function

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
]

_INF = math.inf
_NAN = math.nan
_SQRT_2_OVER_PI = 0.797884560802865355879892119868763737
_TWO_OVER_PI = 0.636619772367581343075535053490057448
_INV_SQRT_PI = 5.64189583547756286948e-01
# The squares of j0's first two zeros and j1's (the small-argument rational forms factor them out).
_J0_ZEROS_SQ = (5.78318596294678452118e+00, 3.04712623436620863991e+01)
_J1_ZEROS_SQ = (1.46819706421238932572e+01, 4.92184563216946036703e+01)
# Airy Ai(0) and -Ai'(0): the Maclaurin series is Ai(0) f(x) - (-Ai'(0)) g(x).
_AI_0, _AI_PRIME_0 = 0.355028053887817239260, 0.258819403792806798405
_AI_SERIES_TERMS = 12  # |x| < 2.09: the 12th term is below 1e-25 of the sum

# PyTorch's coefficient tables (ATen/native/Math.h), highest power first.
_AI_AN = (3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
          1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
          1.40264691163389668864e+01, 9.99999999999999995305e-01)
_AI_AD = (5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
          1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
          1.40959135607834029598e+01, 1.00000000000000000470e+00)
_AI_AFN = (-1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
           -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
           -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08)
_AI_AFD = (1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01,
           9.18707402907259625840e+00, 1.47529146771666414581e+00, 1.15687173795188044134e-01,
           4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07)
_AI_AGN = (1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
           9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
           5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
           8.11789239554389293311e-08, 3.41551784765923618484e-10)
_AI_AGD = (9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01,
           5.47686069422975497931e+00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
           4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
           4.91834570062930015649e-09)
_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)
_J0_QQ = (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)
_J0_RQ = (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)
_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)
_J1_QQ = (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)
_J1_RQ = (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)
_Y0_YP = (1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
          -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
          4.42733268572569800351e+16, -1.84950800436986690637e+16)
_Y0_YQ = (1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
          8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
          2.50596256172653059228e+17)
_Y1_YP = (1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
          -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17)
_Y1_YQ = (5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
          1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
          6.87141087355300489866e+16, 3.97270608116560655612e+18)
_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
         -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
         6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
         -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
         1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
         -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
         2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
         -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
         2.44030308206595545468e+00)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (-5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
         1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
         -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
         3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
         -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
         2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
         -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
         1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
         2.72062619048444266945e+00)


# ----------------------------------------------------------------------------- forward kernels

def _asymptotic(ax, pp, pq, qp, qq, phase, sine_first, w):
    """The large-argument form sqrt(2 / (pi x)) (P cos(x - phase) - 5 / x Q sin(x - phase)) (or with
    sine and cosine swapped for the second kind), P and Q rational in w = 25 / x^2."""
    p = _horner(w, pp) / _horner(w, pq)
    q = 5.0 / ax * (_horner(w, qp) / _horner(w, qq))
    s = ax - phase
    value = p * s.sin() + q * s.cos() if sine_first else p * s.cos() - q * s.sin()
    return value * _SQRT_2_OVER_PI / ax.sqrt()


def _far(x, limit):
    # The argument of the large-x branch where it is used (a harmless limit elsewhere, so that
    # 25 / x^2 and the square root stay finite in the unused lanes).
    return _C.where(x > limit, x, limit)


def _j0(x):
    ax = x.abs()
    z = ax * ax
    near = (z - _J0_ZEROS_SQ[0]) * (z - _J0_ZEROS_SQ[1]) * _horner(z, _J0_RP) / _horner(z, _J0_RQ)
    near = _C.where(ax < 1e-5, 1.0 - z / 4.0, near)
    big = _far(ax, 5.0)
    far = _asymptotic(big, _J0_PP, _J0_PQ, _J0_QP, _J0_QQ, math.pi / 4, False, 25.0 / (big * big))
    return _C.where(ax <= 5.0, near, _C.where(ax.isnan(), ax, far))


def _j1(x):
    ax = x.abs()
    z = x * x
    # Odd in x: the small form carries x's sign itself (so -0 gives -0, as PyTorch does).
    near = _horner(z, _J1_RP) / _horner(z, _J1_RQ) * x * (z - _J1_ZEROS_SQ[0]) * (z - _J1_ZEROS_SQ[1])
    big = _far(ax, 5.0)
    w = 5.0 / big
    far = _asymptotic(big, _J1_PP, _J1_PQ, _J1_QP, _J1_QQ, 3 * math.pi / 4, False, w * w)
    return _C.where(ax <= 5.0, near, _C.where(x < 0, -far, _C.where(x.isnan(), x, far)))


def _second_kind_edges(x, value):
    # -inf at 0, NaN for negative x (x <= 5 is where PyTorch's kernel checks them).
    return _C.where(x == 0, -_INF, _C.where(x < 0, _NAN, value))


def _y0(x):
    small = _C.where(x > 0, x, 1.0).clamp(max=5.0)
    near = _horner(small * small, _Y0_YP) / _horner(small * small, _Y0_YQ) + _TWO_OVER_PI * small.log() * _j0(small)
    big = _far(x, 5.0)
    far = _asymptotic(big, _J0_PP, _J0_PQ, _J0_QP, _J0_QQ, math.pi / 4, True, 25.0 / (big * big))
    return _C.where(x <= 5.0, _second_kind_edges(x, near), _C.where(x.isnan(), x, far))


def _y1(x):
    small = _C.where(x > 0, x, 1.0).clamp(max=5.0)
    z = small * small
    near = small * (_horner(z, _Y1_YP) / _horner(z, _Y1_YQ)) + _TWO_OVER_PI * (
        _j1(small) * small.log() - small.reciprocal())
    big = _far(x, 5.0)
    w = 5.0 / big
    far = _asymptotic(big, _J1_PP, _J1_PQ, _J1_QP, _J1_QQ, 3 * math.pi / 4, True, w * w)
    return _C.where(x <= 5.0, _second_kind_edges(x, near), _C.where(x.isnan(), x, far))


def _k_parts(x, a, b, times_i):
    """(near, far, small): K's two expansions, the small-argument one (x <= 2) as
    chbevl(x^2 - 2, a) [/ x] - log(x / 2) I(x) and the large one as exp(x) sqrt(x) K(x)."""
    small = _C.where(x > 0, x, 1.0).clamp(max=2.0)
    series = _chbevl(small * small - 2.0, a)
    if times_i == 0:
        near = series - (0.5 * small).log() * (_i0e_forward(small) * small.exp())
    else:
        near = (0.5 * small).log() * (_i1e_forward(small) * small.exp()) + series / small
    big = _far(x, 2.0)
    far = _chbevl(8.0 / big - 2.0, b)
    return near, far, big


def _k_edges(x, value):
    # inf at 0, NaN for negative x and NaN.
    return _C.where(x == 0, _INF, _C.where((x < 0) | x.isnan(), _NAN, value))


def _k(x, a, b, order, scaled):
    near, far, big = _k_parts(x, a, b, order)
    if scaled:
        near = near * _C.where(x <= 2.0, x, 0.0).exp()
        far = far / big.sqrt()
    else:
        # exp(-x) / sqrt(x) underflows to 0 at +inf rather than meeting inf / inf.
        far = far * (-big).exp() / big.sqrt()
    return _k_edges(x, _C.where(x <= 2.0, near, far))


def _airy_ai(x):
    # x < -2.09: the oscillating asymptotic form in zeta = 2/3 (-x)^(3/2).
    mx = _C.where(x < -2.09, -x, 2.09)
    zeta = 2.0 * mx * mx.sqrt() / 3.0
    z = zeta.reciprocal()
    z2 = z * z
    t = zeta + 0.25 * math.pi
    negative = _INV_SQRT_PI / mx.sqrt().sqrt() * (
        t.sin() * (1.0 + z2 * _horner(z2, _AI_AFN) / _horner(z2, _AI_AFD))
        - t.cos() * (z * _horner(z2, _AI_AGN) / _horner(z2, _AI_AGD)))
    # x >= 2.09: the decaying asymptotic form (exp(zeta) overflows to inf, and the value to 0,
    # where PyTorch's kernel gives 0).
    px = _C.where(x >= 2.09, x, 2.09)
    zeta = 2.0 * px * px.sqrt() / 3.0
    w = zeta.reciprocal()
    positive = _INV_SQRT_PI * (_horner(w, _AI_AN) / _horner(w, _AI_AD)) / (2.0 * px.sqrt().sqrt() * zeta.exp())
    # Between: the Maclaurin series Ai(0) f(x) - (-Ai'(0)) g(x).
    sx = _C.where((x >= -2.09) & (x < 2.09), x, 0.0)
    cube = sx * sx * sx
    m, n = _C.ones_like(sx), sx
    f, g = m, n
    for j in range(1, _AI_SERIES_TERMS + 1):
        m = m * cube / float((3 * j - 1) * (3 * j))
        n = n * cube / float((3 * j) * (3 * j + 1))
        f, g = f + m, g + n
    series = _AI_0 * f - _AI_PRIME_0 * g
    out = _C.where(x < -2.09, negative, _C.where(x >= 2.09, positive, _C.where(x.isnan(), x, series)))
    return _C.where(x.isinf(), _NAN, _C.where(x > 103.892, 0.0, out))


# ----------------------------------------------------------------------------- autograd

class _BesselJ0(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _j0(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -_BesselJ1.apply(x)


class _BesselJ1(Function):
    @staticmethod
    def forward(ctx, x):
        result = _j1(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        # j1'(0) = 1/2, where j0 - j1 / x meets 0 / 0.
        safe = _C.where(x == 0, 1.0, x)
        return grad * _C.where(x == 0, 0.5, _BesselJ0.apply(x) - result / safe)


class _BesselY0(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _y0(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -_BesselY1.apply(x)


class _BesselY1(Function):
    @staticmethod
    def forward(ctx, x):
        result = _y1(x)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        # +inf at 0 (both -0 and +0), where y0 - y1 / x meets -inf + inf.
        safe = _C.where(x == 0, 1.0, x)
        return grad * _C.where(x == 0, _INF, _BesselY0.apply(x) - result / safe)


class _ModifiedBesselK0(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _k(x, _K0_A, _K0_B, 0, False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -_ModifiedBesselK1.apply(x)


class _ModifiedBesselK1(Function):
    @staticmethod
    def forward(ctx, x):
        result = _k(x, _K1_A, _K1_B, 1, False)
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * -(_ModifiedBesselK0.apply(x) + result * x.reciprocal())


_BesselJ0._backward_name = "SpecialBesselJ0Backward0"
_BesselJ1._backward_name = "SpecialBesselJ1Backward0"
_BesselY0._backward_name = "SpecialBesselY0Backward0"
_BesselY1._backward_name = "SpecialBesselY1Backward0"
_ModifiedBesselK0._backward_name = "SpecialModifiedBesselK0Backward0"
_ModifiedBesselK1._backward_name = "SpecialModifiedBesselK1Backward0"


# ----------------------------------------------------------------------------- public functions

def _unary(fn, kernel, input, out, arg="input", differentiable=True):
    """`fn` of `input` in its float dtype (the default dtype for integers and bools); float16 and
    bfloat16 are refused as PyTorch's kernels are not built for them."""
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"special_{kernel}(): argument '{arg}' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype in (_C.float16, _C.bfloat16):
        raise _not_implemented(kernel, input)
    _refuse_complex_kernel(kernel, input)
    x, dtype = _float_input(input if differentiable else input.detach())
    return _finish(fn(x).to(dtype), out)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind of order 0, elementwise.

        >>> import ferrotorch as torch
        >>> torch.special.bessel_j0(torch.tensor([0.0])).tolist()
        [1.0]
    """
    return _unary(_BesselJ0.apply, "bessel_j0", input, out)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind of order 1, elementwise (odd in x)."""
    return _unary(_BesselJ1.apply, "bessel_j1", input, out)


def bessel_y0(input, *, out=None):
    """The Bessel function of the second kind of order 0: -inf at 0, NaN for x < 0.

        >>> import ferrotorch as torch
        >>> torch.special.bessel_y0(torch.tensor([0.0, -1.0])).tolist()
        [-inf, nan]
    """
    return _unary(_BesselY0.apply, "bessel_y0", input, out)


def bessel_y1(input, *, out=None):
    """The Bessel function of the second kind of order 1: -inf at 0, NaN for x < 0."""
    return _unary(_BesselY1.apply, "bessel_y1", input, out)


def modified_bessel_k0(input, *, out=None):
    """The modified Bessel function of the second kind of order 0: inf at 0, NaN for x < 0."""
    return _unary(_ModifiedBesselK0.apply, "modified_bessel_k0", input, out)


def modified_bessel_k1(input, *, out=None):
    """The modified Bessel function of the second kind of order 1: inf at 0, NaN for x < 0."""
    return _unary(_ModifiedBesselK1.apply, "modified_bessel_k1", input, out)


def scaled_modified_bessel_k0(x, *, out=None):
    """exp(x) * modified_bessel_k0(x), without its underflow for large x. Not differentiable, as
    in PyTorch.

        >>> import ferrotorch as torch
        >>> torch.special.scaled_modified_bessel_k0(torch.tensor([float("inf")])).tolist()
        [0.0]
    """
    return _unary(lambda t: _k(t, _K0_A, _K0_B, 0, True), "scaled_modified_bessel_k0", x, out, "x", False)


def scaled_modified_bessel_k1(x, *, out=None):
    """exp(x) * modified_bessel_k1(x), without its underflow for large x. Not differentiable."""
    return _unary(lambda t: _k(t, _K1_A, _K1_B, 1, True), "scaled_modified_bessel_k1", x, out, "x", False)


def airy_ai(x, *, out=None):
    """The Airy function Ai, elementwise: NaN at +-inf, 0 beyond x = 103.892 (PyTorch's cut-off).
    Not differentiable, as in PyTorch.

        >>> import ferrotorch as torch
        >>> round(torch.special.airy_ai(torch.tensor([0.0], dtype=torch.float64)).item(), 12)
        0.355028053888
    """
    return _unary(_airy_ai, "airy_ai", x, out, "x", False)
