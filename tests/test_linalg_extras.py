"""LDL^T, geqrf/ormqr, LOBPCG, randomized low-rank SVD/PCA, nuclear/Frobenius norms, the removed
functions' errors and torch.binomial, against numpy/scipy (LAPACK) references."""
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import ferrotorch as torch
from conftest import assert_close, to_numpy

RNG = np.random.default_rng(1234)


def _sym(n, seed):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return a + a.T


# Matrices chosen so that sytf2 takes 1x1 pivots, interchanges and 2x2 blocks.
LDL_CASES = [_sym(1, 0), _sym(2, 0), _sym(3, 0), _sym(5, 0), _sym(7, 0),
             np.array([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]]),
             np.array([[1e-3, 1, 0, 0], [1, 1e-3, 2, 0], [0, 2, 1e-4, 5], [0, 0, 5, 1]])]


@pytest.mark.parametrize("a", LDL_CASES, ids=lambda a: f"n{a.shape[0]}")
def test_ldl_factor_matches_lapack_sytrf(a):
    ld, piv, info = sl.lapack.dsytrf(a, lower=1)
    LD, pivots = torch.linalg.ldl_factor(torch.tensor(a))
    assert pivots.dtype == torch.int32
    assert pivots.tolist() == piv.tolist()
    assert_close(LD, np.tril(ld), rtol=1e-12, atol=1e-13)


def test_ldl_factor_reads_only_lower_triangle_and_batches():
    a = np.stack([LDL_CASES[3], _sym(5, 7)])
    junk = a + np.triu(np.full((5, 5), 9.0), 1)
    LD, pivots, info = torch.linalg.ldl_factor_ex(torch.tensor(junk))
    for i in range(2):
        ld, piv, _ = sl.lapack.dsytrf(a[i], lower=1)
        assert pivots[i].tolist() == piv.tolist()
        assert_close(LD[i], np.tril(ld), rtol=1e-12, atol=1e-13)
    assert info.tolist() == [0, 0]


def test_ldl_factor_ex_zero_column_info_and_ldl_factor_error():
    LD, pivots, info = torch.linalg.ldl_factor_ex(torch.zeros(3, 3))
    assert info.item() == 1 and pivots.tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError, match=r"torch.linalg.ldl_factor: Unknown error code: 1\."):
        torch.linalg.ldl_factor(torch.zeros(3, 3))


def test_ldl_factor_errors():
    with pytest.raises(TypeError, match=r"linalg_ldl_factor\(\): argument 'input' \(position 1\) must be Tensor, "
                                        "not list"):
        torch.linalg.ldl_factor([1.0])
    with pytest.raises(RuntimeError, match="torch.linalg.ldl_factor_ex: The input tensor A must have at least 2 "
                                           "dimensions."):
        torch.linalg.ldl_factor(torch.ones(3))
    with pytest.raises(RuntimeError, match="torch.linalg.ldl_factor_ex: A must be batches of square matrices, but "
                                           "they are 3 by 4 matrices"):
        torch.linalg.ldl_factor(torch.ones(3, 4))
    with pytest.raises(NotImplementedError, match="Expected a floating point or complex tensor as input. Got Long"):
        torch.linalg.ldl_factor(torch.ones(3, 3, dtype=torch.int64))


def test_ldl_factor_empty():
    LD, pivots = torch.linalg.ldl_factor(torch.zeros(0, 0))
    assert tuple(LD.shape) == (0, 0) and tuple(pivots.shape) == (0,)


@pytest.mark.parametrize("a", LDL_CASES[2:], ids=lambda a: f"n{a.shape[0]}")
def test_ldl_solve_matches_numpy(a, device):
    n = a.shape[0]
    b = RNG.standard_normal((n, 3))
    LD, pivots = torch.linalg.ldl_factor(torch.tensor(a).to(device))
    X = torch.linalg.ldl_solve(LD, pivots, torch.tensor(b).to(device))
    assert_close(X.cpu(), np.linalg.solve(a, b), rtol=1e-9, atol=1e-9)


