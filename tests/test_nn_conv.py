"""Convolutions: F.unfold/F.fold (im2col/col2im kernels), conv1d/2d, conv_transpose1d/2d, and
the Conv* modules, against direct-loop numpy references; gradients by gradcheck in float64."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck, gradgradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def t(a, requires_grad=False):
    return torch.tensor(a, requires_grad=requires_grad)


def np_unfold(x, k, d=(1, 1), p=(0, 0), s=(1, 1)):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow), x.dtype)
    for ki in range(k[0]):
        for kj in range(k[1]):
            for oy in range(oh):
                for ox in range(ow):
                    out[:, :, ki, kj, oy, ox] = xp[:, :, oy * s[0] + ki * d[0], ox * s[1] + kj * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow), (oh, ow)


def np_conv2d(x, w, b=None, s=(1, 1), p=(0, 0), d=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    cols, (oh, ow) = np_unfold(x, (kh, kw), d, p, s)
    cols = cols.reshape(n, groups, cg * kh * kw, oh * ow)
    out = np.zeros((n, o, oh * ow), x.dtype)
    for g in range(groups):
        out[:, g * og:(g + 1) * og] = np.einsum("ok,nkl->nol", w[g * og:(g + 1) * og].reshape(og, -1), cols[:, g])
    out = out.reshape(n, o, oh, ow)
    return out if b is None else out + b.reshape(1, o, 1, 1)


def np_conv_transpose2d(x, w, b=None, s=(1, 1), p=(0, 0), op=(0, 0), groups=1, d=(1, 1)):
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    cig = cin // groups
    oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    out = np.zeros((n, cog * groups, oh, ow), x.dtype)
    for ci in range(cin):
        g = ci // cig
        for i in range(h):
            for j in range(wd):
                for ki in range(kh):
                    for kj in range(kw):
                        y, z = i * s[0] - p[0] + ki * d[0], j * s[1] - p[1] + kj * d[1]
                        if 0 <= y < oh and 0 <= z < ow:
                            out[:, g * cog:(g + 1) * cog, y, z] += x[:, ci, i, j, None] * w[ci, :, ki, kj]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


# ---------------------------------------------------------------- unfold / fold
@pytest.mark.parametrize("k,d,p,s", [((2, 2), (1, 1), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 2), (2, 1)),
                                     ((1, 1), (1, 1), (0, 0), (3, 2))])
def test_unfold_matches_reference(k, d, p, s):
    x = rand(2, 3, 5, 6)
    ref, _ = np_unfold(x, k, d, p, s)
    np.testing.assert_allclose(F.unfold(t(x), k, d, p, s).numpy(), ref)
    # unbatched, float32
    np.testing.assert_allclose(F.unfold(t(x[0].astype(np.float32)), k, d, p, s).numpy(), ref[0], rtol=1e-6)


def test_fold_is_adjoint_of_unfold_and_sums_overlaps():
    x = rand(2, 3, 5, 6)
    y = rand(2, 3 * 4, 4 * 5)
    lhs = (F.unfold(t(x), 2).numpy() * y).sum()
    rhs = (x * F.fold(t(y), (5, 6), 2).numpy()).sum()
    assert abs(lhs - rhs) < 1e-9
    ones = torch.ones(4, 4)  # (C*k*k, L) unbatched: every pixel counts its covering windows
    counts = F.fold(ones, (3, 3), 2).numpy()[0]
    np.testing.assert_array_equal(counts, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_unfold_fold_dtypes_and_modules():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    for dt in (torch.float16, torch.bfloat16):
        np.testing.assert_array_equal(F.unfold(x.to(dt), 2).float().numpy(), F.unfold(x, 2).numpy())
    assert F.unfold(x.to(torch.float16), 2).dtype == torch.float16
    u = nn.Unfold(kernel_size=(2, 3), padding=1)
    assert repr(u) == "Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)"
    assert u(x).shape == (1, 6, 5 * 4)
    f = nn.Fold(output_size=(4, 4), kernel_size=2)
    assert repr(f) == "Fold(output_size=(4, 4), kernel_size=2, dilation=1, padding=0, stride=1)"
    assert f(F.unfold(x, 2)).shape == (1, 1, 4, 4)


def test_unfold_fold_errors():
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.unfold(torch.zeros(1, 1, 3, 3, dtype=torch.int64), 2)
    with pytest.raises(RuntimeError, match="calculated shape of the array of sliding blocks as \\(0, 0\\)"):
        F.unfold(torch.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D"):
        F.unfold(torch.zeros(2, 2), 1)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(torch.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="match the calculated number of sliding blocks 2 \\* 2 = 4"):
        F.fold(torch.zeros(1, 4, 5), (3, 3), 2)


def test_unfold_fold_gradients():
    x = t(rand(2, 2, 4, 5), True).transpose(2, 3)  # non-contiguous (2, 2, 5, 4)
    assert gradcheck(lambda a: F.unfold(a, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (x,))
    assert gradgradcheck(lambda a: F.unfold(a, 2, stride=2), (x,))
    y = t(rand(1, 8, 6), True)
    assert gradcheck(lambda a: F.fold(a, (3, 4), 2), (y,))
    assert gradgradcheck(lambda a: F.fold(a, (3, 4), 2), (y,))
    assert F.unfold(x, 2).grad_fn.name() == "Im2ColBackward0"
    assert F.fold(y, (3, 4), 2).grad_fn.name() == "Col2ImBackward0"


# ---------------------------------------------------------------- conv2d / conv1d
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=(2, 1)),
                                dict(groups=2), dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2), groups=2)])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_conv2d_matches_reference(kw, dtype, tol):
    x, w, b = rand(2, 4, 7, 6, dtype=dtype), rand(6, 4 // kw.get("groups", 1), 3, 2, dtype=dtype), rand(6, dtype=dtype)
    args = dict(s=kw.get("stride", 1), p=kw.get("padding", 0), d=kw.get("dilation", 1), groups=kw.get("groups", 1))
    args = {k: (v, v) if k != "groups" and isinstance(v, int) else v for k, v in args.items()}
    ref = np_conv2d(x, w, b, **args)
    out = F.conv2d(t(x), t(w), t(b), **kw)
    assert out.dtype == (torch.float64 if dtype == np.float64 else torch.float32)
    np.testing.assert_allclose(out.numpy(), ref, rtol=tol, atol=tol)
    # unbatched input, no bias
    np.testing.assert_allclose(F.conv2d(t(x[1]), t(w), **kw).numpy(), np_conv2d(x[1:], w, **args)[0],
                               rtol=tol, atol=tol)


def test_conv2d_padding_strings():
    x, w = rand(1, 2, 5, 6), rand(3, 2, 4, 3)
    np.testing.assert_allclose(F.conv2d(t(x), t(w), padding="valid").numpy(), np_conv2d(x, w), atol=1e-10)
    # 'same' with an even kernel pads the extra row at the bottom, as PyTorch does.
    same = F.conv2d(t(x), t(w), padding="same", dilation=(1, 2)).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (2, 2)))
    np.testing.assert_allclose(same, np_conv2d(xp, w, d=(1, 2)), atol=1e-10)
    assert same.shape == (1, 3, 5, 6)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(t(x), t(w), padding="same", stride=2)
    with pytest.raises(RuntimeError, match="Invalid padding string: 'full'"):
        F.conv2d(t(x), t(w), padding="full")


def test_conv1d_matches_reference():
    x, w, b = rand(2, 4, 9), rand(6, 2, 3), rand(6)
    ref = np_conv2d(x[:, :, None], w[:, :, None], b, s=(1, 2), p=(0, 1), d=(1, 2), groups=2)[:, :, 0]
    np.testing.assert_allclose(F.conv1d(t(x), t(w), t(b), stride=2, padding=1, dilation=2, groups=2).numpy(), ref,
                               atol=1e-10)
    np.testing.assert_allclose(F.conv1d(t(x[0]), t(w), t(b), 2, 1, 2, 2).numpy(), ref[0], atol=1e-10)
    same = F.conv1d(t(x), t(w[:, :, :2]), padding="same", groups=2).numpy()
    assert same.shape == (2, 6, 9)


def test_conv_gradients():
    x = t(rand(2, 4, 5, 4), True).transpose(2, 3)  # non-contiguous (2, 4, 4, 5)
    w, b = t(rand(4, 2, 2, 3), True), t(rand(4), True)
    assert gradcheck(lambda a, c, d: F.conv2d(a, c, d, stride=(1, 2), padding=1, dilation=(2, 1), groups=2), (x, w, b))
    assert gradgradcheck(lambda a, c: F.conv2d(a, c, groups=2), (x, w))
    x1, w1 = t(rand(1, 2, 7), True), t(rand(3, 2, 3), True)
    assert gradcheck(lambda a, c: F.conv1d(a, c, stride=2, padding=1), (x1, w1))
    xd = x.detach()
    F.conv2d(xd, w, b, groups=2).sum().backward()
    assert xd.grad is None and w.grad.shape == w.shape and b.grad.shape == (4,)
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * 3 * 3.0))  # 2 batches x (3 x 3) positions


def test_conv_empty_batch():
    w = t(rand(3, 2, 2, 2), True)
    out = F.conv2d(torch.zeros(0, 2, 4, 4, dtype=torch.float64), w)
    assert out.shape == (0, 3, 3, 3)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2, 2, 2)))


def test_conv_shape_errors():
    w = torch.zeros(8, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[2, 3\]"):
        F.conv2d(torch.zeros(2, 3), w)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[1, 4, 5, 5\] "
                                           r"to have 3 channels, but got 4 channels instead"):
        F.conv2d(torch.zeros(1, 4, 5, 5), w)
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"):
        F.conv1d(torch.zeros(1, 1, 1, 4), torch.zeros(1, 1, 2))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(torch.zeros(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match=r"Input type \(double\) and bias type \(float\) should be the same"):
        F.conv2d(torch.zeros(1, 3, 5, 5, dtype=torch.float64), w.double(), torch.zeros(8))
    with pytest.raises(RuntimeError, match=r"Input type \(float\) and weight type \(double\) should be the same"):
        F.conv_transpose2d(torch.zeros(1, 8, 5, 5), w.double())
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 8 elements"):
        F.conv2d(torch.zeros(1, 3, 5, 5), w, torch.zeros(7))


# ---------------------------------------------------------------- transposed
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), dilation=(2, 1)),
                                dict(groups=2, stride=2), dict(dilation=3, output_padding=2)])
def test_conv_transpose2d_matches_reference(kw):
    groups = kw.get("groups", 1)
    x, w, b = rand(2, 4, 3, 4), rand(4, 6 // groups, 3, 2), rand(6)
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    ref = np_conv_transpose2d(x, w, b, pair(kw.get("stride", 1)), pair(kw.get("padding", 0)),
                              pair(kw.get("output_padding", 0)), groups, pair(kw.get("dilation", 1)))
    np.testing.assert_allclose(F.conv_transpose2d(t(x), t(w), t(b), **kw).numpy(), ref, atol=1e-10)
    np.testing.assert_allclose(F.conv_transpose2d(t(x.astype(np.float32)[0]), t(w.astype(np.float32)), **kw).numpy(),
                               ref[0] - b.reshape(-1, 1, 1), rtol=1e-4, atol=1e-4)


def test_conv_transpose1d_and_gradients():
    x, w, b = rand(2, 2, 5), rand(2, 3, 3), rand(3)
    ref = np_conv_transpose2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (0, 1))[:, :, 0]
    out = F.conv_transpose1d(t(x), t(w), t(b), stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    xg = t(rand(1, 2, 4, 3), True).transpose(2, 3)
    wg, bg = t(rand(2, 2, 2, 2), True), t(rand(2), True)
    assert gradcheck(lambda a, c, d: F.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1), (xg, wg, bg))
    assert gradgradcheck(lambda a, c: F.conv_transpose2d(a, c, stride=2), (xg, wg))
    # conv_transpose2d is the input-gradient of conv2d.
    xc = t(rand(1, 3, 6, 6), True)
    wc = rand(2, 3, 3, 3)
    y = F.conv2d(xc, t(wc), stride=2, padding=1)
    gy = rand(*y.shape)
    (gx,) = torch.autograd.grad(y, xc, t(gy))
    np.testing.assert_allclose(gx.numpy(), F.conv_transpose2d(t(gy), t(wc), stride=2, padding=1,
                                                              output_padding=1).numpy(), atol=1e-10)


def test_conv_transpose_errors():
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(torch.zeros(1, 2, 3, 3), torch.zeros(2, 2, 3, 3), output_padding=1)
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[2, 2, 3, 3\], expected "
                                           r"input\[1, 3, 3, 3\] to have 2 channels, but got 3 channels instead"):
        F.conv_transpose2d(torch.zeros(1, 3, 3, 3), torch.zeros(2, 2, 3, 3))


# ---------------------------------------------------------------- modules
def test_conv_modules_shapes_init_repr():
    torch.manual_seed(0)
    m = nn.Conv2d(1, 8, 3, padding=1)
    assert repr(m) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert m.weight.shape == (8, 1, 3, 3) and m.bias.shape == (8,)
    assert list(m.state_dict().keys()) == ["weight", "bias"]
    bound = 1 / math.sqrt(9)  # kaiming_uniform(a=sqrt(5)) gives the same bound as the bias
    assert m.weight.abs().max().item() <= bound and m.bias.abs().max().item() <= bound
    assert m(torch.randn(2, 1, 5, 5)).shape == (2, 8, 5, 5)
    m = nn.Conv2d(4, 6, (3, 2), stride=2, dilation=(2, 1), groups=2, bias=False, padding_mode="reflect", padding=1)
    assert repr(m) == ("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 1), "
                       "groups=2, bias=False, padding_mode=reflect)")
    assert m.weight.shape == (6, 2, 3, 2) and m.bias is None and list(m.state_dict()) == ["weight"]
    assert repr(nn.Conv1d(2, 3, 5, padding="same")) == "Conv1d(2, 3, kernel_size=(5,), stride=(1,), padding=same)"
    ct = nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2)
    assert repr(ct) == "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1), groups=2)"
    assert ct.weight.shape == (4, 3, 3, 3)
    assert ct.bias.abs().max().item() <= 1 / math.sqrt(3 * 9)
    assert ct(torch.randn(1, 4, 5, 5)).shape == (1, 6, 12, 12)
    ct1 = nn.ConvTranspose1d(2, 3, 3, stride=2, dtype=torch.float64)
    assert repr(ct1) == "ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,))"
    assert ct1.weight.dtype == torch.float64
    assert ct1(torch.randn(1, 2, 4, dtype=torch.float64), output_size=[10]).shape == (1, 3, 10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, dtype=torch.float64)
    x = rand(1, 2, 4, 5)
    npmode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=npmode)
    ref = np_conv2d(xp, m.weight.detach().numpy(), m.bias.detach().numpy())
    np.testing.assert_allclose(m(t(x)).detach().numpy(), ref, atol=1e-10)


def test_conv_module_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_small_cnn_trains():
    """Conv -> ReLU -> MaxPool -> Conv -> AdaptiveAvgPool -> Linear: SGD lowers the loss."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    x, y = torch.randn(6, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    losses = []
    for _ in range(15):
        loss = -F.log_softmax(net(x), 1).gather(1, y.view(-1, 1)).mean()
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= 0.2 * p.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.05
    assert list(net.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]


