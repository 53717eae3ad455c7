"""3-D pooling, max unpooling, LP pooling, local response norm, channel shuffle, pdist and gumbel_softmax
against numpy window loops, on both devices; gradients by gradcheck in float64."""
import itertools

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, to_numpy
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(5)


def dev(a, device, requires_grad=False):
    return torch.tensor(np.array(a, order="C")).to(device).requires_grad_(requires_grad)


def out_size(n, k, s, p, d, ceil):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def np_pool3d(x, k, s, p, d, ceil, kind, count_include_pad=True, divisor=None):
    """Window loop; returns (values, flat volume indices) for max, values for avg."""
    n, c = x.shape[:2]
    sz = x.shape[2:]
    outs = [out_size(sz[i], k[i], s[i], p[i], d[i], ceil) for i in range(3)]
    vals = np.zeros((n, c) + tuple(outs))
    idx = np.zeros((n, c) + tuple(outs), dtype=np.int64)
    for o in itertools.product(*[range(v) for v in outs]):
        cells = []
        for tap in itertools.product(*[range(v) for v in k]):
            pos = [o[i] * s[i] - p[i] + tap[i] * d[i] for i in range(3)]
            cells.append(pos)
        inside = [q for q in cells if all(0 <= q[i] < sz[i] for i in range(3))]
        if kind == "max":
            stack = np.stack([x[:, :, q[0], q[1], q[2]] for q in inside], -1)
            j = stack.argmax(-1)
            vals[(slice(None), slice(None)) + o] = stack.max(-1)
            flat = np.array([(q[0] * sz[1] + q[1]) * sz[2] + q[2] for q in inside])
            idx[(slice(None), slice(None)) + o] = flat[j]
        else:
            total = sum(x[:, :, q[0], q[1], q[2]] for q in inside)
            if divisor is not None:
                div = divisor
            elif count_include_pad:
                # The window clipped to the padded input.
                div = 1
                for i in range(3):
                    start = o[i] * s[i] - p[i]
                    div *= min(start + k[i], sz[i] + p[i]) - start
            else:
                div = len(inside)
            vals[(slice(None), slice(None)) + o] = total / div
    return (vals, idx) if kind == "max" else vals


@pytest.mark.parametrize("k,s,p,d,ceil", [((2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), False),
                                          ((3, 2, 2), (2, 1, 2), (1, 1, 0), (1, 1, 2), True),
                                          ((2, 3, 1), (1, 2, 1), (1, 1, 0), (2, 1, 1), False)])
def test_max_pool3d(device, k, s, p, d, ceil):
    x = RNG.standard_normal((2, 3, 5, 6, 5))
    v, i = F.max_pool3d(dev(x, device), k, s, p, d, ceil, return_indices=True)
    rv, ri = np_pool3d(x, k, s, p, d, ceil, "max")
    assert_close(v.cpu(), rv)
    assert_close(i.cpu(), ri)


def test_max_pool3d_unbatched_noncontiguous_grad_and_unpool(device):
    x = RNG.standard_normal((2, 4, 4, 6))
    xt = dev(x.transpose(0, 1, 3, 2).copy(), device).transpose(2, 3)  # non-contiguous view of x
    v, i = F.max_pool3d(xt, 2, return_indices=True)
    rv, ri = np_pool3d(x[None], (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), False, "max")
    assert_close(v.cpu(), rv[0])
    assert_close(i.cpu(), ri[0])
    # max_unpool3d puts the maxima back where they came from.
    un = F.max_unpool3d(v, i, 2)
    ref = np.zeros(x.size)
    ref[ri[0].reshape(2, -1) + np.arange(2)[:, None] * x[0].size] = rv[0].reshape(2, -1)
    assert_close(un.cpu(), ref.reshape(x.shape))
    xg = dev(RNG.standard_normal((1, 1, 3, 4, 3)), device, True)
    assert gradcheck(lambda a: F.max_pool3d(a, (2, 2, 2), 1, (1, 0, 1)), (xg,))


@pytest.mark.parametrize("ceil,cip,divisor", [(False, True, None), (True, False, None), (True, True, None),
                                              (False, True, 3)])
