"""Shape composites (``tensor_split``, ``block_diag``, ``diff``, ``cross``, ...), written with
existing tensor ops only, so autograd and every device work without a kernel of their own. The
plain view methods as module functions are in `_view_functions.py`.

    >>> import ferrotorch as torch
    >>> [t.tolist() for t in torch.tensor_split(torch.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
"""
import itertools
import operator
import warnings

import numpy as np

from . import _C
from ._elementwise import _scalar_name
from ._memory_format import contiguous_format
from ._shape import _out
from ._size import Size
from ._attach import method_of
from ._dims import infer_size as _infer_size, wrap_dim as _wrap_dim
from ._view_functions import _check_tensor

__all__ = [
    "block_diag", "broadcast_shapes", "broadcast_tensors", "cartesian_prod", "combinations", "cross",
    "diagflat", "diff", "dsplit", "hsplit", "msort", "narrow_copy", "tensor_split", "tril_indices",
    "triu_indices", "vander", "vsplit",
]


def _sizes_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# ----------------------------------------------------------------------------- broadcasting


def broadcast_tensors(*tensors):
    """Views of `tensors` expanded to their common broadcast shape.

    >>> import ferrotorch as torch
    >>> a, b = torch.broadcast_tensors(torch.tensor([[1], [2]]), torch.tensor([3, 4, 5]))
    >>> a.shape, b.tolist()
    (torch.Size([2, 3]), [[3, 4, 5], [3, 4, 5]])
    """
    for i, x in enumerate(tensors):
        if not isinstance(x, _C.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    if not tensors:
        return ()
    shape = list(tensors[0].shape)
    for x in tensors[1:]:
        shape = list(_infer_size(shape, list(x.shape)))
    return tuple(x.expand(shape) for x in tensors)


def broadcast_shapes(*shapes):
    """The shape that tensors of all the given shapes broadcast to (an int counts as a 1-d shape).

    >>> import ferrotorch as torch
    >>> torch.broadcast_shapes((2,), (3, 1), (1, 1, 1))
    torch.Size([1, 3, 2])
    """
    as_tuples = []
    for shape in shapes:
        if isinstance(shape, int):
            as_tuples.append((shape,))
        elif isinstance(shape, (tuple, list)):
            as_tuples.append(tuple(shape))
        else:
            # PyTorch passes the shape as a second exception argument, so this is its exact text.
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list of ints, got ", shape)
    result = [1] * max((len(s) for s in as_tuples), default=0)
    # Which argument set each result dim, for the mismatch message.
    owner = [None] * len(result)
    for arg, shape in enumerate(as_tuples):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension ({shape[i]}): ({shape[i]})")
            if shape[i] == 1 or shape[i] == result[i]:
                continue
            if result[i] != 1:
                first = owner[i]
                raise RuntimeError(
                    "Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is between "
                    f"arg {first} with shape {as_tuples[first]} and arg {arg} with shape {shape}.")
            result[i] = shape[i]
            owner[i] = arg
    return Size(result)


# ----------------------------------------------------------------------------- splitting


def _slice_dim(input, dim, start, end):
    # at::slice's clamping: negative ends wrap once, then everything clamps into [0, size].
    size = input.shape[dim]
    start = start + size if start < 0 else start
    end = end + size if end < 0 else end
    start = min(max(start, 0), size)
    end = min(max(end, start), size)
    return input.narrow(dim, start, end - start)


def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Views of `input` split along `dim`: into `sections` near-equal parts (the first
    ``size % sections`` one longer), or at the given indices (numpy's ``array_split``).
    A 0-d or 1-d int64 CPU tensor is read as sections or indices.

    >>> import ferrotorch as torch
    >>> [p.tolist() for p in torch.tensor_split(torch.arange(7), 3)]
    [[0, 1, 2], [3, 4], [5, 6]]
    >>> [p.tolist() for p in torch.tensor_split(torch.arange(7), [1, 5])]
    [[0], [1, 2, 3, 4], [5, 6]]
    """
    _check_tensor("tensor_split", input)
    # PyTorch's three overloads name the second argument `sections`, `indices` or
    # `tensor_indices_or_sections`; each may be passed by keyword.
    given = [v for v in (indices_or_sections, sections, indices, tensor_indices_or_sections) if v is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() received an invalid combination of arguments: expected one of "
                        "sections, indices or tensor_indices_or_sections")
    indices_or_sections = given[0]
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if isinstance(indices_or_sections, _C.Tensor):
        spec = indices_or_sections
        if spec.device.type != "cpu":
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be on cpu, but it's on {spec.device}")
        if spec.dtype != _C.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_scalar_name(spec.dtype)}")
        if spec.dim() > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec.dim()} dims")
        # A CPU tensor: PyTorch reads its values on the host too.
        indices_or_sections = spec.item() if spec.dim() == 0 else spec.tolist()
    d = _wrap_dim(dim, input.dim())
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0] + [operator.index(i) for i in indices_or_sections] + [input.shape[d]]
        return tuple(_slice_dim(input, d, s, e) for s, e in zip(bounds[:-1], bounds[1:]))
    sections = operator.index(indices_or_sections)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    size = input.shape[d]
    base, extra = divmod(size, sections)
    parts, start = [], 0
    for i in range(sections):
        length = base + 1 if i < extra else base
        parts.append(input.narrow(d, start, length))
        start += length
    return tuple(parts)


def _split_along(name, input, indices_or_sections, min_dims, dim):
    _check_tensor(name, input)
    if input.dim() < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.dim()} dimensions!")
    if dim is None:
        # hsplit's dim: the columns of a matrix, the only dim of a vector.
        dim = 0 if input.dim() == 1 else 1
    if isinstance(indices_or_sections, (list, tuple)):
        return tensor_split(input, indices_or_sections, dim)
    split_size = operator.index(indices_or_sections)
    size = input.shape[dim]
    # C++'s % truncates, Python's floors; only whether the remainder is zero matters here.
    if split_size == 0 or size % split_size != 0:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{size} is not divisible by the split_size {split_size}!")
    return tensor_split(input, split_size, dim)


def hsplit(input, indices_or_sections):
    """:func:`tensor_split` along dim 1 (dim 0 for 1-d input); an int must divide that dim.

    >>> import ferrotorch as torch
    >>> [p.shape for p in torch.hsplit(torch.zeros(2, 4), 2)]
    [torch.Size([2, 2]), torch.Size([2, 2])]
    """
    return _split_along("hsplit", input, indices_or_sections, 1, None)


def vsplit(input, indices_or_sections):
    """:func:`tensor_split` along dim 0 of a tensor with at least 2 dims.

    >>> import ferrotorch as torch
    >>> [p.shape for p in torch.vsplit(torch.zeros(4, 2), [1])]
    [torch.Size([1, 2]), torch.Size([3, 2])]
    """
    return _split_along("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input, indices_or_sections):
    """:func:`tensor_split` along dim 2 of a tensor with at least 3 dims.

    >>> import ferrotorch as torch
    >>> [p.shape for p in torch.dsplit(torch.zeros(1, 2, 4), 2)]
    [torch.Size([1, 2, 2]), torch.Size([1, 2, 2])]
    """
    return _split_along("dsplit", input, indices_or_sections, 3, 2)


# ----------------------------------------------------------------------------- building


def _result_type(tensors):
    # ATen's result_type over a list: 0-d tensors only raise the dtype when they bring a higher
    # category (bool < integer < floating) than the dimensioned ones.
    dim_r = zero_r = None
    for x in tensors:
        if x.dim() == 0:
            zero_r = x.dtype if zero_r is None else _C.promote_types(zero_r, x.dtype)
        else:
            dim_r = x.dtype if dim_r is None else _C.promote_types(dim_r, x.dtype)
    if dim_r is None:
        return zero_r
    if zero_r is None or dim_r.is_floating_point:
        return dim_r
    if dim_r == _C.bool or zero_r.is_floating_point:
        return _C.promote_types(dim_r, zero_r)
    return dim_r


def block_diag(*tensors):
    """A block-diagonal matrix of the given 0-, 1- or 2-d tensors (a 1-d tensor is one row),
    with their promoted dtype.

    >>> import ferrotorch as torch
    >>> torch.block_diag(torch.tensor([[1, 2]]), torch.tensor(3)).tolist()
    [[1, 2, 0], [0, 0, 3]]
    """
    for i, x in enumerate(tensors):
        if not isinstance(x, _C.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    if not tensors:
        return _C.zeros(1, 0)
    device = tensors[0].device
    for i, x in enumerate(tensors):
        if x.device != device:
            raise RuntimeError("torch.block_diag: input tensors must all be on the same device. "
                               f"Input 0 is on device {device} and input {i} is on device {x.device}")
    for i, x in enumerate(tensors):
        if x.dim() > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {x.dim()} dimensions")
    dtype = _result_type(tensors)
    blocks = [x.reshape(1, x.numel()) if x.dim() < 2 else x for x in tensors]
    width = sum(b.shape[1] for b in blocks)
    # Each block becomes a full-width band (zeros | block | zeros); stacking the bands is the matrix,
    # and cat's backward hands each block its own gradient.
    bands, left = [], 0
    for b in blocks:
        rows, cols = b.shape
        pad_l = _C.zeros(rows, left, dtype=dtype, device=device)
        pad_r = _C.zeros(rows, width - left - cols, dtype=dtype, device=device)
        bands.append(_C.cat([pad_l, b.to(dtype), pad_r], 1))
        left += cols
    return _C.cat(bands, 0)


def _check_1d(x):
    if x.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {_sizes_str(x.shape)}")


def cartesian_prod(*tensors):
    """The cartesian product of 1-d tensors, one combination per row (``itertools.product`` order).

    >>> import ferrotorch as torch
    >>> torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    for i, x in enumerate(tensors):
        if not isinstance(x, _C.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
        _check_1d(x)
    if len(tensors) == 1:
        return tensors[0]
    grids = _C.meshgrid(*tensors, indexing="ij")
    return _C.stack([g.flatten() for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-`r` combinations of a 1-d tensor's elements, one per row (``itertools.combinations``
    order, or ``combinations_with_replacement``).

    >>> import ferrotorch as torch
    >>> torch.combinations(torch.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    _check_tensor("combinations", input)
    _check_1d(input)
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _C.empty(0, dtype=input.dtype, device=input.device)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    # The positions depend only on the length, so they are built on the host and the values are
    # gathered on the input's device (differentiable, no read-back).
    positions = [i for combo in pick(range(input.shape[0]), r) for i in combo]
    index = _C.tensor(positions, dtype=_C.int64, device=input.device)
    return input.index_select(0, index).reshape(-1, r)


def _triangle_indices(name, np_fn, row, col, offset, dtype, device, layout):
    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if layout is not None and str(layout) != "torch.strided":
        raise RuntimeError(f"only support layout=torch.strided, got{layout}")
    dtype = _C.int64 if dtype is None else dtype
    if dtype not in (_C.int32, _C.int64):
        # PyTorch builds these for its index types only.
        raise NotImplementedError(f"\"{name}\" not implemented for '{_scalar_name(dtype)}'")
    # numpy's triangle indices come in the same row-major order as PyTorch's.
    r, c = np_fn(row, offset, col)
    return _C.tensor(np.stack([r, c]).astype(np.int64), dtype=dtype, device=device)


def tril_indices(row, col, offset=0, *, dtype=_C.int64, device=None, layout=None):
    """The 2 x N coordinates of the lower triangle (``col - row <= offset``) of a row x col matrix,
    in row-major order.

    >>> import ferrotorch as torch
    >>> torch.tril_indices(3, 3).tolist()
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device, layout)


def triu_indices(row, col, offset=0, *, dtype=_C.int64, device=None, layout=None):
    """The 2 x N coordinates of the upper triangle (``col - row >= offset``) of a row x col matrix,
    in row-major order.

    >>> import ferrotorch as torch
    >>> torch.triu_indices(2, 3, 1).tolist()
    [[0, 0, 1], [1, 2, 2]]
    """
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device, layout)


def diagflat(input, offset=0):
    """A matrix with the flattened `input` on diagonal `offset` and zeros elsewhere.

    >>> import ferrotorch as torch
    >>> torch.diagflat(torch.tensor([[1, 2]])).tolist()
    [[1, 0], [0, 2]]
    """
    _check_tensor("diagflat", input)
    return input.flatten().diag(offset)


def msort(input, *, out=None):
    """`input` sorted along dim 0 (the values of ``torch.sort(input, dim=0)``).

    >>> import ferrotorch as torch
    >>> torch.msort(torch.tensor([[3, 1], [2, 4]])).tolist()
    [[2, 1], [3, 4]]
    """
    _check_tensor("msort", input)
    return _out(input.sort(dim=0).values, out)


def narrow_copy(input, dim, start, length, *, out=None):
    """A contiguous copy of ``narrow(input, dim, start, length)``.

    >>> import ferrotorch as torch
    >>> torch.narrow_copy(torch.arange(5), 0, 1, 2).tolist()
    [1, 2]
    """
    _check_tensor("narrow_copy", input)
    return _out(input.narrow(dim, start, length).clone(memory_format=contiguous_format), out)


def _check_diff_operand(input, other, dim):
    if other is None:
        return
    if other.dim() != input.dim():
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i in range(other.dim()):
        if i != dim and other.shape[i] != input.shape[i]:
            raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input except "
                               f"along the differencing dimension; input.size({i}) = {input.shape[i]}, but got "
                               f"tensor.size({i}) = {other.shape[i]}")


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """The `n`-th forward difference along `dim`, after concatenating `prepend` and `append`
    (same number of dims as `input`) on that dim. Bool tensors use xor.

    >>> import ferrotorch as torch
    >>> torch.diff(torch.tensor([1, 4, 9, 16])).tolist()
    [3, 5, 7]
    >>> torch.diff(torch.tensor([1, 4, 9]), n=2, prepend=torch.tensor([0])).tolist()
    [2, 2]
    """
    _check_tensor("diff", input)
    if input.dim() < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.dim())
    _check_diff_operand(input, prepend, d)
    _check_diff_operand(input, append, d)
    if n == 0:
        # PyTorch ignores prepend/append when n == 0 and returns a copy of the input.
        return _out(input.clone(), out)
    x = input
    if prepend is not None or append is not None:
        x = _C.cat([p for p in (prepend, input, append) if p is not None], d)
    length = x.shape[d]
    for _ in range(min(n, length)):
        length -= 1
        hi, lo = x.narrow(d, 1, length), x.narrow(d, 0, length)
        x = hi.logical_xor(lo) if x.dtype == _C.bool else hi - lo
    return _out(x, out)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-d tensor: column j is ``x ** (N - 1 - j)``, or ``x ** j`` with
    `increasing`. Integer and bool input gives int64.

    >>> import ferrotorch as torch
    >>> torch.vander(torch.tensor([1, 2, 3]), N=3).tolist()
    [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    _check_tensor("vander", x, name="x")
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    xs = x.to(_C.promote_types(x.dtype, _C.int64))
    if n == 0:
        return xs.unsqueeze(1).narrow(1, 0, 0)
    # Repeated products rather than pow or cumprod: the same values as PyTorch's cumprod, and a
    # gradient that stays finite at x == 0.
    cols = [_C.ones_like(xs), xs][:n]
    while len(cols) < n:
        cols.append(cols[-1] * xs)
    if not increasing:
        cols.reverse()
    return _C.stack(cols, 1)


_cross_dim_warned = False


def _linalg_cross(input, other, dim):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.dim())
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {other.shape[d]}")
    # Rolling by -1 and -2 lines component i up with components i+1 and i+2 (mod 3).
    a1, a2 = input.roll(-1, d), input.roll(-2, d)
    b1, b2 = other.roll(-1, d), other.roll(-2, d)
    return a1 * b2 - a2 * b1


def cross(input, other, dim=None, *, out=None):
    """The cross product of 3-vectors along `dim`, broadcasting the other dims. With ``dim=None``
    it is the first dim of size 3 (deprecated; prefer :func:`linalg.cross`).

    >>> import ferrotorch as torch
    >>> torch.cross(torch.tensor([1, 0, 0]), torch.tensor([0, 1, 0]), dim=0).tolist()
    [0, 0, 1]
    """
    global _cross_dim_warned
    _check_tensor("cross", input)
    _check_tensor("cross", other, name="other", position=2)
    if dim is None:
        if not _cross_dim_warned:
            _cross_dim_warned = True
            warnings.warn(
                "Using torch.cross without specifying the dim arg is deprecated.\n"
                "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
                "The default value of dim will change to agree with that of linalg.cross in a future release.",
                UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _out(_linalg_cross(input, other, dim), out)


# ----------------------------------------------------------------------------- Tensor methods


for _fn in (diff, cross, tensor_split, hsplit, vsplit, dsplit, msort, narrow_copy, diagflat):
    method_of(_fn)
del _fn
