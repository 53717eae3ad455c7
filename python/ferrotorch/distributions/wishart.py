"""Wishart: the distribution of sum_{k<df} x_k x_k^T for x_k ~ N(0, V), over p x p positive-definite
matrices, given df and one of V (covariance_matrix), V^-1 (precision_matrix) or V's Cholesky
factor (scale_tril). df may be real (> p - 1).

rsample uses the Bartlett decomposition: with L the Cholesky factor of V and A lower triangular
with A_ii = sqrt(chi2(df - i)) and standard normal entries below the diagonal, (L A)(L A)^T is a
draw; the chi-squared draws are reparameterised, so the sample is differentiable.

    >>> import ferrotorch as torch
    >>> w = Wishart(torch.tensor(5.0), covariance_matrix=torch.eye(2))
    >>> w.mean.tolist()
    [[5.0, 0.0], [0.0, 5.0]]
"""
import math
import numbers

import ferrotorch as torch

from . import constraints
from .distribution import Distribution
from .gamma_family import Chi2
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]


def _mvdigamma(x, p):
    """sum_{i<p} digamma(x - i / 2)."""
    i = torch.arange(p, dtype=x.dtype, device=x.device)
    return torch.digamma(x.unsqueeze(-1) - i / 2).sum(-1)


class Wishart(Distribution):
    """Wishart distribution with `df` degrees of freedom and scale matrix V."""
    arg_constraints = {"covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky, "df": constraints.greater_than(0)}
    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                      ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            # PyTorch asserts this (AssertionError), unlike MultivariateNormal's ValueError.
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, param = given[0]
        if param.dim() < 2:
            # PyTorch names scale_tril here whichever matrix was given.
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = torch.tensor(float(df), dtype=param.dtype, device=param.device)
        else:
            batch_shape = tuple(torch.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = tuple(param.shape[-2:])
        p = event_shape[-1]
        if bool(self.df.le(p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        full = batch_shape + event_shape
        setattr(self, name, param.expand(full))
        # Validate before factorising, so a bad matrix raises the constraint's ValueError.
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = torch.linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)
        self._batch_dims = [-(i + 1) for i in range(len(self._batch_shape))]
        # Bartlett: the i-th squared diagonal entry of A is chi2(df - i).
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - torch.arange(p, dtype=param.dtype, device=param.device))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = torch.Size(batch_shape)
        full = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(full)
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(full))
        new._dist_chi2 = Chi2(new.df.unsqueeze(-1) - torch.arange(self.event_shape[-1], dtype=new.df.dtype,
                                                                    device=new.df.device))
        self._init_expanded(new, batch_shape)
        new._batch_dims = [-(i + 1) for i in range(len(batch_shape))]
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = torch.eye(self._event_shape[-1], dtype=L.dtype, device=L.device)
        L_inv = torch.linalg.solve_triangular(L, eye.expand(tuple(L.shape)), upper=False)
        return (L_inv.mT @ L_inv).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def _df_matrix(self):
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self._event_shape[-1] - 1
        factor = torch.where(factor <= 0, math.nan, factor)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def rsample(self, sample_shape=torch.Size()):
        """A Bartlett-decomposition draw (PyTorch additionally redraws numerically singular
        samples up to `max_try_correction` times; not needed at float64 and not done here)."""
        sample_shape = torch.Size(sample_shape)
        shape = tuple(self._extended_shape(sample_shape))
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        noise = torch.randn(shape, dtype=L.dtype, device=L.device).tril(-1)
        diag = self._dist_chi2.rsample(sample_shape).sqrt()
        eye = torch.eye(p, dtype=L.dtype, device=L.device)
        A = noise * (1 - eye) + torch.diag_embed(diag)
        chol = L @ A
        return chol @ chol.mT

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        L_x = torch.linalg.cholesky(value)
        log_det_L = L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        log_det_x = 2 * L_x.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        # trace(V^-1 X) = ||L^-1 L_x||_F^2.
        batch = tuple(torch.broadcast_shapes(tuple(L.shape[:-2]), tuple(L_x.shape[:-2])))
        M = torch.linalg.solve_triangular(L.expand(batch + (p, p)), L_x.expand(batch + (p, p)), upper=False)
        trace = M.pow(2).flatten(-2).sum(-1)
        return (-nu * (p * math.log(2) / 2 + log_det_L) - torch.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * log_det_x - trace / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        log_det_L = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * log_det_L + p * (p + 1) * math.log(2) / 2 + torch.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)
