"""Memory formats (`torch.memory_format`: `preserve_format`, `contiguous_format`,
`channels_last`, `channels_last_3d`) and layouts (`torch.layout`: `strided`, `Tensor.layout`).

A channels-last tensor is an NCHW tensor whose strides walk the channels fastest (NHWC in
memory); it is built as `x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)`, so it is an
ordinary strided tensor that every op, autograd and every device handle. The Rust methods
`contiguous`, `is_contiguous` and `to` accept `memory_format` but ignore it; this module is the
one place that replaces them with versions that honour it (the originals stay reachable as
`Tensor._contiguous_native`, `Tensor._is_contiguous_native` and `Tensor._to_native`).

    >>> import ferrotorch as torch
    >>> x = torch.zeros(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    >>> x.stride(), x.is_contiguous(memory_format=torch.channels_last)
    ((60, 1, 15, 3), True)
"""
from . import _C
from ._attach import tensor_method

__all__ = ["memory_format", "preserve_format", "contiguous_format", "channels_last", "channels_last_3d",
           "layout", "strided"]


class _Named:
    """A singleton constant printed as `torch.<name>` and pickled by name."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create 'torch.{cls.__name__}' instances")

    @classmethod
    def _make(cls, name):
        obj = object.__new__(cls)
        obj._name = name
        return obj

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name  # the module-level constant of that name

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class memory_format(_Named):
    """How a tensor's elements are laid out in memory (a constant, such as `torch.channels_last`)."""

    __slots__ = ()


class layout(_Named):
    """The kind of storage layout of a tensor; ferrotorch's tensors are all `torch.strided`."""

    __slots__ = ()


memory_format.__module__ = layout.__module__ = "ferrotorch"

preserve_format = memory_format._make("preserve_format")
contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
strided = layout._make("strided")

# rank, the stride order from fastest to slowest (PyTorch's compute_channels_last_contiguous_*),
# and the permutation that makes the channels the last dim.
_CHANNELS_LAST = {
    channels_last: (4, (1, 3, 2, 0), (0, 2, 3, 1), (0, 3, 1, 2)),
    channels_last_3d: (5, (1, 4, 3, 2, 0), (0, 2, 3, 4, 1), (0, 4, 1, 2, 3)),
}

# The Rust methods (kept under `_<name>_native` once replaced, so a reload finds them there).
_contiguous_native = getattr(_C.Tensor, "_contiguous_native", _C.Tensor.contiguous)
_is_contiguous_native = getattr(_C.Tensor, "_is_contiguous_native", _C.Tensor.is_contiguous)
_to_native = getattr(_C.Tensor, "_to_native", _C.Tensor.to)


def _check(name, fmt):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{name}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")


def _is_channels_last(t, fmt):
    rank, order, _, _ = _CHANNELS_LAST[fmt]
    if t.ndim != rank:
        return False
    sizes, strides = t.shape, t.stride()
    expected = 1
    for d in order:
        if sizes[d] != 1:
            if strides[d] != expected:
                return False
            expected *= sizes[d]
    return True


def _suggested_channels_last(t):
    """The channels-last format `t` is laid out in (and not also plain contiguous), or None."""
    if t.ndim == 4:
        fmt = channels_last
    elif t.ndim == 5:
        fmt = channels_last_3d
    else:
        return None
    return fmt if _is_channels_last(t, fmt) and not _is_contiguous_native(t) else None


def _convert(t, fmt):
    """`t` in memory format `fmt` (a copy unless it already is)."""
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    if fmt is contiguous_format:
        return _contiguous_native(t)
    rank, _, perm, inverse = _CHANNELS_LAST[fmt]
    if t.ndim != rank:
        name = "channels_last" if fmt is channels_last else "channels_last_3d"
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")
    if _is_channels_last(t, fmt):
        return t
    return _contiguous_native(t.permute(*perm)).permute(*inverse)


def _contiguous(self, *, memory_format=contiguous_format):
    """The tensor itself if it is contiguous in `memory_format`, else a copy that is.

        >>> import ferrotorch as torch
        >>> torch.ones(2, 3).t().contiguous().stride()
        (2, 1)
    """
    if memory_format is None or memory_format is contiguous_format:
        return _contiguous_native(self)
    _check("contiguous", memory_format)
    return _convert(self, memory_format)


def _is_contiguous(self, *, memory_format=contiguous_format):
    """Whether the tensor is contiguous in `memory_format` (row-major by default).

        >>> import ferrotorch as torch
        >>> torch.ones(1, 2, 3, 4).is_contiguous(memory_format=torch.channels_last)
        False
    """
    if memory_format is None:
        return _is_contiguous_native(self)
    _check("is_contiguous", memory_format)
    if memory_format in _CHANNELS_LAST:
        return _is_channels_last(self, memory_format)
    return _is_contiguous_native(self)


def _to(self, *args, memory_format=preserve_format, **kwargs):
    """The tensor converted to a dtype and/or device (`to(dtype)`, `to(device, dtype)`,
    `to(other)`), and to `memory_format`; with the default `torch.preserve_format` a
    channels-last tensor stays channels-last.

        >>> import ferrotorch as torch
        >>> torch.ones(2, dtype=torch.int64).to(torch.float32).dtype
        torch.float32
    """
    if memory_format is None or memory_format is preserve_format:
        fmt = _suggested_channels_last(self)
        if fmt is None:
            return _same_or(self, _to_native(self, *args, **kwargs), kwargs.get("copy", False))
        _, _, perm, inverse = _CHANNELS_LAST[fmt]
        # Converting the NHWC-ordered view copies it NHWC-contiguous: one copy, in the right order.
        moved = _to_native(self.permute(*perm), *args, **kwargs)
        if moved._storage_id() == self._storage_id():
            return _to_native(self, *args, **kwargs)  # nothing was converted
        return moved.permute(*inverse)
    _check("to", memory_format)
    return _convert(_to_native(self, *args, **kwargs), memory_format)


def _same_or(self, result, copy):
    """`self` itself when `to` changed nothing, as PyTorch returns it (`t.to(t.dtype) is t`); the
    native conversion returns a new handle on the same memory in that case."""
    if (not copy and result._storage_id() == self._storage_id() and result.dtype == self.dtype
            and result.stride() == self.stride() and result.storage_offset() == self.storage_offset()):
        return self
    return result


def _layout(self):
    """The tensor's layout: always `torch.strided` in ferrotorch."""
    return strided


def _native_honours_memory_format():
    probe = _C.zeros(1, 2, 1, 2)
    try:
        return _contiguous_native(probe, memory_format=channels_last).stride() == (4, 1, 4, 2)
    except Exception:
        return False


def _install():
    """Replaces the native methods, unless they already honour memory_format."""
    if hasattr(_C.Tensor, "_contiguous_native") or _native_honours_memory_format():
        return
    for name, native, replacement in (("contiguous", _contiguous_native, _contiguous),
                                      ("is_contiguous", _is_contiguous_native, _is_contiguous),
                                      ("to", _to_native, _to)):
        setattr(_C.Tensor, f"_{name}_native", native)
        delattr(_C.Tensor, name)
        tensor_method(replacement, name)
    tensor_method(property(_layout, doc=_layout.__doc__), "layout")


_install()
