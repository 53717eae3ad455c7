"""Distributions that PyTorch defines as transforms of simpler ones: HalfNormal, HalfCauchy
(|X| of a centred Normal / Cauchy), Weibull and Pareto (of an Exponential), InverseGamma
(1 / Gamma) and Kumaraswamy (of a Uniform), with their closed-form moments and entropies.

Sampling and log_prob go through TransformedDistribution, so rsample is reparameterised; the
half distributions override log_prob/cdf/icdf because |x| is not bijective.

    >>> import ferrotorch as torch
    >>> round(HalfNormal(torch.tensor(2.0)).mean.item(), 4)
    1.5958
"""
import math

import ferrotorch as torch

from . import constraints
from .gamma_family import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform, PowerTransform
from .transforms_more import AbsTransform
from .univariate import _EULER, Cauchy, Exponential, Normal, Uniform
from .utils import broadcast_all

__all__ = ["HalfNormal", "HalfCauchy", "Weibull", "Pareto", "InverseGamma", "Kumaraswamy"]

_LOG2 = math.log(2.0)


class _Half(TransformedDistribution):
    """|X| for a base distribution symmetric about 0 (shared by HalfNormal and HalfCauchy)."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        return TransformedDistribution.expand(self, batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return torch.zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + _LOG2
        return torch.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - _LOG2


class HalfNormal(_Half):
    """|X| for X ~ Normal(0, scale).

        >>> import ferrotorch as torch
        >>> round(HalfNormal(1.0).log_prob(torch.tensor(0.0)).item(), 4)
        -0.2258
    """

    def __init__(self, scale, validate_args=None):
        base_dist = Normal(0, scale, validate_args=False)
        TransformedDistribution.__init__(self, base_dist, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Half):
    """|X| for X ~ Cauchy(0, scale); its mean and variance are infinite."""

    def __init__(self, scale, validate_args=None):
        base_dist = Cauchy(0, scale, validate_args=False)
        TransformedDistribution.__init__(self, base_dist, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return torch.full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def variance(self):
        return torch.full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype, device=self.scale.device)


class Weibull(TransformedDistribution):
    """Weibull distribution: scale * E^(1/concentration) for E ~ Exponential(1).

        >>> import ferrotorch as torch
        >>> Weibull(torch.tensor(1.0), torch.tensor(1.0)).mean.item()
        1.0
    """
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(torch.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        batch_shape = torch.Size(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal), AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * torch.exp(torch.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        return self.scale.pow(2) * (torch.exp(torch.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - torch.exp(2 * torch.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        return (_EULER * (1 - self.concentration_reciprocal) + torch.log(self.scale * self.concentration_reciprocal)
                + 1)


class Pareto(TransformedDistribution):
    """Pareto (type I) distribution: scale * exp(E) for E ~ Exponential(alpha); support x >= scale.

        >>> import ferrotorch as torch
        >>> Pareto(torch.tensor(1.0), torch.tensor(3.0)).mean.item()
        1.5
    """
    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        batch_shape = torch.Size(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.alpha = self.alpha.expand(batch_shape)
        TransformedDistribution.__init__(new, Exponential(new.alpha, validate_args=False),
                                         [ExpTransform(), AffineTransform(loc=0, scale=new.scale)],
                                         validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        # Infinite for alpha <= 1: clamping alpha at 1 divides by zero there.
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class InverseGamma(TransformedDistribution):
    """1 / X for X ~ Gamma(concentration, rate).

        >>> import ferrotorch as torch
        >>> InverseGamma(torch.tensor(3.0), torch.tensor(4.0)).mean.item()
        2.0
    """
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = torch.tensor(-1.0, dtype=base_dist.rate.dtype, device=base_dist.rate.device)
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        c = self.concentration
        return torch.where(c > 1, self.rate / (c - 1), math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        c = self.concentration
        return torch.where(c > 2, self.rate.square() / ((c - 1).square() * (c - 2)), math.inf)

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + torch.lgamma(c) - (1 + c) * torch.digamma(c)


def _kumaraswamy_moment(a, b, n):
    """E[X^n] for Kumaraswamy(a, b): b * B(1 + n / a, b)."""
    arg = 1 + n / a
    return b * torch.exp(torch.lgamma(arg) + torch.lgamma(b) - torch.lgamma(arg + b))


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distribution on (0, 1): (1 - (1 - U)^(1/concentration0))^(1/concentration1)
    for U ~ Uniform(0, 1).

        >>> import ferrotorch as torch
        >>> round(Kumaraswamy(torch.tensor(1.0), torch.tensor(1.0)).mean.item(), 4)
        0.5
    """
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(torch.full_like(self.concentration0, 0), torch.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        # ((a - 1) / (a b - 1))^(1/a), defined (in (0, 1)) when a >= 1 and b >= 1.
        a, b = self.concentration1, self.concentration0
        log_mode = ((a - 1).log() - (a * b - 1).log()) / a
        return torch.where((a < 1) | (b < 1), math.nan, log_mode.exp())

    @property
    def variance(self):
        return (_kumaraswamy_moment(self.concentration1, self.concentration0, 2)
                - self.mean.pow(2))

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = torch.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * h0 - torch.log(self.concentration1) - torch.log(self.concentration0)
