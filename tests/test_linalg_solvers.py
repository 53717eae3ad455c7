"""torch.linalg's solvers and factorisations (inv, det, slogdet, solve, cholesky, qr, lu_factor,
lu_solve, solve_triangular, matrix_power, multi_dot, vecdot) and their top-level aliases, against
numpy on every device: batched, transposed and empty inputs, singular and non-positive-definite
inputs with PyTorch's exception classes and messages, and gradients against finite differences
(CPU) and against the CPU's gradients (GPU). The GPU is a software one in CI: matrices stay small."""
import doctest
import pickle
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _linalg_factorizations, _linalg_solvers, _runtime_flags
from conftest import assert_close as _assert_close, requires_gpu, to_numpy as _to_numpy

F64 = dict(rtol=1e-9, atol=1e-10)
F32 = dict(rtol=1e-4, atol=1e-5)


def to_numpy(t):
    return _to_numpy(t.cpu())


def assert_close(actual, expected, **tol):
    """conftest's comparison, after bringing a GPU result to the host (the check reads it once)."""
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **tol)


def T(a, device="cpu", dtype=None):
    t = torch.tensor(np.array(a, order="C"))
    if dtype is not None:
        t = t.to(getattr(torch, dtype))
    return t.to(device)


def rand(shape, seed, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def spd(batch, n, seed):
    """Well-conditioned symmetric positive-definite matrices."""
    X = rand(batch + (n, n), seed)
    return X @ np.swapaxes(X, -1, -2) + n * np.eye(n)


def swap_last(a):
    return np.swapaxes(a, -1, -2)


def getrf_reference(A):
    """LAPACK's getrf (partial pivoting, first largest pivot) in numpy: (LU, 1-based pivots)."""
    A = np.array(A, dtype=np.float64)
    m, n = A.shape
    piv = []
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.abs(A[j:, j])))
        piv.append(p + 1)
        A[[j, p]] = A[[p, j]]
        if A[j, j] != 0:
            A[j + 1:, j] /= A[j, j]
            A[j + 1:, j + 1:] -= np.outer(A[j + 1:, j], A[j, j + 1:])
    return A, np.array(piv, dtype=np.int32)


# ----------------------------------------------------------------------------- inv, det, slogdet


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inv_batched_and_transposed(device, dtype):
    A = rand((2, 3, 4, 4), 1) + 2 * np.eye(4)
    tol = F64 if dtype == "float64" else F32
    out = torch.linalg.inv(T(A, device, dtype))
    assert out.device.type == torch.device(device).type
    assert_close(out, np.linalg.inv(A).astype(dtype), **tol)
    # A transposed view: the factorisation must read the strides, not the storage order.
    At = T(A, device, dtype).mT
    assert not At.is_contiguous()
    assert_close(torch.linalg.inv(At), np.linalg.inv(swap_last(A)).astype(dtype), **tol)
    assert_close(torch.inverse(T(A[0, 0], device, dtype)), np.linalg.inv(A[0, 0]).astype(dtype), **tol)
    assert_close(T(A[1], device, dtype).inverse(), np.linalg.inv(A[1]).astype(dtype), **tol)


def test_inv_needs_row_interchanges(device):
    # A zero leading entry: without pivoting the first step would divide by zero.
    A = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]])
    assert_close(torch.linalg.inv(T(A, device)), np.linalg.inv(A), **F64)
    assert_close(torch.linalg.det(T(A, device)), np.linalg.det(A), **F64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_det_slogdet_logdet(device, dtype):
    A = rand((3, 5, 5), 2)
    A[0] = np.diag([-1.0, 2.0, 3.0, 1.0, 1.0]) @ A[0] if np.linalg.det(A[0]) > 0 else A[0]  # one negative det
    tol = F64 if dtype == "float64" else dict(rtol=1e-4, atol=1e-4)
    x = T(A, device, dtype)
    assert_close(torch.linalg.det(x), np.linalg.det(A).astype(dtype), **tol)
    assert_close(torch.det(x.mT), np.linalg.det(A).astype(dtype), **tol)
    assert_close(x.det(), np.linalg.det(A).astype(dtype), **tol)
    sign, logabs = np.linalg.slogdet(A)
    r = torch.linalg.slogdet(x)
    assert type(r).__name__ == "linalg_slogdet"
    assert_close(r.sign, sign.astype(dtype))
    assert_close(r.logabsdet, logabs.astype(dtype), **tol)
    r2 = torch.slogdet(x)
    assert type(r2).__name__ == "slogdet" and r2._fields == ("sign", "logabsdet")
    assert_close(x.slogdet().logabsdet, logabs.astype(dtype), **tol)
    expected_logdet = np.where(sign < 0, np.nan, logabs).astype(dtype)
    assert np.isnan(expected_logdet).any()
    assert_close(torch.logdet(x), expected_logdet, **tol)
    assert_close(x.logdet(), expected_logdet, **tol)


def test_det_of_singular_matrices(device):
    A = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]]])
    assert_close(torch.linalg.det(T(A, device)), [0.0, 0.0, 6.0])
    r = torch.linalg.slogdet(T(A, device))
    assert_close(r.sign, [0.0, 0.0, 1.0])
    assert_close(r.logabsdet, [-np.inf, -np.inf, np.log(6.0)], **F64)
    assert_close(torch.logdet(T(A, device)), [-np.inf, -np.inf, np.log(6.0)], **F64)


