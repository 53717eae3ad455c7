"""torch.distributions additions: HalfNormal, HalfCauchy, Weibull, Pareto, InverseGamma,
Kumaraswamy, ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, VonMises, Multinomial,
NegativeBinomial, OneHotCategoricalStraightThrough, LowRankMultivariateNormal, MixtureSameFamily,
LogisticNormal; the new transforms, biject_to / transform_to, and the new KL pairs.

References are scipy.stats, numerical integration and closed forms written in numpy; samplers are
checked statistically (sample mean within a few standard errors)."""
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

import ferrotorch as torch
from ferrotorch import distributions as D
from ferrotorch.distributions import constraints, transforms as T
from conftest import assert_close as _assert_close, from_numpy, to_numpy as _to_numpy


def to_numpy(t):
    return _to_numpy(t.cpu())


def assert_close(actual, expected, **kw):
    if isinstance(actual, torch.Tensor):
        actual = actual.cpu()
    if isinstance(expected, torch.Tensor):
        expected = to_numpy(expected)
    _assert_close(actual, expected, **kw)


def _t(a, device="cpu"):
    return from_numpy(np.asarray(a, dtype=np.float64)).to(device)


A = np.array([[0.7], [2.5]])          # (2, 1) broadcasts against B's (3,)
B = np.array([0.8, 1.5, 3.0])
X = np.array([[0.2, 1.3, 3.5], [0.05, 0.9, 2.0]])
U = np.array([[0.1, 0.45, 0.9], [0.3, 0.6, 0.99]])


def _kuma_pdf(x, a, b):
    return a * b * x ** (a - 1) * (1 - x ** a) ** (b - 1)


# name -> (factory(device), frozen scipy-like reference with logpdf/cdf/ppf/mean/var/entropy, points)
def _cases():
    ab = np.broadcast_arrays(A, B)
    return {
        "HalfNormal": (lambda d: D.HalfNormal(_t(A * B, d)), stats.halfnorm(scale=A * B), X),
        "HalfCauchy": (lambda d: D.HalfCauchy(_t(A * B, d)), stats.halfcauchy(scale=A * B), X),
        "Weibull": (lambda d: D.Weibull(_t(B, d), _t(A, d)), stats.weibull_min(A, scale=B), X),
        "Pareto": (lambda d: D.Pareto(_t(A * 0.1, d), _t(B + 2.5, d)), stats.pareto(B + 2.5, scale=A * 0.1), X + 0.3),
        "InverseGamma": (lambda d: D.InverseGamma(_t(A + 2.2, d), _t(B, d)), stats.invgamma(A + 2.2, scale=B), X),
        "FisherSnedecor": (lambda d: D.FisherSnedecor(_t(A * 4, d), _t(B + 4.5, d)), stats.f(A * 4, B + 4.5), X),
        "GeneralizedPareto": (lambda d: D.GeneralizedPareto(_t(A * 0.1, d), _t(B, d), _t([0.2, 0.0, -0.1], d)),
                              stats.genpareto(np.broadcast_to([0.2, 0.0, -0.1], ab[0].shape), loc=A * 0.1, scale=B),
                              X + 0.3),
    }


_HAS = {"icdf": {"HalfNormal", "HalfCauchy", "GeneralizedPareto"},
        "cdf": {"HalfNormal", "HalfCauchy", "Weibull", "Pareto", "GeneralizedPareto"},
        "entropy": {"HalfNormal", "HalfCauchy", "Weibull", "Pareto", "InverseGamma", "GeneralizedPareto"}}


@pytest.mark.parametrize("name", sorted(_cases()))
def test_continuous_against_scipy(name, device):
    make, ref, x = _cases()[name]
    d = make(device)
    assert tuple(d.batch_shape) == (2, 3)
    assert_close(d.log_prob(_t(x, device)), ref.logpdf(x), rtol=1e-6, atol=1e-8)
    if name in _HAS["cdf"]:
        assert_close(d.cdf(_t(x, device)), ref.cdf(x), rtol=1e-6, atol=1e-8)
    if name in _HAS["icdf"]:
        assert_close(d.icdf(_t(U, device)), ref.ppf(U), rtol=1e-6, atol=1e-8)
    if name in _HAS["entropy"]:
        assert_close(d.entropy(), ref.entropy(), rtol=1e-6, atol=1e-8)
    if name != "HalfCauchy":
        assert_close(d.mean, ref.mean(), rtol=1e-6, atol=1e-8)
        assert_close(d.variance, ref.var(), rtol=1e-6, atol=1e-8)
    s = d.sample((4,))
    assert tuple(s.shape) == (4, 2, 3) and bool(d.support.check(s).all())
    assert tuple(d.expand((5, 2, 3)).log_prob(_t(x, device)).shape) == (5, 2, 3)


def test_half_infinite_moments_and_modes(device):
    hc = D.HalfCauchy(_t([1.0, 2.0], device))
    assert to_numpy(hc.mean).tolist() == [math.inf] * 2 and to_numpy(hc.variance).tolist() == [math.inf] * 2
    assert to_numpy(D.HalfNormal(_t([1.0, 2.0], device)).mode).tolist() == [0.0, 0.0]
    # Below zero the half distributions have no mass (validation off to reach it).
    lp = D.HalfNormal(_t([1.0], device), validate_args=False).log_prob(_t([-1.0], device))
    assert to_numpy(lp).tolist() == [-math.inf]
    assert_close(D.Weibull(_t(2.0), _t(3.0)).mode, 2.0 * (2.0 / 3.0) ** (1 / 3.0))
    assert_close(D.InverseGamma(_t(3.0), _t(4.0)).mode, 1.0)
    ig = D.InverseGamma(_t([0.5, 1.5]), _t([1.0, 1.0]))
    assert to_numpy(ig.mean)[0] == math.inf and to_numpy(ig.variance).tolist() == [math.inf, math.inf]
    assert to_numpy(D.Pareto(_t([1.0, 1.0]), _t([0.5, 1.5])).variance).tolist() == [math.inf, math.inf]
    assert np.isnan(to_numpy(D.FisherSnedecor(_t([1.0]), _t([1.5])).mean)).all()
    assert np.isnan(to_numpy(D.GeneralizedPareto(_t([0.0]), _t([1.0]), _t([1.5])).mean)).all()
    assert_close(D.GeneralizedPareto(_t(0.0), _t(1.0), _t(-0.5)).support.upper_bound, 2.0)


