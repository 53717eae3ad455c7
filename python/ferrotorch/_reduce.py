"""Module-level reductions, scans and sorts: `ferrotorch.sum(x, ...)` is `x.sum(...)`.

    >>> import ferrotorch as torch
    >>> torch.sum(torch.tensor([[1, 2], [3, 4]]), dim=0).tolist()
    [4, 6]
"""
from . import _C, return_types  # noqa: F401  (imported for `ferrotorch.return_types`)
from ._elementwise import _scalar_name, _write_out

_METHODS = [
    "sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "var", "std", "logsumexp", "all", "any", "count_nonzero",
    "cumsum", "cumprod", "cummax", "cummin", "sort", "argsort", "topk", "kthvalue", "median",
    "nanmedian", "unique", "unique_consecutive",
]

__all__ = list(_METHODS) + ["var_mean", "std_mean", "norm", "return_types", "searchsorted", "bucketize"]


# The reductions whose PyTorch function takes `out=` (a tuple of tensors where the result is one).
_OUT = {"sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax", "argmax",
        "argmin", "var", "std", "logsumexp", "all", "any", "cumsum", "cumprod", "cummax", "cummin",
        "sort", "topk", "kthvalue", "median", "nanmedian"}


# The ones among them that take the dtype of `out` as their `dtype=`.
_OUT_DTYPE = {"sum", "nansum", "prod", "cumsum", "cumprod"}


def _write_outs(name, out, result):
    """`out=` for a result that is a tensor, or a named tuple of tensors written into a tuple."""
    if not isinstance(result, tuple):
        return _write_out(out, result)
    if not isinstance(out, (tuple, list)) or len(out) != len(result):
        raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
    return type(result)(*(_write_out(o, r) for o, r in zip(out, result)))


def _method(name):
    if name in _OUT:
        def fn(input, *args, out=None, **kwargs):
            if (name in _OUT_DTYPE and isinstance(out, _C.Tensor) and out.dtype != _C.bool
                    and kwargs.get("dtype") is None):
                # These reductions compute in out's dtype, as if it were passed as `dtype=` (not
                # bool: a bool out is a casting error).
                kwargs["dtype"] = out.dtype
            result = getattr(input, name)(*args, **kwargs)
            return result if out is None else _write_outs(name, out, result)
    else:
        def fn(input, *args, **kwargs):
            return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`ferrotorch.{name}(input, ...)`: the same as `input.{name}(...)`."
    return fn


for _name in _METHODS:
    globals()[_name] = _method(_name)
del _name


def _complex_nan_reduction(reduction):
    """nansum / nanmean taking complex input as PyTorch does: its CPU nansum (which nanmean calls)
    has no complex kernel; its CUDA one skips the elements with a NaN part, composed here."""
    method = globals()[reduction]

    def fn(input, dim=None, keepdim=False, *, dtype=None, out=None):
        if not (isinstance(input, _C.Tensor) and input.dtype.is_complex):
            return method(input, dim, keepdim, dtype=dtype, out=out)
        if input.device.type == "cpu":
            raise NotImplementedError("nansum on CPU does not support complex inputs")
        nan = input.isnan()
        x = _C.where(nan, _C.zeros_like(input), input)
        result = x.sum(dim, keepdim, dtype=dtype) if dim is not None else x.sum(dtype=dtype)
        if reduction == "nanmean":
            kept = nan.logical_not()
            result = result / (kept.sum(dim, keepdim) if dim is not None else kept.sum())
        return result if out is None else _write_out(out, result)

    fn.__name__ = fn.__qualname__ = reduction
    fn.__doc__ = method.__doc__
    return fn