# ----------------------------------------------------------------------------- solve


def test_solve_matrix_vector_and_broadcast(device):
    A = rand((2, 4, 4), 3) + 3 * np.eye(4)
    B = rand((2, 4, 3), 4)
    assert_close(torch.linalg.solve(T(A, device), T(B, device)), np.linalg.solve(A, B), **F64)
    # NumPy's vector rule: B of shape A.shape[:-1] is a batch of vectors.
    b = rand((2, 4), 5)
    x = torch.linalg.solve(T(A, device), T(b, device))
    assert_close(x, np.linalg.solve(A, b[..., None])[..., 0], **F64)
    # A single vector against a batch of matrices.
    v = rand((4,), 6)
    assert_close(torch.linalg.solve(T(A, device), T(v, device)), np.linalg.solve(A, v[None, :, None].repeat(2, 0))[..., 0], **F64)
    # Batch dims broadcast: (2, 1, 4, 4) with (3, 4, 2) -> (2, 3, 4, 2).
    A2 = A[:, None]
    B2 = rand((3, 4, 2), 7)
    assert_close(torch.linalg.solve(T(A2, device), T(B2, device)), np.linalg.solve(A2, B2[None]), **F64)
    # Transposed operands.
    Bt = T(swap_last(B), device).mT
    assert_close(torch.linalg.solve(T(A, device).mT, Bt), np.linalg.solve(swap_last(A), B), **F64)


def test_solve_left_false(device):
    A = rand((2, 3, 3), 8) + 3 * np.eye(3)
    B = rand((2, 5, 3), 9)
    expected = swap_last(np.linalg.solve(swap_last(A), swap_last(B)))  # X A = B
    assert_close(torch.linalg.solve(T(A, device), T(B, device), left=False), expected, **F64)
    assert_close(torch.linalg.solve(T(A, device, "float32"), T(B, device, "float32"), left=False),
                 expected.astype(np.float32), **F32)


def test_solve_ex_and_inv_ex_report_info(device):
    A = np.stack([np.eye(3), [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]])
    r = torch.linalg.inv_ex(T(A, device))
    assert type(r).__name__ == "linalg_inv_ex" and r._fields == ("inverse", "info")
    assert r.info.dtype == torch.int32
    assert r.info.tolist() == [0, 3]
    assert_close(r.inverse[0], np.eye(3))
    s = torch.linalg.solve_ex(T(A, device), T(np.ones((2, 3)), device))
    assert s._fields == ("result", "info")
    assert s.info.tolist() == [0, 3]
    with pytest.raises(torch.linalg.LinAlgError, match=r"^linalg.inv_ex: \(Batch element 1\): The diagonal element 3 is zero"):
        torch.linalg.inv_ex(T(A, device), check_errors=True)
    with pytest.raises(torch.linalg.LinAlgError, match=r"^torch.linalg.solve_ex: \(Batch element 1\): The solver failed"):
        torch.linalg.solve_ex(T(A, device), T(np.ones((2, 3)), device), check_errors=True)