def test_kumaraswamy(device):
    a, b = np.array([0.6, 2.0, 3.5]), np.array([1.5, 0.7, 2.0])
    d = D.Kumaraswamy(_t(a, device), _t(b, device))
    x = np.array([0.2, 0.5, 0.9])
    assert_close(d.log_prob(_t(x, device)), np.log(_kuma_pdf(x, a, b)), rtol=1e-6)
    m1 = [integrate.quad(lambda v: v * _kuma_pdf(v, ai, bi), 0, 1)[0] for ai, bi in zip(a, b)]
    m2 = [integrate.quad(lambda v: v * v * _kuma_pdf(v, ai, bi), 0, 1)[0] for ai, bi in zip(a, b)]
    ent = [integrate.quad(lambda v: -_kuma_pdf(v, ai, bi) * np.log(_kuma_pdf(v, ai, bi)), 0, 1)[0]
           for ai, bi in zip(a, b)]
    assert_close(d.mean, m1, rtol=1e-5)
    assert_close(d.variance, np.array(m2) - np.array(m1) ** 2, rtol=1e-5)
    assert_close(d.entropy(), ent, rtol=1e-5, atol=1e-6)
    mode = to_numpy(d.mode)
    assert np.isnan(mode[:2]).all()
    assert_close(mode[2], ((3.5 - 1) / (3.5 * 2 - 1)) ** (1 / 3.5))


def _cb_pdf(x, p):
    c = 2.0 if abs(p - 0.5) < 1e-12 else 2 * np.arctanh(1 - 2 * p) / (1 - 2 * p)
    return c * p ** x * (1 - p) ** (1 - x)


def test_continuous_bernoulli(device):
    p = np.array([0.2, 0.4995, 0.5, 0.9])   # the middle two use the Taylor branch
    d = D.ContinuousBernoulli(_t(p, device))
    x = np.array([0.3, 0.5, 0.1, 0.99])
    assert_close(d.log_prob(_t(x, device)), np.log([_cb_pdf(xi, pi) for xi, pi in zip(x, p)]), rtol=1e-5)
    mean = [integrate.quad(lambda v: v * _cb_pdf(v, pi), 0, 1)[0] for pi in p]
    var = [integrate.quad(lambda v: (v - m) ** 2 * _cb_pdf(v, pi), 0, 1)[0] for pi, m in zip(p, mean)]
    ent = [integrate.quad(lambda v: -_cb_pdf(v, pi) * np.log(_cb_pdf(v, pi)), 0, 1)[0] for pi in p]
    cdf = [integrate.quad(lambda v: _cb_pdf(v, pi), 0, xi)[0] for xi, pi in zip(x, p)]
    assert_close(d.mean, mean, rtol=1e-5, atol=1e-7)
    assert_close(d.variance, var, rtol=1e-5, atol=1e-7)
    assert_close(d.entropy(), ent, rtol=1e-5, atol=1e-7)
    # Inside `lims` (p = 0.4995, 0.5) the CDF is approximated by the uniform one, as PyTorch does.
    assert_close(d.cdf(_t(x, device)), [cdf[0], x[1], x[2], cdf[3]], rtol=1e-5, atol=1e-7)
    assert abs(cdf[1] - x[1]) < 1e-3
    assert_close(d.icdf(d.cdf(_t(x, device))), x, rtol=1e-6, atol=1e-7)
    by_logits = D.ContinuousBernoulli(logits=_t(special.logit(p), device))
    assert_close(by_logits.log_prob(_t(x, device)), d.log_prob(_t(x, device)), rtol=1e-5)
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(_t([1.5]), validate_args=True)


def test_von_mises(device):
    loc, kappa = np.array([0.3, -2.0, 1.0]), np.array([0.5, 4.0, 1e-3])
    d = D.VonMises(_t(loc, device), _t(kappa, device))
    x = np.array([0.1, 3.0, -1.0])
    assert_close(d.log_prob(_t(x, device)), stats.vonmises(kappa, loc=loc).logpdf(x), rtol=1e-6)
    assert_close(d.variance, 1 - special.i1(kappa) / special.i0(kappa), rtol=1e-6, atol=1e-9)
    assert not d.has_rsample
    torch.manual_seed(0)
    n = 20000 if device == "cpu" else 2000
    s = to_numpy(d.sample((n,)))
    assert s.shape == (n, 3) and (s >= -math.pi).all() and (s < math.pi).all()
    z = np.exp(1j * s).mean(0)
    # Circular mean direction and resultant length I1/I0 match.
    assert abs(np.angle(z[1]) - (-2.0)) < 0.05
    assert_close(np.abs(z[:2]), (special.i1(kappa) / special.i0(kappa))[:2], atol=5 / math.sqrt(n))


@pytest.mark.parametrize("name", ["HalfNormal", "Weibull", "Pareto", "InverseGamma", "Kumaraswamy",
                                  "FisherSnedecor", "GeneralizedPareto", "ContinuousBernoulli", "VonMises"])
