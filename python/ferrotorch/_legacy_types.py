"""The legacy tensor types: `torch.FloatTensor`, `DoubleTensor`, `HalfTensor`, `BFloat16Tensor`,
`LongTensor`, `IntTensor`, `ShortTensor`, `CharTensor`, `ByteTensor`, `BoolTensor`.

Calling one builds a CPU tensor of its dtype: from sizes (`FloatTensor(2, 3)`, or a `torch.Size`;
the values are zeros, where PyTorch leaves them uninitialised), from data (`FloatTensor([1, 2])`,
a tuple or a numpy array is data too), or empty (`FloatTensor()`). `isinstance(t, FloatTensor)`
is True exactly for CPU float32 tensors, matching the names `Tensor.type()` returns.

    >>> import ferrotorch as torch
    >>> torch.LongTensor([1, 2]).dtype, torch.FloatTensor(2, 3).shape
    (torch.int64, torch.Size([2, 3]))
    >>> isinstance(torch.ones(2), torch.FloatTensor), isinstance(torch.ones(2), torch.DoubleTensor)
    (True, False)
"""
import operator

from . import _C
from ._size import Size

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def _as_size(args):
    """The sizes in `args` if they are all integers (not bools), else None."""
    sizes = []
    for a in args:
        if isinstance(a, bool):
            return None
        try:
            sizes.append(operator.index(a))
        except TypeError:
            return None
    return sizes


def _check_device(device):
    if device is not None:
        kind = _C.device(device).type
        if kind != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {kind} was passed")


class _LegacyTensorType(type):
    """The metaclass: calling a legacy type constructs a tensor; isinstance checks dtype and device."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        dtype = cls.dtype
        if not args:
            _check_device(device)
            return _C.empty(0, dtype=dtype)
        if len(args) == 1 and isinstance(args[0], _C.Tensor):
            other = args[0]
            if device is not None:
                raise RuntimeError("Legacy tensor constructor of the form torch.Tensor(tensor, device=device) "
                                   "is not supported.  Use torch.tensor(...) or torch.as_tensor(...) instead.")
            if other.dtype != dtype or other.device.type != "cpu":
                raise TypeError(f"expected {cls.__name__} (got {other.type()} on {other.device})")
            return other.view(other.shape)  # an alias, as PyTorch returns
        _check_device(device)
        if len(args) == 1 and isinstance(args[0], Size):
            return _C.zeros(*args[0], dtype=dtype)
        sizes = _as_size(args)
        if sizes is not None:
            return _C.zeros(*sizes, dtype=dtype)
        if len(args) == 1:
            data = args[0]
            if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
                raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
            return _C.tensor(data, dtype=dtype)
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"new() received an invalid combination of arguments - got ({got})")

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(name, dtype):
    cls = _LegacyTensorType(name, (), {
        "__doc__": f"The legacy type of CPU {dtype} tensors: `{name}(*sizes)` or `{name}(data)`.",
        "__module__": "ferrotorch",
        "dtype": dtype,
        "is_cuda": False,
        "is_sparse": False,
    })
    return cls


FloatTensor = _legacy_type("FloatTensor", _C.float32)
DoubleTensor = _legacy_type("DoubleTensor", _C.float64)
HalfTensor = _legacy_type("HalfTensor", _C.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", _C.bfloat16)
LongTensor = _legacy_type("LongTensor", _C.int64)
IntTensor = _legacy_type("IntTensor", _C.int32)
ShortTensor = _legacy_type("ShortTensor", _C.int16)
CharTensor = _legacy_type("CharTensor", _C.int8)
ByteTensor = _legacy_type("ByteTensor", _C.uint8)
BoolTensor = _legacy_type("BoolTensor", _C.bool)