def test_singular_inputs_raise_linalg_error(device):
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    S = T([[1.0, 2.0], [2.0, 4.0]], device)
    msg = ("linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input "
           "matrix is singular.")
    with pytest.raises(torch.linalg.LinAlgError) as e:
        torch.linalg.inv(S)
    assert str(e.value) == msg
    with pytest.raises(torch.linalg.LinAlgError) as e:
        torch.inverse(S)
    assert str(e.value) == msg
    with pytest.raises(torch.linalg.LinAlgError) as e:
        torch.linalg.inv(torch.stack([torch.eye(2, device=device), S]))
    assert str(e.value) == msg.replace("linalg.inv:", "linalg.inv: (Batch element 1):")
    with pytest.raises(torch.linalg.LinAlgError) as e:
        torch.linalg.solve(S, T([1.0, 1.0], device))
    assert str(e.value) == "torch.linalg.solve: The solver failed because the input matrix is singular."
    with pytest.raises(RuntimeError) as e:
        torch.linalg.lu_factor(S)
    assert not isinstance(e.value, torch.linalg.LinAlgError)  # a plain TORCH_CHECK in PyTorch
    assert str(e.value).startswith("torch.linalg.lu_factor: U[2,2] is zero and using it on lu_solve would result")
    with pytest.raises(torch.linalg.LinAlgError, match="diagonal element 1 is zero"):
        torch.linalg.matrix_power(torch.zeros(2, 2, device=device), -2)


# ----------------------------------------------------------------------------- cholesky


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_lower_and_upper(device, dtype):
    S = spd((2, 3), 5, 10)
    L = np.linalg.cholesky(S)
    tol = F64 if dtype == "float64" else F32
    x = T(S, device, dtype)
    assert_close(torch.linalg.cholesky(x), L.astype(dtype), **tol)
    assert_close(torch.linalg.cholesky(x, upper=True), swap_last(L).astype(dtype), **tol)
    assert_close(torch.linalg.cholesky(x.mT), L.astype(dtype), **tol)
    # Only the selected triangle is read, as in LAPACK.
    junk_upper = np.tril(S) + np.triu(rand(S.shape, 11), 1)
    assert_close(torch.linalg.cholesky(T(junk_upper, device, dtype)), L.astype(dtype), **tol)
    junk_lower = np.triu(S) + np.tril(rand(S.shape, 12), -1)
    assert_close(torch.linalg.cholesky(T(junk_lower, device, dtype), upper=True), swap_last(L).astype(dtype), **tol)


def test_cholesky_not_positive_definite(device):
    A = T([[1.0, 2.0], [2.0, 1.0]], device)
    with pytest.raises(torch.linalg.LinAlgError) as e:
        torch.linalg.cholesky(A)
    assert str(e.value) == ("linalg.cholesky: The factorization could not be completed because the input is not "
                            "positive-definite (the leading minor of order 2 is not positive-definite).")
    batch = torch.stack([torch.eye(2, device=device), A, -torch.eye(2, device=device)])
    with pytest.raises(torch.linalg.LinAlgError, match=r"^linalg.cholesky: \(Batch element 1\): .*order 2 is"):
        torch.linalg.cholesky(batch)
    r = torch.linalg.cholesky_ex(batch)
    assert r._fields == ("L", "info") and r.info.dtype == torch.int32
    assert r.info.tolist() == [0, 2, 1]
    assert_close(r.L[0], np.eye(2))
    with pytest.raises(torch.linalg.LinAlgError, match=r"^linalg.cholesky_ex: \(Batch element 1\)"):
        torch.linalg.cholesky_ex(batch, check_errors=True)
    # Semi-definite (a zero pivot) and NaN inputs fail too, as potrf's `not (ajj > 0)` check does.
    edge = T(np.array([[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]], [[np.nan, 0.0], [0.0, 1.0]]]), device)
    assert torch.linalg.cholesky_ex(edge).info.tolist() == [2, 1, 1]


def test_removed_cholesky_names_its_replacement(device):
    # Removed in PyTorch (deprecated since 1.9): the function and the method raise its error.
    message = ("This function was deprecated since version 1.9 and is now removed. `torch.cholesky` is deprecated in "
               "favor of `torch.linalg.cholesky`.\nL = torch.cholesky(A) should be replaced with:\n"
               "L = torch.linalg.cholesky(A)\nU = torch.cholesky(A, upper=True) should be replaced with:\n"
               "U = torch.linalg.cholesky(A).mH")
    S = T(spd((), 3, 13), device)
    for call in (lambda: torch.cholesky(S), lambda: torch.cholesky(S, True), lambda: S.cholesky()):
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == message


# ----------------------------------------------------------------------------- qr


def _normalise_signs(Q, R):
    d = np.sign(np.diagonal(R, axis1=-2, axis2=-1))
    d = np.where(d == 0, 1.0, d)
    k = d.shape[-1]
    return Q[..., :k] * d[..., None, :], R[..., :k, :] * d[..., :, None]


