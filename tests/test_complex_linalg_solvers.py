"""Complex (complex64/complex128) input to the dense solvers and factorisations: inv, det, slogdet,
logdet, solve, lu_factor/lu_solve/lu/lu_unpack, solve_triangular, cholesky (+ _ex, _solve,
_inverse), qr, householder_product, matrix_exp, matrix_power, multi_dot, vecdot and
triangular_solve, against numpy/scipy on every device: result dtypes (slogdet's sign complex,
logabsdet real), batching and broadcasting, conjugate transposes (adjoint, left=False, upper
Cholesky), LAPACK's pivot choice (|re| + |im|) and QR's real R diagonal, errors for mixed dtypes,
and gradients against central differences (PyTorch's convention dL/dre + i dL/dim)."""
import warnings

import numpy as np
import pytest
import scipy.linalg

import ferrotorch as torch
from conftest import DEVICES, assert_close as _assert_close, finite_difference_grad

COMPLEX = ["complex64", "complex128"]
TOL = {"complex64": dict(rtol=1e-4, atol=1e-4), "complex128": dict(rtol=1e-9, atol=1e-10)}


def assert_close(actual, expected, **tol):
    """conftest's comparison, after bringing a GPU result to the host."""
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **tol)


def crand(shape, seed, dtype="complex128"):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def hermitian_pd(shape, seed, dtype="complex128"):
    """A batch of well-conditioned Hermitian positive-definite matrices."""
    a = crand(shape, seed).astype(np.complex128)
    n = shape[-1]
    return (a @ np.swapaxes(a.conj(), -1, -2) + n * np.eye(n)).astype(dtype)


def T(a, device):
    return torch.tensor(np.ascontiguousarray(a), device=device)


# ----------------------------------------------------------------------------- inv / det / slogdet

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", COMPLEX)
def test_inv_det_slogdet_logdet_batched(device, dtype):
    a = crand((2, 3, 3), 0, dtype)
    A = T(a, device)
    tol = TOL[dtype]
    assert_close(torch.linalg.inv(A), np.linalg.inv(a), **tol)
    assert_close(torch.inverse(A), np.linalg.inv(a), **tol)
    assert_close(torch.linalg.det(A), np.linalg.det(a), **tol)
    sign, logabsdet = torch.linalg.slogdet(A)
    ref_sign, ref_logabsdet = np.linalg.slogdet(a)
    assert sign.dtype == getattr(torch, dtype)
    assert logabsdet.dtype == (torch.float32 if dtype == "complex64" else torch.float64)
    assert_close(sign, ref_sign, **tol)
    assert_close(logabsdet, ref_logabsdet, **tol)
    assert_close(torch.slogdet(A).sign, ref_sign, **tol)
    assert_close(torch.logdet(A), np.log(np.linalg.det(a)), **tol)
    info = torch.linalg.inv_ex(A).info
    assert info.dtype == torch.int32 and info.cpu().tolist() == [0, 0]


def test_singular_complex_matrix():
    a = np.array([[1 + 1j, 2 + 2j], [1j, 2j]])  # second column = 2 * first
    A = T(a, "cpu")
    sign, logabsdet = torch.linalg.slogdet(A)
    assert sign.item() == 0 and logabsdet.item() == -np.inf
    assert torch.linalg.det(A).item() == 0
    # PyTorch's complex logdet of a singular matrix: -inf real part, NaN imaginary part.
    value = torch.logdet(A).item()
    assert value.real == -np.inf and np.isnan(value.imag)
    with pytest.raises(torch.linalg.LinAlgError, match="linalg.inv: The diagonal element 2 is zero"):
        torch.linalg.inv(A)
    assert torch.linalg.inv_ex(A).info.item() == 2


def test_inv_and_slogdet_out():
    a = crand((3, 3), 1)
    out = torch.empty((3, 3), dtype=torch.complex128)
    assert torch.linalg.inv(T(a, "cpu"), out=out) is out
    assert_close(out, np.linalg.inv(a))
    sign, logabsdet = torch.empty((), dtype=torch.complex128), torch.empty((), dtype=torch.float64)
    torch.linalg.slogdet(T(a, "cpu"), out=(sign, logabsdet))
    ref_sign, ref_logabsdet = np.linalg.slogdet(a)
    assert_close(sign, ref_sign)
    assert_close(logabsdet, ref_logabsdet)


