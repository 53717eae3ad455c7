"""`nn.utils.skip_init`: build a module without running its parameter initialisation.

PyTorch constructs on the "meta" device and then allocates uninitialised storage; ferrotorch has no
meta device, so the module is built directly on the requested device with `nn.init`'s initialisers
temporarily replaced by no-ops. Parameter values are unspecified, as in PyTorch.
"""
import inspect

from ..modules.module import Module

__all__ = ["skip_init"]

_INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                 "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                 "sparse_")


def skip_init(module_cls, *args, **kwargs):
    """Instantiates `module_cls(*args, **kwargs)` with parameters left uninitialised; the class must
    accept a `device` argument.

        >>> import ferrotorch as torch
        >>> m = torch.nn.utils.skip_init(torch.nn.Linear, 5, 1)
        >>> m.weight.shape
        torch.Size([1, 5])
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    from .. import init
    saved = {name: getattr(init, name) for name in _INITIALISERS if hasattr(init, name)}
    try:
        for name in saved:
            setattr(init, name, lambda tensor, *a, **k: tensor)
        module = module_cls(*args, **kwargs)
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)
    return module
