"""`torch.signal.windows`: SciPy-style window functions (`scipy.signal.windows` names), written as
PyTorch writes them: a `linspace` in the requested dtype passed through elementwise ops. `sym=True`
(the default) gives a symmetric window (for filter design), `sym=False` a periodic one (for
spectral analysis). Only float32 and float64 are accepted, as in PyTorch.

    >>> import ferrotorch as torch
    >>> torch.signal.windows.bartlett(5).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    >>> torch.signal.windows.hann(4, sym=False).tolist()
    [0.0, 0.5, 1.0, 0.5]
"""
import math
from collections.abc import Iterable

from .. import _C
from .._bessel_functions import i0 as _i0
from .._memory_format import strided as _strided

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _checks(name, M, dtype, layout):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not _strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (_C.float32, _C.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _empty_or_ones(M, dtype, device, requires_grad):
    return (_C.empty if M == 0 else _C.ones)((M,), dtype=dtype, device=device, requires_grad=requires_grad)


def _linspace(start, end, M, dtype, device, requires_grad):
    return _C.linspace(start, end, M, dtype=dtype, device=device, requires_grad=requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=_strided, device=None,
                requires_grad=False):
    """The exponential (Poisson) window exp(-|k - center| / tau); `center` only for sym=False."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _empty_or_ones(0, dtype, device, requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = _linspace(-center * constant, (-center + (M - 1)) * constant, M, dtype, device, requires_grad)
    return (-k.abs()).exp()


def cosine(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The cosine (sine) window sin(pi (k + 1/2) / M)."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("cosine", M, dtype, layout)
    if M == 0:
        return _empty_or_ones(0, dtype, device, requires_grad)
    constant = math.pi / (M + 1 if not sym and M > 1 else M)
    return _linspace(0.5 * constant, (0.5 + (M - 1)) * constant, M, dtype, device, requires_grad).sin()


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The Gaussian window exp(-(k - (M - 1) / 2)^2 / (2 std^2))."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _empty_or_ones(0, dtype, device, requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = _linspace(start * constant, (start + (M - 1)) * constant, M, dtype, device, requires_grad)
    return (-(k * k)).exp()


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The Kaiser window I0(beta sqrt(1 - (2k / (M - 1) - 1)^2)) / I0(beta)."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return _empty_or_ones(M, dtype, device, requires_grad)
    beta_t = _C.tensor(float(beta), dtype=dtype, device=device)
    constant = 2.0 * beta / (M if not sym else M - 1)
    end = min(float(beta), -beta + (M - 1) * constant)
    k = _linspace(-float(beta), end, M, dtype, device, requires_grad)
    return _i0((beta_t * beta_t - k * k).sqrt()) / _i0(beta_t)


def general_cosine(M, *, a, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The generalized cosine window sum_i (-1)^i a_i cos(2 pi i k / (M - 1)).

        >>> import ferrotorch as torch
        >>> torch.signal.windows.general_cosine(3, a=[0.5, 0.5]).tolist()
        [0.0, 1.0, 0.0]
    """
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("general_cosine", M, dtype, layout)
    if M <= 1:
        return _empty_or_ones(M, dtype, device, requires_grad)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * math.pi / (M if not sym else M - 1)
    k = _linspace(0.0, (M - 1) * constant, M, dtype, device, requires_grad)
    a_i = _C.tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype, device=device,
                    requires_grad=requires_grad)
    i = _C.arange(a_i.shape[0], dtype=dtype, device=a_i.device)
    return (a_i.unsqueeze(-1) * (i.unsqueeze(-1) * k).cos()).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The generalized Hamming window alpha - (1 - alpha) cos(2 pi k / (M - 1))."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The Hamming window (general_hamming with alpha = 0.54)."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The Hann window (general_hamming with alpha = 0.5)."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The Blackman window (general_cosine with a = [0.42, 0.5, 0.08])."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The triangular Bartlett window 1 - |2k / (M - 1) - 1|."""
    dtype = _C.get_default_dtype() if dtype is None else dtype
    _checks("bartlett", M, dtype, layout)
    if M <= 1:
        return _empty_or_ones(M, dtype, device, requires_grad)
    constant = 2 / (M if not sym else M - 1)
    return 1 - _linspace(-1.0, -1 + (M - 1) * constant, M, dtype, device, requires_grad).abs()


def nuttall(M, *, sym=True, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype,
                          layout=layout, device=device, requires_grad=requires_grad)
