"""PyTorch's storage objects: `torch.UntypedStorage`, `torch.TypedStorage`, the legacy classes
(`torch.FloatStorage`, ...), `Tensor.untyped_storage()`, `Tensor.storage()`, `Tensor.storage_type()`,
`Tensor.set_(storage, ...)` and `torch.is_storage`.

Why Python: a storage is the memory behind a tensor, and the Rust core already exposes every tensor's
whole storage (`untyped_storage_nbytes`, `as_strided` from offset 0). A storage object here is a thin
handle on `_flat`, a 1-D contiguous tensor covering exactly the storage's bytes, so reads and writes
through the storage reach the tensors that view it, and `data_ptr()` identifies the memory (views
of one tensor give equal storage pointers, which is how safetensors and HuggingFace detect sharing).
As in PyTorch, every tensor on one memory gives the same storage object while that object lives
(a weak table maps each memory to its object), and every use of a TypedStorage warns (once).

How bytes are reached: on the CPU `_flat` is reinterpreted as bytes through numpy, which shares the
memory (ferrotorch's `view(dtype)` only converts between dtypes of one size). A GPU buffer keeps
narrow dtypes widened (uint8 as u32: see `backend/gpu`), so its bytes cannot be aliased: byte reads
of a GPU storage copy it to the CPU, and byte writes copy the edited bytes back into the buffer.

Limits, stated rather than faked: the memory behind a tensor is fixed when allocated, so `resize_`
only works on a storage made here that no tensor views yet (PyTorch reallocates under the tensor),
and `set_` cannot grow a storage; storages are not saved by `torch.save`.

    >>> import ferrotorch as torch
    >>> t = torch.tensor([1.0, 2.0])
    >>> s = t.untyped_storage()
    >>> s.nbytes(), s.data_ptr() == t[1:].untyped_storage().data_ptr()
    (8, True)
    >>> s[7] = 63  # the high byte of 2.0 (0x40000000) becomes 0x3f: 0.5
    >>> t.tolist()
    [1.0, 0.5]
"""
import functools
import math
import numbers
import warnings
import weakref

import numpy as np

from . import _C, _utils
from ._attach import tensor_method
from ._tensor_members_composed import _dtype_word

__all__ = ["UntypedStorage", "TypedStorage", "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
           "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
           "ComplexFloatStorage", "ComplexDoubleStorage", "is_storage"]

# An integer dtype of each element size: the dtype every reinterpretation passes through, since
# numpy has no bfloat16 and ferrotorch's view(dtype) needs equal sizes.
_INT_OF_SIZE = {1: _C.uint8, 2: _C.int16, 4: _C.int32, 8: _C.int64}
_NUMPY_INT_OF_SIZE = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}

_TYPED_STORAGE_WARNING = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
    "storage class. This should only matter to you if you are using storages directly.  To access "
    "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()")
_typed_storage_warned = [False]
# How PyTorch's TypedStorage index errors name the class.
_TYPED_STORAGE_CLASS = "<class 'torch.storage.TypedStorage'>"


def _warn_typed_storage_removal(stacklevel=2):
    """PyTorch's deprecation warning for TypedStorage: once per process (its own flag, as in PyTorch)."""
    if not _typed_storage_warned[0]:
        _typed_storage_warned[0] = True
        warnings.warn(_TYPED_STORAGE_WARNING, UserWarning, stacklevel=stacklevel + 1)


def _reset_warn_typed_storage_removal():
    """Lets the TypedStorage warning fire again (PyTorch's `torch.storage` has the same helper)."""
    _typed_storage_warned[0] = False


# ----------------------------------------------------------------------------- memory helpers

def _whole_storage(tensor):
    """A 1-D view of all of `tensor`'s storage, from byte 0, in `tensor`'s dtype."""
    numel = tensor.untyped_storage_nbytes() // tensor.element_size()
    return tensor.detach().as_strided((numel,), (1,), 0)


