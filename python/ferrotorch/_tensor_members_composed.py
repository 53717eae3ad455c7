"""Tensor members and torch-level functions PyTorch has and ferrotorch lacked, each composed from
existing ops: the in-place BLAS variants (`addmv_`, `addbmm_`), `conj_physical_`,
`as_strided_scatter`, the deprecated out-of-place `resize` / `resize_as`, the legacy constructor
`Tensor.new`, `set_`, `as_subclass`, and the function forms `torch.detach`, `torch.fill`,
`torch.put`, `torch.is_signed`, `torch.empty_permuted`.

Ops that need no kernel of their own live here rather than in Rust: each is a few lines over
ops that already handle devices, dtypes and autograd.

    >>> import ferrotorch as torch
    >>> torch.as_strided_scatter(torch.zeros(4), torch.ones(2), (2,), (2,)).tolist()
    [1.0, 0.0, 1.0, 0.0]
"""
import builtins
import math
import numbers
import warnings

from . import _C
from ._attach import method_of, tensor_method
from ._math_composites import _inplace
from ._size import Size
from ._tensor_methods import _size

__all__ = ["addmv_", "conj_physical_", "as_strided_scatter", "as_strided_", "detach", "detach_", "fill",
           "put", "is_signed", "empty_permuted"]


# ----------------------------------------------------------------------------- in-place BLAS ops

def _check_inplace_shape(self, result_shape):
    """PyTorch checks the in-place output's shape before computing (no broadcasting of `self`)."""
    if tuple(self.shape) != tuple(result_shape):
        raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and output tensor size "
                           f"{list(result_shape)} should match")


_addmv_inplace = _inplace(_C.Tensor.addmv, "addmv_")
_addbmm_inplace = _inplace(_C.Tensor.addbmm, "addbmm_")


def addmv_(input, mat, vec, *, beta=1, alpha=1):
    """In-place `addmv`: input = beta * input + alpha * (mat @ vec)."""
    if mat.dim() == 2:
        _check_inplace_shape(input, (mat.shape[0],))
    return _addmv_inplace(input, mat, vec, beta=beta, alpha=alpha)


@tensor_method
def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """In-place `addbmm`: self = beta * self + alpha * sum_b(batch1[b] @ batch2[b])."""
    if batch1.dim() == 3 and batch2.dim() == 3:
        _check_inplace_shape(self, (batch1.shape[1], batch2.shape[2]))
    return _addbmm_inplace(self, batch1, batch2, beta=beta, alpha=alpha)


method_of(addmv_)


def conj_physical_(input):
    """In-place `conj_physical`: negates the imaginary part of a complex tensor; real tensors
    are their own conjugate."""
    if input.is_complex():
        input.copy_(input.conj())
    return input


method_of(conj_physical_)


# ----------------------------------------------------------------------------- strided views

def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of `input` (fresh memory) whose elements at `input.as_strided(size, stride,
    storage_offset)` are replaced by `src`."""
    size, stride = tuple(size), tuple(stride)
    memory = _memory_copy(input)  # size/stride index input's own memory layout, as PyTorch's
    window = memory.as_strided(size, stride, 0 if storage_offset is None else storage_offset)
    if tuple(src.shape) != tuple(window.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(window.shape)}")
    window.copy_(src)
    return memory.as_strided(tuple(input.shape), tuple(input.stride()), 0)


def _memory_copy(input):
    """A flat copy of the span of memory `input`'s strides cover, from its first element."""
    span = 0 if input.numel() == 0 else 1 + builtins.sum((n - 1) * st for n, st in zip(input.shape, input.stride()))
    return input.as_strided((span,), (1,), input.storage_offset()).clone()


method_of(as_strided_scatter)


def as_strided_(input, size, stride, storage_offset=None):
    """`torch.as_strided_`: the function form of `Tensor.as_strided_`."""
    return input.as_strided_(size, stride, storage_offset)


# ----------------------------------------------------------------------------- deprecated resize

def _resize(self, *sizes):
    """Deprecated out-of-place resize: `self` viewed with a new shape of the same element count."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    sizes = _size(sizes)
    numel = math.prod(sizes)
    if numel != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements in total), but the "
                           f"given tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                           "autograd's resize can only change the shape of a given tensor, while preserving the "
                           "number of elements. ")
    return self.contiguous().view(sizes)


def _resize_as(self, tensor):
    """Deprecated out-of-place resize to `tensor`'s shape."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _resize(self, tuple(tensor.shape))


tensor_method(_resize, "resize")
tensor_method(_resize_as, "resize_as")


# ----------------------------------------------------------------------------- legacy constructor

def _new(self, *args, device=None, **kwargs):
    """Legacy `x.new(...)`: a tensor of `self`'s dtype (and device unless given): `new()` is empty,
    `new(2, 3)` / `new(torch.Size(...))` uninitialised of that shape, `new([1, 2])` / `new((1, 2))`
    from data, `new(tensor)` an alias of a tensor of the same dtype."""
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got unexpected keyword "
                        f"'{next(iter(kwargs))}'")
    device = self.device if device is None else device
    if not args:
        return _C.empty(0, dtype=self.dtype, device=device)
    if len(args) == 1:
        (arg,) = args
        if isinstance(arg, _C.Tensor):
            # PyTorch compares the device type only: device="gpu" matches a tensor on gpu:0.
            if arg.dtype != self.dtype or arg.device.type != _C.device(device).type:
                raise TypeError(f"expected {self.dtype} on {device} (got {arg.dtype} on {arg.device})")
            return arg.view_as(arg)  # an alias, history included, as PyTorch's
        if isinstance(arg, Size):
            return _C.empty(tuple(arg), dtype=self.dtype, device=device)
        if isinstance(arg, (list, tuple)):
            return _C.tensor(arg, dtype=self.dtype, device=device)
        if not isinstance(arg, numbers.Integral):
            raise TypeError(f"new(): data must be a sequence (got {type(arg).__name__})")
    if not all(isinstance(a, numbers.Integral) for a in args):
        raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element of type "
                        f"{next(type(a).__name__ for a in args if not isinstance(a, numbers.Integral))}")
    if any(a < 0 for a in args):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(args)}: {list(args)}")
    return _C.empty(tuple(args), dtype=self.dtype, device=device)


