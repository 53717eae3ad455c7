"""The legacy GPU tensor types `torch.cuda.FloatTensor`, `DoubleTensor`, ... : `torch.FloatTensor`
and the others (see `_legacy_types`) for tensors on the GPU.

Calling one builds a GPU tensor of its dtype from sizes (zeros), data, or nothing, warning once per
process (every time under `torch.set_warn_always(True)`) that the constructors are discouraged,
as PyTorch does; `isinstance(t, torch.cuda.FloatTensor)` is True exactly for GPU float32 tensors.
A dtype the GPU cannot hold (bfloat16, and float16 without shader-f16) fails as `.to("cuda")` does.

    >>> import ferrotorch as torch
    >>> isinstance(torch.ones(2), torch.cuda.FloatTensor)
    False
"""
from . import _C
from ._legacy_types import _LegacyTensorType, _as_size
from ._size import Size

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def _is_gpu(device):
    return device.type in ("gpu", "cuda")


class _CudaLegacyTensorType(_LegacyTensorType):
    """Constructs GPU tensors; isinstance checks the dtype and that the tensor is on the GPU."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.Tensor) and obj.dtype == cls.dtype and _is_gpu(obj.device)

    def __call__(cls, *args, device=None):
        from ._runtime_flags import _warn_once
        _warn_once("cuda legacy constructors", "The torch.cuda.*DtypeTensor constructors are no longer recommended. "
                   "It's best to use methods such as torch.tensor(data, dtype=*, device='cuda') to create tensors.",
                   UserWarning, stacklevel=2)
        if not _C._gpu_is_available():
            raise RuntimeError(_C._gpu_unavailable_reason() or "GPU is not available")
        if len(args) == 1 and isinstance(args[0], _C.Tensor):
            other = args[0]
            if device is not None:
                raise RuntimeError("Legacy tensor constructor of the form torch.Tensor(tensor, device=device) "
                                   "is not supported.  Use torch.tensor(...) or torch.as_tensor(...) instead.")
            if other.dtype != cls.dtype or not _is_gpu(other.device):
                raise TypeError(f"expected {cls.__name__} (got {other.type()} on {other.device})")
            return other.view(other.shape)  # an alias, as PyTorch returns
        if device is not None:
            kind = _C.device(device).type
            if not _is_gpu(_C.device(device)):
                raise RuntimeError(f"legacy constructor expects device type: cuda but device type: {kind} was passed")
        sizes = list(args[0]) if len(args) == 1 and isinstance(args[0], Size) else (_as_size(args) if args else None)
        if sizes is not None:
            return _C.zeros(*sizes, dtype=cls.dtype, device=device or "cuda")
        # Data (or nothing): the CPU type's parsing and errors, then one upload.
        return super().__call__(*args).to(device or "cuda")

    def __repr__(cls):
        return f"<class 'torch.cuda.{cls.__name__}'>"


def _cuda_legacy_type(name, dtype):
    return _CudaLegacyTensorType(name, (), {
        "__doc__": f"The legacy type of GPU {dtype} tensors: `{name}(*sizes)` or `{name}(data)`.",
        "__module__": "ferrotorch.cuda",
        "dtype": dtype,
        "is_cuda": True,
        "is_sparse": False,
    })


FloatTensor = _cuda_legacy_type("FloatTensor", _C.float32)
DoubleTensor = _cuda_legacy_type("DoubleTensor", _C.float64)
HalfTensor = _cuda_legacy_type("HalfTensor", _C.float16)
BFloat16Tensor = _cuda_legacy_type("BFloat16Tensor", _C.bfloat16)
LongTensor = _cuda_legacy_type("LongTensor", _C.int64)
IntTensor = _cuda_legacy_type("IntTensor", _C.int32)
ShortTensor = _cuda_legacy_type("ShortTensor", _C.int16)
CharTensor = _cuda_legacy_type("CharTensor", _C.int8)
ByteTensor = _cuda_legacy_type("ByteTensor", _C.uint8)
BoolTensor = _cuda_legacy_type("BoolTensor", _C.bool)
