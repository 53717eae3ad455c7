"""`torch.autograd.Variable`: the pre-0.4 wrapper, kept so that old scripts run.

Since PyTorch 0.4 every tensor is a Variable: calling `Variable(data, requires_grad)` gives back a
tensor (a new leaf sharing `data`'s memory), and `isinstance(t, Variable)` is True for any tensor.

    >>> import ferrotorch as torch
    >>> from ferrotorch.autograd import Variable
    >>> v = Variable(torch.ones(2), requires_grad=True)
    >>> type(v).__name__, v.requires_grad, isinstance(torch.zeros(1), Variable)
    ('Tensor', True, True)
"""
import warnings

from .. import _C
from .._C import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)

    def __subclasscheck__(cls, other):
        return isinstance(other, type) and issubclass(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """`Variable(data=None, requires_grad=False, volatile=False)` -> a leaf tensor aliasing `data`.

    `volatile` no longer has an effect (use `torch.no_grad()`); passing True warns, as in PyTorch.
    """

    def __new__(cls, data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            data = _C.empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if _grad_fn is not None:
            raise RuntimeError("ferrotorch's Variable does not take a _grad_fn")
        # A new leaf over the same memory, outside data's graph (PyTorch's make_variable(data.data)).
        out = Tensor.__new__(Tensor, data.detach())
        if requires_grad:
            if not out.dtype.is_floating_point:
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            out.requires_grad_(True)
        return out
