"""Regression tests for differences from PyTorch found by running the same calls through both
(linalg, special, distributions): each expected value comes from numpy/scipy or a formula
written here, each expected message is PyTorch's text."""
import math
import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.special
import scipy.stats

import ferrotorch as torch
from ferrotorch import distributions as D
from conftest import assert_close as _assert_close, from_numpy

R = np.random.default_rng(7)


def close(actual, expected, **kw):
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **kw)


def dev(device):
    return "cpu" if device == "cpu" else "cuda"


def on(a, device, dtype=None):
    return from_numpy(a, dtype).to(dev(device))


def tri(n, upper, rng=R):
    A = rng.standard_normal((n, n))
    A = np.triu(A) if upper else np.tril(A)
    return A + 3 * np.eye(n) * np.sign(np.diag(A) + 1e-3)


# ----------------------------------------------------------------------------- special

def test_lgamma_digamma_small_negative_float32(device):
    # x - floor(x) rounds to 1.0 in float32 for x = -1e-8, which used to put a pole there.
    x = np.array([-1e-8, -1e-6, -2.0 + 1e-6, -0.25], dtype=np.float32)
    xt = on(x, device)
    x64 = x.astype(np.float64)
    close(torch.special.gammaln(xt), scipy.special.gammaln(x64).astype(np.float32), rtol=2e-5)
    close(torch.lgamma(xt), scipy.special.gammaln(x64).astype(np.float32), rtol=2e-5)
    close(torch.special.digamma(xt), scipy.special.digamma(x64).astype(np.float32), rtol=2e-5)


def test_lgamma_digamma_reflection_float64(device):
    x = np.array([-1e-8, -0.5, -1.5, -2.75, -10.3, 0.25, -1e-300])
    close(torch.lgamma(on(x, device)), scipy.special.gammaln(x), rtol=1e-12)
    close(torch.digamma(on(x, device)), scipy.special.digamma(x), rtol=1e-11)


# ----------------------------------------------------------------------------- dtype errors

@pytest.mark.parametrize("call, message", [
    (lambda A: torch.linalg.det(A), "linalg.det: Expected a floating point or complex tensor as input. Got Long"),
    (lambda A: torch.linalg.inv(A), "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda A: torch.linalg.cholesky(A), "linalg.cholesky: Expected a floating point or complex tensor as input. "
                                         "Got Long"),
    (lambda A: torch.linalg.matrix_norm(A), "linalg.matrix_norm: Expected a floating point or complex tensor as "
                                            "input. Got Long"),
    (lambda A: torch.linalg.vecdot(A, A), "linalg.vecdot: Expected a floating point or complex tensor as input. "
                                          "Got Long"),
    (lambda A: torch.linalg.solve_triangular(A, A, upper=True), "\"triangular_solve_cpu\" not implemented for 'Long'"),
])
def test_integer_input_raises_not_implemented(call, message):
    with pytest.raises(NotImplementedError) as info:
        call(torch.eye(3, dtype=torch.int64))
    assert str(info.value) == message


def test_half_input_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="^linalg.inv: Low precision dtypes not supported. Got Half$"):
        torch.linalg.inv(torch.eye(2, dtype=torch.float16))


@pytest.mark.parametrize("call", [lambda A: torch.linalg.lstsq(A, A), lambda A: torch.linalg.matrix_rank(A)])
def test_lstsq_matrix_rank_integer_message(call):
    with pytest.raises(RuntimeError, match="^This function doesn't handle types other than float and double$"):
        call(torch.eye(3, dtype=torch.int64))


def test_norm_dim_length_message():
    with pytest.raises(RuntimeError, match=r"^linalg.norm: If dim is specified, it must be of length 1 or 2. "
                                           r"Got \[0, 1, 2\]$"):
        torch.linalg.norm(torch.ones(2, 2, 2), dim=(0, 1, 2))


# ----------------------------------------------------------------------------- pinv gradient

def _pinv_grad_reference(A, G, P):
    """The constant-rank derivative of the pseudo-inverse, contracted with G (numpy)."""
    m, n = A.shape
    return (-P.T @ G @ P.T + (np.eye(m) - A @ P) @ G.T @ P @ P.T + P.T @ P @ G.T @ (np.eye(n) - P @ A))


