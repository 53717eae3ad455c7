"""F.pad (all modes, negative pads), F.interpolate (nearest, linear, bilinear), pixel_shuffle and
the padding/upsampling modules, against numpy references; gradients by gradcheck in float64."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(2)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def t(a, requires_grad=False):
    return torch.tensor(a, requires_grad=requires_grad)


def np_pad(x, pad, mode="constant", value=0.0):
    """numpy reference: positive pads via np.pad, then negative ones crop."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    pos = [(max(a, 0), max(b, 0)) for a, b in widths]
    npmode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    kw = {"constant_values": value} if mode == "constant" else {}
    y = np.pad(x, pos, mode=npmode, **kw)
    sl = tuple(slice(-min(a, 0), y.shape[i] + min(b, 0)) for i, (a, b) in enumerate(widths))
    return y[sl]


@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 3), (1, 1, 0, 2, 1, 0), (-1, 2, 1, -2)])
def test_pad_constant(pad):
    x = rand(2, 3, 4, 5)
    np.testing.assert_array_equal(F.pad(t(x), pad).numpy(), np_pad(x, pad))
    np.testing.assert_array_equal(F.pad(t(x.astype(np.float32)), pad, value=-2.5).numpy(),
                                  np_pad(x.astype(np.float32), pad, value=-2.5))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1), (1, 3, 2, 0), (-1, 2, 1, -1)])
def test_pad_modes(mode, pad):
    # batched and unbatched inputs: (N, C, W) / (C, W) for 1-D padding, (N, C, H, W) / (C, H, W) for 2-D
    x = rand(2, 3, 4, 5) if len(pad) == 4 else rand(2, 3, 5)
    np.testing.assert_array_equal(F.pad(t(x), pad, mode).numpy(), np_pad(x, pad, mode))
    np.testing.assert_array_equal(F.pad(t(x[0]), pad, mode).numpy(), np_pad(x[0], pad, mode))


def test_pad_gradients_and_errors():
    x = t(rand(1, 2, 5, 4), True).transpose(2, 3)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda a: F.pad(a, (2, 1, 1, -1), mode), (x,))
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(torch.zeros(2, 3), (1,))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(torch.zeros(1, 2, 3), (3, 0), "reflect")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D input tensor"):
        F.pad(torch.zeros(3), (1, 1), "reflect")
    assert F.pad(torch.zeros(0, 3), (1, 1)).shape == (0, 5)


def np_interp(x, out, mode, align_corners):
    """Direct per-output-pixel reference (3-D or 4-D), from PyTorch's documented coordinate maps."""
    ins = x.shape[2:]

    def src(j, n_in, n_out):
        if mode == "nearest":
            return min(int(math.floor(j * n_in / n_out)), n_in - 1)
        if align_corners:
            return j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((j + 0.5) * n_in / n_out - 0.5, 0.0)

    def weights(j, n_in, n_out):
        s = src(j, n_in, n_out)
        if mode == "nearest":
            return [(s, 1.0)]
        i0 = min(int(math.floor(s)), n_in - 1)
        return [(i0, 1 - (s - i0)), (min(i0 + 1, n_in - 1), s - i0)]

    res = np.zeros(x.shape[:2] + tuple(out))
    if len(out) == 1:
        for j in range(out[0]):
            for i, wt in weights(j, ins[0], out[0]):
                res[:, :, j] += wt * x[:, :, i]
        return res
    for a in range(out[0]):
        for b in range(out[1]):
            for i, wi in weights(a, ins[0], out[0]):
                for k, wk in weights(b, ins[1], out[1]):
                    res[:, :, a, b] += wi * wk * x[:, :, i, k]
    return res


@pytest.mark.parametrize("size", [(7, 3), (2, 9), (4, 5)])
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_2d(size, mode, ac):
    x = rand(2, 3, 4, 5)
    out = F.interpolate(t(x), size=size, mode=mode, align_corners=ac)
    np.testing.assert_allclose(out.numpy(), np_interp(x, size, mode, ac), atol=1e-12)


