"""torch.distributions: densities, CDFs, moments and entropies against scipy.stats (float64,
broadcast batch shapes, both devices); validation errors; KL divergences against closed forms,
scipy and Monte Carlo."""
import math

import numpy as np
import pytest
from scipy import stats

import ferrotorch as torch
from ferrotorch import distributions as D
from conftest import assert_close, from_numpy

LOC = np.array([[-1.0], [0.5]])          # (2, 1): broadcasts against SCALE's (3,)
SCALE = np.array([0.5, 1.0, 2.5])
POS_A = np.array([[0.4], [2.5]])
POS_B = np.array([0.7, 1.0, 3.0])
POS_AB = POS_A * POS_B                   # (2, 3)


def _t(a, device):
    return from_numpy(np.asarray(a, dtype=np.float64)).to(device)


# name -> (ferrotorch factory(device), scipy frozen distribution, sample points of shape (2, 3))
def _cases():
    x = np.array([[-2.0, 0.3, 1.7], [0.1, 2.2, -0.4]])
    pos = np.array([[0.2, 1.3, 3.5], [0.05, 0.9, 2.0]])
    unit = np.array([[0.1, 0.45, 0.9], [0.3, 0.6, 0.99]])
    return {
        "Normal": (lambda d: D.Normal(_t(LOC, d), _t(SCALE, d)), stats.norm(LOC, SCALE), x),
        "Laplace": (lambda d: D.Laplace(_t(LOC, d), _t(SCALE, d)), stats.laplace(LOC, SCALE), x),
        "Cauchy": (lambda d: D.Cauchy(_t(LOC, d), _t(SCALE, d)), stats.cauchy(LOC, SCALE), x),
        "Gumbel": (lambda d: D.Gumbel(_t(LOC, d), _t(SCALE, d)), stats.gumbel_r(LOC, SCALE), x),
        "Uniform": (lambda d: D.Uniform(_t(LOC - 3, d), _t(SCALE + 1, d)),
                    stats.uniform(LOC - 3, SCALE + 1 - (LOC - 3)), np.minimum(x, 1.2)),
        "Exponential": (lambda d: D.Exponential(_t(POS_AB, d)), stats.expon(scale=1 / POS_AB), pos),
        "LogNormal": (lambda d: D.LogNormal(_t(LOC, d), _t(SCALE, d)),
                      stats.lognorm(SCALE, scale=np.exp(LOC)), pos),
        "Gamma": (lambda d: D.Gamma(_t(POS_A, d), _t(POS_B, d)), stats.gamma(POS_A, scale=1 / POS_B), pos),
        "Chi2": (lambda d: D.Chi2(_t(POS_AB * 2, d)), stats.chi2(POS_AB * 2), pos),
        "Beta": (lambda d: D.Beta(_t(POS_A, d), _t(POS_B, d)), stats.beta(POS_A, POS_B), unit),
        "StudentT": (lambda d: D.StudentT(_t(POS_B + 2, d), _t(LOC, d), _t(SCALE, d)),
                     stats.t(POS_B + 2, LOC, SCALE), x),
    }


