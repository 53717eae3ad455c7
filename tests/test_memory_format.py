"""torch.memory_format / torch.layout and the channels-last support of Tensor.contiguous,
is_contiguous and to (strides as PyTorch gives them), on every device."""
import copy
import doctest
import pickle

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _memory_format


def test_constants_types_and_pickling():
    formats = [torch.preserve_format, torch.contiguous_format, torch.channels_last, torch.channels_last_3d]
    assert [repr(f) for f in formats] == ["torch.preserve_format", "torch.contiguous_format",
                                          "torch.channels_last", "torch.channels_last_3d"]
    assert all(isinstance(f, torch.memory_format) for f in formats)
    assert repr(torch.strided) == "torch.strided" and isinstance(torch.strided, torch.layout)
    assert not isinstance(torch.strided, torch.memory_format)
    for c in formats + [torch.strided]:
        assert pickle.loads(pickle.dumps(c)) is c and copy.deepcopy(c) is c and copy.copy(c) is c
    assert len(set(formats)) == 4 and torch.channels_last == torch.channels_last
    with pytest.raises(TypeError, match=r"^cannot create 'torch.memory_format' instances$"):
        torch.memory_format()
    with pytest.raises(TypeError, match=r"^cannot create 'torch.layout' instances$"):
        torch.layout()
    assert torch.ones(2).layout is torch.strided
    assert torch.zeros(2, layout=torch.strided).layout is torch.strided


def test_channels_last_strides_and_values(device):
    x = torch.arange(120.0, device=device).reshape(2, 3, 4, 5)
    y = x.contiguous(memory_format=torch.channels_last)
    assert y.stride() == (60, 1, 15, 3) and y.shape == x.shape and y.device == x.device
    assert y.is_contiguous(memory_format=torch.channels_last) and not y.is_contiguous()
    assert y.is_contiguous(memory_format=torch.contiguous_format) is False
    assert bool((y == x).all())
    assert y.contiguous(memory_format=torch.channels_last) is y  # already in that format
    back = y.contiguous()
    assert back.stride() == (60, 20, 5, 1) and bool((back == x).all())
    assert y.contiguous(memory_format=torch.contiguous_format).stride() == (60, 20, 5, 1)
    assert x.is_contiguous(memory_format=torch.preserve_format)
    # The underlying buffer really is NHWC: the NHWC view of it is plainly contiguous.
    assert y.permute(0, 2, 3, 1).is_contiguous()
    nhwc = np.arange(120.0).reshape(2, 3, 4, 5).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(y.permute(0, 2, 3, 1).cpu().numpy(), nhwc)
    z = torch.arange(720.0, device=device).reshape(2, 3, 4, 5, 6).contiguous(memory_format=torch.channels_last_3d)
    assert z.stride() == (360, 1, 90, 18, 3) and z.is_contiguous(memory_format=torch.channels_last_3d)
    assert not z.is_contiguous(memory_format=torch.channels_last)


def test_is_contiguous_follows_pytorchs_rule():
    assert not torch.ones(2, 3, 4).is_contiguous(memory_format=torch.channels_last)  # wrong rank: False
    assert not torch.ones(2, 3, 4, 5).is_contiguous(memory_format=torch.channels_last_3d)
    # Size-1 dims are skipped: a single channel is both NCHW- and NHWC-contiguous.
    assert torch.ones(2, 1, 4, 5).is_contiguous(memory_format=torch.channels_last)
    assert torch.ones(1, 3, 1, 1).is_contiguous(memory_format=torch.channels_last)
    assert torch.ones(3, 4).t().is_contiguous() is False and torch.ones(3, 4).t().contiguous().stride() == (3, 1)


def test_to_with_memory_format(device):
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    y = x.to(device, memory_format=torch.channels_last)
    assert y.stride() == (24, 1, 8, 2) and str(y.device) == str(torch.ones(1, device=device).device)
    # preserve_format (the default) keeps a channels-last tensor channels-last through copies.
    for converted in (y.to(torch.float64), y.to("cpu"), y.to(device, torch.float16), y.to(torch.float64).to(y)):
        assert converted.stride() == (24, 1, 8, 2), converted.stride()
        np.testing.assert_array_equal(converted.cpu().float().numpy(), x.numpy())
    assert y.to(torch.float64).dtype == torch.float64
    same = y.to(y.dtype)
    assert same.stride() == (24, 1, 8, 2) and same.data_ptr() == y.data_ptr()
    assert y.to(memory_format=torch.contiguous_format).stride() == (24, 12, 4, 1)
    assert y.to(torch.float64, memory_format=torch.contiguous_format).stride() == (24, 12, 4, 1)
    assert x.to(torch.float64).stride() == (24, 12, 4, 1)
    assert x.to(dtype=torch.int32, copy=True).dtype == torch.int32


def test_errors():
    with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last format$"):
        torch.ones(2, 3, 4).contiguous(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="^required rank 5 tensor to use channels_last_3d format$"):
        torch.ones(2, 3, 4, 5).to(memory_format=torch.channels_last_3d)
    with pytest.raises(RuntimeError, match="^preserve memory format is unsupported by the contiguous operator$"):
        torch.ones(2, 3).t().contiguous(memory_format=torch.preserve_format)
    with pytest.raises(TypeError, match=r"^contiguous\(\): argument 'memory_format' must be torch.memory_format, "
                                        r"not str$"):
        torch.ones(2).contiguous(memory_format="channels_last")
    with pytest.raises(TypeError, match=r"^is_contiguous\(\): argument 'memory_format' must be torch.memory_format"):
        torch.ones(2).is_contiguous(memory_format=torch.strided)
    with pytest.raises(TypeError):
        torch.ones(1, 1, 1, 1).contiguous(torch.channels_last)  # keyword-only, as in PyTorch


def test_gradients_flow_through_the_conversion(device):
    x = torch.randn(2, 3, 2, 2, dtype=torch.float64, device=device, requires_grad=True)
    w = torch.randn(2, 3, 2, 2, dtype=torch.float64, device=device)
    y = x.contiguous(memory_format=torch.channels_last)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), w.cpu().numpy())
    x.grad = None
    (x.to(memory_format=torch.channels_last) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * x.detach().cpu().numpy())


def test_ops_on_channels_last_inputs_match(device):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).to(device)
    x = torch.randn(2, 3, 5, 5, device=device)
    expected = conv(x)
    got = conv(x.contiguous(memory_format=torch.channels_last))
    np.testing.assert_allclose(got.detach().cpu().numpy(), expected.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_native_methods_stay_reachable():
    x = torch.ones(2, 3).t()
    assert torch.Tensor._contiguous_native(x).stride() == (2, 1)
    assert torch.Tensor._is_contiguous_native(x) is False
    assert torch.Tensor._to_native(x, torch.float64).dtype == torch.float64
    assert torch.Tensor.contiguous is not torch.Tensor._contiguous_native


def test_docstring_examples():
    assert doctest.testmod(_memory_format).failed == 0
