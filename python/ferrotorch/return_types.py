"""Named tuples returned by reductions, as `torch.return_types`.

    >>> import ferrotorch as torch
    >>> r = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    >>> r.values.tolist(), r.indices.tolist()
    ([5.0, 7.0], [1, 0])
"""
from collections import namedtuple

__all__ = [
    "max", "min", "aminmax", "sort", "topk", "kthvalue", "median", "nanmedian", "mode",
    "cummax", "cummin",
    "slogdet", "linalg_slogdet", "linalg_inv_ex", "linalg_solve_ex", "linalg_cholesky_ex", "linalg_qr",
    "linalg_lu_factor", "linalg_lu_factor_ex", "linalg_eigh", "linalg_svd", "svd", "linalg_lstsq", "linalg_lu",
    "lu_unpack", "histogram", "histogramdd", "triangular_solve",
]


def _repr(self):
    # PyTorch's layout: one field per line. The "torch." prefix matches dtype reprs (torch.float32),
    # so logs read the same under either library.
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def _named(name, fields):
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__qualname__ = name
    cls.__repr__ = _repr
    return cls


def _pair(name, first="values", second="indices"):
    return _named(name, [first, second])


max = _pair("max")
min = _pair("min")
aminmax = _pair("aminmax", "min", "max")
sort = _pair("sort")
topk = _pair("topk")
kthvalue = _pair("kthvalue")
median = _pair("median")
nanmedian = _pair("nanmedian")
mode = _pair("mode")
cummax = _pair("cummax")
cummin = _pair("cummin")
slogdet = _pair("slogdet", "sign", "logabsdet")
linalg_slogdet = _pair("linalg_slogdet", "sign", "logabsdet")
linalg_inv_ex = _pair("linalg_inv_ex", "inverse", "info")
linalg_solve_ex = _pair("linalg_solve_ex", "result", "info")
linalg_cholesky_ex = _pair("linalg_cholesky_ex", "L", "info")
linalg_qr = _pair("linalg_qr", "Q", "R")
linalg_lu_factor = _pair("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _named("linalg_lu_factor_ex", ["LU", "pivots", "info"])
linalg_eigh = _pair("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_svd = _named("linalg_svd", ["U", "S", "Vh"])
svd = _named("svd", ["U", "S", "V"])
linalg_lstsq = _named("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_lu = _named("linalg_lu", ["P", "L", "U"])
lu_unpack = _named("lu_unpack", ["P", "L", "U"])
histogram = _pair("histogram", "hist", "bin_edges")
histogramdd = _pair("histogramdd", "hist", "bin_edges")
triangular_solve = _pair("triangular_solve", "solution", "cloned_coefficient")
linalg_polar = _pair("linalg_polar", "U", "H")
__all__.append("linalg_polar")