CASES = _cases()
HAS_CDF = {"Normal", "Laplace", "Cauchy", "Gumbel", "Uniform", "Exponential", "LogNormal"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_continuous_against_scipy(name, device):
    make, ref, x = CASES[name]
    d = make(device)
    assert tuple(d.batch_shape) == (2, 3) and tuple(d.event_shape) == ()
    # Transposed (non-contiguous) value of the right shape.
    value = _t(np.ascontiguousarray(x.T), device).T
    assert_close(d.log_prob(value).cpu(), ref.logpdf(x), rtol=1e-9, atol=1e-10)
    assert_close(d.entropy().cpu(), np.broadcast_to(ref.entropy(), (2, 3)), rtol=1e-9, atol=1e-10)
    mean, var = ref.stats("mv")
    if name == "Cauchy":  # scipy says nan for the variance; PyTorch (and ferrotorch) say inf
        var = np.full((2, 3), np.inf)
    assert_close(d.mean.cpu(), np.broadcast_to(mean, (2, 3)), rtol=1e-10, atol=1e-12)
    assert_close(d.variance.cpu(), np.broadcast_to(var, (2, 3)), rtol=1e-10, atol=1e-12)
    assert_close(d.stddev.cpu(), np.sqrt(np.broadcast_to(var, (2, 3))), rtol=1e-10, atol=1e-12)
    if name in HAS_CDF:
        assert_close(d.cdf(value).cpu(), ref.cdf(x), rtol=1e-9, atol=1e-12)
        q = np.array([[0.05, 0.5, 0.7], [0.2, 0.9, 0.99]])
        assert_close(d.icdf(_t(q, device)).cpu(), ref.ppf(q), rtol=1e-8, atol=1e-10)
    assert abs(d.perplexity().cpu().numpy() - np.exp(d.entropy().cpu().numpy())).max() < 1e-12


def test_modes(device):
    assert_close(D.Gamma(_t([0.5, 3.0], device), _t([2.0, 2.0], device)).mode.cpu(), [0.0, 1.0])
    assert_close(D.Beta(_t([2.0, 3.0], device), _t([4.0, 3.0], device)).mode.cpu(), [0.25, 0.5])
    assert_close(D.LogNormal(_t([0.5], device), _t([1.0], device)).mode.cpu(), np.exp([0.5 - 1.0]))
    assert_close(D.Dirichlet(_t([[2.0, 3.0, 1.0], [0.5, 0.2, 0.3]], device)).mode.cpu(),
                 [[1 / 3, 2 / 3, 0.0], [1.0, 0.0, 0.0]])
    m = D.Bernoulli(_t([0.2, 0.5, 0.7], device)).mode.cpu().numpy()
    assert m[0] == 0 and np.isnan(m[1]) and m[2] == 1
    assert_close(D.Binomial(10, _t([0.33, 0.97], device)).mode.cpu(), [3.0, 10.0])
    assert_close(D.Poisson(_t([2.5, 0.3], device)).mode.cpu(), [2.0, 0.0])


def test_student_t_moments_edge_cases():
    d = D.StudentT(torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64))
    mean, var = d.mean.numpy(), d.variance.numpy()
    assert np.isnan(mean[0]) and mean[1] == 0 and mean[2] == 0
    assert np.isnan(var[0]) and np.isinf(var[1]) and var[2] == pytest.approx(3.0)


def test_dirichlet_against_scipy(device):
    conc = np.array([[0.5, 2.0, 3.0], [1.5, 1.0, 4.0]])
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    d = D.Dirichlet(_t(conc, device))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
    for i in range(2):
        ref = stats.dirichlet(conc[i])
        assert d.log_prob(_t(x, device))[i].item() == pytest.approx(ref.logpdf(x[i]), rel=1e-10)
        assert d.entropy()[i].item() == pytest.approx(ref.entropy(), rel=1e-10)
        assert_close(d.mean[i].cpu(), ref.mean(), rtol=1e-12)
        assert_close(d.variance[i].cpu(), ref.var(), rtol=1e-12)


def _pmf_case(name, device):
    p = np.array([[0.2], [0.7]])
    r = np.array([[0.5, 3.0, 12.0], [0.0, 1.0, 2.0]])
    k = np.array([[0.0, 1.0, 5.0], [2.0, 0.0, 9.0]])
    if name == "Bernoulli":
        kb = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
        return D.Bernoulli(_t(np.broadcast_to(p, (2, 3)), device)), stats.bernoulli(np.broadcast_to(p, (2, 3))), kb
    if name == "BernoulliLogits":
        lg = np.array([[-1.5, 0.0, 2.0], [0.3, -0.2, 4.0]])
        kb = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
        return D.Bernoulli(logits=_t(lg, device)), stats.bernoulli(1 / (1 + np.exp(-lg))), kb
    if name == "Geometric":
        return D.Geometric(_t(np.broadcast_to(p, (2, 3)), device)), stats.geom(np.broadcast_to(p, (2, 3)), loc=-1), k
    if name == "Poisson":
        return D.Poisson(_t(r, device)), stats.poisson(r), k
    if name == "Binomial":
        n = np.array([5.0, 10.0, 20.0])
        return D.Binomial(_t(n, device), _t(p, device)), stats.binom(n, p), k
    if name == "BinomialLogits":
        n = np.array([5.0, 10.0, 20.0])
        return (D.Binomial(_t(n, device), logits=_t(np.log(p / (1 - p)), device)), stats.binom(n, p), k)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["Bernoulli", "BernoulliLogits", "Geometric", "Poisson", "Binomial",
                                  "BinomialLogits"])
