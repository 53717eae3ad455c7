"""torch.inf / nan / pi / e, torch.is_complex and torch.is_nonzero (PyTorch's values and errors)."""
import doctest
import math

import pytest

import ferrotorch as torch
from ferrotorch import _constants


def test_constants_are_pythons_floats():
    assert torch.inf == math.inf and torch.pi == math.pi and torch.e == math.e
    assert math.isnan(torch.nan) and type(torch.inf) is float and type(torch.pi) is float
    assert torch.tensor([torch.inf]).isinf().all() and torch.full((2,), torch.nan).isnan().all()


def test_is_complex(device):
    for dtype in (torch.float32, torch.float64, torch.int64, torch.bool, torch.float16):
        t = torch.zeros(2, dtype=dtype, device=device)
        assert torch.is_complex(t) is False and t.is_complex() is False
    with pytest.raises(TypeError, match=r"^is_complex\(\): argument 'input' \(position 1\) must be Tensor, not float$"):
        torch.is_complex(1.0)


def test_is_nonzero(device):
    assert torch.is_nonzero(torch.tensor([1.5], device=device)) is True
    assert torch.is_nonzero(torch.tensor([[0]], device=device)) is False
    assert torch.is_nonzero(torch.tensor(False, device=device)) is False
    assert torch.is_nonzero(torch.tensor(-0.0, device=device)) is False
    assert torch.is_nonzero(torch.tensor(float("nan"), device=device)) is True
    assert torch.tensor([3], device=device).is_nonzero() is True
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is ambiguous$"):
        torch.is_nonzero(torch.tensor([], device=device))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is ambiguous$"):
        torch.is_nonzero(torch.tensor([1, 3, 5], device=device))
    with pytest.raises(TypeError, match=r"^is_nonzero\(\): argument 'input' \(position 1\) must be Tensor, not int$"):
        torch.is_nonzero(1)


def test_docstring_examples():
    assert doctest.testmod(_constants).failed == 0