@pytest.mark.parametrize("shape", [(2, 5, 5), (6, 4), (2, 4, 6)])
def test_qr_modes(device, shape):
    A = rand(shape, 14)
    m, n = shape[-2:]
    k = min(m, n)
    x = T(A, device)
    Q, R = torch.linalg.qr(x)
    assert tuple(Q.shape) == shape[:-2] + (m, k) and tuple(R.shape) == shape[:-2] + (k, n)
    q, r = to_numpy(Q), to_numpy(R)
    np.testing.assert_allclose(q @ r, A, atol=1e-12)
    np.testing.assert_allclose(swap_last(q) @ q, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)), atol=1e-12)
    assert np.all(np.tril(r, -1) == 0)
    eq, er = np.linalg.qr(A)
    nq, nr = _normalise_signs(q, r)
    enq, enr = _normalise_signs(eq, er)
    np.testing.assert_allclose(nq, enq, atol=1e-12)
    np.testing.assert_allclose(nr, enr, atol=1e-12)
    # The Householder signs are LAPACK's, so the factors equal numpy's as they are.
    np.testing.assert_allclose(q, eq, atol=1e-12)
    np.testing.assert_allclose(r, er, atol=1e-12)

    Qc, Rc = torch.linalg.qr(x, mode="complete")
    assert tuple(Qc.shape) == shape[:-2] + (m, m) and tuple(Rc.shape) == shape[:-2] + (m, n)
    qc, rc = to_numpy(Qc), to_numpy(Rc)
    np.testing.assert_allclose(qc @ rc, A, atol=1e-12)
    np.testing.assert_allclose(swap_last(qc) @ qc, np.broadcast_to(np.eye(m), shape[:-2] + (m, m)), atol=1e-12)
    np.testing.assert_allclose(qc, np.linalg.qr(A, mode="complete")[0], atol=1e-12)

    Qr, Rr = torch.linalg.qr(x, mode="r")
    assert tuple(Qr.shape) == (0,)
    np.testing.assert_allclose(to_numpy(Rr), r, atol=1e-13)
    assert type(torch.linalg.qr(x)).__name__ == "linalg_qr"


def test_qr_transposed_float32_and_triangular_input(device):
    A = rand((3, 5), 15)
    Q, R = torch.linalg.qr(T(A, device, "float32").mT)
    np.testing.assert_allclose(to_numpy(Q) @ to_numpy(R), A.T, atol=1e-5)
    assert Q.dtype == torch.float32
    # Already triangular: LAPACK applies no reflection, so Q = I and R = A, negative diagonal kept.
    U = np.triu(rand((4, 4), 16)) - 5 * np.eye(4)
    Q, R = torch.linalg.qr(T(U, device))
    assert_close(Q, np.eye(4))
    assert_close(R, U)


# ----------------------------------------------------------------------------- lu_factor, lu_solve


def test_lu_factor_matches_getrf(device):
    A = rand((2, 5, 5), 17)
    A[1, :, 0] = [0.0, 1.0, -3.0, 3.0, 2.0]  # a tie for the first pivot: the first row wins
    r = torch.linalg.lu_factor(T(A, device))
    assert type(r).__name__ == "linalg_lu_factor" and r.pivots.dtype == torch.int32
    for i in range(2):
        LU, piv = getrf_reference(A[i])
        assert r.pivots[i].tolist() == piv.tolist()
        assert_close(r.LU[i], LU, **F64)
    # Rectangular inputs factor min(m, n) columns.
    for shape in [(6, 4), (4, 6)]:
        B = rand(shape, 18)
        LU, piv = torch.linalg.lu_factor(T(B, device))
        eLU, epiv = getrf_reference(B)
        assert piv.tolist() == epiv.tolist()
        assert_close(LU, eLU, **F64)
    ex = torch.linalg.lu_factor_ex(T(np.array([[1.0, 2.0], [2.0, 4.0]]), device))
    assert ex._fields == ("LU", "pivots", "info") and ex.info.item() == 2
    # Without pivoting: A = L U with no interchanges.
    C = rand((3, 3), 51) + 4 * np.eye(3)
    LU, piv = torch.linalg.lu_factor(T(C, device), pivot=False)
    assert piv.tolist() == [1, 2, 3]
    lu = to_numpy(LU)
    np.testing.assert_allclose((np.tril(lu, -1) + np.eye(3)) @ np.triu(lu), C, atol=1e-12)