def test_avg_pool3d(device, ceil, cip, divisor):
    x = RNG.standard_normal((2, 2, 5, 4, 5))
    k, s, p = (3, 2, 3), (2, 2, 2), (1, 1, 1)
    out = F.avg_pool3d(dev(x, device), k, s, p, ceil, cip, divisor)
    assert_close(out.cpu(), np_pool3d(x, k, s, p, (1, 1, 1), ceil, "avg", cip, divisor), rtol=1e-9, atol=1e-12)


def test_avg_pool3d_grad_and_unbatched(device):
    x = dev(RNG.standard_normal((2, 3, 4, 3)), device, True)
    assert gradcheck(lambda a: F.avg_pool3d(a, 2, 1, 1, count_include_pad=False), (x,))
    assert F.avg_pool3d(x, 2).shape == (2, 1, 2, 1)


def adaptive_bounds(n, o):
    return [(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]


def test_adaptive_pool3d(device):
    x = RNG.standard_normal((2, 2, 5, 4, 7))
    osz = (3, 2, 4)
    ref_avg = np.zeros((2, 2) + osz)
    ref_max = np.zeros((2, 2) + osz)
    ref_idx = np.zeros((2, 2) + osz, dtype=np.int64)
    for a, (a0, a1) in enumerate(adaptive_bounds(5, 3)):
        for b, (b0, b1) in enumerate(adaptive_bounds(4, 2)):
            for c, (c0, c1) in enumerate(adaptive_bounds(7, 4)):
                win = x[:, :, a0:a1, b0:b1, c0:c1]
                ref_avg[:, :, a, b, c] = win.mean((2, 3, 4))
                ref_max[:, :, a, b, c] = win.max((2, 3, 4))
                flat = win.reshape(2, 2, -1).argmax(-1)
                z, rest = np.divmod(flat, (b1 - b0) * (c1 - c0))
                y, w = np.divmod(rest, c1 - c0)
                ref_idx[:, :, a, b, c] = ((z + a0) * 4 + y + b0) * 7 + w + c0
    xd = dev(x, device)
    assert_close(F.adaptive_avg_pool3d(xd, osz).cpu(), ref_avg, rtol=1e-9)
    v, i = F.adaptive_max_pool3d(xd, osz, return_indices=True)
    assert_close(v.cpu(), ref_max)
    assert_close(i.cpu(), ref_idx)
    assert F.adaptive_avg_pool3d(xd[0], (None, 1, 2)).shape == (2, 5, 1, 2)
    xg = dev(RNG.standard_normal((1, 3, 3, 2)), device, True)
    assert gradcheck(lambda a: F.adaptive_avg_pool3d(a, (2, 2, 1)), (xg,))
    assert gradcheck(lambda a: F.adaptive_max_pool3d(a, (2, 1, 2)), (xg,))


def test_pool3d_errors():
    x = torch.zeros(1, 2, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"non-empty 4D or 5D \(batch mode\) tensor expected for input"):
        F.max_pool3d(torch.zeros(3, 3), 2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got pad="):
        F.max_pool3d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x3x3x3\). Calculated output size: \(2x0x0x0\). "
                                           r"Output size is too small"):
        F.max_pool3d(x, 2, dilation=3)
    with pytest.raises(RuntimeError, match=r"input image \(T: 3 H: 3 W: 3\) smaller than kernel size"):
        F.avg_pool3d(x, 4)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool3d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.avg_pool3d(x, 2, stride=0)


def test_pool3d_modules_repr_and_forward(device):
    x = dev(RNG.standard_normal((1, 2, 4, 4, 4)), device)
    assert repr(nn.MaxPool3d(2, stride=1)) == "MaxPool3d(kernel_size=2, stride=1, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool3d((2, 1, 2))) == "AvgPool3d(kernel_size=(2, 1, 2), stride=(2, 1, 2), padding=0)"
    assert repr(nn.AdaptiveAvgPool3d(3)) == "AdaptiveAvgPool3d(output_size=3)"
    assert repr(nn.AdaptiveMaxPool3d((1, None, 2))) == "AdaptiveMaxPool3d(output_size=(1, None, 2))"
    v, i = nn.MaxPool3d(2, return_indices=True)(x)
    assert_close(v.cpu(), to_numpy(F.max_pool3d(x, 2).cpu()))
    assert_close(nn.MaxUnpool3d(2)(v, i).cpu(), to_numpy(F.max_unpool3d(v, i, 2).cpu()))
    assert nn.AvgPool3d(2, divisor_override=1)(x).shape == (1, 2, 2, 2, 2)
    assert nn.AdaptiveAvgPool3d((1, 2, 1))(x).shape == (1, 2, 1, 2, 1)
    assert nn.AdaptiveMaxPool3d(1, return_indices=True)(x)[1].dtype == torch.int64


