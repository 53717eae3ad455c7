"""torch.distributions.<submodule> paths (`from torch.distributions.normal import Normal`): every
PyTorch submodule imports, lists the same `__all__` as PyTorch, and re-exports the very classes of
`ferrotorch.distributions`; a few densities and samplers reached through those paths are checked
against scipy.stats."""
import importlib

import numpy as np
import pytest
from scipy import stats

import ferrotorch as torch
from ferrotorch import distributions as D
from conftest import assert_close, from_numpy

# PyTorch's submodule -> its __all__ (as listed by torch 2.x).
SUBMODULES = {
    "bernoulli": ["Bernoulli"], "beta": ["Beta"], "binomial": ["Binomial"], "categorical": ["Categorical"],
    "cauchy": ["Cauchy"], "chi2": ["Chi2"], "continuous_bernoulli": ["ContinuousBernoulli"],
    "dirichlet": ["Dirichlet"], "exp_family": ["ExponentialFamily"], "exponential": ["Exponential"],
    "fishersnedecor": ["FisherSnedecor"], "gamma": ["Gamma"], "generalized_pareto": ["GeneralizedPareto"],
    "geometric": ["Geometric"], "gumbel": ["Gumbel"], "half_cauchy": ["HalfCauchy"],
    "half_normal": ["HalfNormal"], "inverse_gamma": ["InverseGamma"], "kumaraswamy": ["Kumaraswamy"],
    "laplace": ["Laplace"], "lkj_cholesky": ["LKJCholesky"], "log_normal": ["LogNormal"],
    "logistic_normal": ["LogisticNormal"], "lowrank_multivariate_normal": ["LowRankMultivariateNormal"],
    "mixture_same_family": ["MixtureSameFamily"], "multinomial": ["Multinomial"],
    "negative_binomial": ["NegativeBinomial"], "normal": ["Normal"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"], "pareto": ["Pareto"],
    "poisson": ["Poisson"], "relaxed_bernoulli": ["LogitRelaxedBernoulli", "RelaxedBernoulli"],
    "relaxed_categorical": ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"], "studentT": ["StudentT"],
    "uniform": ["Uniform"], "von_mises": ["VonMises"], "weibull": ["Weibull"],
}
# Files that already carried PyTorch's names (they may define more, e.g. LogNormal beside
# TransformedDistribution): PyTorch's names must be among theirs.
SHARED_FILES = {
    "distribution": ["Distribution"], "independent": ["Independent"], "kl": ["register_kl", "kl_divergence"],
    "multivariate_normal": ["MultivariateNormal"], "transformed_distribution": ["TransformedDistribution"],
    "wishart": ["Wishart"],
}
# PyTorch keeps these two out of the package namespace too; their home is the `relaxed` file.
NOT_IN_PACKAGE = {"LogitRelaxedBernoulli", "ExpRelaxedCategorical"}


@pytest.mark.parametrize("name", sorted(SUBMODULES) + sorted(SHARED_FILES))
def test_submodule_reexports_package_classes(name):
    module = importlib.import_module(f"ferrotorch.distributions.{name}")
    if name in SUBMODULES:
        assert sorted(module.__all__) == sorted(SUBMODULES[name])
    else:
        assert set(SHARED_FILES[name]) <= set(module.__all__)
    for attr in module.__all__:
        home = D.relaxed if attr in NOT_IN_PACKAGE else D
        assert getattr(module, attr) is getattr(home, attr), f"{name}.{attr}"


def test_unexported_relaxed_classes_stay_out_of_package_namespace():
    for attr in NOT_IN_PACKAGE:
        assert not hasattr(D, attr)


def test_from_import_statements():
    from ferrotorch.distributions.categorical import Categorical
    from ferrotorch.distributions.normal import Normal
    from ferrotorch.distributions.studentT import StudentT
    assert (Normal, Categorical, StudentT) == (D.Normal, D.Categorical, D.StudentT)


def _t(a):
    return from_numpy(np.asarray(a, dtype=np.float64))


def test_log_prob_through_submodule_paths_matches_scipy():
    from ferrotorch.distributions.gamma import Gamma
    from ferrotorch.distributions.normal import Normal
    from ferrotorch.distributions.poisson import Poisson
    from ferrotorch.distributions.studentT import StudentT
    x = np.array([0.2, 1.3, 3.5])
    assert_close(Normal(_t(0.5), _t(2.0)).log_prob(_t(x)), stats.norm(0.5, 2.0).logpdf(x))
    assert_close(Gamma(_t(2.5), _t(1.5)).log_prob(_t(x)), stats.gamma(2.5, scale=1 / 1.5).logpdf(x))
    assert_close(StudentT(_t(3.0), _t(0.1), _t(1.2)).log_prob(_t(x)), stats.t(3.0, 0.1, 1.2).logpdf(x))
    k = np.array([0.0, 2.0, 7.0])
    assert_close(Poisson(_t(3.2)).log_prob(_t(k)), stats.poisson(3.2).logpmf(k))


def test_samples_through_submodule_paths_follow_scipy_distribution():
    from ferrotorch.distributions.categorical import Categorical
    from ferrotorch.distributions.normal import Normal
    torch.manual_seed(0)
    draws = Normal(_t(1.5), _t(0.7)).sample((4000,)).numpy()
    assert draws.shape == (4000,)
    assert stats.kstest(draws, stats.norm(1.5, 0.7).cdf).pvalue > 1e-3
    probs = np.array([0.1, 0.6, 0.3])
    picks = Categorical(probs=_t(probs)).sample((6000,)).numpy()
    counts = np.bincount(picks.astype(np.int64), minlength=3)
    assert stats.chisquare(counts, probs * counts.sum()).pvalue > 1e-3