def test_sampling_statistics(name):
    torch.manual_seed(1)
    d = {"HalfNormal": lambda: D.HalfNormal(_t([0.5, 2.0])),
         "Weibull": lambda: D.Weibull(_t([1.0, 2.0]), _t([0.8, 3.0])),
         "Pareto": lambda: D.Pareto(_t([1.0, 2.0]), _t([4.5, 5.0])),
         "InverseGamma": lambda: D.InverseGamma(_t([4.5, 6.0]), _t([1.0, 2.0])),
         "Kumaraswamy": lambda: D.Kumaraswamy(_t([0.7, 3.0]), _t([2.0, 0.8])),
         "FisherSnedecor": lambda: D.FisherSnedecor(_t([3.0, 10.0]), _t([9.0, 12.0])),
         "GeneralizedPareto": lambda: D.GeneralizedPareto(_t([0.0, 1.0]), _t([1.0, 2.0]), _t([0.1, -0.3])),
         "ContinuousBernoulli": lambda: D.ContinuousBernoulli(_t([0.2, 0.8])),
         "VonMises": lambda: D.VonMises(_t([0.5, 0.5]), _t([50.0, 100.0]))}[name]()
    s = to_numpy(d.sample((40000,)))
    assert s.shape == (40000, 2)
    se = np.sqrt(to_numpy(d.variance) / 40000) if name != "VonMises" else 1 / np.sqrt(40000 * 50.0)
    assert (np.abs(s.mean(0) - to_numpy(d.mean)) < 5 * se).all()
    assert d.support.check(torch.from_numpy(s)).all()


@pytest.mark.parametrize("name", ["HalfNormal", "Weibull", "Pareto", "Kumaraswamy", "GeneralizedPareto",
                                  "ContinuousBernoulli", "VonMises", "FisherSnedecor"])
def test_log_prob_gradcheck(name):
    make = {"HalfNormal": (D.HalfNormal, [[0.5, 2.0]], [0.3, 1.0]),
            "Weibull": (D.Weibull, [[1.0, 2.0], [0.8, 3.0]], [0.3, 1.0]),
            "Pareto": (D.Pareto, [[0.1, 0.2], [2.0, 3.0]], [0.3, 1.0]),
            "Kumaraswamy": (D.Kumaraswamy, [[0.7, 3.0], [2.0, 0.8]], [0.3, 0.6]),
            "GeneralizedPareto": (D.GeneralizedPareto, [[0.0, 0.1], [1.0, 2.0], [0.2, -0.1]], [0.3, 1.0]),
            "ContinuousBernoulli": (D.ContinuousBernoulli, [[0.2, 0.7]], [0.3, 0.6]),
            "VonMises": (D.VonMises, [[0.2, 0.7], [0.5, 2.0]], [0.3, 0.6]),
            "FisherSnedecor": (D.FisherSnedecor, [[3.0, 5.0], [4.0, 7.0]], [0.3, 1.0])}[name]
    cls, params, x = make
    inputs = tuple(_t(p).requires_grad_() for p in params)
    assert torch.autograd.gradcheck(lambda *ps: cls(*ps).log_prob(_t(x)), inputs)


def test_rsample_is_differentiable():
    scale = _t([1.0, 2.0]).requires_grad_()
    conc = _t([0.8, 3.0]).requires_grad_()
    D.Weibull(scale, conc).rsample((3,)).sum().backward()
    assert scale.grad is not None and conc.grad is not None
    p = _t([0.3, 0.6]).requires_grad_()
    x = D.ContinuousBernoulli(p).rsample((2,))
    x.sum().backward()
    assert p.grad is not None and bool(torch.isfinite(p.grad).all())


@pytest.mark.parametrize("expr, exc, message", [
    (lambda: D.HalfNormal(_t(-1.0)), ValueError,
     r"Expected parameter scale \(Tensor of shape \(\)\) of distribution HalfNormal\(\) to satisfy the "
     r"constraint GreaterThan\(lower_bound=0.0\), but found invalid values"),
    (lambda: D.Weibull(_t(-1.0), _t(1.0)), ValueError, "Expected parameter scale"),
    (lambda: D.Kumaraswamy(_t(1.0), _t(-1.0)), ValueError, "Expected parameter concentration0"),
    (lambda: D.VonMises(_t(0.0), _t(-1.0)), ValueError, "Expected parameter concentration"),
    (lambda: D.Pareto(_t(1.0), _t(2.0)).log_prob(_t(0.5)), ValueError,
     r"to be within the support \(GreaterThanEq\(lower_bound=1.0\)\)"),
    (lambda: D.NegativeBinomial(_t(1.0), _t(1.0)), ValueError,
     r"constraint HalfOpenInterval\(lower_bound=0.0, upper_bound=1.0\)"),
    (lambda: D.Multinomial(_t([3.0]), _t([0.5, 0.5])), NotImplementedError, "inhomogeneous total_count is not supported"),
    (lambda: D.Multinomial(3, _t([0.5, 0.5])).log_prob(_t([2.0, 2.0])), ValueError,
     r"to be within the support \(Multinomial\(\)\) of the distribution Multinomial\(\)"),
    (lambda: D.LowRankMultivariateNormal(_t([0.0, 0.0]), _t([1.0, 2.0]), _t([1.0, 1.0])), ValueError,
     "cov_factor must be at least two-dimensional, with optional leading batch dimensions"),
    (lambda: D.LowRankMultivariateNormal(_t([0.0, 0.0]), _t([[1.0]]), _t([1.0, 1.0])), ValueError,
     "cov_factor must be a batch of matrices with shape 2 x m"),
    (lambda: D.LowRankMultivariateNormal(_t([0.0, 0.0]), _t([[1.0], [1.0]]), _t([1.0])), ValueError,
     r"cov_diag must be a batch of vectors with shape torch.Size\(\[2\]\)"),
    (lambda: D.MixtureSameFamily(D.Categorical(_t([0.3, 0.3, 0.4])), D.Normal(_t([0.0, 1.0]), _t([1.0, 1.0]))),
     ValueError, r"`mixture_distribution component` \(3\) does not equal `component_distribution.batch_shape\[-1\]` \(2\)"),
    (lambda: D.MixtureSameFamily(D.Normal(_t([0.0]), _t([1.0])), D.Normal(_t([0.0]), _t([1.0]))), ValueError,
     "The Mixture distribution needs to be an  instance of torch.distributions.Categorical"),
    (lambda: T.ReshapeTransform((2, 3), (5,)), ValueError, "in_shape, out_shape have different numbers of elements"),
    (lambda: D.biject_to(constraints.lower_cholesky), NotImplementedError, "Cannot transform _LowerCholesky constraints"),
])
def test_errors(expr, exc, message):
    with pytest.raises(exc, match=message):
        expr()


