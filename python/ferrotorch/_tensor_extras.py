"""Small top-level functions and Tensor members that need no kernel: frombuffer, the deprecated
torch.range, the deterministic-algorithms flags, H / mH / adjoint, the layout and conjugation
predicates of real tensors, dim_order, the container protocol (``in``, ``reversed``), numpy's
``__array_wrap__`` and the missing in-place cumulative ops.

    >>> import ferrotorch as torch
    >>> torch.frombuffer(bytearray(b"\\x01\\x00\\x02\\x00"), dtype=torch.int16).tolist()
    [1, 2]
"""
import builtins
import math
import numbers
import warnings

from . import _C
from ._attach import tensor_method
from ._math_composites import _inplace

__all__ = ["frombuffer", "range", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_default_device", "get_default_device", "adjoint", "conj", "conj_physical", "resolve_conj",
           "resolve_neg", "is_conj", "is_neg", "is_same_size"]


# ----------------------------------------------------------------------------- frombuffer

def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over the bytes of an object with the buffer protocol, skipping `offset` bytes
    and taking `count` elements (-1: all). The tensor shares the buffer's memory (writes show
    through both ways), and keeps the buffer alive.

        >>> import ferrotorch as torch
        >>> torch.frombuffer(bytearray(8), dtype=torch.float32).tolist()
        [0.0, 0.0]
    """
    import numpy as np  # reinterprets the bytes; no arithmetic happens here

    view = memoryview(buffer)
    length = view.nbytes
    size = dtype.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % size:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({size})")
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    if view.readonly:
        warnings.warn("The given buffer is not writable: the tensor shares its memory, so writing "
                      "to the tensor writes to the buffer. Copy the buffer (or make it writable) "
                      "first to protect its data.", UserWarning, stacklevel=2)
    # numpy has no bfloat16: read those as 16-bit integers and reinterpret the bits.
    name = str(dtype).replace("torch.", "")
    np_dtype = "int16" if name == "bfloat16" else name
    array = np.frombuffer(view.cast("B"), dtype=np_dtype, count=count, offset=offset)
    if array.ctypes.data % array.itemsize:
        # The core reads elements in place and needs them aligned (an unaligned offset would
        # abort the process): such a tensor gets its own aligned copy and no longer shares memory.
        warnings.warn(f"frombuffer: offset {offset} leaves the {name} elements unaligned in memory; "
                      "the tensor holds a copy of the data, so writes no longer show through.",
                      UserWarning, stacklevel=2)
        array = array.copy()
    result = _C.from_numpy(array)
    if name == "bfloat16":
        result = result.view(_C.bfloat16)
    return result.requires_grad_(requires_grad) if requires_grad else result


# ----------------------------------------------------------------------------- range

def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Deprecated: start, start + step, ... up to and including `end` (use `arange`, whose end is
    exclusive). The default dtype is the default float dtype, whatever the arguments.

        >>> import warnings, ferrotorch as torch
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     torch.range(1, 4).tolist()
        [1.0, 2.0, 3.0, 4.0]
    """
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    dtype = dtype or _C.get_default_dtype()
    # Computed in float64 as start + i * step, then cast: the end point is hit exactly.
    values = _C.arange(n, dtype=_C.float64, device=device) * float(step) + float(start)
    result = values.to(dtype)
    if requires_grad:
        result.requires_grad_(True)
    if out is not None:
        from ._elementwise import _write_out
        return _write_out(out, result)
    return result


# ----------------------------------------------------------------------------- determinism

