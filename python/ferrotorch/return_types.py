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
]


def _pair(name, first="values", second="indices"):
    cls = namedtuple(name, [first, second])
    cls.__module__ = __name__
    cls.__qualname__ = name
    return cls


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