def test_reprs():
    assert repr(D.HalfNormal(_t(1.0))) == "HalfNormal()"
    assert repr(D.Weibull(_t(1.0), _t(2.0))) == "Weibull(scale: 1.0, concentration: 2.0)"
    mix = D.MixtureSameFamily(D.Categorical(_t([0.5, 0.5])), D.Normal(_t([0.0, 1.0]), _t([1.0, 1.0])))
    assert repr(mix) == ("MixtureSameFamily(\n  Categorical(probs: torch.Size([2]), logits: torch.Size([2])),\n"
                         "  Normal(loc: torch.Size([2]), scale: torch.Size([2])))")


# ----------------------------------------------------------------------------- discrete

def test_multinomial(device):
    probs = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    d = D.Multinomial(5, _t(probs * 2, device))   # unnormalised probs are normalised
    x = np.array([[1.0, 1.0, 3.0], [0.0, 5.0, 0.0]])
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
    ref = [stats.multinomial(5, p) for p in probs]
    assert_close(d.log_prob(_t(x, device)), [r.logpmf(xi) for r, xi in zip(ref, x)], rtol=1e-6)
    assert_close(d.entropy(), [r.entropy() for r in ref], rtol=1e-6)
    assert_close(d.mean, 5 * probs)
    assert_close(d.variance, 5 * probs * (1 - probs))
    s = d.sample((3,))
    assert tuple(s.shape) == (3, 2, 3) and s.dtype == torch.float64
    assert (to_numpy(s).sum(-1) == 5).all()
    # A zero-probability category that did not occur contributes nothing (0 * log 0 = 0).
    lp = D.Multinomial(2, logits=_t([-math.inf, 0.0, 0.0], device)).log_prob(_t([0.0, 1.0, 1.0], device))
    assert_close(lp, math.log(0.5))


def test_multinomial_sample_statistics():
    torch.manual_seed(0)
    probs = np.array([0.2, 0.3, 0.5])
    s = to_numpy(D.Multinomial(6, _t(probs)).sample((20000,)))
    se = np.sqrt(6 * probs * (1 - probs) / 20000)
    assert (np.abs(s.mean(0) - 6 * probs) < 5 * se).all()


def test_negative_binomial(device):
    total, p = np.array([3.0, 0.5, 2.0]), np.array([0.3, 0.8, 0.5])
    d = D.NegativeBinomial(_t(total, device), _t(p, device))
    ref = stats.nbinom(total, 1 - p)   # scipy counts failures with success probability 1 - p
    k = np.array([0.0, 4.0, 2.0])
    assert_close(d.log_prob(_t(k, device)), ref.logpmf(k), rtol=1e-6)
    assert_close(d.mean, ref.mean(), rtol=1e-6)
    assert_close(d.variance, ref.var(), rtol=1e-6)
    assert_close(d.mode, np.floor(np.maximum((total - 1) * p / (1 - p), 0)))
    by_logits = D.NegativeBinomial(_t(total, device), logits=_t(special.logit(p), device))
    assert_close(by_logits.log_prob(_t(k, device)), ref.logpmf(k), rtol=1e-6)
    # total_count = 0 is a point mass at zero.
    assert_close(D.NegativeBinomial(_t(0.0), _t(0.5)).log_prob(_t(0.0)), 0.0)
    torch.manual_seed(0)
    s = to_numpy(D.NegativeBinomial(_t(total), _t(p)).sample((30000,)))
    assert (s == np.round(s)).all() and (s >= 0).all()
    assert (np.abs(s.mean(0) - ref.mean()) < 5 * np.sqrt(ref.var() / 30000)).all()


def test_one_hot_straight_through(device):
    probs = _t([0.2, 0.3, 0.5], device).requires_grad_()
    d = D.OneHotCategoricalStraightThrough(probs)
    assert d.has_rsample
    s = d.rsample((4,))
    assert tuple(s.shape) == (4, 3) and (to_numpy(s).sum(-1) == 1).all()
    (s * _t([1.0, 2.0, 3.0], device)).sum().backward()
    # d(sum w . (sample + p - p.detach()))/dp through Categorical's normalisation p / sum(p).
    w = np.array([1.0, 2.0, 3.0])
    pn = np.array([0.2, 0.3, 0.5])
    assert_close(probs.grad, 4 * (w - (w * pn).sum()) / 1.0)


# ----------------------------------------------------------------------------- multivariate

def _lowrank(device, loc=((0.1, -0.2, 0.3), (0.0, 1.0, 2.0))):
    W = np.array([[1.0, 0.5], [0.2, -0.3], [0.4, 0.1]])
    Dg = np.array([0.5, 1.5, 2.0])
    return D.LowRankMultivariateNormal(_t(loc, device), _t(W, device), _t(Dg, device)), np.array(loc), W @ W.T + np.diag(Dg)


