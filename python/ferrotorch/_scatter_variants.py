"""Out-of-place scatters into views, index_reduce, addr and unravel_index, composed from views,
copy_, scatter_reduce and broadcasting.

The *_scatter functions are PyTorch's functional forms of "write src into a view of input": the
result is a clone of `input` with `src` copied into its view, which autograd differentiates with
respect to both tensors (the gradient of `input` is zero on the view, the gradient of `src` is the
view of the incoming gradient).

    >>> import ferrotorch as torch
    >>> torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 0, 0).tolist()
    [[1.0, 1.0], [0.0, 0.0]]
"""
from collections.abc import Sequence as _Sequence

from . import _C
from ._attach import tensor_method
from ._dims import wrap_dim as _wrap_dim
from ._elementwise import _scalar_name
from ._math_composites import _finish, _requires_tensor
from ._runtime_flags import _user_stacklevel, _warn_once

__all__ = ["addr", "diagonal_scatter", "select_scatter", "slice_scatter", "index_reduce",
           "unravel_index"]


# ----------------------------------------------------------------------------- *_scatter

def _scatter_into(name, input, src, view):
    """A copy of `input` with the elements of `view(input)` replaced by `src` (same shape as the
    view)."""
    _requires_tensor(name, 1, "input", input)
    _requires_tensor(name, 2, "src", src)
    result = input.clone()
    target = view(result)
    # Exact shapes, as PyTorch: copy_ alone would also accept a src that broadcasts to the view.
    if tuple(target.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target.shape)}")
    # copy_ into the view records CopySlices on `result`: the gradient of input is the incoming
    # one with the view zeroed, that of src the view of it (also when only src needs a gradient).
    target.copy_(src)
    return result


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` whose diagonal (as `input.diagonal(offset, dim1, dim2)`) is `src`.

        >>> import ferrotorch as torch
        >>> torch.diagonal_scatter(torch.zeros(2, 3), torch.ones(2), 1).tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    return _scatter_into("diagonal_scatter", input, src, lambda t: t.diagonal(offset, dim1, dim2))


def select_scatter(input, src, dim, index):
    """A copy of `input` whose slice `input.select(dim, index)` is `src`.

        >>> import ferrotorch as torch
        >>> torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 1, -1).tolist()
        [[0.0, 1.0], [0.0, 1.0]]
    """
    _requires_tensor("select_scatter", 1, "input", input)
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d] if input.dim() else 1
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    return _scatter_into("select_scatter", input, src, lambda t: t.select(d, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of `input` whose slice `start:end:step` along `dim` is `src` (Python slice clamping).

        >>> import ferrotorch as torch
        >>> torch.slice_scatter(torch.zeros(4), torch.ones(2), 0, 0, None, 2).tolist()
        [1.0, 0.0, 1.0, 0.0]
    """
    _requires_tensor("slice_scatter", 1, "input", input)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = _wrap_dim(dim, input.dim())
    return _scatter_into("slice_scatter", input, src,
                         lambda t: t[(slice(None),) * d + (slice(start, end, step),)])


# ----------------------------------------------------------------------------- index_reduce

_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """Reduces the slices of `source` along `dim` into the slices of `input` chosen by `index`
    (`input[..., index[i], ...]` combines with `source[..., i, ...]`), with "prod", "mean",
    "amax" or "amin"; `include_self=False` leaves the old values of reduced slices out.

        >>> import ferrotorch as torch
        >>> x = torch.ones(3)
        >>> torch.index_reduce(x, 0, torch.tensor([0, 0, 2]), torch.tensor([2.0, 3.0, 4.0]), "prod").tolist()
        [6.0, 1.0, 4.0]
    """
    _warn_once("index_reduce_beta", "index_reduce() is in beta and the API may change at any time.",
               stacklevel=_user_stacklevel())
    _requires_tensor("index_reduce", 1, "input", input)
    _requires_tensor("index_reduce", 3, "index", index)
    _requires_tensor("index_reduce", 4, "source", source)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    d = _wrap_dim(dim, input.dim())
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index.dtype not in (_C.int64, _C.int32):
        raise IndexError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                         f"{_scalar_name(index.dtype)}")
    if input.dtype != source.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_scalar_name(input.dtype)}) and source "
                           f"({_scalar_name(source.dtype)}) must have the same scalar type")
    if input.dim() != source.dim() and input.dim() > 0 and source.dim() > 0:
        raise IndexError(f"index_reduce_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.dim()}), "
                         f"destination dimensionality ({input.dim()})")
    n = source.shape[d] if source.dim() else 1
    if index.numel() != n:
        raise IndexError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                         f"source.size(dim) ({n})")
    for i in range(input.dim()):
        if i != d and input.shape[i] != source.shape[i]:
            raise IndexError(f"index_reduce_(): Source/destination tensor must have same slice "
                             f"shapes. Destination slice shape: {list(input.shape)} at dimension "
                             f"{i} and source slice shape: {list(source.shape)} at dimension {i}.")
    size = input.shape[d] if input.dim() else 1
    # Unlike Python indexing, negative indices are out of range here, as in PyTorch.
    if index.numel() and not bool(((index >= 0) & (index < size)).all().item()):
        raise IndexError("index out of range in self")
    # scatter_reduce takes one index per source element: repeat index along the other dims.
    idx = index.to(_C.int64)
    if input.dim() == 0:
        x, src, idx = input.reshape(1), source.reshape(1), idx.reshape(1)
    else:
        x, src = input, source
        idx = idx.reshape([-1 if i == d else 1 for i in range(x.dim())]).expand(src.shape)
    result = x.scatter_reduce(d, idx, src, reduce, include_self=include_self)
    return _finish(result.reshape(()) if input.dim() == 0 else result, out)


def _index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return self.copy_(index_reduce(self, dim, index, source, reduce, include_self=include_self))


# ----------------------------------------------------------------------------- addr

def _check_scalar(name, value, dtype):
    if dtype == _C.bool:
        if not isinstance(value, bool) and value not in (0, 1):
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    elif not dtype.is_floating_point and isinstance(value, float):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating "
                           f"point number.")


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2), with `input` broadcast to (len(vec1), len(vec2)).
    With beta == 0 the values of `input` are ignored (NaN and inf in it do not propagate).

        >>> import ferrotorch as torch
        >>> torch.addr(torch.ones(2, 2), torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), beta=2).tolist()
        [[5.0, 6.0], [8.0, 10.0]]
    """
    _requires_tensor("addr", 1, "input", input)
    _requires_tensor("addr", 2, "vec1", vec1)
    _requires_tensor("addr", 3, "vec2", vec2)
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    # result_type of three tensors: the vectors' common dtype stands in as one (1-D) operand, so a
    # 0-d input keeps its lower priority in the promotion.
    vecs = _C.empty(0, dtype=_C.promote_types(vec1.dtype, vec2.dtype))
    dtype = _C.result_type(input, vecs)
    _check_scalar("beta", beta, dtype)
    _check_scalar("alpha", alpha, dtype)
    a, b = vec1.to(dtype), vec2.to(dtype)
    shape = (a.shape[0], b.shape[0])
    base = input.to(dtype).expand(shape)
    if dtype == _C.bool:
        outer = a.unsqueeze(1) & b
        result = (outer if alpha else _C.zeros(shape, dtype=dtype, device=a.device))
        return _finish(result | base if beta else result, out)
    outer = a.unsqueeze(1) * b
    if alpha != 1:
        outer = outer * alpha
    if beta == 0:
        return _finish(outer, out)
    return _finish(base + outer if beta == 1 else base * beta + outer, out)


def _addr_(self, vec1, vec2, *, beta=1, alpha=1):
    result = addr(self, vec1, vec2, beta=beta, alpha=alpha)
    if tuple(result.shape) != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    return self.copy_(result)


# ----------------------------------------------------------------------------- unravel_index

def unravel_index(indices, shape):
    """Converts flat indices into a tuple of coordinate tensors for a tensor of `shape`
    (row-major). Indices outside [0, prod(shape)) wrap around, as in Python's floor modulo.

        >>> import ferrotorch as torch
        >>> [t.tolist() for t in torch.unravel_index(torch.tensor([5, 7]), (2, 4))]
        [[1, 1], [1, 3]]
    """
    if not isinstance(indices, _C.Tensor):
        raise TypeError(f"unravel_index(): argument 'indices' (position 1) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.dtype == _C.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    elif not isinstance(shape, _Sequence) or isinstance(shape, str):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for s in shape:
        if not isinstance(s, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    shape = tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    rest = indices.to(_C.int64)
    coords = []
    # Peel dims from the last: coordinate = rest mod size, then rest //= size.
    for s in reversed(shape):
        coords.append(rest.remainder(s) if s else rest * 0)
        rest = rest.floor_divide(s) if s else rest * 0
    return tuple(reversed(coords))


tensor_method(lambda self, *a, **k: addr(self, *a, **k), "addr")
tensor_method(_addr_, "addr_")
tensor_method(lambda self, *a, **k: diagonal_scatter(self, *a, **k), "diagonal_scatter")
tensor_method(lambda self, *a, **k: select_scatter(self, *a, **k), "select_scatter")
tensor_method(lambda self, *a, **k: slice_scatter(self, *a, **k), "slice_scatter")
tensor_method(lambda self, *a, **k: index_reduce(self, *a, **k), "index_reduce")
tensor_method(_index_reduce_, "index_reduce_")
for _name in ("addr", "diagonal_scatter", "select_scatter", "slice_scatter", "index_reduce"):
    getattr(_C.Tensor, _name).__doc__ = globals()[_name].__doc__
