"""KL divergences for the families added in transformed_more, univariate_extra and
multivariate_more: the closed forms PyTorch registers (HalfNormal, Pareto, ContinuousBernoulli,
low-rank Gaussians) and the pairs whose divergence is infinite because q's support misses part
of p's (e.g. KL(Normal || Pareto)). Importing the module registers them.

    >>> import ferrotorch as torch
    >>> from ferrotorch.distributions import HalfNormal, kl_divergence
    >>> kl_divergence(HalfNormal(1.0), HalfNormal(1.0)).item()
    0.0
"""
import math

import ferrotorch as torch

from .gamma_family import Beta, Gamma
from .kl import register_kl
from .multivariate_more import LowRankMultivariateNormal, _lowrank_logdet, _lowrank_mahalanobis
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .transformed_more import HalfNormal, Pareto
from .univariate import Exponential, Gumbel, Laplace, Normal, Uniform
from .univariate_extra import ContinuousBernoulli

__all__ = []


def _trace_xxt(m):
    """trace(M M^T) for a batch of matrices: the sum of squares over the last two dims."""
    return m.pow(2).flatten(-2).sum(-1)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    # p puts mass below q's lower bound: infinite.
    return torch.where(p.scale < q.scale, math.inf, result)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + torch.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - torch.log1p(-q.probs)
    return t1 + t2 + t3


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_cb(p, q):
    return -p.entropy() - p.mean * q.logits - torch.log1p(-q.probs) - q._cont_bern_log_norm()


def _infinite(param):
    return torch.full_like(param, math.inf)


# Pairs where q's support misses part of p's: KL is +inf everywhere on the batch.
_INFINITE_PAIRS = [
    (Beta, Pareto, "concentration1"), (ContinuousBernoulli, Pareto, "probs"), (Exponential, Pareto, "rate"),
    (Gamma, Pareto, "concentration"), (Gumbel, Pareto, "loc"), (Laplace, Pareto, "loc"),
    (Normal, Pareto, "loc"), (Exponential, ContinuousBernoulli, "rate"),
    (Gamma, ContinuousBernoulli, "concentration"), (Gumbel, ContinuousBernoulli, "loc"),
    (Laplace, ContinuousBernoulli, "loc"), (Normal, ContinuousBernoulli, "loc"),
    (Pareto, ContinuousBernoulli, "scale"), (Pareto, Beta, "scale"),
]


def _register_infinite(type_p, type_q, attr):
    @register_kl(type_p, type_q)
    def _kl_infinite(p, q):
        return _infinite(getattr(p, attr))
    return _kl_infinite


for _p, _q, _attr in _INFINITE_PAIRS:
    _register_infinite(_p, _q, _attr)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    # Finite only when [low, high) lies above q.scale; E_p[log x] in closed form.
    width = p.high - p.low
    mean_log_x = (p.high * p.high.log() - p.low * p.low.log() - width) / width
    result = -width.log() - q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * mean_log_x
    return torch.where(p.low < q.scale, math.inf, result)


# KL(p || q) = -H(p) - E_p[log q(X)] where E_p[log q] needs only p's mean (and variance).
@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    mean_log_x = p.scale.log() + p.alpha.reciprocal()
    result = (-p.entropy() - q.concentration * q.rate.log() + torch.lgamma(q.concentration)
              - (q.concentration - 1) * mean_log_x + q.rate * p.mean)
    return torch.where(p.alpha <= 1, math.inf, result)


def _expected_normal_nll(mean, variance, q):
    """-E[log q(X)] for q Normal and X with the given mean and variance."""
    var_q = q.scale.pow(2)
    return 0.5 * (2 * math.pi * var_q).log() + (variance + (mean - q.loc).pow(2)) / (2 * var_q)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    result = -p.entropy() + _expected_normal_nll(p.mean, p.variance, q)
    return torch.where(p.alpha <= 2, math.inf, result)


@register_kl(Pareto, Uniform)
def _kl_pareto_uniform(p, q):
    # Pareto's support is unbounded above; a Uniform's is not.
    return torch.full_like(p.scale + q.low, math.inf)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p, q):
    return -p.entropy() + _expected_normal_nll(p.mean, p.variance, q)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return torch.where((q.low > 0) | (q.high < 1), math.inf, result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p, q):
    mean_x = (p.low + p.high) / 2
    result = (-(p.high - p.low).log() - mean_x * q.logits - torch.log1p(-q.probs) - q._cont_bern_log_norm())
    return torch.where((p.low < 0) | (p.high > 1), math.inf, result)


def _check_event_shapes(p, q, what):
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with different event shapes cannot be computed")


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_event_shapes(p, q, "Low Rank Multivariate Normals")
    pW, pD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    qW, qD = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    term1 = _lowrank_logdet(qW, qD, q._capacitance_tril) - _lowrank_logdet(pW, pD, p._capacitance_tril)
    term3 = _lowrank_mahalanobis(qW, qD, q.loc - p.loc, q._capacitance_tril)
    # trace(Sigma_q^-1 Sigma_p) by the Woodbury identity, term by term.
    A = torch.linalg.solve_triangular(q._capacitance_tril, qW.mT / qD.unsqueeze(-2), upper=False)
    term21 = (pD / qD).sum(-1)
    term22 = _trace_xxt(pW * qD.rsqrt().unsqueeze(-1))
    term23 = _trace_xxt(A * pD.sqrt().unsqueeze(-2))
    term24 = _trace_xxt(torch.matmul(A, pW))
    return 0.5 * (term1 + term21 + term22 - term23 - term24 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p, q):
    _check_event_shapes(p, q, "(Low Rank) Multivariate Normals")
    qW, qD = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    pL = p._unbroadcasted_scale_tril
    term1 = _lowrank_logdet(qW, qD, q._capacitance_tril) - 2 * pL.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    term3 = _lowrank_mahalanobis(qW, qD, q.loc - p.loc, q._capacitance_tril)
    A = torch.linalg.solve_triangular(q._capacitance_tril, qW.mT / qD.unsqueeze(-2), upper=False)
    n = p.event_shape[0]
    batch = tuple(torch.broadcast_shapes(tuple(qW.shape[:-2]), tuple(pL.shape[:-2])))
    q_D = qD.expand(batch + (n,))
    pL = pL.expand(batch + (n, n))
    term21 = _trace_xxt(pL * q_D.rsqrt().unsqueeze(-1))
    term22 = _trace_xxt(torch.matmul(A, pL))
    return 0.5 * (term1 + term21 - term22 + term3 - n)


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p, q):
    _check_event_shapes(p, q, "(Low Rank) Multivariate Normals")
    pW, pD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    qL = q._unbroadcasted_scale_tril
    term1 = 2 * qL.diagonal(dim1=-2, dim2=-1).log().sum(-1) - _lowrank_logdet(pW, pD, p._capacitance_tril)
    term3 = _batch_mahalanobis(qL, q.loc - p.loc)
    n = p.event_shape[0]
    m = pW.shape[-1]
    batch = tuple(torch.broadcast_shapes(tuple(qL.shape[:-2]), tuple(pW.shape[:-2])))
    qL = qL.expand(batch + (n, n))
    term21 = _trace_xxt(torch.linalg.solve_triangular(qL, pW.expand(batch + (n, m)), upper=False))
    term22 = _trace_xxt(torch.linalg.solve_triangular(qL, torch.diag_embed(pD.sqrt()).expand(batch + (n, n)),
                                                      upper=False))
    return 0.5 * (term1 + term21 + term22 + term3 - n)
