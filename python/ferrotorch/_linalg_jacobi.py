"""The two Jacobi iterations behind the spectral functions (eigh, svd), and their autograd Functions.

Both are *parallel* Jacobi methods: a sweep is n - 1 rounds of the round-robin tournament on the n
indices, and each round rotates n/2 disjoint index pairs at once, for the whole batch. The pairs of a
round are kept adjacent ((0, 1), (2, 3), ...), so a round is one batched 2x2 matmul on a
(count, n/2, 2, width) view plus one fixed row permutation that brings the next round's pairs
together. Every step is a tensor op, so the same code runs on the CPU and the GPU with no host copy
of the data; the only readback is one scalar per sweep for the convergence test.

- `_jacobi_eigh`: the classical two-sided method on a symmetric (Hermitian) matrix (Golub & Van
  Loan's symmetric Schur rotation). Converges quadratically; eigenvalues to ~eps * ||A||.
- `_jacobi_svd`: the one-sided (Hestenes) method: rotations orthogonalise the rows of X (the columns
  of A, or of A^T when A is wide). Small singular values come out to high *relative* accuracy,
  which forming A^T A would destroy.

Why Jacobi rather than LAPACK's tridiagonal/bidiagonal QR: its rounds are wide, uniform and batched
(good on a GPU), and it needs nothing but matmul, elementwise ops and a permutation.

Complex (Hermitian) input uses the same rounds: a pair's off-diagonal entry b = |b| u is first
turned real by the phase diag(1, conj(u)), then rotated by the real Jacobi angle for |b|; the
product is one unitary 2x2 per pair, so nothing else changes.

The forward passes run under no_grad inside `torch.autograd.Function`s whose backward passes are
PyTorch's formulas (linalg_eigh_backward / svd_backward), written with tensor ops.
"""
import math

from . import _C
from ._dtype_info import finfo
from ._shape import diag_embed as _diag_embed
from .autograd.function import Function

# Sweeps are quadratically convergent: 6-10 suffice in practice; the cap only stops a pathological
# (NaN/inf) input from looping forever.
_MAX_SWEEPS = 40
_ORDERS = {}


def _tournament(n):
    """(perm, n) for an even n: X[:, perm] turns the pairs of one round of the circle-method
    tournament into the next round's, with position 0 never moving (so a zero padding row placed
    there stays there). Applying it n - 1 times meets every pair once and returns to the start."""
    if n not in _ORDERS:
        h = n // 2
        top, bottom = list(range(0, n, 2)), list(range(1, n, 2))
        new_top = [top[0]] + ([bottom[0]] + top[1:h - 1] if h > 1 else [])
        new_bottom = bottom[1:] + [top[h - 1]] if h > 1 else bottom
        perm = [0] * n
        for i in range(h):
            perm[2 * i], perm[2 * i + 1] = new_top[i], new_bottom[i]
        _ORDERS[n] = perm
    return _ORDERS[n]


def _eye(n, dtype, device):
    """The identity in `dtype` (complex eye is built from the real one)."""
    if dtype.is_complex:
        return _C.eye(n, dtype=dtype.to_real(), device=device).to(dtype)
    return _C.eye(n, dtype=dtype, device=device)


def _sqabs(x):
    """|x|^2, real."""
    return x.abs().square() if x.is_complex() else x * x


def _rotations(app, aqq, apq):
    """The adjoint Jacobi rotations G^H (..., 2, 2) that zero apq in G^H [[app, apq], [apq*, aqq]] G
    (Golub & Van Loan, Algorithm 8.4.1; the smaller angle). Real apq: G^H = J^T = [[c, -s], [s, c]];
    complex apq = |apq| u: G = diag(1, conj(u)) J, so G^H = [[c, -s u], [s, c u]]."""
    if apq.is_complex():
        mag = apq.abs()
        u = _C.where(mag == 0, _C.ones_like(apq), apq / _C.where(mag == 0, _C.ones_like(mag), mag))
        Rt = _rotations(app.real if app.is_complex() else app, aqq.real if aqq.is_complex() else aqq, mag)
        Rt = Rt.to(apq.dtype)
        return Rt * _C.stack([_C.ones_like(u), u], -1).unsqueeze(-2)
    zero = apq == 0
    safe = _C.where(zero, _C.ones_like(apq), apq)
    tau = (aqq - app) / (2.0 * safe)
    # hypot keeps sqrt(1 + tau^2) finite when tau is huge.
    t = _C.where(tau >= 0, _C.ones_like(tau), -_C.ones_like(tau)) / (tau.abs() + tau.hypot(_C.ones_like(tau)))
    t = _C.where(zero, _C.zeros_like(t), t)
    c = 1.0 / t.hypot(_C.ones_like(t))
    s = t * c
    return _C.stack([_C.stack([c, -s], -1), _C.stack([s, c], -1)], -2)


