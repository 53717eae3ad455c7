"""Dense linear algebra composed from tensor ops: LU with partial pivoting (inv, det, slogdet,
solve, lu_factor, lu_solve), Cholesky, Householder QR, triangular solves and matrix products.

Real (float32/float64) and complex (complex64/complex128) matrices take the same code: where a
real algorithm transposes, the complex one takes the conjugate transpose (`.mH`), and pivots are
chosen by |re| + |im| as LAPACK's izamax does, so the permutations match PyTorch's.

Every factorisation is a Python loop over the columns whose steps are tensor ops vectorised over the
batch (indexing, gather, argmax, where, matmul), so autograd differentiates the composition and the
same code runs on every device, the GPU included, with no host copy of the data. The only readback
is one flag per call where PyTorch raises on a singular or non-positive-definite input (PyTorch's
CUDA path synchronises for its info check too); the ``_ex`` variants return the info instead.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[4.0, 7.0], [2.0, 6.0]], dtype=torch.float64)
    >>> [[round(v, 12) for v in row] for row in torch.linalg.inv(A).tolist()]
    [[0.6, -0.7], [-0.2, 0.4]]
    >>> round(torch.det(A).item(), 12)
    10.0
"""
import math

from . import _C, return_types
from ._attach import tensor_method
from ._dims import infer_size as _infer_size
from ._elementwise import _scalar_name
from ._shape import _out
from ._view_functions import _check_tensor as _check_tensor_arg

# Top-level names (`from ._linalg_solvers import *` in ferrotorch/__init__.py).
__all__ = ["inverse", "det", "logdet", "slogdet"]

# The `torch.linalg` names, re-exported by linalg.py.
# (torch.linalg.slogdet and torch.linalg.cholesky differ from the top-level functions of the same
# name, so they are linalg_slogdet and linalg_cholesky here.)
_LINALG_NAMES = [
    "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "lu_factor", "lu_factor_ex", "lu_solve",
    "solve_triangular",
]


# ----------------------------------------------------------------------------- checks and errors

def _linalg_error(message):
    # Imported here: linalg.py re-exports this module's functions, so a top-level import would be
    # circular.
    from .linalg import LinAlgError
    return LinAlgError(message)


def _check_tensor(fname, value, name="A", position=1):
    _check_tensor_arg(fname, value, name, position)


def _check_matrix(A, fname, arg="A"):
    if A.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor {arg} must have at least 2 dimensions.")


def _check_square(A, fname, arg="A"):
    _check_matrix(A, fname, arg)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fname}: {arg} must be batches of square matrices, "
                           f"but they are {A.shape[-2]} by {A.shape[-1]} matrices")


_REAL_DTYPES = (_C.float32, _C.float64)
_COMPLEX_DTYPES = (_C.complex64, _C.complex128)


def _check_float(A, fname, allow_complex=False):
    """PyTorch's dtype checks of the linalg functions. Callers whose algorithm handles complex
    input pass `allow_complex`; the others keep refusing it with PyTorch's wording."""
    # PyTorch (2.x) raises these two dtype refusals as NotImplementedError.
    if not (A.dtype.is_floating_point or (allow_complex and A.dtype.is_complex)):
        raise NotImplementedError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {_scalar_name(A.dtype)}")
    # LAPACK and cuSOLVER have no half-precision routines, so PyTorch refuses these too.
    if A.dtype not in _REAL_DTYPES + (_COMPLEX_DTYPES if allow_complex else ()):
        raise NotImplementedError(f"{fname}: Low precision dtypes not supported. Got {_scalar_name(A.dtype)}")


def _check_solver_shapes(A, B, left, fname):
    """PyTorch's checkInputsSolver: square A, matrix B, matching inner sizes."""
    _check_square(A, fname, "A")
    _check_matrix(B, fname, "B")
    ok = A.shape[-2] == B.shape[-2] if left else A.shape[-1] == B.shape[-1]
    if not ok:
        raise RuntimeError(f"{fname}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")


