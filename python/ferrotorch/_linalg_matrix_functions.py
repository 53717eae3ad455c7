"""The remaining `torch.linalg` names, composed from tensor ops: matrix_exp (scaling and squaring
with a Pade approximant), lu / lu_unpack / torch.lu (P, L, U from the LU of `_linalg_solvers.py`),
householder_product (torch.orgqr), tensorinv, tensorsolve, vander, diagonal and matmul.

Gradients come from the composition (matmul, solve, gather, cumprod, ...), on every device.

    >>> import ferrotorch as torch
    >>> round(torch.linalg.matrix_exp(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))[0, 1].item(), 6)
    1.0
"""
import math
import warnings

from . import _C, return_types
from ._attach import tensor_method
from ._elementwise import _scalar_name
from ._linalg_solvers import (
    _apply_pivots, _check_float, _check_square, _check_tensor, _eye_like, _flat, _lu_factor_impl, inv, solve,
)
from ._shape import _out

# Top-level names (`from ._linalg_matrix_functions import *` in ferrotorch/__init__.py).
__all__ = ["matrix_exp", "lu", "lu_unpack", "orgqr"]

_LINALG_NAMES = ["matrix_exp", "lu", "householder_product", "tensorinv", "tensorsolve", "vander", "diagonal",
                 "matmul"]

_linalg_lu_t = return_types.linalg_lu
_lu_unpack_t = return_types.lu_unpack


# ----------------------------------------------------------------------------- matrix_exp

def _pade_coefficients(m):
    """b_j of the [m/m] Pade approximant of exp: (2m - j)! m! / ((2m)! j! (m - j)!)."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited": the largest
# 1-norm for which the degree-m approximant is accurate to the unit roundoff of each precision.
_THETA = {
    _C.float64: [(3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1),
                 (9, 2.097847961257068e0), (13, 5.371920351148152e0)],
    _C.float32: [(3, 4.258730016922831e-1), (5, 1.880152677804762e0), (7, 3.925724783138660e0)],
}


def _pade(A, m, eye):
    """(U, V): the odd and even parts of the degree-m Pade numerator, exp(A) ~ (V - U)^-1 (V + U)."""
    b = _pade_coefficients(m)
    A2 = A @ A
    if m < 13:
        powers = [eye, A2]
        for _ in range(2, m // 2 + 1):
            powers.append(powers[-1] @ A2)
        U = A @ sum(b[2 * j + 1] * powers[j] for j in range(m // 2 + 1))
        V = sum(b[2 * j] * powers[j] for j in range(m // 2 + 1))
        return U, V
    # Degree 13 with Higham's grouping: six matrix products instead of twelve.
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    return U, V


def matrix_exp(A):
    """The matrix exponential of each square matrix in `A` (*, n, n), by scaling and squaring with a
    Pade approximant (Higham 2005). The degree and the number of squarings are chosen once for the
    whole batch from its largest 1-norm (one readback). Differentiable through the composition.

    >>> import ferrotorch as torch
    >>> torch.linalg.matrix_exp(torch.zeros(2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    _check_tensor("linalg_matrix_exp", A, "input")
    _check_square(A, "linalg.matrix_exp")
    _check_float(A, "linalg.matrix_exp", allow_complex=True)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    if n == 1:
        return A.exp()
    norm = A.detach().abs().sum(-2).amax().item()  # the largest 1-norm (max column sum)
    if not math.isfinite(norm):
        return A + math.nan  # PyTorch's result for a NaN/inf input is NaN too
    thetas = _THETA[A.dtype.to_real()]  # a complex matrix has its parts' unit roundoff
    m, s = thetas[-1][0], 0
    for degree, theta in thetas:
        if norm <= theta:
            m = degree
            break
    else:
        s = max(0, math.ceil(math.log2(norm / thetas[-1][1])))
    X = A / (2.0 ** s) if s else A
    eye = _eye_like(A, n).expand(batch + (n, n))
    U, V = _pade(X, m, eye)
    R = solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


# ----------------------------------------------------------------------------- LU

def _unpack(LU, piv, batch, m, n, want_data=True, want_pivots=True):
    """(P, L, U) from compact LU (count, m, n) and 0-based pivots (count, k)."""
    k = min(m, n)
    count = LU.shape[0]
    P = L = U = None
    if want_pivots:
        eye = _eye_like(LU, m).expand((count, m, m)).contiguous()
        P = _apply_pivots(eye, piv).mT.reshape(batch + (m, m))  # A = P L U, and _apply_pivots is P^T
    if want_data:
        L = (LU[:, :, :k].tril(-1) + _eye_like(LU, m, k)).reshape(batch + (m, k))
        U = LU[:, :k, :].triu().reshape(batch + (k, n))
    return P, L, U


def linalg_lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U for each matrix in `A` (*, m, n): P a permutation (*, m, m), L unit
    lower triangular (*, m, k), U upper triangular (*, k, n), k = min(m, n). Partial pivoting (or none
    with pivot=False, where P is empty). Does not raise on singular input.

    >>> import ferrotorch as torch
    >>> P, L, U = torch.linalg.lu(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64))
    >>> P.tolist(), L.tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.3333333333333333, 1.0]])
    """
    _check_tensor("linalg_lu", A)
    if A.dim() < 2:
        raise RuntimeError(f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(str(s) for s in A.shape)}] instead")
    LU, piv, _ = _lu_factor_impl(A, pivot)
    batch, m, n = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    P, L, U = _unpack(_flat(LU, batch, m, n), (piv.to(_C.int64) - 1).reshape((count, k)), batch, m, n,
                      want_pivots=pivot)
    if not pivot:
        P = _C.zeros((0,), dtype=A.dtype, device=A.device)
    if out is None:
        return _linalg_lu_t(P, L, U)
    return _linalg_lu_t(*(_out(r, o) for r, o in zip((P, L, U), out)))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from the compact `LU_data` and 1-based int32 `LU_pivots` of `torch.linalg.lu_factor`
    (empty tensors for the parts not asked for).

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    >>> P, L, U = torch.lu_unpack(*torch.linalg.lu_factor(A))
    >>> torch.allclose(P @ L @ U, A)
    True
    """
    _check_tensor("lu_unpack", LU_data, "LU_data")
    _check_tensor("lu_unpack", LU_pivots, "LU_pivots", 2)
    if LU_data.dim() < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(str(s) for s in LU_data.shape)}] instead")
    if LU_pivots.dtype != _C.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")
    batch, m, n = tuple(LU_data.shape[:-2]), LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    piv = (LU_pivots.to(_C.int64) - 1).expand(batch + (k,)).reshape((count, k))
    P, L, U = _unpack(_flat(LU_data, batch, m, n), piv, batch, m, n, unpack_data, unpack_pivots)
    empty = _C.zeros((0,), dtype=LU_data.dtype, device=LU_data.device)
    result = _lu_unpack_t(P if unpack_pivots else empty, L if unpack_data else empty, U if unpack_data else empty)
    return result if out is None else _lu_unpack_t(*(_out(r, o) for r, o in zip(result, out)))


