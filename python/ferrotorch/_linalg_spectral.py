"""Spectral linear algebra: eigh, eigvalsh, svd, svdvals, torch.svd, pinv, pinverse, matrix_rank,
lstsq and cond, on the Jacobi iterations of `_linalg_jacobi.py`.

Everything is batched over the leading dims, in float32, float64, complex64 and complex128 (complex
input is Hermitian for eigh; eigenvalues and singular values are real), with the same code on every
device; gradients flow through the eigh/svd autograd Functions (PyTorch's formulas) and through the
tensor ops composed around them.

Conventions where PyTorch leaves a choice (its results are LAPACK's):
- eigenvalues ascend, singular values descend;
- each eigenvector (column of V) has its largest-magnitude entry real and positive; for svd the same
  holds for the rows of Vh when m >= n, and for the columns of U when m < n. Compare vectors up to
  sign (a complex phase for complex input);
- eigenvectors of repeated eigenvalues (singular vectors of repeated singular values) are one basis
  of their space among many, and the gradient through them is undefined, as in PyTorch.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> [round(v, 12) for v in torch.linalg.eigvalsh(A).tolist()]
    [1.0, 3.0]
    >>> [round(v, 12) for v in torch.linalg.svdvals(torch.tensor([[3.0, 0.0], [0.0, -4.0]])).tolist()]
    [4.0, 3.0]
"""
import math

from . import _C, return_types
from ._attach import tensor_method
from ._dtype_info import finfo
from ._elementwise import _scalar_name
from ._linalg_jacobi import EighFunction, NotConverged, SvdFunction, _eye, _sqabs
from ._linalg_solvers import (
    _COMPLEX_DTYPES, _REAL_DTYPES, _check_float, _check_matrix, _check_square, _check_tensor, _flat, _linalg_error,
    _out_tuple,
)
from ._dims import infer_size as _infer_size
from ._shape import _out
from .autograd.function import Function

# Top-level names (`from ._linalg_spectral import *` in ferrotorch/__init__.py).
# (matrix_exp, lu, lu_unpack and orgqr come from _linalg_matrix_functions.py, imported at the end.)
__all__ = ["svd", "pinverse"]