def test_discrete_against_scipy(name, device):
    d, ref, k = _pmf_case(name, device)
    assert tuple(d.batch_shape) == (2, 3)
    value = _t(np.ascontiguousarray(k.T), device).T
    assert_close(d.log_prob(value).cpu(), ref.logpmf(k), rtol=1e-9, atol=1e-10)
    mean, var = ref.stats("mv")
    assert_close(d.mean.cpu(), np.broadcast_to(mean, (2, 3)), rtol=1e-9, atol=1e-12)
    assert_close(d.variance.cpu(), np.broadcast_to(var, (2, 3)), rtol=1e-9, atol=1e-12)
    if name != "Poisson":  # PyTorch's Poisson has no entropy either
        if name.startswith("Binomial"):
            with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
                d.entropy()
        else:
            assert_close(d.entropy().cpu(), ref.entropy(), rtol=1e-8, atol=1e-10)


def test_binomial_homogeneous_entropy_and_support(device):
    d = D.Binomial(6, _t([0.1, 0.5, 0.8], device))
    assert_close(d.entropy().cpu(), stats.binom(6, [0.1, 0.5, 0.8]).entropy(), rtol=1e-9)
    s = d.enumerate_support()
    assert tuple(s.shape) == (7, 3)
    assert_close(s[:, 1].cpu(), np.arange(7.0))
    assert tuple(d.enumerate_support(expand=False).shape) == (7, 1)


def test_categorical(device):
    probs = np.array([[0.1, 0.2, 0.7], [2.0, 1.0, 1.0]])  # second row unnormalised
    norm = probs / probs.sum(-1, keepdims=True)
    for d in (D.Categorical(_t(probs, device)), D.Categorical(logits=_t(np.log(probs), device))):
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == ()
        assert_close(d.probs.cpu(), norm, rtol=1e-12)
        value = torch.tensor([[2, 0], [1, 1]], device=device)
        assert_close(d.log_prob(value).cpu(), np.log([[norm[0, 2], norm[1, 0]], [norm[0, 1], norm[1, 1]]]),
                     rtol=1e-12)
        assert_close(d.entropy().cpu(), -(norm * np.log(norm)).sum(-1), rtol=1e-12)
        assert_close(d.mode.cpu(), np.array([2, 0]))
        assert np.isnan(d.mean.cpu().numpy()).all() and tuple(d.mean.shape) == (2,)
        sup = d.enumerate_support()
        assert tuple(sup.shape) == (3, 2) and sup.dtype == torch.int64
        assert_close(sup[:, 0].cpu(), np.arange(3))
    oh = D.OneHotCategorical(_t(probs, device))
    assert tuple(oh.event_shape) == (3,)
    onehots = torch.eye(3, dtype=torch.float64, device=device)[[2, 0]]
    assert_close(oh.log_prob(onehots).cpu(), np.log([norm[0, 2], norm[1, 0]]), rtol=1e-12)
    assert_close(oh.variance.cpu(), norm * (1 - norm), rtol=1e-12)
    assert tuple(oh.enumerate_support().shape) == (3, 2, 3)


def test_multivariate_normal_against_scipy(device):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2, 3, 3))
    cov = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(3)
    loc = np.array([0.3, -1.0, 2.0])  # broadcast against the (2,) batch of covariances
    x = rng.standard_normal((4, 2, 3))
    L = np.linalg.cholesky(cov)
    dists = [D.MultivariateNormal(_t(loc, device), covariance_matrix=_t(cov, device)),
             D.MultivariateNormal(_t(loc, device), scale_tril=_t(L, device)),
             D.MultivariateNormal(_t(loc, device), precision_matrix=_t(np.linalg.inv(cov), device))]
    for d in dists:
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
        lp = d.log_prob(_t(x, device)).cpu().numpy()
        for b in range(2):
            ref = stats.multivariate_normal(loc, cov[b])
            np.testing.assert_allclose(lp[:, b], ref.logpdf(x[:, b]), rtol=1e-9)
            assert d.entropy()[b].item() == pytest.approx(ref.entropy(), rel=1e-10)
        assert_close(d.covariance_matrix.cpu(), cov, rtol=1e-9, atol=1e-12)
        assert_close(d.precision_matrix.cpu(), np.linalg.inv(cov), rtol=1e-8, atol=1e-10)
        assert_close(d.scale_tril.cpu(), L, rtol=1e-9, atol=1e-12)
        assert_close(d.variance.cpu(), np.diagonal(cov, axis1=1, axis2=2), rtol=1e-9)
        assert_close(d.mean.cpu(), np.broadcast_to(loc, (2, 3)))


