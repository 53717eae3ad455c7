"""torch.linalg's spectral functions (eigh, eigvalsh, svd, svdvals, torch.svd, pinv, pinverse,
matrix_rank, lstsq, cond, matrix_norm's 2/-2/'nuc') against numpy on every device: batched,
transposed, empty and 1x1 inputs, rank-deficient and ill-conditioned matrices, PyTorch's errors, and
gradients against finite differences. Eigen/singular vectors are compared up to sign. The GPU is a
software one in CI: matrices stay small."""
import doctest
import math

import mpmath
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _linalg_jacobi, _linalg_spectral
from conftest import assert_close as _assert_close, requires_gpu, to_numpy as _to_numpy

F64 = dict(rtol=1e-10, atol=1e-11)
F32 = dict(rtol=2e-4, atol=2e-5)
TOL = {"float64": F64, "float32": F32}


def to_numpy(t):
    return _to_numpy(t.cpu())


def assert_close(actual, expected, **tol):
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **tol)


def T(a, device="cpu", dtype="float64"):
    return torch.tensor(np.array(a, order="C")).to(getattr(torch, dtype)).to(device)


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def sym(shape, seed):
    a = rand(shape, seed)
    return a + np.swapaxes(a, -1, -2)


def eye_like(n, batch=()):
    return np.broadcast_to(np.eye(n), batch + (n, n))


def assert_same_columns_up_to_sign(V, ref, atol):
    """Each column of V equals the matching column of ref or its negative."""
    dots = np.abs(np.einsum("...ij,...ij->...j", V, ref))
    np.testing.assert_allclose(dots, np.ones_like(dots), atol=atol)


# ----------------------------------------------------------------------------- eigh

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1), (5, 5)])
def test_eigh_matches_numpy(device, dtype, shape):
    a = sym(shape, 1)
    L, V = torch.linalg.eigh(T(a, device, dtype))
    assert L.device.type == torch.device(device).type
    assert_close(L, np.linalg.eigvalsh(a).astype(dtype), **TOL[dtype])
    v, n = to_numpy(V).astype(np.float64), shape[-1]
    tol = 1e-9 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(np.swapaxes(v, -1, -2) @ v, eye_like(n, shape[:-2]), atol=tol)
    np.testing.assert_allclose(v @ (to_numpy(L)[..., None] * np.swapaxes(v, -1, -2)), a, atol=tol * 10)
    assert_same_columns_up_to_sign(v, np.linalg.eigh(a)[1], atol=tol * 100)
    # The documented sign: each eigenvector's largest-magnitude entry is positive.
    idx = np.abs(v).argmax(-2)[..., None, :]
    assert (np.take_along_axis(v, idx, -2) > 0).all()


def test_eigh_reads_one_triangle_and_accepts_transposed_input(device):
    a = rand((2, 4, 4), 2)  # not symmetric: only the selected triangle counts
    for uplo in ["L", "U", "u"]:
        L, V = torch.linalg.eigh(T(a, device), UPLO=uplo)
        assert_close(L, np.linalg.eigvalsh(a, UPLO=uplo.upper()), **F64)
    At = T(np.swapaxes(a, -1, -2).copy(), device).mT  # a non-contiguous view of `a`
    assert not At.is_contiguous()
    assert_close(torch.linalg.eigvalsh(At), np.linalg.eigvalsh(a), **F64)
    assert_close(torch.linalg.eigvalsh(At, "U"), np.linalg.eigvalsh(a, "U"), **F64)


def test_eigh_repeated_eigenvalues_and_scaling():
    Q = np.linalg.qr(rand((5, 5), 3))[0]
    for lam in ([1.0, 1.0, 1.0, 2.0, -3.0], [0.0] * 5, [1e-200, 2e-200, 1.0, 1e200, -1e200]):
        a = Q @ np.diag(lam) @ Q.T
        L, V = torch.linalg.eigh(T(a))
        v = to_numpy(V)
        np.testing.assert_allclose(v.T @ v, np.eye(5), atol=1e-12)
        np.testing.assert_allclose(to_numpy(L), np.linalg.eigvalsh(a), rtol=1e-10, atol=1e-13 * np.abs(lam).max())