_lu_warned = []


def lu(A, pivot=True, get_infos=False, out=None):
    """Deprecated `torch.lu`: (LU, pivots) or, with `get_infos`, (LU, pivots, infos), as
    `torch.linalg.lu_factor_ex` (no error on singular input).

    >>> import ferrotorch as torch
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     torch.lu(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))[1].tolist()
    [2, 2]
    """
    if not _lu_warned:
        _lu_warned.append(True)
        warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
                      "and will be removed in a future PyTorch release.", UserWarning, stacklevel=2)
    _check_tensor("lu", A, "A")
    LU, piv, info = _lu_factor_impl(A, pivot)
    result = (LU, piv, info) if get_infos else (LU, piv)
    if out is not None:
        result = tuple(_out(r, o) for r, o in zip(result, out))
    return result


# ----------------------------------------------------------------------------- householder_product

def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 H_2 ... H_k (LAPACK's orgqr) for A (*, m, n), m >= n, and tau (*, k),
    k <= n: H_i = I - tau_i v_i v_i^H with v_i = (0, ..., 0, 1, A[i+1:, i]) (^H: ^T for real A).

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[0.0], [1.0]])
    >>> torch.linalg.householder_product(A, torch.tensor([1.0])).tolist()
    [[0.0], [-1.0]]
    """
    _check_tensor("linalg_householder_product", A, "input")
    _check_tensor("linalg_householder_product", tau, "tau", 2)
    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.dim() < 1 or A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A.dim() - tau.dim() != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.dim()} and input.ndim is equal to {A.dim()}")
    if A.dim() > 2 and tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"[{', '.join(str(s) for s in tau.shape[:-1])}]")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{name}: tau dtype {_scalar_name(tau.dtype)} does not match input dtype "
                           f"{_scalar_name(A.dtype)}")
    _check_float(A, "linalg.householder_product", allow_complex=True)
    batch, m, n, k = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1], tau.shape[-1]
    Q = _eye_like(A, m, n).expand(batch + (m, n))
    rows = _C.arange(m, device=A.device).unsqueeze(-1)
    # Q = H_1 (H_2 (... (H_k I))): apply the reflectors from the last one.
    for i in range(k - 1, -1, -1):
        col = A[..., :, i:i + 1]
        v = _C.where(rows > i, col, (rows == i).to(A.dtype))           # (*, m, 1)
        Q = Q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mH @ Q)
    return _out(Q.contiguous(), out)


def orgqr(input, tau):
    """Alias of `torch.linalg.householder_product`."""
    return householder_product(input, tau)


# ----------------------------------------------------------------------------- tensorinv / tensorsolve

def tensorinv(A, ind=2, *, out=None):
    """The tensor inverse of `A` with respect to the contraction over its first `ind` dims: the
    result has shape A.shape[ind:] + A.shape[:ind] and tensordot(result, A, ind) is the identity.

    >>> import ferrotorch as torch
    >>> A = torch.eye(4).reshape(4, 2, 2)
    >>> torch.linalg.tensorinv(A, ind=1).shape
    torch.Size([2, 2, 4])
    """
    _check_tensor("linalg_tensorinv", A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    front, back = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    p_front, p_back = math.prod(front), math.prod(back)
    if p_front != p_back:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), "
                           f"but got {p_back} != {p_front}")
    return _out(inv(A.reshape((p_front, p_back))).reshape(back + front), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) == B: A's trailing dims (after moving `dims` to the end) are X's
    shape, its leading dims are B's.

    >>> import ferrotorch as torch
    >>> A = torch.eye(6, dtype=torch.float64).reshape(2, 3, 6)
    >>> torch.linalg.tensorsolve(A, torch.ones(2, 3, dtype=torch.float64)).shape
    torch.Size([6])
    """
    _check_tensor("linalg_tensorsolve", A)
    _check_tensor("linalg_tensorsolve", B, "B", 2)
    if dims is not None:
        dims = [d % A.dim() for d in dims]
        A = A.movedim(dims, list(range(A.dim() - len(dims), A.dim())))
    result_shape = tuple(A.shape[B.dim():])
    p_result, p_other = math.prod(result_shape), math.prod(tuple(A.shape[:B.dim()]))
    if p_result != p_other:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {p_result} != {p_other}")
    return _out(solve(A.reshape((p_other, p_result)), B.flatten()).reshape(result_shape), out)


