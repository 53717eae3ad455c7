"""torch.linalg.polar and torch.linalg.matrix_sqrth against scipy (scipy.linalg.polar, scipy.linalg.sqrtm)
on every device: batched, square and tall, transposed and empty inputs, the factors' defining
properties, PyTorch's errors, and gradients against finite differences in float64. The GPU is a
software one in CI: matrices stay small."""
import doctest

import numpy as np
import pytest
import scipy.linalg

import ferrotorch as torch
from ferrotorch import _linalg_polar
from conftest import assert_close as _assert_close, requires_gpu, to_numpy as _to_numpy

TOL = {"float64": dict(rtol=1e-9, atol=1e-10), "float32": dict(rtol=2e-4, atol=3e-5)}


def to_numpy(t):
    return _to_numpy(t.cpu())


def assert_close(actual, expected, **tol):
    _assert_close(actual.cpu(), expected, **tol)


def T(a, device="cpu", dtype="float64"):
    return torch.tensor(np.array(a, order="C")).to(getattr(torch, dtype)).to(device)


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def spd(shape, seed):
    """A batch of well-conditioned symmetric positive-definite matrices."""
    a = rand(shape, seed)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def scipy_batched(fn, a):
    """`fn` (a scipy function of one matrix) over the leading dims of `a`."""
    flat = a.reshape((-1,) + a.shape[-2:])
    return [fn(m) for m in flat], a.shape[:-2]


# ----------------------------------------------------------------------------- polar

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3, 3), (2, 5, 3), (1, 1)])
def test_polar_matches_scipy_and_factor_properties(device, dtype, shape):
    a = rand(shape, 1)
    U, H = torch.linalg.polar(T(a, device, dtype))
    assert U.device.type == torch.device(device).type and U.dtype == getattr(torch, dtype)
    n = shape[-1]
    assert tuple(U.shape) == shape and tuple(H.shape) == shape[:-2] + (n, n)
    pairs, batch = scipy_batched(scipy.linalg.polar, a)
    u_ref = np.stack([u for u, _ in pairs]).reshape(shape)
    h_ref = np.stack([h for _, h in pairs]).reshape(batch + (n, n))
    tol = TOL[dtype]
    # A full-rank matrix has a unique polar decomposition, so the factors themselves can be compared.
    assert_close(U, u_ref.astype(dtype), **tol)
    assert_close(H, h_ref.astype(dtype), **tol)
    u, h = to_numpy(U), to_numpy(H)
    np.testing.assert_allclose(u @ h, a, **tol)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(n), batch + (n, n)), **tol)
    np.testing.assert_allclose(h, np.swapaxes(h, -1, -2), **tol)
    assert np.linalg.eigvalsh(h.astype(np.float64)).min() > 0


