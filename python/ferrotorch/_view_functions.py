"""Module-level forms of the view and shape methods (``torch.reshape(x, ...)`` is
``x.reshape(...)``): the ops are Rust methods, these give them PyTorch's free-function
signatures and its TypeError for a non-tensor input. Also the ``*_copy`` forms of the views
(a contiguous copy of what the view would show, as PyTorch's functionalization produces) and
``split_with_sizes`` / the ``unsafe_*`` splits.

    >>> import ferrotorch as torch
    >>> x = torch.arange(6).reshape(2, 3)
    >>> torch.transpose(x, 0, 1).tolist()
    [[0, 3], [1, 4], [2, 5]]
"""
from . import _C
from ._attach import tensor_method
from ._memory_format import contiguous_format

__all__ = [
    "as_strided",
    "broadcast_to",
    "chunk",
    "clone",
    "diagonal",
    "flatten",
    "moveaxis",
    "movedim",
    "narrow",
    "permute",
    "ravel",
    "reshape",
    "select",
    "split",
    "squeeze",
    "swapaxes",
    "swapdims",
    "t",
    "transpose",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view_copy", "permute_copy", "expand_copy", "transpose_copy", "t_copy", "squeeze_copy",
    "unsqueeze_copy", "select_copy", "diagonal_copy", "detach_copy", "alias_copy", "as_strided_copy",
    "unbind_copy", "unfold_copy", "split_copy", "split_with_sizes", "split_with_sizes_copy",
    "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "slice_copy",
]