@pytest.mark.parametrize("case", ["rank_deficient", "atol", "hermitian", "wide"])
def test_pinv_gradient(device, case):
    rng = np.random.default_rng(3)
    kwargs = {}
    if case == "rank_deficient":
        A = np.array([[1.0, 2.0], [2.0, 4.0]])
        kwargs = {"rtol": 0.1}
    elif case == "atol":
        A = rng.standard_normal((3, 4))
        kwargs = {"atol": float(np.linalg.svd(A, compute_uv=False)[0]) - 1e-3}  # keeps one singular value
    elif case == "hermitian":
        A = rng.standard_normal((3, 3))
        A = A @ A.T + np.eye(3)
        kwargs = {"hermitian": True}
    else:
        A = rng.standard_normal((2, 4))
    G = rng.standard_normal(A.shape[::-1])
    At = on(A, device).requires_grad_()
    P = torch.linalg.pinv(At, **kwargs)
    (P * on(G, device)).sum().backward()
    Pn = P.detach().cpu().numpy()
    if case == "hermitian":
        close(P, np.linalg.pinv(A), rtol=1e-9, atol=1e-12)
    expected = _pinv_grad_reference(A, G, Pn)
    # PyTorch does not symmetrise the hermitian gradient, nor divide by the dropped singular values.
    assert np.isfinite(At.grad.cpu().numpy()).all()
    close(At.grad.cpu(), expected, rtol=1e-8, atol=1e-10)


def test_pinv_gradcheck_full_rank(device):
    A = on(R.standard_normal((3, 2)), device).requires_grad_()
    assert torch.autograd.gradcheck(lambda a: torch.linalg.pinv(a), (A,))
    assert torch.autograd.gradcheck(lambda a: torch.pinverse(a.mT), (A,))


# ----------------------------------------------------------------------------- torch.triangular_solve

