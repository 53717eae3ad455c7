"""torch.linalg's matrix functions (matrix_exp, lu, lu_unpack, torch.lu, householder_product /
orgqr, tensorinv, tensorsolve, vander, diagonal, matmul) against numpy/scipy on every device:
batched, transposed, empty inputs, PyTorch's errors, and gradients against finite differences."""
import doctest
import warnings

import numpy as np
import pytest
import scipy.linalg

import ferrotorch as torch
from ferrotorch import _linalg_matrix_functions
# The helpers (device-agnostic comparisons, float64 tensors from arrays) are the spectral tests'.
from test_linalg_spectral import F64, T, assert_close, rand, to_numpy


# ----------------------------------------------------------------------------- matrix_exp

@pytest.mark.parametrize("scale", [1e-3, 0.5, 3.0, 40.0])
def test_matrix_exp_matches_scipy(device, scale):
    a = rand((2, 4, 4), 1) * scale
    ref = np.stack([scipy.linalg.expm(x) for x in a])
    assert_close(torch.linalg.matrix_exp(T(a, device)), ref, rtol=1e-11 * max(1.0, scale), atol=1e-13)
    assert_close(torch.matrix_exp(T(a, device, "float32")), ref.astype(np.float32), rtol=1e-4 * max(1.0, scale), atol=1e-5)


def test_matrix_exp_special_inputs(device):
    a = rand((3, 3), 2)
    At = T(a.T.copy(), device).mT
    assert_close(At.matrix_exp(), scipy.linalg.expm(a), rtol=1e-11, atol=1e-13)
    assert_close(torch.linalg.matrix_exp(T(np.zeros((2, 2)), device)), np.eye(2), **F64)
    assert_close(torch.linalg.matrix_exp(T([[[2.0]]], device)), np.exp([[[2.0]]]), **F64)
    assert tuple(torch.linalg.matrix_exp(T(np.zeros((0, 3, 3)), device)).shape) == (0, 3, 3)
    with pytest.raises(RuntimeError, match="linalg.matrix_exp: A must be batches of square matrices, but they are 2 by 3"):
        torch.linalg.matrix_exp(T(np.zeros((2, 3)), device))
    with pytest.raises(RuntimeError, match="linalg.matrix_exp: Expected a floating point or complex tensor as input. Got Long"):
        torch.linalg.matrix_exp(torch.ones(2, 2, dtype=torch.int64))


# ----------------------------------------------------------------------------- lu

@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3), (1, 1)])
def test_linalg_lu_matches_scipy(device, shape):
    a = rand(shape, 3)
    P, L, U = torch.linalg.lu(T(a, device))
    flat = a.reshape((-1,) + shape[-2:])
    refs = [scipy.linalg.lu(x) for x in flat]
    for name, got, i in [("P", P, 0), ("L", L, 1), ("U", U, 2)]:
        ref = np.stack([r[i] for r in refs]).reshape(shape[:-2] + refs[0][i].shape)
        assert_close(got, ref, **F64), name
    r = torch.lu_unpack(*torch.linalg.lu_factor(T(a, device)))
    assert type(r).__name__ == "lu_unpack"
    assert_close(r.P @ r.L @ r.U, a, **F64)
    P2, L2, U2 = torch.lu_unpack(*torch.linalg.lu_factor(T(a, device)), unpack_pivots=False)
    assert tuple(P2.shape) == (0,) and tuple(L2.shape) == tuple(L.shape)


def test_lu_without_pivoting_and_errors(device):
    a = rand((3, 3), 4) + 4 * np.eye(3)
    P, L, U = torch.linalg.lu(T(a, device), pivot=False)
    assert tuple(P.shape) == (0,)
    assert_close(L @ U, a, **F64)
    assert_close(torch.linalg.lu(T(np.zeros((2, 0, 3)), device)).U, np.zeros((2, 0, 3)))
    with pytest.raises(RuntimeError, match=r"linalg.lu: Expected tensor with 2 or more dimensions. Got size: \[3\] instead"):
        torch.linalg.lu(T([1.0, 2.0, 3.0], device))
    with pytest.raises(RuntimeError, match="LU_pivots is expected to be a contiguous tensor of torch.int32 dtype"):
        torch.lu_unpack(T(a, device), torch.ones(3, dtype=torch.int64, device=device))


def test_deprecated_torch_lu(device):
    a = T([[1.0, 2.0], [2.0, 4.0]], device)  # singular: torch.lu reports it in infos, never raises
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        LU, piv = torch.lu(a)
        LU2, piv2, info = a.lu(get_infos=True)
    assert piv.tolist() == [2, 2] and info.item() == 2
    assert_close(LU, to_numpy(LU2), **F64)


# ----------------------------------------------------------------------------- householder_product

def test_householder_product_matches_lapack(device):
    for shape in [(5, 3), (4, 4), (3, 1)]:
        a = rand(shape, 5)
        h, tau = np.linalg.qr(a, mode="raw")  # LAPACK's geqrf output (h transposed)
        q = np.linalg.qr(a)[0]
        got = torch.linalg.householder_product(T(h.T.copy(), device), T(tau, device))
        assert_close(got, q, **F64)
    # Batched, a transposed view, and fewer reflectors than columns.
    a = rand((2, 4, 3), 6)
    raw = [np.linalg.qr(x, mode="raw") for x in a]
    H = T(np.stack([r[0] for r in raw]), device).mT
    tau = T(np.stack([r[1] for r in raw]), device)
    assert_close(torch.orgqr(H, tau), np.stack([np.linalg.qr(x)[0] for x in a]), **F64)
    hs = H[0].contiguous()
    v = np.where(np.arange(4) == 0, 1.0, to_numpy(hs)[:, 0] * (np.arange(4) > 0))
    ref = (np.eye(4) - to_numpy(tau)[0, 0] * np.outer(v, v))[:, :3]
    assert_close(torch.linalg.householder_product(hs, tau[0, :1]), ref, **F64)