# The `torch.linalg` names, re-exported by linalg.py.
_LINALG_NAMES = ["eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "cond"]


_linalg_eigh_t = return_types.linalg_eigh
_linalg_svd_t = return_types.linalg_svd
_svd_t = return_types.svd
_linalg_lstsq_t = return_types.linalg_lstsq


def _not_converged(err, api, what, is_matrix):
    where = "" if is_matrix else f": (Batch element {err.batch_index})"
    return _linalg_error(f"{api}{where}: The algorithm failed to converge because the input matrix is "
                         f"ill-conditioned or has too many repeated {what} (error code: {err.code}).")


# ----------------------------------------------------------------------------- eigh

def _eigh_impl(A, UPLO, fname):
    _check_square(A, "linalg.eigh")
    _check_float(A, "linalg.eigh", allow_complex=True)
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0:
        return (_C.zeros(batch + (n,), dtype=A.dtype.to_real(), device=A.device),
                _C.zeros(batch + (n, n), dtype=A.dtype, device=A.device))
    Af = _flat(A, batch, n, n)
    # The Function reads the lower triangle; the upper triangle of A is the lower one of A^H.
    try:
        L, V = EighFunction.apply(Af.mH if UPLO.upper() == "U" else Af)
    except NotConverged as err:
        raise _not_converged(err, "linalg.eigh", "eigenvalues", A.dim() == 2) from None
    return L.reshape(batch + (n,)), V.reshape(batch + (n, n))


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues, eigenvectors) of each real symmetric or complex Hermitian matrix in `A`
    (*, n, n): ascending real eigenvalues L and orthonormal eigenvectors in the columns of V, with
    A = V diag(L) V^H. Only the triangle `UPLO` ('L' or 'U') is read (and the real part of the
    diagonal). A batched parallel Jacobi method.

    >>> import ferrotorch as torch
    >>> L, V = torch.linalg.eigh(torch.tensor([[2.0, 0.0], [0.0, 1.0]]))
    >>> L.tolist(), V.tolist()
    ([1.0, 2.0], [[0.0, 1.0], [1.0, 0.0]])
    """
    _check_tensor("linalg_eigh", A)
    L, V = _eigh_impl(A, UPLO, "linalg.eigh")
    return _out_tuple(_linalg_eigh_t, (L, V), out)


def eigvalsh(A, UPLO="L", *, out=None):
    """The ascending (real) eigenvalues of each symmetric / Hermitian matrix in `A` (see `eigh`).

    >>> import ferrotorch as torch
    >>> torch.linalg.eigvalsh(torch.tensor([[1.0, 0.0], [0.0, -1.0]])).tolist()
    [-1.0, 1.0]
    """
    _check_tensor("linalg_eigvalsh", A)
    return _out(_eigh_impl(A, UPLO, "linalg.eigvalsh")[0], out)


# ----------------------------------------------------------------------------- svd

def _identity_like(A, batch, r):
    return _eye(r, A.dtype, A.device).expand(batch + (r, r)).contiguous()


def _svd_impl(A, full_matrices):
    _check_matrix(A, "linalg.svd")
    _check_float(A, "linalg.svd", allow_complex=True)
    batch, m, n = tuple(A.shape[:-2]), A.shape[-2], A.shape[-1]
    k = min(m, n)
    count = math.prod(batch)
    if count == 0 or k == 0:
        # The identity is a valid U (Vh) of an empty matrix, as in PyTorch.
        S = _C.zeros(batch + (k,), dtype=A.dtype.to_real(), device=A.device)
        if full_matrices:
            return _identity_like(A, batch, m), S, _identity_like(A, batch, n)
        return (_C.zeros(batch + (m, k), dtype=A.dtype, device=A.device), S,
                _C.zeros(batch + (k, n), dtype=A.dtype, device=A.device))
    try:
        U, S, Vh = SvdFunction.apply(_flat(A, batch, m, n), bool(full_matrices))
    except NotConverged as err:
        raise _not_converged(err, "linalg.svd", "singular values", A.dim() == 2) from None
    return (U.reshape(batch + tuple(U.shape[-2:])), S.reshape(batch + (k,)),
            Vh.reshape(batch + tuple(Vh.shape[-2:])))


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh for each matrix in `A` (*, m, n): S descending, U and Vh
    with orthonormal columns / rows; (*, m, m) and (*, n, n) when `full_matrices`, else (*, m, k)
    and (*, k, n), k = min(m, n). One-sided (Hestenes) Jacobi, so small singular values keep high
    relative accuracy. `driver` (cuSOLVER's choice in PyTorch) is accepted on the GPU and ignored.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[3.0, 0.0], [4.0, 5.0]], dtype=torch.float64)
    >>> U, S, Vh = torch.linalg.svd(A)
    >>> [round(v ** 2, 10) for v in S.tolist()]
    [45.0, 5.0]
    >>> torch.allclose(U @ torch.diag(S) @ Vh, A)
    True
    """
    _check_tensor("linalg_svd", A)
    if driver is not None and A.device.type == "cpu":
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    return _out_tuple(_linalg_svd_t, _svd_impl(A, full_matrices), out)


def svdvals(A, *, driver=None, out=None):
    """The singular values of each matrix in `A`, descending (see `torch.linalg.svd`).

    >>> import ferrotorch as torch
    >>> torch.linalg.svdvals(torch.tensor([[0.0, 2.0], [1.0, 0.0]])).tolist()
    [2.0, 1.0]
    """
    _check_tensor("linalg_svdvals", A)
    return _out(_svd_impl(A, False)[1], out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """`torch.svd`: (U, S, V) with input = U diag(S) V^T (V, not Vh). `some` gives the reduced
    factors; with compute_uv=False, U and V are zero matrices (*, m, m) and (*, n, n).

    >>> import ferrotorch as torch
    >>> U, S, V = torch.svd(torch.tensor([[2.0, 0.0], [0.0, 1.0]]))
    >>> S.tolist(), V.tolist()
    ([2.0, 1.0], [[1.0, 0.0], [0.0, 1.0]])
    """
    _check_tensor("svd", input, "input")
    if input.dim() < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {input.dim()} "
                           "dimensions instead")
    if compute_uv:
        U, S, Vh = _svd_impl(input, not some)
        V = Vh.mH
    else:
        S = _svd_impl(input, False)[1]
        batch, m, n = tuple(input.shape[:-2]), input.shape[-2], input.shape[-1]
        U = _C.zeros(batch + (m, m), dtype=input.dtype, device=input.device)
        V = _C.zeros(batch + (n, n), dtype=input.dtype, device=input.device)
    return _out_tuple(_svd_t, (U, S, V), out)