tensor_method(_new, "new")


# ----------------------------------------------------------------------------- aliasing

def _dtype_word(dtype):
    """The C type name PyTorch's set_ error uses ("float", "long int", ...)."""
    return {_C.float32: "float", _C.float64: "double", _C.int64: "long int", _C.int32: "int",
            _C.int16: "short int", _C.int8: "signed char", _C.uint8: "unsigned char",
            _C.bool: "bool"}.get(dtype, str(dtype).replace("torch.", ""))


def _set_(self, source=None, storage_offset=None, size=None, stride=None):
    """Makes `self` share `source`'s memory, shape and strides (or, given `storage_offset`, `size`
    and `stride`, that strided window of `source`'s memory); `set_()` makes it empty. `source` may
    also be a storage object (see `storage.py`)."""
    from .storage import TypedStorage, UntypedStorage, _storage_as_set_source  # storage.py imports this module
    if isinstance(source, (TypedStorage, UntypedStorage)):
        source, storage_offset, size, stride = _storage_as_set_source(self, source, storage_offset, size, stride)
    if source is not None and not isinstance(source, _C.Tensor):
        raise TypeError(f"set_() received an invalid combination of arguments - got ({type(source).__name__}), "
                        "but expected one of:\n * ()\n * (Tensor source)\n"
                        " * (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride = None)")
    if self.requires_grad and self.is_leaf and _C.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if source is None:
        self._set_from(_C.empty(0, dtype=self.dtype, device=self.device))
        return self
    if source.dtype != self.dtype:
        raise RuntimeError(f"Could not set tensor of type {_dtype_word(source.dtype)} to a tensor of type "
                           f"{_dtype_word(self.dtype)}")
    if storage_offset is not None:
        if size is None:
            raise TypeError("set_(): argument 'size' must be given with 'storage_offset'")
        size = tuple(size)
        if stride is None:  # contiguous strides for `size`
            stride, step = [], 1
            for s in reversed(size):
                stride.insert(0, step)
                step *= builtins.max(s, 1)
        # The offset counts from source's own first element, as PyTorch's set_ does.
        source = source.as_strided(size, tuple(stride), source.storage_offset() + storage_offset)
    self._set_from(source)
    return self


tensor_method(_set_, "set_")


def _as_subclass(self, cls):
    """`self` as an instance of the Tensor subclass `cls`: same memory, same autograd history."""
    if not (isinstance(cls, type) and issubclass(cls, _C.Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    out = _C.Tensor.__new__(cls)
    out._set_from(self)
    return out


tensor_method(_as_subclass, "as_subclass")


# ----------------------------------------------------------------------------- function forms

def _require_tensor(name, value):
    if not isinstance(value, _C.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}")


def is_signed(input):
    """Whether `input`'s dtype is a signed type."""
    _require_tensor("is_signed", input)
    return input.is_signed()


def detach(input):
    """A tensor sharing `input`'s memory, outside the autograd graph."""
    _require_tensor("detach", input)
    return input.detach()


def detach_(input):
    """Detaches `input` from the graph in place."""
    _require_tensor("detach_", input)
    return input.detach_()


def fill(input, value):
    """A new tensor of `input`'s shape, dtype and device with every element `value` (a number or a
    0-d tensor, through which gradients flow)."""
    _require_tensor("fill", input)
    if isinstance(value, _C.Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
                               "dimensions.")
        everywhere = _C.ones(input.shape, dtype=_C.bool, device=input.device)
        # where() routes the gradient to `value` (summed) and zeros to `input`, as PyTorch's fill.
        return _C.where(everywhere, value.to(device=input.device, dtype=input.dtype), input)
    if not isinstance(value, numbers.Number):
        raise TypeError(f"fill() received an invalid combination of arguments - got (Tensor, {type(value).__name__}), "
                        "but expected one of:\n * (Tensor input, Tensor value)\n * (Tensor input, Number value)")
    return input.clone().fill_(value)


def put(input, index, source, accumulate=False):
    """Out-of-place `put_`: a copy of `input` with `source` written at the flat positions `index`."""
    _require_tensor("put", input)
    return input.put(index, source, accumulate=accumulate)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialised dense tensor of `size` whose dims lie in memory in the order
    `physical_layout` (outermost first): `empty_permuted((2, 3, 4), (0, 2, 1))` has strides (12, 1, 3)."""
    size, physical_layout = tuple(size), tuple(physical_layout)
    if len(size) != len(physical_layout):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(physical_layout)}")
    seen = set()
    for i, d in enumerate(physical_layout):
        if not 0 <= d < len(size):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and {len(size) - 1}, but got {d} "
                               f"at index {i}).  NB: negative dims not currently supported; file an issue if you "
                               "want it.")
        if d in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(d)
    # Allocate in physical order, then permute back to the logical order.
    physical = _C.empty(tuple(size[d] for d in physical_layout), dtype=dtype, device=device)
    inverse = [0] * len(size)
    for position, d in enumerate(physical_layout):
        inverse[d] = position
    return physical.permute(inverse).requires_grad_(requires_grad)
