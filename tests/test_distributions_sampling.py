"""Sampling for torch.distributions and torch.poisson: shapes, sample moments against the exact
ones (within a few standard errors, fixed seed), reproducibility, reparameterised gradients
(gradcheck for location-scale families; the implicit gamma gradient against scipy's inverse
incomplete gamma function and Monte Carlo derivatives of moments), and a GPU smoke run."""
import math

import numpy as np
import pytest
from scipy import special, stats

import ferrotorch as torch
from ferrotorch import distributions as D
from ferrotorch._random_draws import _gamma_alpha_grad
from conftest import requires_gpu

F64 = torch.float64


def _t(a, device="cpu"):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device)


def _check_moments(samples, mean, var, z=5.0):
    """Sample mean and variance along dim 0 within `z` standard errors of the exact ones."""
    x = samples.cpu().numpy().astype(np.float64)
    n = x.shape[0]
    mean, var = np.broadcast_to(mean, x.shape[1:]), np.broadcast_to(var, x.shape[1:])
    m = x.mean(0)
    assert np.all(np.abs(m - mean) <= z * np.sqrt(var / n)), (m, mean)
    centred = x - mean
    v = (centred ** 2).mean(0)
    se_var = np.sqrt(np.maximum((centred ** 4).mean(0) - v ** 2, 1e-300) / n)
    assert np.all(np.abs(v - var) <= z * se_var), (v, var)


# ----------------------------------------------------------------------------- torch.poisson

def test_poisson_moments_and_pmf():
    torch.manual_seed(0)
    rates = np.array([0.0, 0.3, 2.5, 9.9, 10.0, 37.0, 400.0])
    x = torch.poisson(_t(rates).expand(20000, 7))
    assert x.dtype == F64 and tuple(x.shape) == (20000, 7)
    xn = x.numpy()
    assert np.all(xn == np.round(xn)) and np.all(xn[:, 0] == 0)
    _check_moments(x, rates, rates)
    # Frequencies of each value against the pmf (both methods: inversion at 2.5, PTRS at 37).
    for col in (2, 5):
        ks, counts = np.unique(xn[:, col], return_counts=True)
        p = stats.poisson(rates[col]).pmf(ks)
        se = np.sqrt(p * (1 - p) / 20000)
        assert np.all(np.abs(counts / 20000 - p) <= 5 * se + 1e-4)


def test_poisson_api():
    g = torch.Generator().manual_seed(3)
    a = torch.poisson(torch.full((50,), 4.0), generator=g)
    b = torch.poisson(torch.full((50,), 4.0), generator=torch.Generator().manual_seed(3))
    assert a.dtype == torch.float32 and a.tolist() == b.tolist()
    torch.manual_seed(5)
    c = torch.poisson(torch.full((3, 4), 20.0).T)
    torch.manual_seed(5)
    assert torch.poisson(torch.full((4, 3), 20.0)).tolist() == c.tolist()
    assert tuple(torch.poisson(torch.tensor(3.0)).shape) == ()
    assert tuple(torch.poisson(torch.zeros(0, 2)).shape) == (0, 2)
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        torch.poisson(torch.tensor([1.0, -1.0]))
    with pytest.raises(TypeError):
        torch.poisson([1.0])


# ----------------------------------------------------------------------------- sample moments

def _moment_cases():
    a, b = np.array([0.3, 1.0, 4.5, 150.0]), np.array([0.5, 2.0, 1.0, 3.0])
    return {
        "Normal": D.Normal(_t(a), _t(b)), "Uniform": D.Uniform(_t(-a), _t(b)),
        "Exponential": D.Exponential(_t(b)), "Laplace": D.Laplace(_t(a), _t(b)),
        "Gumbel": D.Gumbel(_t(a), _t(b)), "LogNormal": D.LogNormal(_t(a / 10), _t(b / 4)),
        "Gamma": D.Gamma(_t(a), _t(b)), "Chi2": D.Chi2(_t(a * 2)), "Beta": D.Beta(_t(a), _t(b)),
        "StudentT": D.StudentT(_t(b + 4.5), _t(a), _t(b)),
        "Bernoulli": D.Bernoulli(_t([0.0, 0.1, 0.5, 1.0])), "Geometric": D.Geometric(_t([0.05, 0.3, 0.8, 1.0])),
        "Poisson": D.Poisson(_t(a * 10)),
        "Binomial": D.Binomial(_t([10.0, 100.0, 1000.0, 7.0]), _t([0.3, 0.6, 0.02, 1.0])),
    }


@pytest.mark.parametrize("name", sorted(_moment_cases()))
def test_sample_moments(name):
    d = _moment_cases()[name]
    torch.manual_seed(1)
    x = d.sample((20000,))
    assert tuple(x.shape) == (20000, 4) and x.dtype == F64
    assert bool(d.support.check(x).all())
    _check_moments(x, d.mean.numpy(), d.variance.numpy())
    torch.manual_seed(1)
    assert torch.equal(d.sample((20000,)), x)  # reproducible under manual_seed