def test_householder_product_errors():
    with pytest.raises(RuntimeError, match=r"input.shape\[-2\] must be greater than or equal to input.shape\[-1\]"):
        torch.linalg.householder_product(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(RuntimeError, match=r"input.shape\[-1\] must be greater than or equal to tau.shape\[-1\]"):
        torch.linalg.householder_product(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(RuntimeError, match="Expected tau to have one dimension less than input"):
        torch.linalg.householder_product(torch.zeros(3, 2), torch.zeros(1, 2))
    with pytest.raises(RuntimeError, match="tau dtype Double does not match input dtype Float"):
        torch.linalg.householder_product(torch.zeros(3, 2), torch.zeros(2, dtype=torch.float64))


# ----------------------------------------------------------------------------- tensorinv / tensorsolve

def test_tensorinv_and_tensorsolve_match_numpy(device):
    a = rand((4, 6, 8, 3), 7)
    assert_close(torch.linalg.tensorinv(T(a, device), ind=2), np.linalg.tensorinv(a, ind=2), rtol=1e-8, atol=1e-9)
    b = rand((6, 4), 8) + 0.5 * np.eye(6, 4)
    a2 = rand((6, 4, 8, 3), 9)
    assert_close(torch.linalg.tensorsolve(T(a2, device), T(b, device)), np.linalg.tensorsolve(a2, b),
                 rtol=1e-8, atol=1e-9)
    a3 = np.moveaxis(a2, 2, 0)  # (8, 6, 4, 3): `dims` moves axis 0 back to the end
    assert_close(torch.linalg.tensorsolve(T(a3, device), T(b, device), dims=(0,)),
                 np.linalg.tensorsolve(a3, b, axes=(0,)), rtol=1e-8, atol=1e-9)
    with pytest.raises(RuntimeError, match=r"Expected self to satisfy the requirement prod\(self.shape\[other.ndim:\]\) == "
                       r"prod\(self.shape\[:other.ndim\]\), but got 96 != 6"):
        torch.linalg.tensorsolve(T(a2, device), T(np.zeros(6), device))
    with pytest.raises(RuntimeError, match=r"Expected self to satisfy the requirement prod\(self.shape\[ind:\]\) == "
                       r"prod\(self.shape\[:ind\]\), but got 3 != 4"):
        torch.linalg.tensorinv(T(np.zeros((4, 3)), device), ind=1)
    with pytest.raises(RuntimeError, match="Expected a strictly positive integer for 'ind', but got 0"):
        torch.linalg.tensorinv(T(np.zeros((4, 4)), device), ind=0)


# ----------------------------------------------------------------------------- small ones

def test_vander_diagonal_matmul(device):
    x = rand((2, 4), 12)
    ref = np.stack([np.vander(v, increasing=True) for v in x])
    assert_close(torch.linalg.vander(T(x, device)), ref, **F64)
    assert_close(torch.linalg.vander(T(x, device), N=3), ref[..., :3], **F64)
    assert torch.linalg.vander(torch.tensor([2, 3], device=device), N=4).tolist() == [[1, 2, 4, 8], [1, 3, 9, 27]]
    assert_close(torch.linalg.vander(T(2.0, device), N=3), np.array([[1.0, 2.0, 4.0]]), **F64)  # 0-d: one row
    with pytest.raises(RuntimeError, match="N must be greater than 1."):
        torch.linalg.vander(T([1.0], device))
    a = rand((2, 3, 4), 13)
    assert_close(torch.linalg.diagonal(T(a, device)), np.diagonal(a, axis1=-2, axis2=-1), **F64)
    assert_close(torch.linalg.diagonal(T(a, device), offset=1, dim1=0, dim2=2), np.diagonal(a, 1, 0, 2), **F64)
    assert_close(torch.linalg.matmul(T(a, device), T(a, device).mT), a @ np.swapaxes(a, -1, -2), **F64)


# ----------------------------------------------------------------------------- gradients

def _grad_cases():
    a = rand((3, 3), 20)
    return {
        "matrix_exp": (torch.linalg.matrix_exp, [a]),
        "matrix_exp_scaled": (torch.linalg.matrix_exp, [4 * a]),
        "lu": (lambda x: torch.linalg.lu(x)[1:], [rand((4, 3), 21)]),
        "householder_product": (torch.linalg.householder_product, [rand((4, 3), 22), rand((3,), 23)]),
        "tensorinv": (lambda x: torch.linalg.tensorinv(x, ind=1), [rand((4, 2, 2), 24)]),
        "vander": (lambda x: torch.linalg.vander(x, N=4), [rand((2, 3), 25)]),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_gradients_against_finite_differences(name):
    fn, arrays = _grad_cases()[name]
    inputs = tuple(T(a).requires_grad_(True) for a in arrays)
    assert torch.autograd.gradcheck(fn, inputs), name


def test_docstring_examples():
    result = doctest.testmod(_linalg_matrix_functions)
    assert result.failed == 0 and result.attempted > 0
