"""KL(p || q) between distributions of different families (the pairs PyTorch registers).

Each finite one is -H(p) - E_p[log q(x)], with E_p[log q] written from the moments of p that
log q needs (E x, E x^2, E log x, E exp(-x / s), ...). Where q's support does not cover p's (an
unbounded p against a bounded or positive q, Poisson against Bernoulli) the divergence is +inf,
with p's batch shape, as in PyTorch.

    >>> import ferrotorch as torch
    >>> from ferrotorch.distributions import Exponential, Normal, kl_divergence
    >>> round(kl_divergence(Exponential(torch.tensor(1.0)), Normal(0.0, 1.0)).item(), 4)
    0.9189
"""
import math

import ferrotorch as torch

from .discrete import Bernoulli, Binomial, Poisson
from .gamma_family import Beta, Gamma
from .kl import register_kl
from .univariate import _EULER, Exponential, Gumbel, Laplace, Normal, Uniform

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _inf_like(t):
    return torch.full_like(t, math.inf)


def _to_normal(p, mean, var, q):
    """-H(p) - E_p[log N(x; q.loc, q.scale)] from p's mean and variance."""
    return (-p.entropy() + q.scale.log() + _HALF_LOG_2PI
            + (var + (mean - q.loc).pow(2)) / (2 * q.scale.pow(2)))


def _to_gamma(p, mean, mean_log, q):
    """-H(p) - E_p[log Gamma(x; q.concentration, q.rate)] from E x and E log x."""
    a, b = q.concentration, q.rate
    return -p.entropy() - (a * b.log() - torch.lgamma(a) + (a - 1) * mean_log - b * mean)


def _to_gumbel(p, mean, mean_exp, q):
    """-H(p) - E_p[log Gumbel(x; m, s)] from E x and E exp(-x / s):
    log q(x) = -log s - z - exp(-z), z = (x - m) / s."""
    m, s = q.loc, q.scale
    return -p.entropy() + s.log() + (mean - m) / s + (m / s).exp() * mean_exp


# ----------------------------------------------------------------------------- p = Normal

@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    # E|x - m| for x ~ N(mu, sigma): sigma sqrt(2/pi) exp(-d^2 / 2 sigma^2) + d erf(d / (sigma sqrt 2)).
    d = p.loc - q.loc
    abs_mean = (p.scale * math.sqrt(2 / math.pi) * (-(d / p.scale).pow(2) / 2).exp()
                + d * torch.erf(d / (p.scale * math.sqrt(2))))
    return -p.entropy() + (2 * q.scale).log() + abs_mean / q.scale


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    mean_exp = (-p.loc / q.scale + (p.scale / q.scale).pow(2) / 2).exp()
    return _to_gumbel(p, p.loc, mean_exp, q)


# ----------------------------------------------------------------------------- p = Exponential

@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    return _to_normal(p, p.rate.reciprocal(), p.rate.pow(-2), q)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    return _to_gamma(p, p.rate.reciprocal(), -_EULER - p.rate.log(), q)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    # E exp(-x / s) = rate / (rate + 1 / s).
    mean_exp = p.rate / (p.rate + q.scale.reciprocal())
    return _to_gumbel(p, p.rate.reciprocal(), mean_exp, q)


# ----------------------------------------------------------------------------- p = Gamma

@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return _to_normal(p, p.concentration / p.rate, p.concentration / p.rate.pow(2), q)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    # E exp(-x / s) = (rate / (rate + 1 / s)) ** concentration.
    mean_exp = (p.rate / (p.rate + q.scale.reciprocal())).pow(p.concentration)
    return _to_gumbel(p, p.concentration / p.rate, mean_exp, q)


# ----------------------------------------------------------------------------- p = Beta

def _beta_mean(p):
    return p.concentration1 / (p.concentration1 + p.concentration0)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * _beta_mean(p)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    mean_log = torch.digamma(p.concentration1) - torch.digamma(p.concentration1 + p.concentration0)
    return _to_gamma(p, _beta_mean(p), mean_log, q)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return _to_normal(p, _beta_mean(p), p.variance, q)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return torch.where((q.low > 0) | (q.high < 1), math.inf, result)


# ----------------------------------------------------------------------------- p = Laplace, Gumbel

@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return _to_normal(p, p.loc, 2 * p.scale.pow(2), q)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    return _to_normal(p, p.loc + p.scale * _EULER, (math.pi * p.scale).pow(2) / 6, q)


# ----------------------------------------------------------------------------- p = Uniform

def _uniform_mean_log(a, b):
    """E log x and E log(1 - x) for x ~ U(a, b), 0 <= a < b <= 1 (0 log 0 = 0)."""
    w = b - a
    mean_log = (torch.xlogy(b, b) - torch.xlogy(a, a)) / w - 1
    mean_log1m = (torch.xlogy(1 - a, 1 - a) - torch.xlogy(1 - b, 1 - b)) / w - 1
    return mean_log, mean_log1m


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    return _to_normal(p, (p.low + p.high) / 2, (p.high - p.low).pow(2) / 12, q)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    s = q.scale
    mean_exp = s * ((-p.low / s).exp() - (-p.high / s).exp()) / (p.high - p.low)
    return _to_gumbel(p, (p.low + p.high) / 2, mean_exp, q)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -p.entropy() - q.rate.log() + q.rate * (p.low + p.high) / 2
    return torch.where(p.low < 0, math.inf, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    mean_log, _ = _uniform_mean_log(p.low, p.high)
    result = _to_gamma(p, (p.low + p.high) / 2, mean_log, q)
    return torch.where(p.low < 0, math.inf, result)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    mean_log, mean_log1m = _uniform_mean_log(p.low, p.high)
    a, b = q.concentration1, q.concentration0
    log_beta = torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)
    result = -p.entropy() - ((a - 1) * mean_log + (b - 1) * mean_log1m - log_beta)
    return torch.where((p.low < 0) | (p.high > 1), math.inf, result)


# ----------------------------------------------------------------------------- discrete

@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    # log q(x) = x log(rate) - rate for x in {0, 1}.
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


# ----------------------------------------------------------------------------- infinite pairs

def _register_infinite(types_p, types_q, param):
    for type_p in types_p:
        for type_q in types_q:
            register_kl(type_p, type_q)(lambda p, q: _inf_like(getattr(p, param)))


# An unbounded (or positive) p against a q with a smaller support, and a Poisson (unbounded
# counts) against bounded counts.
_register_infinite((Normal, Gumbel, Laplace), (Beta, Exponential, Gamma, Uniform), "mean")
_register_infinite((Exponential, Gamma), (Beta, Uniform), "mean")
_register_infinite((Poisson,), (Bernoulli, Binomial), "rate")