def test_independent_and_transformed(device):
    loc, scale = np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([[1.0, 0.5], [2.0, 3.0]])
    base = D.Normal(_t(loc, device), _t(scale, device))
    ind = D.Independent(base, 1)
    assert tuple(ind.batch_shape) == (2,) and tuple(ind.event_shape) == (2,)
    x = np.array([[0.3, 0.2], [1.0, 4.0]])
    assert_close(ind.log_prob(_t(x, device)).cpu(), stats.norm(loc, scale).logpdf(x).sum(-1), rtol=1e-12)
    assert_close(ind.entropy().cpu(), stats.norm(loc, scale).entropy().sum(-1), rtol=1e-12)
    assert repr(ind).startswith("Independent(Normal(loc: torch.Size([2, 2])")
    with pytest.raises(ValueError, match=r"Expected reinterpreted_batch_ndims <= len\(base_distribution"):
        D.Independent(base, 3)
    # y = 2 + 3 * exp(x), x ~ Normal: a shifted, scaled lognormal.
    td = D.TransformedDistribution(base, [D.ExpTransform(), D.AffineTransform(2.0, 3.0)])
    y = np.array([[2.5, 4.0], [9.0, 2.1]])
    ref = stats.lognorm(scale, loc=2.0, scale=3.0 * np.exp(loc))
    assert_close(td.log_prob(_t(y, device)).cpu(), ref.logpdf(y), rtol=1e-10)
    assert_close(td.cdf(_t(y, device)).cpu(), ref.cdf(y), rtol=1e-10)
    assert_close(td.icdf(_t([[0.1, 0.5], [0.9, 0.3]], device)).cpu(), ref.ppf([[0.1, 0.5], [0.9, 0.3]]),
                 rtol=1e-9)
    # A decreasing transform flips the CDF.
    neg = D.TransformedDistribution(base, D.AffineTransform(0.0, -1.0))
    assert_close(neg.cdf(_t(x, device)).cpu(), stats.norm(-loc, scale).cdf(x), rtol=1e-10)
    # sigmoid(Normal) is the logit-normal; tanh(Normal) by change of variables.
    sig = D.TransformedDistribution(base, D.SigmoidTransform())
    u = np.array([[0.3, 0.6], [0.9, 0.05]])
    logit = np.log(u / (1 - u))
    assert_close(sig.log_prob(_t(u, device)).cpu(),
                 stats.norm(loc, scale).logpdf(logit) - np.log(u * (1 - u)), rtol=1e-10)
    th = D.TransformedDistribution(base, D.TanhTransform())
    v = np.array([[0.3, -0.6], [0.9, 0.05]])
    assert_close(th.log_prob(_t(v, device)).cpu(),
                 stats.norm(loc, scale).logpdf(np.arctanh(v)) - np.log1p(-v ** 2), rtol=1e-9)


