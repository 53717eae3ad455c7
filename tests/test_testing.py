"""torch.testing.assert_close (PyTorch's tolerances, structure handling and messages) and
torch.testing.make_tensor (PyTorch's ranges and options), on every device."""
import collections
import doctest
import re

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.testing import _comparison, _creation

assert_close = torch.testing.assert_close


def message(*args, **kwargs):
    with pytest.raises(Exception) as info:
        assert_close(*args, **kwargs)
    return type(info.value), str(info.value)


def test_close_values_pass(device):
    t = torch.tensor([1.0, 2.0, 3.0], device=device)
    assert_close(t, t + 1e-6)  # within float32's atol=1e-5
    assert_close(t.double(), t.double() * (1 + 5e-8))  # within float64's rtol=1e-7
    assert_close(torch.tensor([1, 2], device=device), torch.tensor([1, 2], device=device))
    assert_close(torch.tensor([float("nan"), 1.0], device=device), torch.tensor([float("nan"), 1.0], device=device),
                 equal_nan=True)
    assert_close(torch.tensor([float("inf")], device=device), torch.tensor([float("inf")], device=device))
    assert_close(t, t + 0.05, rtol=0.0, atol=0.1)
    h = torch.ones(2, dtype=torch.float16, device=device)
    assert_close(h, h * 1.0005)


def test_tensor_mismatch_message_is_pytorchs(device):
    actual = torch.tensor([1.0, 2.0, 3.0], device=device)
    kind, msg = message(actual, torch.tensor([1.0, 2.0, 3.5], device=device))
    assert kind is AssertionError
    assert msg == ("Tensor-likes are not close!\n\n"
                   "Mismatched elements: 1 / 3 (33.3%)\n"
                   "Greatest absolute difference: 0.5 at index (2,) (up to 1e-05 allowed)\n"
                   "Greatest relative difference: 0.1428571492433548 at index (2,) (up to 1.3e-06 allowed)")
    kind, msg = message(torch.tensor([[1, 2], [3, 4]], device=device), torch.tensor([[1, 2], [3, 7]], device=device))
    assert msg == ("Tensor-likes are not equal!\n\n"
                   "Mismatched elements: 1 / 4 (25.0%)\n"
                   "Greatest absolute difference: 3 at index (1, 1)\n"
                   "Greatest relative difference: 0.4285714328289032 at index (1, 1)")  # 3 / 7 in float32
    _, msg = message(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, device=device),
                     torch.tensor([1.0, 4.0, 5.0], dtype=torch.float64, device=device))
    assert ("Mismatched elements: 2 / 3 (66.7%)\n"
            "Greatest absolute difference: 2.0 at index (1,) (up to 1e-07 allowed)") in msg
    assert msg.endswith("Greatest relative difference: 0.5 at index (1,) (up to 1e-07 allowed)")


def test_scalar_and_number_messages():
    _, msg = message(torch.tensor(float("nan")), torch.tensor(float("nan")))
    assert msg == ("Scalars are not close!\n\nExpected nan but got nan.\n"
                   "Absolute difference: nan (up to 1e-05 allowed)\nRelative difference: nan (up to 1.3e-06 allowed)")
    kind, msg = message(1e-9, 1e-10, rtol=0, atol=0)
    assert kind is AssertionError and msg == ("Scalars are not equal!\n\nExpected 1e-10 but got 1e-09.\n"
                                              "Absolute difference: 9.000000000000001e-10\nRelative difference: 9.0")
    assert_close(1.0, 1.0 + 1e-8)
    assert_close(1.0, 1, check_dtype=False)
    assert message(1.0, 1) == (AssertionError, "The (d)types do not match: <class 'float'> != <class 'int'>.")
    assert message(True, False) == (AssertionError, "Booleans mismatch: True is not False")
    assert message(None, 1) == (AssertionError, "None mismatch: None is not 1")
    assert_close(np.float32(2.0), 2.0)
    assert_close(None, None)


def test_attribute_checks(device):
    a = torch.ones(2, 2, device=device)
    assert message(a, torch.ones(2, 3, device=device)) == (
        AssertionError, "The values for attribute 'shape' do not match: torch.Size([2, 2]) != torch.Size([2, 3]).")
    assert message(a, a.double()) == (
        AssertionError, "The values for attribute 'dtype' do not match: torch.float32 != torch.float64.")
    assert_close(a, a.double(), check_dtype=False)
    assert message(a, a.t().contiguous().t(), check_stride=True) == (
        AssertionError, "The values for attribute 'stride()' do not match: (2, 1) != (1, 2).")
    assert_close(a, a.t().contiguous().t())
    if device != "cpu":
        kind, msg = message(a, a.cpu())
        assert kind is AssertionError
        assert re.match(r"The values for attribute 'device' do not match: \S+ != cpu\.$", msg)
        assert_close(a, a.cpu(), check_device=False)


def test_structures_and_their_messages():
    expected = [torch.tensor([1.0]), 2.0, np.array(3.0)]
    assert_close(tuple(expected), expected)
    foo, bar, baz = torch.tensor(1.0), 2.0, np.array(3.0)
    ordered = collections.OrderedDict([("foo", foo), ("bar", bar), ("baz", baz)])
    assert_close({"baz": baz, "bar": bar, "foo": foo}, ordered)
    assert message([1.0, 2.0], [1.0]) == (AssertionError, "The length of the sequences mismatch: 2 != 1")
    assert message({"a": 1.0}, {"b": 1.0}) == (
        AssertionError, "The keys of the mappings do not match:\nMissing keys in the actual mapping: ['b']\n"
                        "Additional keys in the actual mapping: ['a']")
    _, msg = message({"a": torch.ones(2), "b": [1.0, 2.0]}, {"a": torch.ones(2), "b": [1.0, 2.5]})
    assert msg.endswith("Relative difference: 0.2 (up to 1e-07 allowed)\n\nThe failure occurred for item ['b'][1]")
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]))


