"""3-D convolutions (F.conv3d, F.conv_transpose3d, nn.Conv3d, nn.ConvTranspose3d, LazyConv*, LazyLinear)
against direct-loop numpy references, on both devices; gradients by gradcheck in float64."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, to_numpy
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(3)


def rand(*shape):
    return RNG.standard_normal(shape)


def dev(a, device, requires_grad=False):
    return torch.tensor(np.array(a, order="C")).to(device).requires_grad_(requires_grad)


def np_conv3d(x, w, b=None, s=(1, 1, 1), p=(0, 0, 0), d=(1, 1, 1), groups=1):
    """Explicit sum over output positions and kernel taps."""
    n, c, D, H, W = x.shape
    o, cg, kd, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]), (p[2], p[2])))
    outs = [(sz + 2 * pp - dd * (k - 1) - 1) // ss + 1 for sz, pp, dd, k, ss in zip((D, H, W), p, d, (kd, kh, kw), s)]
    out = np.zeros((n, o) + tuple(outs))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for a in range(outs[0]):
            for bb in range(outs[1]):
                for e in range(outs[2]):
                    for i in range(kd):
                        for j in range(kh):
                            for k in range(kw):
                                v = xp[:, g * cg:(g + 1) * cg, a * s[0] + i * d[0], bb * s[1] + j * d[1], e * s[2] + k * d[2]]
                                out[:, oc, a, bb, e] += v @ w[oc, :, i, j, k]
    return out if b is None else out + b.reshape(1, o, 1, 1, 1)


def np_conv_transpose3d(x, w, b=None, s=(1, 1, 1), p=(0, 0, 0), op=(0, 0, 0), groups=1, d=(1, 1, 1)):
    """Each input cell scatters weight * value into the output, then crop padding."""
    n, cin, D, H, W = x.shape
    _, cog, kd, kh, kw = w.shape
    cig = cin // groups
    full = [(sz - 1) * ss + dd * (k - 1) + 1 + oo for sz, ss, dd, k, oo in zip((D, H, W), s, d, (kd, kh, kw), op)]
    out = np.zeros((n, cog * groups) + tuple(full))
    for ci in range(cin):
        g = ci // cig
        for a in range(D):
            for bb in range(H):
                for e in range(W):
                    for i in range(kd):
                        for j in range(kh):
                            for k in range(kw):
                                out[:, g * cog:(g + 1) * cog, a * s[0] + i * d[0], bb * s[1] + j * d[1],
                                    e * s[2] + k * d[2]] += x[:, ci, a, bb, e][:, None] * w[ci, :, i, j, k][None]
    out = out[:, :, p[0]:full[0] - p[0], p[1]:full[1] - p[1], p[2]:full[2] - p[2]]
    return out if b is None else out + b.reshape(1, -1, 1, 1, 1)


CONV_CASES = [
    dict(s=(1, 1, 1), p=(0, 0, 0), d=(1, 1, 1), groups=1),
    dict(s=(2, 1, 2), p=(1, 0, 1), d=(1, 2, 1), groups=2),
    dict(s=(1, 2, 1), p=(0, 1, 1), d=(2, 1, 1), groups=1),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv3d_forward(device, case):
    g = case["groups"]
    x, w, b = rand(2, 4, 5, 5, 4), rand(6, 4 // g, 2, 3, 2), rand(6)
    out = F.conv3d(dev(x, device), dev(w, device), dev(b, device), case["s"], case["p"], case["d"], g)
    assert_close(out.cpu(), np_conv3d(x, w, b, case["s"], case["p"], case["d"], g), rtol=1e-9, atol=1e-9)


def test_conv3d_noncontiguous_unbatched_and_float32(device):
    x, w = rand(4, 3, 4, 5), rand(2, 3, 2, 2, 2)
    # A transposed (non-contiguous) unbatched input.
    xt = dev(x.transpose(0, 1, 3, 2).copy(), device).transpose(2, 3).transpose(0, 1)
    assert not xt.is_contiguous()
    out = F.conv3d(xt, dev(w, device), padding=1)
    assert_close(out.cpu(), np_conv3d(x.transpose(1, 0, 2, 3)[None], w, p=(1, 1, 1))[0], rtol=1e-9, atol=1e-9)
    out32 = F.conv3d(dev(x, device).float().transpose(0, 1), dev(w, device).float())
    assert out32.dtype == torch.float32
    assert_close(out32.cpu(), np_conv3d(x.transpose(1, 0, 2, 3)[None], w)[0].astype(np.float32), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv3d_padding_strings(device, padding):
    x, w = rand(1, 2, 4, 5, 3), rand(3, 2, 2, 3, 2)  # even kernel dims: asymmetric 'same'
    out = F.conv3d(dev(x, device), dev(w, device), padding=padding, dilation=(1, 1, 2))
    if padding == "valid":
        ref = np_conv3d(x, w, d=(1, 1, 2))
    else:
        xp = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 1), (1, 1)))
        ref = np_conv3d(xp, w, d=(1, 1, 2))
    assert out.shape == ((1, 3, 4, 5, 3) if padding == "same" else ref.shape)
    assert_close(out.cpu(), ref, rtol=1e-9, atol=1e-9)


def test_conv3d_gradcheck(device):
    x = dev(rand(1, 2, 3, 3, 2), device, True)
    w = dev(rand(2, 1, 2, 2, 1), device, True)
    b = dev(rand(2), device, True)
    assert gradcheck(lambda a, k, c: F.conv3d(a, k, c, (2, 1, 1), (1, 0, 1), (1, 2, 1), 2), (x, w, b))


@pytest.mark.parametrize("case", [dict(s=(1, 1, 1), p=(0, 0, 0), op=(0, 0, 0), d=(1, 1, 1), groups=1),
                                  dict(s=(2, 1, 2), p=(1, 0, 1), op=(1, 0, 0), d=(1, 1, 2), groups=2),
                                  dict(s=(3, 2, 1), p=(0, 1, 0), op=(2, 1, 0), d=(2, 1, 1), groups=1)])
def test_conv_transpose3d_forward(device, case):
    g = case["groups"]
    x, w, b = rand(2, 4, 3, 2, 3), rand(4, 6 // g, 2, 3, 2), rand(6)
    out = F.conv_transpose3d(dev(x, device), dev(w, device), dev(b, device), case["s"], case["p"], case["op"], g,
                             case["d"])
    ref = np_conv_transpose3d(x, w, b, case["s"], case["p"], case["op"], g, case["d"])
    assert_close(out.cpu(), ref, rtol=1e-9, atol=1e-9)


def test_conv_transpose3d_is_conv3d_adjoint_and_gradcheck(device):
    x = dev(rand(1, 2, 4, 3, 4), device, True)
    w = dev(rand(3, 2, 2, 2, 2), device)
    y = F.conv3d(x, w, stride=2, padding=1)
    gy = dev(rand(*y.shape), device)
    (gx,) = torch.autograd.grad(y, x, gy)
    ct = F.conv_transpose3d(gy, w, stride=2, padding=1, output_padding=(0, 1, 0))
    assert_close(ct.cpu(), to_numpy(gx.cpu()), rtol=1e-9, atol=1e-9)
    xt = dev(rand(1, 2, 2, 2, 2), device, True)
    wt = dev(rand(2, 2, 2, 1, 2), device, True)
    assert gradcheck(lambda a, k: F.conv_transpose3d(a, k, stride=(2, 1, 1), padding=(0, 0, 1),
                                                     output_padding=(1, 0, 0)), (xt, wt))


def test_conv3d_empty_batch(device):
    w = dev(rand(3, 2, 1, 2, 2), device, True)
    out = F.conv3d(dev(np.zeros((0, 2, 3, 3, 3)), device), w)
    assert out.shape == (0, 3, 3, 2, 2)
    out.sum().backward()
    assert w.grad.shape == w.shape and float(w.grad.abs().sum()) == 0.0
    out = F.conv_transpose3d(dev(np.zeros((0, 3, 2, 2, 2)), device), dev(rand(3, 2, 1, 1, 1), device))
    assert out.shape == (0, 2, 2, 2, 2)


def test_conv3d_errors():
    x = torch.zeros(1, 2, 3, 3, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d, but got "
                                           r"input of size: \[3, 3\]"):
        F.conv3d(torch.zeros(3, 3), torch.zeros(1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[4, 3, 1, 1, 1\], expected input"
                                           r"\[1, 2, 3, 3, 3\] to have 3 channels, but got 2 channels instead"):
        F.conv3d(x, torch.zeros(4, 3, 1, 1, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv3d(x, torch.zeros(1, 2, 4, 1, 1, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv3d(x, torch.zeros(1, 2, 1, 1, 1, dtype=torch.float64), stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"Input type \(double\) and weight type \(float\) should be the same"):
        F.conv3d(x, torch.zeros(1, 2, 1, 1, 1))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose3d(x, torch.zeros(2, 1, 1, 1, 1, dtype=torch.float64), output_padding=1)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose3d(x[:, :, :1], torch.zeros(2, 1, 1, 1, 1, dtype=torch.float64), padding=1)


def test_conv3d_module_padding_modes_and_repr(device):
    m = nn.Conv3d(2, 3, (1, 2, 3), padding=(1, 1, 1), padding_mode="circular", bias=False).double().to(device)
    assert repr(m) == ("Conv3d(2, 3, kernel_size=(1, 2, 3), stride=(1, 1, 1), padding=(1, 1, 1), bias=False, "
                       "padding_mode=circular)")
    x = rand(2, 2, 3, 3, 4)
    ref = np_conv3d(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1)), mode="wrap"), to_numpy(m.weight.cpu()))
    assert_close(m(dev(x, device)).cpu(), ref, rtol=1e-9, atol=1e-9)
    assert repr(nn.Conv3d(4, 8, 3, stride=2, dilation=2, groups=2)) == \
        "Conv3d(4, 8, kernel_size=(3, 3, 3), stride=(2, 2, 2), dilation=(2, 2, 2), groups=2)"


def test_conv_transpose3d_module_output_size(device):
    m = nn.ConvTranspose3d(2, 4, 3, stride=2, padding=1).double().to(device)
    assert repr(m) == "ConvTranspose3d(2, 4, kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1))"
    x = rand(1, 2, 2, 3, 2)
    out = m(dev(x, device), output_size=[4, 6, 3])
    assert out.shape == (1, 4, 4, 6, 3)
    ref = np_conv_transpose3d(x, to_numpy(m.weight.cpu()), to_numpy(m.bias.cpu()), (2, 2, 2), (1, 1, 1), (1, 1, 0))
    assert_close(out.cpu(), ref, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(dev(x, device), output_size=[9, 6, 3])


def test_lazy_linear_and_conv(device):
    m = nn.LazyLinear(3, dtype=torch.float64, device=device)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    w_obj = m.weight
    x = rand(2, 5)
    out = m(dev(x, device))
    assert type(m) is nn.Linear and m.in_features == 5 and w_obj is m.weight
    assert type(m.weight) is nn.Parameter and m.weight.shape == (3, 5) and m.weight.requires_grad
    assert float(m.weight.abs().max()) <= 1 / np.sqrt(5)  # Linear's init bound
    assert_close(out.cpu(), x @ to_numpy(m.weight.cpu()).T + to_numpy(m.bias.cpu()), rtol=1e-9, atol=1e-9)
    out.sum().backward()
    assert m.weight.grad.shape == (3, 5)
    c = nn.LazyConv3d(4, 2, groups=2, bias=False, dtype=torch.float64, device=device)
    y = c(dev(rand(6, 3, 3, 3), device))  # unbatched: in_channels from dim 0
    assert type(c) is nn.Conv3d and c.in_channels == 6 and c.weight.shape == (4, 3, 2, 2, 2)
    assert y.shape == (4, 2, 2, 2)
    c2 = nn.LazyConv1d(2, 3)
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to LazyConv1d"):
        c2(torch.zeros(5))
    assert type(nn.LazyConv2d(3, 3)(torch.zeros(1, 2, 4, 4))) is torch.Tensor


@pytest.mark.parametrize("name,xs,ws", [
    ("conv1d", (2, 3, 7), (4, 3, 3)), ("conv2d", (2, 3, 5, 5), (4, 3, 3, 3)),
    ("conv3d", (1, 3, 3, 4, 4), (4, 3, 2, 2, 2)), ("conv_transpose1d", (2, 3, 5), (3, 4, 3)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 4, 3, 3)), ("conv_transpose3d", (1, 3, 2, 3, 3), (3, 4, 2, 2, 2))])
def test_convolutions_autocast(device, name, xs, ws):
    # Convolutions are autocast ops: inputs are cast to the autocast dtype, gradients come back in the
    # parameters' own dtype.
    dtype = torch.float16
    x, w, b = dev(rand(*xs), device, True).float(), dev(rand(*ws), device, True).float(), dev(rand(4), device)
    x.retain_grad()
    w.retain_grad()
    with torch.autocast("cpu" if device == "cpu" else "cuda", dtype=dtype):
        y = getattr(F, name)(x, w, b.float())
    assert y.dtype == dtype
    y.float().sum().backward()
    assert x.grad.dtype == torch.float32 and w.grad.dtype == torch.float32
    ref = getattr(F, name)(x.detach().to(dtype).float(), w.detach().to(dtype).float(), b.float().to(dtype).float())
    assert_close(y.float().cpu(), to_numpy(ref.cpu()), atol=2e-2, rtol=2e-2)
    # Outside the region nothing is cast.
    assert getattr(F, name)(x, w, b.float()).dtype == torch.float32
