"""Module-level constants (`torch.inf`, `torch.nan`, `torch.pi`, `torch.e`) and the tensor
predicates `is_complex` and `is_nonzero`.

    >>> import ferrotorch as torch
    >>> torch.is_nonzero(torch.tensor([0.5])), torch.inf > 1e308
    (True, True)
"""
from math import e, inf, nan, pi

from . import _C
from ._attach import tensor_method

__all__ = ["e", "inf", "nan", "pi", "is_complex", "is_nonzero"]


def _require_tensor(name, input):
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def is_complex(input):
    """True if `input` has a complex dtype (complex64 or complex128).

        >>> import ferrotorch as torch
        >>> torch.is_complex(torch.ones(2))
        False
    """
    _require_tensor("is_complex", input)
    return input.dtype.is_complex


def is_nonzero(input):
    """Whether a single-element tensor is non-zero (nan counts as non-zero, as in PyTorch).

        >>> import ferrotorch as torch
        >>> torch.is_nonzero(torch.tensor([0.0])), torch.is_nonzero(torch.tensor(True))
        (False, True)
    """
    _require_tensor("is_nonzero", input)
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0


tensor_method(lambda self: is_nonzero(self), "is_nonzero").__doc__ = "See :func:`ferrotorch.is_nonzero`."
