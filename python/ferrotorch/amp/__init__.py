"""`torch.amp`: automatic mixed precision, i.e. `autocast` regions that run selected ops in
float16/bfloat16 (see `autocast_mode` for which ops) and `GradScaler` loss scaling.

    >>> import ferrotorch as torch
    >>> with torch.amp.autocast("cpu"):
    ...     torch.amp.is_autocast_available("cpu")
    True
"""
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "custom_fwd", "custom_bwd"]


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom `autograd.Function.forward`: runs it under the autocast state of the
    call site, or (with `cast_inputs`) with autocast off and floating tensor arguments cast to
    `cast_inputs` while autocast is enabled for `device_type`."""
    import functools
    from .._C import Tensor
    from . import autocast_mode as _am

    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        enabled = _am.is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = enabled
        args[0]._dtype = _am.get_autocast_dtype(device_type)
        if cast_inputs is None or not enabled:
            return fwd(*args, **kwargs)

        def cast(v):
            if isinstance(v, Tensor) and v.is_floating_point():
                return v.to(cast_inputs)
            return v
        with autocast(device_type=device_type, enabled=False):
            return fwd(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom `autograd.Function.backward`: runs it with the autocast state its
    forward ran with."""
    import functools

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
