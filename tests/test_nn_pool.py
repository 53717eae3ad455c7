"""Pooling: max/avg (1-D, 2-D, every option), adaptive avg/max, and the pooling modules, against
direct-loop numpy references; gradients by gradcheck in float64."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck, gradgradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(1)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def t(a, requires_grad=False):
    return torch.tensor(a, requires_grad=requires_grad)


def out_size(n, k, s, p, d, ceil):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    return o - 1 if ceil and (o - 1) * s >= n + p else o


def np_max_pool2d(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    oh, ow = out_size(h, k[0], s[0], p[0], d[0], ceil), out_size(w, k[1], s[1], p[1], d[1], ceil)
    vals = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            for ki in range(k[0]):
                for kj in range(k[1]):
                    y, z = oy * s[0] - p[0] + ki * d[0], ox * s[1] - p[1] + kj * d[1]
                    if 0 <= y < h and 0 <= z < w:
                        v = x[:, :, y, z]
                        better = v > vals[:, :, oy, ox]
                        vals[:, :, oy, ox] = np.where(better, v, vals[:, :, oy, ox])
                        idx[:, :, oy, ox] = np.where(better, y * w + z, idx[:, :, oy, ox])
    return vals, idx


def np_avg_pool2d(x, k, s, p, ceil, include_pad, divisor=None):
    n, c, h, w = x.shape
    oh, ow = out_size(h, k[0], s[0], p[0], 1, ceil), out_size(w, k[1], s[1], p[1], 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            y0, z0 = oy * s[0] - p[0], ox * s[1] - p[1]
            y1, z1 = min(y0 + k[0], h + p[0]), min(z0 + k[1], w + p[1])
            pool = (y1 - y0) * (z1 - z0)
            ya, za, yb, zb = max(y0, 0), max(z0, 0), min(y1, h), min(z1, w)
            total = x[:, :, ya:yb, za:zb].sum(axis=(2, 3))
            div = divisor or (pool if include_pad else (yb - ya) * (zb - za))
            out[:, :, oy, ox] = total / div
    return out


CASES = [((2, 2), None, (0, 0), (1, 1), False), ((3, 3), (2, 2), (1, 1), (1, 1), False),
         ((3, 2), (2, 1), (1, 0), (1, 1), True), ((2, 3), (2, 2), (1, 1), (2, 1), True),
         ((3, 3), (3, 3), (0, 1), (1, 1), True)]


@pytest.mark.parametrize("k,s,p,d,ceil", CASES)
def test_max_pool2d_values_and_indices(k, s, p, d, ceil):
    x = rand(2, 3, 7, 8)
    ref_v, ref_i = np_max_pool2d(x, k, s or k, p, d, ceil)
    v, i = F.max_pool2d(t(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(v.numpy(), ref_v)
    np.testing.assert_array_equal(i.numpy(), ref_i)
    assert i.dtype == torch.int64 and not i.requires_grad
    v32 = F.max_pool2d(t(x[0].astype(np.float32)), k, s, p, d, ceil_mode=ceil)  # unbatched float32
    np.testing.assert_array_equal(v32.numpy(), ref_v[0].astype(np.float32))


def test_max_pool1d():
    x = rand(2, 3, 9)
    ref_v, ref_i = np_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 2), True)
    v, i = F.max_pool1d(t(x), 3, 2, 1, 2, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(v.numpy(), ref_v[:, :, 0])
    np.testing.assert_array_equal(i.numpy(), ref_i[:, :, 0])
    # unbatched, default stride: non-overlapping pairs (the odd last element is dropped)
    np.testing.assert_array_equal(F.max_pool1d(t(x[0]), 2).numpy(), x[0, :, :8].reshape(3, 4, 2).max(-1))


@pytest.mark.parametrize("k,s,p,d,ceil", [c for c in CASES if c[3] == (1, 1)])
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool2d(k, s, p, d, ceil, include_pad):
    x = rand(2, 3, 7, 8)
    ref = np_avg_pool2d(x, k, s or k, p, ceil, include_pad)
    out = F.avg_pool2d(t(x), k, s, p, ceil_mode=ceil, count_include_pad=include_pad)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    out32 = F.avg_pool2d(t(x[0].astype(np.float32)), k, s, p, ceil, include_pad)
    np.testing.assert_allclose(out32.numpy(), ref[0], rtol=1e-5, atol=1e-6)


def test_avg_pool_divisor_override_and_1d():
    x = rand(1, 2, 5, 6)
    np.testing.assert_allclose(F.avg_pool2d(t(x), 2, padding=1, divisor_override=3).numpy(),
                               np_avg_pool2d(x, (2, 2), (2, 2), (1, 1), False, True, divisor=3), atol=1e-12)
    y = rand(2, 3, 7)
    ref = np_avg_pool2d(y[:, :, None], (1, 3), (1, 2), (0, 1), True, False)[:, :, 0]
    np.testing.assert_allclose(F.avg_pool1d(t(y), 3, 2, 1, True, False).numpy(), ref, atol=1e-12)


def np_adaptive(x, out, op):
    h, w = x.shape[-2:]
    res = np.zeros(x.shape[:-2] + tuple(out))
    for i in range(out[0]):
        a, b = i * h // out[0], -(-(i + 1) * h // out[0])
        for j in range(out[1]):
            c, e = j * w // out[1], -(-(j + 1) * w // out[1])
            res[..., i, j] = op(x[..., a:b, c:e], axis=(-2, -1))
    return res


@pytest.mark.parametrize("out", [(3, 2), (7, 8), (1, 1), (5, 3)])
def test_adaptive_pool2d(out):
    x = rand(2, 3, 7, 8)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(t(x), out).numpy(), np_adaptive(x, out, np.mean), atol=1e-12)
    np.testing.assert_allclose(F.adaptive_max_pool2d(t(x), out).numpy(), np_adaptive(x, out, np.max))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(t(x[0]), out).numpy(), np_adaptive(x[0], out, np.mean),
                               atol=1e-12)


def test_adaptive_pool_none_1d_and_indices():
    x = rand(1, 2, 5, 6)
    assert F.adaptive_avg_pool2d(t(x), (None, 2)).shape == (1, 2, 5, 2)
    y = rand(2, 3, 10)
    ref = np_adaptive(y[:, :, None], (1, 4), np.mean)[:, :, 0]
    np.testing.assert_allclose(F.adaptive_avg_pool1d(t(y), 4).numpy(), ref, atol=1e-12)
    v, i = F.adaptive_max_pool2d(t(x), 2, return_indices=True)
    flat = x.reshape(1, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, i.numpy().reshape(1, 2, -1), -1).reshape(v.shape), v.numpy())
    v1, i1 = F.adaptive_max_pool1d(t(y), 3, return_indices=True)
    np.testing.assert_array_equal(np.take_along_axis(y, i1.numpy(), -1), v1.numpy())


def test_pool_gradients():
    x = t(rand(1, 2, 6, 5), True).transpose(2, 3)  # non-contiguous (1, 2, 5, 6)
    assert gradcheck(lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradgradcheck(lambda a: F.avg_pool2d(a, 2), (x,))
    assert gradcheck(lambda a: F.adaptive_avg_pool2d(a, (3, 4)), (x,))
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, (2, 4)), (x,))
    assert gradcheck(lambda a: F.max_pool1d(a, 2), (t(rand(1, 2, 6), True),))


def test_max_pool_kernel_details():
    x = t(rand(1, 2, 5, 6), True)
    v, i = F.max_pool2d(x, 2, return_indices=True)
    assert v.grad_fn.name() == "MaxPool2DWithIndicesBackward0" and not i.requires_grad
    assert gradgradcheck(lambda a: F.max_pool2d(a, 3, 2, 1), (x,))
    # overlapping windows: a pixel that wins twice gets both gradients
    y = t([[[[1.0, 9.0, 2.0]]]], True)
    F.max_pool2d(y, (1, 2), stride=1).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[[[0.0, 2.0, 0.0]]]])
    nan = torch.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert math.isnan(F.max_pool2d(nan, 2).item())
    h = F.max_pool2d(t(rand(1, 1, 4, 4)).to(torch.float16), 2)
    assert h.dtype == torch.float16 and h.shape == (1, 1, 2, 2)
    assert F.max_pool2d(torch.zeros(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)


def test_max_pool_ties_nans_and_padding_pick_pytorchs_indices(device):
    # Values and indices printed by PyTorch 2.15: the first maximum in window order wins, so does
    # the first NaN; padded cells never win.
    nan = float("nan")
    x = torch.tensor([[[[5.0, 5.0, nan, 1.0, 2.0, 7.0], [5.0, nan, nan, 2.0, 7.0, 1.0]]]], device=device)
    v, i = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(v.cpu().numpy(), [[[[nan, nan, 7.0]]]])
    assert i.cpu().tolist() == [[[[7, 8, 5]]]]
    x = torch.tensor([[[[-1.0, -1.0, -3.0], [-2.0, -1.0, -4.0], [-5.0, -6.0, -1.0]]]], device=device)
    v, i = F.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    assert v.cpu().tolist() == [[[[-1.0, -1.0, -1.0, -3.0], [-1.0, -1.0, -1.0, -3.0], [-2.0, -1.0, -1.0, -1.0],
                                  [-5.0, -5.0, -1.0, -1.0]]]]
    assert i.cpu().tolist() == [[[[0, 0, 1, 2], [0, 0, 1, 2], [3, 4, 4, 8], [6, 6, 8, 8]]]]


def test_adaptive_max_pool_nans_pick_the_last_one_like_pytorch(device):
    # Values and indices printed by PyTorch 2.15 (its adaptive kernel uses `val > max || isnan(val)`).
    nan = float("nan")
    x = torch.tensor([[[[5.0, nan, 1.0, nan], [nan, 2.0, 7.0, 1.0]]]], device=device, requires_grad=True)
    v, i = F.adaptive_max_pool2d(x, (1, 2), return_indices=True)
    assert i.cpu().tolist() == [[[[4, 3]]]] and v.isnan().all().item()
    v.sum().backward()
    assert x.grad.cpu().tolist() == [[[[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]]]
    v, i = F.adaptive_max_pool1d(torch.tensor([[1.0, nan, 3.0, nan, 2.0, 2.0]], device=device), 2, return_indices=True)
    assert i.cpu().tolist() == [[1, 3]]
    # Without NaNs the first maximum wins.
    v, i = F.adaptive_max_pool1d(torch.tensor([[3.0, 1.0, 3.0, 2.0, 2.0, 0.0]], device=device), 2, return_indices=True)
    assert v.cpu().tolist() == [[3.0, 2.0]] and i.cpu().tolist() == [[0, 3]]


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got pad=2, "
                                           "kernel_size=3 and dilation=1"):
        F.max_pool2d(torch.zeros(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got pad="):
        F.avg_pool2d(torch.zeros(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"non-empty 3D or 4D \(batch mode\) tensor expected for input"):
        F.max_pool2d(torch.zeros(5, 5), 2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(torch.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(torch.zeros(1, 1, 4, 4), 2, divisor_override=0)


def test_pool_modules():
    m = nn.MaxPool2d(2)
    assert repr(m) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    x = torch.randn(2, 3, 6, 6)
    assert m(x).shape == (2, 3, 3, 3)
    assert len(nn.MaxPool2d(2, return_indices=True)(x)) == 2
    assert repr(nn.MaxPool1d(3, 2, 1)) == "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, stride=2)) == "AvgPool2d(kernel_size=3, stride=2, padding=0)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert nn.AvgPool1d(3)(torch.randn(2, 4, 9)).shape == (2, 4, 3)
    assert repr(nn.AdaptiveAvgPool2d((5, 7))) == "AdaptiveAvgPool2d(output_size=(5, 7))"
    assert repr(nn.AdaptiveAvgPool1d(5)) == "AdaptiveAvgPool1d(output_size=5)"
    assert repr(nn.AdaptiveMaxPool2d(1)) == "AdaptiveMaxPool2d(output_size=1)"
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).numpy()[..., 0, 0], x.numpy().mean(axis=(2, 3)), rtol=1e-5)
    assert len(m.state_dict()) == 0 and list(m.parameters()) == []