def test_interpolate_known_values_scale_factor_and_1d():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(up.numpy()[0, 0, 0], [1.0, 1.25, 1.75, 2.0])  # PyTorch's documented result
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2).numpy()[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    y = rand(2, 3, 6)
    np.testing.assert_allclose(F.interpolate(t(y), size=9, mode="linear", align_corners=True).numpy(),
                               np_interp(y, (9,), "linear", True), atol=1e-12)
    np.testing.assert_allclose(F.interpolate(t(y), size=4).numpy(), np_interp(y, (4,), "nearest", None))
    # a non-integer scale_factor uses 1/scale for the coordinate map unless recompute_scale_factor=True
    z = rand(1, 1, 5)
    a = F.interpolate(t(z), scale_factor=1.5).numpy()
    np.testing.assert_array_equal(a[0, 0], z[0, 0, [int(math.floor(j / 1.5)) for j in range(7)]])


def test_interpolate_nearest_exact_and_area():
    z = rand(1, 2, 5, 7)
    ne = F.interpolate(t(z), size=(3, 4), mode="nearest-exact").numpy()
    rows = [min(int((j + 0.5) * 5 / 3), 4) for j in range(3)]
    cols = [min(int((j + 0.5) * 7 / 4), 6) for j in range(4)]
    np.testing.assert_array_equal(ne, z[:, :, rows][:, :, :, cols])
    area = F.interpolate(t(z), size=(2, 3), mode="area").numpy()
    np.testing.assert_allclose(area[0, 1, 1, 2], z[0, 1, 2:5, 4:7].mean())  # window [2, 5) x [4, 7)
    np.testing.assert_allclose(area[0, 0, 0, 0], z[0, 0, 0:3, 0:3].mean())


def test_interpolate_gradients_and_errors():
    x = t(rand(1, 2, 4, 3), True).transpose(2, 3)
    assert gradcheck(lambda a: F.interpolate(a, size=(5, 7), mode="bilinear", align_corners=False), (x,))
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="nearest"), (x,))
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(torch.zeros(1, 1, 4), size=2, mode="bilinear")


def test_pixel_shuffle_roundtrip():
    x = rand(2, 8, 3, 4)
    y = F.pixel_shuffle(t(x), 2).numpy()
    assert y.shape == (2, 2, 6, 8)
    # out[n, c, h*r+i, w*r+j] = in[n, c*r*r + i*r + j, h, w]
    assert y[1, 1, 3, 5] == x[1, 1 * 4 + 1 * 2 + 1, 1, 2]
    np.testing.assert_array_equal(F.pixel_unshuffle(t(y), 2).numpy(), x)


def test_padding_and_upsampling_modules():
    x = rand(1, 2, 3, 4)
    m = nn.ZeroPad2d(1)
    assert repr(m) == "ZeroPad2d((1, 1, 1, 1))"
    np.testing.assert_array_equal(m(t(x)).numpy(), np_pad(x, (1, 1, 1, 1)))
    m = nn.ConstantPad1d((1, 2), 3.5)
    assert repr(m) == "ConstantPad1d(padding=(1, 2), value=3.5)"
    np.testing.assert_array_equal(m(t(x)).numpy(), np_pad(x, (1, 2), value=3.5))
    assert repr(nn.ConstantPad2d(2, 0.0)) == "ConstantPad2d(padding=(2, 2, 2, 2), value=0.0)"
    for cls, mode in ((nn.ReflectionPad2d, "reflect"), (nn.ReplicationPad2d, "replicate"),
                      (nn.CircularPad2d, "circular")):
        m = cls((1, 2, 2, 0))
        assert repr(m) == f"{cls.__name__}((1, 2, 2, 0))"
        np.testing.assert_array_equal(m(t(x)).numpy(), np_pad(x, (1, 2, 2, 0), mode))
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    np.testing.assert_array_equal(nn.ReplicationPad1d(2)(t(x[0])).numpy(), np_pad(x[0], (2, 2), "replicate"))
    up = nn.Upsample(scale_factor=2)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert up(t(x)).shape == (1, 2, 6, 8)
    up = nn.Upsample(size=(5, 5), mode="bilinear", align_corners=True)
    assert repr(up) == "Upsample(size=(5, 5), mode='bilinear')"
    np.testing.assert_allclose(up(t(x)).numpy(), np_interp(x, (5, 5), "bilinear", True), atol=1e-12)
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(scale_factor=2)(t(x)).numpy(),
                               np_interp(x, (6, 8), "bilinear", True), atol=1e-12)
    assert repr(nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead."):
        F.upsample(t(x), scale_factor=2)
