"""Less common linear algebra: LDL^T (Bunch-Kaufman) factorisation and solve, Householder QR in
LAPACK's compact form (geqrf, ormqr), LOBPCG, randomized low-rank SVD/PCA, nuclear and Frobenius
norms, `torch.binomial`, and the removal errors of the functions PyTorch dropped in 1.9.

Composed from tensor ops like the other `_linalg_*` modules, so they run on both devices. The
pivot choices of the LDL^T factorisation are data-dependent (LAPACK's sytf2 reads one column per
step to choose them), so that loop reads a few scalars back per step; every update is a tensor op
in the input's dtype, in the order LAPACK does it.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[4.0, 2.0], [2.0, 3.0]], dtype=torch.float64)
    >>> LD, pivots = torch.linalg.ldl_factor(A)
    >>> torch.linalg.ldl_solve(LD, pivots, torch.tensor([[6.0], [5.0]], dtype=torch.float64)).tolist()
    [[1.0], [1.0]]
"""
import math
import warnings

from . import _C, return_types
from ._attach import tensor_method
from ._dtype_info import finfo as _finfo
from ._elementwise import _scalar_name
from ._linalg_factorizations import householder_reflector
from ._linalg_solvers import _check_float, _check_square, _check_tensor
from ._shape import _out
from ._shape_functions import broadcast_shapes as _broadcast_shapes

__all__ = ["geqrf", "ormqr", "lobpcg", "pca_lowrank", "svd_lowrank", "nuclear_norm", "frobenius_norm", "qr",
           "matrix_rank", "lstsq", "solve", "symeig", "eig", "binomial"]

# The `torch.linalg` names, re-exported by linalg.py.
_LINALG_NAMES = ["ldl_factor_ex", "ldl_factor", "ldl_solve"]


def _register(name, fields):
    """A `torch.return_types` named tuple, registered there so `torch.return_types.NAME` resolves."""
    existing = getattr(return_types, name, None)
    if existing is not None:
        return existing
    cls = return_types._named(name, fields)
    setattr(return_types, name, cls)
    return cls