def test_expand(device):
    d = D.Normal(_t([0.0, 1.0], device), _t([1.0, 2.0], device)).expand((3, 2))
    assert tuple(d.batch_shape) == (3, 2) and tuple(d.sample((4,)).shape) == (4, 3, 2)
    assert_close(d.log_prob(_t([0.5, 0.5], device)).cpu(),
                 np.broadcast_to(stats.norm([0, 1], [1, 2]).logpdf(0.5), (3, 2)), rtol=1e-12)
    for dist in [D.Gamma(_t([1.0, 2.0], device), 1.0), D.Bernoulli(_t([0.2, 0.4], device)),
                 D.Beta(_t([1.0, 2.0], device), 2.0), D.StudentT(_t([3.0, 4.0], device)),
                 D.Binomial(4, _t([0.2, 0.3], device)), D.LogNormal(_t([0.0, 1.0], device), 1.0),
                 D.Dirichlet(_t([[1.0, 2.0], [3.0, 4.0]], device))]:
        e = dist.expand((5, 2))
        assert tuple(e.batch_shape) == (5, 2), dist
        assert tuple(e.sample().shape) == (5, 2) + tuple(dist.event_shape), dist
    cat = D.Categorical(_t([[0.3, 0.7]], device)).expand((4,))
    assert tuple(cat.batch_shape) == (4,) and tuple(cat.sample((2,)).shape) == (2, 4)


# ----------------------------------------------------------------------------- validation

