"""`torch.linalg.eig` and `torch.linalg.eigvals`: eigenvalues and eigenvectors of general (not
necessarily Hermitian) square matrices. The results are complex even for real input, since a real
matrix can have complex-conjugate eigenvalue pairs.

The algorithm is LAPACK's geev in outline, on complex data throughout and batched over all matrices
at once with tensor ops only (so it runs on every device):
1. Householder reduction to upper Hessenberg form, A = Q H Q^H;
2. shifted QR iteration (Wilkinson shift from the trailing 2x2 of the active block, explicit Givens
   rotations) until H is upper triangular: the complex Schur form A = Z T Z^H; the active block
   shrinks once the bottom subdiagonal entry is negligible in every matrix of the batch;
3. eigenvectors of T by back substitution (T - t_kk I) x = 0 with x_k = 1 (ztrevc), mapped back
   with Z and normalised to unit 2-norm with their largest entry real and positive.
The convergence test reads one scalar per QR step back to the host, as PyTorch's eig synchronises.

The eigenvalues come in the order the Schur form yields them (as LAPACK's do, unsorted), and each
eigenvector is only defined up to a complex phase. Gradients follow PyTorch's linalg_eig_backward.

    >>> import ferrotorch as torch
    >>> L = torch.linalg.eigvals(torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64))
    >>> sorted((round(z.real, 12), round(z.imag, 12)) for z in L.tolist())
    [(0.0, -1.0), (0.0, 1.0)]
"""
import math

from . import _C
from ._dtype_info import finfo
from ._elementwise import _scalar_name
from ._linalg_extras import _register
from ._linalg_jacobi import NotConverged, _check_phase_invariant, _eye, _first_bad, _positive_largest, _sqabs
from ._linalg_solvers import (
    _COMPLEX_DTYPES, _REAL_DTYPES, _check_matrix, _check_square, _check_tensor, _flat, _linalg_error, _out_tuple, solve,
)
from ._shape import _out, diag_embed as _diag_embed
from .autograd.function import Function

_linalg_eig_t = _register("linalg_eig", ["eigenvalues", "eigenvectors"])

_SUPPORTED = _REAL_DTYPES + _COMPLEX_DTYPES
# QR steps allowed per eigenvalue before giving up (LAPACK's zlahqr allows 30), and the steps
# after which an exceptional shift breaks a cycle.
_STEPS_PER_EIGENVALUE = 30
_EXCEPTIONAL_EVERY = 10


# ----------------------------------------------------------------------------- Hessenberg

def _hessenberg(A):
    """(H, Q): A = Q H Q^H with H upper Hessenberg, for complex A (count, n, n)."""
    count, n, _ = A.shape
    H = A
    Q = _eye(n, A.dtype, A.device).expand((count, n, n)).contiguous()
    for k in range(n - 2):
        x = H[:, k + 1:, k]
        head = x[:, :1]
        # Reflect x onto -phase(x_0) ||x|| e_1, the sign that avoids cancellation in x - alpha e_1.
        phase = _C.where(head.abs() == 0, _C.ones_like(head), head.sgn())
        alpha = -phase * _sqabs(x).sum(-1, keepdim=True).sqrt()
        v = _C.cat([head - alpha, x[:, 1:]], -1)
        vnorm = _sqabs(v).sum(-1, keepdim=True).sqrt()
        v = _C.where(vnorm == 0, _C.zeros_like(v), v / _C.where(vnorm == 0, _C.ones_like(vnorm), vnorm))
        w = _C.cat([_C.zeros((count, k + 1), dtype=A.dtype, device=A.device), v], -1).unsqueeze(-1)
        # P = I - 2 w w^H is Hermitian and unitary: H <- P H P, Q <- Q P.
        H = H - 2.0 * (w @ (w.mH @ H))
        H = H - 2.0 * ((H @ w) @ w.mH)
        Q = Q - 2.0 * ((Q @ w) @ w.mH)
    # The entries below the subdiagonal are rounding noise: make them the zeros they stand for.
    return H.triu(-1), Q


# ----------------------------------------------------------------------------- Schur form

def _givens(x, y):
    """G^H (count, 2, 2) with G^H [x, y]^T = [r, 0]^T, r = sqrt(|x|^2 + |y|^2) (identity if r = 0)."""
    r = (_sqabs(x) + _sqabs(y)).sqrt()
    zero = r == 0
    r = _C.where(zero, _C.ones_like(r), r)
    c = _C.where(zero, _C.ones_like(x), x / r)
    s = _C.where(zero, _C.zeros_like(y), y / r)
    return _C.stack([_C.stack([c.conj(), s.conj()], -1), _C.stack([-s, c], -1)], -2)


