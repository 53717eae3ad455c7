"""Questions scripts ask about the build and the platform (`torch.has_lapack`,
`torch.get_device_module`, `torch.is_vulkan_available`, ...), answered for ferrotorch, plus the
deprecated `set_default_tensor_type` that old scripts still call.

    >>> import ferrotorch as torch
    >>> torch.get_device_module("cpu").__name__
    'ferrotorch.cpu'
"""
import warnings

from . import _C

__all__ = ["newaxis", "has_lapack", "has_mkl", "has_openmp", "has_spectral", "compiled_with_cxx11_abi",
           "is_vulkan_available", "get_device_module", "set_default_tensor_type", "to_dlpack"]

# numpy's spelling of None in an index: `x[:, torch.newaxis]`.
newaxis = None

# What these flags mean to a script: linalg (LAPACK's functions) and fft (spectral) are there; the
# CPU kernels are ferrotorch's own, with neither MKL nor OpenMP.
has_lapack = True
has_spectral = True
has_mkl = False
has_openmp = False


def compiled_with_cxx11_abi():
    """Always True (PyTorch's question about its C++ ABI; ferrotorch has no C++ API to link to)."""
    return True


def is_vulkan_available():
    """False: PyTorch's Vulkan backend (the `vulkan` device) is not ferrotorch's. ferrotorch's GPU
    backend may well run on Vulkan, as the `cuda`/`gpu` device (`torch.cuda.is_available()`)."""
    return False


def get_device_module(device=None):
    """The module of a device type: `ferrotorch.cuda` for "cuda" (and its aliases "gpu"/"wgpu"),
    `ferrotorch.cpu` for "cpu"; with no argument, the accelerator's module.

        >>> import ferrotorch as torch
        >>> torch.get_device_module("cuda") is torch.cuda
        True
    """
    from . import cpu, cuda
    if device is None:
        return cuda
    kind = device if isinstance(device, str) and ":" not in device else _C.device(device).type
    if kind == "cpu":
        return cpu
    if kind in ("cuda", "gpu", "wgpu"):
        return cuda
    kind = _C.device(kind).type  # PyTorch's error for a device string it does not know
    return cpu if kind == "cpu" else cuda


_set_default_tensor_type_warned = []


def set_default_tensor_type(t, /):
    """Deprecated (as in PyTorch 2.1+): sets the default dtype, and the default device to the GPU
    for a `torch.cuda.*Tensor` type (else the CPU), from a legacy type or its name.

        >>> import warnings
        >>> import ferrotorch as torch
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     torch.set_default_tensor_type(torch.DoubleTensor)
        ...     print(torch.ones(1).dtype)
        ...     torch.set_default_tensor_type("torch.FloatTensor")
        torch.float64
    """
    from ._runtime_flags import _warn_once
    from ._tensor_extras import set_default_device
    from . import _cuda_legacy_types, _legacy_types
    _warn_once("set_default_tensor_type", "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please "
               "use torch.set_default_dtype() and torch.set_default_device() as alternatives.", stacklevel=2)
    if isinstance(t, str):
        # PyTorch imports the named module and looks the name up in it.
        module, _, name = t.rpartition(".")
        table = {"torch": _legacy_types, "torch.cuda": _cuda_legacy_types}.get(module)
        if table is None:
            raise ModuleNotFoundError(f"No module named '{module or name}'")
        if not hasattr(table, name):
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        t = getattr(table, name)
    dtype = getattr(t, "dtype", None)
    if not isinstance(dtype, _C.dtype):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    gpu = isinstance(t, _cuda_legacy_types._CudaLegacyTensorType)
    _C.set_default_dtype(dtype)
    set_default_device("cuda" if gpu else None)


def to_dlpack(tensor):
    """A DLPack capsule of `tensor`'s memory, for another library's `from_dlpack` (the older
    protocol; libraries that take the tensor itself call its `__dlpack__`)."""
    return tensor.__dlpack__()
