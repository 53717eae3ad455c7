"""Module-level reductions, scans and sorts: `ferrotorch.sum(x, ...)` is `x.sum(...)`.

    >>> import ferrotorch as torch
    >>> torch.sum(torch.tensor([[1, 2], [3, 4]]), dim=0).tolist()
    [4, 6]
"""
from . import return_types  # noqa: F401  (imported for `ferrotorch.return_types`)

_METHODS = [
    "sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "var", "std", "logsumexp", "norm", "all", "any", "count_nonzero",
    "cumsum", "cumprod", "cummax", "cummin", "sort", "argsort", "topk", "kthvalue", "median",
    "nanmedian", "unique", "unique_consecutive",
]

__all__ = list(_METHODS) + ["var_mean", "std_mean", "return_types"]


def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`ferrotorch.{name}(input, ...)`: the same as `input.{name}(...)`."
    return fn


for _name in _METHODS:
    globals()[_name] = _method(_name)
del _name


def var_mean(input, *args, **kwargs):
    """(variance, mean) of `input`, with `var`'s arguments."""
    return input._var_mean(*args, **kwargs)


def std_mean(input, *args, **kwargs):
    """(standard deviation, mean) of `input`, with `std`'s arguments."""
    return input._std_mean(*args, **kwargs)