def _reinterpret(flat, dtype):
    """The 1-D contiguous tensor `flat` read as `dtype`, sharing its memory (a trailing part
    smaller than one `dtype` element is left out, as PyTorch does)."""
    if flat.dtype == dtype:
        return flat
    if flat.device.type != "cpu":
        raise RuntimeError(f"ferrotorch cannot read a {flat.device.type} storage of {flat.dtype} as {dtype}: GPU "
                           "buffers keep each dtype in its own element representation, so their bytes cannot be "
                           "reinterpreted in place")
    if flat.element_size() == dtype.itemsize:
        return flat.view(dtype)
    raw = flat.view(_INT_OF_SIZE[flat.element_size()]).numpy().view(np.uint8)
    raw = raw[:len(raw) - len(raw) % dtype.itemsize].view(_NUMPY_INT_OF_SIZE[dtype.itemsize])
    return _C.from_numpy(raw).view(dtype)


def _allocation_error(nbytes):
    # PyTorch's allocator message for a negative size (the size as an unsigned 64-bit number).
    return RuntimeError("[enforce fail at alloc_cpu.cpp:98] ((ptrdiff_t)nbytes) >= 0. alloc_cpu() seems to have "
                        f"been called with negative number: {nbytes + 2 ** 64}")


def _int_value(value, what):
    """A byte value from `value` (an int, wrapped modulo 256 as PyTorch does)."""
    if not isinstance(value, numbers.Integral):
        raise RuntimeError(what.format(type(value).__name__))
    return int(value) & 0xFF


def _check_step(index):
    if index.step not in (None, 1):
        raise RuntimeError(f"Trying to slice with a step of {index.step}, but only a step of 1 is supported")


def _torch_type_name(value):
    """The type name PyTorch's argument errors print: `int`, `torch.dtype`, `torch.device`."""
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"torch.{kind.__name__}"


def _scalar_type_name(dtype):
    """PyTorch's scalar type name of `dtype` ("Float", "ComplexFloat", ...): its storage class's name."""
    return _utils.DTYPE_STORAGES[_utils._dtype_name(dtype)][:-len("Storage")]


def _elements_repr(values, header):
    return " " + "\n ".join(str(v) for v in values) + f"\n[{header} of size {len(values)}]"


# ----------------------------------------------------------------------------- UntypedStorage

