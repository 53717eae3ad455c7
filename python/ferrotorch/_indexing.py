"""Module-level functions of the indexing family.

Each is the Tensor method with the tensor first, e.g.

    >>> import ferrotorch as torch
    >>> x = torch.tensor([[1, 2], [3, 4]])
    >>> torch.gather(x, 1, torch.tensor([[1], [0]])).tolist()
    [[2], [3]]
    >>> torch.where(x > 2, x, 0).tolist()
    [[0, 0], [3, 4]]
"""
from ._C import where

__all__ = [
    "where", "gather", "index_select", "scatter", "scatter_add", "scatter_reduce", "index_add",
    "index_copy", "index_fill", "index_put", "index_put_", "masked_fill", "masked_scatter",
    "masked_select", "nonzero", "argwhere", "take", "take_along_dim",
]


def gather(input, dim, index, *, sparse_grad=False):
    """`input.gather(dim, index)`."""
    return input.gather(dim, index, sparse_grad=sparse_grad)


def index_select(input, dim, index):
    """`input.index_select(dim, index)`."""
    return input.index_select(dim, index)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """`input.scatter(dim, index, src)` or `input.scatter(dim, index, value=...)`."""
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input, dim, index, src):
    """`input.scatter_add(dim, index, src)`."""
    return input.scatter_add(dim, index, src)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """`input.scatter_reduce(dim, index, src, reduce, include_self=...)`."""
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_add(input, dim, index, source, *, alpha=1):
    """`input.index_add(dim, index, source, alpha=...)`."""
    return input.index_add(dim, index, source, alpha=alpha)


def index_copy(input, dim, index, source):
    """`input.index_copy(dim, index, source)`."""
    return input.index_copy(dim, index, source)


def index_fill(input, dim, index, value):
    """`input.index_fill(dim, index, value)`."""
    return input.index_fill(dim, index, value)


def index_put(input, indices, values, accumulate=False):
    """`input.index_put(indices, values, accumulate)`."""
    return input.index_put(indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """`input.index_put_(indices, values, accumulate)`."""
    return input.index_put_(indices, values, accumulate)


def masked_fill(input, mask, value):
    """`input.masked_fill(mask, value)`."""
    return input.masked_fill(mask, value)


def masked_scatter(input, mask, source):
    """`input.masked_scatter(mask, source)`."""
    return input.masked_scatter(mask, source)


def masked_select(input, mask):
    """`input.masked_select(mask)`."""
    return input.masked_select(mask)


def nonzero(input, *, as_tuple=False):
    """`input.nonzero(as_tuple=...)`."""
    return input.nonzero(as_tuple=as_tuple)


def argwhere(input):
    """`input.argwhere()`."""
    return input.argwhere()


def take(input, index):
    """`input.take(index)`."""
    return input.take(index)


def take_along_dim(input, indices, dim=None):
    """`input.take_along_dim(indices, dim)`."""
    return input.take_along_dim(indices, dim)