def _rotate_rows(X, Rt, perm):
    """G^H X for the block-diagonal rotation of the current round, then the next round's order."""
    count, n, w = X.shape
    X = (Rt @ X.reshape((count, n // 2, 2, w))).reshape((count, n, w))
    return X.index_select(1, perm)


def _pad_even(X, dims):
    """X with a zero row (and column, for dims=2) in front when its size is odd."""
    count, n, w = X.shape
    if n % 2 == 0:
        return X, False
    X = _C.cat([_C.zeros((count, 1, w), dtype=X.dtype, device=X.device), X], 1)
    if dims == 2:
        X = _C.cat([_C.zeros((count, n + 1, 1), dtype=X.dtype, device=X.device), X], 2)
    return X, True


class NotConverged(Exception):
    """Raised by the iterations; the public functions turn it into PyTorch's LinAlgError text."""

    def __init__(self, batch_index, code):
        super().__init__(batch_index, code)
        self.batch_index, self.code = batch_index, code


def _first_bad(flags):
    """Index of the first True in a 1-d bool tensor (one readback; only on the error path)."""
    return next(i for i, v in enumerate(flags.tolist()) if v)


def _settled(worst, prev, tol, eps):
    """Whether a sweep whose worst off-diagonal measure is `worst` (the previous one's `prev`) ends
    the iteration: converged to `tol`, or stalled at the rounding level after converging (the
    off-diagonal part of a rounded rotation is ~eps*||A||, not 0)."""
    return worst <= tol or (worst <= math.sqrt(eps) * 1e-2 and worst > 0.5 * prev)


def _jacobi_eigh(A):
    """(eigenvalues (count, n) real, unsorted; W (count, n, n) whose rows are the conjugated
    eigenvectors, so V = W^H) of the Hermitian matrices A (count, n, n), n >= 1. A must already be
    Hermitian (symmetric when real)."""
    count, n, _ = A.shape
    eps = finfo(A.dtype).eps
    # Scaling by the largest entry keeps the squares in the convergence test from overflowing.
    scale = A.abs().amax((-2, -1), keepdim=True)
    scale = _C.where(scale > 0, scale, _C.ones_like(scale))
    A = A / scale
    A, padded = _pad_even(A, 2)
    N = A.shape[-1]
    W = _eye(N, A.dtype, A.device).expand((count, N, N)).contiguous()
    perm = _C.tensor(_tournament(N), device=A.device)
    norm = _sqabs(A).sum((-2, -1)).sqrt()
    norm = _C.where(norm > 0, norm, _C.ones_like(norm))
    eye = _C.eye(N, dtype=_C.bool, device=A.device)
    prev = math.inf
    for _ in range(_MAX_SWEEPS):
        for _ in range(N - 1):
            d = A.diagonal(0, -2, -1).reshape((count, N // 2, 2))
            apq = A.diagonal(1, -2, -1)[:, 0::2]
            Rt = _rotations(d[..., 0], d[..., 1], apq)
            # G^H A G = G^H (G^H A)^H for Hermitian A: two row rotations.
            A = _rotate_rows(_rotate_rows(A, Rt, perm).mH, Rt, perm)
            W = _rotate_rows(W, Rt, perm)
        off = _C.where(eye, _C.zeros_like(A), A)
        ratio = _sqabs(off).sum((-2, -1)).sqrt() / norm
        worst = ratio.amax().item()
        if not math.isfinite(worst):
            raise NotConverged(_first_bad(~ratio.isfinite()), N)
        if _settled(worst, prev, eps, eps):
            break
        prev = worst
    else:
        raise NotConverged(_first_bad(ratio > math.sqrt(eps)) if worst > math.sqrt(eps) else 0, N)
    L = A.diagonal(0, -2, -1)
    L = L.real if L.is_complex() else L
    if padded:
        L, W = L[:, 1:], W[:, 1:, 1:]
    return L * scale.reshape((count, 1)), W


def _jacobi_svd(X):
    """One-sided Jacobi on the rows of X (count, k, w), k <= w: returns (Y, W) with Y = W X, W
    (count, k, k) orthogonal (unitary) and the rows of Y mutually orthogonal; the singular values of
    X are the row norms of Y, the right singular vectors the normalised rows."""
    count, k, w = X.shape
    eps = finfo(X.dtype).eps
    # LAPACK's gesvj tolerance: sqrt(w) * eps on the cosine between two rows.
    tol = math.sqrt(w) * eps
    X, padded = _pad_even(X, 1)
    N = X.shape[1]
    W = _eye(N, X.dtype, X.device).expand((count, N, N)).contiguous()
    perm = _C.tensor(_tournament(N), device=X.device)
    tiny = finfo(X.dtype).tiny
    prev = math.inf
    for _ in range(_MAX_SWEEPS):
        worst_rounds = []
        for _ in range(N - 1):
            X4 = X.reshape((count, N // 2, 2, w))
            G = X4 @ X4.mH  # the 2x2 Gram blocks of the pairs
            alpha, beta, gamma = G[..., 0, 0], G[..., 1, 1], G[..., 0, 1]
            if G.is_complex():
                alpha, beta = alpha.real, beta.real
            denom = alpha.sqrt() * beta.sqrt()
            worst_rounds.append((gamma.abs() / _C.where(denom > tiny, denom, _C.ones_like(denom))).amax(-1))
            Rt = _rotations(alpha, beta, gamma)
            X = _rotate_rows(X, Rt, perm)
            W = _rotate_rows(W, Rt, perm)
        per_matrix = _C.stack(worst_rounds, -1).amax(-1)
        worst = per_matrix.amax().item()
        if not math.isfinite(worst):
            raise NotConverged(_first_bad(~per_matrix.isfinite()), k)
        if _settled(worst, prev, tol, eps):
            break
        prev = worst
    else:
        raise NotConverged(_first_bad(per_matrix > tol), k)
    if padded:
        X, W = X[:, 1:], W[:, 1:, 1:]
    return X, W


# ----------------------------------------------------------------------------- sign convention

def _positive_largest(V):
    """The unit factor per row of V (count, k, n) (+1/-1 when real) making each row's
    largest-magnitude entry (the first of equal ones) real and positive: a deterministic choice of
    the sign (phase) that any eigen/singular vector lacks."""
    idx = V.abs().argmax(-1, keepdim=True)
    big = V.gather(-1, idx)
    if V.is_complex():
        phase = big.sgn()
        return _C.where(big.abs() == 0, _C.ones_like(phase), phase.conj())
    sign = big.sign()
    return _C.where(sign == 0, _C.ones_like(sign), sign)


# ----------------------------------------------------------------------------- autograd Functions

_PHASE_MESSAGES = {
    "linalg_eigh_backward": "The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. "
                            "The specified loss function depends on this quantity, so it is ill-defined.",
    "linalg_eig_backward": "The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. "
                           "The specified loss function depends on this quantity, so it is ill-defined.",
    "svd_backward": "The singular vectors in the complex case are specified up to multiplication by e^{i phi}. "
                    "The specified loss function depends on this phase term, making it ill-defined.",
}


def _check_phase_invariant(imag, other, fname):
    """PyTorch's check that a loss does not depend on the arbitrary phases of complex eigen /
    singular vectors: allclose(imag, other, rtol=1e-2, atol=1e-2) of the diagonal terms those
    phases would change (lax, to avoid false alarms; one readback, as in PyTorch)."""
    if not bool(((imag - other).abs() <= 1e-2 + 1e-2 * other.abs()).all().item()):
        raise RuntimeError(f"{fname}: {_PHASE_MESSAGES[fname]}")


class EighFunction(Function):
    """(L, V) = eigh(A) reading the lower triangle of A (count, n, n) (and the real part of its
    diagonal, as LAPACK does); backward is PyTorch's linalg_eigh_backward:
    gA = V (diag(gL) + skew(V^H gV) / E) V^H, E_ij = L_j - L_i, skew(K) = (K - K^H) / 2."""

    @staticmethod
    def forward(ctx, A):
        ctx.set_materialize_grads(False)
        if A.is_complex():
            diag = _diag_embed(A.diagonal(0, -2, -1).real).to(A.dtype)
            sym = A.tril(-1) + A.tril(-1).mH + diag
        else:
            sym = A.tril() + A.tril(-1).mT
        L, W = _jacobi_eigh(sym)
        order = L.argsort(-1)
        L = L.gather(-1, order)
        W = W.gather(1, order.unsqueeze(-1).expand(W.shape))
        W = W * _positive_largest(W)
        V = W.mH.contiguous()
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if gL is None and gV is None:
            return None
        inner = None
        if gV is not None:
            K = V.mH @ gV
            if K.is_complex():
                imag = K.diagonal(0, -2, -1).imag
                _check_phase_invariant(imag, _C.zeros_like(imag), "linalg_eigh_backward")
            K = 0.5 * (K - K.mH)
            E = L.unsqueeze(-2) - L.unsqueeze(-1)
            eye = _C.eye(L.shape[-1], dtype=_C.bool, device=L.device)
            inner = K / _C.where(eye, _C.ones_like(E), E)
        if gL is not None:
            inner = _diag_embed(gL) if inner is None else inner + _diag_embed(gL)
        return V @ inner.to(V.dtype) @ V.mH


class SvdFunction(Function):
    """(U, S, Vh) = svd(A) of A (count, m, n), reduced (k = min(m, n) columns/rows) or full; backward
    is PyTorch's svd_backward on the reduced factors (full factors are narrowed first, as PyTorch does)."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        ctx.set_materialize_grads(False)
        U, S, Vh = _svd_forward(A, full_matrices)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
        return _svd_backward(gU, gS, gVh, U, S, Vh, m, n), None


def _svd_backward(gU, gS, gVh, U, S, Vh, m, n):
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    k = S.shape[-1]
    eye = _C.eye(k, dtype=_C.bool, device=S.device)
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = _C.where(eye, _C.ones_like(E), E)
    gA = None
    UhgU = None
    if gU is not None:
        UhgU = U.mH @ gU
        UhgU = UhgU - UhgU.mH
        gA = UhgU * S.unsqueeze(-2)
    if gVh is not None:
        VhgV = Vh @ gVh.mH
        term = S.unsqueeze(-1) * (VhgV - VhgV.mH)
        gA = term if gA is None else gA + term
    if gA.is_complex():
        zero = _C.zeros_like(S)
        _check_phase_invariant(zero if UhgU is None else UhgU.diagonal(0, -2, -1).imag,
                               zero if gVh is None else -(VhgV - VhgV.mH).diagonal(0, -2, -1).imag, "svd_backward")
    gA = gA / E
    if gS is not None:
        gA = gA + _diag_embed(gS)
    if UhgU is not None and UhgU.is_complex():
        # The phase part: skew(U^H gU) has an imaginary diagonal; for a loss that does not depend
        # on the singular vectors' common phases it pairs with V's (PyTorch's svd_backward).
        gA = gA + _diag_embed(UhgU.diagonal(0, -2, -1) / (2.0 * S))
    if m > n and gU is not None:
        # The part of gU outside U's column space: (I - U U^H) gU S^-1.
        gA = U @ gA
        gUSinv = gU / S.unsqueeze(-2)
        gA = (gA + gUSinv - U @ (U.mH @ gUSinv)) @ Vh
    elif m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = U @ (gA + SinvgVh - (SinvgVh @ Vh.mH) @ Vh)
    else:
        gA = U @ (gA @ Vh)
    return gA


def _complete(Q, keep):
    """An orthonormal basis (count, r, r) whose first k columns are those of Q (count, r, k) where
    `keep` (count, k) is True; elsewhere (zero singular values) and beyond k, the orthogonal
    complement, from a complete Householder QR of the kept columns (zero columns reflect nothing)."""
    from ._linalg_factorizations import qr
    r, k = Q.shape[-2], Q.shape[-1]
    Qk = _C.where(keep.unsqueeze(-2), Q, _C.zeros_like(Q))
    basis = qr(Qk, mode="complete").Q
    first = _C.where(keep.unsqueeze(-2), Q, basis[..., :k])
    return _C.cat([first, basis[..., k:]], -1) if r > k else first


def _svd_forward(A, full_matrices):
    """(U, S, Vh) of A (count, m, n) with m, n >= 1, S descending."""
    count, m, n = A.shape
    wide = m < n
    # X's rows are the columns to orthogonalise: those of A (tall) or of A^T (wide).
    X = A if wide else A.mT
    k, w = X.shape[-2], X.shape[-1]
    scale = X.abs().amax((-2, -1), keepdim=True)
    scale = _C.where(scale > 0, scale, _C.ones_like(scale))
    Y, W = _jacobi_svd((X / scale).contiguous())
    S = _sqabs(Y).sum(-1).sqrt()
    order = S.argsort(-1, descending=True)
    S = S.gather(-1, order)
    Y = Y.gather(1, order.unsqueeze(-1).expand(Y.shape))
    W = W.gather(1, order.unsqueeze(-1).expand(W.shape))
    sign = _positive_largest(W)
    W, Y = W * sign, Y * sign
    keep = S > finfo(S.dtype).tiny
    Q = (Y / _C.where(keep, S, _C.ones_like(S)).unsqueeze(-1)).mT  # (count, w, k) orthonormal columns
    if (full_matrices and w > k) or not bool(keep.all().item()):
        Q = _complete(Q, keep)
        Q = Q if full_matrices else Q[..., :k]
    S = S * scale.reshape((count, 1))
    # Y = W X and Y = S Q^T, so X = W^H S Q^T; A = X (wide) or X^T = Q S conj(W) (tall).
    if wide:
        return W.mH.contiguous(), S, Q.mT.contiguous()
    return Q.contiguous(), S, (W.conj() if W.is_complex() else W).contiguous()
