"""Cholesky and QR factorisations and matrix products (matrix_power, multi_dot, chain_matmul,
vecdot), composed from tensor ops like the solvers in `_linalg_solvers.py`, whose checks and
batching helpers they share. Complex matrices are factored as LAPACK's z-routines do: Cholesky of a
Hermitian matrix (A = L L^H), QR with complex reflectors (R's diagonal real).

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[4.0, 2.0], [2.0, 3.0]], dtype=torch.float64)
    >>> L = torch.linalg.cholesky(A)
    >>> torch.allclose(L @ L.T, A)
    True
"""
import math
import operator
import warnings

from . import _C, return_types
from ._attach import tensor_method
from ._elementwise import _scalar_name
from ._linalg_solvers import (
    _COMPLEX_DTYPES, _REAL_DTYPES, _check_float, _check_matrix, _check_square, _check_tensor, _eye, _first_true,
    _flat, _out_tuple, _raise_on_info, inv, solve_triangular,
)
from ._shape import _CPP_NAMES, _out

# Top-level names (`from ._linalg_factorizations import *` in ferrotorch/__init__.py).
__all__ = ["cholesky", "matrix_power", "chain_matmul", "cholesky_solve", "cholesky_inverse", "triangular_solve",
           "lu_solve"]


# ----------------------------------------------------------------------------- Cholesky

def _cholesky_lower(A):
    """(L, info) for (count, n, n), reading A's lower triangle only, as LAPACK's potrf does.

    Left-looking: column j is A's column j minus the contributions of the columns already found,
    scaled by the square root of its diagonal entry. For Hermitian A the contributions are
    L[j:, :] conj(L[j, :]) and the diagonal entry is real (its imaginary part is ignored, as zpotrf).
    """
    count, n, _ = A.shape
    is_complex = A.dtype.is_complex
    L = None
    bad = []
    for j in range(n):
        v = A[:, j:, j]
        if L is not None:
            row = L[:, j, :].conj() if is_complex else L[:, j, :]
            v = v - (L[:, j:, :] @ row.unsqueeze(-1)).squeeze(-1)
        d = v[:, 0].real if is_complex else v[:, 0]
        # `not (d > 0)` also catches NaN, as potrf's check does.
        bad.append(~(d > 0))
        col = v / d.sqrt().unsqueeze(-1)
        if j:
            col = _C.cat([_C.zeros((count, j), dtype=A.dtype, device=A.device), col], -1)
        col = col.unsqueeze(-1)
        L = col if L is None else _C.cat([L, col], -1)
    return L, _first_true(_C.stack(bad, -1))