def test_eigh_empty_and_errors(device):
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        L, V = torch.linalg.eigh(T(np.zeros(shape), device))
        assert tuple(L.shape) == shape[:-1] and tuple(V.shape) == shape
    with pytest.raises(RuntimeError, match=r"^linalg.eigh: The input tensor A must have at least 2 dimensions.$"):
        torch.linalg.eigh(T([1.0, 2.0], device))
    with pytest.raises(RuntimeError, match=r"linalg.eigh: A must be batches of square matrices, but they are 2 by 3"):
        torch.linalg.eigvalsh(T(np.zeros((2, 3)), device))
    with pytest.raises(RuntimeError, match="linalg.eigh: Expected a floating point or complex tensor as input. Got Long"):
        torch.linalg.eigh(torch.ones(2, 2, dtype=torch.int64, device=device))
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        torch.linalg.eigh(T(np.eye(2), device), UPLO="X")
    with pytest.raises(torch.linalg.LinAlgError, match="linalg.eigh: The algorithm failed to converge"):
        torch.linalg.eigh(T([[1.0, math.nan], [math.nan, 1.0]], device))
    with pytest.raises(TypeError, match=r"linalg_eigh\(\): argument 'A' \(position 1\) must be Tensor, not list"):
        torch.linalg.eigh([[1.0]])


def test_eigh_returns_named_tuple_and_writes_out():
    r = torch.linalg.eigh(T(np.eye(2)))
    assert type(r).__name__ == "linalg_eigh" and type(r) is torch.return_types.linalg_eigh
    assert r.eigenvalues is r[0] and r.eigenvectors is r[1]
    L, V = torch.empty(0, dtype=torch.float64), torch.empty(0, dtype=torch.float64)
    torch.linalg.eigh(T(np.diag([2.0, 1.0])), out=(L, V))
    assert L.tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- svd

SVD_SHAPES = [(5, 3), (3, 5), (4, 4), (2, 4, 3), (1, 1), (3, 1), (1, 4)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svd_matches_numpy(device, dtype, shape):
    a = rand(shape, 4)
    m, n = shape[-2:]
    k = min(m, n)
    tol = 1e-10 if dtype == "float64" else 1e-4
    for full in [True, False]:
        U, S, Vh = torch.linalg.svd(T(a, device, dtype), full_matrices=full)
        assert tuple(U.shape) == shape[:-2] + ((m, m) if full else (m, k))
        assert tuple(Vh.shape) == shape[:-2] + ((n, n) if full else (k, n))
        assert_close(S, np.linalg.svd(a, compute_uv=False).astype(dtype), **TOL[dtype])
        u, s, vh = (to_numpy(x).astype(np.float64) for x in (U, S, Vh))
        np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=tol * 10)
        np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, eye_like(u.shape[-1], shape[:-2]), atol=tol)
        np.testing.assert_allclose(vh @ np.swapaxes(vh, -1, -2), eye_like(vh.shape[-2], shape[:-2]), atol=tol)
        ref_u, _, ref_vh = np.linalg.svd(a, full_matrices=False)
        assert_same_columns_up_to_sign(u[..., :k], ref_u, atol=tol * 1e3)


def test_svd_transposed_and_batched_input(device):
    a = rand((3, 4, 2), 5)
    At = T(np.swapaxes(a, -1, -2).copy(), device).mT
    assert not At.is_contiguous()
    assert_close(torch.linalg.svdvals(At), np.linalg.svd(a, compute_uv=False), **F64)
    # A broadcast (expanded) batch.
    Ae = T(a[0], device).expand(2, 4, 2)
    assert_close(torch.linalg.svdvals(Ae), np.linalg.svd(np.broadcast_to(a[0], (2, 4, 2)), compute_uv=False), **F64)


def test_svd_rank_deficient_has_orthonormal_factors(device):
    a = rand((5, 2), 6) @ rand((2, 4), 7)  # rank 2
    a[:, 1] = 0.0
    for full in [True, False]:
        U, S, Vh = torch.linalg.svd(T(a, device), full_matrices=full)
        u, s, vh = to_numpy(U), to_numpy(S), to_numpy(Vh)
        np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), atol=1e-12)
        np.testing.assert_allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-12)
        np.testing.assert_allclose(vh @ vh.T, np.eye(vh.shape[0]), atol=1e-12)
        np.testing.assert_allclose((u[:, :4] * s) @ vh[:4], a, atol=1e-12)
    U, S, Vh = torch.linalg.svd(T(np.zeros((3, 2)), device))
    assert to_numpy(S).tolist() == [0.0, 0.0]
    np.testing.assert_allclose(to_numpy(U).T @ to_numpy(U), np.eye(3), atol=1e-14)


