"""Results that keep their input's memory layout, as PyTorch's `preserve_format` and
TensorIterator do: clone, the `*_like` factories, dtype conversion and elementwise ops on a dense
but permuted input (a transpose, a channels-last image) come out with the input's strides; gapped
or overlapping inputs give row-major results. Values are checked too, on every device."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES
from conftest import to_numpy as _to_numpy


def to_numpy(t):
    return _to_numpy(t.cpu())


def _inputs(device):
    base = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5) / 7.0
    channels_last = torch.tensor(base, device=device).contiguous(memory_format=torch.channels_last)
    transposed = torch.tensor(base[0, 0], device=device).t()  # (5, 4), strides (1, 5)
    gapped = torch.tensor(base[0, 0], device=device)[:, ::2]  # not dense: row-major result
    return [(channels_last, (60, 1, 15, 3), base),
            (transposed, (1, 5), base[0, 0].T),
            (gapped, (3, 1), base[0, 0][:, ::2])]


LAYOUT_KEEPING = [
    ("clone", lambda t: t.clone(), lambda a: a),
    ("add scalar", lambda t: t + 1, lambda a: a + 1),
    ("scalar minus", lambda t: 2 - t, lambda a: 2 - a),
    ("mul self", lambda t: t * t, lambda a: a * a),
    ("exp", torch.exp, np.exp),
    ("relu", torch.relu, lambda a: np.maximum(a, 0)),
    ("neg", lambda t: -t, lambda a: -a),
    ("to float64", lambda t: t.to(torch.float64), lambda a: a.astype(np.float64)),
    ("gt scalar", lambda t: t > 3, lambda a: a > 3),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,op,ref", LAYOUT_KEEPING, ids=[c[0] for c in LAYOUT_KEEPING])
def test_elementwise_results_keep_a_dense_inputs_strides(device, name, op, ref):
    for x, strides, values in _inputs(device):
        out = op(x)
        assert out.stride() == strides, (name, x.stride())
        assert out.storage_offset() == 0
        np.testing.assert_allclose(to_numpy(out), ref(values), rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_like_factories_preserve_or_follow_memory_format(device):
    for x, strides, values in _inputs(device):
        for make in (torch.empty_like, torch.zeros_like, torch.ones_like, torch.rand_like, torch.randn_like,
                     lambda t: torch.full_like(t, 2.5), lambda t: torch.randint_like(t, 5)):
            out = make(x)
            assert out.stride() == strides and tuple(out.shape) == tuple(x.shape)
        np.testing.assert_array_equal(to_numpy(torch.full_like(x, 2.5)), np.full(values.shape, 2.5))
        assert torch.zeros_like(x, memory_format=torch.contiguous_format).is_contiguous()
    image = torch.zeros(2, 3, 4, 5, device=device)
    assert torch.ones_like(image, memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        torch.zeros_like(torch.zeros(3, 4, device=device), memory_format=torch.channels_last)
    with pytest.raises(TypeError, match="argument 'memory_format' must be torch.memory_format, not str"):
        torch.zeros_like(image, memory_format="channels_last")


def test_random_like_fills_in_memory_order():
    # PyTorch draws a dense tensor's random numbers in storage order: the same seed gives the
    # same memory contents whatever the layout.
    x = torch.zeros(3, 4).t()
    torch.manual_seed(7)
    permuted = torch.rand_like(x)
    torch.manual_seed(7)
    plain = torch.rand(12)
    np.testing.assert_array_equal(to_numpy(permuted.t()).ravel(), to_numpy(plain))


@pytest.mark.parametrize("device", DEVICES)
def test_clone_memory_formats(device):
    x = torch.arange(120.0, device=device).reshape(2, 3, 4, 5)
    cl = x.clone(memory_format=torch.channels_last)
    assert cl.stride() == (60, 1, 15, 3) and cl.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_array_equal(to_numpy(cl), to_numpy(x))
    back = cl.clone(memory_format=torch.contiguous_format)
    assert back.is_contiguous() and back.stride() == (60, 20, 5, 1)
    np.testing.assert_array_equal(to_numpy(back), to_numpy(x))
    assert cl.clone().stride() == (60, 1, 15, 3)  # preserve_format is the default
    # A source in yet another order, and a size-1 channel dim (whose stride orders nothing).
    odd = torch.arange(40.0, device=device).reshape(2, 1, 4, 5).transpose(2, 3)
    odd_cl = odd.clone(memory_format=torch.channels_last)
    assert odd_cl.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_array_equal(to_numpy(odd_cl), to_numpy(odd))
    assert cl.clone().untyped_storage().data_ptr() != cl.untyped_storage().data_ptr()
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        torch.ones(3, device=device).clone(memory_format=torch.channels_last)


@pytest.mark.parametrize("device", DEVICES)
def test_layout_keeping_results_differentiate_like_any_other(device):
    w = torch.arange(1.0, 13.0, device=device).reshape(3, 4).requires_grad_()
    x = w.t()  # dense, permuted
    y = (x.exp() * 2 + x.clone()).to(torch.float64)
    assert y.stride() == (1, 4)
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad), np.exp(np.arange(1.0, 13.0).reshape(3, 4)) * 2 + 1, rtol=1e-5)
