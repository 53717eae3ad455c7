"""Random draws composed from ferrotorch's uniform and normal generators: `torch.poisson`, and
the gamma, Dirichlet and binomial samplers that torch.distributions builds on.

Every draw comes from `torch.rand`/`torch.randn` (Philox, the same stream on CPU and GPU), so
`torch.manual_seed` (or a `generator=`) makes them reproducible, and all the arithmetic is
vectorised tensor ops on the input's device. Rejection samplers loop until every element has
been accepted: each round draws fresh variates for the whole tensor and keeps the first accepted
value per element, reading one boolean back per round.

Methods (all exact in distribution, not approximations):
- gamma: Marsaglia & Tsang (2000) squeeze/rejection for alpha >= 1; alpha < 1 draws
  Gamma(alpha + 1) and multiplies by U^(1/alpha).
- Poisson: inversion (sequential search of the CDF) for rate < 10; Hörmann's PTRS transformed
  rejection (1993) for rate >= 10.
- binomial: inversion for n * min(p, 1 - p) < 10; Hörmann's BTRS transformed rejection otherwise
  (with the exact log-pmf in the acceptance test), using the symmetry p <-> 1 - p.

The reparameterised gradient of a gamma draw with respect to alpha is the implicit one,
dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha) with P the regularised lower incomplete gamma
function: its series is differentiated term by term for alpha <= 100; above, the Wilson-Hilferty
normal approximation of the quantile gives the derivative (relative error about 1e-3).

    >>> import ferrotorch as torch
    >>> _ = torch.manual_seed(0)
    >>> x = torch.poisson(torch.full((1000,), 3.0))
    >>> bool((x == x.round()).all()), 2.5 < x.mean().item() < 3.5
    (True, True)
"""
import math

from . import _C
from ._dtype_info import finfo as _finfo
from ._elementwise import _scalar_name
from ._gamma_functions import digamma as _digamma, lgamma as _lgamma
from .autograd.function import Function

__all__ = ["poisson"]

_GAMMA_SERIES_MAX_ALPHA = 100.0


def _wide(t):
    """`t` in float64 where the device has it (more accurate CDF sums), else unchanged."""
    try:
        return t.double()
    except TypeError:
        return t


def _any(mask):
    return bool(mask.any())


def _rand(shape, like, generator):
    return _C.rand(tuple(shape), dtype=like.dtype, device=like.device, generator=generator)


def _randn(shape, like, generator):
    return _C.randn(tuple(shape), dtype=like.dtype, device=like.device, generator=generator)


# ----------------------------------------------------------------------------- gamma

def _marsaglia_tsang(alpha, generator=None):
    """Gamma(alpha, 1) draws for alpha >= 1 (elementwise), by Marsaglia-Tsang rejection."""
    d = alpha - 1.0 / 3.0
    c = 1.0 / (9.0 * d).sqrt()
    result = _C.zeros_like(alpha)
    pending = _C.ones_like(alpha, dtype=_C.bool)
    while _any(pending):
        z = _randn(alpha.shape, alpha, generator)
        u = _rand(alpha.shape, alpha, generator)
        v = (1.0 + c * z) ** 3
        v_pos = _C.where(v > 0, v, 1.0)
        # The squeeze test accepts most draws without a log; the full test is exact.
        accept = (v > 0) & ((u < 1.0 - 0.0331 * z ** 4)
                            | (u.log() < 0.5 * z * z + d * (1.0 - v_pos + v_pos.log())))
        take = pending & accept
        result = _C.where(take, d * v_pos, result)
        pending = pending & ~accept
    return result


def _gamma_draw(alpha, generator=None):
    small = alpha < 1.0
    boosted = _C.where(small, alpha + 1.0, alpha)
    x = _marsaglia_tsang(boosted, generator)
    if _any(small):
        u = _rand(alpha.shape, alpha, generator).clamp(min=_finfo(alpha.dtype).tiny)
        x = _C.where(small, x * u.pow(1.0 / alpha), x)
    return x.clamp(min=_finfo(alpha.dtype).tiny)