def test_polar_returns_named_tuple_and_writes_out(device):
    a = rand((4, 3), 2)
    result = torch.linalg.polar(T(a, device))
    assert type(result) is torch.return_types.linalg_polar
    assert result._fields == ("U", "H")
    assert repr(result).startswith("torch.return_types.linalg_polar(\nU=tensor(")
    U_out = torch.empty(0, dtype=torch.float64, device=device)
    H_out = torch.empty(0, dtype=torch.float64, device=device)
    got = torch.linalg.polar(T(a, device), out=(U_out, H_out))
    assert got.U is U_out and got.H is H_out
    assert_close(U_out, to_numpy(result.U), rtol=0, atol=0)
    assert_close(H_out, to_numpy(result.H), rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got float instead"):
        torch.linalg.polar(T(a, device), out=(torch.empty(0, device=device), H_out))


def test_polar_of_transposed_view_and_rank_deficient_matrix(device):
    a = rand((3, 4), 3)
    At = T(a, device).mT  # a non-contiguous (4, 3) view
    U, H = torch.linalg.polar(At)
    u_ref, h_ref = scipy.linalg.polar(a.T)
    assert_close(U, u_ref, **TOL["float64"])
    assert_close(H, h_ref, **TOL["float64"])
    # Rank one: U is not unique, but A = U H, U^T U = I and H = (A^T A)^(1/2) still hold.
    r = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    U, H = torch.linalg.polar(T(r, device))
    u, h = to_numpy(U), to_numpy(H)
    np.testing.assert_allclose(u @ h, r, atol=1e-9)
    np.testing.assert_allclose(u.T @ u, np.eye(2), atol=1e-9)
    np.testing.assert_allclose(h, scipy.linalg.polar(r)[1], atol=1e-9)


def test_polar_empty_inputs(device):
    for shape, u_shape, h_shape in [((0, 3, 3), (0, 3, 3), (0, 3, 3)), ((3, 0), (3, 0), (0, 0)),
                                    ((0, 0), (0, 0), (0, 0))]:
        U, H = torch.linalg.polar(torch.zeros(shape, device=device))
        assert tuple(U.shape) == u_shape and tuple(H.shape) == h_shape


def test_polar_errors(device):
    with pytest.raises(RuntimeError, match="linalg.polar: input must have at least as many rows as columns, "
                                           "but got 2 by 4 matrices"):
        torch.linalg.polar(T(rand((2, 4), 4), device))
    with pytest.raises(RuntimeError, match="linalg.polar: The input tensor A must have at least 2 dimensions."):
        torch.linalg.polar(T([1.0, 2.0], device))
    with pytest.raises(NotImplementedError, match="linalg.polar: Expected a floating point or complex tensor as "
                                                  "input. Got Long"):
        torch.linalg.polar(torch.ones(2, 2, dtype=torch.int64, device=device))
    with pytest.raises(TypeError, match=r"linalg_polar\(\): argument 'A' \(position 1\) must be Tensor, not list"):
        torch.linalg.polar([[1.0, 2.0]])


def test_polar_half_is_refused_by_the_svd_kernel():
    with pytest.raises(NotImplementedError, match="\"linalg_svd_cpu\" not implemented for 'Half'"):
        torch.linalg.polar(torch.ones(2, 2, dtype=torch.float16))


def test_polar_gradients_against_finite_differences():
    for shape in [(3, 3), (4, 2), (2, 3, 2)]:
        A = T(rand(shape, 5)).requires_grad_(True)
        assert torch.autograd.gradcheck(lambda x: torch.linalg.polar(x).U, (A,)), shape
        assert torch.autograd.gradcheck(lambda x: torch.linalg.polar(x).H, (A,)), shape


@requires_gpu
def test_polar_gpu_gradient_matches_cpu():
    a, w = rand((3, 2), 6), rand((3, 2), 7)
    grads = []
    for dev in ["cpu", "gpu"]:
        A = T(a, dev).requires_grad_(True)
        U, H = torch.linalg.polar(A)
        ((U * T(w, dev)).sum() + H.sum()).backward()
        assert A.grad.device.type == dev
        grads.append(to_numpy(A.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-10)


# ----------------------------------------------------------------------------- matrix_sqrth

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (2, 1, 2, 2)])
def test_matrix_sqrth_matches_scipy_sqrtm(device, dtype, shape):
    a = spd(shape, 8)
    X = torch.linalg.matrix_sqrth(T(a, device, dtype))
    assert X.device.type == torch.device(device).type and X.dtype == getattr(torch, dtype)
    roots, batch = scipy_batched(scipy.linalg.sqrtm, a)
    ref = np.stack(roots).reshape(shape).real
    tol = TOL[dtype]
    assert_close(X, ref.astype(dtype), **tol)
    x = to_numpy(X).astype(np.float64)
    np.testing.assert_allclose(x @ x, a, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)
    np.testing.assert_allclose(x, np.swapaxes(x, -1, -2), **tol)
    assert np.linalg.eigvalsh(x).min() > 0


def test_matrix_sqrth_reads_the_lower_triangle(device):
    # The upper triangle (100) is ignored: the input is taken as [[4, 1], [1, 9]].
    X = torch.linalg.matrix_sqrth(T([[4.0, 100.0], [1.0, 9.0]], device))
    assert_close(X, scipy.linalg.sqrtm(np.array([[4.0, 1.0], [1.0, 9.0]])).real, **TOL["float64"])


def test_matrix_sqrth_of_indefinite_matrix_clamps_negative_eigenvalues(device):
    # PyTorch raises nothing for a matrix that is not PD: eigenvalues below 0 are taken as 0.
    q, _ = np.linalg.qr(rand((3, 3), 9))
    a = q @ np.diag([4.0, -1.0, 0.0]) @ q.T
    X = torch.linalg.matrix_sqrth(T(a, device))
    assert_close(X, q @ np.diag([2.0, 0.0, 0.0]) @ q.T, **TOL["float64"])


