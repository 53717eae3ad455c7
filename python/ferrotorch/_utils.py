"""Storages and tensor rebuild functions for checkpoints, mirroring `torch._utils`.

A PyTorch checkpoint's pickle names `torch._utils._rebuild_tensor_v2` and friends and refers to
storages by persistent id; `ferrotorch.load` resolves those names to the functions here. A storage
is one flat 1-D tensor (`TypedStorage._base`); every tensor rebuilt from it is an `as_strided` view
of that base, so tensors that shared memory when saved share it again after loading.
"""
from . import _C

# PyTorch's legacy storage class names (they appear as globals `torch.<Name>` in checkpoints).
STORAGE_DTYPES = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "UntypedStorage": "uint8",
}
DTYPE_STORAGES = {d: n for n, d in STORAGE_DTYPES.items() if n != "UntypedStorage"}


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _to_host(t):
    """`t.detach().cpu()`, for complex GPU tensors too: the core's device-to-host copy does not take
    complex dtypes, so those travel as their real (..., 2) view and are viewed as complex again."""
    t = t.detach()
    if t.device.type == "cpu" or not t.dtype.is_complex:
        return t.cpu()
    return t.view_as_real().cpu().contiguous().view_as_complex()


def _tensor_bytes(t):
    """The raw little-endian bytes of `t`'s elements in row-major order (any dtype, bfloat16 too)."""
    return _C.Tensor.__reduce__(_to_host(t))[1][0]


class StorageType:
    """Stands for a storage class global such as `torch.FloatStorage` while unpickling: only its
    `dtype` matters (names of dtypes ferrotorch lacks keep `dtype=None` and fail when used)."""

    def __init__(self, name):
        self._name = name
        d = STORAGE_DTYPES.get(name)
        self.dtype = getattr(_C, d) if d is not None else None

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"

    def __eq__(self, other):
        return isinstance(other, StorageType) and other._name == self._name

    def __hash__(self):
        return hash(self._name)


class TypedStorage:
    """A loaded storage: `numel` elements of `dtype` on `device`, kept as a flat tensor `_base`.

    This is what a callable `map_location(storage, location)` receives; it may return
    `storage`, `storage.cpu()`, `storage.cuda(i)` or `storage.to(device)`.
    """

    def __init__(self, base):
        self._base = base
        self._reinterpreted = {}

    @classmethod
    def _from_bytes(cls, data, numel, dtype):
        return cls(_C._tensor_from_bytes(data, [numel], _dtype_name(dtype)))

    @property
    def dtype(self):
        return self._base.dtype

    @property
    def device(self):
        return self._base.device

    def size(self):
        return self._base.numel()

    __len__ = size

    def nbytes(self):
        return self._base.numel() * self._base.dtype.itemsize

    def to(self, device):
        """This storage on `device` (itself when already there)."""
        moved = self._base.to(device)
        return self if moved is self._base else TypedStorage(moved)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def _as(self, dtype):
        """The flat base reinterpreted as `dtype` (torch's `_rebuild_tensor_v3` on an untyped storage);
        a same-size dtype stays a view, otherwise the bytes are copied once."""
        if dtype == self._base.dtype:
            return self._base
        if dtype not in self._reinterpreted:
            if dtype.itemsize == self._base.dtype.itemsize:
                view = self._base.view(dtype)
            else:
                raw = _tensor_bytes(self._base)
                view = _C._tensor_from_bytes(raw, [len(raw) // dtype.itemsize], _dtype_name(dtype))
                view = view.to(self._base.device)
            self._reinterpreted[dtype] = view
        return self._reinterpreted[dtype]

    def __repr__(self):
        return f"TypedStorage(dtype={self.dtype}, device={self.device}, size={self.size()})"


def _rebuild_tensor(storage, storage_offset, size, stride):
    return storage._base.as_strided(tuple(size), tuple(stride), storage_offset)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """A view of `storage` with the saved geometry; backward hooks are not restored (PyTorch
    only keeps them for backward compatibility and warns about them)."""
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    """Like `_rebuild_tensor_v2` for a tensor saved over an untyped storage with an explicit dtype."""
    t = storage._as(dtype).as_strided(tuple(size), tuple(stride), storage_offset)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _set_obj_state(obj, state):
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for k, v in (dict_state or {}).items():
        setattr(obj, k, v)
    for k, v in (slots_state or {}).items():
        setattr(obj, k, v)
    return obj


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """Rebuilds a Tensor subclass (torch._tensor._rebuild_from_type_v2): the plain tensor from
    `func(*args)`, re-wrapped as `new_type` (sharing memory), then its saved attributes."""
    ret = func(*args)
    if type(ret) is not new_type:
        ret = _C.Tensor.__new__(new_type, ret)
    if hasattr(type(ret), "__setstate__"):
        ret.__setstate__(state)
    elif state:
        _set_obj_state(ret, state)
    return ret