def test_out_arguments(device):
    A = rand((2, 3, 3), 52) + 2 * np.eye(3)
    x = T(A, device)
    out = torch.empty(2, 3, 3, dtype=torch.float64, device=device)
    assert torch.linalg.inv(x, out=out) is out
    assert_close(out, np.linalg.inv(A), **F64)
    outs = (torch.empty(0, dtype=torch.float64, device=device), torch.empty(0, dtype=torch.int32, device=device))
    r = torch.linalg.inv_ex(x, out=outs)
    assert r.inverse is outs[0] and r.info is outs[1]
    assert_close(outs[0], np.linalg.inv(A), **F64)
    assert outs[1].tolist() == [0, 0]
    q, rr = torch.empty(0, dtype=torch.float64, device=device), torch.empty(0, dtype=torch.float64, device=device)
    torch.linalg.qr(x, out=(q, rr))
    np.testing.assert_allclose(to_numpy(q) @ to_numpy(rr), A, atol=1e-12)


def test_lu_solve_variants(device):
    A = rand((2, 4, 4), 19) + 2 * np.eye(4)
    B = rand((2, 4, 3), 20)
    LU, piv = torch.linalg.lu_factor(T(A, device))
    assert_close(torch.linalg.lu_solve(LU, piv, T(B, device)), np.linalg.solve(A, B), **F64)
    assert_close(torch.linalg.lu_solve(LU, piv, T(B, device), adjoint=True), np.linalg.solve(swap_last(A), B), **F64)
    Bl = swap_last(B)
    assert_close(torch.linalg.lu_solve(LU, piv, T(Bl, device), left=False),
                 swap_last(np.linalg.solve(swap_last(A), B)), **F64)
    assert_close(torch.linalg.lu_solve(LU, piv, T(Bl, device), left=False, adjoint=True),
                 swap_last(np.linalg.solve(A, B)), **F64)
    # One factorisation against a batch of right-hand sides.
    B3 = rand((3, 4, 2), 49)
    LU0, piv0 = torch.linalg.lu_factor(T(A[0], device))
    assert_close(torch.linalg.lu_solve(LU0, piv0, T(B3, device)), np.linalg.solve(A[0], B3), **F64)
    with pytest.raises(RuntimeError, match="pivots should be a Tensor of scalar type torch.int32"):
        torch.linalg.lu_solve(LU, piv.long(), T(B, device))


# ----------------------------------------------------------------------------- solve_triangular


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
def test_solve_triangular(device, upper, left):
    M = rand((2, 4, 4), 21)
    tri = np.triu(M) if upper else np.tril(M)
    tri = tri + 4 * np.eye(4) * np.sign(np.diagonal(M, axis1=-2, axis2=-1))[..., None]
    B = rand((2, 4, 3) if left else (2, 3, 4), 22)
    # The other triangle holds junk that must not be read.
    A = tri + (np.tril(M, -1) if upper else np.triu(M, 1))
    x = torch.linalg.solve_triangular(T(A, device), T(B, device), upper=upper, left=left)
    expected = np.linalg.solve(tri, B) if left else swap_last(np.linalg.solve(swap_last(tri), swap_last(B)))
    assert_close(x, expected, **F64)
    unit = tri - np.diagonal(tri, axis1=-2, axis2=-1)[..., None] * np.eye(4) + np.eye(4)
    xu = torch.linalg.solve_triangular(T(A, device), T(B, device), upper=upper, left=left, unitriangular=True)
    expected_u = np.linalg.solve(unit, B) if left else swap_last(np.linalg.solve(swap_last(unit), swap_last(B)))
    assert_close(xu, expected_u, **F64)


def test_solve_triangular_broadcast_and_transposed(device):
    L = np.tril(rand((4, 4), 23)) + 4 * np.eye(4)
    B = rand((3, 4, 2), 24)
    x = torch.linalg.solve_triangular(T(L.T, device).mT, T(B, device), upper=False)
    assert_close(x, np.linalg.solve(L, B), **F64)


# ----------------------------------------------------------------------------- products


