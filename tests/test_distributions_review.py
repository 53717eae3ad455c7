"""Regression tests from the review of torch.distributions: float32 binomial draws for large n,
shape broadcasting by transform parameters, transform equality, empty batches, expand of the
relaxed distributions, the KL pairs added (LogNormal, Binomial, Geometric, Gumbel, Cauchy) and
error messages."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

import ferrotorch as torch
from ferrotorch import distributions as D
from conftest import assert_close, from_numpy


def _t(a, device):
    return from_numpy(np.asarray(a, dtype=np.float64)).to(device)


def test_binomial_float32_large_n_has_the_right_variance(device):
    # The BTRS acceptance test subtracts log-factorials of size n log n; in float32 their rounding
    # once made the sample variance off by tens of standard errors.
    torch.manual_seed(0)
    n, p, m = 1e7, 0.5, 20000
    x = D.Binomial(torch.tensor(n, device=device), torch.tensor(p, device=device)).sample((m,))
    assert x.dtype == torch.float32 and x.device.type == device
    x = x.cpu().numpy().astype(np.float64)
    var = n * p * (1 - p)
    assert abs(x.mean() - n * p) < 5 * math.sqrt(var / m)
    assert abs(x.var() - var) < 5 * var * math.sqrt(2 / m)


def test_poisson_rejects_integer_rates_with_pytorchs_message():
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        torch.poisson(torch.tensor([1, 2]))


def test_multivariate_normal_matrix_dimension_messages():
    with pytest.raises(ValueError, match="^covariance_matrix must be at least two-dimensional"):
        D.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.ones(2))
    with pytest.raises(ValueError, match="^precision_matrix must be at least two-dimensional"):
        D.MultivariateNormal(torch.zeros(2), precision_matrix=torch.ones(2))
    with pytest.raises(ValueError, match="^scale_tril matrix must be at least two-dimensional"):
        D.MultivariateNormal(torch.zeros(2), scale_tril=torch.ones(2))


def test_transform_parameters_broadcast_the_batch_shape(device):
    # y = exp(loc + 2 x), x ~ Normal(0, 1), with a vector loc: a batch of three lognormals.
    loc = np.array([-1.0, 0.0, 0.5])
    affine = D.AffineTransform(_t(loc, device), 2.0)
    td = D.TransformedDistribution(D.Normal(_t(0.0, device), _t(1.0, device)), [affine, D.ExpTransform()])
    assert tuple(td.batch_shape) == (3,) and tuple(td.event_shape) == ()
    assert tuple(td.sample((4,)).shape) == (4, 3)
    y = np.array([0.5, 1.0, 3.0])
    assert_close(td.log_prob(_t(y, device)).cpu(), stats.lognorm(2.0, scale=np.exp(loc)).logpdf(y), rtol=1e-10)
    comp = D.ComposeTransform([affine, D.ExpTransform()])
    assert tuple(comp.forward_shape((2, 1))) == (2, 3) and tuple(comp.inv.forward_shape((1,))) == (3,)
    assert tuple(D.PowerTransform(_t([1.0, 2.0], device)).forward_shape(())) == (2,)


def test_transform_equality():
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform() != D.SigmoidTransform()
    assert D.ExpTransform().inv == D.ExpTransform().inv and D.ExpTransform().inv != D.ExpTransform()
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0)
    assert D.AffineTransform(1.0, torch.tensor([2.0, 2.0])) == D.AffineTransform(1.0, 2.0)
    assert D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    assert D.PowerTransform(2.0) == D.PowerTransform(2.0) != D.PowerTransform(3.0)
    a = D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.0, 2.0)])
    assert a == D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.0, 2.0)]) != D.ComposeTransform([])


def test_empty_batches(device):
    conc = _t(np.ones((0, 3)), device)
    d = D.Dirichlet(conc)
    assert tuple(d.sample((2,)).shape) == (2, 0, 3)
    assert tuple(d.log_prob(conc / 3).shape) == (0,)
    ind = D.Independent(D.Normal(_t(np.zeros((0, 3)), device), 1.0), 1)
    assert tuple(ind.log_prob(_t(np.zeros((0, 3)), device)).shape) == (0,)
    mvn = D.MultivariateNormal(_t(np.zeros((0, 2)), device), _t(np.eye(2), device))
    assert tuple(mvn.log_prob(_t(np.zeros((0, 2)), device)).shape) == (0,)
    assert D.constraints.lower_cholesky.check(_t(np.zeros((0, 2, 2)), device)).shape == (0,)
    s = D.Categorical(_t([[0.5, 0.5]], device)).sample((0,))
    assert tuple(s.shape) == (0, 1) and s.dtype == torch.int64


def test_relaxed_expand(device):
    rb = D.RelaxedBernoulli(_t(0.5, device), probs=_t([0.3], device)).expand((4, 1))
    assert tuple(rb.batch_shape) == (4, 1) and tuple(rb.sample().shape) == (4, 1)
    v = np.array([[0.2]] * 4)
    ref = D.RelaxedBernoulli(_t(0.5, device), probs=_t(np.full((4, 1), 0.3), device)).log_prob(_t(v, device))
    assert_close(rb.log_prob(_t(v, device)).cpu(), ref.cpu(), rtol=1e-12)
    assert rb.temperature.item() == 0.5
    roh = D.RelaxedOneHotCategorical(_t(0.5, device), logits=_t([0.0, 1.0], device)).expand((3,))
    z = roh.rsample((2,))
    assert tuple(z.shape) == (2, 3, 2) and tuple(roh.log_prob(z).shape) == (2, 3)


# ----------------------------------------------------------------------------- KL pairs added

def test_kl_lognormal_is_the_normal_kl(device):
    a, b = np.array([0.5, -1.0]), np.array([1.5, 0.3])
    p, q = D.LogNormal(_t(a, device), _t(b, device)), D.LogNormal(_t(b, device), _t(a * a + 0.2, device))
    ref = D.kl_divergence(D.Normal(_t(a, device), _t(b, device)), D.Normal(_t(b, device), _t(a * a + 0.2, device)))
    assert_close(D.kl_divergence(p, q).cpu(), ref.cpu(), rtol=1e-12)
    # Different transforms: no rule.
    other = D.TransformedDistribution(D.Normal(_t(a, device), _t(b, device)), D.SigmoidTransform())
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, other)


def test_kl_binomial_and_geometric_against_sums(device):
    pp, qp = np.array([0.2, 0.7]), np.array([0.5, 0.1])
    k = np.arange(0.0, 400.0)[:, None]
    kl = D.kl_divergence(D.Binomial(6, _t(pp, device)), D.Binomial(6, _t(qp, device))).cpu().numpy()
    sp, sq = stats.binom(6, pp), stats.binom(6, qp)
    ref = (sp.pmf(k[:7]) * (sp.logpmf(k[:7]) - sq.logpmf(k[:7]))).sum(0)
    np.testing.assert_allclose(kl, ref, rtol=1e-9)
    # p has mass where q has none: infinite; q with more trials than p: not implemented (as PyTorch).
    kl = D.kl_divergence(D.Binomial(_t([6.0, 4.0], device), _t(pp, device)), D.Binomial(4, _t(qp, device)))
    assert np.isinf(kl.cpu().numpy()[0]) and np.isfinite(kl.cpu().numpy()[1])
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, _t(pp, device)), D.Binomial(4, _t(qp, device)))
    kl = D.kl_divergence(D.Geometric(_t(pp, device)), D.Geometric(logits=_t(np.log(qp / (1 - qp)), device)))
    sp, sq = stats.geom(pp, loc=-1), stats.geom(qp, loc=-1)
    ref = (sp.pmf(k) * (sp.logpmf(k) - sq.logpmf(k))).sum(0)
    np.testing.assert_allclose(kl.cpu().numpy(), ref, rtol=1e-9)


def _gumbel_logpdf(x, loc, scale):
    z = (x - loc) / scale
    return -z - np.exp(-z) - np.log(scale)


@pytest.mark.parametrize("name", ["Gumbel", "Cauchy"])
def test_kl_location_scale_pairs_against_quadrature(name, device):
    lp, sp, lq, sq = 0.3, 1.5, -1.0, 0.7
    p = getattr(D, name)(_t([lp], device), _t([sp], device))
    q = getattr(D, name)(_t([lq], device), _t([sq], device))
    kl = D.kl_divergence(p, q).cpu().numpy()[0]
    if name == "Gumbel":
        # The integrand vanishes (doubly exponentially) well inside [-30, 60].
        f = lambda x: np.exp(_gumbel_logpdf(x, lp, sp)) * (_gumbel_logpdf(x, lp, sp)  # noqa: E731
                                                            - _gumbel_logpdf(x, lq, sq))
        ref = integrate.quad(f, -30, 60, limit=400, epsabs=1e-13)[0]
    else:
        cp, cq = stats.cauchy(lp, sp), stats.cauchy(lq, sq)
        ref = integrate.quad(lambda x: cp.pdf(x) * (cp.logpdf(x) - cq.logpdf(x)), -np.inf, np.inf,
                             limit=400, epsabs=1e-13)[0]
    assert kl == pytest.approx(ref, rel=1e-7)
    assert D.kl_divergence(p, p).cpu().numpy()[0] == pytest.approx(0.0, abs=1e-12)