# ferrotorch's kernels are deterministic already (fixed reduction orders, no atomics whose order
# varies), so the flag is only recorded for code that reads it back.
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Records whether deterministic algorithms are requested. Every ferrotorch kernel is
    deterministic already, so nothing changes and nothing raises.

        >>> import ferrotorch as torch
        >>> torch.use_deterministic_algorithms(True); torch.are_deterministic_algorithms_enabled()
        True
        >>> torch.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _deterministic["mode"], _deterministic["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    """Whether `use_deterministic_algorithms(True)` is in effect."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    """Whether `use_deterministic_algorithms(True, warn_only=True)` is in effect."""
    return _deterministic["warn_only"]


# ----------------------------------------------------------------------------- Tensor members

def _H(self):
    """The conjugate transpose of a matrix (its transpose for real tensors)."""
    if self.dim() not in (0, 2):
        hint = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.{hint}")
    return conj(self.t() if self.dim() == 2 else self)


def _mH(self):
    """The conjugate transpose of the last two dims (`mT` for real tensors)."""
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{self.dim()}-D tensor.")
    return conj(self.mT)


def _dim_order(self):
    """The dims from outermost to innermost in memory: sorted by decreasing stride (ties keep
    their logical order)."""
    strides = self.stride()
    return tuple(sorted(builtins.range(self.dim()), key=lambda d: -strides[d]))


def adjoint(input):
    """The conjugate transpose of the last two dims: `mT` for real tensors (a view; a new tensor
    for complex ones, see `conj`).

        >>> import ferrotorch as torch
        >>> torch.adjoint(torch.zeros(4, 2, 3)).shape
        torch.Size([4, 3, 2])
    """
    if input.dim() < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.dim()}-D tensor.")
    return conj(input.transpose(-2, -1))


# No tensor carries a lazy conjugate or negative bit: conj() of a complex tensor is a new tensor
# (see _complex.py), and of a real tensor the input itself, as in PyTorch.

def conj(input):
    """The complex conjugate: a new tensor for complex input, `input` itself for real tensors."""
    if input.is_complex():
        from ._complex import conjugate
        return conjugate(input)
    return input


def conj_physical(input, *, out=None):
    """The materialised complex conjugate: `input` itself for real tensors."""
    result = conj(input)
    if out is not None:
        out.copy_(result)
        return out
    return result


def resolve_conj(input):
    """`input` with any lazy conjugation applied: `input` itself (no tensor has the bit)."""
    return input


def resolve_neg(input):
    """`input` with any lazy negation applied: `input` itself (no tensor has the bit)."""
    return input


def is_conj(input):
    """Whether the lazy conjugate bit is set: always False."""
    return False


def is_neg(input):
    """Whether the lazy negative bit is set: always False."""
    return False


def is_same_size(input, other):
    """Whether `other` has the same shape as `input`.

        >>> import ferrotorch as torch
        >>> torch.ones(2, 3).is_same_size(torch.zeros(2, 3))
        True
    """
    if not isinstance(other, _C.Tensor):
        raise TypeError(f"is_same_size(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return tuple(input.shape) == tuple(other.shape)


def _is_set_to(self, tensor):
    """Whether both tensors view the same memory with the same shape, strides and offset."""
    return (self._storage_id() == tensor._storage_id() and self.device == tensor.device
            and self.dtype == tensor.dtype and tuple(self.shape) == tuple(tensor.shape)
            and self.stride() == tensor.stride() and self.storage_offset() == tensor.storage_offset())


def _contains(self, element):
    """`element in tensor`: whether any element equals it (a scalar, or a tensor broadcast)."""
    if isinstance(element, (_C.Tensor, numbers.Number)):
        return builtins.bool((self == element).any().item())
    raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")


def _reversed(self):
    """`reversed(tensor)`: the tensor flipped along dim 0 (a 0-d tensor is returned as is)."""
    return self if self.dim() == 0 else self.flip(0)


def _array_wrap(self, array, context=None, return_scalar=False):
    """Turns the result of a numpy ufunc applied to a CPU tensor back into a tensor, as PyTorch
    does (bool results become uint8, as there)."""
    import numpy as np  # only reached from numpy itself

    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype("uint8")
    return _C.from_numpy(np.array(array, order="C"))


for _fn in (adjoint, conj, conj_physical, resolve_conj, resolve_neg, is_conj, is_neg, is_same_size):
    tensor_method(lambda self, *a, _f=_fn, **k: _f(self, *a, **k), _fn.__name__).__doc__ = _fn.__doc__
tensor_method(_is_set_to, "is_set_to")
tensor_method(_contains, "__contains__")
tensor_method(_reversed, "__reversed__")
tensor_method(_array_wrap, "__array_wrap__")
# PyTorch's value: numpy scalars and arrays defer binary operators to the tensor's reflected ones,
# so `np.float64(2) * t` is a tensor (on t's device) rather than an ndarray.
tensor_method(property(lambda self: 1000.0, doc="Makes numpy defer binary operators to the tensor."),
              "__array_priority__")
tensor_method(property(_H, doc=_H.__doc__), "H")
tensor_method(property(_mH, doc=_mH.__doc__), "mH")
# Always False: ferrotorch tensors are dense, strided, unquantized, not nested, have storage, and live
# on no device but the CPU and the GPU (which reports is_cuda).
for _name in ("is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_nested",
              "is_ipu", "is_maia", "is_mps", "is_mtia", "is_vulkan", "is_xla", "is_xpu"):
    tensor_method(property(lambda self: False, doc="Always False in ferrotorch."), _name)
tensor_method(_dim_order, "dim_order")


def _to_dense(self, dtype=None, *, masked_grad=None):
    """The tensor itself (every ferrotorch tensor is dense), or a copy in `dtype`."""
    return self if dtype is None or dtype == self.dtype else self.to(dtype)


def _volatile_get(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _volatile_set(self, value):
    warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.", UserWarning,
                  stacklevel=2)


tensor_method(_to_dense, "to_dense")
tensor_method(lambda self: self.data_ptr(), "const_data_ptr")
tensor_method(property(lambda self: self.dtype, doc="The dtype `.grad` must have: always the tensor's own."),
              "grad_dtype")
tensor_method(property(_volatile_get, _volatile_set, doc="Removed in PyTorch 0.4: always False, with a warning."),
              "volatile")

# In-place forms of the cumulative ops, where the class lacks them.
for _name in ("cumsum", "cumprod", "logcumsumexp"):
    if hasattr(_C.Tensor, _name) and not hasattr(_C.Tensor, _name + "_"):
        tensor_method(_inplace(getattr(_C.Tensor, _name), _name + "_"), _name + "_")


def set_default_device(device):
    """Makes factory functions (`tensor`, `zeros`, `rand`, `arange`, ...) called without `device=`
    create on `device`; None restores the CPU. `with torch.device("cuda"):` does the same for a
    block. Process-wide (PyTorch's applies to the threads it runs in).

    >>> import ferrotorch as torch
    >>> torch.set_default_device("cpu")
    >>> torch.get_default_device()
    device(type='cpu')
    """
    _C._set_default_device(device)


def get_default_device():
    """The device factory functions use when `device=` is not given."""
    return _C._get_default_device()
