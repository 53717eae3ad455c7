"""`torch.linalg.polar` and `torch.linalg.matrix_sqrth`: two matrix functions composed from the
spectral factorisations of `_linalg_spectral.py`.

- polar: A = U H with U (*, m, n) of orthonormal columns and H (*, n, n) symmetric positive
  semi-definite, from the thin SVD A = W diag(S) Vh as U = W Vh and H = Vh^T diag(S) Vh. PyTorch
  defines it for m >= n only and refuses wider matrices.
- matrix_sqrth: the principal square root X = V diag(sqrt(L)) V^T from eigh (lower triangle only,
  like eigh). Eigenvalues are clamped at 0 first, so a matrix that is not positive semi-definite
  gets the root of its PSD part rather than an error or NaNs, as in PyTorch.

Both are batched and differentiable through the svd / eigh autograd Functions.

    >>> import ferrotorch as torch
    >>> U, H = torch.linalg.polar(torch.tensor([[0.0, -2.0], [3.0, 0.0]], dtype=torch.float64))
    >>> U.tolist(), H.tolist()
    ([[0.0, -1.0], [1.0, 0.0]], [[3.0, 0.0], [0.0, 2.0]])
    >>> torch.linalg.matrix_sqrth(torch.tensor([[4.0, 0.0], [0.0, 9.0]])).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
"""
from . import _C, return_types
from ._linalg_factorizations import _not_implemented
from ._linalg_solvers import _check_float, _check_matrix, _check_square, _check_tensor, _out_tuple
from ._linalg_spectral import _eigh_impl, _svd_impl

__all__ = ["polar", "matrix_sqrth"]


def polar(A, *, out=None):
    """The polar decomposition (U, H) of each matrix in `A` (*, m, n), m >= n: A = U @ H with U
    (*, m, n) having orthonormal columns (the nearest such matrix to A in Frobenius norm) and H
    (*, n, n) symmetric positive semi-definite. Unrelated to `torch.polar` (complex numbers).

    >>> import ferrotorch as torch
    >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
    >>> U, H = torch.linalg.polar(A)
    >>> torch.allclose(U @ H, A), torch.allclose(U.mT @ U, torch.eye(2, dtype=torch.float64))
    (True, True)
    """
    _check_tensor("linalg_polar", A)
    _check_matrix(A, "linalg.polar")
    if not A.dtype.is_floating_point:
        _check_float(A, "linalg.polar")
    if A.dtype not in (_C.float32, _C.float64):
        # PyTorch lets half precision through to its SVD kernel, which is what refuses it.
        raise _not_implemented("linalg_svd", A)
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"linalg.polar: input must have at least as many rows as columns, but got {m} by {n} "
                           "matrices")
    W, S, Vh = _svd_impl(A, False)
    U = W @ Vh
    H = Vh.mT @ (S.unsqueeze(-1) * Vh)
    return _out_tuple(return_types.linalg_polar, (U, H), out)


def matrix_sqrth(A):
    """The principal square root X of each symmetric positive-definite matrix in `A` (*, n, n): the
    symmetric positive-definite X with X @ X == A. Only the lower triangle of `A` is read.

    >>> import ferrotorch as torch
    >>> X = torch.linalg.matrix_sqrth(torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64))
    >>> torch.allclose(X @ X, torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64))
    True
    """
    _check_tensor("linalg_matrix_sqrth", A, name="input")
    _check_square(A, "linalg.matrix_sqrth")
    _check_float(A, "linalg.matrix_sqrth")
    L, V = _eigh_impl(A, "L", "linalg.eigh")
    # Rounding can leave tiny negative eigenvalues on a PSD matrix; clamping keeps the root real.
    root = L.clamp(min=0).sqrt()
    return (V * root.unsqueeze(-2)) @ V.mT