def test_multivariate_and_categorical_sampling():
    torch.manual_seed(2)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    s = D.Categorical(_t(probs)).sample((20000,))
    assert tuple(s.shape) == (20000, 2) and s.dtype == torch.int64
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    assert np.all(np.abs(freq - probs) <= 5 * np.sqrt(probs * (1 - probs) / 20000) + 1e-9)
    oh = D.OneHotCategorical(_t(probs)).sample((20000,))
    assert tuple(oh.shape) == (20000, 2, 3) and bool(D.constraints.one_hot.check(oh).all())
    assert np.all(np.abs(oh.numpy().mean(0) - probs) <= 5 * np.sqrt(probs * (1 - probs) / 20000) + 1e-9)
    conc = np.array([0.3, 2.0, 5.0])
    x = D.Dirichlet(_t(conc)).sample((20000,))
    assert tuple(x.shape) == (20000, 3) and bool(D.constraints.simplex.check(x).all())
    ref = stats.dirichlet(conc)
    _check_moments(x, ref.mean(), ref.var())
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    mvn = D.MultivariateNormal(_t([1.0, -2.0]), covariance_matrix=_t(cov))
    y = mvn.sample((3, 20000)).numpy()
    assert y.shape == (3, 20000, 2)
    y = y.reshape(-1, 2)
    assert np.abs(y.mean(0) - [1.0, -2.0]).max() < 5 * math.sqrt(2.0 / 60000)
    assert np.abs(np.cov(y.T) - cov).max() < 0.05


def test_relaxed_distributions():
    torch.manual_seed(4)
    temp, p = 0.7, np.array([0.2, 0.6])
    rb = D.RelaxedBernoulli(_t(temp), probs=_t(p))
    y = rb.rsample((1000,))
    assert tuple(y.shape) == (1000, 2) and bool(((y > 0) & (y < 1)).all())
    # Binary Concrete density (Maddison et al. 2017), written out.
    v = np.array([[0.1, 0.5], [0.93, 0.02]])
    alpha = p / (1 - p)
    ref = (np.log(temp * alpha) + (-temp - 1) * (np.log(v) + np.log1p(-v))
           - 2 * np.log(alpha * v ** -temp + (1 - v) ** -temp))
    np.testing.assert_allclose(rb.log_prob(_t(v)).numpy(), ref, rtol=1e-10)
    # Frequencies of y > 1/2 are the Bernoulli probabilities.
    big = rb.sample((20000,)).numpy() > 0.5
    assert np.all(np.abs(big.mean(0) - p) < 5 * np.sqrt(p * (1 - p) / 20000))
    roh = D.RelaxedOneHotCategorical(_t(0.5), probs=_t([[0.2, 0.3, 0.5]]))
    z = roh.rsample((20000,))
    assert tuple(z.shape) == (20000, 1, 3) and bool(D.constraints.simplex.check(z).all())
    # argmax of a Gumbel-softmax sample is a categorical sample.
    freq = np.bincount(z.argmax(-1).numpy().ravel(), minlength=3) / 20000
    assert np.all(np.abs(freq - [0.2, 0.3, 0.5]) < 0.02)
    assert roh.log_prob(z[:5]).shape == (5, 1)


# ----------------------------------------------------------------------------- rsample gradients

@pytest.mark.parametrize("name", ["Normal", "Laplace", "Cauchy", "Gumbel", "Uniform", "LogNormal", "Exponential",
                                  "StudentT", "MultivariateNormal"])
def test_rsample_gradcheck(name):
    loc = _t([[0.3, -1.0], [0.5, 2.0]]).T.requires_grad_()  # transposed: non-contiguous
    scale = _t([0.5, 2.0]).requires_grad_()

    def f(loc, scale):
        torch.manual_seed(7)  # the same noise for every evaluation
        if name == "Uniform":
            return D.Uniform(loc, loc + scale).rsample((3,))
        if name == "Exponential":
            return D.Exponential(scale).rsample((3,))
        if name == "StudentT":
            return D.StudentT(_t([3.0, 5.0]), loc, scale).rsample((3,))
        if name == "MultivariateNormal":
            tril = torch.stack([scale, torch.zeros_like(scale)]) + torch.stack([torch.zeros_like(scale), scale]).T
            return D.MultivariateNormal(loc[0], scale_tril=tril.tril() + 0.1 * torch.eye(2, dtype=F64)).rsample((3,))
        return getattr(D, name)(loc, scale).rsample((3,))

    assert torch.autograd.gradcheck(f, (loc, scale))


def test_gamma_implicit_gradient_matches_inverse_cdf():
    """dx/dalpha at fixed CDF level u: the derivative of scipy's gammaincinv(alpha, u)."""
    for a in [0.05, 0.4, 1.0, 3.7, 60.0, 99.0, 101.0, 400.0]:
        u = np.array([0.001, 0.1, 0.5, 0.9, 0.999])
        x = special.gammaincinv(a, u)
        h = 1e-5 * a
        ref = (special.gammaincinv(a + h, u) - special.gammaincinv(a - h, u)) / (2 * h)
        got = _gamma_alpha_grad(torch.full((5,), a, dtype=F64), _t(x)).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-6 if a <= 100 else 2e-3)


