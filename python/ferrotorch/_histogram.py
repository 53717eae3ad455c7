"""histogram and histogramdd: bin counts (optionally weighted or normalised) and bin edges.

Bins are found with searchsorted on the edges, so a value lands exactly where numpy puts it (each
bin is [left, right), the last one also includes its right edge), and counts are a scatter_add of
the weights: everything runs on the input's device, and the weighted counts are differentiable
with respect to `weight`. (torch.histc is the older, native, equal-width variant.)

    >>> import ferrotorch as torch
    >>> hist, edges = torch.histogram(torch.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
    >>> hist.tolist(), edges.tolist()
    ([0.0, 2.0, 1.0, 0.0], [0.0, 0.75, 1.5, 2.25, 3.0])
"""
import math
import operator

from . import _C, return_types
from ._attach import tensor_method
from ._elementwise import _scalar_name, _write_out
from ._math_composites import _not_implemented, _requires_tensor
from ._reduce import searchsorted as _searchsorted

__all__ = ["histogram", "histogramdd"]

histogram_result = return_types.histogram
histogramdd_result = return_types.histogramdd


def _outer_range(x, dim, range_):
    """The leftmost and rightmost edge of dimension `dim`: `range_` or the data's min and max,
    widened by 0.5 each way when they are equal (as numpy does)."""
    if range_ is not None:
        lo, hi = float(range_[2 * dim]), float(range_[2 * dim + 1])
    elif x.shape[0] == 0:
        lo, hi = 0.0, 1.0
    else:
        column = x[:, dim]
        lo, hi = column.min().item(), column.max().item()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max "
                         f"{hi:g} for dimension {dim}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _as_int(value):
    """`value` as a Python int when it is an integer (numpy's included, bool not), else None."""
    if isinstance(value, (bool, _C.Tensor)):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _edges(x, dims, bins, range_):
    """One 1-D tensor of edges per dimension, from an int count or a tensor of edges."""
    if range_ is not None and len(range_) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should "
                           f"have {2 * dims} elements, but got {len(range_)}")
    if _as_int(bins) is not None:
        bins = [_as_int(bins)] * dims
    if len(bins) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for each "
                           f"of the {dims} dimensions of the input, but got {len(bins)}")
    edges = []
    for d, b in enumerate(bins):
        if isinstance(b, _C.Tensor):
            if b.dtype != x.dtype:
                raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have "
                                   f"the same dtype, but got input {_scalar_name(x.dtype)} and "
                                   f"bins {_scalar_name(b.dtype)}")
            if b.dim() != 1 or b.numel() == 0:
                raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension and "
                                   f"at least 1 element, but got {b.dim()} dimensions and "
                                   f"{b.numel()} elements")
            edges.append(b.to(x.device))
            continue
        if _as_int(b) is None:
            raise TypeError(f"histogram(): argument 'bins' must be int or Tensor, not "
                            f"{type(b).__name__}")
        b = _as_int(b)
        if b <= 0:
            raise RuntimeError(f"torch.histogramdd(): bins must be > 0, but got {b} for "
                               f"dimension {d}")
        lo, hi = _outer_range(x, d, range_)
        edges.append(_C.linspace(lo, hi, b + 1, dtype=x.dtype, device=x.device))
    return edges


def _histdd(name, x, bins, range_, weight, density):
    """Counts of the rows of `x` (N, D) in the grid of `bins`; the flat bin of a row is the
    row-major combination of its per-dimension bins, and rows outside the grid count nowhere."""
    if not x.dtype.is_floating_point:
        raise _not_implemented(name, x)
    dims = x.shape[1]
    edges = _edges(x, dims, bins, range_)
    counts = [e.numel() - 1 for e in edges]
    flat = _C.zeros(x.shape[0], dtype=_C.int64, device=x.device)
    inside = _C.ones(x.shape[0], dtype=_C.bool, device=x.device)
    for d, e in enumerate(edges):
        v = x[:, d].contiguous()
        # Bin i holds edges[i] <= v < edges[i + 1]; the last edge belongs to the last bin.
        idx = _searchsorted(e, v, right=True) - 1
        idx = _C.where(v == e[-1], counts[d] - 1, idx)
        inside = inside & (v >= e[0]) & (v <= e[-1]) & (idx >= 0) & (idx < counts[d])
        flat = flat * counts[d] + idx.clamp(0, max(counts[d] - 1, 0))
    total = math.prod(counts)
    if weight is None:
        w = inside.to(x.dtype)
    else:
        w = _C.where(inside, weight.reshape(-1).to(x.dtype), 0.0)
    hist = _C.zeros(total, dtype=x.dtype, device=x.device)
    if total:
        hist = hist.scatter_add(0, _C.where(inside, flat, 0), w)
    hist = hist.reshape(counts)
    if density:
        # Divide by the total and by each bin's volume (the outer product of the widths).
        volume = None
        for d, e in enumerate(edges):
            width = (e[1:] - e[:-1]).reshape([-1 if i == d else 1 for i in range(dims)])
            volume = width if volume is None else volume * width
        hist = hist / hist.sum() / volume
    return hist, edges


def _check_weight(input, weight, inner):
    if weight is None:
        return
    _requires_tensor("histogram", 4, "weight", weight)
    expect = tuple(input.shape[:-1]) if inner else tuple(input.shape)
    if tuple(weight.shape) != expect:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, but "
                           f"got input with shape {list(input.shape)} and weight with shape "
                           f"{list(weight.shape)}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got input("
                           f"{_scalar_name(input.dtype)}), and weight({_scalar_name(weight.dtype)})")


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """The histogram of the values of `input`: `bins` equal-width bins over `range` (default: the
    data's min and max), or the given 1-D tensor of increasing edges. Returns (hist, bin_edges).

        >>> import ferrotorch as torch
        >>> torch.histogram(torch.tensor([0.0, 1.0, 1.0]), bins=2).hist.tolist()
        [1.0, 2.0]
    """
    _requires_tensor("histogram", 1, "input", input)
    _check_weight(input, weight, inner=False)
    hist, edges = _histdd("histogram", input.reshape(-1, 1), [bins], range, weight, density)
    hist, edges = hist, edges[0]
    if out is not None:
        hist, edges = _write_out(out[0], hist), _write_out(out[1], edges)
    return histogram_result(hist, edges)


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """The D-dimensional histogram of the rows of `input` (..., D): `bins` is an int, a list of D
    ints or a list of D edge tensors; `range` is a flat list [min0, max0, min1, max1, ...].
    Returns (hist, bin_edges) with hist of shape (bins0, ..., binsD-1) and D edge tensors.

        >>> import ferrotorch as torch
        >>> h = torch.histogramdd(torch.tensor([[0.0, 0.0], [1.0, 1.0]]), bins=[2, 2]).hist
        >>> h.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    _requires_tensor("histogramdd", 1, "input", input)
    if input.dim() < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension, "
                           "but got 0")
    _check_weight(input, weight, inner=True)
    x = input.reshape(-1, input.shape[-1])
    if isinstance(bins, _C.Tensor):
        bins = [bins]
    hist, edges = _histdd("histogramdd", x, bins if _as_int(bins) is not None else list(bins), range,
                          weight, density)
    return histogramdd_result(hist, tuple(edges))


def _method(self, bins=100, *, range=None, weight=None, density=False):
    return histogram(self, bins, range=range, weight=weight, density=density)


_method.__doc__ = histogram.__doc__
tensor_method(_method, "histogram")