# ----------------------------------------------------------------------------- small ones

def vander(x, *, N=None):
    """The Vandermonde matrix of `x` (*, n) with increasing powers: result[..., i, j] = x[..., i] ** j
    for j < N (default n). Unlike `torch.vander`, the powers increase along the last dim.

    >>> import ferrotorch as torch
    >>> torch.linalg.vander(torch.tensor([1, 2, 3])).tolist()
    [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    """
    _check_tensor("linalg_vander", x, "x")
    if x.dtype == _C.bool or not (x.dtype in (_C.float32, _C.float64) or not x.dtype.is_floating_point):
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_scalar_name(x.dtype)}")
    x = x.unsqueeze(-1) if x.dim() == 0 else x
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    shape = tuple(x.shape)
    # The powers 1..n-1 as a running product; the column of ones in front.
    powers = x.unsqueeze(-1).expand(shape + (n - 1,)).cumprod(-1)
    ones = _C.ones(shape + (1,), dtype=powers.dtype, device=x.device)
    return _C.cat([ones, powers], -1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """`torch.diagonal` with the matrix defaults (dim1=-2, dim2=-1): the diagonals of a batch.

    >>> import ferrotorch as torch
    >>> torch.linalg.diagonal(torch.eye(2).expand(3, 2, 2)).tolist()
    [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """
    _check_tensor("linalg_diagonal", A)
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    """Alias of `torch.matmul`.

    >>> import ferrotorch as torch
    >>> torch.linalg.matmul(torch.eye(2), torch.ones(2)).tolist()
    [1.0, 1.0]
    """
    return _out(input @ other, out)


for _name, _fn in {
    "matrix_exp": lambda self: matrix_exp(self),
    "lu": lambda self, pivot=True, get_infos=False: lu(self, pivot, get_infos),
    "orgqr": lambda self, input2: householder_product(self, input2),
}.items():
    _fn.__doc__ = f"See :func:`torch.{_name}`."
    tensor_method(_fn, _name)

linalg_lu.__name__ = linalg_lu.__qualname__ = "lu"
