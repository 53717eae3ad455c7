"""Distances, statistics, integration and counting composed from existing Tensor ops (renorm,
cdist, dist, cov, corrcoef, trapezoid, cumulative_trapezoid, bincount, histc, isin).

Like `_math_composites.py`, autograd and the GPU come with the composition. Tensor data is read
back to the host only where PyTorch synchronises too: bincount's length, histc's data range and
cov's weight checks.

    >>> import ferrotorch as torch
    >>> torch.dist(torch.tensor([0.0, 0.0]), torch.tensor([3.0, 4.0])).item()
    5.0
"""
import math
import warnings

from . import _C
from ._attach import tensor_method
from ._elementwise import _scalar_name
from ._math_composites import (
    _HALFS, _along, _finish, _fmt, _inplace, _modulus, _not_implemented, _requires_tensor, _wrap_dim,
)

__all__ = [
    "renorm", "cdist", "dist", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "bincount",
    "histc", "isin",
]


# ----------------------------------------------------------------------------- norms and distances

def renorm(input, p, dim, maxnorm, *, out=None):
    """Scales each slice `input.select(dim, i)` whose p-norm exceeds `maxnorm` to norm `maxnorm`.

        >>> import ferrotorch as torch
        >>> torch.renorm(torch.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0).tolist()[1]
        [0.30000001192092896, 0.4000000059604645]
    """
    if isinstance(p, complex):
        raise RuntimeError("renorm: p must be real-valued")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if isinstance(maxnorm, complex):
        raise RuntimeError("renorm: maxnorm must be real-valued")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_fmt(maxnorm)}")
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    d = _wrap_dim(dim, input.dim())
    others = tuple(i for i in range(input.dim()) if i != d)
    norm = _modulus(input)._vector_norm(float(p), dim=others, keepdim=True,
                                        dtype=_C.float32 if input.dtype in _HALFS else None)
    factor = _C.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    # A complex input is scaled by the real factor of its own precision.
    return _finish(input * factor.to(input.real.dtype if input.dtype.is_complex else input.dtype), out)


_CDIST_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
                "donot_use_mm_for_euclid_dist": 2}
# Elements of the (batch, P, R, M) difference tensor above which cdist works in row blocks.
_CDIST_BLOCK = 1 << 24


def _cdist_diff(x1, x2, p):
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3))._vector_norm(p, dim=(-1,))


def _cdist_mm(x1, x2):
    # PyTorch's formula for p=2 on many rows: |a|^2 + |b|^2 - 2 a.b, through one matmul.
    sq = (x1.square().sum(-1, keepdim=True) + x2.square().sum(-1, keepdim=True).mT
          - x1.matmul(x2.mT) * 2).clamp_min(0)
    pos = sq > 0
    # A zero distance gets a zero (sub)gradient, as in PyTorch's _euclidean_dist_backward, not 0 * inf.
    return _C.where(pos, _C.where(pos, sq, 1.0).sqrt(), 0.0)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R).

    As in PyTorch, p=2 uses the matrix-product formula when either side has more than 25 rows
    (or when compute_mode asks for it).

        >>> import ferrotorch as torch
        >>> torch.cdist(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [1.0, 0.0]])).tolist()
        [[5.0, 1.0]]
    """
    mode = _CDIST_MODES.get(compute_mode)
    if mode is None:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_scalar_name(x.dtype)}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    p = float(p)
    r1, r2, m = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    if p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))) and m > 0:
        return _cdist_mm(x1, x2)
    b1, b2 = list(x1.shape[:-2]), list(x2.shape[:-2])
    width = len(b1) if len(b1) > len(b2) else len(b2)
    b1, b2 = [1] * (width - len(b1)) + b1, [1] * (width - len(b2)) + b2
    batch = math.prod(u if v == 1 else v for u, v in zip(b1, b2))
    rows = max(1, _CDIST_BLOCK // max(1, batch * r2 * m))
    if r1 <= rows:
        return _cdist_diff(x1, x2, p)
    # Row blocks bound the size of the difference tensor.
    return _C.cat([_cdist_diff(_along(x1, x1.dim() - 2, i, i + rows), x2, p) for i in range(0, r1, rows)], -2)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), as a 0-d tensor.

        >>> import ferrotorch as torch
        >>> torch.dist(torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])).item()
        5.0
    """
    return _modulus(input - other)._vector_norm(float(p))