def _gamma_alpha_grad(alpha, x):
    """dx/dalpha of a Gamma(alpha, 1) draw x held at its CDF value (implicit reparameterisation)."""
    a, xs = _wide(alpha), _wide(x)
    series = a <= _GAMMA_SERIES_MAX_ALPHA
    # Series: P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n r_n with r_n = prod_{k<=n} x / (a + k), so
    # dx/da = -(x / a) * sum_n r_n (log x - psi(a + n + 1)); psi is advanced by its recurrence.
    a_s = _C.where(series, a, 1.0)
    x_s = _C.where(series, xs, 1.0)
    log_x = x_s.log()
    psi = _digamma(a_s + 1.0)
    r = _C.ones_like(a_s)
    total = log_x - psi
    x_max = float(x_s.max()) if x_s.numel() else 0.0
    terms = int(x_max + 12.0 * math.sqrt(x_max) + 30.0)
    for n in range(1, terms):
        r = r * x_s / (a_s + n)
        psi = psi + 1.0 / (a_s + n)
        total = total + r * (log_x - psi)
    grad_series = -(x_s / a_s) * total
    # Wilson-Hilferty: x = a (1 - 1/(9a) + z / sqrt(9a))^3 with z fixed by x.
    a_w = _C.where(series, 100.0, a)
    x_w = _C.where(series, 100.0, xs)
    cube = (x_w / a_w).pow(1.0 / 3.0)
    z = (cube - 1.0 + 1.0 / (9.0 * a_w)) * (9.0 * a_w).sqrt()
    dcube = 1.0 / (9.0 * a_w * a_w) - z / (6.0 * a_w.pow(1.5))
    grad_wh = cube ** 3 + 3.0 * a_w * cube * cube * dcube
    return _C.where(series, grad_series, grad_wh).to(alpha.dtype)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        x = _gamma_draw(alpha.detach())
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * _gamma_alpha_grad(alpha.detach(), x)


_StandardGamma._backward_name = "StandardGammaBackward0"