def test_matrix_power(device):
    A = rand((2, 3, 3), 25) + 2 * np.eye(3)
    x = T(A, device)
    for n in [-3, -1, 0, 1, 2, 3, 6, 11]:
        assert_close(torch.linalg.matrix_power(x, n), np.linalg.matrix_power(A, n), rtol=1e-9, atol=1e-9)
    assert_close(torch.matrix_power(x, 4), np.linalg.matrix_power(A, 4), **F64)
    assert_close(x.matrix_power(5), np.linalg.matrix_power(A, 5), **F64)
    fib = T(np.array([[1, 1], [1, 0]]), device)
    assert_close(torch.linalg.matrix_power(fib, 20), np.linalg.matrix_power(np.array([[1, 1], [1, 0]]), 20))
    # n == 0 keeps the result in the autograd graph, as PyTorch's clone-and-copy does.
    leaf = T(A, device).requires_grad_(True)
    assert torch.linalg.matrix_power(leaf, 0).requires_grad
    with pytest.raises(TypeError, match=r"argument 'n' \(position 2\) must be int, not float"):
        torch.linalg.matrix_power(x, 2.0)
    with pytest.raises(RuntimeError, match="linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3"):
        torch.linalg.matrix_power(torch.zeros(2, 3, device=device), 2)