def test_matrix_sqrth_empty_and_errors(device):
    for shape in [(0, 3, 3), (0, 0), (2, 0, 0)]:
        X = torch.linalg.matrix_sqrth(torch.zeros(shape, device=device))
        assert tuple(X.shape) == shape
    with pytest.raises(RuntimeError, match="linalg.matrix_sqrth: A must be batches of square matrices, but they "
                                           "are 2 by 3 matrices"):
        torch.linalg.matrix_sqrth(torch.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="linalg.matrix_sqrth: The input tensor A must have at least 2 "
                                           "dimensions."):
        torch.linalg.matrix_sqrth(torch.ones(3, device=device))
    with pytest.raises(NotImplementedError, match="linalg.matrix_sqrth: Expected a floating point or complex "
                                                  "tensor as input. Got Long"):
        torch.linalg.matrix_sqrth(torch.ones(2, 2, dtype=torch.int64, device=device))
    with pytest.raises(NotImplementedError, match="linalg.matrix_sqrth: Low precision dtypes not supported. "
                                                  "Got Half"):
        torch.linalg.matrix_sqrth(torch.ones(2, 2, dtype=torch.float16, device=device))
    with pytest.raises(TypeError, match=r"linalg_matrix_sqrth\(\): argument 'input' \(position 1\) must be "
                                        "Tensor, not list"):
        torch.linalg.matrix_sqrth([[1.0]])


def test_matrix_sqrth_takes_its_matrix_as_input_keyword(device):
    # PyTorch names the argument `input` (polar's is `A`).
    X = torch.linalg.matrix_sqrth(input=T([[4.0, 0.0], [0.0, 9.0]], device))
    assert_close(X, np.diag([2.0, 3.0]), **TOL["float64"])
    with pytest.raises(TypeError):
        torch.linalg.matrix_sqrth(A=T([[4.0, 0.0], [0.0, 9.0]], device))


def test_matrix_sqrth_of_non_finite_matrix_is_nan_not_an_error(device):
    # A NaN or infinity in the lower triangle makes that matrix's root all NaN; the other matrices
    # of the batch are unaffected, and one in the (ignored) upper triangle changes nothing.
    nan, inf = float("nan"), float("inf")
    a = np.array([[[nan, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 9.0]], [[1.0, nan], [0.0, 1.0]],
                  [[1.0, 0.0], [-inf, 1.0]]])
    x = to_numpy(torch.linalg.matrix_sqrth(T(a, device)))
    assert np.isnan(x[0]).all() and np.isnan(x[3]).all()
    np.testing.assert_allclose(x[1], np.diag([2.0, 3.0]), atol=1e-12)
    np.testing.assert_allclose(x[2], np.eye(2), atol=1e-12)


def test_matrix_sqrth_gradient_of_non_finite_matrix_is_nan(device):
    # The gradient of a NaN root is NaN, not a silent 0; the finite matrix's stays finite and exact.
    a = np.array([[[float("nan"), 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 9.0]]])
    A = T(a, device).requires_grad_(True)
    torch.linalg.matrix_sqrth(A).sum().backward()
    grad = to_numpy(A.grad)
    assert np.isnan(grad[0]).all()
    # d sqrt(l) / d l = 1 / (2 sqrt(l)) on the diagonal of a diagonal matrix
    np.testing.assert_allclose(np.diag(grad[1]), [0.25, 1 / 6], rtol=1e-10)


def test_matrix_sqrth_gradients_against_finite_differences():
    # Only the lower triangle is read, so finite differences see a symmetric function of a
    # symmetrised input: differentiate B -> sqrth(B B^T + n I), which stays SPD under perturbation.
    for shape in [(3, 3), (2, 2, 2)]:
        B = T(rand(shape, 10)).requires_grad_(True)
        n = shape[-1]
        eye = torch.eye(n, dtype=torch.float64)
        assert torch.autograd.gradcheck(lambda b: torch.linalg.matrix_sqrth(b @ b.mT + n * eye), (B,)), shape


@requires_gpu
def test_matrix_sqrth_gpu_gradient_matches_cpu():
    b, w = rand((3, 3), 11), rand((3, 3), 12)
    grads = []
    for dev in ["cpu", "gpu"]:
        B = T(b, dev).requires_grad_(True)
        X = torch.linalg.matrix_sqrth(B @ B.mT + 3 * torch.eye(3, dtype=torch.float64, device=dev))
        (X * T(w, dev)).sum().backward()
        assert B.grad.device.type == dev
        grads.append(to_numpy(B.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-10)


def test_docstring_examples():
    result = doctest.testmod(_linalg_polar)
    assert result.attempted > 0 and result.failed == 0