def _cholesky_impl(A, upper):
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0:
        return A.clone(), _C.zeros(batch, dtype=_C.int32, device=A.device)
    Af = _flat(A, batch, n, n)
    if upper:
        Af = Af.mH  # the upper triangle of A is the (conjugated) lower triangle of A^H
    # The factorisation reads one triangle (the values LAPACK sees, the diagonal's real part); the
    # gradient goes through the Hermitian part, so A.grad is the Hermitian matrix PyTorch's
    # cholesky_backward returns. (For real A, .mH is .mT.)
    sym = (Af + Af.mH) * 0.5
    read = Af.tril(-1) + Af.tril(-1).mH + (sym - sym.tril(-1) - sym.triu(1))
    L, info = _cholesky_lower(sym + (read - sym).detach())
    L = L.reshape(batch + (n, n))
    return (L.mH if upper else L), info.reshape(batch)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): `torch.linalg.cholesky` that reports a non-positive-definite matrix in `info` (the
    order of its first non-positive-definite leading minor, 0 when it succeeded) instead of raising,
    unless `check_errors`. L is unspecified where info is nonzero.

    >>> import ferrotorch as torch
    >>> torch.linalg.cholesky_ex(torch.tensor([[1.0, 2.0], [2.0, 1.0]])).info.item()
    2
    """
    _check_tensor("linalg_cholesky_ex", A)
    _check_square(A, "linalg.cholesky")
    _check_float(A, "linalg.cholesky", allow_complex=True)
    L, info = _cholesky_impl(A, upper)
    if check_errors:
        _raise_on_info(info, "linalg.cholesky_ex", "cholesky", A.dim() == 2)
    return _out_tuple(return_types.linalg_cholesky_ex, (L, info), out)


def linalg_cholesky(A, *, upper=False, out=None):
    """The Cholesky factor L (lower triangular, positive diagonal) with A = L L^H, or U = L^H with
    A = U^H U when `upper` (^H is the transpose for real A). Only the selected triangle of A is read.

    Raises `torch.linalg.LinAlgError` when a matrix is not positive-definite.

    >>> import ferrotorch as torch
    >>> torch.linalg.cholesky(torch.tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    _check_tensor("linalg_cholesky", A)
    _check_square(A, "linalg.cholesky")
    _check_float(A, "linalg.cholesky", allow_complex=True)
    L, info = _cholesky_impl(A, upper)
    _raise_on_info(info, "linalg.cholesky", "cholesky", A.dim() == 2)
    return _out(L, out)


def _warn_once(key, message):
    # PyTorch's TORCH_WARN_ONCE (every time under set_warn_always), attributed to the caller.
    from ._runtime_flags import _warn_once as warn_once
    warn_once(key, message, stacklevel=3)


def cholesky(input, upper=False, *, out=None):
    """`torch.cholesky`, deprecated since PyTorch 1.9 and removed since: raises PyTorch's error,
    which names the replacement, `torch.linalg.cholesky` (`.mH` of it for `upper=True`)."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. `torch.cholesky` is deprecated in favor "
        "of `torch.linalg.cholesky`.\nL = torch.cholesky(A) should be replaced with:\nL = torch.linalg.cholesky(A)\n"
        "U = torch.cholesky(A, upper=True) should be replaced with:\nU = torch.linalg.cholesky(A).mH")


# ----------------------------------------------------------------------------- QR

def householder_reflector(x):
    """LAPACK's dlarfg for a batch of columns x (count, k): (tau, v, beta, reflect) with
    (I - tau v v^T) x = beta e1 and v[0] = 1. Where x[1:] is already zero there is no reflection
    (tau = 0, `reflect` False) and the column keeps its value."""
    alpha = x[:, 0]
    tail = (x[:, 1:] * x[:, 1:]).sum(-1)
    reflect = tail > 0
    # The safe value keeps sqrt's gradient finite in the branch `where` discards.
    norm = (alpha * alpha + _C.where(reflect, tail, _C.ones_like(tail))).sqrt()
    beta = -norm.copysign(alpha)
    tau = _C.where(reflect, (beta - alpha) / beta, _C.zeros_like(beta))
    # v = [1, x[1:] / (alpha - beta)]; |alpha - beta| >= norm > 0.
    v = _C.cat([_C.ones_like(alpha).unsqueeze(-1), x[:, 1:] / (alpha - beta).unsqueeze(-1)], -1)
    return tau, v, beta, reflect


def _complex_householder_reflector(x):
    """LAPACK's zlarfg for a batch of complex columns x (count, k): (tau, v) with
    (I - tau v v^H)^H x = beta e1, beta real, v[0] = 1. Unlike the real case a lone entry with a
    nonzero imaginary part is reflected too (onto the real axis), so R's diagonal comes out real."""
    alpha = x[:, 0]
    alpha_re, alpha_im = alpha.real, alpha.imag
    rest = x[:, 1:]
    tail = (rest.real * rest.real + rest.imag * rest.imag).sum(-1)
    reflect = (tail > 0).logical_or(alpha_im != 0)
    # The safe value keeps sqrt's gradient finite in the branch `where` discards.
    safe_tail = _C.where(reflect, tail, _C.ones_like(tail))
    norm = (alpha_re * alpha_re + alpha_im * alpha_im + safe_tail).sqrt()
    beta = -norm.copysign(alpha_re)
    tau = _C.complex((beta - alpha_re) / beta, -alpha_im / beta)
    tau = _C.where(reflect, tau, _C.zeros_like(tau))
    # |alpha - beta| >= norm > 0.
    v = _C.cat([_C.ones_like(alpha).unsqueeze(-1), rest / (alpha - beta).unsqueeze(-1)], -1)
    return tau, v


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with A = Q R, Q with orthonormal (unitary) columns and R upper triangular, by Householder
    reflections with LAPACK's sign convention (R's diagonal may be negative, as in PyTorch and numpy;
    for complex A it is real).

    mode: 'reduced' (Q (*, m, k), R (*, k, n), k = min(m, n)), 'complete' (Q (*, m, m), R (*, m, n))
    or 'r' (R only; Q is an empty tensor).

    >>> import ferrotorch as torch
    >>> Q, R = torch.linalg.qr(torch.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=torch.float64))
    >>> [[round(v, 12) for v in row] for row in R.tolist()]
    [[-5.0, -2.2], [0.0, 0.4]]
    """
    _check_tensor("linalg_qr", A)
    _check_matrix(A, "linalg.qr")
    _check_float(A, "linalg.qr", allow_complex=True)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    batch, m, n = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    compute_q = mode != "r"
    Af = _flat(A, batch, m, n)
    R = Af
    Q = _eye(m, Af, (count,)) if compute_q else None
    is_complex = A.dtype.is_complex
    # zgeqrf also reflects the last row's lone entry when it is complex (to make it real).
    steps = (k if is_complex else min(m - 1, n)) if count else 0
    for j in range(steps):
        if is_complex:
            tau, v = _complex_householder_reflector(R[:, j:, j])
            vh = v.conj()
        else:
            tau, v, _, _ = householder_reflector(R[:, j:, j])
            vh = v
        # R <- H_j^H R with H_j = I - tau v v^H acting on rows j..m-1.
        th = tau.conj() if is_complex else tau
        tv = (th.unsqueeze(-1) * v).unsqueeze(-1)                        # (count, m-j, 1)
        sub = R[:, j:, :]
        sub = sub - tv * (vh.unsqueeze(1) @ sub)
        R = _C.cat([R[:, :j], sub], 1) if j else sub
        if compute_q:
            # Q <- Q H_j, acting on columns j..m-1.
            qs = Q[:, :, j:]
            qs = qs - (qs @ (tau.unsqueeze(-1) * v).unsqueeze(-1)) * vh.unsqueeze(1)
            Q = _C.cat([Q[:, :, :j], qs], -1) if j else qs
    if mode == "complete":
        Q_out, R_out = Q, R.triu()
    else:
        R_out = R[:, :k, :].triu()
        Q_out = Q[:, :, :k] if compute_q else None
    R_out = R_out.reshape(batch + tuple(R_out.shape[-2:]))
    if compute_q:
        Q_out = Q_out.reshape(batch + tuple(Q_out.shape[-2:]))
    else:
        Q_out = _C.zeros((0,), dtype=A.dtype, device=A.device)
    return _out_tuple(return_types.linalg_qr, (Q_out, R_out), out)


# ----------------------------------------------------------------------------- products

def matrix_power(A, n, *, out=None):
    """A raised to the integer power `n` (A^0 = I; negative `n` inverts first), by repeated
    squaring, batched over the leading dims.

    >>> import ferrotorch as torch
    >>> torch.linalg.matrix_power(torch.tensor([[1, 1], [0, 1]]), 5).tolist()
    [[1, 5], [0, 1]]
    """
    _check_tensor("linalg_matrix_power", A)
    if isinstance(n, bool) or not isinstance(n, int):
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}") from None
    _check_square(A, "linalg.matrix_power")
    if n == 0:
        # A clone overwritten with I, as PyTorch does, so the result stays in A's autograd graph.
        result = A.clone()
        result.copy_(_eye(A.shape[-1], A, tuple(A.shape[:-2])))
        return _out(result, out)
    if n == 1:
        return _out(A.clone(), out)
    if n == -1:
        return _out(inv(A), out)
    a = inv(A) if n < 0 else A
    n = abs(n)
    if n == 2:
        return _out(a @ a, out)
    if n == 3:
        return _out((a @ a) @ a, out)
    # Binary powering from the least significant bit: O(log n) products.
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else z @ z
        if bit:
            result = z if result is None else result @ z
    return _out(result, out)


def _tensor_list(fname, tensors):
    if isinstance(tensors, _C.Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    return list(tensors)


def multi_dot(tensors, *, out=None):
    """The product of two or more matrices in the cheapest order (PyTorch's dynamic programme);
    the first and last may be vectors, treated as a row and a column.

    >>> import ferrotorch as torch
    >>> torch.linalg.multi_dot([torch.tensor([1.0, 2.0]), torch.eye(2), torch.tensor([3.0, 4.0])]).item()
    11.0
    """
    ts = _tensor_list("linalg_multi_dot", tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    out_shape = []
    mats = list(ts)
    if ts[0].dim() == 1:
        mats[0] = ts[0].unsqueeze(0)
    elif ts[0].dim() == 2:
        out_shape.append(ts[0].shape[0])
    else:
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ts[0].dim()}D")
    if ts[-1].dim() == 1:
        mats[-1] = ts[-1].unsqueeze(-1)
    elif ts[-1].dim() == 2:
        out_shape.append(ts[-1].shape[1])
    else:
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ts[-1].dim()}D")
    for i in range(1, n - 1):
        if ts[i].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].dim()}D")
    dtype, device = mats[0].dtype, mats[0].device
    for i in range(1, n):
        if mats[i].dtype != dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_CPP_NAMES[dtype]} and tensor {i} {_CPP_NAMES[mats[i].dtype]}")
        if mats[i].device != device:
            raise RuntimeError(f"multi_dot(): all tensors must be on the same device but tensor 0 is on "
                               f"{device} and tensor {i} on {mats[i].device}")
        if mats[i - 1].shape[-1] != mats[i].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"[{', '.join(str(s) for s in ts[i - 1].shape)}] and "
                               f"[{', '.join(str(s) for s in ts[i].shape)}] cannot be multiplied")
    if n == 2:
        result = mats[0].mm(mats[1])
    elif n == 3:
        a, b = mats[0].shape[0], mats[1].shape[0]
        c, d = mats[2].shape[0], mats[2].shape[1]
        # Multiply the pair whose product is cheaper first.
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = mats[0].mm(mats[1].mm(mats[2]))
        else:
            result = mats[0].mm(mats[1]).mm(mats[2])
    else:
        result = _chain(mats, _chain_order(mats), 0, n - 1)
    return _out(result.reshape(tuple(out_shape)), out)


def _chain_order(mats):
    """Cormen's matrix-chain DP: s[i][j] is where to split the product of mats i..j."""
    n = len(mats)
    p = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                q = cost[i][s] + cost[s + 1][j] + p[i] * p[s + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, s
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    s = split[i][j]
    return _chain(mats, split, i, s).mm(_chain(mats, split, s + 1, j))


def chain_matmul(*matrices, out=None):
    """Deprecated `torch.chain_matmul`: the product of the 2-D arguments; use `torch.linalg.multi_dot`.

    >>> import ferrotorch as torch
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     torch.chain_matmul(torch.eye(2), torch.ones(2, 1)).tolist()
    [[1.0], [1.0]]
    """
    _warn_once("chain_matmul", (
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
        "parameters."))
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for t in matrices:
        _check_tensor("chain_matmul", t, "matrices")
        if t.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {t.dim()}, expected 2 instead.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return multi_dot(list(matrices), out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of `x` and `y` along `dim`, broadcasting the other dims; `x` is conjugated
    when complex (sum(conj(x) * y)).

    >>> import ferrotorch as torch
    >>> torch.linalg.vecdot(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    _check_tensor("linalg_vecdot", x, "x")
    _check_tensor("linalg_vecdot", y, "y", 2)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise NotImplementedError("linalg.vecdot: Expected a floating point or complex tensor as input. "
                                  f"Got {_scalar_name(x.dtype)}")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_scalar_name(x.dtype)} and y of type {_scalar_name(y.dtype)} instead")
    if x.dtype.is_complex:
        x = x.conj()
    return _out((x * y).sum(dim), out)


# ----------------------------------------------------------------------------- older torch.* solvers

def _not_implemented(fname, A):
    device = "cpu" if A.device.type == "cpu" else "cuda"
    return NotImplementedError(f"\"{fname}_{device}\" not implemented for '{_scalar_name(A.dtype)}'")


def _check_pair(fname, B, A, a_name, b_message, a_message):
    """The checks shared by torch.triangular_solve and torch.cholesky_solve (b, A): at least 2-D,
    square A, matching rows, one floating dtype."""
    _check_tensor(fname, B, "input")
    _check_tensor(fname, A, a_name, 2)
    if B.dim() < 2:
        raise RuntimeError(b_message.format(B.dim()))
    if A.dim() < 2:
        raise RuntimeError(a_message.format(A.dim()))
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} "
                           "matrices")
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for {fname}: each A matrix is {A.shape[-2]} by "
                           f"{A.shape[-1]} but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_scalar_name(B.dtype)} "
                           f"and A of type {_scalar_name(A.dtype)} instead.")
    if A.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        raise _not_implemented(fname, A)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(solution, cloned_coefficient): X with A X = b (A^T X = b when `transpose`) for triangular A
    (only the triangle `upper` selects is read), and a copy of A broadcast to the batch. Deprecated
    in PyTorch in favour of `torch.linalg.solve_triangular(A, b, upper=...)`.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[2.0, 1.0], [0.0, 1.0]])
    >>> torch.triangular_solve(torch.tensor([[3.0], [1.0]]), A).solution.tolist()
    [[1.0], [1.0]]
    """
    _check_pair("triangular_solve", b, A, "A",
                "torch.triangular_solve: Expected b to have at least 2 dimensions, but it has {} dimensions instead",
                "torch.triangular_solve: Expected A to have at least 2 dimensions, but it has {} dimensions instead")
    _warn_once("triangular_solve", "torch.triangular_solve is deprecated in favor of "
               "torch.linalg.solve_triangular and will be removed in a future PyTorch release.")
    T = A.mT if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    batch = tuple(X.shape[:-2])
    return _out_tuple(return_types.triangular_solve, (X, A.expand(batch + tuple(A.shape[-2:])).clone()), out)


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, given the Cholesky factor of A: L with A = L L^H (U with A = U^H U when
    `upper`), by two triangular solves; the batch dims broadcast.

    >>> import ferrotorch as torch
    >>> L = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # A = [[4, 2], [2, 2]]
    >>> torch.cholesky_solve(torch.tensor([[6.0], [4.0]]), L).tolist()
    [[1.0], [1.0]]
    """
    _check_pair("cholesky_solve", B, L, "input2", "b should have at least 2 dimensions, but has {} dimensions instead",
                "u should have at least 2 dimensions, but has {} dimensions instead")
    # A = L L^H: solve L Y = B, then L^H X = Y (with U = L^H the same two solves in the other order).
    if upper:
        Y = solve_triangular(L.mH, B, upper=False)
        return _out(solve_triangular(L, Y, upper=True), out)
    Y = solve_triangular(L, B, upper=False)
    return _out(solve_triangular(L.mH, Y, upper=True), out)