def _raise_on_info(info, api, kind, is_matrix):
    """Raises PyTorch's error for the first nonzero info (at::_linalg_check_errors)."""
    if info.numel() == 0:
        return
    # The one readback per call: nothing more leaves the device unless there is an error to report.
    if not bool((info != 0).any().item()):
        return
    flat = info.reshape(-1).tolist()
    first = next(i for i, v in enumerate(flat) if v != 0)
    code = flat[first]
    where = "" if is_matrix else f": (Batch element {first})"
    if kind == "inv":
        raise _linalg_error(f"{api}{where}: The diagonal element {code} is zero, the inversion could not be "
                            "completed because the input matrix is singular.")
    if kind == "solve":
        raise _linalg_error(f"{api}{where}: The solver failed because the input matrix is singular.")
    if kind == "cholesky":
        raise _linalg_error(f"{api}{where}: The factorization could not be completed because the input is not "
                            f"positive-definite (the leading minor of order {code} is not positive-definite).")
    # lu_factor: PyTorch uses a plain TORCH_CHECK here, so this one is a RuntimeError.
    raise RuntimeError(f"{api}{where}: U[{code},{code}] is zero and using it on lu_solve would result in a "
                       "division by zero. If you still want to perform the factorization, consider calling "
                       "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def _out_tuple(kind, results, out):
    """The named tuple `kind` of `results`, written into the tensors of ``out=`` when given."""
    if out is None:
        return kind(*results)
    if not isinstance(out, (tuple, list)) or len(out) != len(results):
        raise TypeError(f"{kind.__name__}(): argument 'out' must be tuple of {len(results)} Tensors")
    return kind(*(_out(r, o) for r, o in zip(results, out)))


# ----------------------------------------------------------------------------- batching helpers

def _flat(A, batch, rows, cols):
    """`A` (expanded to `batch`) as one (count, rows, cols) batch; reshape copies when it must."""
    count = math.prod(batch)
    return A.expand(tuple(batch) + (rows, cols)).reshape((count, rows, cols))


def _first_true(flags):
    """1-based index of the first True along the last dim, 0 where there is none (LAPACK's info)."""
    if flags.shape[-1] == 0:
        return _C.zeros(tuple(flags.shape[:-1]), dtype=_C.int32, device=flags.device)
    as_int = flags.to(_C.int32)
    # argmax returns the first of equal maxima, which is the first True.
    first = as_int.argmax(-1).to(_C.int32) + 1
    return _C.where(as_int.amax(-1) > 0, first, _C.zeros_like(first))


def _eye_like(like, rows, cols=None):
    """The (rows, cols) identity with `like`'s dtype and device. A complex one is cast from the real
    identity, which every device has a kernel for."""
    cols = rows if cols is None else cols
    real = like.dtype.to_real()
    eye = _C.eye(rows, cols, dtype=real, device=like.device)
    return eye if real == like.dtype else eye.to(like.dtype)


def _eye(n, like, batch=()):
    eye = _eye_like(like, n)
    return eye.expand(tuple(batch) + (n, n)) if batch else eye


def _pivot_magnitude(column):
    """What partial pivoting compares: |x| for real entries, |re| + |im| for complex ones (LAPACK's
    izamax/cabs1, which PyTorch's getrf uses, so the row interchanges agree)."""
    if column.dtype.is_complex:
        return column.real.abs() + column.imag.abs()
    return column.abs()


# ----------------------------------------------------------------------------- LU with partial pivoting

def _lu(M, n, pivot=True):
    """Gaussian elimination with partial pivoting of the first `n` columns of `M` (count, m, w).

    Returns (M, pivots, zero): M holds the unit-lower L's multipliers below the diagonal of its first
    min(m, n) columns and U on and above it, with the remaining columns (right-hand sides) carried
    through the same row operations, i.e. replaced by L^-1 P^T B (A = P L U). `pivots` (count, k)
    are LAPACK's 0-based row interchanges, `zero` (count, k) flags the exactly-zero pivots.
    """
    count, m, w = M.shape
    k = min(m, n)
    rows = _C.arange(m, device=M.device)
    pivots, zeros = [], []
    for j in range(k):
        if pivot and j < m - 1:
            # LAPACK's i?amax: the first row of largest magnitude (argmax returns the first maximum).
            p = _pivot_magnitude(M[:, j:, j]).argmax(-1) + j
            pj = p.unsqueeze(-1)
            swap = _C.where(rows == j, pj, _C.where(rows == pj, _C.full_like(pj, j), rows))
            # A gather is an exact row interchange, differentiable in M.
            M = M.gather(1, swap.unsqueeze(-1).expand(count, m, w))
        else:
            p = _C.full((count,), j, dtype=_C.int64, device=M.device)
        pivots.append(p)
        d = M[:, j, j]
        zero = d == 0
        zeros.append(zero)
        if j == m - 1:
            break
        # With pivoting, a zero pivot means the column below it is zero too (it is the largest):
        # the multipliers are then 0, as in LAPACK, which skips the scaling and leaves the update
        # a no-op. (Without pivoting the factors past a zero pivot are garbage; info reports it.)
        safe = _C.where(zero, _C.ones_like(d), d)
        mult = M[:, j + 1:, j] / safe.unsqueeze(-1)
        trailing = M[:, j + 1:, j + 1:] - mult.unsqueeze(-1) * M[:, j, j + 1:].unsqueeze(1)
        below = _C.cat([M[:, j + 1:, :j], mult.unsqueeze(-1), trailing], -1)
        M = _C.cat([M[:, :j + 1], below], 1)
    if pivots:
        piv = _C.stack(pivots, -1)
        zero = _C.stack(zeros, -1)
    else:
        piv = _C.zeros((count, 0), dtype=_C.int64, device=M.device)
        zero = _C.zeros((count, 0), dtype=_C.bool, device=M.device)
    return M, piv, zero


def _unit_triangular_solve(C, Y, upper):
    """X with (I + C) X = Y for strictly triangular C (count, n, n) and Y (count, n, k).

    Column-oriented substitution: once row i of Y is final it is eliminated from the other rows
    with one broadcast multiply-subtract, so each of the n steps is two kernels for the whole batch.
    """
    n = C.shape[-1]
    for i in (range(n - 1, -1, -1) if upper else range(n)):
        Y = Y - C[:, :, i:i + 1] * Y[:, i:i + 1, :]
    return Y


def _triangular_solve(T, Y, upper, unit=False):
    """X with T X = Y for triangular T (count, n, n): rows are scaled by the diagonal first so the
    substitution divides once per row, as back substitution does."""
    if not unit:
        d = T.diagonal(0, -2, -1).unsqueeze(-1)
        T = T / d
        Y = Y / d
    C = T.triu(1) if upper else T.tril(-1)
    return _unit_triangular_solve(C, Y, upper)


def _apply_pivots(B, piv):
    """P^T B: LAPACK's row interchanges of `piv` (count, k) applied in order to B (count, n, w)."""
    count, n, w = B.shape
    rows = _C.arange(n, device=B.device)
    perm = rows.expand(count, n)
    for j in range(piv.shape[-1]):
        pj = piv[:, j:j + 1]
        swap = _C.where(rows == j, pj, _C.where(rows == pj, _C.full_like(pj, j), rows))
        perm = perm.gather(1, swap)
    return B.gather(1, perm.unsqueeze(-1).expand(count, n, w))


def _solve_square(A, B):
    """X = A^-1 B for (count, n, n) and (count, n, k), with the 1-based index of the first zero pivot."""
    n = A.shape[-1]
    M, _, zero = _lu(_C.cat([A, B], -1), n)
    X = _triangular_solve(M[:, :, :n].triu(), M[:, :, n:], upper=True)
    return X, _first_true(zero)


# ----------------------------------------------------------------------------- inv / det / slogdet

def _inv_impl(A, parser_name):
    _check_tensor(parser_name, A)
    _check_square(A, "linalg.inv")
    _check_float(A, "linalg.inv", allow_complex=True)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0:
        return A.clone(), _C.zeros(batch, dtype=_C.int32, device=A.device)
    Af = _flat(A, batch, n, n)
    X, info = _solve_square(Af, _eye(n, Af, (count,)))
    return X.reshape(batch + (n, n)), info.reshape(batch)


def inv(A, *, out=None):
    """The inverse of each square matrix in `A` (*, n, n), by LU with partial pivoting.

    Raises `torch.linalg.LinAlgError` when a matrix is singular.

    >>> import ferrotorch as torch
    >>> torch.linalg.inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    X, info = _inv_impl(A, "linalg_inv")
    _raise_on_info(info, "linalg.inv", "inv", A.dim() == 2)
    return _out(X, out)


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info): `inv` that reports singular matrices in `info` (int32, the 1-based index of the
    first zero pivot, 0 when invertible) instead of raising, unless `check_errors`.

    >>> import ferrotorch as torch
    >>> torch.linalg.inv_ex(torch.tensor([[1.0, 2.0], [2.0, 4.0]])).info.item()
    2
    """
    X, info = _inv_impl(A, "linalg_inv_ex")
    if check_errors:
        _raise_on_info(info, "linalg.inv_ex", "inv", A.dim() == 2)
    return _out_tuple(return_types.linalg_inv_ex, (X, info), out)


def inverse(input, *, out=None):
    """Alias of `torch.linalg.inv`.

    >>> import ferrotorch as torch
    >>> torch.inverse(torch.tensor([[4.0]])).item()
    0.25
    """
    _check_tensor("inverse", input, "input")
    return inv(input, out=out)


def _lu_det_parts(A, fname):
    """(U's diagonal (count, n), permutation sign (count,), batch) for det and slogdet."""
    _check_square(A, fname)
    _check_float(A, fname, allow_complex=True)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    Af = _flat(A, batch, n, n)
    if count == 0 or n == 0:
        return Af.diagonal(0, -2, -1), _C.ones((count,), dtype=A.dtype, device=A.device), batch
    M, piv, _ = _lu(Af, n)
    # det(P) = (-1)^(number of actual interchanges), as PyTorch's lu_det_P; a real ±1 that
    # multiplies a complex diagonal product as well.
    swaps = (piv != _C.arange(n, device=A.device)).to(A.dtype.to_real()).sum(-1)
    sign = 1.0 - 2.0 * swaps.remainder(2.0)
    return M.diagonal(0, -2, -1), sign, batch


def det(A, *, out=None):
    """The determinant of each square matrix in `A` (*, n, n): the product of U's diagonal from LU
    with partial pivoting, times the permutation's sign. 0x0 matrices have determinant 1.

    >>> import ferrotorch as torch
    >>> torch.linalg.det(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)).item()
    -2.0
    """
    _check_tensor("linalg_det", A)
    diag, sign, batch = _lu_det_parts(A, "linalg.det")
    return _out((sign * diag.prod(-1)).reshape(batch), out)


def linalg_slogdet(A, *, out=None):
    """(sign, logabsdet) of each square matrix in `A`: det = sign * exp(logabsdet), computed without
    overflow. A singular matrix gives (0, -inf). For complex `A` the sign is complex (of modulus 1)
    and logabsdet is real.

    >>> import ferrotorch as torch
    >>> r = torch.linalg.slogdet(torch.tensor([[-2.0, 0.0], [0.0, 3.0]], dtype=torch.float64))
    >>> r.sign.item(), round(r.logabsdet.item(), 6)
    (-1.0, 1.791759)
    """
    _check_tensor("linalg_slogdet", A)
    diag, sign, batch = _lu_det_parts(A, "linalg.slogdet")
    unit = diag.sgn() if diag.dtype.is_complex else diag.sign()  # z / |z|, 0 for 0
    sign = (sign * unit.prod(-1)).reshape(batch)
    logabsdet = diag.abs().log().sum(-1).reshape(batch)
    return _out_tuple(return_types.linalg_slogdet, (sign, logabsdet), out)


def slogdet(input, *, out=None):
    """Alias of `torch.linalg.slogdet`, returning `torch.return_types.slogdet`.

    >>> import ferrotorch as torch
    >>> torch.slogdet(torch.eye(3)).sign.item()
    1.0
    """
    _check_tensor("slogdet", input, "input")
    return _out_tuple(return_types.slogdet, tuple(linalg_slogdet(input)), out)


def logdet(input):
    """log(det(A)) of each square matrix: NaN where the determinant is negative, -inf where it is 0.
    For complex input the complex logarithm (principal branch) of the determinant.

    >>> import ferrotorch as torch
    >>> round(torch.logdet(torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=torch.float64)).item(), 6)
    1.791759
    """
    _check_tensor("logdet", input, "input")
    _check_square(input, "logdet")
    _check_float(input, "logdet", allow_complex=True)
    sign, logabsdet = linalg_slogdet(input)
    if input.dtype.is_complex:
        result = sign.log() + logabsdet
        # PyTorch adds the real logabsdet as the complex number logabsdet * (1 + 0j), so an infinite
        # one (a singular matrix) leaves inf * 0 = NaN in the imaginary part: match it.
        nan_imag = _C.complex(result.real, _C.full_like(logabsdet, math.nan))
        return _C.where(logabsdet.isinf(), nan_imag, result)
    return _C.where(sign == -1.0, _C.full_like(logabsdet, math.nan), logabsdet)


# ----------------------------------------------------------------------------- solve

def _solve_impl(A, B, left, parser_name):
    _check_tensor(parser_name, A)
    _check_tensor(parser_name, B, "B", 2)
    _check_float(A, "linalg.solve", allow_complex=True)
    if A.dtype != B.dtype:
        raise RuntimeError("linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_scalar_name(A.dtype)} and B of type {_scalar_name(B.dtype)} instead")
    # NumPy's rule (linalg_solve_is_vector_rhs): B is a batch of vectors when it is 1-d or has the
    # shape of A without its last dim.
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    B_ = B.unsqueeze(-1) if vector else B
    _check_solver_shapes(A, B_, left, "linalg.solve")
    batch = _infer_size(tuple(B_.shape[:-2]), tuple(A.shape[:-2]))
    if not left and vector:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. "
                           "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    if not left:
        # X A = B  <=>  A^T X^T = B^T
        A, B_ = A.mT, B_.mT
    n, k = A.shape[-1], B_.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0 or k == 0:
        # Nothing to factor: PyTorch returns the empty (or, for n == 0, zero-row) result too.
        X = _C.zeros(batch + (n, k), dtype=B.dtype, device=B.device)
        X = X if left else X.mT
        return (X.squeeze(-1) if vector else X), _C.zeros(batch, dtype=_C.int32, device=A.device)
    X, info = _solve_square(_flat(A, batch, n, n), _flat(B_, batch, n, k))
    X = X.reshape(batch + (n, k))
    if not left:
        X = X.mT
    return (X.squeeze(-1) if vector else X), info.reshape(batch)


def solve(A, B, *, left=True, out=None):
    """X with A X = B (or X A = B when left=False), by LU with partial pivoting, batched and
    broadcast over the leading dims. B may be a matrix (*, n, k) or a vector (*, n).

    Raises `torch.linalg.LinAlgError` when a matrix is singular.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> [round(v, 12) for v in torch.linalg.solve(A, torch.tensor([9.0, 8.0], dtype=torch.float64)).tolist()]
    [2.0, 3.0]
    """
    X, info = _solve_impl(A, B, left, "linalg_solve")
    _raise_on_info(info, "torch.linalg.solve", "solve", A.dim() == 2)
    return _out(X, out)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(result, info): `solve` that reports singular matrices in `info` (int32, nonzero when
    singular) instead of raising, unless `check_errors`.

    >>> import ferrotorch as torch
    >>> torch.linalg.solve_ex(torch.eye(2), torch.ones(2)).info.item()
    0
    """
    X, info = _solve_impl(A, B, left, "linalg_solve_ex")
    if check_errors:
        _raise_on_info(info, "torch.linalg.solve_ex", "solve", A.dim() == 2)
    return _out_tuple(return_types.linalg_solve_ex, (X, info), out)


# ----------------------------------------------------------------------------- LU factor / solve

def _lu_factor_impl(A, pivot):
    _check_tensor("linalg_lu_factor", A)
    if A.dim() < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                           f"[{', '.join(str(s) for s in A.shape)}] instead")
    _check_float(A, "linalg.lu_factor", allow_complex=True)
    batch, m, n = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    if count == 0 or k == 0:
        piv = _C.arange(1, k + 1, dtype=_C.int32, device=A.device).expand(batch + (k,)).contiguous()
        return A.clone(), piv, _C.zeros(batch, dtype=_C.int32, device=A.device)
    M, piv, zero = _lu(_flat(A, batch, m, n), n, pivot)
    piv = (piv + 1).to(_C.int32)  # LAPACK's 1-based int32 pivots
    return M.reshape(batch + (m, n)), piv.reshape(batch + (k,)), _first_true(zero).reshape(batch)


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots): the compact LU factorisation A = P L U with partial pivoting, as LAPACK's getrf:
    L's multipliers below the diagonal of LU, U on and above it, and `pivots` the 1-based int32 row
    interchanges (row i was swapped with row pivots[i] - 1). pivot=False factors without
    interchanges (PyTorch allows that on CUDA only; here it works on every device).

    >>> import ferrotorch as torch
    >>> LU, piv = torch.linalg.lu_factor(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv.tolist()
    [2, 2]
    """
    LU, piv, info = _lu_factor_impl(A, pivot)
    _raise_on_info(info, "torch.linalg.lu_factor", "lu_factor", A.dim() == 2)
    return _out_tuple(return_types.linalg_lu_factor, (LU, piv), out)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): `lu_factor` that reports an exactly-zero U[i, i] in `info` (its 1-based
    index) instead of raising, unless `check_errors`.

    >>> import ferrotorch as torch
    >>> torch.linalg.lu_factor_ex(torch.zeros(2, 2)).info.item()
    1
    """
    LU, piv, info = _lu_factor_impl(A, pivot)
    if check_errors:
        _raise_on_info(info, "torch.linalg.lu_factor_ex", "lu_factor", A.dim() == 2)
    return _out_tuple(return_types.linalg_lu_factor_ex, (LU, piv, info), out)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (A^H X = B when `adjoint`; X A = B when left=False) from `lu_factor`'s output.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> LU, piv = torch.linalg.lu_factor(A)
    >>> X = torch.linalg.lu_solve(LU, piv, torch.tensor([[9.0], [8.0]], dtype=torch.float64))
    >>> [round(v, 12) for v in X.flatten().tolist()]
    [2.0, 3.0]
    """
    _check_tensor("linalg_lu_solve", LU, "LU")
    _check_tensor("linalg_lu_solve", pivots, "pivots", 2)
    _check_tensor("linalg_lu_solve", B, "B", 3)
    _check_float(LU, "torch.linalg.lu_solve", allow_complex=True)
    if LU.dtype != B.dtype:
        raise RuntimeError("linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_scalar_name(LU.dtype)} and B of type {_scalar_name(B.dtype)} instead")
    if pivots.dtype != _C.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    _check_square(LU, "torch.linalg.lu_solve")
    _check_solver_shapes(LU, B, left, "linalg.lu_solve")
    if LU.shape[-1] != pivots.shape[-1]:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the dimension of the matrix")
    if tuple(LU.shape[:-1]) != tuple(pivots.shape):
        raise RuntimeError("linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots "
                           f"with shape [{', '.join(str(s) for s in pivots.shape)}] instead")
    batch = _infer_size(tuple(B.shape[:-2]), tuple(LU.shape[:-2]))
    if not left:
        # X A = B  <=>  A^H X^H = B^H: flip `adjoint` and solve for X^H.
        B = B.mH
        adjoint = not adjoint
    n, k = LU.shape[-1], B.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0 or k == 0:
        X = _C.zeros(batch + (n, k), dtype=B.dtype, device=B.device)
        return _out(X if left else X.mH, out)
    LUf = _flat(LU, batch, n, n)
    pivf = pivots.to(_C.int64).expand(batch + (n,)).reshape((count, n)) - 1
    Bf = _flat(B, batch, n, k)
    L, U = LUf.tril(-1), LUf.triu()
    if not adjoint:
        # A = P L U: X = U^-1 L^-1 P^T B.
        X = _triangular_solve(U, _unit_triangular_solve(L, _apply_pivots(Bf, pivf), upper=False), upper=True)
    else:
        # A^H = U^H L^H P^T: X = P (L^H)^-1 (U^H)^-1 B; P applies the interchanges in reverse.
        Y = _unit_triangular_solve(L.mH, _triangular_solve(U.mH, Bf, upper=False), upper=True)
        X = _apply_pivots_inverse(Y, pivf)
    X = X.reshape(batch + (n, k))
    return _out(X if left else X.mH, out)