def test_multi_dot_and_chain_matmul(device):
    mats = [rand(s, 26 + i) for i, s in enumerate([(3, 5), (5, 2), (2, 6), (6, 4), (4, 3)])]
    ts = [T(m, device) for m in mats]
    expected = mats[0] @ mats[1] @ mats[2] @ mats[3] @ mats[4]
    assert_close(torch.linalg.multi_dot(ts), expected, **F64)
    assert_close(torch.linalg.multi_dot(ts[:3]), mats[0] @ mats[1] @ mats[2], **F64)
    v, w = rand((3,), 31), rand((3,), 32)
    assert_close(torch.linalg.multi_dot([T(v, device)] + ts + [T(w, device)]), v @ expected @ w, **F64)
    assert_close(torch.linalg.multi_dot([T(v, device), ts[0]]), v @ mats[0], **F64)
    _runtime_flags._warned.discard("chain_matmul")
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        assert_close(torch.chain_matmul(*ts), expected, **F64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_close(torch.chain_matmul(ts[0]), mats[0])
        with pytest.raises(RuntimeError, match=r"^Tensor dimension is 1, expected 2 instead.$"):
            torch.chain_matmul(ts[0], T(v, device))
    with pytest.raises(RuntimeError, match="multi_dot\\(\\): expected at least 2 tensors but got 1"):
        torch.linalg.multi_dot(ts[:1])
    with pytest.raises(RuntimeError, match=r"multi_dot\(\): tensors 0 and 1 with shapes \[3, 5\] and \[2, 6\] cannot be multiplied"):
        torch.linalg.multi_dot([ts[0], ts[2]])
    with pytest.raises(RuntimeError, match=r"multi_dot\(\): tensor 1 must be 2D but got 1D"):
        torch.linalg.multi_dot([ts[0], T(rand((5,), 1), device), ts[1]])
    with pytest.raises(RuntimeError, match=r"all tensors must have be the same dtype but tensor 0 is double and tensor 1 float"):
        torch.linalg.multi_dot([ts[0], ts[1].float()])


def test_vecdot(device):
    x, y = rand((2, 3, 4), 33), rand((3, 4), 34)
    assert_close(torch.linalg.vecdot(T(x, device), T(y, device)), (x * y).sum(-1), **F64)
    assert_close(torch.linalg.vecdot(T(x, device), T(x, device), dim=1), (x * x).sum(1), **F64)
    with pytest.raises(RuntimeError, match="^linalg.vecdot: Expected a floating point or complex tensor as input. Got Long$"):
        torch.linalg.vecdot(torch.ones(3, dtype=torch.int64, device=device), torch.ones(3, dtype=torch.int64, device=device))
    with pytest.raises(RuntimeError, match="found x of type Float and y of type Double instead"):
        torch.linalg.vecdot(torch.ones(3, device=device), torch.ones(3, dtype=torch.float64, device=device))


# ----------------------------------------------------------------------------- empty inputs


def test_empty_matrices_and_batches(device):
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        x = torch.zeros(shape, dtype=torch.float64, device=device)
        batch = shape[:-2]
        assert tuple(torch.linalg.inv(x).shape) == shape
        assert torch.linalg.inv_ex(x).info.tolist() == np.zeros(batch, dtype=np.int32).tolist()
        assert_close(torch.linalg.det(x), np.linalg.det(np.zeros(shape)))
        sign, logabs = torch.linalg.slogdet(x)
        esign, elog = np.linalg.slogdet(np.zeros(shape))
        assert_close(sign, esign)
        assert_close(logabs, elog)
        assert tuple(torch.linalg.cholesky(x).shape) == shape
        Q, R = torch.linalg.qr(x)
        assert tuple(Q.shape) == shape and tuple(R.shape) == shape
        LU, piv = torch.linalg.lu_factor(x)
        assert tuple(LU.shape) == shape and tuple(piv.shape) == shape[:-1]
        assert tuple(torch.linalg.solve(x, torch.zeros(shape[:-1] + (2,), dtype=torch.float64, device=device)).shape) \
            == shape[:-1] + (2,)
        assert tuple(torch.linalg.matrix_power(x, 3).shape) == shape
    Q, R = torch.linalg.qr(torch.zeros(3, 0, device=device), mode="complete")
    assert_close(Q, np.eye(3, dtype=np.float32))
    assert tuple(R.shape) == (3, 0)
    assert tuple(torch.linalg.solve(torch.eye(3, device=device), torch.zeros(3, 0, device=device)).shape) == (3, 0)


# ----------------------------------------------------------------------------- argument errors


def test_input_errors():
    with pytest.raises(RuntimeError, match="^linalg.inv: Expected a floating point or complex tensor as input. Got Long$"):
        torch.linalg.inv(torch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="^linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices$"):
        torch.linalg.inv(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="^linalg.det: The input tensor A must have at least 2 dimensions.$"):
        torch.linalg.det(torch.zeros(3))
    with pytest.raises(RuntimeError, match="^linalg.slogdet: Low precision dtypes not supported. Got Half$"):
        torch.linalg.slogdet(torch.eye(2).half())
    with pytest.raises(RuntimeError, match="^logdet: A must be batches of square matrices"):
        torch.logdet(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="^linalg.cholesky: A must be batches of square matrices, but they are 3 by 2"):
        torch.linalg.cholesky(torch.zeros(3, 2))
    with pytest.raises(RuntimeError, match="^linalg.qr: The input tensor A must have at least 2 dimensions.$"):
        torch.linalg.qr(torch.zeros(3))
    with pytest.raises(RuntimeError, match="^qr received unrecognized mode 'full' but expected one of 'reduced'"):
        torch.linalg.qr(torch.eye(2), mode="full")
    with pytest.raises(RuntimeError, match=r"^linalg.solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x2\)$"):
        torch.linalg.solve(torch.eye(3), torch.ones(2, 2))
    with pytest.raises(RuntimeError, match="^linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double instead$"):
        torch.linalg.solve(torch.eye(3), torch.ones(3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(4\) must match the size of tensor b \(2\) at non-singleton dimension 0$"):
        torch.linalg.solve(torch.eye(3).expand(2, 3, 3), torch.ones(4, 3, 2))
    with pytest.raises(RuntimeError, match="^linalg.solve: Vector broadcasting of the left hand side is not supported for left=False"):
        torch.linalg.solve(torch.ones(2, 1, 1), torch.ones(2, 1), left=False)
    with pytest.raises(RuntimeError, match=r"^linalg.solve_triangular: Incompatible shapes of A and B for the equation XA = B \(3x3 and 3x2\)$"):
        torch.linalg.solve_triangular(torch.eye(3), torch.ones(3, 2), upper=True, left=False)
    with pytest.raises(TypeError, match=r"^linalg_inv\(\): argument 'A' \(position 1\) must be Tensor, not list$"):
        torch.linalg.inv([[1.0]])


def test_public_names():
    for name in ["inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "cholesky", "cholesky_ex", "qr",
                 "lu_factor", "lu_factor_ex", "lu_solve", "solve_triangular", "matrix_power", "multi_dot",
                 "vecdot", "LinAlgError"]:
        assert name in torch.linalg.__all__ and callable(getattr(torch.linalg, name)), name
    for name in ["inverse", "det", "logdet", "slogdet", "cholesky", "matrix_power", "chain_matmul"]:
        assert callable(getattr(torch, name)), name
    for name in ["inverse", "det", "logdet", "slogdet", "cholesky", "matrix_power"]:
        assert callable(getattr(torch.Tensor, name)), name
    assert torch.linalg.cholesky is not torch.cholesky and torch.linalg.slogdet is not torch.slogdet


def test_linalg_error_is_torch_c_linalg_error():
    # PyTorch's class is torch._C._LinAlgError (tracebacks print that), and it pickles by that name.
    error = torch.linalg.LinAlgError
    assert error is torch._C._LinAlgError and issubclass(error, RuntimeError)
    assert (error.__module__, error.__name__) == ("ferrotorch._C", "_LinAlgError")
    with pytest.raises(error) as caught:
        torch.linalg.inv(torch.zeros(2, 2))
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is error and str(again) == str(caught.value)


def test_docstring_examples():
    for module in (_linalg_solvers, _linalg_factorizations):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# ----------------------------------------------------------------------------- gradients


def _grad_cases():
    A = rand((2, 3, 3), 40) + 2 * np.eye(3)
    B = rand((2, 3, 2), 41)
    S = spd((), 3, 42)
    X = rand((4, 3), 43)
    U = np.triu(rand((3, 3), 44)) + 3 * np.eye(3)
    return {
        "inv": (lambda a: torch.linalg.inv(a), [A]),
        "det": (lambda a: torch.linalg.det(a), [A]),
        "slogdet": (lambda a: torch.linalg.slogdet(a).logabsdet, [A]),
        "logdet": (lambda a: torch.logdet(a @ a.mT), [A]),
        "solve": (lambda a, b: torch.linalg.solve(a, b), [A, B]),
        "solve_right": (lambda a, b: torch.linalg.solve(a, b.mT, left=False), [A, B]),
        "cholesky": (lambda s: torch.linalg.cholesky((s + s.mT) * 0.5), [S]),
        "cholesky_upper": (lambda s: torch.linalg.cholesky((s + s.mT) * 0.5, upper=True), [S]),
        "qr": (lambda x: torch.linalg.qr(x), [X]),
        "qr_wide": (lambda x: torch.linalg.qr(x.mT), [X]),
        "solve_triangular": (lambda u, b: torch.linalg.solve_triangular(u, b[0], upper=True), [U, B]),
        "lu_solve": (lambda a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(a), b, adjoint=True), [A, B]),
        "matrix_power": (lambda a: torch.linalg.matrix_power(a, -2), [A]),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_gradients_against_finite_differences(name):
    fn, arrays = _grad_cases()[name]
    inputs = tuple(T(a).requires_grad_(True) for a in arrays)
    assert torch.autograd.gradcheck(fn, inputs), name


@requires_gpu
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "solve", "cholesky", "qr", "solve_triangular"])
def test_gpu_gradients_match_cpu(name):
    fn, arrays = _grad_cases()[name]
    grads = []
    for dev in ["cpu", "gpu"]:
        inputs = [T(a, dev).requires_grad_(True) for a in arrays]
        outs = fn(*inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = sum((o * T(rand(tuple(o.shape), 50 + i), dev)).sum() for i, o in enumerate(outs))
        total.backward()
        assert all(x.grad.device.type == torch.device(dev).type for x in inputs)
        grads.append([to_numpy(x.grad) for x in inputs])
    for g_cpu, g_gpu in zip(*grads):
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-9, atol=1e-10)


def test_det_and_inv_gradient_formulas():
    A = rand((2, 3, 3), 45) + 2 * np.eye(3)
    x = T(A).requires_grad_(True)
    torch.linalg.det(x).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.linalg.det(A)[:, None, None] * swap_last(np.linalg.inv(A)), rtol=1e-10)
    x = T(A).requires_grad_(True)
    G = rand((2, 3, 3), 46)
    (torch.linalg.inv(x) * T(G)).sum().backward()
    Ai = np.linalg.inv(A)
    np.testing.assert_allclose(to_numpy(x.grad), -swap_last(Ai) @ G @ swap_last(Ai), rtol=1e-9, atol=1e-12)


def test_det_gradient_of_a_singular_matrix():
    # Rank n-1: d det / dA is the (nonzero) adjugate transposed.
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    x = T(A).requires_grad_(True)
    torch.linalg.det(x).backward()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(A, i, 0), j, 1)) for j in range(3)]
                    for i in range(3)])
    np.testing.assert_allclose(to_numpy(x.grad), cof, atol=1e-12)


def test_cholesky_gradient_is_pytorchs_symmetric_one():
    S = spd((), 4, 47)
    x = T(S).requires_grad_(True)
    L = torch.linalg.cholesky(x)
    gL = rand((4, 4), 48)
    (L * T(gL)).sum().backward()
    # PyTorch's cholesky_backward: L^-T Phi(L^T gL) L^-1 with Phi symmetrising the lower triangle.
    Ln = np.linalg.cholesky(S)
    P = np.tril(Ln.T @ gL)
    P = 0.5 * (P + np.tril(P, -1).T)
    Li = np.linalg.inv(Ln)
    expected = Li.T @ P @ Li
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(x.grad).T, atol=1e-12)