def test_max_unpool1d_2d(device):
    x = RNG.standard_normal((2, 3, 5, 4))
    v, i = F.max_pool2d(dev(x, device), 2, return_indices=True)
    un = F.max_unpool2d(v, i, 2, output_size=(5, 4))
    assert un.shape == (2, 3, 5, 4)
    ref = np.zeros((2, 3, 20))
    np.put_along_axis(ref, to_numpy(i.cpu()).reshape(2, 3, -1), to_numpy(v.cpu()).reshape(2, 3, -1), -1)
    assert_close(un.cpu(), ref.reshape(2, 3, 5, 4))
    m = nn.MaxUnpool2d(2)
    assert repr(m) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert m(v, i).shape == (2, 3, 4, 4)
    x1 = dev(RNG.standard_normal((3, 6)), device)  # unbatched 1-D
    v1, i1 = F.max_pool1d(x1, 3, return_indices=True)
    u1 = nn.MaxUnpool1d(3)(v1, i1)
    ref1 = np.zeros((3, 6))
    np.put_along_axis(ref1, to_numpy(i1.cpu()), to_numpy(v1.cpu()), -1)
    assert_close(u1.cpu(), ref1)
    vg = dev(RNG.standard_normal((1, 1, 2, 2)), device, True)
    idx = torch.tensor([[[[0, 3], [9, 14]]]]).to(device)
    assert gradcheck(lambda a: F.max_unpool2d(a, idx, 2), (vg,))
    with pytest.raises(ValueError, match=r'invalid output_size "\[7, 4\]" \(dim 0 must be between 2 and 6\)'):
        F.max_unpool2d(v, i, 2, output_size=(7, 4))
    with pytest.raises(RuntimeError, match="elements in indices should be type int64 but got: int32"):
        F.max_unpool2d(v, i.int(), 2)
    with pytest.raises(RuntimeError, match=r"Expected shape of indices to be same as that of the input tensor"):
        F.max_unpool2d(v, i[:, :1], 2)


def np_lp(x, p, k, s):
    """Power sums over non-overlapping-or-not valid windows of the last len(k) dims."""
    nd = len(k)
    sz = x.shape[-nd:]
    outs = [(sz[i] - k[i]) // s[i] + 1 for i in range(nd)]
    out = np.zeros(x.shape[:-nd] + tuple(outs))
    for o in itertools.product(*[range(v) for v in outs]):
        sl = tuple(slice(o[i] * s[i], o[i] * s[i] + k[i]) for i in range(nd))
        out[(Ellipsis,) + o] = (x[(Ellipsis,) + sl] ** p).sum(tuple(range(-nd, 0))) ** (1 / p)
    return out


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool(device, nd):
    x = np.abs(RNG.standard_normal((2, 2) + (5,) * nd)) + 0.1
    k, s = (2, 3, 2)[:nd], (1, 2, 2)[:nd]
    fn = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}[nd]
    out = fn(dev(x, device), 3.0, k if nd > 1 else k[0], s if nd > 1 else s[0])
    assert_close(out.cpu(), np_lp(x, 3.0, k, s), rtol=1e-9)
    mod = {1: nn.LPPool1d, 2: nn.LPPool2d, 3: nn.LPPool3d}[nd](2, 2)
    assert repr(mod) == f"LPPool{nd}d(norm_type=2, kernel_size=2, stride=None, ceil_mode=False)"
    assert_close(mod(dev(x[0], device)).cpu(), np_lp(x[0], 2.0, (2,) * nd, (2,) * nd), rtol=1e-9)
    xg = dev(x[:1, :1], device, True)
    assert gradcheck(lambda a: fn(a, 2.0, 2), (xg,))


def np_lrn(x, size, alpha, beta, k):
    c = x.shape[1]
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        out[:, ch] = x[:, ch] / (k + alpha / size * (x[:, lo:hi] ** 2).sum(1)) ** beta
    return out


