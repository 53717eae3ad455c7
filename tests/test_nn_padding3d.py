"""3-D padding layers (ZeroPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d, CircularPad3d)
against numpy.pad, forward and backward, batched and unbatched, with PyTorch's errors."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy

rng = np.random.default_rng(3)

# ferrotorch mode -> numpy.pad mode
LAYERS = [
    (torch.nn.ReflectionPad3d, "reflect"),
    (torch.nn.ReplicationPad3d, "edge"),
    (torch.nn.CircularPad3d, "wrap"),
    (torch.nn.ZeroPad3d, "constant"),
]


def _np_pad(a, pad, mode, value=0.0):
    """numpy.pad of the last three dims with PyTorch's (left, right, top, bottom, front, back)."""
    widths = [(0, 0)] * (a.ndim - 3) + [(pad[4], pad[5]), (pad[2], pad[3]), (pad[0], pad[1])]
    if mode == "constant":
        return np.pad(a, widths, mode, constant_values=value)
    return np.pad(a, widths, mode)


@pytest.mark.parametrize("layer,np_mode", LAYERS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("pad", [1, (1, 0, 2, 1, 0, 2)], ids=["int", "tuple"])
def test_pad3d_forward(device, layer, np_mode, pad):
    m = layer(pad)
    full = pad if isinstance(pad, tuple) else (pad,) * 6
    a = rng.standard_normal((2, 2, 3, 4, 3)).astype(np.float32)
    # A non-contiguous batched input: the (D, W) dims swapped.
    x = from_numpy(a).to(device).transpose(2, 4)
    out = m(x)
    assert_close(out.cpu(), _np_pad(np.swapaxes(a, 2, 4), full, np_mode))
    # Unbatched (C, D, H, W) input.
    assert_close(m(from_numpy(a[0]).to(device)).cpu(), _np_pad(a[0], full, np_mode))


@pytest.mark.parametrize("layer", [layer for layer, _ in LAYERS], ids=lambda v: v.__name__)
def test_pad3d_gradients(device, layer):
    x = torch.randn(1, 1, 2, 3, 2, dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(layer((1, 1, 0, 2, 1, 0)), (x,))


def test_constant_pad3d_and_crop(device):
    a = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    x = from_numpy(a).to(device)
    out = torch.nn.ConstantPad3d((0, 1, 1, 0, 2, 0), -1.5)(x)
    assert_close(out.cpu(), _np_pad(a, (0, 1, 1, 0, 2, 0), "constant", -1.5))
    # Negative amounts crop, as in F.pad.
    cropped = torch.nn.ZeroPad3d((-1, 0, 0, -1, 1, 0))(x)
    assert_close(cropped.cpu(), np.pad(a[:, :, :-1, 1:], [(0, 0), (1, 0), (0, 0), (0, 0)]))
    # An empty batch pads to an empty batch of the padded size.
    empty = torch.nn.ZeroPad3d(1)(torch.zeros(0, 1, 2, 2, 2, device=device))
    assert tuple(empty.shape) == (0, 1, 4, 4, 4)


def test_pad3d_repr_and_errors():
    assert repr(torch.nn.ZeroPad3d(2)) == "ZeroPad3d((2, 2, 2, 2, 2, 2))"
    assert repr(torch.nn.ConstantPad3d(1, 3.5)) == "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=3.5)"
    assert repr(torch.nn.ReflectionPad3d((1, 2, 3, 4, 5, 6))) == "ReflectionPad3d((1, 2, 3, 4, 5, 6))"
    with pytest.raises(ValueError, match="expected padding to be a single integer value or a list of 6 values"):
        torch.nn.ReplicationPad3d((1, 2))
    x = torch.zeros(1, 1, 2, 2, 2)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        torch.nn.ReflectionPad3d(2)(x)
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        torch.nn.CircularPad3d(3)(x)