def _mp_singular_values(a):
    return np.array([float(x) for x in mpmath.svd_r(mpmath.matrix(a.tolist()), compute_uv=False)])


def test_svd_small_singular_values_to_high_relative_accuracy(device):
    # Graded columns: the singular values span 12 decades, and each is determined to high relative
    # accuracy by the matrix entries. The reference is 50-digit arithmetic.
    mpmath.mp.dps = 50
    a = rand((6, 4), 8) * np.logspace(0, -12, 4)
    ref = np.sort(_mp_singular_values(a))[::-1]
    for A in (T(a, device), T(a.T.copy(), device)):
        S = to_numpy(torch.linalg.svdvals(A))
        np.testing.assert_allclose(S, ref, rtol=1e-10, atol=0)


def test_svd_empty_inputs(device):
    for shape, full in [((0, 0), True), ((3, 0), True), ((0, 3), False), ((2, 0, 3), True), ((0, 2, 2), False)]:
        U, S, Vh = torch.linalg.svd(T(np.zeros(shape), device), full_matrices=full)
        m, n = shape[-2:]
        k = min(m, n)
        assert tuple(S.shape) == shape[:-2] + (k,)
        assert tuple(U.shape) == shape[:-2] + ((m, m) if full else (m, k))
        assert tuple(Vh.shape) == shape[:-2] + ((n, n) if full else (k, n))
        if full and math.prod(shape[:-2]):
            assert_close(U, eye_like(m, shape[:-2]), **F64)
            assert_close(Vh, eye_like(n, shape[:-2]), **F64)


def test_svd_errors(device):
    with pytest.raises(RuntimeError, match=r"^linalg.svd: The input tensor A must have at least 2 dimensions.$"):
        torch.linalg.svd(T([1.0], device))
    with pytest.raises(RuntimeError, match=r"^linalg.svd: Expected a floating point or complex tensor as input. Got Long$"):
        torch.linalg.svdvals(torch.ones(2, 2, dtype=torch.int64, device=device))
    with pytest.raises(RuntimeError, match="linalg.svd: input should have at least 2 dimensions, but has 1 dimensions"):
        torch.svd(T([1.0], device))
    with pytest.raises(torch.linalg.LinAlgError, match=r"linalg.svd: \(Batch element 1\): The algorithm failed to "
                       r"converge because the input matrix is ill-conditioned or has too many repeated singular values"):
        torch.linalg.svd(T([[[1.0, 0.0]], [[math.inf, 1.0]]], device))
    if device == "cpu":
        with pytest.raises(RuntimeError, match="keyword argument `driver=` is only supported on CUDA"):
            torch.linalg.svd(T(np.eye(2)), driver="gesvd")


def test_torch_svd_returns_v_and_zeros_without_uv(device):
    a = rand((4, 3), 9)
    U, S, V = torch.svd(T(a, device))
    assert type(torch.svd(T(a, device))).__name__ == "svd"
    assert tuple(U.shape) == (4, 3) and tuple(V.shape) == (3, 3)
    np.testing.assert_allclose((to_numpy(U) * to_numpy(S)) @ to_numpy(V).T, a, atol=1e-12)
    U, S, V = torch.svd(T(a, device), some=False)
    assert tuple(U.shape) == (4, 4)
    U, S, V = T(a, device).svd(compute_uv=False)
    assert tuple(U.shape) == (4, 4) and tuple(V.shape) == (3, 3)
    assert not to_numpy(U).any() and not to_numpy(V).any()
    assert_close(S, np.linalg.svd(a, compute_uv=False), **F64)


# ----------------------------------------------------------------------------- pinv / rank / lstsq / cond