@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve_values(device, upper, transpose, unit):
    A = R.standard_normal((3, 3)) + 4 * np.eye(3)  # the other triangle must be ignored
    b = R.standard_normal((2, 3, 2))
    T = np.triu(A) if upper else np.tril(A)
    if unit:
        np.fill_diagonal(T, 1.0)
    expected = np.linalg.solve(T.T if transpose else T, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = torch.triangular_solve(on(b, device), on(A, device), upper=upper, transpose=transpose,
                                   unitriangular=unit)
    assert type(r).__name__ == "triangular_solve"
    close(r.solution, expected, rtol=1e-10, atol=1e-12)
    close(r.cloned_coefficient, np.broadcast_to(A, (2, 3, 3)), rtol=0, atol=0)


def test_triangular_solve_method_noncontiguous_and_grad(device):
    A = tri(3, upper=True)
    b = R.standard_normal((2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, C = on(b, device).mT.triangular_solve(on(A.T.copy(), device).mT)
        close(X, scipy.linalg.solve_triangular(A, b.T), rtol=1e-10)
        assert C.shape == (3, 3)
        At = on(A, device).requires_grad_()
        bt = on(b.T.copy(), device).requires_grad_()
        assert torch.autograd.gradcheck(lambda a, y: torch.triangular_solve(y, a.triu())[0], (At, bt))


def test_triangular_solve_errors():
    with pytest.raises(RuntimeError, match=r"^torch.triangular_solve: Expected b to have at least 2 dimensions, "
                                           r"but it has 1 dimensions instead$"):
        torch.triangular_solve(torch.ones(3), torch.eye(3))
    with pytest.raises(RuntimeError, match=r"^torch.triangular_solve: Expected A to have at least 2 dimensions, "
                                           r"but it has 1 dimensions instead$"):
        torch.triangular_solve(torch.ones(3, 1), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"^A must be batches of square matrices, but they are 3 by 4 matrices$"):
        torch.triangular_solve(torch.ones(3, 1), torch.ones(3, 4))
    with pytest.raises(RuntimeError, match=r"^Incompatible matrix sizes for triangular_solve: each A matrix is 3 "
                                           r"by 3 but each b matrix is 4 by 2$"):
        torch.triangular_solve(torch.ones(4, 2), torch.eye(3))
    with pytest.raises(RuntimeError, match=r"^Expected b and A to have the same dtype, but found b of type Double "
                                           r"and A of type Float instead.$"):
        torch.triangular_solve(torch.ones(3, 2, dtype=torch.float64), torch.eye(3))
    with pytest.raises(NotImplementedError, match="^\"triangular_solve_cpu\" not implemented for 'Long'$"):
        torch.triangular_solve(torch.ones(3, 2, dtype=torch.int64), torch.eye(3, dtype=torch.int64))


# ----------------------------------------------------------------------------- cholesky_solve / inverse

@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_values_broadcast(device, upper):
    M = R.standard_normal((2, 3, 3))
    A = M @ M.transpose(0, 2, 1) + 3 * np.eye(3)
    L = np.linalg.cholesky(A)
    F = L.transpose(0, 2, 1) if upper else L
    B = R.standard_normal((3, 2))  # broadcast against the batch of factors
    out = torch.cholesky_solve(on(B, device), on(F, device), upper)
    close(out, np.linalg.solve(A, B), rtol=1e-10, atol=1e-12)
    close(on(B, device).cholesky_solve(on(F, device), upper=upper), np.linalg.solve(A, B), rtol=1e-10)


def test_cholesky_solve_grad_through_factor(device):
    M = R.standard_normal((3, 3))
    A = on(M @ M.T + 3 * np.eye(3), device).requires_grad_()
    B = on(R.standard_normal((3, 2)), device).requires_grad_()

    def f(a, b):
        a = (a + a.mT) / 2
        return torch.cholesky_solve(b, torch.linalg.cholesky(a))

    assert torch.autograd.gradcheck(f, (A, B))


def test_cholesky_solve_errors_and_empty():
    with pytest.raises(RuntimeError, match=r"^b should have at least 2 dimensions, but has 1 dimensions instead$"):
        torch.cholesky_solve(torch.ones(3), torch.eye(3))
    with pytest.raises(RuntimeError, match=r"^u should have at least 2 dimensions, but has 1 dimensions instead$"):
        torch.cholesky_solve(torch.ones(3, 2), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"^Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 "
                                           r"but each b matrix is 4 by 2$"):
        torch.cholesky_solve(torch.ones(4, 2), torch.eye(3))
    with pytest.raises(NotImplementedError, match="^\"cholesky_solve_cpu\" not implemented for 'Long'$"):
        torch.cholesky_solve(torch.ones(3, 2, dtype=torch.int64), torch.eye(3, dtype=torch.int64))
    assert torch.cholesky_solve(torch.zeros(2, 3, 0), torch.eye(3)).shape == (2, 3, 0)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_values(device, upper):
    M = R.standard_normal((2, 3, 3))
    A = M @ M.transpose(0, 2, 1) + 3 * np.eye(3)
    L = np.linalg.cholesky(A)
    F = L.transpose(0, 2, 1) if upper else L
    close(torch.cholesky_inverse(on(F, device), upper), np.linalg.inv(A), rtol=1e-10, atol=1e-12)
    # Only the factor's triangle is read: junk in the other one changes nothing.
    junk = F + (np.tril(np.ones((3, 3)), -1) if upper else np.triu(np.ones((3, 3)), 1))
    close(on(junk, device).cholesky_inverse(upper=upper), np.linalg.inv(A), rtol=1e-10, atol=1e-12)


def test_cholesky_inverse_grad_and_errors(device):
    L = on(tri(3, upper=False), device).requires_grad_()
    assert torch.autograd.gradcheck(lambda l: torch.cholesky_inverse(l.tril()), (L,))
    with pytest.raises(torch.linalg.LinAlgError, match=r"^cholesky_inverse: \(Batch element 1\): The diagonal "
                                                       r"element 1 is zero, the inversion could not be completed "
                                                       r"because the input matrix is singular.$"):
        torch.cholesky_inverse(torch.stack([torch.eye(2), torch.zeros(2, 2)]))
    with pytest.raises(torch.linalg.LinAlgError, match=r"^cholesky_inverse: The diagonal element 2 is zero"):
        torch.cholesky_inverse(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(RuntimeError, match=r"^cholesky_inverse: The input tensor A must have at least 2 dimensions.$"):
        torch.cholesky_inverse(torch.ones(3))
    with pytest.raises(RuntimeError, match=r"^cholesky_inverse: A must be batches of square matrices, but they are "
                                           r"3 by 4 matrices$"):
        torch.cholesky_inverse(torch.ones(3, 4))
    with pytest.raises(NotImplementedError, match="^\"cholesky_inverse_out_cpu\" not implemented for 'Long'$"):
        torch.cholesky_inverse(torch.eye(3, dtype=torch.int64))
    assert torch.cholesky_inverse(torch.zeros(2, 0, 0)).shape == (2, 0, 0)


def test_torch_lu_solve(device):
    A = R.standard_normal((2, 3, 3))
    b = R.standard_normal((3, 2))
    LU, piv = torch.linalg.lu_factor(on(A, device))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        close(torch.lu_solve(on(b, device), LU, piv), np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
        close(on(b, device).lu_solve(LU, piv), np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
        At = on(A[0], device).requires_grad_()
        assert torch.autograd.gradcheck(lambda a: torch.lu_solve(on(b, device), *torch.linalg.lu_factor(a)), (At,))


# ----------------------------------------------------------------------------- KL between families

def _kl_quad(p_pdf, q_logpdf, lo, hi):
    def f(x):
        p = p_pdf(x)
        return 0.0 if p == 0 else p * (np.log(p) - q_logpdf(x))
    return scipy.integrate.quad(f, lo, hi, limit=200)[0]


T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
ST = scipy.stats
# (p, q, p's scipy distribution, q's scipy log-density, integration range)
_PAIRS = [
    (lambda: D.Normal(T(0.3), T(0.7)), lambda: D.Laplace(T(-0.2), T(1.5)),
     ST.norm(0.3, 0.7), ST.laplace(-0.2, 1.5).logpdf, (-np.inf, np.inf)),
    (lambda: D.Normal(T(0.3), T(0.7)), lambda: D.Gumbel(T(-0.2), T(1.5)),
     ST.norm(0.3, 0.7), ST.gumbel_r(-0.2, 1.5).logpdf, (-np.inf, np.inf)),
    (lambda: D.Exponential(T(1.7)), lambda: D.Normal(T(0.5), T(2.0)),
     ST.expon(scale=1 / 1.7), ST.norm(0.5, 2.0).logpdf, (0, np.inf)),
    (lambda: D.Exponential(T(1.7)), lambda: D.Gamma(T(2.5), T(1.5)),
     ST.expon(scale=1 / 1.7), ST.gamma(2.5, scale=1 / 1.5).logpdf, (0, np.inf)),
    (lambda: D.Exponential(T(1.7)), lambda: D.Gumbel(T(0.4), T(0.8)),
     ST.expon(scale=1 / 1.7), ST.gumbel_r(0.4, 0.8).logpdf, (0, np.inf)),
    (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Exponential(T(0.6)),
     ST.gamma(2.5, scale=1 / 1.5), ST.expon(scale=1 / 0.6).logpdf, (0, np.inf)),
    (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Normal(T(1.0), T(1.3)),
     ST.gamma(2.5, scale=1 / 1.5), ST.norm(1.0, 1.3).logpdf, (0, np.inf)),
    (lambda: D.Gamma(T(2.5), T(1.5)), lambda: D.Gumbel(T(0.4), T(0.8)),
     ST.gamma(2.5, scale=1 / 1.5), ST.gumbel_r(0.4, 0.8).logpdf, (0, np.inf)),
    (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Exponential(T(0.6)),
     ST.beta(2.0, 3.0), ST.expon(scale=1 / 0.6).logpdf, (0, 1)),
    (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Gamma(T(2.5), T(1.5)),
     ST.beta(2.0, 3.0), ST.gamma(2.5, scale=1 / 1.5).logpdf, (0, 1)),
    (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Normal(T(0.1), T(0.5)),
     ST.beta(2.0, 3.0), ST.norm(0.1, 0.5).logpdf, (0, 1)),
    (lambda: D.Beta(T(2.0), T(3.0)), lambda: D.Uniform(T(-0.5), T(1.5)),
     ST.beta(2.0, 3.0), ST.uniform(-0.5, 2.0).logpdf, (0, 1)),
    (lambda: D.Laplace(T(0.3), T(0.7)), lambda: D.Normal(T(-0.4), T(1.2)),
     ST.laplace(0.3, 0.7), ST.norm(-0.4, 1.2).logpdf, (-np.inf, np.inf)),
    (lambda: D.Gumbel(T(0.3), T(0.7)), lambda: D.Normal(T(-0.4), T(1.2)),
     ST.gumbel_r(0.3, 0.7), ST.norm(-0.4, 1.2).logpdf, (-10.0, 40.0)),
    (lambda: D.Uniform(T(-0.5), T(1.5)), lambda: D.Normal(T(0.2), T(0.9)),
     ST.uniform(-0.5, 2.0), ST.norm(0.2, 0.9).logpdf, (-0.5, 1.5)),
    (lambda: D.Uniform(T(-0.5), T(1.5)), lambda: D.Gumbel(T(0.2), T(0.9)),
     ST.uniform(-0.5, 2.0), ST.gumbel_r(0.2, 0.9).logpdf, (-0.5, 1.5)),
    (lambda: D.Uniform(T(0.0), T(1.5)), lambda: D.Exponential(T(0.6)),
     ST.uniform(0.0, 1.5), ST.expon(scale=1 / 0.6).logpdf, (0.0, 1.5)),
    (lambda: D.Uniform(T(0.0), T(1.5)), lambda: D.Gamma(T(2.5), T(1.5)),
     ST.uniform(0.0, 1.5), ST.gamma(2.5, scale=1 / 1.5).logpdf, (0.0, 1.5)),
    (lambda: D.Uniform(T(0.2), T(0.7)), lambda: D.Beta(T(2.0), T(3.0)),
     ST.uniform(0.2, 0.5), ST.beta(2.0, 3.0).logpdf, (0.2, 0.7)),
]


@pytest.mark.parametrize("make_p, make_q, p_ref, q_logpdf, support", _PAIRS,
                         ids=[f"{i}" for i in range(len(_PAIRS))])
def test_kl_cross_family_matches_integral(make_p, make_q, p_ref, q_logpdf, support):
    p, q = make_p(), make_q()
    expected = _kl_quad(p_ref.pdf, q_logpdf, *support)
    got = D.kl_divergence(p, q)
    assert got.shape == () and got.dtype == torch.float64
    assert abs(got.item() - expected) < 1e-7 * max(1.0, abs(expected)), (type(p).__name__, type(q).__name__)


def test_kl_bernoulli_poisson(device):
    probs, rate = np.array([0.0, 0.3, 1.0]), np.array([1.0, 2.5, 0.4])
    pois = scipy.stats.poisson(rate)
    expected = sum(np.where(pr > 0, pr * (np.log(np.where(pr > 0, pr, 1)) - pois.logpmf(x)), 0.0)
                   for x, pr in ((0, 1 - probs), (1, probs)))
    got = D.kl_divergence(D.Bernoulli(on(probs, device)), D.Poisson(on(rate, device)))
    close(got.cpu(), expected, rtol=1e-10)


def test_kl_cross_family_batched_gradient(device):
    loc = on(np.array([-1.0, 0.2, 2.0]), device).requires_grad_()
    scale = on(np.array([0.5, 1.5, 3.0]), device).requires_grad_()

    def f(m, s):
        return D.kl_divergence(D.Normal(m, s), D.Gumbel(m.detach() * 0 + 0.3, s.detach() * 0 + 1.1))

    assert torch.autograd.gradcheck(f, (loc, scale))
    u = on(np.array([0.1, 0.3, 0.6]), device).requires_grad_()
    g = lambda low: D.kl_divergence(D.Uniform(low, low + 0.3), D.Beta(T(2.0).to(dev(device)), T(3.0).to(dev(device))))  # noqa: E731,E501
    assert torch.autograd.gradcheck(g, (u,))


@pytest.mark.parametrize("p, q", [
    (lambda: D.Normal(torch.zeros(3), 1.0), lambda: D.Gamma(1.0, 1.0)),
    (lambda: D.Normal(torch.zeros(3), 1.0), lambda: D.Uniform(0.0, 1.0)),
    (lambda: D.Laplace(torch.zeros(3), 1.0), lambda: D.Exponential(1.0)),
    (lambda: D.Gumbel(torch.zeros(3), 1.0), lambda: D.Beta(1.0, 1.0)),
    (lambda: D.Exponential(torch.ones(3)), lambda: D.Uniform(0.0, 1.0)),
    (lambda: D.Gamma(torch.ones(3), 1.0), lambda: D.Beta(1.0, 1.0)),
    (lambda: D.Poisson(torch.ones(3)), lambda: D.Bernoulli(0.5)),
    (lambda: D.Poisson(torch.ones(3)), lambda: D.Binomial(4, torch.tensor(0.5))),
])
def test_kl_support_mismatch_is_inf(p, q):
    out = D.kl_divergence(p(), q())
    assert out.shape == (3,) and bool(out.isposinf().all())


def test_kl_uniform_outside_support_is_inf():
    out = D.kl_divergence(D.Uniform(torch.tensor([-0.5, 0.0]), torch.tensor([0.5, 1.0])), D.Exponential(2.0))
    assert math.isinf(out[0].item()) and abs(out[1].item() - (math.log(1.0) - math.log(2.0) + 1.0 - 0.0)) < 1e-6
    out = D.kl_divergence(D.Beta(torch.tensor([2.0, 2.0]), 3.0), D.Uniform(torch.tensor([0.1, 0.0]), 1.0))
    assert math.isinf(out[0].item()) and math.isfinite(out[1].item())
