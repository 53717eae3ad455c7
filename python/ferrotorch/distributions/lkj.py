"""LKJCholesky: the LKJ distribution over correlation matrices, expressed on their lower Cholesky
factors (Lewandowski, Kurowicka & Joe, 2009).

Sampling uses the onion method: row k (0-based) of the factor is sqrt(y_k) times a uniform
direction in the first k coordinates, with y_k ~ Beta(k / 2, eta + (dim - 1 - k) / 2), and the
diagonal entry completes the row to unit norm. (PyTorch 2.15 uses Beta(k - 1/2, ...) here, which
makes the correlations of rows >= 2 too dispersed; this follows the paper, so every off-diagonal
correlation has the LKJ marginal, variance 1 / (2 eta + dim - 1).) The density of the factor L is proportional to
prod_{i>=2} L_ii^(dim - i + 2 (eta - 1)).

    >>> import ferrotorch as torch
    >>> L = LKJCholesky(3, torch.tensor(2.0)).sample()
    >>> tuple(L.shape), bool(torch.allclose((L * L).sum(-1), torch.ones(3)))
    ((3, 3), True)
"""
import math

import ferrotorch as torch

from . import constraints
from .distribution import Distribution
from .gamma_family import Beta
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution over dim x dim Cholesky factors of correlation matrices, with shape
    parameter `concentration` (eta; eta = 1 is uniform over correlation matrices)."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        self._beta = self._make_beta(self.concentration)
        super().__init__(self.concentration.size(), torch.Size((dim, dim)), validate_args=validate_args)

    def _make_beta(self, concentration):
        # Row k (0-based, k >= 1) has k off-diagonal entries; their squared norm is
        # Beta(k / 2, eta + (dim - 1 - k) / 2). Row 0 has none: a placeholder (row 1's Beta)
        # whose draw is multiplied by a zero direction.
        k = torch.arange(self.dim, dtype=concentration.dtype, device=concentration.device).clamp(min=1)
        conc1 = 0.5 * k
        conc0 = concentration.unsqueeze(-1) + 0.5 * (self.dim - 1 - k)
        return Beta(conc1.expand(tuple(conc0.shape)), conc0, validate_args=False)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = torch.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return self._init_expanded(new, batch_shape)

    def sample(self, sample_shape=torch.Size()):
        with torch.no_grad():
            shape = tuple(self._extended_shape(sample_shape))
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            z = torch.randn(shape, dtype=self.concentration.dtype, device=self.concentration.device).tril(-1)
            norm = torch.linalg.vector_norm(z, dim=-1, keepdim=True)
            # Row 0 is all zero (norm 0): its direction is defined as zero.
            direction = torch.where(norm > 0, z / torch.where(norm > 0, norm, 1.0), 0.0)
            w = y.sqrt() * direction
            diag = (1 - w.pow(2).sum(-1)).clamp(min=torch.finfo(w.dtype).tiny).sqrt()
            return w + torch.diag_embed(diag)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:]
        i = torch.arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        power = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - i
        unnormalized = (power * diag.log()).sum(-1)
        # log normaliser: (d-1)/2 log(pi) + mvlgamma(alpha - 1/2, d-1) - (d-1) lgamma(alpha),
        # alpha = eta + (d-1)/2.
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        log_norm = 0.5 * dm1 * math.log(math.pi) + torch.mvlgamma(alpha - 0.5, dm1) - dm1 * torch.lgamma(alpha)
        return unnormalized - log_norm