def test_pinv_matches_numpy(device):
    full = rand((2, 4, 3), 10)
    deficient = rand((4, 2), 11) @ rand((2, 3), 12)
    for a in (full, deficient, full[0].T.copy()):
        assert_close(torch.linalg.pinv(T(a, device)), np.linalg.pinv(a), rtol=1e-9, atol=1e-10)
    s = sym((3, 3), 13)
    s = s - np.linalg.eigvalsh(s)[1] * np.eye(3)  # one zero eigenvalue, the others of both signs
    assert_close(torch.linalg.pinv(T(s, device), hermitian=True), np.linalg.pinv(s, hermitian=True), rtol=1e-8, atol=1e-9)
    # atol (absolute cut) and rtol (relative to the largest singular value).
    d = np.diag([4.0, 1.0, 0.01])
    assert_close(torch.linalg.pinv(T(d, device), atol=0.1), np.diag([0.25, 1.0, 0.0]), **F64)
    assert_close(torch.linalg.pinv(T(d, device), rtol=0.5), np.diag([0.25, 0.0, 0.0]), **F64)
    assert_close(torch.pinverse(T(d, device), rcond=0.1), np.diag([0.25, 1.0, 0.0]), **F64)
    assert_close(T(d, device).pinverse(), np.diag([0.25, 1.0, 100.0]), **F64)
    assert tuple(torch.linalg.pinv(T(np.zeros((3, 0)), device)).shape) == (0, 3)
    with pytest.raises(RuntimeError, match=r"linalg.pinv\(Long\{\[2, 2\]\}\): expected a tensor with 2 or more"):
        torch.linalg.pinv(torch.ones(2, 2, dtype=torch.int64))


def test_matrix_rank_matches_numpy(device):
    a = np.stack([rand((4, 3), 14), rand((4, 1), 15) @ rand((1, 3), 16), np.zeros((4, 3))])
    assert_close(torch.linalg.matrix_rank(T(a, device)), np.linalg.matrix_rank(a))
    assert torch.linalg.matrix_rank(T(a, device)).dtype == torch.int64
    d = T(np.diag([4.0, 1.0, 0.01]), device)
    assert torch.linalg.matrix_rank(d, atol=0.1).item() == 2
    assert torch.linalg.matrix_rank(d, rtol=0.5).item() == 1
    assert torch.linalg.matrix_rank(d, atol=0.5, rtol=0.2).item() == 2  # max(0.5, 0.2 * 4)
    assert torch.linalg.matrix_rank(d, atol=1.5, rtol=0.2).item() == 1
    assert torch.linalg.matrix_rank(d, tol=0.005).item() == 3
    assert torch.linalg.matrix_rank(T(-np.diag([4.0, 0.0, 1.0]), device), hermitian=True).item() == 2
    assert torch.linalg.matrix_rank(d.mT.float()).item() == 3
    assert_close(torch.linalg.matrix_rank(T(np.zeros((2, 0, 3)), device)), np.zeros(2, dtype=np.int64))
    with pytest.raises(RuntimeError, match="torch.linalg.matrix_rank: The input tensor input must have at least 2"):
        torch.linalg.matrix_rank(T([1.0], device))


@pytest.mark.parametrize("driver", [None, "gelsd", "gelss", "gels"])
def test_lstsq_matches_numpy(device, driver):
    a, b = rand((2, 5, 3), 17), rand((1, 5, 2), 18)  # the batch dims broadcast
    r = torch.linalg.lstsq(T(a, device), T(b, device), driver=driver)
    assert type(r).__name__ == "linalg_lstsq"
    for i in range(2):
        x, res, rank, s = np.linalg.lstsq(a[i], b[0], rcond=None)
        assert_close(r.solution[i], x, rtol=1e-9, atol=1e-10)
        if driver in ("gelsd", "gelss", "gels"):
            assert_close(r.residuals[i], res, rtol=1e-9, atol=1e-10)
        if driver in ("gelsd", "gelss"):
            assert_close(r.singular_values[i], s, **F64)
    if driver in (None, "gelsd", "gelss"):
        assert r.rank.tolist() == [3, 3]
    if driver in (None, "gels"):
        assert tuple(r.singular_values.shape) == (0,)
    if driver is None:  # gelsy computes no residuals
        assert tuple(r.residuals.shape) == (0,)
    if driver == "gels":
        assert tuple(r.rank.shape) == (0,)