@pytest.mark.parametrize("op", ["unfold", "fold", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"])
def test_window_kernels_read_contiguous_views_at_their_offset(device, op):
    # x[1:] is contiguous but starts inside its storage: the GPU window kernels must add the
    # view's offset (they once read from the buffer's start).
    whole = torch.tensor(rand(3, 2, 6, 6, dtype=np.float32), device=device)
    w = torch.tensor(rand(4, 2, 3, 3, dtype=np.float32))
    wt = torch.tensor(rand(2, 4, 3, 3, dtype=np.float32))
    run = {
        "unfold": lambda x: F.unfold(x, 3, padding=1),
        "fold": lambda x: F.fold(x.reshape(2, 8, 9), (4, 4), 2),
        "conv2d": lambda x: F.conv2d(x, w.to(x.device), padding=1),
        "conv_transpose2d": lambda x: F.conv_transpose2d(x, wt.to(x.device), stride=2),
        "max_pool2d": lambda x: F.max_pool2d(x, 2),
        "avg_pool2d": lambda x: F.avg_pool2d(x, 2),
    }[op]
    view = whole[1:]
    assert view.storage_offset() > 0 and view.is_contiguous()
    np.testing.assert_allclose(run(view).cpu().numpy(), run(whole[1:].cpu().clone()).numpy(), rtol=1e-5, atol=1e-5)