# ----------------------------------------------------------------------------- pinv / rank

def _tol_tensor(value, like, name, fname):
    """A float64 tensor on `like`'s device from a float or tensor tolerance."""
    if isinstance(value, _C.Tensor):
        if not (value.dtype.is_floating_point or value.dtype in (_C.int64, _C.int32, _C.int16, _C.int8, _C.uint8)):
            raise RuntimeError(f"{fname}: {name} tensor of complex type is not supported.")
        return value.to(device=like.device, dtype=_C.float64)
    return _C.tensor(float(value), dtype=_C.float64, device=like.device)


def _atol_rtol(A, atol, rtol, fname):
    """PyTorch's get_atol_rtol: rtol defaults to eps * max(m, n), or to 0 when atol > 0 is given."""
    atol_t = _tol_tensor(0.0 if atol is None else atol, A, "atol", fname)
    if rtol is not None:
        return atol_t, _tol_tensor(rtol, A, "rtol", fname)
    default = _C.tensor(finfo(A.dtype).eps * max(A.shape[-1], A.shape[-2]), dtype=_C.float64,
                        device=A.device)
    if atol is None:
        return atol_t, default
    return atol_t, _C.where(atol_t > 0, _C.zeros_like(default), default)


def _threshold(atol_t, rtol_t, largest):
    """max(atol, rtol * largest) (*, 1): a batch of tolerances (shape `batch`) lines up with the
    batch of matrices, so each gets its own."""
    return atol_t.unsqueeze(-1).maximum(rtol_t.unsqueeze(-1) * largest)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse of each matrix in `A` (*, m, n), from its SVD (its eigh when
    `hermitian`), with singular values <= max(atol, rtol * largest) treated as zero.

    >>> import ferrotorch as torch
    >>> torch.linalg.pinv(torch.tensor([[2.0, 0.0], [0.0, 0.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    _check_tensor("linalg_pinv", A)
    if A.dim() < 2 or A.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        raise RuntimeError(f"linalg.pinv({_scalar_name(A.dtype)}{{[{', '.join(str(s) for s in A.shape)}]}}): "
                           "expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types")
    atol_t, rtol_t = _atol_rtol(A, atol, rtol, "linalg.pinv")
    if A.numel() == 0:
        return _out(_C.zeros(tuple(A.shape[:-2]) + (A.shape[-1], A.shape[-2]), dtype=A.dtype, device=A.device), out)
    return _out(_PinvFunction.apply(A, atol_t, rtol_t, hermitian), out)


def _pinv_forward(A, atol_t, rtol_t, hermitian):
    if hermitian:
        L, V = _eigh_impl(A, "L", "linalg.eigh")
        S = L.abs()
        tol = _threshold(atol_t, rtol_t, S.amax(-1, keepdim=True))
        inv = _C.where(S > tol, 1.0 / L, _C.zeros_like(L)).to(A.dtype)
        return (V * inv.unsqueeze(-2)) @ V.mH
    U, S, Vh = _svd_impl(A, False)
    tol = _threshold(atol_t, rtol_t, S[..., :1])
    inv = _C.where(S > tol, 1.0 / S, _C.zeros_like(S)).to(A.dtype)
    return (Vh.mH * inv.unsqueeze(-2)) @ U.mH


class _PinvFunction(Function):
    """P = pinv(A); backward is the derivative of the pseudo-inverse for a constant rank (as in
    PyTorch, with P the truncated pseudo-inverse, and for `hermitian` too):
    dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P. Differentiating through the
    SVD instead would divide by the zero singular values of a rank-deficient A (NaN gradients)."""

    @staticmethod
    def forward(ctx, A, atol_t, rtol_t, hermitian):
        P = _pinv_forward(A, atol_t, rtol_t, hermitian)
        ctx.save_for_backward(A, P)
        return P

    @staticmethod
    def backward(ctx, gP):
        A, P = ctx.saved_tensors
        Pt, gPt = P.mH, gP.mH
        X = gPt @ (P @ Pt)  # (I - A P) X is the second term's gradient
        Y = (Pt @ P) @ gPt  # Y (I - P A) the third's
        gA = -(Pt @ gP @ Pt) + (X - A @ (P @ X)) + (Y - (Y @ P) @ A)
        return gA, None, None, None


def pinverse(input, rcond=1e-15):
    """`torch.pinverse`: `torch.linalg.pinv` with rtol=rcond.

    >>> import ferrotorch as torch
    >>> torch.pinverse(torch.tensor([[4.0]])).item()
    0.25
    """
    _check_tensor("pinverse", input, "input")
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    """The number of singular values (absolute eigenvalues when `hermitian`) of each matrix in `A`
    above max(atol, rtol * largest), as int64. `tol` is the deprecated spelling of atol (rtol 0).

    >>> import ferrotorch as torch
    >>> torch.linalg.matrix_rank(torch.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
    1
    """
    _check_tensor("linalg_matrix_rank", A, "input")
    _check_matrix(A, "torch.linalg.matrix_rank", "input")
    if A.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_t, rtol_t = _atol_rtol(A, atol, rtol, "torch.linalg.matrix_rank")
    if hermitian:
        _check_square(A, "linalg.eigh")
    if A.numel() == 0:
        _check_float(A, "linalg.eigh" if hermitian else "linalg.svd", allow_complex=True)
        return _out(_C.zeros(tuple(A.shape[:-2]), dtype=_C.int64, device=A.device), out)
    if hermitian:
        S = _eigh_impl(A, "L", "linalg.eigh")[0].abs()
    else:
        S = _svd_impl(A, False)[1]
    S = S.detach()
    return _out((S > _threshold(atol_t, rtol_t, S.amax(-1, keepdim=True))).sum(-1), out)


# ----------------------------------------------------------------------------- lstsq

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values): the minimum-norm least-squares solution X of
    A X = B for each A (*, m, n) and B (*, m, k) (or a vector (*, m)), broadcasting the batch dims.

    The fields follow PyTorch's CPU drivers (default 'gelsy'): `rank` for gelsy/gelsd/gelss,
    `singular_values` for gelsd/gelss, `residuals` (squared column norms of A X - B) for
    gels/gelsd/gelss when m > n and every A has full rank; the others are empty tensors. The
    solution is computed from the SVD for every driver, with singular values <= rcond * largest
    (rcond default eps * max(m, n)) treated as zero.

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    >>> B = torch.tensor([[1.0], [1.0], [2.0]], dtype=torch.float64)
    >>> [round(v, 12) for v in torch.linalg.lstsq(A, B).solution.flatten().tolist()]
    [1.0, 1.0]
    """
    _check_tensor("linalg_lstsq", A, "self")
    _check_tensor("linalg_lstsq", B, "b", 2)
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.dim() < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_scalar_name(A.dtype)} and other's dtype {_scalar_name(B.dtype)}")
    if A.dtype not in _REAL_DTYPES + _COMPLEX_DTYPES:
        raise RuntimeError("This function doesn't handle types other than float and double")
    dim_diff = A.dim() - B.dim()
    if not 0 <= dim_diff <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = dim_diff == 1
    B2 = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != B2.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-1)" if vector
                           else "torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    if A.device != B.device:
        raise RuntimeError("torch.linalg.lstsq: Expected all tensors to be on the same device, but found "
                           f"at least two devices, {A.device} and {B.device}!")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    batch = _infer_size(tuple(A.shape[:-2]), tuple(B2.shape[:-2]))
    m, n, k = A.shape[-2], A.shape[-1], B2.shape[-1]
    A_ = A.expand(batch + (m, n))
    B_ = B2.expand(batch + (m, k))
    rcond_value = finfo(A.dtype).eps * max(m, n) if rcond is None else float(rcond)
    real = A.dtype.to_real()
    empty = _C.zeros((0,), dtype=real, device=A.device)
    if A_.numel() == 0:
        X = _C.zeros(batch + (n, k), dtype=A.dtype, device=A.device)
        S = _C.zeros(batch + (min(m, n),), dtype=real, device=A.device)
        rank = _C.zeros(batch, dtype=_C.int64, device=A.device)
    else:
        U, S, Vh = _svd_impl(A_, False)
        keep = S > rcond_value * S[..., :1]
        inv = _C.where(keep, 1.0 / S, _C.zeros_like(S))
        X = Vh.mH @ (inv.unsqueeze(-1) * (U.mH @ B_))
        rank = keep.sum(-1)
    residuals = empty
    if m > n and driver != "gelsy":
        full_rank = driver == "gels" or bool((rank == n).all().item())
        if full_rank:
            R = A_ @ X - B_
            residuals = _sqabs(R).sum(-2)
    rank_out = rank if driver != "gels" else _C.zeros((0,), dtype=_C.int64, device=A.device)
    S_out = S.detach() if driver in ("gelsd", "gelss") else empty
    if vector:
        X = X.squeeze(-1)
    return _linalg_lstsq_t(X, residuals, rank_out, S_out)


# ----------------------------------------------------------------------------- cond

def _ord_text(p):
    if isinstance(p, float):
        return "inf" if p == math.inf else "-inf" if p == -math.inf else f"{p:.6f}"
    return str(p)


def cond(A, p=None, *, out=None):
    """The condition number of each matrix in `A` for the norm `p`: None/2 (largest over smallest
    singular value, any shape), -2, 'fro', 'nuc', inf, -inf, 1, -1 (square matrices; inf where a
    matrix is singular). Empty matrices give 0.

    >>> import ferrotorch as torch
    >>> torch.linalg.cond(torch.tensor([[4.0, 0.0], [0.0, 0.5]])).item()
    8.0
    """
    from ._linalg_solvers import inv_ex
    from .linalg import matrix_norm

    _check_tensor("linalg_cond", A)
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):
        _check_square(A, f"linalg.cond(ord={p})")
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    else:
        p = 2 if p is None else p
        if abs(float(p)) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {float(p)}")
    if A.numel() == 0:
        return _out(_C.zeros(tuple(A.shape[:-2]), dtype=A.dtype.to_real(), device=A.device), out)
    if not isinstance(p, str) and abs(float(p)) == 2.0:
        S = svdvals(A)
        r = S[..., -1] / S[..., 0] if p == -2 else S[..., 0] / S[..., -1]
        return _out(r, out)
    if not isinstance(p, str):
        _check_square(A, f"linalg.cond(ord={_ord_text(p)})")
    if p == "nuc":
        S = svdvals(A)
        return _out(S.sum(-1) * (1.0 / S).sum(-1), out)
    Ainv, info = inv_ex(A)
    Ainv = _C.where((info > 0).unsqueeze(-1).unsqueeze(-1), _C.full_like(Ainv, math.inf), Ainv)
    return _out(matrix_norm(A, p) * matrix_norm(Ainv, p), out)


# ----------------------------------------------------------------------------- Tensor methods

for _name, _fn in {
    "svd": lambda self, some=True, compute_uv=True: svd(self, some, compute_uv),
    "pinverse": lambda self, rcond=1e-15: pinverse(self, rcond),
}.items():
    _fn.__doc__ = f"See :func:`torch.{_name}`."
    tensor_method(_fn, _name)

linalg_svd.__name__ = linalg_svd.__qualname__ = "svd"