def test_lowrank_mvn(device):
    d, loc, cov = _lowrank(device)
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
    x = np.array([0.5, 0.2, -1.0])
    assert_close(d.log_prob(_t(x, device)), [stats.multivariate_normal(m, cov).logpdf(x) for m in loc], rtol=1e-6)
    assert_close(d.entropy(), [stats.multivariate_normal(m, cov).entropy() for m in loc], rtol=1e-6)
    assert_close(d.covariance_matrix, np.broadcast_to(cov, (2, 3, 3)), rtol=1e-6)
    assert_close(d.precision_matrix, np.broadcast_to(np.linalg.inv(cov), (2, 3, 3)), rtol=1e-6, atol=1e-9)
    assert_close(d.scale_tril, np.broadcast_to(np.linalg.cholesky(cov), (2, 3, 3)), rtol=1e-6, atol=1e-9)
    assert_close(d.variance, np.broadcast_to(np.diag(cov), (2, 3)))
    assert tuple(d.rsample((4,)).shape) == (4, 2, 3)
    assert tuple(d.expand((5, 2)).log_prob(_t(x, device)).shape) == (5, 2)


def test_lowrank_mvn_sampling_and_grad():
    torch.manual_seed(0)
    d, loc, cov = _lowrank("cpu", loc=(0.1, -0.2, 0.3))
    s = to_numpy(d.sample((30000,)))
    assert np.abs(np.cov(s.T) - cov).max() < 0.12
    assert (np.abs(s.mean(0) - loc) < 5 * np.sqrt(np.diag(cov) / 30000)).all()
    W = _t([[1.0, 0.5], [0.2, -0.3]]).requires_grad_()
    Dg = _t([0.5, 1.5]).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda w, dg: D.LowRankMultivariateNormal(_t([0.1, 0.2]), w, dg).log_prob(_t([0.3, -0.4])), (W, Dg))


def test_mixture_same_family(device):
    w = np.array([[0.3, 0.7], [0.5, 0.5]])
    mu = np.array([[-1.0, 1.0], [0.0, 2.0]])
    sd = np.array([[0.5, 1.0], [1.0, 0.3]])
    d = D.MixtureSameFamily(D.Categorical(_t(w, device)), D.Normal(_t(mu, device), _t(sd, device)))
    x = np.array([0.3, 1.2])
    dens = (w * stats.norm(mu, sd).pdf(x[:, None])).sum(-1)
    assert_close(d.log_prob(_t(x, device)), np.log(dens), rtol=1e-6)
    assert_close(d.cdf(_t(x, device)), (w * stats.norm(mu, sd).cdf(x[:, None])).sum(-1), rtol=1e-6)
    mean = (w * mu).sum(-1)
    assert_close(d.mean, mean)
    assert_close(d.variance, (w * (sd ** 2 + mu ** 2)).sum(-1) - mean ** 2)
    assert tuple(d.sample((4, 5)).shape) == (4, 5, 2)
    assert tuple(d.expand((3, 2)).log_prob(_t(x, device)).shape) == (3, 2)


def test_mixture_same_family_events_and_sampling():
    torch.manual_seed(0)
    comp = D.Independent(D.Normal(_t([[-1.0, 1.0], [0.0, 2.0]]), _t([[0.5, 1.0], [1.0, 0.3]])), 1)
    d = D.MixtureSameFamily(D.Categorical(_t([0.3, 0.7])), comp)
    assert tuple(d.event_shape) == (2,) and tuple(d.batch_shape) == ()
    assert_close(d.mean, 0.3 * np.array([-1.0, 1.0]) + 0.7 * np.array([0.0, 2.0]))
    s = to_numpy(d.sample((40000,)))
    assert s.shape == (40000, 2)
    se = np.sqrt(to_numpy(d.variance) / 40000)
    assert (np.abs(s.mean(0) - to_numpy(d.mean)) < 5 * se).all()


def test_logistic_normal(device):
    d = D.LogisticNormal(_t([0.4], device), _t([0.8], device))
    assert tuple(d.batch_shape) == () and tuple(d.event_shape) == (2,)
    y = np.array([0.3, 0.7])
    # y = (s, 1 - s) with s = sigmoid(x): density N(logit s) / (s (1 - s)).
    expected = stats.norm(0.4, 0.8).logpdf(special.logit(0.3)) - np.log(0.3 * 0.7)
    assert_close(d.log_prob(_t(y, device)), expected, rtol=1e-6)
    s = d.sample((5,))
    assert tuple(s.shape) == (5, 2) and bool(constraints.simplex.check(s).all())
    assert tuple(D.LogisticNormal(_t([0.0, 1.0]), _t([1.0, 1.0])).sample().shape) == (3,)


# ----------------------------------------------------------------------------- transforms

