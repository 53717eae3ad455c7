"""Complex input to the spectral linear algebra (eigh, eigvalsh, svd, svdvals, torch.svd, pinv,
matrix_rank, lstsq, cond, matrix_norm / norm) and the general eigendecomposition torch.linalg.eig /
eigvals (real and complex input), against numpy.linalg; gradients against central differences."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close, finite_difference_grad, requires_gpu

RNG = np.random.default_rng(20261129)
CDTYPES = [(np.complex64, torch.complex64, 1e-4), (np.complex128, torch.complex128, 1e-10)]


def crandn(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def mH(a):
    return np.swapaxes(a, -1, -2).conj()


def set_distance(x, y):
    """The largest distance from an element of x (1-d) to the nearest of y, both ways."""
    d = np.abs(x[:, None] - y[None, :])
    return max(d.min(1).max(), d.min(0).max())


# ----------------------------------------------------------------------------- eigh / eigvalsh

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("np_dtype,dtype,tol", CDTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_complex_matches_numpy(device, np_dtype, dtype, tol, uplo):
    # Not Hermitian: only the UPLO triangle (and the real part of the diagonal) may be read.
    a = crandn(2, 5, 5, dtype=np_dtype)
    L, V = torch.linalg.eigh(torch.tensor(a, device=device), UPLO=uplo)
    assert L.dtype == (torch.float32 if dtype == torch.complex64 else torch.float64)
    assert V.dtype == dtype and tuple(V.shape) == (2, 5, 5)
    expected = np.linalg.eigvalsh(a, UPLO=uplo)
    assert_close(L.cpu().numpy(), expected, rtol=tol * 10, atol=tol * 10)
    # The Hermitian matrix that triangle describes (LAPACK drops the imaginary part of the diagonal).
    strict = np.tril(a, -1) if uplo == "L" else np.triu(a, 1)
    herm = strict + mH(strict) + np.eye(5) * np.einsum("...ii->...i", a).real[..., None, :]
    v, lam = V.cpu().numpy(), L.cpu().numpy()
    assert_close(herm @ v, v * lam[..., None, :], rtol=tol * 10, atol=tol * 10)
    assert_close(mH(v) @ v, np.broadcast_to(np.eye(5), (2, 5, 5)).astype(np_dtype), rtol=tol, atol=tol * 10)
    assert_close(torch.linalg.eigvalsh(torch.tensor(a, device=device), UPLO=uplo).cpu().numpy(), expected,
                 rtol=tol * 10, atol=tol * 10)


def test_eigh_complex_vector_phase_is_deterministic():
    a = crandn(4, 4)
    V = torch.linalg.eigh(torch.tensor(a + mH(a))).eigenvectors.numpy()
    largest = V[np.abs(V).argmax(0), np.arange(4)]
    assert np.all(np.abs(largest.imag) < 1e-12) and np.all(largest.real > 0)


def test_eigh_complex_empty_gives_real_eigenvalues():
    L, V = torch.linalg.eigh(torch.zeros((0, 0), dtype=torch.complex64))
    assert L.dtype == torch.float32 and V.dtype == torch.complex64 and tuple(V.shape) == (0, 0)


# ----------------------------------------------------------------------------- svd

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("np_dtype,dtype,tol", CDTYPES)
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 3, 5), (4, 4)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_complex_matches_numpy(device, np_dtype, dtype, tol, shape, full):
    a = crandn(*shape, dtype=np_dtype)
    U, S, Vh = torch.linalg.svd(torch.tensor(a, device=device), full_matrices=full)
    assert S.dtype == (torch.float32 if dtype == torch.complex64 else torch.float64)
    assert U.dtype == Vh.dtype == dtype
    nu, ns, nvh = np.linalg.svd(a, full_matrices=full)
    assert U.shape == nu.shape and Vh.shape == nvh.shape
    u, s, vh = U.cpu().numpy(), S.cpu().numpy(), Vh.cpu().numpy()
    assert_close(s, ns, rtol=tol * 10, atol=tol * 10)
    k = s.shape[-1]
    assert_close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, rtol=tol * 10, atol=tol * 10)
    assert_close(mH(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), mH(u).shape[:-1] + (u.shape[-1],)).astype(np_dtype),
                 rtol=tol, atol=tol * 10)
    assert_close(vh @ mH(vh), np.broadcast_to(np.eye(vh.shape[-2]), vh.shape[:-1] + (vh.shape[-2],)).astype(np_dtype),
                 rtol=tol, atol=tol * 10)
    assert_close(torch.linalg.svdvals(torch.tensor(a, device=device)).cpu().numpy(), ns, rtol=tol * 10, atol=tol * 10)


def test_svd_complex_rank_deficient_full_matrices_are_unitary():
    x, y = crandn(4, 1), crandn(1, 3)
    a = np.concatenate([x @ y, np.zeros((4, 0))], 1)
    U, S, Vh = torch.linalg.svd(torch.tensor(a), full_matrices=True)
    u, s, vh = U.numpy(), S.numpy(), Vh.numpy()
    assert_close(s, np.linalg.svd(a, compute_uv=False), atol=1e-12)
    assert_close(mH(u) @ u, np.eye(4, dtype=complex), atol=1e-12)
    assert_close(vh @ mH(vh), np.eye(3, dtype=complex), atol=1e-12)
    assert_close((u[:, :3] * s) @ vh, a, atol=1e-12)


def test_torch_svd_complex_returns_v_and_zero_factors():
    a = crandn(3, 4)
    U, S, V = torch.svd(torch.tensor(a))
    assert_close((U.numpy() * S.numpy()) @ mH(V.numpy()), a, atol=1e-12)
    U0, S0, V0 = torch.svd(torch.tensor(a), compute_uv=False)
    assert U0.dtype == V0.dtype == torch.complex128 and S0.dtype == torch.float64
    assert tuple(U0.shape) == (3, 3) and tuple(V0.shape) == (4, 4)
    assert not U0.numpy().any() and not V0.numpy().any()


def test_svd_complex_empty():
    U, S, Vh = torch.linalg.svd(torch.zeros((2, 0), dtype=torch.complex64))
    assert S.dtype == torch.float32 and tuple(S.shape) == (0,)
    assert_close(U.numpy(), np.eye(2, dtype=np.complex64))
    assert U.dtype == Vh.dtype == torch.complex64


# ----------------------------------------------------------------------------- pinv, rank, lstsq, cond

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_pinv_complex_matches_numpy(device, shape):
    a = crandn(2, *shape)
    P = torch.linalg.pinv(torch.tensor(a, device=device))
    assert P.dtype == torch.complex128
    assert_close(P.cpu().numpy(), np.linalg.pinv(a), atol=1e-10)
    assert_close(torch.pinverse(torch.tensor(a, device=device)).cpu().numpy(), np.linalg.pinv(a), atol=1e-10)


def test_pinv_complex_hermitian():
    x = crandn(4, 2)
    a = x @ mH(x)  # Hermitian, rank 2
    assert_close(torch.linalg.pinv(torch.tensor(a), hermitian=True).numpy(), np.linalg.pinv(a, hermitian=True),
                 atol=1e-10)


def test_matrix_rank_complex():
    x, y = crandn(3, 5, 2), crandn(3, 2, 4)
    a = x @ y
    assert torch.linalg.matrix_rank(torch.tensor(a)).tolist() == [2, 2, 2]
    h = x @ mH(x)
    assert torch.linalg.matrix_rank(torch.tensor(h), hermitian=True).tolist() == np.linalg.matrix_rank(
        h, hermitian=True).tolist()


@pytest.mark.parametrize("driver", ["gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_complex_matches_numpy(driver):
    a, b = crandn(6, 3), crandn(6, 2)
    res = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    assert res.solution.dtype == torch.complex128
    assert_close(res.solution.numpy(), x, atol=1e-10)
    if driver == "gelsy":
        assert tuple(res.residuals.shape) == (0,)
    else:
        assert res.residuals.dtype == torch.float64
        assert_close(res.residuals.numpy(), residuals, atol=1e-10)
    if driver in ("gelsd", "gelss"):
        assert res.singular_values.dtype == torch.float64
        assert_close(res.singular_values.numpy(), sv, atol=1e-10)
    if driver != "gels":
        assert res.rank.item() == rank


@pytest.mark.parametrize("p", [None, 2, -2, "nuc", "fro", 1, -1, math.inf, -math.inf])
def test_cond_complex_matches_numpy(p):
    a = crandn(2, 4, 4)
    c = torch.linalg.cond(torch.tensor(a), p)
    assert c.dtype == torch.float64
    assert_close(c.numpy(), np.linalg.cond(a, p), rtol=1e-9)


def test_cond_complex_singular_is_inf():
    a = crandn(3, 3)
    a[1] = 0  # exactly singular
    c = torch.linalg.cond(torch.tensor(a), "fro")
    assert c.dtype == torch.float64 and math.isinf(c.item())


def test_svd_lowrank_and_pca_lowrank_complex_recover_an_exact_low_rank_matrix():
    a = crandn(6, 2) @ crandn(2, 5)
    for x in (a, mH(a)):
        U, S, V = torch.svd_lowrank(torch.tensor(x), q=2)
        assert U.dtype == V.dtype == torch.complex128 and S.dtype == torch.float64
        assert_close(S.numpy(), np.linalg.svd(x, compute_uv=False)[:2], rtol=1e-8)
        assert_close((U.numpy() * S.numpy()) @ mH(V.numpy()), x, atol=1e-9)
    centred = a - a.mean(0, keepdims=True)
    U, S, V = torch.pca_lowrank(torch.tensor(a), q=2)
    assert_close((U.numpy() * S.numpy()) @ mH(V.numpy()), centred, atol=1e-9)


def test_cond_complex_empty_is_real():
    assert torch.linalg.cond(torch.zeros((0, 0), dtype=torch.complex64)).dtype == torch.float32


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
def test_matrix_norm_complex_matches_numpy(device, ord):
    a = crandn(2, 3, 4)
    r = torch.linalg.matrix_norm(torch.tensor(a, device=device), ord=ord)
    assert r.dtype == torch.float64
    assert_close(r.cpu().numpy(), np.linalg.norm(a, ord=ord, axis=(-2, -1)), rtol=1e-10)
    assert_close(torch.linalg.norm(torch.tensor(a[0], device=device), ord=ord).cpu().numpy(),
                 np.linalg.norm(a[0], ord=ord), rtol=1e-10)


def test_matrix_norm_complex_keepdim_and_default_norm():
    a = crandn(3, 4)
    assert tuple(torch.linalg.matrix_norm(torch.tensor(a), "nuc", keepdim=True).shape) == (1, 1)
    assert_close(torch.linalg.norm(torch.tensor(a)).item(), np.linalg.norm(a), rtol=1e-12)


# ----------------------------------------------------------------------------- eig / eigvals

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("np_dtype,cdtype,tol", [
    (np.float32, torch.complex64, 1e-4), (np.float64, torch.complex128, 1e-10),
    (np.complex64, torch.complex64, 1e-4), (np.complex128, torch.complex128, 1e-10),
])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_eig_matches_numpy(device, np_dtype, cdtype, tol, n):
    a = (crandn(3, n, n) if np.dtype(np_dtype).kind == "c" else RNG.standard_normal((3, n, n))).astype(np_dtype)
    L, V = torch.linalg.eig(torch.tensor(a, device=device))
    assert L.dtype == V.dtype == cdtype
    assert tuple(L.shape) == (3, n) and tuple(V.shape) == (3, n, n)
    lam, v = L.cpu().numpy(), V.cpu().numpy()
    expected = np.linalg.eigvals(a)
    for i in range(3):
        assert set_distance(lam[i], expected[i]) < tol * 100
    scale = np.abs(a).max()
    assert np.abs(a @ v - v * lam[:, None, :]).max() < tol * 100 * scale
    assert_close(np.linalg.norm(v, axis=-2), np.ones((3, n)), rtol=tol, atol=tol)
    assert_close(torch.linalg.eigvals(torch.tensor(a, device=device)).cpu().numpy(), lam, rtol=tol, atol=tol)


def test_eig_of_real_matrix_with_complex_pair():
    a = np.array([[0.0, -2.0], [2.0, 0.0]])
    lam = torch.linalg.eigvals(torch.tensor(a)).numpy()
    assert set_distance(lam, np.array([2j, -2j])) < 1e-14


@pytest.mark.parametrize("name", ["cyclic_permutation", "companion", "huge", "tiny", "nilpotent"])
def test_eig_hard_inputs(name):
    a = {
        "cyclic_permutation": np.roll(np.eye(6), 1, 0),  # unit-modulus eigenvalues: QR without shifts stalls
        "companion": np.array([[0, 0, 0, -1.0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]),
        "huge": RNG.standard_normal((5, 5)) * 1e200,  # squares would overflow without scaling
        "tiny": RNG.standard_normal((5, 5)) * 1e-200,
        "nilpotent": np.diag(np.ones(3), 1),
    }[name]
    L, V = torch.linalg.eig(torch.tensor(a))
    lam, v = L.numpy(), V.numpy()
    scale = np.abs(a).max()
    assert set_distance(lam, np.linalg.eigvals(a)) <= 1e-12 * scale
    assert np.abs(a @ v - v * lam).max() <= 1e-12 * scale


def test_eig_triangular_and_defective_inputs():
    L, V = torch.linalg.eig(torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64))
    assert_close(L.numpy(), np.array([2.0, 3.0], dtype=complex), atol=1e-14)
    assert_close(V.numpy(), np.array([[1.0, math.sqrt(0.5)], [0.0, math.sqrt(0.5)]], dtype=complex), atol=1e-14)
    L, V = torch.linalg.eig(torch.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=torch.float64))
    assert_close(L.numpy(), np.ones(2, dtype=complex), atol=1e-14)
    assert np.all(np.isfinite(V.numpy()))


def test_eig_empty_and_batched_empty():
    L, V = torch.linalg.eig(torch.zeros((0, 0)))
    assert L.dtype == V.dtype == torch.complex64 and tuple(V.shape) == (0, 0)
    L, V = torch.linalg.eig(torch.zeros((2, 0, 0), dtype=torch.complex128))
    assert tuple(L.shape) == (2, 0) and tuple(V.shape) == (2, 0, 0) and L.dtype == torch.complex128


def test_eig_out_accepts_wider_complex_and_refuses_real():
    a = torch.tensor(RNG.standard_normal((3, 3)), dtype=torch.float32)
    L, V = torch.empty(3, dtype=torch.complex128), torch.empty((3, 3), dtype=torch.complex128)
    res = torch.linalg.eig(a, out=(L, V))
    assert res.eigenvalues is L and L.dtype == torch.complex128
    assert set_distance(L.numpy(), np.linalg.eigvals(a.numpy())) < 1e-4
    with pytest.raises(RuntimeError, match=r"torch\.linalg\.eig: Expected eigenvectors to be safely castable from "
                                           r"ComplexFloat dtype, but got eigenvectors with dtype Float"):
        torch.linalg.eig(a, out=(torch.empty(3, dtype=torch.complex64), torch.empty((3, 3))))
    with pytest.raises(RuntimeError, match=r"torch\.linalg\.eigvals: Expected eigenvalues to be safely castable"):
        torch.linalg.eigvals(a, out=torch.empty(3))


def test_eig_errors():
    with pytest.raises(RuntimeError, match="linalg.eig: A must be batches of square matrices, but they are 2 by 3"):
        torch.linalg.eig(torch.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="linalg.eigvals: The input tensor A must have at least 2 dimensions."):
        torch.linalg.eigvals(torch.zeros(3))
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Int"):
        torch.linalg.eig(torch.zeros((3, 3), dtype=torch.int32))
    with pytest.raises(NotImplementedError, match="\"linalg_eig_out_cpu\" not implemented for 'Half'"):
        torch.linalg.eig(torch.zeros((3, 3), dtype=torch.float16))
    with pytest.raises(TypeError, match=r"linalg_eig\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        torch.linalg.eig([[1.0]])


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_eig_refuses_non_finite_input(value):
    a = torch.tensor([[1.0, value], [0.0, 1.0]], dtype=torch.complex128)
    with pytest.raises(RuntimeError, match=r"torch\.linalg\.eig: input tensor should not contain infs or NaNs\."):
        torch.linalg.eig(a)
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        torch.linalg.eigvals(a.real)


def test_removed_torch_eig_points_to_linalg_eig():
    with pytest.raises(RuntimeError, match=r"L_complex, V_complex = torch\.linalg\.eig\(A\)"):
        torch.eig(torch.zeros((2, 2)))


# ----------------------------------------------------------------------------- gradients

def _grad_check(tloss, nloss, a, tol=1e-6):
    x = torch.tensor(a, requires_grad=True)
    tloss(x).backward()
    expected = finite_difference_grad(nloss, a)
    assert x.grad.dtype == x.dtype
    assert_close(x.grad.numpy(), expected, rtol=tol, atol=tol)


def _real(value):
    return value.real if value.is_complex() else value


@pytest.mark.parametrize("complex_input", [False, True])
def test_eigh_grad(complex_input):
    a = crandn(4, 4) if complex_input else RNG.standard_normal((4, 4))
    c = RNG.standard_normal(4)
    C = crandn(4, 4)
    ct, Ct = torch.tensor(c), torch.tensor(C)

    def tloss(x):  # eigenvalues and the (gauge-invariant) spectral projector sum
        L, V = torch.linalg.eigh(x + x.mH)
        P = (V * ct) @ V.mH
        return (L * ct).sum() + _real((P.to(torch.complex128) * Ct).sum())

    def nloss(a):
        L, V = np.linalg.eigh(a + mH(a))
        return (L * c).sum() + (((V * c) @ mH(V)) * C).sum().real

    _grad_check(tloss, nloss, a)


@pytest.mark.parametrize("complex_input", [False, True])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_svd_grad(complex_input, shape):
    a = crandn(*shape) if complex_input else RNG.standard_normal(shape)
    c = RNG.standard_normal(min(shape))
    C = crandn(*shape)
    ct, Ct = torch.tensor(c), torch.tensor(C)

    def tloss(x):  # singular values and a gauge-invariant sum of two rank-1 terms
        U, S, Vh = torch.linalg.svd(x, full_matrices=False)
        P = (U[:, :2] * ct[:2]) @ Vh[:2]
        return (S * ct).sum() + _real((P.to(torch.complex128) * Ct).sum())

    def nloss(a):
        U, S, Vh = np.linalg.svd(a, full_matrices=False)
        return (S * c).sum() + (((U[:, :2] * c[:2]) @ Vh[:2]) * C).sum().real

    _grad_check(tloss, nloss, a)


@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_grad(complex_input):
    a = crandn(4, 4) if complex_input else RNG.standard_normal((4, 4))
    c = RNG.standard_normal(4)
    ct = torch.tensor(c)

    def tloss(x):  # |L|^2 and |V_ij|^2 (unchanged by the phase of each eigenvector), order-independent
        L, V = torch.linalg.eig(x)
        return (L.abs() ** 2).sum() + ((V.abs() ** 2) * ct.unsqueeze(-1) * L.real).sum()

    def nloss(a):
        L, V = np.linalg.eig(a)
        return (np.abs(L) ** 2).sum() + ((np.abs(V) ** 2) * c[:, None] * L.real).sum()

    _grad_check(tloss, nloss, a, tol=1e-5)


def test_pinv_complex_grad():
    a = crandn(4, 3)
    C = crandn(3, 4)
    Ct = torch.tensor(C)
    _grad_check(lambda x: (torch.linalg.pinv(x) * Ct).sum().real, lambda a: (np.linalg.pinv(a) * C).sum().real, a)


@pytest.mark.parametrize("case,message", [
    ("eigh", r"linalg_eigh_backward: The eigenvectors in the complex case are specified up to multiplication by "
             r"e\^\{i phi\}\. The specified loss function depends on this quantity, so it is ill-defined\."),
    ("eig", r"linalg_eig_backward: The eigenvectors in the complex case are specified up to multiplication by "
            r"e\^\{i phi\}\."),
    ("svd_u", r"svd_backward: The singular vectors in the complex case are specified up to multiplication by "
              r"e\^\{i phi\}\. The specified loss function depends on this phase term, making it ill-defined\."),
    ("svd_vh", r"svd_backward: The singular vectors in the complex case"),
])
def test_phase_dependent_loss_is_refused(case, message):
    # The largest entry of each vector is real here, so pick an entry that is not.
    x = torch.tensor(crandn(3, 3), requires_grad=True)
    pick = {
        "eigh": lambda: torch.linalg.eigh(x + x.mH).eigenvectors,
        "eig": lambda: torch.linalg.eig(x).eigenvectors,
        "svd_u": lambda: torch.linalg.svd(x).U,
        "svd_vh": lambda: torch.linalg.svd(x).Vh.mT,
    }[case]()
    vectors = pick.detach().numpy()
    column = vectors[:, 0]
    row = int(np.argmax(np.abs(column.imag)))
    assert abs(column[row].imag) > 0.05
    with pytest.raises(RuntimeError, match=message):
        pick[row, 0].imag.backward()


@requires_gpu
@pytest.mark.parametrize("case", ["eigh", "svd", "eig"])
def test_complex_grads_on_gpu(case):
    a = crandn(3, 3)
    c = RNG.standard_normal(3)
    # Weighted sums of the (sorted) spectra; eig's order is not numpy's, so it gets an order-free loss.
    losses = {
        "eigh": (lambda x: (torch.linalg.eigvalsh(x + x.mH) * torch.tensor(c, device="gpu")).sum(),
                 lambda a: (np.linalg.eigvalsh(a + mH(a)) * c).sum()),
        "svd": (lambda x: (torch.linalg.svdvals(x) * torch.tensor(c, device="gpu")).sum(),
                lambda a: (np.linalg.svd(a, compute_uv=False) * c).sum()),
        "eig": (lambda x: (torch.linalg.eigvals(x).abs() ** 2).sum(),
                lambda a: (np.abs(np.linalg.eigvals(a)) ** 2).sum()),
    }
    torch_loss, numpy_loss = losses[case]
    x = torch.tensor(a, device="gpu", requires_grad=True)
    torch_loss(x).backward()
    assert_close(x.grad.cpu().numpy(), finite_difference_grad(numpy_loss, a), rtol=1e-6, atol=1e-6)