def test_lstsq_rank_deficient_wide_and_vector(device):
    a = rand((5, 2), 19) @ rand((2, 3), 20)  # rank 2: the minimum-norm solution
    b = rand((5,), 21)
    r = torch.linalg.lstsq(T(a, device), T(b, device), driver="gelsd")
    x, _, rank, s = np.linalg.lstsq(a, b, rcond=None)
    assert_close(r.solution, x, rtol=1e-8, atol=1e-9)
    assert r.rank.item() == rank == 2 and tuple(r.residuals.shape) == (0,)
    w = rand((2, 4), 22)  # underdetermined
    assert_close(torch.linalg.lstsq(T(w, device), T(w @ np.ones(4), device)).solution,
                 np.linalg.lstsq(w, w @ np.ones(4), rcond=None)[0], rtol=1e-9, atol=1e-10)
    with pytest.raises(RuntimeError, match=r"torch.linalg.lstsq: input.size\(-2\) should match other.size\(-2\)"):
        torch.linalg.lstsq(T(a, device), T(np.zeros((4, 1)), device))
    with pytest.raises(RuntimeError, match=r"torch.linalg.lstsq: input.size\(-2\) should match other.size\(-1\)"):
        torch.linalg.lstsq(T(a, device), T(np.zeros(4), device))
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        torch.linalg.lstsq(T(a, device), T(b, device), driver="lapack")
    with pytest.raises(RuntimeError, match="Expected input and other to have the same dtype, but got input's dtype "
                       "Double and other's dtype Float"):
        torch.linalg.lstsq(T(a, device), T(b, device, "float32"))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1])
def test_cond_matches_numpy(device, p):
    a = rand((2, 3, 3), 23)
    assert_close(torch.linalg.cond(T(a, device), p), np.linalg.cond(a, p), rtol=1e-9, atol=0)


def test_cond_special_cases(device):
    a = rand((4, 3), 24)
    assert_close(torch.linalg.cond(T(a, device)), np.linalg.cond(a), rtol=1e-9, atol=0)
    singular = T([[1.0, 2.0], [2.0, 4.0]], device)
    assert torch.linalg.cond(singular, 1).item() == math.inf
    assert tuple(torch.linalg.cond(T(np.zeros((2, 0, 0)), device)).shape) == (2,)
    with pytest.raises(RuntimeError, match=r"linalg.cond\(ord=1\): A must be batches of square matrices"):
        torch.linalg.cond(T(a, device), 1)
    with pytest.raises(RuntimeError, match="linalg.cond got an invalid norm type: 3.0"):
        torch.linalg.cond(T(np.eye(2), device), 3)
    with pytest.raises(RuntimeError, match="linalg.cond: The input tensor must have at least 2 dimensions."):
        torch.linalg.cond(T([1.0], device))


def test_matrix_norm_spectral_orders(device):
    a = rand((2, 3, 4), 25)
    for ord in [2, -2, "nuc"]:
        ref = np.linalg.norm(a, ord=ord, axis=(-2, -1))
        assert_close(torch.linalg.matrix_norm(T(a, device), ord=ord), ref, **F64)
        assert_close(torch.linalg.norm(T(a, device), ord=ord, dim=(0, 2), keepdim=True),
                     np.linalg.norm(a, ord=ord, axis=(0, 2), keepdims=True), **F64)


def test_batched_tolerances_apply_per_matrix(device):
    # A tensor atol/rtol of the batch shape gives each matrix its own cut (PyTorch unsqueezes it
    # against the singular values); it used to broadcast against them instead.
    d = np.stack([np.diag([4.0, 1.0, 0.01]), np.diag([2.0, 0.5, 0.2])])
    A = T(d, device)
    atol = T([0.1, 0.3], device)
    pinv_ref = np.stack([np.diag([0.25, 1.0, 0.0]), np.diag([0.5, 2.0, 0.0])])
    assert_close(torch.linalg.pinv(A, atol=atol), pinv_ref, **F64)
    assert_close(torch.linalg.pinv(A, atol=atol, hermitian=True), pinv_ref, **F64)
    assert_close(torch.linalg.pinv(A, rtol=T([0.2, 0.05], device)),
                 np.stack([np.diag([0.25, 1.0, 0.0]), np.diag([0.5, 2.0, 5.0])]), **F64)
    assert torch.linalg.matrix_rank(A, atol=atol).tolist() == [2, 2]
    assert torch.linalg.matrix_rank(A, rtol=T([0.5, 0.05], device)).tolist() == [1, 3]