# ----------------------------------------------------------------------------- solve / LU

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", COMPLEX)
def test_solve_broadcast_vector_and_left_false(device, dtype):
    a, b = crand((2, 3, 3), 2, dtype), crand((3,), 3, dtype)
    A, tol = T(a, device), TOL[dtype]
    assert_close(torch.linalg.solve(A, T(b, device)), np.linalg.solve(a, b[None, :, None])[..., 0], **tol)
    m = crand((4, 3), 4, dtype)  # X A = M for every A in the batch
    expected = m @ np.linalg.inv(a)
    assert_close(torch.linalg.solve(A, T(m, device), left=False), expected, **tol)
    result, info = torch.linalg.solve_ex(A, T(m, device), left=False)
    assert_close(result, expected, **tol)
    assert info.cpu().tolist() == [0, 0]


def test_solve_requires_one_dtype():
    A = T(crand((2, 2), 5), "cpu")
    message = ("linalg.solve: Expected A and B to have the same dtype, but found A of type ComplexDouble and B "
               "of type Double instead")
    with pytest.raises(RuntimeError, match=message):
        torch.linalg.solve(A, torch.ones(2, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="found A of type Float and B of type ComplexFloat"):
        torch.linalg.solve(torch.eye(2), torch.ones(2, 1, dtype=torch.complex64))


def test_lu_pivots_compare_abs_re_plus_abs_im():
    # |1+1j| = 1.41 < 1.5 but |re| + |im| = 2 > 1.5: LAPACK's zgetrf (izamax) picks row 2.
    A = T(np.array([[1.5, 1.0], [1 + 1j, 2.0]]), "cpu")
    LU, pivots = torch.linalg.lu_factor(A)
    assert pivots.tolist() == [2, 2]
    assert_close(LU[1, 0], 1.5 / (1 + 1j))


@pytest.mark.parametrize("device", DEVICES)
def test_lu_factor_lu_unpack_and_lu(device):
    a = crand((2, 4, 3), 6)
    LU, pivots = torch.linalg.lu_factor(T(a, device))
    P, L, U = torch.lu_unpack(LU, pivots)
    assert P.dtype == L.dtype == U.dtype == torch.complex128
    assert_close(P @ L @ U, a)
    assert_close(U, np.triu(U.cpu().numpy()))
    P2, L2, U2 = torch.linalg.lu(T(a, device))
    assert_close(P2 @ L2 @ U2, a)
    # scipy's getrf picks the same pivots: the unpacked factors agree.
    for i in range(2):
        p, l, u = scipy.linalg.lu(a[i])
        assert_close(P2[i], p.astype(np.complex128))
        assert_close(L2[i], l)
        assert_close(U2[i], u)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_adjoint_and_left(device, left, adjoint):
    a = crand((3, 3), 7)
    b = crand((3, 2) if left else (2, 3), 8)
    LU, pivots = torch.linalg.lu_factor(T(a, device))
    op = a.conj().T if adjoint else a
    expected = np.linalg.solve(op, b) if left else b @ np.linalg.inv(op)
    assert_close(torch.linalg.lu_solve(LU, pivots, T(b, device), left=left, adjoint=adjoint), expected)


def test_lu_solve_requires_one_dtype():
    LU, pivots = torch.linalg.lu_factor(T(crand((2, 2), 9), "cpu"))
    with pytest.raises(RuntimeError, match="found LU of type ComplexDouble and B of type Double"):
        torch.linalg.lu_solve(LU, pivots, torch.ones(2, 1, dtype=torch.float64))


# ----------------------------------------------------------------------------- triangular

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular(device, upper, left, unitriangular):
    a = crand((3, 3), 10) + 3 * np.eye(3)
    b = crand((3, 2) if left else (2, 3), 11)
    tri = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        tri = tri - np.diag(np.diag(tri)) + np.eye(3)
    expected = np.linalg.solve(tri, b) if left else b @ np.linalg.inv(tri)
    # The other triangle holds garbage that must not be read.
    result = torch.linalg.solve_triangular(T(a, device), T(b, device), upper=upper, left=left,
                                           unitriangular=unitriangular)
    assert_close(result, expected)


def test_triangular_solve_transposes_without_conjugating():
    a = np.triu(crand((3, 3), 12)) + 3 * np.eye(3)
    b = crand((3, 2), 13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution, coefficient = torch.triangular_solve(T(b, "cpu"), T(a, "cpu"), transpose=True)
    assert_close(solution, np.linalg.solve(a.T, b))
    assert_close(coefficient, a)


# ----------------------------------------------------------------------------- Cholesky

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", COMPLEX)
def test_cholesky_lower_and_upper(device, dtype):
    h = hermitian_pd((2, 3, 3), 14, dtype)
    L = torch.linalg.cholesky(T(h, device))
    expected = np.linalg.cholesky(h.astype(np.complex128))
    assert_close(L, expected.astype(dtype), **TOL[dtype])
    U = torch.linalg.cholesky(T(h, device), upper=True)
    assert_close(U, np.swapaxes(expected.conj(), -1, -2).astype(dtype), **TOL[dtype])
    L_ex, info = torch.linalg.cholesky_ex(T(h, device))
    assert_close(L_ex, expected.astype(dtype), **TOL[dtype])
    assert info.cpu().tolist() == [0, 0]


def test_cholesky_reads_one_triangle_and_the_real_diagonal():
    # LAPACK's zpotrf reads the selected triangle only and ignores the diagonal's imaginary part.
    garbage = np.array([[2 + 5j, 1j], [0.5 - 1j, 2 - 3j]])
    lower = np.array([[2, 0.5 + 1j], [0.5 - 1j, 2]])   # Hermitian matrix of the lower triangle
    upper = np.array([[2, 1j], [-1j, 2]])              # ... and of the upper triangle
    assert_close(torch.linalg.cholesky(T(garbage, "cpu")), np.linalg.cholesky(lower))
    assert_close(torch.linalg.cholesky(T(garbage, "cpu"), upper=True), np.linalg.cholesky(upper).conj().T)


def test_cholesky_not_positive_definite():
    A = T(np.array([[1, 2j], [-2j, 1]]), "cpu")
    with pytest.raises(torch.linalg.LinAlgError, match="the leading minor of order 2 is not positive-definite"):
        torch.linalg.cholesky(A)
    assert torch.linalg.cholesky_ex(A).info.item() == 2


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(device, upper):
    h = hermitian_pd((3, 3), 15)
    b = crand((2, 3, 2), 16)  # a batch of right-hand sides broadcast against one factor
    factor = np.linalg.cholesky(h)
    factor = factor.conj().T if upper else factor
    assert_close(torch.cholesky_solve(T(b, device), T(factor, device), upper=upper), np.linalg.solve(h, b))
    assert_close(torch.cholesky_inverse(T(factor, device), upper=upper), np.linalg.inv(h))


# ----------------------------------------------------------------------------- QR

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (1, 1), (2, 3, 2)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_matches_lapack(device, shape, mode):
    a = crand(shape, 17)
    Q, R = torch.linalg.qr(T(a, device), mode=mode)
    # numpy's qr is LAPACK's zgeqrf: the same reflectors, so the same phases (R's diagonal real).
    if len(shape) == 2:
        ref = np.linalg.qr(a, mode=mode)
        ref_R = ref if mode == "r" else ref[1]
        ref_Q = None if mode == "r" else ref[0]
    else:
        parts = [np.linalg.qr(x, mode="complete" if mode == "complete" else "reduced") for x in a]
        ref_Q, ref_R = np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts])
        ref_Q = None if mode == "r" else ref_Q
    assert_close(R, ref_R)
    np.testing.assert_allclose(np.diagonal(R.cpu().numpy(), axis1=-2, axis2=-1).imag, 0, atol=1e-12)
    if ref_Q is None:
        assert Q.shape == (0,)
    else:
        assert_close(Q, ref_Q)


