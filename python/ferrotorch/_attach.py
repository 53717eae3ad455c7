"""Tensor methods written in Python: the one place that adds them to the Rust Tensor class.

Most methods are Rust (`#[pymethods]`); ops composed in Python (`_math_composites.py`,
`_shape_functions.py`, `_tensor_methods.py`, `_linalg_solvers.py`) attach theirs here, as
torch/_tensor.py does for PyTorch. A name the class already has is an error at import time, so
a Python method can never silently shadow a native one (or another module's).
"""
from . import _C


def tensor_method(fn, name=None):
    """Adds `fn(self, ...)` (or a property) to Tensor as `name` (default: its own name)."""
    name = name or fn.__name__
    if hasattr(_C.Tensor, name):
        raise RuntimeError(f"Tensor.{name} is already defined")
    if not isinstance(fn, property):
        fn.__name__ = name
        fn.__qualname__ = f"Tensor.{name}"
    setattr(_C.Tensor, name, fn)
    return fn


def method_of(function, name=None):
    """`function(input, ...)` as the method `input.name(...)`, sharing its docstring."""
    name = name or function.__name__

    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__doc__ = function.__doc__ or f"See :func:`ferrotorch.{name}`."
    return tensor_method(method, name)
