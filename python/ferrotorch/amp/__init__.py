"""`torch.amp`: automatic mixed precision, i.e. `autocast` regions that run selected ops in
float16/bfloat16 (see `autocast_mode` for which ops) and `GradScaler` loss scaling.

    >>> import ferrotorch as torch
    >>> with torch.amp.autocast("cpu"):
    ...     torch.amp.is_autocast_available("cpu")
    True
"""
import functools

from .. import _C
from .._C import Tensor
from . import autocast_mode as _am
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "custom_fwd", "custom_bwd"]


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom `autograd.Function.forward`: runs it under the autocast state of the
    call site, or (with `cast_inputs`) with autocast off and floating tensor arguments cast to
    `cast_inputs` while autocast is enabled for `device_type`."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        enabled = _am.is_autocast_enabled(device_type)
        args[0]._dtype = _am.get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = enabled
            return fwd(*args, **kwargs)
        # With cast_inputs, forward runs with autocast off, and so must backward (PyTorch's rule).
        args[0]._fwd_used_autocast = False
        if not enabled:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))
    return decorate_fwd


def _cast(value, device_type, dtype):
    """`value` (nested in lists/tuples/dicts) with floating tensors on `device_type` cast to
    `dtype`; float64 tensors and tensors on other devices are left alone, as in PyTorch."""
    if isinstance(value, Tensor):
        dev = "cpu" if value.device.type == "cpu" else "cuda"
        eligible = value.is_floating_point() and value.dtype != _C.float64 and dev == _am._key(device_type)
        return value.to(dtype) if eligible else value
    if isinstance(value, dict):
        return {k: _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom `autograd.Function.backward`: runs it with the autocast state its
    forward ran with."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=getattr(ctx, "_fwd_used_autocast", False),
                      dtype=getattr(ctx, "_dtype", None)):
            return bwd(*args, **kwargs)
    return decorate_bwd