def test_gamma_family_rsample_gradients_are_unbiased():
    """Monte Carlo d/dtheta E[f(x)] through rsample against the exact derivative."""
    torch.manual_seed(11)
    n = 20000
    a = _t([0.5, 2.0, 8.0]).requires_grad_()
    rate = _t([1.0, 3.0, 0.5]).requires_grad_()
    x = D.Gamma(a, rate).rsample((n,))
    (x ** 2).mean(0).sum().backward()
    an, rn = a.detach().numpy(), rate.detach().numpy()
    # E[x^2] = a (a + 1) / rate^2
    np.testing.assert_allclose(a.grad.numpy(), (2 * an + 1) / rn ** 2, rtol=0.06)
    np.testing.assert_allclose(rate.grad.numpy(), -2 * an * (an + 1) / rn ** 3, rtol=0.06)
    c1 = _t([0.7, 3.0]).requires_grad_()
    c0 = _t([2.0, 1.5]).requires_grad_()
    D.Beta(c1, c0).rsample((n,)).mean(0).sum().backward()
    s = (c1 + c0).detach().numpy()
    np.testing.assert_allclose(c1.grad.numpy(), c0.detach().numpy() / s ** 2, rtol=0.06)
    np.testing.assert_allclose(c0.grad.numpy(), -c1.detach().numpy() / s ** 2, rtol=0.06)
    conc = _t([0.5, 1.0, 2.5]).requires_grad_()
    D.Dirichlet(conc).rsample((n,))[:, 0].mean().backward()
    c, s = conc.detach().numpy(), conc.detach().numpy().sum()
    np.testing.assert_allclose(conc.grad.numpy(), np.array([s - c[0], -c[0], -c[0]]) / s ** 2, rtol=0.08)
    assert D.Gamma(a, rate).sample().grad_fn is None


def test_enumerate_support_log_prob_sums_to_one():
    for d in [D.Bernoulli(_t([0.3, 0.9])), D.Binomial(5, _t([0.3, 0.9])), D.Categorical(_t([[0.2, 0.8], [0.5, 0.5]])),
              D.OneHotCategorical(_t([[0.2, 0.8], [0.5, 0.5]]))]:
        total = d.log_prob(d.enumerate_support()).exp().sum(0).numpy()
        np.testing.assert_allclose(total, 1.0, rtol=1e-12)


# ----------------------------------------------------------------------------- GPU

@requires_gpu
def test_sampling_and_log_prob_on_gpu():
    torch.manual_seed(0)
    p = lambda a: torch.tensor(a, device="gpu")  # noqa: E731  float32: what a GPU always has
    dists = [D.Normal(p([0.0, 1.0]), p([1.0, 2.0])), D.Uniform(p([0.0, 1.0]), p([1.0, 2.0])),
             D.Exponential(p([1.0, 2.0])), D.Laplace(p([0.0, 1.0]), p([1.0, 2.0])),
             D.Cauchy(p([0.0, 1.0]), p([1.0, 2.0])), D.Gumbel(p([0.0, 1.0]), p([1.0, 2.0])),
             D.LogNormal(p([0.0, 1.0]), p([1.0, 2.0])), D.Gamma(p([0.5, 3.0]), p([1.0, 2.0])),
             D.Chi2(p([1.0, 4.0])), D.Beta(p([0.5, 3.0]), p([1.0, 2.0])), D.Dirichlet(p([[0.5, 3.0], [1.0, 2.0]])),
             D.StudentT(p([3.0, 5.0])), D.Bernoulli(p([0.3, 0.6])), D.Categorical(p([[0.3, 0.7], [0.5, 0.5]])),
             D.OneHotCategorical(p([[0.3, 0.7], [0.5, 0.5]])), D.Geometric(p([0.3, 0.6])),
             D.Poisson(p([2.0, 30.0])), D.Binomial(p([5.0, 50.0]), p([0.3, 0.6])),
             D.MultivariateNormal(p([0.0, 1.0]), covariance_matrix=p([[2.0, 0.5], [0.5, 1.0]])),
             D.RelaxedBernoulli(p(0.5), probs=p([0.3, 0.6]))]
    for d in dists:
        x = d.sample((500,))
        assert x.device.type == "gpu", d
        lp = d.log_prob(x)
        assert lp.device.type == "gpu" and tuple(lp.shape) == (500,) + tuple(d.batch_shape), d
        assert bool(lp.isfinite().all()), d
    x = torch.poisson(p([3.0, 40.0]).expand(2000, 2)).cpu().numpy()
    assert np.abs(x.mean(0) - [3.0, 40.0]).max() < 5 * math.sqrt(40.0 / 2000)
    g = D.Gamma(p([0.5, 4.0]), 1.0).sample((2000,)).cpu().numpy()
    assert np.abs(g.mean(0) - [0.5, 4.0]).max() < 5 * math.sqrt(4.0 / 2000)
    loc = p([0.0, 1.0]).requires_grad_()
    D.Normal(loc, 1.0).rsample((4,)).sum().backward()
    assert loc.grad.device.type == "gpu" and loc.grad.cpu().tolist() == [4.0, 4.0]
