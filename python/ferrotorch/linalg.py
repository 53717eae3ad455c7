"""`ferrotorch.linalg`: norms, the solvers of _linalg_solvers.py (inv, det, slogdet, solve,
lu_factor, lu_solve, solve_triangular), the factorisations and products of
_linalg_factorizations.py (cholesky, qr, matrix_power, multi_dot, vecdot), the spectral functions
of _linalg_spectral.py (eigh, eigvalsh, svd, svdvals, pinv, matrix_rank, lstsq, cond) and the
matrix functions of _linalg_matrix_functions.py (matrix_exp, lu, householder_product, tensorinv,
tensorsolve, vander, diagonal, matmul), the LDL^T factorisation of _linalg_extras.py (ldl_factor,
ldl_factor_ex, ldl_solve) and the general eigendecomposition of _linalg_eig.py (eig, eigvals).

    >>> import ferrotorch as torch
    >>> import ferrotorch.linalg
    >>> torch.linalg.vector_norm(torch.tensor([3.0, 4.0])).item()
    5.0
"""
import math

from . import _C
from ._dims import wrap_dim as _wrap_dim
from ._elementwise import _scalar_name

__all__ = [
    "vector_norm", "matrix_norm", "norm", "cross", "LinAlgError",
    "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "cholesky", "cholesky_ex", "qr",
    "lu_factor", "lu_factor_ex", "lu_solve", "solve_triangular", "matrix_power", "multi_dot", "vecdot",
    "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "cond",
    "matrix_exp", "lu", "householder_product", "tensorinv", "tensorsolve", "vander", "diagonal", "matmul",
    "ldl_factor_ex", "ldl_factor", "ldl_solve",
]


class LinAlgError(RuntimeError):
    """Raised when a linear algebra function cannot complete on its input, such as `inv` of a
    singular matrix or `cholesky` of one that is not positive-definite (PyTorch's
    ``torch.linalg.LinAlgError``, a RuntimeError)."""


# PyTorch's class is `torch._C._LinAlgError`: tracebacks print that name, and pickle finds it there.
LinAlgError.__module__, LinAlgError.__name__, LinAlgError.__qualname__ = "ferrotorch._C", "_LinAlgError", "_LinAlgError"
_C._LinAlgError = LinAlgError


def _dims(dim):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(dim)
    return (dim,)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector `ord`-norm over `dim` (all elements when None); `ord` may be inf, -inf or 0."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got '{ord}'")
    if isinstance(x, _C.Tensor) and x.is_complex():
        # Every vector norm depends on the moduli only; the result is real, as in PyTorch.
        if dtype is not None:
            x = x.to(dtype)
        return x.abs()._vector_norm(float(ord), dim, keepdim)
    return x._vector_norm(float(ord), dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norms 'fro', 'nuc', inf, -inf, 1, -1, 2, -2 over the two dims `dim` ('nuc', 2 and -2
    from the singular values: their sum, largest and smallest).

    >>> import ferrotorch as torch
    >>> torch.linalg.matrix_norm(torch.tensor([[3.0, 0.0], [0.0, -4.0]]), ord=2).item()
    4.0
    """
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got [{', '.join(str(d) for d in dim)}]")
    if not ((dtype or A.dtype).is_floating_point or (dtype or A.dtype).is_complex):
        raise NotImplementedError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(A.dtype)}")
    d0, d1 = (_wrap_dim(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if A.is_complex() and ord not in ("nuc", 2, -2):
        # The remaining norms depend on the moduli only (and are real, as in PyTorch).
        A = A.abs()
    if ord == "fro":
        return A._vector_norm(2.0, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        from ._linalg_spectral import svdvals
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (math.inf, -math.inf):
        # Row sums: reduce over the column dim, then the extreme over rows.
        s, r = d1, d0
    elif ord in (1, -1):
        s, r = d0, d1
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    sums = A._vector_norm(1.0, s, True)  # sums of absolute values
    out = sums.amax(dim=r, keepdim=True) if ord > 0 else sums.amin(dim=r, keepdim=True)
    if not keepdim:
        out = out.squeeze((d0, d1))
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """`linalg.norm`: a matrix norm over 2 dims (`dim`, or a 2-D input's when only `ord` is given,
    or whenever `ord` is a string), else a vector norm (over all elements when both are None).

    >>> import ferrotorch as torch
    >>> torch.linalg.norm(torch.tensor([[3.0, 0.0], [0.0, -4.0]]), ord=1).item()
    4.0
    """
    dims = _dims(dim)
    if dims is not None:
        if len(dims) not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                               f"[{', '.join(str(d) for d in dims)}]")
    elif ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    # A string ord is always a matrix norm (PyTorch's overload for it), over dims 0 and 1 by default.
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dims is not None else A.dim() == 2)):
        return matrix_norm(A, ord, (0, 1) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along `dim` (default the last), broadcasting the other dims.

    >>> import ferrotorch as torch
    >>> torch.linalg.cross(torch.tensor([[0, 1, 0]]), torch.tensor([[0, 0, 1]])).tolist()
    [[1, 0, 0]]
    """
    from ._shape import _out
    from ._shape_functions import _check_tensor, _linalg_cross

    _check_tensor("linalg_cross", input)
    _check_tensor("linalg_cross", other, name="other", position=2)
    return _out(_linalg_cross(input, other, dim), out)


# The solvers and factorisations, composed from tensor ops (see _linalg_solvers.py and
# _linalg_factorizations.py). Imported last: those modules look LinAlgError up here.
from ._linalg_solvers import (  # noqa: E402
    inv, inv_ex, det, linalg_slogdet as slogdet, solve, solve_ex, lu_factor, lu_factor_ex, lu_solve, solve_triangular,
)
from ._linalg_factorizations import (  # noqa: E402
    linalg_cholesky as cholesky, cholesky_ex, qr, matrix_power, multi_dot, vecdot,
)
from ._linalg_spectral import (  # noqa: E402
    eigh, eigvalsh, linalg_svd as svd, svdvals, pinv, matrix_rank, lstsq, cond,
)
from ._linalg_matrix_functions import (  # noqa: E402
    matrix_exp, linalg_lu as lu, householder_product, tensorinv, tensorsolve, vander, diagonal, matmul,
)
from ._linalg_extras import ldl_factor_ex, ldl_factor, ldl_solve  # noqa: E402
from ._linalg_polar import polar, matrix_sqrth  # noqa: E402
__all__ += ["polar", "matrix_sqrth"]
from ._linalg_eig import eig, eigvals  # noqa: E402
__all__ += ["eig", "eigvals"]