def _wilkinson_shift(H, p):
    """The eigenvalue of the trailing 2x2 of the active block H[:p, :p] closer to its last entry."""
    a, b = H[:, p - 2, p - 2], H[:, p - 2, p - 1]
    c, d = H[:, p - 1, p - 2], H[:, p - 1, p - 1]
    half = (a - d) * 0.5
    root = (half * half + b * c).sqrt()
    mu1, mu2 = d + half + root, d + half - root
    return _C.where((mu1 - d).abs() <= (mu2 - d).abs(), mu1, mu2)


def _qr_step(H, Z, mu, p):
    """One explicitly shifted QR step on the active block: H - mu I = G R, H <- R G + mu I (the
    rotations act on whole rows and columns so that T and Z stay a similarity of A)."""
    n = H.shape[-1]
    shift = mu.reshape((-1, 1, 1)) * _eye(n, H.dtype, H.device)
    H = H - shift
    rotations = []
    for j in range(p - 1):
        Gh = _givens(H[:, j, j], H[:, j + 1, j])
        rotations.append(Gh)
        H[:, j:j + 2, :] = Gh @ H[:, j:j + 2, :]
    for j, Gh in enumerate(rotations):
        H[:, :, j:j + 2] = H[:, :, j:j + 2] @ Gh.mH
        Z[:, :, j:j + 2] = Z[:, :, j:j + 2] @ Gh.mH
    return H + shift, Z


def _schur(A):
    """(T, Z): A = Z T Z^H with T upper triangular, for complex A (count, n, n)."""
    n = A.shape[-1]
    H, Z = _hessenberg(A)
    H, Z = H.contiguous(), Z.contiguous()
    eps = finfo(A.dtype).eps
    norm = _sqabs(A).sum((-2, -1)).sqrt()
    norm = _C.where(norm > 0, norm, _C.ones_like(norm))
    p, steps, budget = n, 0, _STEPS_PER_EIGENVALUE * n
    while p > 1:
        sub = H[:, p - 1, p - 2].abs()
        scale = H[:, p - 1, p - 1].abs() + H[:, p - 2, p - 2].abs()
        scale = _C.where(scale > 0, scale, norm)
        small = sub <= eps * scale
        if bool(small.all().item()):
            H[:, p - 1, p - 2] = _C.zeros_like(H[:, p - 1, p - 2])
            p, steps = p - 1, 0
            continue
        if budget == 0:
            raise NotConverged(_first_bad(~small), p)
        steps, budget = steps + 1, budget - 1
        if steps % _EXCEPTIONAL_EVERY == 0:
            # An ad hoc shift away from the Wilkinson one breaks the rare cycles it can enter.
            mu = H[:, p - 1, p - 1] + 0.75 * sub
        else:
            mu = _wilkinson_shift(H, p)
        H, Z = _qr_step(H, Z, mu, p)
    return H, Z


# ----------------------------------------------------------------------------- eigenvectors

def _triangular_eigenvectors(T):
    """X (count, n, n) upper triangular with unit diagonal and T X = X diag(T): column k solves
    (T - t_kk I) x = 0 with x_k = 1 by back substitution, all columns at once. Divisors smaller
    than eps * ||T|| are raised to it, as ztrevc does for (nearly) repeated eigenvalues."""
    count, n, _ = T.shape
    diag = T.diagonal(0, -2, -1)
    info = finfo(T.dtype)
    floor = (info.eps * _sqabs(T).sum((-2, -1)).sqrt()).clamp(min=info.tiny).unsqueeze(-1)
    X = _eye(n, T.dtype, T.device).expand((count, n, n)).contiguous()
    columns = _C.arange(n, device=T.device)
    for j in range(n - 2, -1, -1):
        num = (T[:, j:j + 1, j + 1:] @ X[:, j + 1:, :]).squeeze(-2)
        denom = T[:, j, j:j + 1] - diag
        denom = _C.where(denom.abs() < floor, floor.to(T.dtype), denom)
        X[:, j, :] = _C.where(columns > j, -num / denom, X[:, j, :])
    return X


def _eig_forward(A):
    """(L (count, n), V (count, n, n)) of complex A (count, n, n), n >= 1."""
    # Scaling by the largest entry keeps the squared norms in the tests from overflowing; the
    # eigenvectors do not change and the eigenvalues scale back.
    scale = A.abs().amax((-2, -1), keepdim=True)
    scale = _C.where(scale > 0, scale, _C.ones_like(scale))
    T, Z = _schur(A / scale)
    V = Z @ _triangular_eigenvectors(T)
    V = V / _sqabs(V).sum(-2, keepdim=True).sqrt()
    V = V * _positive_largest(V.mT).mT
    return (T.diagonal(0, -2, -1) * scale.squeeze(-1)).contiguous(), V.contiguous()