def test_local_response_norm(device):
    x = RNG.standard_normal((2, 5, 3, 4))
    xt = dev(x.transpose(0, 1, 3, 2).copy(), device).transpose(2, 3)
    for size in (1, 2, 3):
        out = F.local_response_norm(xt, size, alpha=0.5, beta=0.6, k=2.0)
        assert_close(out.cpu(), np_lrn(x, size, 0.5, 0.6, 2.0), rtol=1e-9)
    m = nn.LocalResponseNorm(3)
    assert repr(m) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"
    assert_close(m(dev(x[:, :, 0], device)).cpu(), np_lrn(x[:, :, 0], 3, 1e-4, 0.75, 1.0), rtol=1e-9)
    xg = dev(x[:1, :, :2, :1], device, True)
    assert gradcheck(lambda a: F.local_response_norm(a, 2, 0.3, 0.75, 1.0), (xg,))
    assert F.local_response_norm(dev(np.zeros((0, 3, 2)), device), 2).shape == (0, 3, 2)
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input \(got 2 dimensions\)"):
        F.local_response_norm(torch.zeros(2, 3), 2)


def test_channel_shuffle(device):
    x = RNG.standard_normal((2, 6, 3))
    out = F.channel_shuffle(dev(x, device), 3)
    ref = x.reshape(2, 3, 2, 3).transpose(0, 2, 1, 3).reshape(2, 6, 3)
    assert_close(out.cpu(), ref)
    m = nn.ChannelShuffle(2)
    assert repr(m) == "ChannelShuffle(groups=2)"
    assert_close(m(dev(x, device).transpose(1, 2).transpose(1, 2)).cpu(),
                 x.reshape(2, 2, 3, 3).transpose(0, 2, 1, 3).reshape(2, 6, 3))
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. Got 6 channels and 4 "
                                           "groups."):
        F.channel_shuffle(torch.zeros(1, 6, 2), 4)
    with pytest.raises(RuntimeError, match="channel_shuffle expects input to have at least 3 dimensions"):
        F.channel_shuffle(torch.zeros(2, 6), 2)
    with pytest.raises(RuntimeError, match="Number of groups to divide channels in must be positive"):
        F.channel_shuffle(torch.zeros(1, 6, 2), 0)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
def test_pdist(device, p):
    from scipy.spatial.distance import pdist as sp_pdist
    x = RNG.standard_normal((3, 5))
    xt = dev(x.T.copy(), device).t()
    metric = {"cityblock" if p == 1 else "chebyshev" if p == float("inf") else "minkowski"}.pop()
    ref = sp_pdist(x, metric, p=p) if metric == "minkowski" else sp_pdist(x, metric)
    assert_close(F.pdist(xt, p).cpu(), ref, rtol=1e-9)
    if p == 2.0:
        assert gradcheck(lambda a: F.pdist(a, p), (dev(x, device, True),))
        assert F.pdist(dev(x[:1], device)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        F.pdist(torch.zeros(3))


def test_gumbel_softmax(device):
    logits = dev(np.log([[0.1, 0.6, 0.3]]).repeat(4000, 0), device)
    torch.manual_seed(0)
    soft = F.gumbel_softmax(logits, tau=0.5)
    assert_close(soft.sum(-1).cpu(), np.ones(4000), rtol=1e-9)
    torch.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = to_numpy(hard.cpu())
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
    # Same noise: the hard sample is the soft sample's argmax.
    assert (h.argmax(-1) == to_numpy(soft.cpu()).argmax(-1)).all()
    # The Gumbel-max trick: argmax frequencies follow softmax(logits).
    assert np.allclose(h.mean(0), [0.1, 0.6, 0.3], atol=0.03)
    # Straight-through: hard's gradient is the soft sample's.
    lg = dev(RNG.standard_normal((3, 4)), device, True)
    w = dev(RNG.standard_normal((3, 4)), device)
    torch.manual_seed(1)
    (g_hard,) = torch.autograd.grad((F.gumbel_softmax(lg, hard=True, dim=0) * w).sum(), lg)
    torch.manual_seed(1)
    (g_soft,) = torch.autograd.grad((F.gumbel_softmax(lg, dim=0) * w).sum(), lg)
    assert_close(g_hard.cpu(), to_numpy(g_soft.cpu()), rtol=1e-9, atol=1e-12)