def _numeric_ldj(fn, x, eps=1e-6):
    """log|det J| of fn at the vector x, by central differences (numpy in, numpy out)."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        cols.append((fn(x + e) - fn(x - e)) / (2 * eps))
    return np.linalg.slogdet(np.stack(cols, -1))[1]


@pytest.mark.parametrize("name", ["Softplus", "Cat", "Stack", "Independent", "CDF"])
def test_elementwise_transforms(name, device):
    t = {"Softplus": T.SoftplusTransform(),
         "Cat": T.CatTransform([T.ExpTransform(), T.SoftplusTransform()], dim=-1, lengths=[1, 2]),
         "Stack": T.StackTransform([T.ExpTransform(), T.SoftplusTransform(), T.ExpTransform()], dim=-1),
         "Independent": T.IndependentTransform(T.SoftplusTransform(), 1),
         "CDF": T.CumulativeDistributionTransform(D.Normal(_t(0.0, device), _t(2.0, device)))}[name]
    # 30 checks the stable softplus inverse; the normal CDF would round to 1 there.
    x = np.array([[-1.5, 0.2, 2.0], [0.3, -0.1, 3.0 if name == "CDF" else 30.0]])
    y = t(_t(x, device))
    ref = {"Softplus": np.logaddexp(0, x), "Independent": np.logaddexp(0, x),
           "Cat": np.concatenate([np.exp(x[:, :1]), np.logaddexp(0, x[:, 1:])], -1),
           "Stack": np.stack([np.exp(x[:, 0]), np.logaddexp(0, x[:, 1]), np.exp(x[:, 2])], -1),
           "CDF": stats.norm(0, 2).cdf(x)}[name]
    assert_close(y, ref, rtol=1e-6)
    assert_close(t.inv(y), x, rtol=1e-6, atol=1e-7)
    ldj = to_numpy(t.log_abs_det_jacobian(_t(x, device), y))
    dydx = {"Softplus": special.expit(x), "Independent": special.expit(x),
            "Cat": np.concatenate([np.exp(x[:, :1]), special.expit(x[:, 1:])], -1),
            "Stack": np.stack([np.exp(x[:, 0]), special.expit(x[:, 1]), np.exp(x[:, 2])], -1),
            "CDF": stats.norm(0, 2).pdf(x)}[name]
    expected = np.log(dydx)
    if name == "Independent":
        expected = expected.sum(-1)
    assert_close(ldj, expected, rtol=1e-6)
    assert bool(t.codomain.check(y).all())


def test_simplex_and_shape_transforms(device):
    x = np.array([[0.3, -1.2, 0.5], [2.0, 0.0, -0.7]])
    sb = T.StickBreakingTransform()
    y = sb(_t(x, device))
    assert tuple(y.shape) == (2, 4) and bool(constraints.simplex.check(y).all())
    assert_close(sb.inv(y), x, rtol=1e-6, atol=1e-8)
    # Jacobian of the map to the first K coordinates (the last is determined by them).
    fwd = lambda v: to_numpy(sb(_t(v)))[:-1]
    assert_close(sb.log_abs_det_jacobian(_t(x, device), y), [_numeric_ldj(fwd, xi) for xi in x], rtol=1e-5)
    assert_close(sb(_t(np.zeros(2), device)), [1 / 3] * 3)
    assert sb.forward_shape((5, 3)) == (5, 4) and sb.inverse_shape((5, 4)) == (5, 3)
    sm = T.SoftmaxTransform()
    assert_close(sm(_t(x, device)), special.softmax(x, -1))
    assert_close(sm(sm.inv(sm(_t(x, device)))), special.softmax(x, -1))
    r = T.ReshapeTransform((6,), (2, 3))
    flat = np.arange(12.0).reshape(2, 6)
    assert_close(r(_t(flat, device)), flat.reshape(2, 2, 3))
    assert_close(r.inv(r(_t(flat, device))), flat)
    assert tuple(r.log_abs_det_jacobian(_t(flat), r(_t(flat))).shape) == (2,)
    assert tuple(r.forward_shape((4, 6))) == (4, 2, 3)
    a = T.AbsTransform()
    assert_close(a(_t([-1.0, 2.0], device)), [1.0, 2.0])


def test_matrix_transforms(device):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 3))
    lc = T.LowerCholeskyTransform()
    L = lc(_t(x, device))
    expected = np.tril(x, -1) + np.eye(3) * np.exp(np.diagonal(x, axis1=-2, axis2=-1))[..., None, :]
    assert_close(L, expected)
    assert_close(lc.inv(L), np.tril(x))
    pd = T.PositiveDefiniteTransform()
    P = pd(_t(x, device))
    assert_close(P, expected @ np.swapaxes(expected, -1, -2))
    assert_close(pd.inv(P), np.tril(x), rtol=1e-6, atol=1e-8)
    cc = T.CorrCholeskyTransform()
    v = rng.normal(size=(2, 6))
    C = cc(_t(v, device))
    assert tuple(C.shape) == (2, 4, 4) and bool(constraints.corr_cholesky.check(C).all())
    assert_close(cc.inv(C), v, rtol=1e-6, atol=1e-8)
    # Jacobian with respect to the strictly lower entries of the factor.
    rows, cols = np.tril_indices(4, -1)
    fwd = lambda u: to_numpy(cc(_t(u)))[rows, cols]
    assert_close(cc.log_abs_det_jacobian(_t(v, device), C), [_numeric_ldj(fwd, vi) for vi in v], rtol=1e-5)


def test_biject_to_and_transform_to(device):
    x = _t([[-2.0, 0.1, 3.0]], device)
    for reg in (D.biject_to, D.transform_to):
        for c in (constraints.real, constraints.positive, constraints.nonnegative, constraints.unit_interval,
                  constraints.greater_than(1.5), constraints.less_than(-1.0), constraints.interval(-1.0, 2.0),
                  constraints.simplex, constraints.real_vector):
            y = reg(c)(x)
            assert bool(c.check(y).all()), (reg, c)
    assert_close(D.transform_to(constraints.interval(-1.0, 2.0))(x), -1 + 3 * special.expit([[-2.0, 0.1, 3.0]]))
    assert_close(D.transform_to(constraints.simplex)(x), special.softmax([[-2.0, 0.1, 3.0]], -1))
    assert isinstance(D.biject_to(constraints.simplex), T.StickBreakingTransform)
    assert isinstance(D.transform_to(constraints.unit_interval), T.SigmoidTransform)
    m = D.transform_to(constraints.lower_cholesky)(_t(np.zeros((2, 2)), device))
    assert_close(m, np.eye(2))
    assert bool(constraints.positive_definite.check(D.transform_to(constraints.positive_definite)(
        _t(np.ones((3, 3)), device))).all())


# ----------------------------------------------------------------------------- KL

def _quad_kl(p_pdf, q_logpdf, lo, hi):
    def integrand(v):
        pv = p_pdf(v)
        return 0.0 if pv == 0 else pv * (np.log(pv) - q_logpdf(v))
    return integrate.quad(integrand, lo, hi, limit=200)[0]


def test_kl_closed_forms(device):
    hn = D.kl_divergence(D.HalfNormal(_t([1.0, 2.0], device)), D.HalfNormal(_t([1.5, 0.5], device)))
    assert_close(hn, [_quad_kl(stats.halfnorm(scale=a).pdf, stats.halfnorm(scale=b).logpdf, 0, 40)
                      for a, b in [(1.0, 1.5), (2.0, 0.5)]], rtol=1e-5)
    pa = D.kl_divergence(D.Pareto(_t([1.0, 0.4], device), _t([2.0, 3.0], device)),
                         D.Pareto(_t([0.5, 0.5], device), _t([1.0, 4.0], device)))
    pa = to_numpy(pa)
    assert_close(pa[0], _quad_kl(stats.pareto(2.0, scale=1.0).pdf, stats.pareto(1.0, scale=0.5).logpdf, 1, np.inf),
                 rtol=1e-5)
    assert pa[1] == math.inf
    cb = D.kl_divergence(D.ContinuousBernoulli(_t([0.2, 0.7], device)), D.ContinuousBernoulli(_t([0.6, 0.4999], device)))
    assert_close(cb, [_quad_kl(lambda v: _cb_pdf(v, a), lambda v: np.log(_cb_pdf(v, b)), 0, 1)
                      for a, b in [(0.2, 0.6), (0.7, 0.4999)]], rtol=1e-4)
    bc = D.kl_divergence(D.Beta(_t(2.0, device), _t(3.0, device)), D.ContinuousBernoulli(_t(0.3, device)))
    assert_close(bc, _quad_kl(stats.beta(2, 3).pdf, lambda v: np.log(_cb_pdf(v, 0.3)), 0, 1), rtol=1e-5)
    up = D.kl_divergence(D.Uniform(_t([1.0, 2.0], device), _t([2.0, 3.0], device)),
                         D.Pareto(_t([0.5, 2.5], device), _t([1.0, 4.0], device)))
    assert_close(to_numpy(up)[0], _quad_kl(stats.uniform(1, 1).pdf, stats.pareto(1.0, scale=0.5).logpdf, 1, 2),
                 rtol=1e-5)
    assert to_numpy(up)[1] == math.inf
    pn = D.kl_divergence(D.Pareto(_t(1.0), _t(4.0)), D.Normal(_t(0.5), _t(2.0)))
    assert_close(pn, _quad_kl(stats.pareto(4.0).pdf, stats.norm(0.5, 2.0).logpdf, 1, np.inf), rtol=1e-5)
    cn = D.kl_divergence(D.ContinuousBernoulli(_t(0.3)), D.Exponential(_t(2.0)))
    assert_close(cn, _quad_kl(lambda v: _cb_pdf(v, 0.3), stats.expon(scale=0.5).logpdf, 0, 1), rtol=1e-5)
    for p, q in [(D.Normal(_t(0.0), _t(1.0)), D.Pareto(_t(1.0), _t(1.0))),
                 (D.Pareto(_t(1.0), _t(1.0)), D.Uniform(_t(0.0), _t(5.0))),
                 (D.Gamma(_t(1.0), _t(1.0)), D.ContinuousBernoulli(_t(0.5)))]:
        assert D.kl_divergence(p, q).item() == math.inf


def _kl_gauss(m0, S0, m1, S1):
    n = len(m0)
    S1i = np.linalg.inv(S1)
    return 0.5 * (np.trace(S1i @ S0) + (m1 - m0) @ S1i @ (m1 - m0) - n + np.log(np.linalg.det(S1) / np.linalg.det(S0)))


def test_kl_lowrank(device):
    p, ploc, pcov = _lowrank(device, loc=(0.1, -0.2, 0.3))
    qW, qD, qloc = np.array([[0.3], [0.2], [0.1]]), np.array([1.0, 0.7, 0.9]), np.array([0.3, 0.0, -0.1])
    q = D.LowRankMultivariateNormal(_t(qloc, device), _t(qW, device), _t(qD, device))
    qcov = qW @ qW.T + np.diag(qD)
    mcov = np.eye(3) * 1.5 + 0.3
    mvn = D.MultivariateNormal(_t([0.2, 0.1, 0.0], device), covariance_matrix=_t(mcov, device))
    mloc = np.array([0.2, 0.1, 0.0])
    assert_close(D.kl_divergence(p, q), _kl_gauss(ploc, pcov, qloc, qcov), rtol=1e-6)
    assert_close(D.kl_divergence(p, mvn), _kl_gauss(ploc, pcov, mloc, mcov), rtol=1e-6)
    assert_close(D.kl_divergence(mvn, q), _kl_gauss(mloc, mcov, qloc, qcov), rtol=1e-6)
    with pytest.raises(ValueError, match="KL-divergence between two Low Rank Multivariate Normals with different "
                                         "event shapes cannot be computed"):
        D.kl_divergence(p, D.LowRankMultivariateNormal(_t([0.0, 0.0]), _t([[1.0], [1.0]]), _t([1.0, 1.0])))


# ----------------------------------------------------------------------------- LKJ, layouts

def _lkj_log_density(L, eta):
    """log density of the LKJ Cholesky factor, written from the definition (numpy, one matrix)."""
    d = L.shape[-1]
    unnorm = sum((d - i + 2 * (eta - 1)) * np.log(L[i - 1, i - 1]) for i in range(2, d + 1))
    alpha = eta + 0.5 * (d - 1)
    log_norm = (0.5 * (d - 1) * np.log(np.pi) + special.multigammaln(alpha - 0.5, d - 1)
                - (d - 1) * special.gammaln(alpha))
    return unnorm - log_norm


def test_lkj_cholesky(device):
    d = D.LKJCholesky(3, _t([0.5, 2.0], device))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3, 3)
    torch.manual_seed(0)
    L = d.sample((4,))
    assert tuple(L.shape) == (4, 2, 3, 3) and bool(constraints.corr_cholesky.check(L).all())
    Ln = to_numpy(L)
    expected = [[_lkj_log_density(Ln[s, b], eta) for b, eta in enumerate([0.5, 2.0])] for s in range(4)]
    assert_close(d.log_prob(L), expected, rtol=1e-6)
    # dim 2, eta 1: the correlation is uniform on (-1, 1), so log density of the factor is log(1/2)
    # plus the Jacobian of r -> L (L_22 = sqrt(1 - r^2)): log p(L) = log(1/2) + 0 for the off-diagonal.
    L2 = _t([[1.0, 0.0], [0.6, 0.8]], device)
    assert_close(D.LKJCholesky(2, _t(1.0, device)).log_prob(L2), math.log(0.5), rtol=1e-6)
    with pytest.raises(ValueError, match="Expected dim to be an integer greater than or equal to 2. Found dim=1."):
        D.LKJCholesky(1)


def test_lkj_correlation_variance():
    # Off-diagonal correlations of LKJ(dim, eta) have variance 1 / (2 eta + dim - 1).
    torch.manual_seed(0)
    L = to_numpy(D.LKJCholesky(3, _t(2.0)).sample((20000,)))
    C = L @ np.swapaxes(L, -1, -2)
    assert abs(C[:, 1, 0].var() - 1 / 6) < 0.01 and abs(C[:, 2, 1].var() - 1 / 6) < 0.01


def test_noncontiguous_zero_dim_and_empty(device):
    s = _t(np.array([[0.5, 1.0, 2.0], [1.5, 2.5, 3.0]]).T, device)     # transposed (3, 2)
    c = _t(np.array([[0.8, 1.2, 3.0], [2.0, 0.7, 1.1]]).T, device)
    x = np.array([[0.3, 1.0], [2.0, 0.1], [0.7, 0.5]])
    sn, cn = to_numpy(s), to_numpy(c)
    assert_close(D.Weibull(s, c).log_prob(_t(x, device)), stats.weibull_min(cn, scale=sn).logpdf(x), rtol=1e-6)
    assert_close(D.HalfNormal(s).log_prob(_t(x, device).mT.mT), stats.halfnorm(scale=sn).logpdf(x), rtol=1e-6)
    d0 = D.Pareto(_t(1.0, device), _t(3.0, device))
    assert tuple(d0.batch_shape) == () and tuple(d0.sample().shape) == ()
    assert_close(d0.log_prob(_t(2.0, device)), stats.pareto(3.0).logpdf(2.0))
    empty = D.GeneralizedPareto(_t(np.zeros(0), device), _t(np.ones(0), device), _t(np.zeros(0), device))
    assert tuple(empty.sample((2,)).shape) == (2, 0) and tuple(empty.log_prob(_t(np.zeros(0), device)).shape) == (0,)
    # Python-number parameters give an empty batch shape and the default dtype.
    w = D.Weibull(1.0, 2.0)
    assert tuple(w.batch_shape) == () and w.sample().dtype == torch.float32


def _spd(seed, n=3):
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T + np.eye(n)


@pytest.mark.parametrize("kw", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_against_scipy(kw, device):
    V = _spd(0)
    mat = {"covariance_matrix": V, "precision_matrix": np.linalg.inv(V), "scale_tril": np.linalg.cholesky(V)}[kw]
    df = np.array([4.5, 7.0])
    d = D.Wishart(_t(df, device), **{kw: _t(mat, device)})
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3, 3)
    x = np.random.default_rng(1).normal(size=(3, 6))
    X = x @ x.T
    assert_close(d.log_prob(_t(X, device)), [stats.wishart(v, V).logpdf(X) for v in df], rtol=1e-6)
    assert_close(d.entropy(), [stats.wishart(v, V).entropy() for v in df], rtol=1e-6)
    assert_close(d.mean, df[:, None, None] * V, rtol=1e-6)
    assert_close(d.mode, (df - 4)[:, None, None] * V, rtol=1e-6)
    assert_close(d.variance, df[:, None, None] * (V ** 2 + np.outer(np.diag(V), np.diag(V))), rtol=1e-6)
    assert_close(d.covariance_matrix, np.broadcast_to(V, (2, 3, 3)), rtol=1e-6)
    assert_close(d.precision_matrix, np.broadcast_to(np.linalg.inv(V), (2, 3, 3)), rtol=1e-6, atol=1e-9)
    assert tuple(d.rsample((4,)).shape) == (4, 2, 3, 3)
    assert tuple(d.expand((5, 2)).log_prob(_t(X, device)).shape) == (5, 2)


def test_wishart_sampling_and_errors():
    torch.manual_seed(0)
    V = _spd(2)
    s = to_numpy(D.Wishart(_t(5.0), covariance_matrix=_t(V)).sample((20000,)))
    se = np.sqrt(5 * (V ** 2 + np.outer(np.diag(V), np.diag(V))) / 20000)
    assert (np.abs(s.mean(0) - 5 * V) < 5 * se).all()
    df = _t(6.0).requires_grad_()
    D.Wishart(df, covariance_matrix=_t(V)).rsample((3,)).sum().backward()
    assert df.grad is not None and bool(torch.isfinite(df.grad))
    assert np.isnan(to_numpy(D.Wishart(_t(3.5), covariance_matrix=_t(V)).mode)).all()
    with pytest.raises(ValueError, match=r"Value of df=2.0 expected to be greater than ndim - 1 = 2."):
        D.Wishart(2.0, covariance_matrix=_t(np.eye(3)))
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.Wishart(4.0)
    with pytest.raises(ValueError, match="scale_tril must be at least two-dimensional"):
        D.Wishart(4.0, covariance_matrix=_t(np.ones(3)))
    with pytest.raises(ValueError, match=r"Expected parameter covariance_matrix \(Tensor of shape \(2, 2\)\) of "
                                         r"distribution Wishart\(covariance_matrix: torch.Size\(\[2, 2\]\), df: 4.0\)"):
        D.Wishart(_t(4.0), covariance_matrix=_t(-np.eye(2)))
