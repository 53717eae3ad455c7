"""`torch.testing`: `assert_close` to compare results with PyTorch's tolerances and messages,
and `make_tensor` to create random test inputs.

    >>> import ferrotorch as torch
    >>> torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0 + 1e-7]))
"""
from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]