@pytest.mark.parametrize("device", DEVICES)
def test_householder_product_matches_zungqr(device):
    raw, tau = scipy.linalg.qr(crand((4, 3), 18), mode="raw")[0]
    expected = scipy.linalg.lapack.zungqr(raw, tau)[0]
    assert_close(torch.linalg.householder_product(T(raw, device), T(tau, device)), expected)
    assert_close(torch.orgqr(T(raw, device), T(tau, device)), expected)


def test_householder_product_requires_one_dtype():
    with pytest.raises(RuntimeError, match="tau dtype Double does not match input dtype ComplexDouble"):
        torch.linalg.householder_product(T(crand((3, 2), 19), "cpu"), torch.ones(2, dtype=torch.float64))


# ----------------------------------------------------------------------------- functions and products

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("scale", [0.1, 1.0, 8.0])
def test_matrix_exp(device, dtype, scale):
    a = (crand((2, 3, 3), 20) * scale).astype(dtype)
    expected = np.stack([scipy.linalg.expm(x.astype(np.complex128)) for x in a])
    tol = dict(rtol=1e-4, atol=1e-4 * np.abs(expected).max()) if dtype == "complex64" else dict(rtol=1e-9, atol=1e-9)
    assert_close(torch.linalg.matrix_exp(T(a, device)), expected.astype(dtype), **tol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [-3, -1, 0, 2, 5])
