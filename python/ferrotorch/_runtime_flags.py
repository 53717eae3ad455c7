"""Process-level switches and small device-generic helpers at the top of `torch`.

Anomaly mode (`set_anomaly_enabled`, `is_anomaly_enabled`, `is_anomaly_check_nan_enabled`) reads
and writes the one state that `torch.autograd.detect_anomaly` uses. `set_warn_always` turns the
"warn once per process" warnings into "warn every time". `set_flush_denormal` really sets the
CPU's flush-to-zero / denormals-are-zero bits (x86-64 only, calling thread only, as PyTorch's
does). The inter-op thread count is validated and kept as PyTorch's is; ferrotorch runs no
inter-op parallel work (`torch.jit.fork` runs its function inline), so it changes nothing else.

    >>> import ferrotorch as torch
    >>> torch.set_anomaly_enabled(True); torch.autograd.anomaly_mode.is_anomaly_enabled()
    True
    >>> torch.set_anomaly_enabled(False); torch.is_anomaly_enabled()
    False
    >>> torch.get_device(torch.ones(2))
    -1
"""
import ctypes
import ctypes.util
import glob
import operator
import os
import platform
import struct
import sys
import warnings

from . import _C
from ._attach import tensor_method
from ._generic_streams import Event, Stream
from ._runtime_tensor_methods import nonzero_static, resize_as_
from .amp.grad_scaler import GradScaler
from .autograd import anomaly_mode as _anomaly

__all__ = ["set_anomaly_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_warn_always",
           "is_warn_always_enabled", "set_flush_denormal", "get_num_interop_threads", "set_num_interop_threads",
           "init_num_threads", "get_device", "is_inference", "GradScaler", "Stream", "Event", "nonzero_static",
           "resize_as_"]

_MISSING = object()


def _type_name(obj):
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _require_tensor(fn, value, name="input"):
    if value is _MISSING:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "{name}"')
    if not isinstance(value, _C.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 1) must be Tensor, not {_type_name(value)}")


# ----------------------------------------------------------------------------- anomaly mode
is_anomaly_enabled = _anomaly.is_anomaly_enabled
is_anomaly_check_nan_enabled = _anomaly.is_anomaly_check_nan_enabled


def set_anomaly_enabled(enabled=_MISSING, check_nan=True):
    """Turns anomaly mode on or off (the flag `torch.autograd.detect_anomaly` sets), with its NaN check.

        >>> import ferrotorch as torch
        >>> torch.set_anomaly_enabled(True, check_nan=False)
        >>> torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()
        (True, False)
        >>> torch.set_anomaly_enabled(False)
    """
    if enabled is _MISSING:
        raise TypeError('set_anomaly_enabled() missing 1 required positional arguments: "enabled"')
    for position, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan)), 1):
        if not isinstance(value, bool):
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' (position {position}) must be bool, "
                            f"not {_type_name(value)}")
    _anomaly._set(enabled, check_nan)


# ----------------------------------------------------------------------------- warn always
_warn_always = [False]


def set_warn_always(b, /):
    """When True, warnings PyTorch gives once per process are given every time.

    ferrotorch's once-per-process warnings that consult it: the `torch.cuda.*Tensor` legacy
    constructors' warning and `Tensor.share_memory_`'s.

        >>> import ferrotorch as torch
        >>> torch.set_warn_always(True); torch.is_warn_always_enabled()
        True
        >>> torch.set_warn_always(False)
    """
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {_type_name(b)}")
    _warn_always[0] = b


def is_warn_always_enabled():
    """True after `set_warn_always(True)`."""
    return _warn_always[0]


_warned = set()


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_stacklevel():
    """The `stacklevel` that makes a warning raised by this function's caller point at the first
    frame outside this package: the user's line, however deep the call went in here."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _resized_output_message(old_shape, new_shape):
    """PyTorch's (deprecation) warning for an `out=` tensor of another shape, which gets resized."""
    return (f"An output with one or more elements was resized since it had shape {list(old_shape)}, which does not "
            f"match the required output shape {list(new_shape)}. This behavior is deprecated, and in a future "
            "PyTorch release outputs will not be resized unless they have zero elements. You can explicitly reuse an "
            "out tensor t by resizing it, inplace, to zero elements with t.resize_(0).")


def _warn_once(key, message, category=UserWarning, stacklevel=2):
    """PyTorch's TORCH_WARN_ONCE: the first time per process, or every time under `set_warn_always`."""
    if _warn_always[0] or key not in _warned:
        _warned.add(key)
        warnings.warn(message, category, stacklevel=stacklevel + 1)


# ----------------------------------------------------------------------------- flush denormal
# x86-64 glibc: `fenv_t` is the 28-byte x87 environment followed by the 32-bit MXCSR, and
# `fesetenv` loads MXCSR from it, so MXCSR's FTZ (bit 15) and DAZ (bit 6) bits can be set from
# Python. That is the register PyTorch's `set_flush_denormal` writes (`_mm_setcsr`).
_FENV_SIZE, _MXCSR_OFFSET, _FTZ_DAZ = 32, 28, 0x8040


