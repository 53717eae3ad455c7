"""`torch.linalg.polar` and `torch.linalg.matrix_sqrth`: two matrix functions composed from the
spectral factorisations of `_linalg_spectral.py`.

- polar: A = U H with U (*, m, n) of orthonormal columns and H (*, n, n) symmetric positive
  semi-definite, from the thin SVD A = W diag(S) Vh as U = W Vh and H = Vh^T diag(S) Vh. PyTorch
  defines it for m >= n only and refuses wider matrices.
- matrix_sqrth: the principal square root X = V diag(sqrt(L)) V^T from eigh (lower triangle only,
  like eigh). Eigenvalues are clamped at 0 first, so a matrix that is not positive semi-definite
  gets the root of its PSD part rather than an error or NaNs, as in PyTorch. A matrix holding a
  NaN or infinity (in the lower triangle) gets an all-NaN root and gradient, as in PyTorch, where
  eigh alone would raise.

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


def matrix_sqrth(input):
    """The principal square root X of each symmetric positive-definite matrix in `input` (*, n, n):
    the symmetric positive-definite X with X @ X == input. Only the lower triangle is read; a
    matrix whose lower triangle holds a NaN or an infinity gets an all-NaN root, as in PyTorch.

    >>> import ferrotorch as torch
    >>> X = torch.linalg.matrix_sqrth(torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64))
    >>> torch.allclose(X @ X, torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64))
    True
    """
    _check_tensor("linalg_matrix_sqrth", input, name="input")
    _check_square(input, "linalg.matrix_sqrth")
    _check_float(input, "linalg.matrix_sqrth")
    # eigh refuses a matrix with a NaN or infinity (in the lower triangle, the part it reads), where
    # PyTorch's root is all NaN: such matrices get the identity's root, then NaN in its place.
    not_finite = ~input.tril().isfinite().all(-1).all(-1).unsqueeze(-1).unsqueeze(-1)
    if input.numel() == 0 or not bool(not_finite.any()):
        return _root_of_symmetric(input)
    eye = _C.eye(input.shape[-1], dtype=input.dtype, device=input.device)
    X = _root_of_symmetric(_C.where(not_finite, eye, input))
    # The NaN is a product with the matrix's own entries, so that its gradient is NaN too (as in
    # PyTorch) rather than a silent 0; the factor is 0 for the other matrices, whose gradient stays.
    factor = _C.where(not_finite, _C.full_like(X[..., :1, :1], float("nan")), _C.zeros_like(X[..., :1, :1]))
    return _C.where(not_finite, input.sum((-2, -1), keepdim=True) * factor, X)


def _root_of_symmetric(A):
    """V diag(sqrt(L)) V^T from eigh of the lower triangle of each matrix in `A`."""
    L, V = _eigh_impl(A, "L", "linalg.eigh")
    # Rounding can leave tiny negative eigenvalues on a PSD matrix; clamping keeps the root real.
    root = L.clamp(min=0).sqrt()
    return (V * root.unsqueeze(-2)) @ V.mT
