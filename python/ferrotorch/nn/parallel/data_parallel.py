"""`nn.DataParallel`: PyTorch splits each batch across several GPUs. ferrotorch drives one device,
which is the case where PyTorch itself just calls the wrapped module, so that is what this does.

The wrapped module is the `module` child, so `state_dict` keys carry PyTorch's `module.` prefix and a
checkpoint saved from a wrapped model loads into a wrapped model (and vice versa) as in PyTorch.
"""
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps `module`; calling it calls `module` (one device, nothing to scatter or gather).

        >>> import ferrotorch as torch
        >>> m = torch.nn.DataParallel(torch.nn.Linear(2, 3))
        >>> list(m.state_dict())
        ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        # The device_ids PyTorch would list for a single-device run (none given: no splitting).
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.dim = dim
        self.output_device = output_device if output_device is not None else (
            self.device_ids[0] if self.device_ids else None)

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Functional DataParallel: `module(*inputs, **module_kwargs)` on the single device."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