# ----------------------------------------------------------------------------- statistics

def _check_weights(kind, w, num_observations, floating):
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions but got {kind} with "
                           f"{w.dim()} dimensions")
    wrong = not w.dtype.is_floating_point if floating else (w.dtype.is_floating_point or w.dtype == _C.bool)
    if wrong:
        raise RuntimeError(f"cov(): expected {kind} to have {'floating point' if floating else 'integral'} dtype "
                           f"but got {kind} with {_scalar_name(w.dtype)} dtype")
    if w.numel() != num_observations:
        raise RuntimeError(f"cov(): expected {kind} to have the same numel as there are observations in the "
                           f"input but got {w.numel()} != {num_observations}")
    # PyTorch synchronises here too.
    if num_observations and (w.min() < 0).item():
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of `input` (observations in columns).

        >>> import ferrotorch as torch
        >>> torch.cov(torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
        [[1.0, -1.0], [-1.0, 1.0]]
    """
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    if input.dtype == _C.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, floating=False)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, floating=True)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
    else:
        w_sum = w.sum()
        if not (w_sum != 0).item():
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is None:
        norm_factor = n - correction
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm_factor = 0  # PyTorch's special case, which avoids a rounding error against numpy
    else:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    if (norm_factor <= 0) if isinstance(norm_factor, int) else (norm_factor <= 0).item():
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "number of observations.", UserWarning, stacklevel=2)
        norm_factor = 0
    if n == 1 and (fweights is None) != (aweights is None):
        # One observation with one kind of weight: x - avg is exactly 0 (PyTorch's rounding fix).
        xc = _C.zeros_like(x, dtype=x.dtype if x.dtype.is_floating_point else _C.float32)
    else:
        xc = x - avg.unsqueeze(1)
    # The covariance of complex variables pairs each with the conjugate of the other.
    c = xc.mm((xc if w is None else xc * w).t().conj())
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of `input`.

        >>> import ferrotorch as torch
        >>> torch.corrcoef(torch.tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]])).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c  # nan for a zero, infinite or nan variance, else 1
    diagonal = c.diagonal()
    std = (diagonal.real if c.dtype.is_complex else diagonal).sqrt()  # variances are real
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    if c.dtype.is_complex:
        # Rounding can leave either part just outside [-1, 1], as in the real case.
        return _C.complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)  # rounding can leave values just outside [-1, 1]


# ----------------------------------------------------------------------------- integration

def _sample_spacing(name, y, x, d):
    """The differences of `x` along `d`, shaped to broadcast against y's neighbour sums."""
    if y.dtype == _C.bool or x.dtype == _C.bool:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.dim() < y.dim():
        x = x.reshape([1] * (y.dim() - x.dim()) + list(x.shape))
    return _along(x, d, 1) - _along(x, d, 0, -1)


def _check_dx(name, y, dx):
    if y.dtype == _C.bool:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if isinstance(dx, (bool, complex)) or not isinstance(dx, (int, float)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")


def _spacing_args(name, x, dx):
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both `x` and `dx`")
    if x is not None:
        _requires_tensor(name, 2, "x", x)


def _sample_dim(y, dim):
    if y.dim() == 0:
        raise IndexError(f"dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, y.dim())


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of `y` along `dim` by the trapezoid rule, at sample points `x` or spacing `dx` (1).

        >>> import ferrotorch as torch
        >>> torch.trapezoid(torch.tensor([1.0, 2.0, 3.0])).item()
        4.0
        >>> torch.trapezoid(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 1.0, 3.0])).item()
        6.5
    """
    _spacing_args("trapezoid", x, dx)
    d = _sample_dim(y, dim)
    if y.shape[d] == 0:  # numpy's answer for no samples
        shape = list(y.shape)
        del shape[d]
        return _C.zeros(shape, dtype=y.dtype, device=y.device)
    if x is not None:
        spacing = _sample_spacing("trapezoid", y, x, d)
        return ((_along(y, d, 0, -1) + _along(y, d, 1)) * spacing).sum(d) / 2.0
    dx = 1 if dx is None else dx
    _check_dx("trapezoid", y, dx)
    # With constant spacing: dx * (sum(y) - (y[0] + y[-1]) / 2).
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * dx


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of :func:`trapezoid`.

        >>> import ferrotorch as torch
        >>> torch.trapz(torch.tensor([1.0, 2.0, 3.0]), dx=2.0).item()
        8.0
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid-rule integral of `y` along `dim` (one element shorter than `y` there).

        >>> import ferrotorch as torch
        >>> torch.cumulative_trapezoid(torch.tensor([1.0, 2.0, 3.0])).tolist()
        [1.5, 4.0]
    """
    _spacing_args("cumulative_trapezoid", x, dx)
    d = _sample_dim(y, dim)
    neighbours = _along(y, d, 0, -1) + _along(y, d, 1)
    if x is not None:
        spacing = _sample_spacing("cumulative_trapezoid", y, x, d)
        return (neighbours * spacing).cumsum(d) / 2.0
    dx = 1 if dx is None else dx
    _check_dx("cumulative_trapezoid", y, dx)
    return (dx / 2.0 * neighbours).cumsum(d)


# ----------------------------------------------------------------------------- counting

def bincount(input, weights=None, minlength=0):
    """Count of each value 0..max(input) in a 1-d non-negative integer tensor (or sum of `weights`).

        >>> import ferrotorch as torch
        >>> torch.bincount(torch.tensor([0, 2, 2, 5])).tolist()
        [1, 0, 2, 0, 0, 1]
    """
    if input.dtype.is_floating_point or input.dtype.is_complex or input.dtype == _C.bool:
        raise _not_implemented("bincount", input)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    device = input.device
    if input.dim() == 1 and input.numel() == 0:
        return _C.zeros(minlength, dtype=_C.int64, device=device)
    if input.dim() != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    # The output's length depends on max(input): PyTorch synchronises here too (one read, both ends).
    low, high = _C.stack(list(input.aminmax())).tolist()
    if low < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.dim() != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights is None:
        dtype, source = _C.int64, _C.ones(input.shape[0], dtype=_C.int64, device=device)
    else:
        # PyTorch accumulates float32 weights in float32 and any other weights in float64.
        dtype = _C.float32 if weights.dtype == _C.float32 else _C.float64
        source = weights.to(dtype)
    out = _C.zeros(max(int(high) + 1, minlength), dtype=dtype, device=device)
    return out.index_add_(0, input.to(_C.int64), source)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of `input` in `bins` equal bins over [min, max] (the data's range when min == max);
    values outside are ignored.

        >>> import ferrotorch as torch
        >>> torch.histc(torch.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist()
        [0.0, 2.0, 1.0, 0.0]
    """
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if input.dtype.is_complex and min == max:
        # PyTorch fails first in the aminmax it takes the data range with.
        raise TypeError(f"aminmax not implemented for {_scalar_name(input.dtype)}")
    if not input.dtype.is_floating_point:
        raise _not_implemented("histogram", input)
    low, high = float(min), float(max)
    if low == high and input.numel() > 0:
        low, high = (float(v) for v in _C.stack(list(input.aminmax())).tolist())  # as PyTorch: a read
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(low)}, {_fmt(high)}] is not finite")
    if not low < high:
        raise RuntimeError("torch.histc: max must be larger than min")
    dtype, device = input.dtype, input.device
    # The edges in the input's dtype, and the bin computed as PyTorch's kernel does:
    # trunc((x - left) * bins / (right - left)), the right edge falling into the last bin.
    edges = _C.tensor([low, high], dtype=dtype, device=device)
    left, right = edges[0], edges[1]
    x = input.detach().reshape(-1)
    inside = (x >= left) & (x <= right)
    pos = ((_C.where(inside, x, left) - left) * bins / (right - left)).to(_C.int64).clamp_max(bins - 1)
    hist = _C.zeros(bins, dtype=dtype, device=device).index_add_(0, pos, inside.to(dtype))
    return _finish(hist, out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` occurs in `test_elements` (either may be a number).

        >>> import ferrotorch as torch
        >>> torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4, 6])).tolist()
        [False, True, False, True]
    """
    if not isinstance(elements, _C.Tensor) and not isinstance(test_elements, _C.Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    for v in (elements, test_elements):
        if (v.dtype if isinstance(v, _C.Tensor) else type(v)) in (_C.bool, bool):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    for v in (elements, test_elements):
        if isinstance(v, _C.Tensor) and v.dtype.is_complex:
            raise NotImplementedError(f"Unsupported input type encountered for isin(): {_scalar_name(v.dtype)}")
    if isinstance(elements, complex) or isinstance(test_elements, complex):
        # PyTorch checks a Python complex as the double-precision scalar it is.
        raise NotImplementedError("Unsupported input type encountered for isin(): ComplexDouble")
    if not isinstance(test_elements, _C.Tensor):
        return elements != test_elements if invert else elements == test_elements
    if not isinstance(elements, _C.Tensor):
        # The number is compared in the type it promotes to (0.1 stays 0.1 against float64).
        elements = _C.tensor(elements, dtype=_C.result_type(test_elements, elements), device=test_elements.device)
    # assume_unique only picks PyTorch's algorithm; both paths here are exact for any input.
    found = _isin_flat(elements.reshape(-1), test_elements.reshape(-1)).reshape(elements.shape)
    return found.logical_not() if invert else found


# Above this many element pairs isin sorts instead of comparing every pair.
_ISIN_PAIRS = 1 << 20


def _isin_flat(e, t):
    n, m = e.shape[0], t.shape[0]
    if n * m <= _ISIN_PAIRS:
        if m == 0:
            return _C.zeros(n, dtype=_C.bool, device=e.device)
        return (e.unsqueeze(1) == t).any(1)
    # Sort elements and test elements together; an element is found iff its run of equal values
    # holds a test element. Runs are numbered by a cumsum of "differs from the previous value".
    values, order = _C.cat([e, t]).sort(stable=True)
    total = n + m
    starts = _C.cat([_C.ones(1, dtype=_C.bool, device=e.device), values[1:] != values[:-1]])
    run = starts.to(_C.int64).cumsum(0) - 1
    tests_in_run = _C.zeros(total, dtype=_C.int64, device=e.device).index_add_(
        0, run, (order >= n).to(_C.int64))
    found_sorted = tests_in_run.index_select(0, run) > 0
    found = _C.zeros(total, dtype=_C.bool, device=e.device).index_copy_(0, order, found_sorted)
    return found[:n]


# ----------------------------------------------------------------------------- Tensor methods

for _name, _fn in {
    "renorm": lambda self, p, dim, maxnorm: renorm(self, p, dim, maxnorm),
    "renorm_": _inplace(renorm, "renorm_"),
    "dist": lambda self, other, p=2: dist(self, other, p),
    "cov": lambda self, *, correction=1, fweights=None, aweights=None: cov(
        self, correction=correction, fweights=fweights, aweights=aweights),
    "corrcoef": lambda self: corrcoef(self),
    "bincount": lambda self, weights=None, minlength=0: bincount(self, weights, minlength),
    "histc": lambda self, bins=100, min=0, max=0: histc(self, bins, min, max),
}.items():
    if _fn.__doc__ is None:
        _fn.__doc__ = f"See :func:`ferrotorch.{_name}`." if not _name.endswith("_") else \
            f"In-place version of :meth:`Tensor.{_name[:-1]}`."
    tensor_method(_fn, _name)