def test_norm_dispatch_and_errors(device):
    a = rand((2, 3), 26)
    for ord in ["fro", "nuc", 1, -1, 2, math.inf]:
        assert_close(torch.linalg.norm(T(a, device), ord), np.linalg.norm(a, ord), **F64)
    assert_close(torch.linalg.norm(T(a, device), dim=(0, 1)), np.linalg.norm(a), **F64)
    assert_close(torch.linalg.norm(T(a, device), 1, dim=1), np.linalg.norm(a, 1, axis=1), **F64)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: The input tensor A must have at least 2"):
        torch.linalg.norm(T([1.0, 2.0], device), "fro")
    with pytest.raises(RuntimeError, match=r"linalg.norm: If dim is specified, it must be of length 1 or 2. Got \[0, 1, 2\]"):
        torch.linalg.norm(T(rand((2, 2, 2), 27), device), dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dims must be different. Got \\(1, -1\\)"):
        torch.linalg.matrix_norm(T(a, device), dim=(1, -1))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Expected a floating point or complex tensor as "
                       "input. Got Long"):
        torch.linalg.matrix_norm(torch.ones(2, 2, dtype=torch.int64, device=device))


# ----------------------------------------------------------------------------- gradients

def _grad_cases():
    # Well-separated spectra, so every output below is differentiable.
    s = np.diag([1.0, 2.5, 4.0]) + 0.1 * sym((3, 3), 30)
    tall, wide = rand((4, 3), 31), rand((2, 4), 32)
    sq = rand((3, 3), 33) + np.diag([3.0, 0.0, -3.0])
    eig = torch.linalg.eigh
    return {
        "eigvalsh": (lambda x: torch.linalg.eigvalsh(x + x.mT), [s]),
        "eigh_projector": (lambda x: (lambda V: V[:, :1] @ V[:, :1].mT)(eig(x + x.mT).eigenvectors), [s]),
        "eigh_squares": (lambda x: eig(x + x.mT, UPLO="U").eigenvectors ** 2, [s]),
        "svdvals_tall": (torch.linalg.svdvals, [tall]),
        "svd_reconstruct": (lambda x: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.Vh)(torch.linalg.svd(x, False)), [tall]),
        "svd_polar_tall": (lambda x: (lambda r: r.U @ r.Vh)(torch.linalg.svd(x, False)), [tall]),
        "svd_U_squares_tall": (lambda x: torch.linalg.svd(x, False).U ** 2, [tall]),
        "svd_Vh_squares_wide": (lambda x: torch.linalg.svd(x, False).Vh ** 2, [wide]),
        "svd_full_polar": (lambda x: (lambda r: r.U[..., :3] @ r.Vh)(torch.linalg.svd(x, True)), [sq]),
        "pinv": (torch.linalg.pinv, [tall]),
        "lstsq": (lambda a, b: torch.linalg.lstsq(a, b).solution, [tall, rand((4, 2), 34)]),
        "cond": (torch.linalg.cond, [sq]),
        "nuclear_norm": (lambda x: torch.linalg.matrix_norm(x, "nuc"), [wide]),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_gradients_against_finite_differences(name):
    fn, arrays = _grad_cases()[name]
    inputs = tuple(T(a).requires_grad_(True) for a in arrays)
    assert torch.autograd.gradcheck(fn, inputs), name


@requires_gpu
@pytest.mark.parametrize("name", ["eigh_projector", "svd_U_squares_tall", "svd_Vh_squares_wide"])
def test_gpu_gradients_match_cpu(name):
    fn, arrays = _grad_cases()[name]
    grads = []
    for dev in ["cpu", "gpu"]:
        x = T(arrays[0], dev).requires_grad_(True)
        out = fn(x)
        (out * T(rand(tuple(out.shape), 40), dev)).sum().backward()
        assert x.grad.device.type == dev
        grads.append(to_numpy(x.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-10)


def test_svd_jacobi_tournament_meets_every_pair_once():
    for n in [2, 4, 6, 10]:
        perm, state, seen = _linalg_jacobi._tournament(n), list(range(n)), set()
        for _ in range(n - 1):
            seen.update(frozenset(state[i:i + 2]) for i in range(0, n, 2))
            state = [state[j] for j in perm]
        assert len(seen) == n * (n - 1) // 2 and state == list(range(n)) and perm[0] == 0


def test_docstring_examples():
    result = doctest.testmod(_linalg_spectral)
    assert result.failed == 0 and result.attempted > 0