def _check_tensor(fname, value, name="input", position=1):
    # PyTorch's argument parser rejects non-tensors with a TypeError; without this check a list
    # would surface as an AttributeError from the method lookup.
    if not isinstance(value, _C.Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


# ----------------------------------------------------------------------------- views as functions


def reshape(input, shape):
    """A tensor with `input`'s data and the given shape (a view when the strides allow).

    >>> import ferrotorch as torch
    >>> torch.reshape(torch.arange(4), (2, -1)).tolist()
    [[0, 1], [2, 3]]
    """
    _check_tensor("reshape", input)
    return input.reshape(shape)


def permute(input, dims):
    """A view with the dimensions reordered as `dims`.

    >>> import ferrotorch as torch
    >>> torch.permute(torch.zeros(2, 3, 4), (2, 0, 1)).shape
    torch.Size([4, 2, 3])
    """
    _check_tensor("permute", input)
    return input.permute(dims)


def transpose(input, dim0, dim1):
    """A view with `dim0` and `dim1` swapped.

    >>> import ferrotorch as torch
    >>> torch.transpose(torch.zeros(2, 3), 0, 1).shape
    torch.Size([3, 2])
    """
    _check_tensor("transpose", input)
    return input.transpose(dim0, dim1)


def swapaxes(input, axis0, axis1):
    """Alias of :func:`transpose` (numpy's name).

    >>> import ferrotorch as torch
    >>> torch.swapaxes(torch.zeros(2, 3), 0, 1).shape
    torch.Size([3, 2])
    """
    _check_tensor("swapaxes", input)
    return input.swapaxes(axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of :func:`transpose`.

    >>> import ferrotorch as torch
    >>> torch.swapdims(torch.zeros(2, 3), 0, 1).shape
    torch.Size([3, 2])
    """
    _check_tensor("swapdims", input)
    return input.swapdims(dim0, dim1)


def movedim(input, source, destination):
    """A view with the dims in `source` moved to the positions in `destination`.

    >>> import ferrotorch as torch
    >>> torch.movedim(torch.zeros(2, 3, 4), 0, -1).shape
    torch.Size([3, 4, 2])
    """
    _check_tensor("movedim", input)
    return input.movedim(source, destination)


def moveaxis(input, source, destination):
    """Alias of :func:`movedim` (numpy's name).

    >>> import ferrotorch as torch
    >>> torch.moveaxis(torch.zeros(2, 3, 4), (0, 1), (1, 2)).shape
    torch.Size([4, 2, 3])
    """
    _check_tensor("moveaxis", input)
    return input.moveaxis(source, destination)


def squeeze(input, dim=None):
    """A view without the size-1 dims (all of them, or those in `dim`).

    >>> import ferrotorch as torch
    >>> torch.squeeze(torch.zeros(1, 2, 1)).shape
    torch.Size([2])
    """
    _check_tensor("squeeze", input)
    return input.squeeze(dim)


def unsqueeze(input, dim):
    """A view with a size-1 dim inserted at `dim`.

    >>> import ferrotorch as torch
    >>> torch.unsqueeze(torch.zeros(2), 1).shape
    torch.Size([2, 1])
    """
    _check_tensor("unsqueeze", input)
    return input.unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1):
    """Dims `start_dim` through `end_dim` merged into one.

    >>> import ferrotorch as torch
    >>> torch.flatten(torch.zeros(2, 3, 4), 1).shape
    torch.Size([2, 12])
    """
    _check_tensor("flatten", input)
    return input.flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Dim `dim` split into `sizes` (one entry may be -1).

    >>> import ferrotorch as torch
    >>> torch.unflatten(torch.zeros(2, 6), 1, (3, -1)).shape
    torch.Size([2, 3, 2])
    """
    _check_tensor("unflatten", input)
    return input.unflatten(dim, sizes)


def ravel(input):
    """The elements as a 1-D tensor (a view when `input` is contiguous).

    >>> import ferrotorch as torch
    >>> torch.ravel(torch.tensor([[1, 2], [3, 4]]).t()).tolist()
    [1, 3, 2, 4]
    """
    _check_tensor("ravel", input)
    return input.ravel()


def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along `dim`; `start` may be a 0-d int tensor.

    >>> import ferrotorch as torch
    >>> torch.narrow(torch.arange(6), 0, 2, 3).tolist()
    [2, 3, 4]
    """
    _check_tensor("narrow", input)
    if isinstance(start, _C.Tensor) and (start.dim() != 0 or start.is_floating_point() or start.dtype == _C.bool):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    return input.narrow(dim, start, length)


def select(input, dim, index):
    """The view at `index` along `dim`, with that dim removed.

    >>> import ferrotorch as torch
    >>> torch.select(torch.tensor([[1, 2], [3, 4]]), 1, 0).tolist()
    [1, 3]
    """
    _check_tensor("select", input)
    return input.select(dim, index)


def split(tensor, split_size_or_sections, dim=0):
    """Views of equal `split_size` chunks (the last may be smaller), or of the given sizes.

    >>> import ferrotorch as torch
    >>> [p.tolist() for p in torch.split(torch.arange(5), [1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """At most `chunks` views of equal size (ceil division) along `dim`.

    >>> import ferrotorch as torch
    >>> [p.tolist() for p in torch.chunk(torch.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    _check_tensor("chunk", input)
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    """A tuple of all slices along `dim`, each without that dim.

    >>> import ferrotorch as torch
    >>> [p.tolist() for p in torch.unbind(torch.tensor([[1, 2], [3, 4]]), 1)]
    [[1, 3], [2, 4]]
    """
    _check_tensor("unbind", input)
    return input.unbind(dim)


def t(input):
    """The transpose of a matrix; 0-d and 1-d tensors are returned as they are (as views).

    >>> import ferrotorch as torch
    >>> torch.t(torch.tensor([[1, 2]])).tolist()
    [[1], [2]]
    """
    _check_tensor("t", input)
    return input.t()


def clone(input, *, memory_format=None):
    """A copy of `input` that autograd connects to it. ``memory_format=None`` is PyTorch's
    ``torch.preserve_format``.

    >>> import ferrotorch as torch
    >>> torch.clone(torch.tensor([1, 2])).tolist()
    [1, 2]
    """
    _check_tensor("clone", input)
    return input.clone(memory_format=memory_format)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal at `offset` over `dim1` and `dim2`, appended as the last dim.

    >>> import ferrotorch as torch
    >>> torch.diagonal(torch.tensor([[1, 2], [3, 4]]), 1).tolist()
    [2]
    """
    _check_tensor("diagonal", input)
    return input.diagonal(offset, dim1, dim2)


def as_strided(input, size, stride, storage_offset=None):
    """A view of `input`'s storage with the given size, strides and offset.

    >>> import ferrotorch as torch
    >>> torch.as_strided(torch.arange(4), (2, 2), (1, 1)).tolist()
    [[0, 1], [1, 2]]
    """
    _check_tensor("as_strided", input)
    return input.as_strided(size, stride, storage_offset)


def broadcast_to(input, size):
    """A view of `input` expanded to `size` (broadcasting rules; -1 keeps a dim).

    >>> import ferrotorch as torch
    >>> torch.broadcast_to(torch.tensor([1, 2]), (2, 2)).tolist()
    [[1, 2], [1, 2]]
    """
    _check_tensor("broadcast_to", input)
    return input.broadcast_to(size)


# ----------------------------------------------------------------------------- split variants


def split_with_sizes(input, split_sizes, dim=0):
    """Views of `input` along `dim` with the given sizes, which must add up to the dim's size.

    >>> import ferrotorch as torch
    >>> [p.tolist() for p in torch.split_with_sizes(torch.arange(5), [2, 3])]
    [[0, 1], [2, 3, 4]]
    """
    _check_tensor("split_with_sizes", input)
    if input.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    sizes = [int(s) for s in split_sizes]
    size = input.shape[dim]
    d = dim + input.dim() if dim < 0 else dim
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                           f"at dimension {d}), but got split_sizes={sizes}")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    return input.split(sizes, dim)


def unsafe_chunk(input, chunks, dim=0):
    """`chunk` (PyTorch's variant skips a view check that ferrotorch does not make)."""
    return chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):
    """`split` with an int `split_size` (PyTorch's variant skips a view check)."""
    _check_tensor("unsafe_split", input)
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """`split_with_sizes` (PyTorch's variant skips a view check)."""
    return split_with_sizes(input, split_sizes, dim)


for _fn in (split_with_sizes, unsafe_chunk, unsafe_split, unsafe_split_with_sizes):
    tensor_method(lambda self, *a, _f=_fn, **k: _f(self, *a, **k), _fn.__name__).__doc__ = _fn.__doc__


# ----------------------------------------------------------------------------- copies of views


def _copy(name, result, out):
    """A fresh contiguous copy of the view `result` (autograd flows through the clone), or
    written into `out`."""
    fresh = lambda r: r.clone(memory_format=contiguous_format)  # noqa: E731
    result = tuple(fresh(r) for r in result) if isinstance(result, tuple) else fresh(result)
    if out is None:
        return result
    if isinstance(result, tuple):
        for o, r in zip(out, result):
            o.copy_(r) if tuple(o.shape) == tuple(r.shape) else o._set_from(r)
        return out
    out.copy_(result) if tuple(out.shape) == tuple(result.shape) else out._set_from(result)
    return out


def view_copy(input, size, *, out=None):
    """A copy of ``input.view(size)`` (non-contiguous inputs are accepted, as by PyTorch).

    >>> import ferrotorch as torch
    >>> torch.view_copy(torch.arange(4), (2, 2)).tolist()
    [[0, 1], [2, 3]]
    """
    _check_tensor("view_copy", input)
    return _copy("view_copy", input.reshape(size), out)


def permute_copy(input, dims, *, out=None):
    """A copy of ``input.permute(dims)``."""
    _check_tensor("permute_copy", input)
    return _copy("permute_copy", input.permute(dims), out)


def expand_copy(input, size, *, implicit=False, out=None):
    """A copy of ``input.expand(size)`` (every element materialised)."""
    _check_tensor("expand_copy", input)
    return _copy("expand_copy", input.expand(size), out)


def transpose_copy(input, dim0, dim1, *, out=None):
    """A copy of ``input.transpose(dim0, dim1)``."""
    _check_tensor("transpose_copy", input)
    return _copy("transpose_copy", input.transpose(dim0, dim1), out)


def t_copy(input, *, out=None):
    """A copy of ``input.t()``."""
    _check_tensor("t_copy", input)
    return _copy("t_copy", input.t(), out)


def squeeze_copy(input, dim=None, *, out=None):
    """A copy of ``input.squeeze(dim)``."""
    _check_tensor("squeeze_copy", input)
    return _copy("squeeze_copy", input.squeeze() if dim is None else input.squeeze(dim), out)


def unsqueeze_copy(input, dim, *, out=None):
    """A copy of ``input.unsqueeze(dim)``."""
    _check_tensor("unsqueeze_copy", input)
    return _copy("unsqueeze_copy", input.unsqueeze(dim), out)


def select_copy(input, dim, index, *, out=None):
    """A copy of ``input.select(dim, index)``."""
    _check_tensor("select_copy", input)
    return _copy("select_copy", input.select(dim, index), out)


def diagonal_copy(input, offset=0, dim1=0, dim2=1, *, out=None):
    """A copy of ``input.diagonal(offset, dim1, dim2)``."""
    _check_tensor("diagonal_copy", input)
    return _copy("diagonal_copy", input.diagonal(offset, dim1, dim2), out)


def detach_copy(input, *, out=None):
    """A copy of ``input.detach()``: new memory, no autograd history."""
    _check_tensor("detach_copy", input)
    return _copy("detach_copy", input.detach(), out)


def alias_copy(input, *, out=None):
    """A copy of `input` (PyTorch's copy of an alias view)."""
    _check_tensor("alias_copy", input)
    return _copy("alias_copy", input, out)


def as_strided_copy(input, size, stride, storage_offset=None, *, out=None):
    """A copy of ``input.as_strided(size, stride, storage_offset)``."""
    _check_tensor("as_strided_copy", input)
    return _copy("as_strided_copy", input.as_strided(size, stride, storage_offset), out)


def unbind_copy(input, dim=0, *, out=None):
    """Copies of the slices of ``input.unbind(dim)``."""
    _check_tensor("unbind_copy", input)
    return _copy("unbind_copy", input.unbind(dim), out)


def unfold_copy(input, dimension, size, step, *, out=None):
    """A copy of ``input.unfold(dimension, size, step)``."""
    _check_tensor("unfold_copy", input)
    return _copy("unfold_copy", input.unfold(dimension, size, step), out)


def split_copy(input, split_size, dim=0, *, out=None):
    """Copies of the parts of ``input.split(split_size, dim)``."""
    _check_tensor("split_copy", input)
    return _copy("split_copy", tuple(input.split(split_size, dim)), out)


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    """Copies of the parts of ``split_with_sizes(input, split_sizes, dim)``."""
    return _copy("split_with_sizes_copy", tuple(split_with_sizes(input, split_sizes, dim)), out)


def slice_copy(input, dim=0, start=None, end=None, step=1, *, out=None):
    """A copy of ``input[..., start:end:step]`` along `dim`."""
    _check_tensor("slice_copy", input)
    d = dim + input.dim() if dim < 0 else dim
    index = (slice(None),) * d + (slice(start, end, step),)
    return _copy("slice_copy", input[index], out)