class UntypedStorage:
    """Bytes of memory on one device: `UntypedStorage(size, device=None)` (zeros),
    `UntypedStorage(sequence_of_ints)`, or `tensor.untyped_storage()` (the tensor's own memory).

        >>> import ferrotorch as torch
        >>> torch.UntypedStorage([1, 2, 300]).tolist()
        [1, 2, 44]
    """

    is_sparse = False

    def __init__(self, *args, device=None, **kwargs):
        if kwargs or len(args) > 1:
            got = ", ".join([_torch_type_name(a) for a in args]
                            + [f"{k}={_torch_type_name(v)}" for k, v in kwargs.items()])
            raise TypeError(f"torch.UntypedStorage() received an invalid combination of arguments - got ({got}), "
                            "but expected one of:\n * (*, int allocator = None, torch.device device = None)\n"
                            " * (int size, *, int allocator = None, torch.device device = None)\n"
                            " * (object sequence, *, int allocator = None, torch.device device = None)\n")
        device = _C.device("cpu" if device is None else device)
        data = args[0] if args else 0
        if isinstance(data, numbers.Integral) and not isinstance(data, bool):
            if data < 0:
                raise _allocation_error(int(data))
            flat = _C.zeros(int(data), dtype=_C.uint8, device=device)
        elif hasattr(data, "__len__") and hasattr(data, "__getitem__") and not isinstance(data, _C.Tensor):
            # Any sequence (list, tuple, range, bytes, ...) of Python ints, as PyTorch accepts.
            for item in data:
                if not isinstance(item, int):
                    raise RuntimeError(f"torch.UntypedStorage(): tried to construct a storage from a sequence "
                                       f"({type(data).__name__}), but one of the items was of type "
                                       f"{type(item).__name__} instead of int")
            flat = _C.tensor([int(v) & 0xFF for v in data], dtype=_C.uint8, device=device)
        else:
            raise RuntimeError(f"torch.UntypedStorage(): Expected a sequence type, but got {type(data).__name__}")
        self._flat = flat
        self._resizable = True

    @classmethod
    def _wrap(cls, flat, resizable=False):
        """A storage over the memory of the 1-D contiguous tensor `flat` (no copy)."""
        storage = cls.__new__(cls)
        storage._flat = flat
        storage._resizable = resizable
        return storage

    # --- what it is
    @property
    def device(self):
        return self._flat.device

    @property
    def is_cuda(self):
        return self._flat.is_cuda

    def data_ptr(self):
        return self._flat.data_ptr()

    def nbytes(self):
        return self._flat.numel() * self._flat.element_size()

    size = nbytes

    def __len__(self):
        return self.nbytes()

    def element_size(self):
        return 1

    def type(self):
        return "torch.storage.UntypedStorage"

    def untyped(self):
        return self

    def is_shared(self):
        return False

    def resizable(self):
        """Whether `resize_` can work: only for a storage made here that nothing views yet (PyTorch
        can also resize a tensor's storage; ferrotorch cannot, so it says False there)."""
        return self._resizable

    def share_memory_(self):
        """Leaves the storage as it is (ferrotorch has no shared memory) and warns, as `Tensor.share_memory_`."""
        self._flat.share_memory_()
        return self

    def is_pinned(self, device="cuda"):
        return False

    def pin_memory(self, device="cuda"):
        """A copy of this CPU storage (ferrotorch has no page-locked memory); GPU storages raise."""
        self._flat.pin_memory()
        return self.clone()

    # --- bytes
    def _bytes(self):
        """The bytes as a CPU uint8 tensor: the storage's own memory on the CPU, a copy for a GPU
        storage (hand an edited copy to `_store`)."""
        return _reinterpret(_utils._to_host(self._flat), _C.uint8)

    def _store(self, data):
        """Writes the edited bytes `data` from `_bytes()` back (already there on the CPU)."""
        if self._flat.device.type != "cpu":
            self._flat.copy_(_reinterpret(data, self._flat.dtype).to(self._flat.device))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._slice(index)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"can't index a torch.UntypedStorage with {type(index).__name__}")
        size = self.nbytes()
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError(f"index {position} out of range for storage of size {size}")
        return int(self._bytes()[position])

    def _slice(self, index):
        _check_step(index)
        start, stop, _ = index.indices(self.nbytes())
        stop = max(start, stop)
        self._resizable = False  # the slice views this memory
        if self._flat.device.type == "cpu":
            return UntypedStorage._wrap(self._bytes()[start:stop])
        width = self._flat.element_size()
        if stop > start and (start % width or stop % width):
            raise RuntimeError(f"ferrotorch can only slice a GPU storage of {self._flat.dtype} at multiples of "
                               f"{width} bytes, its element size (got {start}:{stop})")
        return UntypedStorage._wrap(self._flat[start // width:stop // width])

    def __setitem__(self, index, value):
        if isinstance(index, bool) or not isinstance(index, (numbers.Integral, slice)):
            raise RuntimeError(f"can't index a torch.UntypedStorage with {type(index).__name__}")
        value = _int_value(value, "can only set storage content with a int types, but got {} instead")
        data = self._bytes()
        if isinstance(index, slice):
            _check_step(index)
            start, stop, _ = index.indices(len(data))
            if stop > start:
                data[start:stop] = value
        else:
            if not 0 <= index < len(data):
                raise RuntimeError("out of bounds")
            data[int(index)] = value
        self._store(data)

    def tolist(self):
        return self._bytes().tolist()

    def fill_(self, value):
        value = _int_value(value, "fill_ expects int, but got {}")
        data = self._bytes()
        data.fill_(value)
        self._store(data)
        return self

    def copy_(self, src, non_blocking=None):
        if not isinstance(src, (UntypedStorage, TypedStorage)):
            raise TypeError(f"copy_(): argument 'src' (position 1) must be torch.Storage, not {type(src).__name__}")
        if isinstance(src, TypedStorage):
            src = src._untyped_storage
        if src.nbytes() != self.nbytes():
            raise RuntimeError(f"size does not match, self was {self.nbytes()} bytes but src was {src.nbytes()} bytes")
        data = self._bytes()
        data.copy_(src._bytes())
        self._store(data)
        return self

    # --- copies and moves
    def clone(self):
        return UntypedStorage._wrap(self._flat.clone(), resizable=True)

    def to(self, *, device=None, non_blocking=False):
        if device is None or _C.device(device).type == self.device.type:  # one device of each type
            return self
        moved = _utils._to_host(self._flat) if _C.device(device).type == "cpu" else self._flat.to(device)
        return UntypedStorage._wrap(moved, resizable=True)

    def cpu(self):
        return self.to(device="cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(device="cuda" if device is None else device)

    def resize_(self, size):
        """Resizes a storage made here (constructed, cloned or moved) that nothing else views yet,
        keeping its first bytes and zero-filling new ones. A tensor's storage cannot be resized:
        ferrotorch fixes a tensor's memory when it is allocated."""
        if not self._resizable:
            raise RuntimeError("ferrotorch cannot resize a storage that a tensor or another storage views: "
                               "its memory is fixed when allocated (use Tensor.resize_ to resize a tensor)")
        if size < 0:
            raise _allocation_error(size)
        grown = _C.zeros(size, dtype=_C.uint8, device=self.device)
        kept = min(size, self.nbytes())
        if kept:
            target = grown[:kept]
            target.copy_(_reinterpret(_utils._to_host(self._flat), _C.uint8)[:kept].to(self.device))
        self._flat = grown
        return self

    def __repr__(self):
        return _elements_repr(self.tolist(), f"torch.storage.UntypedStorage(device={self.device})")

    __str__ = __repr__


# ----------------------------------------------------------------------------- TypedStorage

def _is_size(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _torch_class_repr(value):
    """`repr(type(value))` as PyTorch prints it in argument errors (`<class 'torch.Tensor'>`)."""
    kind = type(value)
    if isinstance(value, _C.Tensor):
        return "<class 'torch.Tensor'>"
    if kind in (UntypedStorage, TypedStorage):
        return f"<class 'torch.storage.{kind.__name__}'>"
    return repr(kind)


def _typed_arguments_error(error, reason):
    return error("TypedStorage.__init__ received an invalid combination of arguments. Expected one of:\n"
                 " * (*, torch.device device, torch.dtype dtype)\n"
                 " * (int size, *, torch.device device, torch.dtype dtype)\n"
                 " * (Sequence data, *, torch.device device, torch.dtype dtype)\n"
                 " * (*, UntypedStorage wrap_storage, torch.dtype dtype)\n" + reason)


def _legacy_arguments_error(cls, error, reason):
    return error(f"{cls!r}.__new__ received an invalid combination of arguments. Expected one of:\n"
                 " * no arguments\n * (int size)\n * (Sequence data)\n * (*, UntypedStorage wrap_storage)\n" + reason)


class TypedStorage:
    """A storage read as elements of one dtype (deprecated in PyTorch, which warns once):
    `tensor.storage()`, `TypedStorage(size, dtype=..., device=...)`, `TypedStorage(sequence, dtype=...)`
    or `TypedStorage(wrap_storage=untyped, dtype=...)`.

        >>> import ferrotorch as torch
        >>> torch.TypedStorage([1, 2], dtype=torch.int32, _internal=True).tolist()
        [1, 2]
    """

    is_sparse = False

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        if wrap_storage is not None:
            if args:
                raise _typed_arguments_error(RuntimeError, "No positional arguments should be given when using "
                                                           "'wrap_storage'")
            if dtype is None:
                raise _typed_arguments_error(RuntimeError, "Argument 'dtype' must be specified")
            if not isinstance(wrap_storage, UntypedStorage):
                raise _typed_arguments_error(TypeError, "Argument 'wrap_storage' must be UntypedStorage, but got "
                                                        f"{_torch_class_repr(wrap_storage)}")
            if device is not None:
                raise _typed_arguments_error(RuntimeError, "Argument 'device' should not be specified when "
                                                           "'wrap_storage' is given")
            self.dtype = dtype
            self._untyped_storage = wrap_storage
            return
        if len(args) > 1:
            raise _typed_arguments_error(RuntimeError, "Too many positional arguments")
        # A size or a sequence of values; a tensor is neither (PyTorch refuses it too).
        if args and (isinstance(args[0], _C.Tensor) or not (_is_size(args[0]) or hasattr(args[0], "__len__"))):
            raise _typed_arguments_error(TypeError, f"Argument type not recognized: {_torch_class_repr(args[0])}")
        self.dtype = _C.get_default_dtype() if dtype is None else dtype
        device = _C.device("cpu" if device is None else device)
        data = args[0] if args else 0
        if _is_size(data):
            if data < 0:
                raise _allocation_error(int(data) * self.dtype.itemsize)
            flat = _C.zeros(int(data), dtype=self.dtype, device=device)
        else:
            flat = _C.tensor(list(data), dtype=self.dtype, device=device)
        self._untyped_storage = UntypedStorage._wrap(flat, resizable=True)

    def _tensor(self):
        """The storage's elements as a 1-D tensor sharing its memory."""
        return _reinterpret(self._untyped_storage._flat, self.dtype)

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        return self._untyped_storage.is_cuda

    def untyped(self):
        return self._untyped_storage

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def size(self):
        return self.nbytes() // self.dtype.itemsize

    __len__ = size

    def element_size(self):
        return self.dtype.itemsize

    def type(self):
        prefix = "torch." if self.device.type == "cpu" else "torch.cuda."
        return f"{prefix}{_scalar_type_name(self.dtype)}Storage"

    def _check_index(self, index):
        if isinstance(index, bool):
            raise TypeError(f"can't index a {_TYPED_STORAGE_CLASS} with {type(index)!r}")
        if not isinstance(index, (int, slice)):  # Python ints only: PyTorch refuses numpy integers here
            raise RuntimeError(f"can't index a {_TYPED_STORAGE_CLASS} with {_torch_class_repr(index)}")

    def __getitem__(self, index):
        self._check_index(index)
        if isinstance(index, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        size = self.size()
        if not -size <= index < size:
            raise IndexError(f"index {index} out of range for storage of size {size}")
        return _utils._to_host(self._tensor()[index]).item()

    def __setitem__(self, index, value):
        self._check_index(index)
        flat = self._tensor()
        if isinstance(value, str):
            raise TypeError(f"can't assign a str to a {flat.type()}")
        flat[index] = value

    def tolist(self):
        return _utils._to_host(self._tensor()).tolist()

    def fill_(self, value):
        if self.dtype.is_complex:
            self._tensor()[:] = value  # the core's fill_ takes real numbers only; assignment takes complex
        else:
            self._tensor().fill_(value)
        return self

    def copy_(self, source, non_blocking=None):
        """Copies `source`'s bytes (a storage of the same number of bytes), as PyTorch does."""
        self._untyped_storage.copy_(source, non_blocking)
        return self

    def _wrapping(self, untyped):
        return self if untyped is self._untyped_storage else TypedStorage(
            wrap_storage=untyped, dtype=self.dtype, _internal=True)

    def clone(self):
        return self._wrapping(self._untyped_storage.clone())

    def to(self, *, device=None, non_blocking=False):
        return self._wrapping(self._untyped_storage.to(device=device))

    def cpu(self):
        return self.to(device="cpu")

    def cuda(self, device=None, non_blocking=False):
        return self._wrapping(self._untyped_storage.cuda(device))

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def resizable(self):
        return self._untyped_storage.resizable()

    def share_memory_(self):
        self._untyped_storage.share_memory_()
        return self

    def is_pinned(self, device="cuda"):
        return self._untyped_storage.is_pinned()

    def pin_memory(self, device="cuda"):
        return self._wrapping(self._untyped_storage.pin_memory())

    def resize_(self, size):
        self._untyped_storage.resize_(size * self.dtype.itemsize)

    def __repr__(self):
        return _elements_repr(self.tolist(),
                              f"torch.storage.TypedStorage(dtype={self.dtype}, device={self.device})")

    __str__ = __repr__


def _warning_on_use(method):
    """`method` preceded by the deprecation warning, as every public TypedStorage method in PyTorch."""
    @functools.wraps(method)
    def warned(self, *args, **kwargs):
        _warn_typed_storage_removal(stacklevel=2)
        return method(self, *args, **kwargs)
    return warned


for _name in ["size", "__len__", "resizable", "tolist", "nbytes", "element_size", "data_ptr", "type", "untyped",
              "clone", "to", "cpu", "cuda", "is_shared", "share_memory_", "is_pinned", "pin_memory", "fill_", "copy_",
              "resize_", "__getitem__", "__setitem__", "__repr__", "__str__"]:
    setattr(TypedStorage, _name, _warning_on_use(TypedStorage.__dict__[_name]))
for _name in ["device", "is_cuda"]:
    setattr(TypedStorage, _name, property(_warning_on_use(TypedStorage.__dict__[_name].fget)))


# ----------------------------------------------------------------------------- dtype conversions

def _converted(storage, dtype):
    """A new TypedStorage of `storage`'s elements converted to `dtype` (an UntypedStorage's
    elements are its bytes), never sharing memory, as PyTorch's `storage.float()` and the like."""
    # (A GPU storage's bytes are read through a CPU copy: see the module docstring.)
    elements = storage._bytes().to(storage.device) if isinstance(storage, UntypedStorage) else storage._tensor()
    flat = elements.clone().to(dtype)
    return TypedStorage(wrap_storage=UntypedStorage._wrap(flat, resizable=True), dtype=dtype, _internal=True)


def _conversion_method(name, dtype):
    def convert(self):
        _warn_typed_storage_removal()
        return _converted(self, dtype)
    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = f"A copy of this storage's elements (the bytes of an UntypedStorage) as {dtype} (a TypedStorage)."
    return convert


for _name, _dtype in [("double", _C.float64), ("float", _C.float32), ("half", _C.float16),
                      ("bfloat16", _C.bfloat16), ("long", _C.int64), ("int", _C.int32), ("short", _C.int16),
                      ("char", _C.int8), ("byte", _C.uint8), ("bool", _C.bool),
                      ("complex_float", _C.complex64), ("complex_double", _C.complex128)]:
    for _cls in (UntypedStorage, TypedStorage):
        setattr(_cls, _name, _conversion_method(_name, _dtype))


def _get_device(self):
    """The device index (None on the CPU), as PyTorch's `storage.get_device()`."""
    return self.device.index


UntypedStorage.get_device = _get_device
TypedStorage.get_device = _warning_on_use(_get_device)


# ----------------------------------------------------------------------------- legacy classes

class _LegacyStorageMeta(type):
    """`isinstance(s, torch.FloatStorage)`: a CPU TypedStorage of float32 (PyTorch's rule)."""

    def __instancecheck__(cls, obj):
        dtype = cls.__dict__.get("dtype")
        if dtype is None:
            return super().__instancecheck__(obj)
        # (reading `device` first warns, as PyTorch's check does, whatever the dtype)
        return isinstance(obj, TypedStorage) and obj.device.type == "cpu" and obj.dtype == dtype

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


class _LegacyStorage(TypedStorage, metaclass=_LegacyStorageMeta):
    """Calling a legacy class builds a CPU TypedStorage of its dtype (its instances are never the class
    itself, as in PyTorch): `FloatStorage()`, `FloatStorage(size)`, `FloatStorage(sequence)`,
    `FloatStorage(wrap_storage=untyped)`."""

    def __new__(cls, *args, wrap_storage=None, **kwargs):
        _warn_typed_storage_removal()
        if kwargs:
            raise _legacy_arguments_error(cls, RuntimeError,
                                          f"Keyword argument '{next(iter(kwargs))}' cannot be specified")
        if wrap_storage is not None:
            if args:
                raise _legacy_arguments_error(cls, RuntimeError,
                                              "No positional arguments are allowed with 'wrap_storage'")
            return TypedStorage(wrap_storage=wrap_storage, dtype=cls.dtype, _internal=True)
        if len(args) > 1:
            raise _legacy_arguments_error(cls, RuntimeError, "Too many positional arguments")
        if args and not (isinstance(args[0], (list, tuple))
                         or isinstance(args[0], numbers.Integral) and not isinstance(args[0], bool)):
            raise _legacy_arguments_error(cls, TypeError, f"Argument type not recognized: {type(args[0])!r}")
        return TypedStorage(*args, dtype=cls.dtype, _internal=True)


def _legacy_storage(name, dtype):
    return _LegacyStorageMeta(name, (_LegacyStorage,), {"dtype": dtype, "__module__": __name__,
                                                        "__doc__": f"The legacy storage class of CPU {dtype}."})


FloatStorage = _legacy_storage("FloatStorage", _C.float32)
DoubleStorage = _legacy_storage("DoubleStorage", _C.float64)
HalfStorage = _legacy_storage("HalfStorage", _C.float16)
BFloat16Storage = _legacy_storage("BFloat16Storage", _C.bfloat16)
LongStorage = _legacy_storage("LongStorage", _C.int64)
IntStorage = _legacy_storage("IntStorage", _C.int32)
ShortStorage = _legacy_storage("ShortStorage", _C.int16)
CharStorage = _legacy_storage("CharStorage", _C.int8)
ByteStorage = _legacy_storage("ByteStorage", _C.uint8)
BoolStorage = _legacy_storage("BoolStorage", _C.bool)
ComplexFloatStorage = _legacy_storage("ComplexFloatStorage", _C.complex64)
ComplexDoubleStorage = _legacy_storage("ComplexDoubleStorage", _C.complex128)
_LEGACY_BY_DTYPE = {cls.dtype: cls for cls in (FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage, LongStorage,
                                               IntStorage, ShortStorage, CharStorage, ByteStorage, BoolStorage,
                                               ComplexFloatStorage, ComplexDoubleStorage)}


def is_storage(obj):
    """Whether `obj` is a storage object (UntypedStorage or TypedStorage)."""
    return isinstance(obj, (UntypedStorage, TypedStorage))


# ----------------------------------------------------------------------------- Tensor methods

# The storage object of each tensor memory that has one, so that, as in PyTorch, every tensor on
# one memory gives the same object (`t.untyped_storage() is t[1:].untyped_storage()`). Weak: an
# entry lives as long as the object, whose `_flat` keeps the memory (and so its address) alive.
_storage_of_memory = weakref.WeakValueDictionary()


def _memory_key(flat):
    """What identifies the memory of the whole-storage tensor `flat`; None for no bytes at all (every
    empty tensor has the same address, but each its own storage)."""
    nbytes = flat.numel() * flat.element_size()
    return (str(flat.device), flat.data_ptr(), nbytes) if nbytes else None


@tensor_method
def untyped_storage(self):
    """The memory behind this tensor (all of it, from byte 0) as an UntypedStorage: the same object
    for every tensor on that memory while the object lives."""
    flat = _whole_storage(self)
    key = _memory_key(flat)
    storage = _storage_of_memory.get(key) if key is not None else None
    if storage is None:
        storage = UntypedStorage._wrap(flat)
        if key is not None:
            _storage_of_memory[key] = storage
    return storage


@tensor_method
def _typed_storage(self):
    return TypedStorage(wrap_storage=self.untyped_storage(), dtype=self.dtype, _internal=True)


@tensor_method
def storage(self):
    """The memory behind this tensor as a TypedStorage of its dtype (deprecated: warns once)."""
    _warn_typed_storage_removal()
    return self._typed_storage()


@tensor_method
def storage_type(self):
    """The legacy storage class of this tensor's dtype, e.g. `torch.FloatStorage`."""
    _warn_typed_storage_removal()
    if self.device.type != "cpu":
        raise RuntimeError("ferrotorch has no torch.cuda legacy storage classes: storage_type() is only "
                           "available for CPU tensors")
    return _LEGACY_BY_DTYPE[self.dtype]


def _storage_as_set_source(self, source, storage_offset, size, stride):
    """`set_(storage, ...)`'s arguments as the tensor form's: the storage's bytes read as `self`'s
    dtype, whole when no offset/size/stride are given (called by `Tensor.set_`)."""
    if isinstance(source, TypedStorage):
        if source.dtype != self.dtype:
            raise RuntimeError(f"Expected a Storage of type {_dtype_word(self.dtype)} or an UntypedStorage, "
                               f"but got type {_scalar_type_name(source.dtype)} for argument 1 'storage'")
        source = source._untyped_storage
    if storage_offset is not None and size is not None and storage_offset >= 0:
        needed = _bytes_spanned(storage_offset, tuple(size), stride, self.element_size())
        if needed > source.nbytes():
            # PyTorch grows a storage too small for the window, which only a fresh storage allows.
            if not source._resizable:
                raise RuntimeError("Trying to resize storage that is not resizable")
            source.resize_(needed)
    source._resizable = False  # a tensor views it now
    storage = source
    source = _reinterpret(source._flat, self.dtype) if source.nbytes() >= self.element_size() else \
        _C.empty(0, dtype=self.dtype, device=source.device)  # no whole element: nothing to share
    key = _memory_key(_whole_storage(source))
    if key is not None and key[2] == storage.nbytes():
        # The tensor's untyped_storage() is then this very storage object, as in PyTorch.
        _storage_of_memory.setdefault(key, storage)
    if storage_offset is None and size is None:
        storage_offset, size, stride = 0, (source.numel(),), (1,)
    return source, storage_offset, size, stride


def _bytes_spanned(storage_offset, size, stride, itemsize):
    """The bytes from a storage's start that a (size, stride) window at `storage_offset` reaches."""
    if 0 in size:
        return 0
    if stride is None:
        extent = math.prod(size)
    else:
        extent = 1 + sum((n - 1) * step for n, step in zip(size, stride))
    return (storage_offset + extent) * itemsize