def test_matrix_power(device, n):
    a = crand((2, 3, 3), 21)
    assert_close(torch.linalg.matrix_power(T(a, device), n), np.linalg.matrix_power(a, n))


@pytest.mark.parametrize("device", DEVICES)
def test_multi_dot(device):
    mats = [crand((2,), 22), crand((2, 5), 23), crand((5, 3), 24), crand((3, 4), 25)]
    assert_close(torch.linalg.multi_dot([T(m, device) for m in mats]), np.linalg.multi_dot(mats))


def test_multi_dot_requires_one_dtype():
    with pytest.raises(RuntimeError, match=r"tensor 0 is c10::complex<double> and tensor 1 double"):
        torch.linalg.multi_dot([T(crand((2, 2), 26), "cpu"), torch.ones(2, 2, dtype=torch.float64)])


@pytest.mark.parametrize("device", DEVICES)
def test_vecdot_conjugates_x(device):
    x, y = crand((2, 4), 27), crand((4,), 28)
    assert_close(torch.linalg.vecdot(T(x, device), T(y, device)), np.sum(x.conj() * y, -1))
    assert_close(torch.linalg.vecdot(T(x.T, device), T(y[:, None], device), dim=0), np.array([np.vdot(r, y) for r in x]))
    with pytest.raises(RuntimeError, match="found x of type ComplexDouble and y of type Double"):
        torch.linalg.vecdot(T(x, device), torch.ones(4, dtype=torch.float64, device=device))


# ----------------------------------------------------------------------------- gradients

def _check_grad(fn, np_fn, a, seed):
    """Gradient of the real loss Re(sum(conj(W) * fn(A))) against central differences."""
    W = crand(np.shape(np_fn(a)), seed)
    A = T(a, "cpu").requires_grad_()
    (fn(A) * T(W.conj(), "cpu")).real.sum().backward()
    expected = finite_difference_grad(lambda x: np.real(np.sum(W.conj() * np_fn(x))), a)
    assert_close(A.grad, expected, rtol=1e-5, atol=1e-6)


def _hermitian(x):
    return (x + np.swapaxes(x.conj(), -1, -2)) / 2


@pytest.mark.parametrize("name", ["inv", "det", "solve", "cholesky", "qr_q", "qr_r", "slogdet", "lu_solve"])
def test_gradients_complex128(name):
    a = crand((3, 3), 29) + 2 * np.eye(3)
    b = crand((3, 2), 30)
    cases = {
        "inv": (torch.linalg.inv, np.linalg.inv),
        "det": (torch.linalg.det, np.linalg.det),
        "solve": (lambda A: torch.linalg.solve(A, T(b, "cpu")), lambda x: np.linalg.solve(x, b)),
        "qr_q": (lambda A: torch.linalg.qr(A).Q, lambda x: np.linalg.qr(x)[0]),
        "qr_r": (lambda A: torch.linalg.qr(A).R, lambda x: np.linalg.qr(x)[1]),
        "slogdet": (lambda A: torch.linalg.slogdet(A).sign, lambda x: np.linalg.slogdet(x)[0]),
        "lu_solve": (lambda A: torch.linalg.lu_solve(*torch.linalg.lu_factor(A), T(b, "cpu"), adjoint=True),
                     lambda x: np.linalg.solve(x.conj().T, b)),
        # The gradient of a Cholesky factor goes through the Hermitian part of A (PyTorch's
        # cholesky_backward returns a Hermitian matrix): differentiate cholesky(herm(A)).
        "cholesky": (torch.linalg.cholesky, lambda x: np.linalg.cholesky(_hermitian(x))),
    }
    if name == "cholesky":
        a = hermitian_pd((3, 3), 31)
    _check_grad(*cases[name], a, 32)