def _standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape, differentiable in alpha (implicit gradient)."""
    if alpha.requires_grad:
        return _StandardGamma.apply(alpha)
    return _gamma_draw(alpha)


def _sample_dirichlet(concentration):
    """Dirichlet draws (normalised gamma draws over the last dimension), differentiable."""
    g = _standard_gamma(concentration)
    out = g / g.sum(-1, keepdim=True)
    tiny = _finfo(out.dtype).tiny
    return out.clamp(min=tiny, max=1.0 - _finfo(out.dtype).eps)


# ----------------------------------------------------------------------------- Poisson

def _poisson_inversion(rate, active, generator):
    """Poisson draws by CDF search where `active` (rates below 10), zero elsewhere."""
    lam = _wide(_C.where(active, rate, 0.0))
    u = _wide(_rand(rate.shape, rate, generator))
    u = _C.where(active, u, 0.0)
    p = (-lam).exp()
    cdf = p
    k = _C.zeros_like(lam)
    for j in range(400):  # P(X > 400 | rate < 10) is far below double precision
        below = u > cdf
        if j % 8 == 0 and not _any(below):
            break
        k = k + below.to(k.dtype)
        p = p * lam / (j + 1)
        cdf = cdf + p
    return k.to(rate.dtype)


def _poisson_ptrs(rate, active, generator):
    """Poisson draws by Hörmann's PTRS where `active` (rates >= 10), zero elsewhere.

    The acceptance test subtracts log-factorials of size k log k: float32 would leave errors of
    order one in it for rates in the millions, so it runs in float64 where the device has it."""
    lam = _wide(_C.where(active, rate, 10.0))
    slam = lam.sqrt()
    log_lam = lam.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    result = _C.zeros_like(lam)
    pending = active.clone()
    while _any(pending):
        u = _rand(lam.shape, lam, generator) - 0.5
        v = _rand(lam.shape, lam, generator)
        us = 0.5 - u.abs()
        k = ((2.0 * a / us + b) * u + lam + 0.43).floor()
        quick = (us >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((us < 0.013) & (v > us))
        k_ok = k.clamp(min=0.0)
        log_accept = (v * inv_alpha / (a / (us * us) + b)).log() <= -lam + k_ok * log_lam - _lgamma(k_ok + 1.0)
        accept = quick | (~reject & log_accept)
        result = _C.where(pending & accept, k, result)
        pending = pending & ~accept
    return result.to(rate.dtype)


def poisson(input, generator=None):
    """Draws from Poisson distributions with the rates in `input` (same shape and dtype).

    Inversion for rates below 10, Hörmann's PTRS rejection above; exact in distribution.

        >>> import ferrotorch as torch
        >>> torch.poisson(torch.zeros(3)).tolist()
        [0.0, 0.0, 0.0]
    """
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"poisson(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        device = "cpu" if input.device.type == "cpu" else "cuda"
        raise NotImplementedError(f"\"poisson_{device}\" not implemented for '{_scalar_name(input.dtype)}'")
    rate = input.detach()
    if rate.numel() == 0:
        return _C.zeros_like(rate)
    if _any(rate < 0) or _any(rate.isnan()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    small = rate < 10.0
    out = _C.zeros_like(rate)
    if _any(small):
        out = _C.where(small, _poisson_inversion(rate, small, generator), out)
    if _any(~small):
        out = _C.where(small, out, _poisson_ptrs(rate, ~small, generator))
    return out


# ----------------------------------------------------------------------------- binomial

def _binomial_inversion(n, p, active, generator):
    """Binomial(n, p) draws by CDF search where `active` (n * p < 10, p <= 1/2)."""
    n_w, p_w = _C.where(active, n, 0.0), _C.where(active, p, 0.0)
    u = _C.where(active, _rand(n.shape, n, generator), 0.0)
    ratio = p_w / (1.0 - p_w)
    pmf = (n_w * (-p_w).log1p()).exp()
    cdf = pmf
    k = _C.zeros_like(n_w)
    for j in range(400):
        below = (u > cdf) & (k < n_w)
        if j % 8 == 0 and not _any(below):
            break
        k = k + below.to(k.dtype)
        pmf = pmf * ratio * (n_w - j) / (j + 1)
        cdf = cdf + pmf
    return k


def _binomial_btrs(n, p, active, generator):
    """Binomial(n, p) draws by Hörmann's BTRS where `active` (n * p >= 10, p <= 1/2), in the
    (wide) dtype of `n` and `p`."""
    n = _C.where(active, n, 100.0)
    p = _C.where(active, p, 0.25)
    q = 1.0 - p
    spq = (n * p * q).sqrt()
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = (p / q).log()
    m = ((n + 1.0) * p).floor()
    h = _lgamma(m + 1.0) + _lgamma(n - m + 1.0)
    result = _C.zeros_like(n)
    pending = active.clone()
    while _any(pending):
        u = _rand(n.shape, n, generator) - 0.5
        v = _rand(n.shape, n, generator)
        us = 0.5 - u.abs()
        k = ((2.0 * a / us + b) * u + c).floor()
        in_range = (k >= 0) & (k <= n)
        quick = (us >= 0.07) & (v <= v_r)
        k_ok = k.clamp(min=0.0)
        k_ok = _C.where(k_ok > n, n, k_ok)
        log_v = (v * alpha / (a / (us * us) + b)).log()
        exact = log_v <= h - _lgamma(k_ok + 1.0) - _lgamma(n - k_ok + 1.0) + (k_ok - m) * lpq
        accept = in_range & (quick | exact)
        result = _C.where(pending & accept, k, result)
        pending = pending & ~accept
    return result


def _binomial(total_count, probs, generator=None):
    """Binomial draws for broadcast float tensors `total_count` and `probs` (exact).

    BTRS compares differences of log-factorials of n: in float32 their rounding error (about
    n log n * 6e-8) would distort the distribution for n in the millions, so the draws are made
    in float64 where the device has it and rounded back."""
    dtype = probs.dtype
    n, p = _wide(total_count.detach()), _wide(probs.detach())
    flip = p > 0.5
    p_low = _C.where(flip, 1.0 - p, p)
    small = n * p_low < 10.0
    out = _C.zeros_like(p_low)
    if _any(small):
        out = _C.where(small, _binomial_inversion(n, p_low, small, generator), out)
    if _any(~small):
        out = _C.where(small, out, _binomial_btrs(n, p_low, ~small, generator))
    return _C.where(flip, n - out, out).to(dtype)