nansum = _complex_nan_reduction("nansum")
nanmean = _complex_nan_reduction("nanmean")
_logsumexp_method = logsumexp


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over `dim`, computed stably; complex input gives the principal log
    of the complex sum, as in PyTorch.

        >>> import ferrotorch as torch
        >>> round(torch.logsumexp(torch.tensor([0.0, 0.0]), 0).item(), 4)
        0.6931
    """
    if not (isinstance(input, _C.Tensor) and input.dtype.is_complex):
        return _logsumexp_method(input, dim, keepdim, out=out)
    # Shifting by the largest real part (a real number) keeps every |exp| <= 1 and leaves the
    # imaginary part, hence the branch of the log, untouched.
    shift = input.real.detach().amax(dim, keepdim=True)
    shift = _C.where(shift.isinf(), _C.zeros_like(shift), shift)
    result = (input - shift).exp().sum(dim, keepdim=True).log() + shift
    if not keepdim:
        result = result.squeeze(dim)
    return result if out is None else _write_out(out, result)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The p-norm of `input` (over `dim`), as `input.norm(...)`; p="nuc" is the nuclear norm (sum
    of singular values) of the matrices over the two dims in `dim` (all dims by default).

        >>> import ferrotorch as torch
        >>> torch.norm(torch.tensor([[3.0, 0.0], [0.0, 4.0]]), p="nuc").item()
        7.0
    """
    if isinstance(p, str) and p == "nuc":
        result = _nuclear_norm(input, dim, keepdim, dtype)
    else:
        kwargs = {} if dtype is None else {"dtype": dtype}
        if input.dtype.is_complex:
            # Every p-norm depends on the moduli only (a real result, as in PyTorch).
            input = (input if dtype is None else input.to(dtype)).abs()
            kwargs = {}
        result = input.norm(p, dim, keepdim, **kwargs)
    return result if out is None else _write_out(out, result)


def _nuclear_norm(input, dim, keepdim, dtype):
    from . import linalg  # linalg imports this package's top level

    if input.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if dim is None:
        dim = tuple(range(input.dim()))
    elif isinstance(dim, int):
        dim = (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    return linalg.matrix_norm(input, "nuc", dim=tuple(dim), keepdim=keepdim, dtype=dtype)


def var_mean(input, *args, **kwargs):
    """(variance, mean) of `input`, with `var`'s arguments."""
    return input._var_mean(*args, **kwargs)


def std_mean(input, *args, **kwargs):
    """(standard deviation, mean) of `input`, with `std`'s arguments."""
    return input._std_mean(*args, **kwargs)


def _values_tensor(values, boundaries):
    """A number searched for becomes a 0-d tensor of the type it is compared in."""
    if isinstance(values, _C.Tensor):
        return values
    return _C.tensor(values, dtype=_C.result_type(boundaries, values), device=boundaries.device)


def _search_out(result, out, out_int32):
    if out is None:
        return result
    if out.dtype != result.dtype:
        raise RuntimeError(
            "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) "
            f"depending on whether out_int32 flag is True, but we got output tensor's dtype {_scalar_name(out.dtype)} "
            f"and out_int32 flag is {out_int32}")
    return _write_out(out, result)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """Indices where `input`'s values would be inserted into the sorted last dim of
    `sorted_sequence` to keep it sorted (`side='right'`: after equal values).

        >>> import ferrotorch as torch
        >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6, 9])).tolist()
        [1, 3, 4]
        >>> torch.searchsorted(torch.tensor([1, 3, 5, 7]), 3, right=True).item()
        2
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    values = _values_tensor(input, sorted_sequence)
    return _search_out(_C._searchsorted(sorted_sequence, values, bool(right), bool(out_int32), sorter), out, out_int32)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value of `input` among 1-D sorted `boundaries`: i with
    boundaries[i-1] < x <= boundaries[i] (`right=True`: boundaries[i-1] <= x < boundaries[i]).

        >>> import ferrotorch as torch
        >>> torch.bucketize(torch.tensor([0.5, 1.0, 2.5]), torch.tensor([1.0, 2.0])).tolist()
        [0, 0, 2]
    """
    values = _values_tensor(input, boundaries)
    return _search_out(_C._bucketize(values, boundaries, bool(right), bool(out_int32)), out, out_int32)
