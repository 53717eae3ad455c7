"""torch.set_printoptions and the tensor repr that honours it (expected strings are PyTorch's)."""
import doctest
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _tensor_str


@pytest.fixture(autouse=True)
def default_options():
    torch.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")


def test_precision_threshold_and_profiles():
    torch.set_printoptions(precision=2)
    assert repr(torch.tensor([1.12345])) == "tensor([1.12])"
    assert repr(torch.tensor([1.0, 2.5])) == "tensor([1.00, 2.50])"
    torch.set_printoptions(threshold=5)
    assert repr(torch.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    torch.set_printoptions(profile="default")
    assert repr(torch.tensor([1.12345])) == "tensor([1.1235])"
    assert repr(torch.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    torch.set_printoptions(profile="short")
    assert repr(torch.arange(2000)) == "tensor([   0,    1,  ..., 1998, 1999])"
    assert repr(torch.tensor([1.12345])) == "tensor([1.12])"
    torch.set_printoptions(profile="full")
    r = repr(torch.arange(1500))
    assert "..." not in r and r.endswith("1498, 1499])") and r.count("\n") == 1500 // 12 - 1


def test_sci_mode():
    torch.set_printoptions(sci_mode=True)
    assert repr(torch.tensor([1.0, 2.0, 3.0])) == "tensor([1.0000e+00, 2.0000e+00, 3.0000e+00])"
    assert repr(torch.tensor(0.5)) == "tensor(5.0000e-01)"
    torch.set_printoptions(sci_mode=False)
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"
    # Any call that omits sci_mode restores the automatic choice.
    torch.set_printoptions(precision=4)
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    torch.set_printoptions(precision=2, sci_mode=True)
    assert repr(torch.tensor([123.456])) == "tensor([1.23e+02])"


def test_linewidth_and_summarised_matrices():
    torch.set_printoptions(linewidth=30)
    assert repr(torch.arange(12)) == ("tensor([ 0,  1,  2,  3,  4,\n"
                                      "         5,  6,  7,  8,  9,\n"
                                      "        10, 11])")
    torch.set_printoptions(profile="default", threshold=10, edgeitems=1)
    assert repr(torch.arange(100).reshape(10, 10)) == ("tensor([[ 0,  ...,  9],\n"
                                                       "        ...,\n"
                                                       "        [90,  ..., 99]])")
    # Dims short enough are shown whole even when the tensor is summarised.
    torch.set_printoptions(profile="default", threshold=5)
    assert repr(torch.arange(12.0).reshape(3, 4)) == ("tensor([[ 0.,  1.,  2.,  3.],\n"
                                                      "        [ 4.,  5.,  6.,  7.],\n"
                                                      "        [ 8.,  9., 10., 11.]])")


def test_zero_edgeitems_prints_the_size():
    torch.set_printoptions(threshold=5, edgeitems=0)
    assert repr(torch.arange(10)) == "tensor([...], size=(10,))"
    assert repr(torch.zeros(3, 4)) == "tensor([...], size=(3, 4))"
    assert repr(torch.tensor([1, 2])) == "tensor([1, 2], size=(2,))"


def test_suffixes_follow_the_last_line_and_wrap_at_linewidth():
    assert repr(torch.ones(2, 2, dtype=torch.int32)) == "tensor([[1, 1],\n        [1, 1]], dtype=torch.int32)"
    assert repr(torch.ones(2, 2, requires_grad=True)) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    # A line of 79 characters leaves no room for the dtype: it goes on a new line.
    nine = repr(torch.full((9,), 1.5, dtype=torch.float64))
    assert nine == "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n" \
                   "       dtype=torch.float64)"
    torch.set_printoptions(linewidth=200)
    assert repr(torch.full((9,), 1.5, dtype=torch.float64)).endswith("1.5000], dtype=torch.float64)")


def test_options_state_and_context_manager():
    opts = _tensor_str.PRINT_OPTS
    assert (opts.precision, opts.threshold, opts.edgeitems, opts.linewidth, opts.sci_mode) == (4, 1000, 3, 80, None)
    torch.set_printoptions(profile="full")
    assert math.isinf(opts.threshold)
    torch.set_printoptions(profile="default")
    with _tensor_str.printoptions(precision=1, sci_mode=True):
        assert repr(torch.tensor([2.25])) == "tensor([2.2e+00])"
        assert _tensor_str.get_printoptions()["precision"] == 1
    assert repr(torch.tensor([2.25])) == "tensor([2.2500])"
    assert torch._tensor_str is _tensor_str
    torch.set_printoptions(profile="nonsense")  # PyTorch ignores an unknown profile
    assert _tensor_str.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3, linewidth=80,
                                                  sci_mode=None)


def test_options_apply_to_every_device_and_dtype(device):
    torch.set_printoptions(precision=2)
    dev = torch.device(device)
    suffix = "" if device == "cpu" else f", device='{torch.tensor([0.0], device=device).device}'"
    assert repr(torch.tensor([1.12345], device=dev)) == f"tensor([1.12]{suffix})"
    assert repr(torch.tensor([1.5], dtype=torch.float16, device=dev)) == f"tensor([1.50]{suffix}, dtype=torch.float16)"
    torch.set_printoptions(threshold=4, edgeitems=1)
    assert repr(torch.arange(6, device=dev)) == f"tensor([0,  ..., 5]{suffix})"
    assert repr(torch.tensor(np.array([True, False, True, True, False]), device=dev)) == \
        f"tensor([ True,  ..., False]{suffix})"


def test_docstring_examples():
    assert doctest.testmod(_tensor_str).failed == 0
