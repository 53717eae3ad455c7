"""Module-level forms of the view and shape methods (``torch.reshape(x, ...)`` is
``x.reshape(...)``): the ops are Rust methods, these give them PyTorch's free-function
signatures and its TypeError for a non-tensor input.

    >>> import ferrotorch as torch
    >>> x = torch.arange(6).reshape(2, 3)
    >>> torch.transpose(x, 0, 1).tolist()
    [[0, 3], [1, 4], [2, 5]]
"""
from . import _C

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
