"""More transforms, matching torch.distributions.transforms: elementwise (Abs, Softplus),
simplex maps (Softmax, StickBreaking), shape maps (Reshape, Independent), per-slice maps (Cat,
Stack), a distribution's CDF as a transform, and matrix maps (LowerCholesky, CorrCholesky,
PositiveDefinite).

All are compositions of tensor ops, so they differentiate and run on the input's device.

    >>> import ferrotorch as torch
    >>> t = StickBreakingTransform()
    >>> y = t(torch.zeros(2))
    >>> [round(v, 4) for v in y.tolist()], round(y.sum().item(), 4)
    ([0.3333, 0.3333, 0.3333], 1.0)
"""
import math

import ferrotorch as torch
from ferrotorch.nn import functional as F

from . import constraints
from .transforms import Transform
from .utils import _sum_rightmost

__all__ = ["AbsTransform", "SoftplusTransform", "SoftmaxTransform", "StickBreakingTransform",
           "ReshapeTransform", "IndependentTransform", "CatTransform", "StackTransform",
           "CumulativeDistributionTransform", "LowerCholeskyTransform", "CorrCholeskyTransform",
           "PositiveDefiniteTransform"]


class AbsTransform(Transform):
    """y = |x| (not bijective: the inverse returns the positive branch)."""
    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class SoftplusTransform(Transform):
    """y = log(1 + exp(x)); the inverse is log(expm1(y)), written stably for large y."""
    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        # log(exp(y) - 1) = y + log(1 - exp(-y)).
        return y + torch.log(-torch.expm1(-y))

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class SoftmaxTransform(Transform):
    """x -> softmax(x) over the last dim (not bijective; inverse is log, up to a constant)."""
    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    def _call(self, x):
        return torch.softmax(x, dim=-1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    inverse_shape = forward_shape


class StickBreakingTransform(Transform):
    """Maps R^K onto the (K+1)-simplex by stick breaking: z_i = sigmoid(x_i - log(K - i)),
    y_i = z_i * prod_{j<i} (1 - z_j). Bijective; the offset makes x = 0 the centre."""
    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    def _offset(self, k, like):
        return torch.arange(k, 0, -1, dtype=like.dtype, device=like.device).log()

    def _call(self, x):
        offset = self._offset(x.shape[-1], x)
        z = torch.sigmoid(x - offset)
        one = torch.ones(tuple(z.shape[:-1]) + (1,), dtype=z.dtype, device=z.device)
        z_cumprod = torch.cumprod(1 - z, dim=-1)
        return torch.cat([z, one], -1) * torch.cat([one, z_cumprod], -1)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        offset = self._offset(y.shape[-1] - 1, y)
        sf = 1 - y_crop.cumsum(-1)
        # The remaining stick may round to zero; clamping keeps the log finite.
        sf = sf.clamp(min=torch.finfo(y.dtype).tiny)
        return y_crop.log() - sf.log() + offset

    def log_abs_det_jacobian(self, x, y):
        offset = self._offset(x.shape[-1], x)
        x = x - offset
        return (-x + F.logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class ReshapeTransform(Transform):
    """Reshapes the rightmost dims from `in_shape` to `out_shape` (same number of elements)."""
    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape = torch.Size(in_shape)
        self.out_shape = torch.Size(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return x.reshape(batch + tuple(self.out_shape))

    def _inverse(self, y):
        batch = tuple(y.shape[:y.dim() - len(self.out_shape)])
        return y.reshape(batch + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape[:x.dim() - len(self.in_shape)])
        return x.new_zeros(batch)

    def _reshape(self, shape, src, dst):
        if len(shape) < len(src):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(src)
        if tuple(shape[cut:]) != tuple(src):
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {tuple(src)}")
        return tuple(shape[:cut]) + tuple(dst)

    def forward_shape(self, shape):
        return self._reshape(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshape(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """`base_transform` with `reinterpreted_batch_ndims` extra rightmost dims treated as event
    dims: log_abs_det_jacobian sums over them."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def __eq__(self, other):
        return (isinstance(other, IndependentTransform) and self.base_transform == other.base_transform
                and self.reinterpreted_batch_ndims == other.reinterpreted_batch_ndims)

    def _call(self, x):
        if x.dim() < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.dim() < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


def _check_dim(dim, x):
    if not -x.dim() <= dim < x.dim():
        raise ValueError("dim out of range")


class CatTransform(Transform):
    """Applies `tseq[i]` to the i-th consecutive slice (of `lengths[i]`, default 1) along `dim`."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("tseq must be a sequence of Transforms")
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.transforms)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError("lengths and tseq must have the same length")
        self.dim = dim

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self):
        return sum(self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _map(self, fn, x):
        _check_dim(self.dim, x)
        if x.size(self.dim) != self.length:
            raise AssertionError(f"expected size {self.length} along dim {self.dim}, got {x.size(self.dim)}")
        out, start = [], 0
        for t, length in zip(self.transforms, self.lengths):
            out.append(fn(t, x.narrow(self.dim, start, length)))
            start += length
        return torch.cat(out, dim=self.dim)

    def _call(self, x):
        return self._map(lambda t, v: t(v), x)

    def _inverse(self, y):
        return self._map(lambda t, v: t.inv(v), y)

    def log_abs_det_jacobian(self, x, y):
        _check_dim(self.dim, x)
        terms, start = [], 0
        for t, length in zip(self.transforms, self.lengths):
            xs, ys = x.narrow(self.dim, start, length), y.narrow(self.dim, start, length)
            term = t.log_abs_det_jacobian(xs, ys)
            if t.event_dim < self.event_dim:
                term = _sum_rightmost(term, self.event_dim - t.event_dim)
            terms.append(term)
            start += length
        dim = self.dim if self.dim < 0 else self.dim - x.dim()
        if dim + self.event_dim < 0:
            return torch.cat(terms, dim=dim + self.event_dim)
        return sum(terms[1:], terms[0])


class StackTransform(Transform):
    """Applies `tseq[i]` to the i-th slice along `dim` (the slices are stacked back)."""

    def __init__(self, tseq, dim=0, cache_size=0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("tseq must be a sequence of Transforms")
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, x):
        _check_dim(self.dim, x)
        if x.size(self.dim) != len(self.transforms):
            raise AssertionError(f"expected size {len(self.transforms)} along dim {self.dim}, got {x.size(self.dim)}")
        return [x.select(self.dim, i) for i in range(x.size(self.dim))]

    def _call(self, x):
        return torch.stack([t(v) for t, v in zip(self.transforms, self._slices(x))], dim=self.dim)

    def _inverse(self, y):
        return torch.stack([t.inv(v) for t, v in zip(self.transforms, self._slices(y))], dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        xs, ys = self._slices(x), self._slices(y)
        return torch.stack([t.log_abs_det_jacobian(a, b) for t, a, b in zip(self.transforms, xs, ys)],
                           dim=self.dim)


class CumulativeDistributionTransform(Transform):
    """x -> distribution.cdf(x): maps the distribution's support onto [0, 1]."""
    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)


class LowerCholeskyTransform(Transform):
    """Square matrix -> lower-triangular matrix with positive diagonal: the strictly lower part
    is kept and the diagonal is exponentiated (not bijective on all matrices)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """Square matrix -> positive-definite matrix L L^T, L = LowerCholeskyTransform()(x)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(torch.linalg.cholesky(y))


class CorrCholeskyTransform(Transform):
    """Unconstrained vector of length D(D-1)/2 -> Cholesky factor of a D x D correlation matrix
    (lower triangular, positive diagonal, unit-norm rows), by tanh then stick breaking per row."""
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def __eq__(self, other):
        return isinstance(other, CorrCholeskyTransform)

    @staticmethod
    def _dim(n):
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattend lower-diagonal number")
        return d

    @staticmethod
    def _scatter_tril(vec, d):
        """The (d, d) matrices whose strictly lower parts (row major) are `vec`'s last dim."""
        rows, cols = torch.tril_indices(d, d, offset=-1, device=vec.device)
        flat_index = rows * d + cols
        out = vec.new_zeros(tuple(vec.shape[:-1]) + (d * d,))
        index = flat_index.expand(tuple(vec.shape[:-1]) + (flat_index.shape[0],))
        return out.scatter(-1, index, vec).reshape(tuple(vec.shape[:-1]) + (d, d))

    def _call(self, x):
        d = self._dim(x.shape[-1])
        eps = torch.finfo(x.dtype).eps
        r = torch.tanh(x).clamp(min=-1 + eps, max=1 - eps)
        r = self._scatter_tril(r, d)
        # Row i: y_ij = r_ij * sqrt(1 - sum_{k<j} y_ik^2), y_ii = remaining norm.
        z = r.pow(2)
        remaining = torch.cumprod(1 - z, dim=-1).sqrt()
        one = torch.ones(tuple(r.shape[:-1]) + (1,), dtype=r.dtype, device=r.device)
        prev = torch.cat([one, remaining[..., :-1]], -1)
        eye = torch.eye(d, dtype=r.dtype, device=r.device)
        return (r + eye) * prev

    def _inverse(self, y):
        d = y.shape[-1]
        zero = torch.zeros(tuple(y.shape[:-1]) + (1,), dtype=y.dtype, device=y.device)
        denom = (1 - torch.cat([zero, (y * y).cumsum(-1)[..., :-1]], -1)).sqrt()
        r = y / denom.clamp(min=torch.finfo(y.dtype).tiny)
        rows, cols = torch.tril_indices(d, d, offset=-1, device=y.device)
        r_vec = r.flatten(-2).index_select(-1, rows * d + cols)
        return torch.atanh(r_vec.clamp(min=-1 + torch.finfo(y.dtype).eps, max=1 - torch.finfo(y.dtype).eps))

    def log_abs_det_jacobian(self, x, y):
        # d y / d r contributes sum_i sum_{j<i} 0.5 log(1 - sum_{k<j} y_ik^2); d r / d x is
        # 1 - tanh^2 = 4 exp(-2x) / (1 + exp(-2x))^2, computed stably.
        d = y.shape[-1]
        y1 = y * y
        zero = torch.zeros(tuple(y.shape[:-1]) + (1,), dtype=y.dtype, device=y.device)
        remaining = 1 - torch.cat([zero, y1.cumsum(-1)[..., :-1]], -1)
        rows, cols = torch.tril_indices(d, d, offset=-1, device=y.device)
        stick = remaining.flatten(-2).index_select(-1, rows * d + cols)
        tanh_term = 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))
        return (0.5 * stick.log() + tanh_term).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        d = self._dim(shape[-1])
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)

