"""`torch.typename`, used in error messages across nn and optim."""
from ._C import Tensor


def typename(obj):
    """'torch.FloatTensor' style for tensors (as `Tensor.type()` names them), the qualified class
    name otherwise ('int', 'collections.OrderedDict')."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"