class EigFunction(Function):
    """(L, V) = eig(A) for complex A (count, n, n); backward is PyTorch's linalg_eig_backward:
    gA = V^-H (diag(gL) + (V^H gV - V^H V Re(diag(V^H gV))) / conj(E)) V^H, E_ij = L_j - L_i
    (the second term keeps the unit norm of V's columns)."""

    @staticmethod
    def forward(ctx, A):
        ctx.set_materialize_grads(False)
        L, V = _eig_forward(A)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if gL is None and gV is None:
            return None
        n = L.shape[-1]
        eye = _C.eye(n, dtype=_C.bool, device=L.device)
        if gV is not None:
            Lc = L.conj()
            E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
            E = _C.where(eye, _C.ones_like(E), E)
            VhgV = V.mH @ gV
            imag = VhgV.diagonal(0, -2, -1).imag
            _check_phase_invariant(imag, _C.zeros_like(imag), "linalg_eig_backward")
            re_diag = VhgV.diagonal(0, -2, -1).real
            inner = (VhgV - V.mH @ (V * re_diag.unsqueeze(-2))) / E
        else:
            inner = _C.zeros_like(V)
        if gL is not None:
            inner = _C.where(eye, _diag_embed(gL), inner)
        return solve(V.mH, inner @ V.mH)


# ----------------------------------------------------------------------------- public functions

def _check_eig_input(A, fname):
    _check_matrix(A, fname)
    if A.dtype not in _SUPPORTED:
        if A.dtype.is_floating_point:
            raise NotImplementedError(f'"linalg_eig_out_cpu" not implemented for \'{_scalar_name(A.dtype)}\'')
        raise RuntimeError(f"Unknown Complex ScalarType for {_scalar_name(A.dtype)}")
    _check_square(A, fname)


def _check_out_dtypes(fname, out, ctype, names):
    """PyTorch's out= rule for eig: each out tensor must be complex (castable from the result)."""
    for tensor, name in zip(out, names):
        if isinstance(tensor, _C.Tensor) and not tensor.dtype.is_complex:
            raise RuntimeError(f"torch.{fname}: Expected {name} to be safely castable from "
                               f"{_scalar_name(ctype)} dtype, but got {name} with dtype {_scalar_name(tensor.dtype)}")


def _cast_to_out(results, out):
    """The results in the out tensors' (complex) dtypes, which may be wider than the results'."""
    return tuple(r if not isinstance(o, _C.Tensor) or o.dtype == r.dtype else r.to(o.dtype)
                 for r, o in zip(results, out))


def _eig_impl(A):
    ctype = A.dtype.to_complex()
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    count = math.prod(batch)
    if count == 0 or n == 0:
        return (_C.zeros(batch + (n,), dtype=ctype, device=A.device),
                _C.zeros(batch + (n, n), dtype=ctype, device=A.device))
    # PyTorch checks this up front (one readback); for eigvals it has no defined answer
    # (LAPACK's balancing rejects NaN), so both refuse with eig's message.
    if not bool(A.isfinite().all().item()):
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    Af = _flat(A, batch, n, n).to(ctype)
    try:
        L, V = EigFunction.apply(Af)
    except NotConverged as err:
        where = "" if A.dim() == 2 else f": (Batch element {err.batch_index})"
        raise _linalg_error(f"linalg.eig{where}: The algorithm failed to converge because the input matrix is "
                            f"ill-conditioned or has too many repeated eigenvalues (error code: {err.code}).") from None
    return L.reshape(batch + (n,)), V.reshape(batch + (n, n))


def eig(A, *, out=None):
    """(eigenvalues, eigenvectors) of each square matrix in `A` (*, n, n), both complex: A V =
    V diag(L), each column of V of unit 2-norm (and defined only up to a complex phase; here its
    largest entry is real and positive). Eigenvalues are in Schur order, not sorted.

    >>> import ferrotorch as torch
    >>> L, V = torch.linalg.eig(torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64))
    >>> [round(z.real, 12) for z in L.tolist()]
    [2.0, 3.0]
    """
    _check_tensor("linalg_eig", A, "input")
    _check_eig_input(A, "linalg.eig")
    results = _eig_impl(A)
    if out is not None:
        _check_out_dtypes("linalg.eig", out, A.dtype.to_complex(), ("eigenvalues", "eigenvectors"))
        results = _cast_to_out(results, out)
    return _out_tuple(_linalg_eig_t, results, out)


def eigvals(A, *, out=None):
    """The complex eigenvalues of each square matrix in `A` (*, n, n) (see `eig`).

    >>> import ferrotorch as torch
    >>> L = torch.linalg.eigvals(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    >>> L.dtype, [z.real for z in L.tolist()]
    (torch.complex64, [1.0, -1.0])
    """
    _check_tensor("linalg_eigvals", A, "input")
    _check_eig_input(A, "linalg.eigvals")
    L = _eig_impl(A)[0]
    if out is not None:
        _check_out_dtypes("linalg.eigvals", (out,), A.dtype.to_complex(), ("eigenvalues",))
        L = _cast_to_out((L,), (out,))[0]
    return _out(L, out)