_geqrf_t = _register("geqrf", ["a", "tau"])
_ldl_factor_t = _register("linalg_ldl_factor", ["LD", "pivots"])
_ldl_factor_ex_t = _register("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
_qr_t = _register("qr", ["Q", "R"])


def _shape_text(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _outs(kind, results, out):
    if out is None:
        return kind(*results)
    return kind(*(_out(r, o) for r, o in zip(results, out)))


# ----------------------------------------------------------------------------- LDL^T (Bunch-Kaufman)

_BK_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # LAPACK's bound for the growth of the 1x1/2x2 choice


def _sytf2_lower(A):
    """LAPACK's dsytf2 (uplo='L') on one (n, n) matrix: (LD, 1-based pivots list, info).

    Only the lower triangle is read. The pivot search reads magnitudes back; the updates are tensor
    ops in LAPACK's order of operations (dsyr for 1x1 pivots, the explicit 2x2 loop otherwise).
    """
    A = A.tril().clone()
    n = A.shape[0]
    piv = [0] * n
    info = 0
    k = 0
    while k < n:
        kstep = 1
        col = A[k:, k].abs()
        absakk = col[0].item()
        if k < n - 1:
            rest = col[1:]
            imax = k + 1 + int(rest.argmax().item())
            colmax = rest.max().item()
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0.0 or math.isnan(absakk):
            # Column k is zero (or NaN): LAPACK records the first such column and moves on.
            if info == 0:
                info = k + 1
            kp = k
        else:
            if absakk >= _BK_ALPHA * colmax:
                kp = k
            else:
                # The largest off-diagonal magnitude in row/column imax of the trailing matrix.
                rowmax = A[imax, k:imax].abs().max().item()
                if imax < n - 1:
                    rowmax = max(rowmax, A[imax + 1:, imax].abs().max().item())
                if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(A[imax, imax].item()) >= _BK_ALPHA * rowmax:
                    kp = imax
                else:
                    kp = imax
                    kstep = 2
            kk = k + kstep - 1
            if kp != kk:
                # Symmetric interchange of rows/columns kk and kp inside A[k:, k:] (lower storage).
                if kp < n - 1:
                    a = A[kp + 1:, kk].clone()
                    A[kp + 1:, kk] = A[kp + 1:, kp]
                    A[kp + 1:, kp] = a
                if kp - kk > 1:
                    a = A[kk + 1:kp, kk].clone()
                    A[kk + 1:kp, kk] = A[kp, kk + 1:kp]
                    A[kp, kk + 1:kp] = a
                a = A[kk, kk].clone()
                A[kk, kk] = A[kp, kp]
                A[kp, kp] = a
                if kstep == 2:
                    a = A[k + 1, k].clone()
                    A[k + 1, k] = A[kp, k]
                    A[kp, k] = a
            if kstep == 1:
                if k < n - 1:
                    d11 = 1.0 / A[k, k]
                    x = A[k + 1:, k].clone()
                    # dsyr: A22 += x (-d11 x)^T on the lower triangle.
                    A[k + 1:, k + 1:] = (A[k + 1:, k + 1:] + x.unsqueeze(-1) * (-d11 * x).unsqueeze(0)).tril()
                    A[k + 1:, k] = x * d11
            elif k < n - 2:
                d21 = A[k + 1, k]
                d11 = A[k + 1, k + 1] / d21
                d22 = A[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                xk, xk1 = A[k + 2:, k].clone(), A[k + 2:, k + 1].clone()
                wk = d21 * (d11 * xk - xk1)
                wkp1 = d21 * (d22 * xk1 - xk)
                update = xk.unsqueeze(-1) * wk.unsqueeze(0) + xk1.unsqueeze(-1) * wkp1.unsqueeze(0)
                A[k + 2:, k + 2:] = (A[k + 2:, k + 2:] - update).tril()
                A[k + 2:, k] = wk
                A[k + 2:, k + 1] = wkp1
        if kstep == 1:
            piv[k] = kp + 1
        else:
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return A, piv, info


def _ldl_checks(A, fname, parser_name):
    _check_tensor(parser_name, A, "input")
    if A.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    _check_square(A, fname)
    if not A.dtype.is_floating_point:
        raise NotImplementedError(f"{fname}: Expected a floating point or complex tensor as input. Got "
                                  f"{_scalar_name(A.dtype)}")
    if A.dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(f"\"ldl_factor_kernel_{'cpu' if A.device.type == 'cpu' else 'cuda'}\" not "
                                  f"implemented for '{_scalar_name(A.dtype)}'")


def _ldl_factor_impl(A):
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    flat = A.detach().reshape((count, n, n))
    lds, pivs, infos = [], [], []
    for b in range(count):
        ld, piv, info = _sytf2_lower(flat[b])
        lds.append(ld)
        pivs.append(piv)
        infos.append(info)
    if count and n:
        LD = _C.stack(lds).reshape(batch + (n, n))
    else:
        LD = _C.zeros(batch + (n, n), dtype=A.dtype, device=A.device)
    pivots = _C.tensor(pivs, dtype=_C.int32, device=A.device).reshape(batch + (n,))
    info = _C.tensor(infos, dtype=_C.int32, device=A.device).reshape(batch)
    return LD, pivots, info


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info): the compact LDL^T factorisation of symmetric `A` (*, n, n) by
    Bunch-Kaufman diagonal pivoting, stored as LAPACK's sytrf stores it (uplo='L'): D's 1x1 and 2x2
    blocks on the diagonal (and first subdiagonal), L's multipliers below, 1-based `pivots`
    (negative, and repeated, for a 2x2 block). Reads only the lower triangle. `info` is the index of
    the first zero column (0 when none). Real inputs: `hermitian` changes nothing.

    >>> import ferrotorch as torch
    >>> LD, piv, info = torch.linalg.ldl_factor_ex(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    >>> LD.tolist(), piv.tolist(), info.item()
    ([[0.0, 0.0], [1.0, 0.0]], [-2, -2], 0)
    """
    _ldl_checks(A, "torch.linalg.ldl_factor_ex", "linalg_ldl_factor_ex")
    LD, pivots, info = _ldl_factor_impl(A)
    if check_errors:
        _ldl_raise(info, "torch.linalg.ldl_factor_ex")
    return _outs(_ldl_factor_ex_t, (LD, pivots, info), out)


def _ldl_raise(info, api):
    flat = info.reshape(-1).tolist()
    bad = [v for v in flat if v != 0]
    if bad:
        # PyTorch routes sytrf's positive info to an internal assert (its "Unknown error code").
        raise RuntimeError(f"false INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/aten/src/ATen/native/"
                           f"BatchLinearAlgebra.cpp\":1677, please report a bug to PyTorch. {api}: Unknown "
                           f"error code: {bad[0]}.")


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots) of `ldl_factor_ex`, raising when a column of `A` is zero.

    >>> import ferrotorch as torch
    >>> LD, piv = torch.linalg.ldl_factor(torch.tensor([[4.0, 2.0], [2.0, 3.0]]))
    >>> LD.tolist(), piv.tolist()
    ([[4.0, 0.0], [0.5, 2.0]], [1, 2])
    """
    # PyTorch checks through ldl_factor_ex, so its messages name that function.
    _ldl_checks(A, "torch.linalg.ldl_factor_ex", "linalg_ldl_factor")
    LD, pivots, info = _ldl_factor_impl(A)
    _ldl_raise(info, "torch.linalg.ldl_factor")
    return _outs(_ldl_factor_t, (LD, pivots), out)


def _ldl_structure(piv, n):
    """From one matrix's 1-based pivots: (rows, perm, blocks).

    sytrf's L is P1 L1 P2 L2 ... with each interchange applied only to the columns after it; moving
    the permutations to the left gives A = P L D L^T P^T with L's column j read from LD's column j
    at the rows `rows[j]` (the later interchanges applied), and P^T B = B[perm]. `blocks` lists the
    first index of each 2x2 block of D.
    """
    rows = []
    perm = list(range(n))
    blocks = []
    k = 0
    while k < n:
        if piv[k] > 0:
            step, a, b = 1, k, piv[k] - 1
        else:
            step, a, b = 2, k + 1, -piv[k] - 1
            blocks.append(k)
        if a != b:
            for r in rows:
                r[a], r[b] = r[b], r[a]
            perm[a], perm[b] = perm[b], perm[a]
        for _ in range(step):
            rows.append(list(range(n)))
        k += step
    return rows, perm, blocks


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B from the compact factorisation (LD, pivots) of `ldl_factor`; batches broadcast.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    >>> torch.linalg.ldl_solve(*torch.linalg.ldl_factor(A), torch.tensor([[2.0], [3.0]], dtype=torch.float64)).tolist()
    [[3.0], [2.0]]
    """
    fname = "torch.linalg.ldl_solve"
    _check_tensor("linalg_ldl_solve", LD, "LD")
    _check_tensor("linalg_ldl_solve", pivots, "pivots", 2)
    _check_tensor("linalg_ldl_solve", B, "B", 3)
    if LD.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    _check_square(LD, fname)
    if B.dim() < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    if B.dtype != LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_scalar_name(B.dtype)} "
                           f"and A of type {_scalar_name(LD.dtype)} instead.")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {fname}: each A matrix is {n} by {n} but each b "
                           f"matrix is {B.shape[-2]} by {B.shape[-1]}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{fname}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots "
                           f"with shape {_shape_text(pivots.shape)} instead")
    if pivots.dtype.is_floating_point or pivots.dtype == _C.bool:
        raise RuntimeError(f"{fname}: Expected pivots to be integers. Got {_scalar_name(pivots.dtype)}")
    _check_float(LD, fname)
    batch = tuple(_broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2])))
    k_rhs = B.shape[-1]
    count = math.prod(batch)
    LDb = LD.expand(batch + (n, n)).reshape((count, n, n))
    Bb = B.expand(batch + (n, k_rhs)).reshape((count, n, k_rhs))
    pv = pivots.expand(batch + (n,)).reshape((count, n)).tolist()  # integer metadata, as LAPACK reads it
    # Gather indices: L[b, i, j] = LD[b, rows[j][i], j]; B[b, perm[i]] gives P^T B.
    row_idx, perm_idx, dmask = [], [], []
    for b in range(count):
        rows, perm, blocks = _ldl_structure(pv[b], n)
        row_idx.append([[rows[j][i] for j in range(n)] for i in range(n)])
        perm_idx.append(perm)
        dmask.append([[1 if (i == j or (min(i, j) in blocks and abs(i - j) == 1)) else 0 for j in range(n)]
                      for i in range(n)])
    if count == 0 or n == 0:
        return _out(_C.zeros(batch + (n, k_rhs), dtype=B.dtype, device=B.device), out)
    dev = LD.device
    G = _C.tensor(row_idx, dtype=_C.int64, device=dev)
    P = _C.tensor(perm_idx, dtype=_C.int64, device=dev)
    Dm = _C.tensor(dmask, dtype=_C.bool, device=dev)
    eye = _C.eye(n, dtype=LD.dtype, device=dev)
    # Strictly-lower L below the 1x1 and 2x2 blocks (the subdiagonal entry of a 2x2 block is D's).
    L = _C.where(Dm | ~_C.ones(n, n, dtype=_C.bool, device=dev).tril(-1), _C.zeros_like(LDb),
                 LDb.gather(1, G)) + eye
    low = LDb.tril()
    D = _C.where(Dm, low + low.mT - low * eye, _C.zeros_like(LDb))
    from ._linalg_solvers import solve, solve_triangular
    Y = Bb.gather(1, P.unsqueeze(-1).expand(count, n, k_rhs))
    Y = solve_triangular(L, Y, upper=False, unitriangular=True)
    Y = solve(D, Y)
    Y = solve_triangular(L.mT, Y, upper=True, unitriangular=True)
    inv = P.argsort(-1)  # P Y: undo the row interchanges
    X = Y.gather(1, inv.unsqueeze(-1).expand(count, n, k_rhs))
    return _out(X.reshape(batch + (n, k_rhs)), out)


# ----------------------------------------------------------------------------- geqrf / ormqr

def geqrf(input, *, out=None):
    """(a, tau): the QR factorisation in LAPACK's compact form: R on and above the diagonal of `a`,
    the Householder vectors v_i (with an implicit leading 1) below it, and their scalars `tau`
    (*, min(m, n)), so that Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^T.

    >>> import ferrotorch as torch
    >>> a, tau = torch.geqrf(torch.tensor([[3.0], [4.0]], dtype=torch.float64))
    >>> a.tolist(), tau.tolist()
    ([[-5.0], [0.5]], [1.6])
    """
    _check_tensor("geqrf", input, "input")
    if input.dim() < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(f"\"geqrf_{'cpu' if input.device.type == 'cpu' else 'cuda'}\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    batch, m, n = tuple(input.shape[:-2]), input.shape[-2], input.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    R = input.reshape((count, m, n))
    taus = []
    for j in range(k):
        if j == m - 1 or count == 0:
            taus.append(_C.zeros((count,), dtype=input.dtype, device=input.device))
            continue
        x = R[:, j:, j]
        tau, v, beta, reflect = householder_reflector(x)
        # dlarf on the trailing columns: C -= tau v (v^T C).
        trail = R[:, j:, j + 1:]
        trail = trail - (tau.unsqueeze(-1) * v).unsqueeze(-1) * (v.unsqueeze(1) @ trail)
        newcol = _C.where(reflect.unsqueeze(-1), _C.cat([beta.unsqueeze(-1), v[:, 1:]], -1), x)
        lower = _C.cat([newcol.unsqueeze(-1), trail], -1)
        R = _C.cat([R[:, :j], _C.cat([R[:, j:, :j], lower], -1)], 1)
        taus.append(tau)
    tau_t = _C.stack(taus, -1) if taus else _C.zeros((count, 0), dtype=input.dtype, device=input.device)
    return _outs(_geqrf_t, (R.reshape(batch + (m, n)), tau_t.reshape(batch + (k,))), out)


def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
    """op(Q) @ input3 (left) or input3 @ op(Q) (right), op(Q) = Q or Q^T (`transpose`), with Q the
    product of the Householder reflectors stored in (`input`, `input2`) as `geqrf` returns them.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=torch.float64)
    >>> a, tau = torch.geqrf(A)
    >>> R = a.triu()
    >>> torch.allclose(torch.ormqr(a, tau, R), A)
    True
    """
    _check_tensor("ormqr", input, "input")
    _check_tensor("ormqr", input2, "input2", 2)
    _check_tensor("ormqr", input3, "input3", 3)
    name = "torch.ormqr"
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if input3.dim() < 2:
        raise RuntimeError(f"{name}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    mn = input3.shape[side]
    if mn < input2.shape[-1]:
        raise RuntimeError(f"{name}: other.shape[{side}] must be greater than or equal to tau.shape[-1]")
    if mn != input.shape[-2]:
        raise RuntimeError(f"{name}: other.shape[{side}] must be equal to input.shape[-2]")
    if input2.shape[-1] > input.shape[-1]:
        raise RuntimeError(f"{name}: tau.shape[-1] must be less than or equal to input.shape[-1]")
    if input.dim() - input2.dim() != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal "
                           f"to {input2.dim()} and input.ndim is equal to {input.dim()}")
    if input.dim() != input3.dim():
        raise RuntimeError(f"{name}: Expected other to have the same number of dimensions as input, but got "
                           f"other.ndim equal to {input3.dim()} and input.ndim is equal to {input.dim()}")
    for t, nm in ((input2, "tau"), (input3, "other")):
        if t.dtype != input.dtype:
            # PyTorch's message has no space after "dtype" for the input's type.
            raise RuntimeError(f"{name}: Expected input and {nm} to have the same dtype, but input has dtype"
                               f"{_scalar_name(input.dtype)} and {nm} has dtype {_scalar_name(t.dtype)}")
    _check_float(input, name)
    k = input2.shape[-1]
    rows = _C.arange(mn, device=input.device).unsqueeze(-1)
    C = input3
    # Q = H_1 ... H_k: Q C and C Q^T apply H_k first; Q^T C and C Q apply H_1 first.
    order = range(k - 1, -1, -1) if left != transpose else range(k)
    for i in order:
        v = _C.where(rows > i, input[..., :, i:i + 1], (rows == i).to(input.dtype))   # (*, mn, 1)
        t = input2[..., i:i + 1].unsqueeze(-1)
        if left:
            C = C - (t * v) @ (v.mT @ C)
        else:
            C = C - ((C @ v) * t) @ v.mT
    # With no reflectors the result is still a new tensor, never input3 itself.
    return _out(C.clone() if k == 0 else C, out)


for _fn in (geqrf, ormqr):
    tensor_method(_fn)


# ----------------------------------------------------------------------------- norms

_warned = set()


def _warn_once(key, message):
    # PyTorch's TORCH_WARN_ONCE: one UserWarning per process.
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """The nuclear norm (sum of singular values) of a matrix, or over the two dims `dim`.

    >>> import ferrotorch as torch
    >>> torch.nuclear_norm(torch.tensor([[3.0, 0.0], [0.0, -4.0]])).item()
    7.0
    """
    from .linalg import matrix_norm
    _check_tensor("nuclear_norm", input, "input")
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim) positional overload
        dim, keepdim = None, dim
    _warn_once("nuclear_norm", "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will "
               "be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` "
               "instead")
    # An int fills the int[2] schema argument twice, as PyTorch's parser does.
    dim = (-2, -1) if dim is None else ((dim, dim) if isinstance(dim, int) else tuple(dim))
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    return _out(matrix_norm(input, "nuc", dim, keepdim), out)


def frobenius_norm(input, dim, keepdim=False, *, out=None):
    """The Frobenius norm (square root of the sum of squares) over `dim` (one or two dims).

    >>> import ferrotorch as torch
    >>> torch.frobenius_norm(torch.tensor([[3.0, 0.0], [0.0, -4.0]]), (0, 1)).item()
    5.0
    """
    from .linalg import vector_norm
    _check_tensor("frobenius_norm", input, "input")
    _warn_once("frobenius_norm", "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It "
               "will be removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` "
               "instead")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions instead.")
    return _out(vector_norm(input, 2, dims, keepdim), out)


# ----------------------------------------------------------------------------- removed functions

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to `torch.linalg.matrix_rank`."""
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed.\n"
                       "Please use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
                       "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")


def lstsq(input, A, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to `torch.linalg.lstsq`."""
    raise RuntimeError(
        _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
        "`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition in "
        "the returned tuple (although it returns other information about the problem).\n\n"
        "To get the QR decomposition consider using `torch.linalg.qr`.\n\n"
        "The returned solution in `torch.lstsq` stored the residuals of the solution in the "
        "last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, "
        "the residuals are in the field 'residuals' of the returned named tuple.\n\n"
        "The unpacking of the solution, as in\n"
        "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
        "should be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution")


def solve(input, A, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to `torch.linalg.solve`."""
    raise RuntimeError(
        _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. "
        "`torch.linalg.solve` has its arguments reversed and does not return the LU factorization.\n\n"
        "To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\n"
        "X = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)")


def symeig(input, eigenvectors=False, upper=True, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to `torch.linalg.eigh` / `eigvalsh`."""
    raise RuntimeError(
        _REMOVED + "The default behavior has changed from using the upper triangular portion of the matrix by "
        "default to using the lower triangular portion.\n\n"
        "L, _ = torch.symeig(A, upper=upper) should be replaced with:\n"
        "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\n"
        "and\n\n"
        "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
        "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')")


def eig(self, eigenvectors=False, *, e=None, v=None):
    """Removed in PyTorch 1.9: raises, pointing to `torch.linalg.eig`."""
    raise RuntimeError(
        _REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
        "tensors mimicking complex tensors.\n\n"
        "L, _ = torch.eig(A) should be replaced with:\n"
        "L_complex = torch.linalg.eigvals(A)\n\n"
        "and\n\n"
        "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
        "L_complex, V_complex = torch.linalg.eig(A)")


def qr(input, some=True, *, out=None):
    """Removed in PyTorch 1.9 (PyTorch 2.15 raises): points to `torch.linalg.qr`."""
    reduced = "reduced" if some else "complete"
    raise RuntimeError(
        _REMOVED + "`torch.qr` is deprecated in favor of `torch.linalg.qr` and the boolean parameter "
        "`some` has been replaced with a string parameter `mode`.\n\n"
        "Q, R = torch.qr(A) should be replaced with:\n"
        "Q, R = torch.linalg.qr(A, mode='reduced')\n\n"
        "and\n\n"
        "Q, R = torch.qr(A, some=False) should be replaced with:\n"
        "Q, R = torch.linalg.qr(A, mode='complete')\n\n"
        f"Since `some` was set to {some}, use mode='{reduced}'.")


def _lstsq_method(self, other):
    return lstsq(self, other)


def _solve_method(self, other):
    return solve(self, other)


def _symeig_method(self, eigenvectors=False):
    return symeig(self, eigenvectors=eigenvectors)


def _eig_method(self, eigenvectors=False):
    return eig(self, eigenvectors=eigenvectors)


def _qr_method(self, some=True):
    return qr(self, some=some)


for _name, _fn in (("lstsq", _lstsq_method), ("solve", _solve_method), ("symeig", _symeig_method),
                   ("eig", _eig_method), ("qr", _qr_method)):
    if not hasattr(_C.Tensor, _name):
        tensor_method(_fn, _name)


# ----------------------------------------------------------------------------- randomized low rank

def _floating_dtype(A):
    return A.dtype if A.dtype in (_C.float16, _C.float32, _C.float64) else _C.float32


def _approximate_basis(A, q, niter, M=None):
    """An orthonormal (*, m, q) basis approximating the range of A - M (Halko et al., alg. 4.4)."""
    from .linalg import qr as linalg_qr
    niter = 2 if niter is None else niter
    # Complex input keeps its dtype (a complex random projection), as in PyTorch.
    R = _C.randn((A.shape[-1], q), dtype=A.dtype if A.is_complex() else _floating_dtype(A), device=A.device)
    X = A @ R
    if M is not None:
        X = X - M @ R
    Q = linalg_qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q
        if M is not None:
            X = X - M.mH @ Q
        Q = linalg_qr(X).Q
        X = A @ Q
        if M is not None:
            X = X - M @ Q
        Q = linalg_qr(X).Q
    return Q


def _svd_lowrank(A, q=6, niter=2, M=None):
    from .linalg import svd as linalg_svd
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = A.mH
        if M is not None:
            M = M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A
    if M is not None:
        B = B - Q.mH @ M
    U, S, Vh = linalg_svd(B, full_matrices=False)
    V = Vh.mH
    U = Q @ U
    if m < n:
        U, V = V, U
    return U, S, V


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V), a randomized rank-`q` approximation of the SVD of A (or of A - M): A ~ U diag(S) V^H
    (Halko, Martinsson & Tropp, 2009), with `niter` subspace iterations.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    >>> U, S, V = torch.svd_lowrank(A, q=2)
    >>> [round(s, 6) for s in S.tolist()]
    [3.0, 1.0]
    """
    _check_tensor("svd_lowrank", A)
    return _svd_lowrank(A, q=q, niter=niter, M=M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the randomized low-rank SVD of A with its column means subtracted (`center`):
    the principal directions are V's columns. `q` defaults to min(6, m, n).

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], dtype=torch.float64)
    >>> U, S, V = torch.pca_lowrank(A, q=1)
    >>> round(S.item() ** 2, 6)
    4.0
    """
    _check_tensor("pca_lowrank", A)
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter=niter, M=None)
    C = A.mean(dim=(-2,), keepdim=True)
    return _svd_lowrank(A - C, q, niter=niter, M=None)


# ----------------------------------------------------------------------------- LOBPCG

def _b_orthonormal_basis(S, B, rel_tol):
    """An orthonormal basis (in the B inner product) of span(S), dropping directions whose Gram
    eigenvalue is below `rel_tol` times the largest (nearly dependent columns near convergence)."""
    from .linalg import eigh
    # Unit columns first: near convergence the residual block is tiny, and without rescaling its
    # Gram eigenvalues (squares of its norms) would fall below the dependency threshold.
    S = S / S.norm(dim=0, keepdim=True).clamp(min=_finfo(S.dtype).tiny)
    BS = S if B is None else B @ S
    G = S.mT @ BS
    G = (G + G.mT) / 2
    w, V = eigh(G)
    keep = w > rel_tol * w.abs().max()
    idx = keep.nonzero().reshape(-1)
    w, V = w.index_select(0, idx), V.index_select(1, idx)
    return S @ (V / w.sqrt())


def _rayleigh_ritz(S, A, n, largest):
    from .linalg import eigh
    T = S.mT @ (A @ S)
    E, Z = eigh((T + T.mT) / 2)
    if largest:
        E, Z = E.flip(0), Z.flip(1)
    return E[:n], Z[:, :n]


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The `k` largest (or smallest, `largest=False`) eigenpairs (E, X) of the symmetric generalized
    problem A x = e B x (B = I by default), by Knyazev's LOBPCG: Rayleigh-Ritz on the span of the
    current vectors, the (optionally `iK`-preconditioned) residuals and the previous search
    directions, kept B-orthonormal (the "ortho" method). Stops after `niter` iterations (default
    1000; -1 runs until convergence) or when every residual norm is below `tol` relative to the
    eigenvalue scale.

    >>> import ferrotorch as torch
    >>> A = torch.diag(torch.arange(1.0, 13.0, dtype=torch.float64))
    >>> E, X = torch.lobpcg(A, k=2)
    >>> [round(e, 6) for e in E.tolist()]
    [12.0, 11.0]
    """
    _check_tensor("lobpcg", A)
    if A.dim() != 2 or A.shape[-2] != A.shape[-1]:
        # PyTorch asserts this (its batched path is not supported either).
        raise AssertionError(f"A must be square, got shape {A.shape}")
    m = A.shape[-1]
    if B is not None and tuple(B.shape) != tuple(A.shape):
        raise ValueError(f"A and B must have the same shapes but got {A.shape} and {B.shape}")
    dtype = _floating_dtype(A)
    k = 1 if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 "
                         f"x the number of requested eigenpairs (={n})")
    largest = True if largest is None else largest
    niter = 1000 if niter is None else niter
    eps = 2.220446049250313e-16 if dtype == _C.float64 else 1.1920928955078125e-07
    tol = eps ** 0.5 if tol is None else tol
    A = A.to(dtype)
    if B is not None:
        B = B.to(dtype)
    if X is None:
        X = _C.randn((m, n), dtype=dtype, device=A.device)
    rel = eps * 100
    S = _b_orthonormal_basis(X.to(dtype), B, rel)
    E, Z = _rayleigh_ritz(S, A, n, largest)
    X = S @ Z
    P = None
    it = 0
    while niter < 0 or it < niter:
        it += 1
        AX = A @ X
        BX = X if B is None else B @ X
        R = AX - BX * E
        # Converged when ||r_i|| <= tol (||A|| + |e_i| ||B||) ||x_i||, the first k pairs.
        anorm = A.abs().sum(0).max()
        bnorm = 1.0 if B is None else B.abs().sum(0).max()
        rerr = R.norm(dim=0) / ((anorm + E.abs() * bnorm) * X.norm(dim=0))
        if bool((rerr[:k] < tol).all()):
            break
        W = R if iK is None else iK @ R
        parts = [X, W] if P is None else [X, W, P]
        S = _b_orthonormal_basis(_C.cat(parts, -1), B, rel)
        E_new, Z = _rayleigh_ritz(S, A, n, largest)
        X_new = S @ Z
        # The new search directions: the part of the Ritz vectors outside span(X).
        BXn = X if B is None else B @ X
        P = X_new - X @ (BXn.mT @ X_new)
        X, E = X_new, E_new
    return E[:k], X[:, :k]


# ----------------------------------------------------------------------------- binomial

def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws, elementwise over the broadcast `count` and `prob` (exact in
    distribution: inversion for small means, Hormann's BTRS rejection otherwise).

    >>> import ferrotorch as torch
    >>> torch.binomial(torch.tensor([5.0, 3.0]), torch.tensor([1.0, 0.0])).tolist()
    [5.0, 0.0]
    """
    from ._random_draws import _binomial
    _check_tensor("binomial", count, "count")
    _check_tensor("binomial", prob, "prob", 2)
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {_scalar_name(count.dtype)}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {_scalar_name(prob.dtype)} but expected {_scalar_name(count.dtype)}")
    shape = tuple(_broadcast_shapes(tuple(count.shape), tuple(prob.shape)))
    n = count.detach().expand(shape)
    p = prob.detach().expand(shape)
    if n.numel() == 0:
        return _C.zeros(shape, dtype=count.dtype, device=count.device)
    # Edge cases as PyTorch's sampler: no trials or p <= 0 -> 0; p >= 1 -> count; NaN p -> NaN.
    zero = (n <= 0) | (p <= 0)
    full = p >= 1
    inner = ~(zero | full | p.isnan())
    safe_p = _C.where(inner, p, _C.full_like(p, 0.5))
    safe_n = _C.where(inner, n, _C.zeros_like(n))
    draw = _binomial(safe_n, safe_p, generator)
    out = _C.where(full, n, _C.where(zero, _C.zeros_like(n), draw))
    return _C.where(p.isnan(), p, out).contiguous()
