"""`torch.autocast`: run selected ops in a lower-precision floating dtype inside a region.

State is per thread and per device type ("cpu", and "cuda", of which "gpu" is an alias):
enabled or not, and the target dtype (default float16 for "cuda"/"gpu", bfloat16 for "cpu").
`autocast` is a context manager and a decorator; leaving it restores the previous state, so
regions nest.

Ops covered: `nn.functional.linear` (hence `nn.Linear`) and
`nn.functional.scaled_dot_product_attention` (hence `nn.MultiheadAttention` through its linear
projections). Inside an enabled region they cast their floating-point tensor arguments (input,
weight, bias, query, key, value) that live on the region's device to the autocast dtype; float64
tensors are left alone, as in PyTorch. Every other op runs in its inputs' dtypes (PyTorch also
moves some ops, e.g. softmax or losses, up to float32: not done here). Other functionals can opt
in by calling `autocast_args(*tensors)`.

Supported dtypes: "cpu" takes bfloat16 and float16; "cuda"/"gpu" takes float16 only, because the
wgpu backend has no bfloat16 (WGSL lacks the type): asking for it raises the RuntimeError PyTorch
raises on a CUDA device without bfloat16. Any other dtype warns and disables the region, as in
PyTorch. `cache_enabled` is accepted; casts are not cached.

    >>> import ferrotorch as torch
    >>> lin = torch.nn.Linear(2, 2)
    >>> with torch.amp.autocast("cpu"):
    ...     lin(torch.ones(1, 2)).dtype
    torch.bfloat16
"""
import functools
import threading
import warnings

from .. import _C
from .._C import Tensor

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype",
           "set_autocast_enabled", "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "get_autocast_gpu_dtype", "get_autocast_cpu_dtype", "is_autocast_cpu_enabled",
           "autocast_args"]

_DEFAULT_DTYPE = {"cpu": _C.bfloat16, "cuda": _C.float16}


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache = True
        # Fast path for the ops: False unless some device type is enabled.
        self.any = False


_state = _State()


def _key(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type in ("cuda", "gpu"):
        return "cuda"
    if device_type == "cpu":
        return "cpu"
    raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")


def is_autocast_available(device_type):
    """True for the device types autocast knows: "cpu", "cuda" and "gpu"."""
    return device_type in ("cpu", "cuda", "gpu")


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for `device_type` (default: "cuda", as in PyTorch)."""
    return _state.enabled[_key("cuda" if device_type is None else device_type)]


def is_autocast_cpu_enabled():
    return _state.enabled["cpu"]


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on `device_type`."""
    return _state.dtype[_key(device_type)]


def get_autocast_gpu_dtype():
    return _state.dtype["cuda"]


def get_autocast_cpu_dtype():
    return _state.dtype["cpu"]


def set_autocast_enabled(device_type, enabled=None):
    """Low-level switch (prefer the `autocast` context manager). `set_autocast_enabled(bool)`
    sets the "cuda" state, as PyTorch's one-argument form does."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _state.enabled[_key(device_type)] = bool(enabled)
    _state.any = any(_state.enabled.values())


def set_autocast_dtype(device_type, dtype):
    _state.dtype[_key(device_type)] = dtype


def is_autocast_cache_enabled():
    return _state.cache


def set_autocast_cache_enabled(enabled):
    _state.cache = bool(enabled)


def clear_autocast_cache():
    """No-op: casts are not cached."""


def _snapshot():
    """The whole autocast state, for code that must rerun later under it (checkpointing)."""
    return dict(_state.enabled), dict(_state.dtype), _state.cache


class _restore:
    """Context manager re-entering a `_snapshot()`, then putting the current state back."""

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def __enter__(self):
        self.prev = _snapshot()
        _apply(self.snapshot)

    def __exit__(self, *exc):
        _apply(self.prev)
        return False


def _apply(snapshot):
    enabled, dtype, cache = snapshot
    _state.enabled, _state.dtype, _state.cache = dict(enabled), dict(dtype), cache
    _state.any = any(enabled.values())


def autocast_args(*tensors):
    """The arguments of an autocast-eligible op, cast to the autocast dtype of their device when
    autocast is enabled there (non-tensors, non-floating tensors and float64 pass unchanged).

        >>> import ferrotorch as torch
        >>> with torch.amp.autocast("cpu", dtype=torch.float16):
        ...     torch.amp.autocast_mode.autocast_args(torch.ones(1))[0].dtype
        torch.float16
    """
    if not _state.any:
        return tensors
    out = []
    for t in tensors:
        if isinstance(t, Tensor) and t.is_floating_point() and t.dtype != _C.float64:
            key = "cpu" if t.device.type == "cpu" else "cuda"
            if _state.enabled[key] and t.dtype != _state.dtype[key]:
                t = t.to(_state.dtype[key])
        out.append(t)
    return tuple(out)


class autocast:
    """Context manager / decorator enabling mixed precision for `device_type` ("cpu", "cuda", "gpu").

    `dtype` defaults to float16 on "cuda"/"gpu" and bfloat16 on "cpu". See the module docstring for
    the ops it affects.

        >>> import ferrotorch as torch
        >>> with torch.amp.autocast("cpu", dtype=torch.float16):
        ...     torch.amp.autocast_mode.is_autocast_enabled("cpu")
        True
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        key = _key(device_type)
        self.device = device_type
        self.fast_dtype = _state.dtype[key] if dtype is None else dtype
        self._key = key
        self._enabled = bool(enabled)
        self._cache_enabled = _state.cache if cache_enabled is None else bool(cache_enabled)
        if key == "cpu":
            supported = (_C.bfloat16, _C.float16)
            if self._enabled and self.fast_dtype not in supported:
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CPU Autocast only supports dtype of " + ", ".join(str(d) for d in supported)
                              + " currently.")
                self._enabled = False
        else:
            if self._enabled and self.fast_dtype == _C.bfloat16:
                raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to float16.")
            if self._enabled and self.fast_dtype != _C.float16:
                warnings.warn("In CUDA autocast, but the target dtype is not supported. Disabling autocast.\n"
                              "CUDA Autocast only supports dtype of torch.float16 currently.")
                self._enabled = False

    def __enter__(self):
        self._prev = _snapshot()
        _state.enabled[self._key] = self._enabled
        _state.dtype[self._key] = self.fast_dtype
        _state.cache = self._cache_enabled
        _state.any = any(_state.enabled.values())
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _apply(self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            # A fresh instance per call, so that recursive or concurrent calls each restore properly.
            with autocast(self.device, dtype=self.fast_dtype, enabled=self._enabled,
                          cache_enabled=self._cache_enabled):
                return func(*args, **kwargs)
        return decorate_autocast