def test_ldl_solve_broadcasts_and_noncontiguous_b():
    a = LDL_CASES[4]
    b = RNG.standard_normal((2, 3, 7))  # used transposed: (2, 7, 3) non-contiguous
    LD, pivots = torch.linalg.ldl_factor(torch.tensor(a))
    B = torch.tensor(b).mT
    assert not B.is_contiguous()
    X = torch.linalg.ldl_solve(LD, pivots, B)
    assert_close(X, np.linalg.solve(a, b.transpose(0, 2, 1)), rtol=1e-9, atol=1e-10)


def test_ldl_solve_backward_matches_closed_form():
    # d/dB sum(W * A^-1 B) = A^-T W.
    a = LDL_CASES[5]
    LD, pivots = torch.linalg.ldl_factor(torch.tensor(a))
    B = torch.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    w = RNG.standard_normal((3, 2))
    (torch.linalg.ldl_solve(LD, pivots, B) * torch.tensor(w)).sum().backward()
    assert_close(B.grad, np.linalg.solve(a.T, w), rtol=1e-10, atol=1e-12)


def test_ldl_solve_errors():
    LD, pivots = torch.linalg.ldl_factor(torch.tensor(LDL_CASES[2]))
    with pytest.raises(RuntimeError, match="Expected b and A to have the same dtype, but found b of type Float and A "
                                           "of type Double instead."):
        torch.linalg.ldl_solve(LD, pivots, torch.ones(3, 2))
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is 3 "
                                           "by 3 but each b matrix is 4 by 2"):
        torch.linalg.ldl_solve(LD, pivots, torch.ones(4, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"Expected LD.shape\[:-1\] and pivots.shape to be the same, but got "
                                           r"pivots with shape \[2\] instead"):
        torch.linalg.ldl_solve(LD, pivots[:2], torch.ones(3, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="torch.linalg.ldl_solve: Expected pivots to be integers. Got Float"):
        torch.linalg.ldl_solve(LD, pivots.float(), torch.ones(3, 2, dtype=torch.float64))


# ----------------------------------------------------------------------------- geqrf / ormqr

@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (4, 4), (3, 1), (1, 3)])
def test_geqrf_matches_lapack(shape, device):
    a = RNG.standard_normal(shape)
    (qr_raw, tau), _ = sl.qr(a, mode="raw")
    A, T = torch.geqrf(torch.tensor(a).to(device))
    assert_close(A.cpu(), qr_raw, rtol=1e-12, atol=1e-13)
    assert_close(T.cpu(), tau, rtol=1e-12, atol=1e-13)


def test_geqrf_zero_column_below_diagonal_gives_zero_tau_and_batches():
    a = np.array([[1.0, 2], [0, 3], [0, 4]])
    (qr_raw, tau), _ = sl.qr(a, mode="raw")
    A, T = torch.geqrf(torch.tensor(np.stack([a, a * 2]).transpose(0, 2, 1)).mT)  # non-contiguous batch
    assert_close(A[0], qr_raw, atol=1e-14)
    assert_close(T[0], tau, atol=1e-14)
    assert T[0, 0].item() == 0.0


def test_geqrf_empty_and_errors():
    A, T = torch.geqrf(torch.zeros(0, 3))
    assert tuple(A.shape) == (0, 3) and tuple(T.shape) == (0,)
    with pytest.raises(RuntimeError, match="torch.geqrf: input must have at least 2 dimensions."):
        torch.geqrf(torch.ones(3))
    with pytest.raises(NotImplementedError, match="\"geqrf_cpu\" not implemented for 'Long'"):
        torch.geqrf(torch.ones(3, 3, dtype=torch.int64))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_matches_q_from_scipy(left, transpose, device):
    a = RNG.standard_normal((5, 3))
    Q = sl.qr(a)[0]  # full 5x5 Q = H1 H2 H3
    c = RNG.standard_normal((5, 2) if left else (2, 5))
    op = Q.T if transpose else Q
    A, T = torch.geqrf(torch.tensor(a).to(device))
    out = torch.ormqr(A, T, torch.tensor(c).to(device), left, transpose)
    assert_close(out.cpu(), op @ c if left else c @ op, rtol=1e-10, atol=1e-12)