def test_parameter_validation_messages():
    with pytest.raises(ValueError, match=r"^Expected parameter loc \(Tensor of shape \(2,\)\) of distribution "
                       r"Normal\(loc: torch\.Size\(\[2\]\), scale: torch\.Size\(\[2\]\)\) to satisfy the constraint "
                       r"Real\(\), but found invalid values:"):
        D.Normal(torch.tensor([0.0, math.nan]), torch.ones(2))
    with pytest.raises(ValueError, match=r"Expected parameter scale .* GreaterThan\(lower_bound=0\.0\)"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"Expected parameter probs .* Interval\(lower_bound=0\.0, upper_bound=1\.0\)"):
        D.Bernoulli(torch.tensor([1.5]))
    with pytest.raises(ValueError, match=r"Expected parameter probs .* Simplex\(\)"):
        D.Categorical(torch.tensor([-0.5, 1.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli(probs=torch.tensor(0.5), logits=torch.tensor(0.0))
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match=r"Expected parameter covariance_matrix .* PositiveDefinite\(\)"):
        D.MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.MultivariateNormal(torch.zeros(2))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* IndependentConstraint\(GreaterThan"):
        D.Dirichlet(torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"Expected parameter total_count .* IntegerGreaterThan\(lower_bound=0\)"):
        D.Binomial(torch.tensor([2.5]), torch.tensor([0.5]))
    # validate_args=False skips the checks.
    D.Normal(0.0, -1.0, validate_args=False)


def test_sample_validation_messages():
    with pytest.raises(ValueError, match=r"^Expected value argument \(Tensor of shape \(2,\)\) to be within the "
                       r"support \(GreaterThanEq\(lower_bound=0\.0\)\) of the distribution Exponential\(rate: 2\.0\), "
                       r"but found invalid values:"):
        D.Exponential(2.0).log_prob(torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="to be within the support"):
        D.Poisson(torch.tensor([1.0])).log_prob(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="to be within the support"):
        D.Beta(2.0, 2.0).log_prob(torch.tensor(1.5))
    with pytest.raises(ValueError, match="to be within the support"):
        D.Binomial(3, torch.tensor([0.5])).log_prob(torch.tensor([4.0]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(1.0)
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape\\+event_shape"):
        D.Normal(torch.zeros(3), torch.ones(3)).log_prob(torch.zeros(2))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        D.Dirichlet(torch.ones(3)).log_prob(torch.ones(2) / 2)
    # Without validation an out-of-support value just gets its formula's value.
    assert D.Exponential(2.0, validate_args=False).log_prob(torch.tensor(-1.0)).item() == pytest.approx(
        math.log(2.0) + 2.0)


def test_default_validate_args():
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(2)


def test_repr_and_properties():
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Bernoulli(torch.tensor([0.2, 0.3]))) == "Bernoulli(probs: torch.Size([2]))"
    assert repr(D.Bernoulli(logits=torch.tensor([0.2, 0.3]))) == "Bernoulli(logits: torch.Size([2]))"
    assert repr(D.constraints.interval(0.0, 1.0)) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    assert D.Normal.has_rsample and D.Gamma.has_rsample and D.Beta.has_rsample and D.Dirichlet.has_rsample
    assert not D.Bernoulli.has_rsample and not D.Poisson.has_rsample
    assert D.Bernoulli.has_enumerate_support and D.Categorical.has_enumerate_support
    assert D.Normal(0.0, 1.0).batch_shape == torch.Size()
    assert D.Normal(0.0, 1.0).support is D.constraints.real
    assert D.Normal.arg_constraints["scale"] is D.constraints.positive
    assert isinstance(D.Uniform(0.0, 2.0).support, type(D.constraints.interval(0, 1)))
    with pytest.raises(NotImplementedError):
        D.Poisson(1.0).entropy()


def test_constraints_check():
    c = D.constraints
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert c.positive.check(x).tolist() == [False, False, True, True, True]
    assert c.nonnegative.check(x).tolist() == [False, True, True, True, True]
    assert c.unit_interval.check(x).tolist() == [False, True, True, True, False]
    assert c.boolean.check(x).tolist() == [False, True, False, True, False]
    assert c.nonnegative_integer.check(x).tolist() == [False, True, False, True, True]
    assert c.integer_interval(0, 1).check(x).tolist() == [False, True, False, True, False]
    assert c.greater_than(0.5).check(x).tolist() == [False, False, False, True, True]
    assert c.interval(-1.0, 0.5).check(x).tolist() == [True, True, True, False, False]
    assert c.real.check(torch.tensor([math.nan, math.inf])).tolist() == [False, True]
    assert c.simplex.check(torch.tensor([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])).tolist() == [True, False, False]
    L = torch.tensor([[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]])
    assert c.lower_cholesky.check(L).tolist() == [True, False, False]
    P = torch.tensor([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]])
    assert c.positive_definite.check(P).tolist() == [True, False]
    ind = c.independent(c.positive, 1)
    assert ind.event_dim == 1 and ind.check(torch.tensor([[1.0, 2.0], [1.0, -2.0]])).tolist() == [True, False]
    assert c.one_hot.check(torch.tensor([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        c.dependent.check(x)


# ----------------------------------------------------------------------------- KL

def _kl_pairs(device):
    t = lambda a: _t(a, device)  # noqa: E731
    a, b = np.array([0.5, 1.5, 3.0]), np.array([2.0, 0.7, 1.2])
    return {
        "Normal": (D.Normal(t(a - 1), t(b)), D.Normal(t(b), t(a))),
        "Laplace": (D.Laplace(t(a), t(b)), D.Laplace(t(b), t(a))),
        "Exponential": (D.Exponential(t(a)), D.Exponential(t(b))),
        "Gamma": (D.Gamma(t(a), t(b)), D.Gamma(t(b), t(a))),
        "Beta": (D.Beta(t(a), t(b)), D.Beta(t(b), t(a))),
        "Poisson": (D.Poisson(t(a)), D.Poisson(t(b))),
        "Bernoulli": (D.Bernoulli(t(a / 4)), D.Bernoulli(t(b / 4))),
        "Uniform": (D.Uniform(t(a - 1), t(a)), D.Uniform(t(a - 2), t(a + 1))),
    }


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "Gamma", "Beta", "Poisson", "Bernoulli",
                                  "Uniform"])
def test_kl_univariate_against_numerical_integral(name, device):
    """KL(p || q) = E_p[log p - log q]: a sum over the support for discrete p, otherwise Simpson's
    rule on a fine grid (after x = exp(u) on (0, inf) and x = sigmoid(u) on (0, 1), which makes
    the integrands smooth), with log p and log q evaluated by ferrotorch in one call."""
    from scipy.integrate import simpson
    p, q = _kl_pairs(device)[name]
    kl = D.kl_divergence(p, q).cpu().numpy()
    # The grid points are shared by the three batch members and may lie outside the support of some.
    p._validate_args = q._validate_args = False
    if name in ("Poisson", "Bernoulli"):
        x = np.arange(0.0, 2.0 if name == "Bernoulli" else 80.0)[:, None]
        jac, u = np.ones_like(x), None
    elif name in ("Gamma", "Exponential"):
        u = np.linspace(-60.0, 5.0, 40001)[:, None]
        x, jac = np.exp(u), np.exp(u)
    elif name == "Beta":
        u = np.linspace(-60.0, 33.0, 40001)[:, None]  # 1 - x stays representable
        x = 1 / (1 + np.exp(-u))
        jac = x * (1 - x)
    elif name == "Uniform":
        lo, hi = p.low.cpu().numpy(), p.high.cpu().numpy()
        w = (np.arange(2000.0)[:, None] + 0.5) / 2000  # midpoints: high itself has no density
        x = lo + w * (hi - lo)
        u, jac = None, (hi - lo) / 2000
    else:
        u = np.linspace(-60.0, 60.0, 40001)[:, None]
        x, jac = u, np.ones_like(u)
    xs = _t(np.broadcast_to(x, (x.shape[0], 3)).copy(), device)
    lp, lq = p.log_prob(xs).cpu().numpy(), q.log_prob(xs).cpu().numpy()
    f = np.where(lp > -700, np.exp(lp) * (lp - lq), 0.0) * jac
    ref = f.sum(0) if u is None else simpson(f, x=np.broadcast_to(u, f.shape), axis=0)
    np.testing.assert_allclose(kl, ref, rtol=1e-6, atol=1e-9)


def test_kl_special_cases_and_registry(device):
    t = lambda a: _t(a, device)  # noqa: E731
    # q puts zero mass where p has some: infinite.
    assert np.isinf(D.kl_divergence(D.Uniform(t([0.0]), t([2.0])), D.Uniform(t([0.0]), t([1.0]))).cpu().numpy()).all()
    kl = D.kl_divergence(D.Bernoulli(t([0.0, 0.3])), D.Bernoulli(t([0.5, 0.0]))).cpu().numpy()
    assert kl[0] == pytest.approx(math.log(2)) and np.isinf(kl[1])
    p_c, q_c = np.array([[0.2, 0.3, 0.5]]), np.array([[0.1, 0.6, 0.3]])
    ref = (p_c * np.log(p_c / q_c)).sum(-1)
    assert_close(D.kl_divergence(D.Categorical(t(p_c)), D.Categorical(t(q_c))).cpu(), ref, rtol=1e-12)
    assert_close(D.kl_divergence(D.OneHotCategorical(t(p_c)), D.OneHotCategorical(t(q_c))).cpu(), ref, rtol=1e-12)
    # Dirichlet / MVN against closed forms written out with numpy.
    from scipy.special import digamma, gammaln
    a, b = np.array([0.5, 2.0, 3.0]), np.array([1.0, 1.5, 0.7])
    ref = (gammaln(a.sum()) - gammaln(b.sum()) - (gammaln(a) - gammaln(b)).sum()
           + ((a - b) * (digamma(a) - digamma(a.sum()))).sum())
    assert D.kl_divergence(D.Dirichlet(t(a)), D.Dirichlet(t(b))).item() == pytest.approx(ref, rel=1e-10)
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    S1, S2 = A @ A.T + np.eye(3), B @ B.T + np.eye(3)
    m1, m2 = rng.standard_normal(3), rng.standard_normal(3)
    ref = 0.5 * (np.trace(np.linalg.solve(S2, S1)) + (m2 - m1) @ np.linalg.solve(S2, m2 - m1) - 3
                 + np.log(np.linalg.det(S2) / np.linalg.det(S1)))
    p = D.MultivariateNormal(t(m1), covariance_matrix=t(S1))
    q = D.MultivariateNormal(t(m2), scale_tril=t(np.linalg.cholesky(S2)))
    assert D.kl_divergence(p, q).item() == pytest.approx(ref, rel=1e-9)
    # Independent sums the base KL over the reinterpreted dims.
    pn, qn = D.Normal(t([[0.0, 1.0]]), t([[1.0, 2.0]])), D.Normal(t([[1.0, 0.0]]), t([[1.5, 1.0]]))
    kl_ind = D.kl_divergence(D.Independent(pn, 1), D.Independent(qn, 1))
    assert_close(kl_ind.cpu(), D.kl_divergence(pn, qn).sum(-1).cpu().numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Cauchy and q type Normal"):
        D.kl_divergence(D.Cauchy(0.0, 1.0), D.Normal(0.0, 1.0))
    assert D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0)).item() == math.inf  # support mismatch

    class MyNormal(D.Normal):
        pass

    # Subclasses use their base's rule; register_kl overrides it.
    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == pytest.approx(0.5)

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return torch.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 42.0