def _apply_pivots_inverse(B, piv):
    """P B: the interchanges of `piv` undone (applied in reverse order)."""
    count, n, w = B.shape
    rows = _C.arange(n, device=B.device)
    perm = rows.expand(count, n)
    for j in range(piv.shape[-1] - 1, -1, -1):
        pj = piv[:, j:j + 1]
        swap = _C.where(rows == j, pj, _C.where(rows == pj, _C.full_like(pj, j), rows))
        perm = perm.gather(1, swap)
    return B.gather(1, perm.unsqueeze(-1).expand(count, n, w))


# ----------------------------------------------------------------------------- triangular solve

def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (X A = B when left=False) for triangular A, by substitution; only the
    triangle `upper` selects is read, and its diagonal is taken as ones when `unitriangular`.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    >>> torch.linalg.solve_triangular(A, torch.tensor([[2.0], [3.0]]), upper=False).tolist()
    [[1.0], [2.0]]
    """
    _check_tensor("linalg_solve_triangular", A, "input")
    _check_tensor("linalg_solve_triangular", B, "B", 2)
    _check_solver_shapes(A, B, left, "linalg.solve_triangular")
    if A.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        device = "cpu" if A.device.type == "cpu" else "cuda"
        raise NotImplementedError(f"\"triangular_solve_{device}\" not implemented for '{_scalar_name(A.dtype)}'")
    if A.dtype != B.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_scalar_name(B.dtype)} "
                           f"and A of type {_scalar_name(A.dtype)} instead.")
    batch = _infer_size(tuple(B.shape[:-2]), tuple(A.shape[:-2]))
    if not left:
        # X A = B  <=>  A^T X^T = B^T, and A^T has the other triangle.
        A, B, upper = A.mT, B.mT, not upper
    n, k = A.shape[-1], B.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0 or k == 0:
        X = _C.zeros(batch + (n, k), dtype=B.dtype, device=B.device)
    else:
        X = _triangular_solve(_flat(A, batch, n, n), _flat(B, batch, n, k), upper, unitriangular)
        X = X.reshape(batch + (n, k))
    return _out(X if left else X.mT, out)


# ----------------------------------------------------------------------------- Tensor methods

for _name, _fn in {
    "inverse": lambda self: inv(self),
    "det": lambda self: det(self),
    "logdet": lambda self: logdet(self),
    "slogdet": lambda self: slogdet(self),
}.items():
    _fn.__doc__ = f"See :func:`torch.{_name}`."
    tensor_method(_fn, _name)


# The linalg versions carry their public names (tracebacks, help()).
linalg_slogdet.__name__ = linalg_slogdet.__qualname__ = "slogdet"
