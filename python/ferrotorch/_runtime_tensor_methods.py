"""Tensor functions and methods about storage and streams: `nonzero_static`, `resize_as_` (the
function form of the method), `Tensor.new_empty_strided`, `is_shared` / `share_memory_` and
`record_stream`. The ops are composed from ferrotorch's own, so they run on both devices.

What sharing means here: ferrotorch's storage lives in the Rust core and cannot be moved into
shared memory, and tensors reach other processes by value (`torch.multiprocessing` pickles a copy).
So no tensor is ever shared: `is_shared()` is False, and `share_memory_()` leaves the tensor as it
is and warns (once per process, every time under `torch.set_warn_always(True)`) that a child's
in-place writes will not reach the parent.

    >>> import ferrotorch as torch
    >>> torch.nonzero_static(torch.tensor([0, 3, 5]), size=3).tolist()
    [[1], [2], [-1]]
    >>> torch.ones(2).is_shared()
    False
"""
from . import _C
from ._attach import method_of, tensor_method

__all__ = ["nonzero_static", "resize_as_"]

_MISSING = object()


def _type_name(obj):
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _require_int(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{fn}(): argument '{name}' must be int, not {_type_name(value)}")


def nonzero_static(input, *, size=_MISSING, fill_value=-1):
    """The indices of the non-zero elements of `input` as `torch.nonzero` gives them, cut or
    padded with rows of `fill_value` to exactly `size` rows: a shape known before the values.

        >>> import ferrotorch as torch
        >>> torch.nonzero_static(torch.tensor([[1, 0], [0, 3]]), size=3, fill_value=7).tolist()
        [[0, 0], [1, 1], [7, 7]]
    """
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"nonzero_static(): argument 'input' (position 1) must be Tensor, not {_type_name(input)}")
    if size is _MISSING:
        raise TypeError('nonzero_static() missing 1 required positional arguments: "size"')
    _require_int("nonzero_static", "size", size)
    _require_int("nonzero_static", "fill_value", fill_value)
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    ndim = input.dim()
    if ndim == 0:
        # PyTorch's answer for a scalar: `size` rows of no coordinates, whatever the value.
        return _C.zeros((size, 0), dtype=_C.int64, device=input.device)
    found = input.nonzero()
    count = found.shape[0]
    if count >= size:
        return found[:size].contiguous()
    padding = _C.full((size - count, ndim), fill_value, dtype=_C.int64, device=input.device)
    return _C.cat([found, padding])


method_of(nonzero_static)


def resize_as_(input, the_template, *, memory_format=None):
    """`input.resize_as_(the_template)`: resizes `input` in place to `the_template`'s shape."""
    return input.resize_as_(the_template, memory_format)


@tensor_method
def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False,
                      requires_grad=False):
    """A tensor of `size` and `stride` with `self`'s dtype and device unless given; contents
    unspecified.

        >>> import ferrotorch as torch
        >>> torch.ones(2, dtype=torch.float64).new_empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    # The storage those strides reach, viewed with them (as PyTorch's empty_strided allocates it);
    # composed here because the GPU's empty_strided returns a contiguous tensor.
    storage = 0 if 0 in size else 1 + sum((n - 1) * st for n, st in zip(size, stride))
    flat = _C.empty(storage, dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device)
    out = flat.as_strided(size, stride)
    return out.requires_grad_(True) if requires_grad else out


@tensor_method
def is_shared(self):
    """Whether the storage is in shared memory: never, in ferrotorch (see the module's notes)."""
    return False


@tensor_method
def share_memory_(self):
    """Returns the tensor unchanged: ferrotorch cannot move storage into shared memory, and
    processes receive copies of tensors (warns once; see the module's notes)."""
    from ._runtime_flags import _warn_once
    _warn_once("share_memory_", "ferrotorch cannot move tensor storage into shared memory: share_memory_() "
               "leaves the tensor unchanged, and other processes receive copies of it, so their in-place "
               "writes are not seen here.", UserWarning, stacklevel=3)
    return self


@tensor_method
def record_stream(self, stream):
    """Marks a GPU tensor as used by `stream`. Nothing to do on wgpu: the tensor's buffer goes back
    to the allocator only when the tensor is dropped, and work queued later (on the device's one
    in-order queue) cannot overtake the work that used it. CPU tensors raise, as in PyTorch."""
    from . import _gpu_streams, _generic_streams
    if not isinstance(stream, (_generic_streams.Stream, _gpu_streams.Stream)):
        raise RuntimeError("unknown parameter type")
    if not self.is_cuda:
        raise NotImplementedError(f"Could not run 'aten::record_stream' with arguments from the "
                                  f"'{self.device.type.upper()}' backend. 'aten::record_stream' is only "
                                  "available for the GPU (CUDA) backend.")
