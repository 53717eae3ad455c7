"""`nn.utils.parametrizations`: weight_norm, spectral_norm and orthogonal built on `parametrize`.

Each function registers a small Module as the parametrization of `module.<name>`, so the constrained
weight is recomputed from unconstrained originals on every access and gradients reach the originals.
All maps are compositions of tensor ops (norms, matmul, matrix_exp, solve, householder_product), so
they run on the tensor's device without host copies.
"""
from enum import Enum, auto

import ferrotorch as torch
from ..._C import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ----------------------------------------------------------------------------- weight norm
def _norm_except_dim(v, dim):
    """2-norm of `v` over every dim but `dim`, kept broadcastable against `v`; dim -1 means the norm of
    the whole tensor (a 0-d result), as in PyTorch's weight_norm."""
    if dim == -1:
        return torch.linalg.vector_norm(v)
    dim = dim + v.dim() if dim < 0 else dim
    others = [d for d in range(v.dim()) if d != dim]
    if not others:
        return v.abs()
    return torch.linalg.vector_norm(v, 2, others, keepdim=True)


def _weight_norm(v, g, dim):
    return v * (g / _norm_except_dim(v, dim))


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrizes `module.<name>` as `g * v / ||v||`, the norm taken over every dim but `dim`
    (`dim=None`: the whole tensor). `g` and `v` are `parametrizations.<name>.original0` / `original1`.

        >>> import ferrotorch as torch
        >>> m = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        (torch.Size([40, 1]), torch.Size([40, 20]))
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ----------------------------------------------------------------------------- spectral norm
class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            # A vector needs no power iteration (its spectral norm is its 2-norm).
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = self._reshape_weight_to_matrix(weight)
                h, w = weight_mat.shape
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
                # Reasonable singular vectors from the start.
                self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u, v approximate the leading left/right singular vectors; they are updated in place so the
        # buffers (and state_dict entries) keep their identity.
        with no_grad():
            weight_mat = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(torch.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(torch.mv(weight_mat.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Clones: later in-place power steps must not invalidate what backward saved.
        u = self._u.clone()
        v = self._v.clone()
        sigma = torch.vdot(u, torch.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def _is_conv_transpose(module):
    from ..modules import conv
    kinds = tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") if hasattr(conv, n))
    return isinstance(module, kinds)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrizes `module.<name>` as `W / sigma(W)`, sigma estimated by power iteration (one step
    per access in training mode; the vectors are buffers `parametrizations.<name>.0._u` / `._v`).
    `dim` is the output-channel dim (default 1 for ConvTranspose, else 0).

        >>> import ferrotorch as torch
        >>> m = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(20, 40))
        >>> m.parametrizations.weight.original.shape
        torch.Size([40, 20])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ----------------------------------------------------------------------------- orthogonal
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye_like(n, k, ref):
    return torch.eye(n, k, dtype=ref.dtype, device=ref.device)


def _make_orthogonal(a):
    """Q of a tall matrix's QR decomposition, columns signed so that diag(R) >= 0 (unique Q)."""
    q, r = torch.linalg.qr(a)
    s = r.diagonal(dim1=-2, dim2=-1).sgn()
    s = torch.where(s == 0, torch.ones_like(s), s)
    return q * s.unsqueeze(-2)


def _is_orthogonal(q):
    n, k = q.size(-2), q.size(-1)
    eps = 10.0 * n * torch.finfo(q.dtype).eps
    return torch.allclose(q.mH @ q, _eye_like(k, k, q), atol=eps)


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            # The base point of the dynamic trivialization, set by right_inverse.
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # X is now tall (n >= k).
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # Only the lower triangle matters: embed it in an n x n skew-symmetric matrix A.
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)
                X = torch.cat([X, pad], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = torch.linalg.matrix_exp(A)
            else:
                # Cayley map (I + A/2)(I - A/2)^{-1}, written as a solve: the two factors commute.
                Id = _eye_like(n, n, A)
                Q = torch.linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            # Householder reflectors in the strict lower triangle, unit leading entries implied.
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = torch.linalg.householder_product(A, tau)
            # The diagonal (+-1, truncated like PyTorch's int cast) signs each column; no gradient flows there.
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                A = _householder_reflectors(Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                # Complete Q to a square orthogonal matrix with random extra columns.
                N = torch.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(torch.cat([Q, N], dim=-1))
            self.base = Q
            # The original becomes "-Id": every map sends it to the identity (householder through the
            # -1 diagonal signs), so the parametrized value starts as `base`.
            neg_id = torch.zeros_like(Q_init)
            neg_id = neg_id - _eye_like(Q_init.size(-2), Q_init.size(-1), Q_init)
            return neg_id


def _householder_reflectors(Q):
    """A tall matrix X with `householder(X) == qr(Q).Q` (columns signed so diag(R) > 0): unit-leading
    reflectors below the diagonal, +-1 on it. Built column by column like LAPACK's geqrf (the one
    factorization the core does not expose)."""
    k = Q.size(-1)
    R = Q.clone()
    cols, diag = [], []
    for j in range(k):
        x = R[..., j:, j]
        alpha = x[..., 0]
        rest = (x[..., 1:] * x[..., 1:]).sum(-1)
        norm = (alpha * alpha + rest).sqrt()
        sign = torch.where(alpha >= 0, torch.ones_like(alpha), -torch.ones_like(alpha))
        beta = -sign * norm
        trivial = rest == 0
        # v = x / (alpha - beta) with v[0] = 1; a column already zero below needs no reflection.
        denom = torch.where(trivial, torch.ones_like(alpha), alpha - beta)
        v = torch.cat([torch.ones_like(alpha).unsqueeze(-1), x[..., 1:] / denom.unsqueeze(-1)], dim=-1)
        v = torch.where(trivial.unsqueeze(-1), torch.cat([torch.ones_like(alpha).unsqueeze(-1),
                                                    torch.zeros_like(x[..., 1:])], dim=-1), v)
        tau = torch.where(trivial, torch.zeros_like(alpha), 2.0 / (v * v).sum(-1))
        # Apply H = I - tau v v^T to the trailing block.
        block = R[..., j:, :]
        w = (v.unsqueeze(-1) * block).sum(-2)
        block = block - tau.unsqueeze(-1).unsqueeze(-1) * v.unsqueeze(-1) * w.unsqueeze(-2)
        R = torch.cat([R[..., :j, :], block], dim=-2)
        rjj = torch.where(trivial, alpha, beta)
        # The forward map always reflects (tau = 2/|v|^2); where geqrf did not, a second sign flip
        # undoes it, hence the diagonal -1 for "trivial" columns, as PyTorch does.
        d = rjj.sgn()
        d = torch.where(d == 0, torch.ones_like(d), d)
        d = torch.where(trivial, -d, d)
        diag.append(d)
        cols.append(torch.cat([x.new_zeros(*x.shape[:-1], j), v], dim=-1))
    X = torch.stack(cols, dim=-1)
    D = torch.diag_embed(torch.stack(diag, dim=-1))
    if Q.size(-2) > k:
        D = torch.cat([D, D.new_zeros(*D.shape[:-2], Q.size(-2) - k, k)], dim=-2)
    X = X.tril(-1) + D
    return X


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrains the matrix (or batch of matrices) `module.<name>` to be orthogonal (orthonormal
    columns or rows when rectangular), through `orthogonal_map` in {"matrix_exp", "cayley",
    "householder"} (default: matrix_exp for square or complex, householder otherwise).

        >>> import ferrotorch as torch
        >>> m = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(4, 3))
        >>> torch.allclose(m.weight @ m.weight.T, torch.eye(3), atol=1e-5)
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None) if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