def test_type_and_tolerance_errors():
    assert message(torch.tensor(1.0), 1.0) == (
        TypeError,
        "No comparison pair was able to handle inputs of type <class 'ferrotorch.Tensor'> and <class 'float'>.")
    p = torch.nn.Parameter(torch.ones(2))
    assert_close(p, torch.ones(2))
    kind, msg = message(p, torch.ones(2), allow_subclasses=False)
    assert kind is TypeError and msg.startswith("No comparison pair was able to handle inputs of type")
    assert message(torch.ones(1), torch.ones(1), rtol=1e-3) == (
        ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.")
    assert message(1.0, 1.0, atol=0.0) == (
        ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no rtol.")


def test_msg_replaces_or_edits_the_message():
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 4.0, 5.0])
    assert message(a, b, msg="Argh, the tensors are not close!") == (AssertionError, "Argh, the tensors are not close!")
    _, msg = message(a, b, msg=lambda m: f"Header\n\n{m}\n\nFooter")
    assert msg.startswith("Header\n\nTensor-likes are not close!\n\nMismatched elements: 2 / 3 (66.7%)\n")
    assert msg.endswith("(up to 1.3e-06 allowed)\n\nFooter")


def test_tolerances_take_the_looser_dtype():
    assert_close(torch.tensor([1.0]), torch.tensor([1.0 + 2e-6], dtype=torch.float64), check_dtype=False)
    kind, _ = message(torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0 + 2e-6], dtype=torch.float64))
    assert kind is AssertionError


# ----------------------------------------------------------------------------- make_tensor

@pytest.mark.parametrize("dtype,low,high", [
    (torch.float32, -9, 9), (torch.float64, -9, 9), (torch.float16, -9, 9), (torch.bfloat16, -9, 9),
    (torch.int64, -9, 10), (torch.int32, -9, 10), (torch.int8, -9, 10), (torch.uint8, 0, 10), (torch.bool, 0, 2),
])
def test_make_tensor_default_ranges(device, dtype, low, high):
    if dtype == torch.bfloat16 and device != "cpu":
        pytest.skip("WGSL has no bfloat16: ferrotorch keeps bfloat16 tensors on the CPU")
    t = torch.testing.make_tensor(4, 5, dtype=dtype, device=device)
    assert t.shape == (4, 5) and t.dtype == dtype and t.device == torch.ones(1, device=device).device
    v = t.cpu().float().numpy() if dtype != torch.bool else t.cpu().numpy().astype(np.float64)
    assert v.min() >= low and v.max() < high


def test_make_tensor_options(device):
    mk = torch.testing.make_tensor
    t = mk((3, 4), dtype=torch.float32, device=device, low=-1, high=1)
    assert t.shape == (3, 4) and bool(((t >= -1) & (t < 1)).all())
    assert mk([2, 3], dtype=torch.int64, device=device).shape == (2, 3)
    assert mk(dtype=torch.float32, device=device).shape == ()
    nc = mk(3, 4, dtype=torch.float64, device=device, noncontiguous=True)
    assert nc.shape == (3, 4) and not nc.is_contiguous() and nc.stride() == (8, 2)
    assert mk(1, dtype=torch.float32, device=device, noncontiguous=True).is_contiguous()  # < 2 elements: ignored
    g = mk(3, dtype=torch.float64, device=device, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    z = mk(200, dtype=torch.int8, device=device, low=-1, high=1, exclude_zero=True)
    assert bool((z != 0).all()) and set(z.cpu().tolist()) <= {-1, 1}
    f = mk(50, dtype=torch.float32, device=device, low=0, high=1e-38, exclude_zero=True)
    assert bool((f != 0).all())
    cl = mk(2, 3, 4, 5, dtype=torch.float32, device=device, memory_format=torch.channels_last)
    assert cl.is_contiguous(memory_format=torch.channels_last)
    big = mk(100, dtype=torch.int16, device=device, low=-10**6, high=10**6)
    assert big.min().item() >= -32768 and big.max().item() <= 32767  # clamped to the dtype's range


def test_make_tensor_errors():
    mk = torch.testing.make_tensor
    with pytest.raises(ValueError, match=r"^`low` must be less than `high`, but got 5 >= 2$"):
        mk(2, dtype=torch.float32, device="cpu", low=5, high=2)
    with pytest.raises(ValueError, match=r"^`low` and `high` cannot be NaN, but got low=nan and high=1$"):
        mk(2, dtype=torch.float32, device="cpu", low=float("nan"), high=1)
    with pytest.raises(ValueError, match=r"^`requires_grad=True` is not supported for boolean and integral dtypes, "
                                         r"but got dtype=torch.int64$"):
        mk(2, dtype=torch.int64, device="cpu", requires_grad=True)
    with pytest.raises(ValueError, match=r"^The value interval specified by `low` and `high` is \[300, 400\), "
                                         r"but torch.uint8 only supports \[0, 256\)$"):
        mk(2, dtype=torch.uint8, device="cpu", low=300, high=400)
    with pytest.raises(ValueError, match="are mutually exclusive"):
        mk(2, 2, 2, 2, dtype=torch.float32, device="cpu", noncontiguous=True, memory_format=torch.channels_last)
    with pytest.warns(FutureWarning, match="low==high"):
        mk(2, dtype=torch.float32, device="cpu", low=1.0, high=1.0)
    with pytest.raises(TypeError):
        mk(2, dtype=torch.float32)  # device is required, as in PyTorch


@pytest.mark.parametrize("module", [torch.testing, _comparison, _creation])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
