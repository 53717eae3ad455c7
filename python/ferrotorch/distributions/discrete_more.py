"""More discrete distributions: Multinomial (counts over K categories), NegativeBinomial
(failures before `total_count` successes, sampled as a gamma-Poisson mixture) and
OneHotCategoricalStraightThrough (one-hot samples with the straight-through gradient).

    >>> import ferrotorch as torch
    >>> d = Multinomial(10, torch.tensor([1.0, 1.0, 2.0]))
    >>> d.mean.tolist()
    [2.5, 2.5, 5.0]
"""
import math
import numbers

import ferrotorch as torch
from ferrotorch.nn import functional as F

from . import constraints
from .discrete import Binomial, Categorical, OneHotCategorical, _BinaryParams, _WrapsCategorical
from .distribution import Distribution
from .gamma_family import Gamma
from .utils import broadcast_all, lazy_property

__all__ = ["Multinomial", "NegativeBinomial", "OneHotCategoricalStraightThrough"]


class Multinomial(_WrapsCategorical, Distribution):
    """Counts of `total_count` draws from a Categorical(probs / logits); events are vectors of
    length K. `total_count` must be one int for the whole batch (as in PyTorch); it may be left
    at its default 1 when only log_prob is needed.

        >>> import ferrotorch as torch
        >>> d = Multinomial(4, probs=torch.tensor([0.5, 0.5]))
        >>> round(d.log_prob(torch.tensor([2.0, 2.0])).exp().item(), 4)
        0.375
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, numbers.Number):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = torch.Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs, validate_args=False)
        return self._init_expanded(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=torch.Size()):
        sample_shape = torch.Size(sample_shape)
        with torch.no_grad():
            # total_count category indices per event, moved to the last dim, then counted.
            samples = self._categorical.sample(torch.Size((self.total_count,)) + sample_shape)
            order = list(range(1, samples.dim())) + [0]
            samples = samples.permute(*order)
            shape = tuple(self._extended_shape(sample_shape))
            counts = torch.zeros(shape, dtype=samples.dtype, device=samples.device)
            counts = counts.scatter_add(-1, samples, torch.ones_like(samples))
            return counts.to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = torch.lgamma(value.sum(-1) + 1)
        log_factorial_xs = torch.lgamma(value + 1).sum(-1)
        # 0 * log(0) counts as 0: a category that cannot occur and did not.
        logits = torch.where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def entropy(self):
        n = torch.tensor(float(self.total_count), dtype=self.probs.dtype, device=self.probs.device)
        support = self._binomial.enumerate_support()
        binomial_probs = torch.exp(self._binomial.log_prob(support))
        weights = torch.lgamma(support + 1)
        return (n * self._categorical.entropy() - torch.lgamma(n + 1)
                + (binomial_probs * weights).sum([0, -1]))


class NegativeBinomial(_BinaryParams, Distribution):
    """Number of successes (each with probability `probs`) before `total_count` failures, as in
    PyTorch: mean total_count * probs / (1 - probs). total_count may be real (> 0).

        >>> import ferrotorch as torch
        >>> NegativeBinomial(torch.tensor(4.0), probs=torch.tensor(0.5)).mean.item()
        4.0
    """
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _, (total,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def _set_probs_or_logits(self, probs, logits, total_count):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        total, param = broadcast_all(total_count, given)
        setattr(self, name, param)
        self._param = param
        return None, (total,)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = torch.Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        self._expand_probs_or_logits(new, batch_shape)
        return self._init_expanded(new, batch_shape)

    @property
    def mean(self):
        return self.total_count * torch.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / torch.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=torch.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=torch.Size()):
        with torch.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return torch.poisson(rate)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        log_normalization = (-torch.lgamma(self.total_count + value) + torch.lgamma(1.0 + value)
                             + torch.lgamma(self.total_count))
        # total_count = value = 0 is a point mass at 0 (the lgamma terms are infinite there).
        log_normalization = torch.where(self.total_count + value == 0.0, 0.0, log_normalization)
        return log_unnormalized - log_normalization


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose rsample returns the one-hot sample in the forward pass and passes
    gradients through as if it were `probs` (Bengio et al., 2013).

        >>> import ferrotorch as torch
        >>> d = OneHotCategoricalStraightThrough(torch.tensor([0.0, 1.0]))
        >>> d.rsample().tolist()
        [0.0, 1.0]
    """
    has_rsample = True

    def rsample(self, sample_shape=torch.Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