def _libm():
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64") \
            or platform.libc_ver()[0] != "glibc":
        return None
    name = ctypes.util.find_library("m")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _read_mxcsr(libm):
    env = ctypes.create_string_buffer(_FENV_SIZE)
    if libm.fegetenv(env) != 0:
        return None, None
    return env, struct.unpack_from("<I", env.raw, _MXCSR_OFFSET)[0]


def set_flush_denormal(mode=_MISSING):
    """Flushes denormal floats to zero on the CPU (`mode=True`) or stops doing so; returns True
    when the CPU's flags were set, False where this platform has no way to set them (PyTorch's
    answer on an unsupported CPU).

    As in PyTorch it sets the calling thread's flags (x86 MXCSR): ops computed on that thread
    flush denormal inputs and results to zero, plain Python float arithmetic included; work that
    ferrotorch splits across its worker threads (large tensors) keeps the workers' flags.

        >>> import ferrotorch as torch
        >>> x = torch.tensor([1e-310, 1.0], dtype=torch.float64)
        >>> if torch.set_flush_denormal(True):
        ...     assert (x * 1.0).tolist() == [0.0, 1.0]
        >>> ok = torch.set_flush_denormal(False)
    """
    if mode is _MISSING:
        raise TypeError("torch.set_flush_denormal() takes exactly one argument (0 given)")
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {_type_name(mode)}")
    libm = _libm()
    if libm is None:
        return False
    env, mxcsr = _read_mxcsr(libm)
    if env is None:
        return False
    wanted = (mxcsr | _FTZ_DAZ) if mode else (mxcsr & ~_FTZ_DAZ)
    raw = bytearray(env.raw)
    struct.pack_into("<I", raw, _MXCSR_OFFSET, wanted)
    if libm.fesetenv(ctypes.create_string_buffer(bytes(raw), _FENV_SIZE)) != 0:
        return False
    # Report success only when the register reads back as asked.
    _, now = _read_mxcsr(libm)
    return now is not None and (now & _FTZ_DAZ) == (_FTZ_DAZ if mode else 0)


# ----------------------------------------------------------------------------- threads
_interop = {"threads": None, "set": False}


def _physical_cores():
    """PyTorch's default inter-op pool size: the physical cores (logical CPUs if unknown)."""
    cores = set()
    for topology in glob.glob("/sys/devices/system/cpu/cpu[0-9]*/topology"):
        try:
            with open(os.path.join(topology, "physical_package_id")) as f:
                package = f.read().strip()
            with open(os.path.join(topology, "core_id")) as f:
                core = f.read().strip()
        except OSError:
            continue
        cores.add((package, core))
    return len(cores) or os.cpu_count() or 1


def get_num_interop_threads():
    """The number of inter-op threads: the physical cores unless `set_num_interop_threads` ran."""
    if _interop["threads"] is None:
        _interop["threads"] = _physical_cores()
    return _interop["threads"]


def _as_thread_count(fn, n):
    numpy = sys.modules.get("numpy")
    is_int = isinstance(n, int) or (numpy is not None and isinstance(n, numpy.integer))
    if not is_int or isinstance(n, bool) or (numpy is not None and isinstance(n, numpy.bool_)):
        raise RuntimeError(f"{fn} expects an int, but got {_type_name(n)}")
    n = operator.index(n)
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


def set_num_interop_threads(n):
    """Sets the inter-op thread count; like PyTorch, only once per process.

    ferrotorch starts no inter-op work (`torch.jit.fork` runs its function inline), so the value
    is kept for `get_num_interop_threads` and has no other effect.

        >>> import ferrotorch as torch
        >>> torch.get_num_interop_threads() >= 1
        True
    """
    n = _as_thread_count("set_num_interop_threads", n)
    if _interop["set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _interop["threads"], _interop["set"] = n, True


def init_num_threads():
    """Propagates `set_num_threads` to the calling thread: nothing to do here, since ferrotorch's
    intra-op thread count is one process-wide setting every thread already uses."""


# ----------------------------------------------------------------------------- tensors
def get_device(input=_MISSING):
    """The device ordinal of a GPU tensor, -1 for a CPU tensor (`Tensor.get_device`)."""
    _require_tensor("get_device", input)
    return input.get_device()


def is_inference(input=_MISSING):
    """Whether `input` is an inference tensor: always False in ferrotorch.

    PyTorch marks tensors made under `inference_mode` and then forbids them in autograd and
    in-place updates outside it. ferrotorch's `inference_mode` only switches grad recording off:
    the tensors it makes are ordinary tensors, with none of those restrictions (they can be saved
    for backward and updated in place afterwards), so none is an inference tensor.

        >>> import ferrotorch as torch
        >>> with torch.inference_mode():
        ...     y = torch.ones(2)
        >>> torch.is_inference(y), y.is_inference()
        (False, False)
    """
    _require_tensor("is_inference", input)
    return False


def _is_inference_method(self):
    return is_inference(self)


_is_inference_method.__doc__ = is_inference.__doc__
tensor_method(_is_inference_method, "is_inference")
