"""torch.distributions: parameterised probability distributions with sampling (reparameterised
where PyTorch has it), log_prob, cdf/icdf, entropy and moments; constraints; transforms; and
KL divergences. Composed from tensor ops, so autograd differentiates them and they run on the
parameters' device; sampling uses ferrotorch's generator (`torch.manual_seed`).

    >>> import ferrotorch as torch
    >>> from ferrotorch.distributions import Normal, kl_divergence
    >>> p = Normal(torch.tensor([0.0]), torch.tensor([1.0]))
    >>> p.sample((5,)).shape
    torch.Size([5, 1])
"""
from . import constraints, kl, transforms
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .gamma_family import Beta, Chi2, Dirichlet, Gamma, StudentT
from .independent import Independent
from .kl import kl_divergence, register_kl
from . import kl_cross  # registers the cross-family pairs
from .multivariate_normal import MultivariateNormal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import LogNormal, TransformedDistribution
from .transforms import (AffineTransform, ComposeTransform, ExpTransform, PowerTransform, SigmoidTransform,
                         TanhTransform, Transform, identity_transform)
from .univariate import Cauchy, Exponential, ExponentialFamily, Gumbel, Laplace, Normal, Uniform
from .transforms_more import (AbsTransform, CatTransform, CorrCholeskyTransform, CumulativeDistributionTransform,
                              IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform,
                              ReshapeTransform, SoftmaxTransform, SoftplusTransform, StackTransform,
                              StickBreakingTransform)
from .transformed_more import HalfCauchy, HalfNormal, InverseGamma, Kumaraswamy, Pareto, Weibull
from .univariate_extra import ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, VonMises
from .discrete_more import Multinomial, NegativeBinomial, OneHotCategoricalStraightThrough
from .multivariate_more import LogisticNormal, LowRankMultivariateNormal, MixtureSameFamily
from .constraint_registry import biject_to, transform_to
from .lkj import LKJCholesky
from .wishart import Wishart
from . import kl_more  # registers the KL pairs of the families above

__all__ = [
    "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ComposeTransform",
    "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Geometric", "Gumbel",
    "Gamma", "Independent", "Laplace", "LogNormal", "MultivariateNormal", "Normal", "OneHotCategorical",
    "Poisson", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform",
    "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "constraints",
    "identity_transform", "kl", "kl_cross", "kl_divergence", "register_kl", "transforms",
    "AbsTransform", "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
    "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform",
    "SoftmaxTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform",
    "HalfCauchy", "HalfNormal", "InverseGamma", "Kumaraswamy", "Pareto", "Weibull",
    "ContinuousBernoulli", "FisherSnedecor", "GeneralizedPareto", "VonMises",
    "Multinomial", "NegativeBinomial", "OneHotCategoricalStraightThrough",
    "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "biject_to", "transform_to", "kl_more", "LKJCholesky", "Wishart",
]

# PyTorch's per-distribution module paths (`torch.distributions.normal.Normal`), importable as attributes.
from . import (bernoulli, beta, binomial, categorical, cauchy, chi2, continuous_bernoulli, dirichlet,  # noqa: E402,F401
               exp_family, exponential, fishersnedecor, gamma, generalized_pareto, geometric, gumbel, half_cauchy,
               half_normal, inverse_gamma, kumaraswamy, laplace, lkj_cholesky, log_normal, logistic_normal,
               lowrank_multivariate_normal, mixture_same_family, multinomial, negative_binomial, normal,
               one_hot_categorical, pareto, poisson, relaxed_bernoulli, relaxed_categorical, studentT, uniform,
               von_mises, weibull)