def test_ormqr_backward_matches_finite_differences():
    a = RNG.standard_normal((4, 3))
    A0, T0 = torch.geqrf(torch.tensor(a))
    c = RNG.standard_normal((4, 2))
    w = RNG.standard_normal((4, 2))

    def f(A_np, T_np, C_np):
        return float((torch.ormqr(torch.tensor(A_np), torch.tensor(T_np), torch.tensor(C_np)) * torch.tensor(w)).sum())

    A = A0.detach().clone().requires_grad_(True)
    T = T0.detach().clone().requires_grad_(True)
    C = torch.tensor(c, requires_grad=True)
    (torch.ormqr(A, T, C) * torch.tensor(w)).sum().backward()
    args = [to_numpy(A0), to_numpy(T0), c]
    for idx, g in enumerate((A.grad, T.grad, C.grad)):
        num = np.zeros_like(args[idx])
        for pos in np.ndindex(num.shape):
            plus = [x.copy() for x in args]
            minus = [x.copy() for x in args]
            plus[idx][pos] += 1e-6
            minus[idx][pos] -= 1e-6
            num[pos] = (f(*plus) - f(*minus)) / 2e-6
        assert_close(g, num, rtol=1e-6, atol=1e-7)


def test_ormqr_errors():
    A, T = torch.geqrf(torch.ones(4, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"torch.ormqr: other.shape\[-2\] must be equal to input.shape\[-2\]"):
        torch.ormqr(A, T, torch.ones(5, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="torch.ormqr: Expected input and other to have the same dtype, but input "
                                           "has dtypeDouble and other has dtype Float"):
        torch.ormqr(A, T, torch.ones(4, 2))
    with pytest.raises(RuntimeError, match="torch.ormqr: other must have at least 2 dimensions."):
        torch.ormqr(A, T, torch.ones(4, dtype=torch.float64))


def test_geqrf_then_orgqr_is_q():
    a = RNG.standard_normal((5, 3))
    A, T = torch.geqrf(torch.tensor(a))
    Q = torch.orgqr(A, T)
    assert_close(Q @ torch.tensor(a).new_tensor(np.triu(to_numpy(A)[:3])), a, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- norms

def test_nuclear_norm_values_grad_and_keepdim(device):
    a = RNG.standard_normal((2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = torch.tensor(a).to(device).requires_grad_(True)
        out = torch.nuclear_norm(x)
        assert tuple(torch.nuclear_norm(x, (1, 2), True).shape) == (2, 1, 1)
        assert tuple(torch.nuclear_norm(x[0], True).shape) == (1, 1)
    assert_close(out.detach().cpu(), np.linalg.norm(a, "nuc", axis=(1, 2)), rtol=1e-10)
    out.sum().backward()
    U, _, Vh = np.linalg.svd(a, full_matrices=False)
    assert_close(x.grad.cpu(), U @ Vh, rtol=1e-8, atol=1e-10)  # d||A||_* / dA = U V^T


def test_nuclear_norm_errors_and_warning():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="linalg.matrix_norm: The input tensor A must have at least 2 "
                                               "dimensions."):
            torch.nuclear_norm(torch.ones(3))
        with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0"):
            torch.nuclear_norm(torch.ones(2, 3, 3), dim=(0,))


def test_frobenius_norm_values_grad_and_errors(device):
    a = RNG.standard_normal((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = torch.tensor(a).to(device).mT.requires_grad_(True)  # non-contiguous
        out = torch.frobenius_norm(x, (0, 1))
        kd = torch.frobenius_norm(x, 1, keepdim=True)
        scalar = torch.frobenius_norm(torch.tensor(3.0), ())
        with pytest.raises(RuntimeError, match="Expected at most 2 dimensions, but got 3 dimensions instead."):
            torch.frobenius_norm(torch.ones(2, 2, 2), (0, 1, 2))
    assert_close(out.detach().cpu(), np.linalg.norm(a), rtol=1e-12)
    assert_close(kd.detach().cpu(), np.linalg.norm(a.T, axis=1, keepdims=True), rtol=1e-12)
    assert scalar.item() == 3.0
    out.backward()
    assert_close(x.grad.cpu(), a.T / np.linalg.norm(a), rtol=1e-10)


# ----------------------------------------------------------------------------- removed functions

def test_removed_functions_raise_pytorch_messages():
    A = torch.eye(2)
    with pytest.raises(RuntimeError) as e:
        torch.qr(A, some=False)
    assert str(e.value).startswith("This function was deprecated since version 1.9 and is now removed. `torch.qr` "
                                   "is deprecated in favor of `torch.linalg.qr`")
    assert str(e.value).endswith("Since `some` was set to False, use mode='complete'.")
    with pytest.raises(RuntimeError, match="^This function was deprecated since version 1.9 and is now removed.\n"
                                           "Please use the `torch.linalg.matrix_rank` function instead."):
        torch.matrix_rank(A)
    for fn in (torch.lstsq, torch.solve, A.lstsq, A.solve):
        with pytest.raises(RuntimeError, match="should be replaced with:\nX = torch.linalg."):
            fn(A, A) if fn in (torch.lstsq, torch.solve) else fn(A)
    for fn in (torch.symeig, A.symeig):
        with pytest.raises(RuntimeError, match=r"L, V = torch.linalg.eigh\(A, UPLO='U' if upper else 'L'\)$"):
            fn(A) if fn is torch.symeig else fn()
    for fn in (torch.eig, A.eig):
        with pytest.raises(RuntimeError, match=r"L_complex, V_complex = torch.linalg.eig\(A\)$"):
            fn(A) if fn is torch.eig else fn(eigenvectors=True)
    with pytest.raises(RuntimeError, match="Since `some` was set to True, use mode='reduced'."):
        A.qr()


# ----------------------------------------------------------------------------- lobpcg / low rank

@pytest.mark.parametrize("largest", [True, False])
def test_lobpcg_matches_eigh(largest):
    rs = np.random.default_rng(5)
    q, _ = np.linalg.qr(rs.standard_normal((20, 20)))
    evals = np.linspace(1.0, 20.0, 20)
    a = (q * evals) @ q.T
    E, X = torch.lobpcg(torch.tensor(a), k=3, largest=largest, niter=-1, tol=1e-10)
    expected = evals[::-1][:3] if largest else evals[:3]
    assert_close(E, expected, rtol=1e-8)
    x = to_numpy(X)
    assert_close(a @ x, x * expected, atol=1e-6)


def test_lobpcg_generalized_problem():
    rs = np.random.default_rng(6)
    a = rs.standard_normal((15, 15))
    a = a + a.T
    b = np.diag(rs.uniform(1.0, 2.0, 15))
    E, _ = torch.lobpcg(torch.tensor(a), k=2, B=torch.tensor(b), niter=-1, tol=1e-10)
    expected = np.sort(sl.eigh(a, b, eigvals_only=True))[::-1][:2]
    assert_close(E, expected, rtol=1e-7)


def test_lobpcg_errors():
    with pytest.raises(ValueError, match=r"LOBPCG algorithm is not applicable when the number of A rows \(=5\) is "
                                         r"smaller than 3 x the number of requested eigenpairs \(=2\)"):
        torch.lobpcg(torch.ones(5, 5), k=2)
    with pytest.raises(AssertionError, match=r"A must be square, got shape torch.Size\(\[5, 4\]\)"):
        torch.lobpcg(torch.ones(5, 4), k=1)


def test_svd_lowrank_recovers_exact_low_rank_matrix(device):
    rs = np.random.default_rng(7)
    a = rs.standard_normal((12, 3)) @ rs.standard_normal((3, 9))
    torch.manual_seed(0)
    U, S, V = torch.svd_lowrank(torch.tensor(a).to(device), q=4)
    assert tuple(U.shape) == (12, 4) and tuple(V.shape) == (9, 4)
    assert_close(S[:3].cpu(), np.linalg.svd(a, compute_uv=False)[:3], rtol=1e-9)
    assert_close(((U * S.unsqueeze(0)) @ V.mT).cpu(), a, atol=1e-9)


def test_svd_lowrank_wide_and_with_m():
    rs = np.random.default_rng(8)
    a = rs.standard_normal((3, 10))
    m = rs.standard_normal((1, 10))
    U, S, V = torch.svd_lowrank(torch.tensor(a), q=3, M=torch.tensor(m))
    assert_close(S, np.linalg.svd(a - m, compute_uv=False), rtol=1e-9)


def test_pca_lowrank_centers_columns_and_checks_q():
    rs = np.random.default_rng(9)
    a = rs.standard_normal((30, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1]) + 10.0
    U, S, V = torch.pca_lowrank(torch.tensor(a), q=5)
    assert_close(S, np.linalg.svd(a - a.mean(0), compute_uv=False), rtol=1e-8)
    U2, S2, V2 = torch.pca_lowrank(torch.tensor(a), q=5, center=False)
    assert_close(S2, np.linalg.svd(a, compute_uv=False), rtol=1e-8)
    with pytest.raises(ValueError, match=r"q\(=6\) must be non-negative integer and not greater than min\(m, n\)=5"):
        torch.pca_lowrank(torch.tensor(a), q=6)
    with pytest.raises(ValueError, match=r"niter\(=-1\) must be non-negative integer"):
        torch.pca_lowrank(torch.tensor(a), niter=-1)


# ----------------------------------------------------------------------------- binomial

@pytest.mark.parametrize("n,p", [(10.0, 0.3), (200.0, 0.2), (200.0, 0.9)])
def test_binomial_moments_and_support(n, p, device):
    torch.manual_seed(1)
    size = 20000
    x = to_numpy(torch.binomial(torch.full((size,), n, dtype=torch.float64).to(device),
                                torch.full((size,), p, dtype=torch.float64).to(device)).cpu())
    assert np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= n
    mean, var = n * p, n * p * (1 - p)
    # Five standard errors of the sample mean and variance.
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / size)
    assert abs(x.var() - var) < 5 * var * np.sqrt(2.0 / size) + 0.05


def test_binomial_generator_is_reproducible():
    n, p = torch.full((50,), 30.0), torch.full((50,), 0.4)
    a = torch.binomial(n, p, generator=torch.Generator().manual_seed(3))
    b = torch.binomial(n, p, generator=torch.Generator().manual_seed(3))
    c = torch.binomial(n, p, generator=torch.Generator().manual_seed(4))
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_binomial_edge_cases_broadcast_and_errors():
    out = torch.binomial(torch.tensor([5.0, 0.0, 4.0, 3.0]), torch.tensor([1.0, 0.5, 0.0, float("nan")]))
    assert out[:3].tolist() == [5.0, 0.0, 0.0] and np.isnan(out[3].item())
    assert tuple(torch.binomial(torch.tensor([5.0, 3.0]), torch.tensor([0.5])).shape) == (2,)
    assert torch.binomial(torch.tensor(5.0), torch.tensor(1.0)).item() == 5.0
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count, got: Long"):
        torch.binomial(torch.tensor([5]), torch.tensor([0.5]))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        torch.binomial(torch.tensor([5.0]), torch.tensor([0.5], dtype=torch.float64))
    with pytest.raises(TypeError, match="binomial\\(\\): argument 'prob' \\(position 2\\) must be Tensor, not float"):
        torch.binomial(torch.tensor([5.0]), 0.5)
