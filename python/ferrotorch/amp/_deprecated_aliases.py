"""PyTorch's deprecated per-device amp spellings (`torch.cpu.amp`, `torch.cuda.amp`).

Each is built as a real module registered in `sys.modules`, so that `from torch.cuda.amp import
autocast` works; its `autocast` and `GradScaler` warn (FutureWarning, PyTorch's text) and defer to
`torch.amp` with the device type filled in.
"""
import sys
import types
import warnings

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def deprecated_amp_module(module_name, device, autocast_dtype, doc):
    """The `<module_name>` module holding `autocast` and `GradScaler` for `device` ('cpu' or 'cuda')."""
    mod = types.ModuleType(module_name, doc)

    class autocast(_autocast):
        __doc__ = f'Deprecated: `torch.amp.autocast("{device}", ...)`.'

        def __init__(self, enabled=True, dtype=autocast_dtype, cache_enabled=True):
            warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        __doc__ = f'Deprecated: `torch.amp.GradScaler("{device}", ...)`.'

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            warnings.warn(f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                          f"`torch.amp.GradScaler('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)

    autocast.__module__ = GradScaler.__module__ = module_name
    mod.autocast, mod.GradScaler = autocast, GradScaler
    mod.__all__ = ["autocast", "GradScaler"]
    sys.modules[module_name] = mod
    return mod