def cholesky_inverse(L, upper=False, *, out=None):
    """The inverse of A = L L^H (U^H U when `upper`) from its Cholesky factor, for each matrix in
    the batch; a zero on the factor's diagonal raises LinAlgError.

    >>> import ferrotorch as torch
    >>> torch.cholesky_inverse(torch.tensor([[2.0, 0.0], [0.0, 0.5]])).tolist()
    [[0.25, 0.0], [0.0, 4.0]]
    """
    _check_tensor("cholesky_inverse", L, "input")
    _check_square(L, "cholesky_inverse")
    if L.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        raise _not_implemented("cholesky_inverse_out", L)
    if L.numel() == 0:
        return _out(_C.zeros(tuple(L.shape), dtype=L.dtype, device=L.device), out)
    # PyTorch's LAPACK path reports the first zero diagonal element of the factor.
    info = _first_true(L.diagonal(0, -2, -1) == 0)
    _raise_on_info(info, "cholesky_inverse", "inv", L.dim() == 2)
    n = L.shape[-1]
    I = _eye(n, L, tuple(L.shape[:-2]))
    # inv(L L^H) = L^-H L^-1; with U = L^H the same product is U^-1 U^-H.
    Linv = solve_triangular(L.mH if upper else L, I, upper=False)
    return _out(Linv.mH @ Linv, out)


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """`torch.lu_solve`: X with A X = b from `torch.linalg.lu_factor(A)`'s (LU, pivots); the older
    spelling of `torch.linalg.lu_solve(LU, pivots, b)`, whose arguments come in the other order.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[0.0, 2.0], [1.0, 1.0]])
    >>> torch.lu_solve(torch.tensor([[2.0], [2.0]]), *torch.linalg.lu_factor(A)).tolist()
    [[1.0], [1.0]]
    """
    from ._linalg_solvers import lu_solve as _linalg_lu_solve

    _warn_once("lu_solve", "torch.lu_solve is deprecated in favor of torch.linalg.lu_solve and will be removed "
               "in a future PyTorch release.")
    return _linalg_lu_solve(LU_data, LU_pivots, b, out=out)


for _name, _fn in {
    "cholesky": lambda self, upper=False: cholesky(self, upper),
    "matrix_power": lambda self, n: matrix_power(self, n),
    "triangular_solve": lambda self, A, upper=True, transpose=False, unitriangular=False: triangular_solve(
        self, A, upper, transpose, unitriangular),
    "cholesky_solve": lambda self, input2, upper=False: cholesky_solve(self, input2, upper),
    "cholesky_inverse": lambda self, upper=False: cholesky_inverse(self, upper),
    "lu_solve": lambda self, LU_data, LU_pivots: lu_solve(self, LU_data, LU_pivots),
}.items():
    _fn.__doc__ = f"See :func:`torch.{_name}`."
    tensor_method(_fn, _name)

# The linalg version carries its public name (tracebacks, help()).
linalg_cholesky.__name__ = linalg_cholesky.__qualname__ = "cholesky"
