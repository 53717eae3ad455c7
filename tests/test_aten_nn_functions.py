"""torch.NAME forms of the neural-net ops (ATen signatures): ferrotorch._aten_nn_functions / _aten_nn_norms.

References are numpy computations (or ferrotorch's nn.functional where the ATen op only renames it);
the reordering and int-coded adapters are checked against numpy directly."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import assert_close, to_numpy

RNG = np.random.default_rng(7)


def _t(a, device="cpu", grad=False):
    return torch.tensor(np.asarray(a)).to(device).requires_grad_(grad)


def _rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------- convolution

def _np_conv1d(x, w, b, pad):
    n, c, length = x.shape
    o, _, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    out = np.zeros((n, o, length + 2 * pad - k + 1), dtype=x.dtype)
    for t in range(out.shape[2]):
        out[:, :, t] = np.einsum("nck,ock->no", xp[:, :, t:t + k], w)
    return out + b[None, :, None]


def test_conv_tbc_matches_numpy(device):
    x, w, b = _rand(5, 2, 3), _rand(3, 3, 4), _rand(4)
    out = torch.conv_tbc(_t(x, device), _t(w, device), _t(b, device), 1)
    ref = _np_conv1d(x.transpose(1, 2, 0), w.transpose(2, 1, 0), b, 1).transpose(2, 0, 1)
    assert_close(out.cpu(), ref, rtol=1e-4, atol=1e-5)


def test_conv_tbc_backward_and_errors():
    x = torch.tensor(_rand(4, 1, 2).astype(np.float64), requires_grad=True)
    w = torch.tensor(_rand(2, 2, 3).astype(np.float64), requires_grad=True)
    b = torch.tensor(_rand(3).astype(np.float64), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, c, d: torch.conv_tbc(a, c, d, 1), (x, w, b))
    with pytest.raises(RuntimeError, match="^Input must have 3 dims: time, batch, in_channel$"):
        torch.conv_tbc(torch.ones(5, 2), torch.ones(3, 2, 4), torch.ones(4))
    with pytest.raises(RuntimeError, match=r"^Input dim 2 \(input channels\) is not == dim 1 in the weight tensor$"):
        torch.conv_tbc(torch.ones(5, 2, 3), torch.ones(3, 2, 4), torch.ones(4))


def test_convolution_dispatches_on_weight_dims(device):
    x, w = _rand(1, 2, 6), _rand(3, 2, 2)
    out = torch.convolution(_t(x, device), _t(w, device), None, [1], [0], [1], False, [0], 1)
    assert_close(out.cpu(), _np_conv1d(x, w, np.zeros(3, np.float32), 0), rtol=1e-4, atol=1e-5)
    x2, w2 = _rand(1, 2, 4, 4), _rand(2, 3, 2, 2)
    out = torch.convolution(_t(x2), _t(w2), None, [2, 2], [0, 0], [1, 1], True, [1, 1], 1)
    assert_close(out, to_numpy(F.conv_transpose2d(_t(x2), _t(w2), None, 2, 0, 1)))
    assert tuple(out.shape) == (1, 3, 9, 9)


def test_conv_functions_are_functional_forms():
    x, w = _t(_rand(1, 2, 5, 5)), _t(_rand(3, 2, 3, 3))
    assert_close(torch.conv2d(x, w, None, 1, 1), to_numpy(F.conv2d(x, w, padding=1)))
    assert torch.conv1d is F.conv1d and torch.conv3d is F.conv3d and torch.conv_transpose3d is F.conv_transpose3d
    assert torch.conv_transpose1d is F.conv_transpose1d


# ----------------------------------------------------------------------------- dropout

def test_dropout_required_args_and_scaling(device):
    x = torch.ones(400, 50, device=device)
    out = torch.dropout(x, 0.25, True).cpu()
    vals = np.unique(to_numpy(out)).astype(np.float64)
    assert len(vals) == 2 and vals[0] == 0.0 and abs(vals[1] - 1 / 0.75) < 1e-6
    assert 0.2 < (to_numpy(out) == 0).mean() < 0.3
    assert_close(torch.dropout(x, 0.25, False).cpu(), np.ones((400, 50), np.float32))
    with pytest.raises(TypeError):
        torch.dropout(x, 0.5)
    with pytest.raises(RuntimeError, match="^dropout probability has to be between 0 and 1, but got 1.5$"):
        torch.dropout(x, 1.5, True)


def test_feature_dropout_drops_whole_channels():
    x = torch.ones(30, 40, 5)
    out = to_numpy(torch.feature_dropout(x, 0.5, True))
    per_channel = out.reshape(30, 40, 5)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(out)) <= {0.0, 2.0}
    y = torch.ones(30, 40, 5)
    assert torch.feature_dropout_(y, 0.5, True) is y
    assert set(np.unique(to_numpy(y))) <= {0.0, 2.0} and (to_numpy(y) == 0).any()
    with pytest.raises(RuntimeError, match="^Feature dropout requires at least 2 dimensions in the input$"):
        torch.feature_dropout(torch.ones(3), 0.5, True)


def test_alpha_dropout_variants():
    x = torch.tensor(_rand(200, 100))
    assert_close(torch.alpha_dropout(x, 0.3, False), to_numpy(x))
    out = to_numpy(torch.alpha_dropout(x, 0.2, True))
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05
    f = to_numpy(torch.feature_alpha_dropout(x.view(200, 100, 1), 0.5, True)).reshape(200, 100)
    alpha_p = -1.7580993408473766
    a = 1 / np.sqrt((alpha_p ** 2 * 0.5 + 1) * 0.5)
    dropped = np.isclose(f, a * alpha_p + a * 0.5 * -alpha_p)
    assert dropped.any() and not dropped.all()
    y, z = x.clone(), x.clone()
    assert torch.alpha_dropout_(y, 0.5, True) is y and torch.feature_alpha_dropout_(z, 0.0, True) is z
    assert_close(z, to_numpy(x))
    assert torch.dropout_(x.clone(), 0.0, True).shape == x.shape


def test_dropout_backward_uses_mask():
    x = torch.ones(50, 20, requires_grad=True)
    out = torch.dropout(x, 0.5, True)
    out.sum().backward()
    assert_close(x.grad, to_numpy(out.detach()))


# ----------------------------------------------------------------------------- normalisation

def test_batch_norm_aten_argument_order(device):
    x, w, b = _rand(4, 3, 5), _rand(3), _rand(3)
    rm, rv = torch.zeros(3, device=device), torch.ones(3, device=device)
    out = torch.batch_norm(_t(x, device), _t(w, device), _t(b, device), rm, rv, True, 0.1, 1e-5, False)
    mean, var = x.mean((0, 2)), x.var((0, 2))
    ref = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-5) * w[:, None] + b[:, None]
    assert_close(out.cpu(), ref, rtol=1e-4, atol=1e-5)
    assert_close(rm.cpu(), 0.1 * mean, rtol=1e-4, atol=1e-6)
    assert_close(rv.cpu(), 0.9 + 0.1 * x.var((0, 2), ddof=1), rtol=1e-4, atol=1e-6)
    ev = torch.batch_norm(_t(x), None, None, torch.tensor(mean), torch.tensor(var), False, 0.1, 0.0, True)
    assert_close(ev, (x - mean[:, None]) / np.sqrt(var[:, None]), rtol=1e-4, atol=1e-5)
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-1, 0\], "
                                         r"but got 1\)$"):
        torch.batch_norm(torch.ones(3), None, None, None, None, True, 0.1, 1e-5, False)


def test_instance_norm_aten_argument_order():
    x, w = _rand(2, 3, 6), _rand(3)
    out = torch.instance_norm(_t(x), _t(w), None, None, None, True, 0.1, 1e-5, False)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w[:, None]
    assert_close(out, ref, rtol=1e-4, atol=1e-5)


def test_layer_group_rms_norm(device):
    x = _rand(2, 4, 3)
    ln = torch.layer_norm(_t(x, device), [4, 3], None, None, 1e-5, False).cpu()
    flat = x.reshape(2, -1)
    ref = ((flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)).reshape(x.shape)
    assert_close(ln, ref, rtol=1e-4, atol=1e-5)
    assert_close(torch.group_norm(_t(x, device), 1).cpu(), ref, rtol=1e-4, atol=1e-5)
    rms = torch.rms_norm(_t(x, device), [3], None, 1e-6).cpu()
    assert_close(rms, x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6), rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match=r"^Given normalized_shape=\[5\], expected input with shape \[\*, 5\], "
                                           r"but got input of size\[2, 4, 3\]$"):
        torch.layer_norm(_t(x), [5])


def test_layer_norm_backward():
    x = torch.tensor(_rand(2, 3).astype(np.float64), requires_grad=True)
    w = torch.tensor(_rand(3).astype(np.float64), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: torch.layer_norm(a, [3], b, None, 1e-5, True), (x, w))


def test_native_layer_norm_statistics(device):
    x = _rand(2, 5, 3, 4)
    out, mean, rstd = torch.native_layer_norm(_t(x, device), [3, 4], None, None, 1e-5)
    assert_close(mean.cpu(), x.mean((2, 3), keepdims=True), rtol=1e-4, atol=1e-5)
    assert_close(rstd.cpu(), 1 / np.sqrt(x.var((2, 3), keepdims=True) + 1e-5), rtol=1e-4, atol=1e-5)
    assert_close(out.cpu(), (x - x.mean((2, 3), keepdims=True)) * to_numpy(rstd.cpu()), rtol=1e-4, atol=1e-5)


def test_native_batch_norm_returns_saved_statistics():
    x = _rand(4, 3, 2)
    out, mean, invstd = torch.native_batch_norm(_t(x), None, None, None, None, True, 0.1, 1e-5)
    assert_close(mean, x.mean((0, 2)), rtol=1e-4, atol=1e-6)
    assert_close(invstd, 1 / np.sqrt(x.var((0, 2)) + 1e-5), rtol=1e-4, atol=1e-5)
    out, mean, invstd = torch.native_batch_norm(_t(x), None, None, torch.zeros(3), torch.ones(3), False, 0.1, 0.0)
    assert tuple(mean.shape) == (0,) and tuple(invstd.shape) == (0,)
    assert_close(out, x)


def test_native_group_norm_statistics():
    x = _rand(2, 6, 3, 4)
    out, mean, rstd = torch.native_group_norm(_t(x), None, None, 2, 6, 12, 3, 1e-5)
    g = x.reshape(2, 3, -1)
    assert_close(mean, g.mean(-1), rtol=1e-4, atol=1e-5)
    assert_close(rstd, 1 / np.sqrt(g.var(-1) + 1e-5), rtol=1e-4, atol=1e-5)
    assert_close(out, ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape),
                 rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match=r"^Expected X.numel\(\) == N \* C \* HxW to be true, but got false."):
        torch.native_group_norm(_t(x), None, None, 2, 6, 10, 3, 1e-5)


# ----------------------------------------------------------------------------- embedding

def test_embedding_weight_first_and_padding(device):
    w = _rand(6, 3)
    idx = np.array([[1, 5], [0, 1]])
    out = torch.embedding(_t(w, device), _t(idx, device))
    assert_close(out.cpu(), w[idx])
    weight = _t(w, device, grad=True)
    torch.embedding(weight, _t(idx, device), 1).sum().backward()
    grad = np.zeros_like(w)
    np.add.at(grad, idx.reshape(-1), 1.0)
    grad[1] = 0.0  # padding_idx row gets no gradient
    assert_close(weight.grad.cpu(), grad)
    weight.grad = None
    torch.embedding(weight, _t(idx, device), -1).sum().backward()  # -1: no padding in ATen
    np.add.at(grad, [1, 1], 1.0)
    assert_close(weight.grad.cpu(), grad)
    with pytest.raises(RuntimeError, match="^Expected tensor for argument #1 'indices' to have one of the "
                                           "following scalar types: Long, Int; but got torch.FloatTensor instead"):
        torch.embedding(_t(w), _t(idx.astype(np.float32)))


def test_embedding_bag_four_outputs():
    w = _rand(10, 3)
    idx, offs = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4, 4])
    out, offset2bag, bag_size, max_idx = torch.embedding_bag(_t(w), _t(idx), _t(offs), False, 2)
    rows = w[idx]
    assert_close(out, np.stack([rows[:4].max(0), np.zeros(3, np.float32), rows[4:].max(0)]))
    assert offset2bag.tolist() == [0, 0, 0, 0, 2, 2, 2, 2] and bag_size.tolist() == [4, 0, 4]
    ref_max = np.stack([idx[:4][rows[:4].argmax(0)], np.zeros(3, int), idx[4:][rows[4:].argmax(0)]])
    assert max_idx.tolist() == ref_max.tolist()
    out, offset2bag, bag_size, max_idx = torch.embedding_bag(_t(w), _t(idx), _t(offs), False, 1, False, None,
                                                             False, 4)
    keep = idx != 4
    ref = [rows[:4][keep[:4]].mean(0), np.zeros(3), rows[4:][keep[4:]].mean(0)]
    assert_close(out, np.stack(ref).astype(np.float32), rtol=1e-5)
    assert bag_size.tolist() == [3, 0, 3] and max_idx.tolist() == [3, 0, 3]
    out, offset2bag, bag_size, max_idx = torch.embedding_bag(_t(w), _t(idx), _t(offs))
    assert_close(out, np.stack([rows[:4].sum(0), np.zeros(3), rows[4:].sum(0)]).astype(np.float32), rtol=1e-5)
    assert tuple(offset2bag.shape) == (0,) and bag_size.tolist() == [0, 0, 0]
    assert torch.embedding_bag(_t(w.astype(np.float64)), _t(idx), _t(offs))[1].tolist() == [0, 0, 0, 0, 2, 2, 2, 2]
    with pytest.raises(RuntimeError, match="^`mode` must be sum, mean, or max.$"):
        torch.embedding_bag(_t(w), _t(idx), _t(offs), False, 3)


def test_embedding_bag_backward():
    w = torch.tensor(_rand(5, 2).astype(np.float64), requires_grad=True)
    idx, offs = torch.tensor([0, 2, 2, 4]), torch.tensor([0, 1])
    assert torch.autograd.gradcheck(lambda a: torch.embedding_bag(a, idx, offs, False, 1)[0], (w,))


# ----------------------------------------------------------------------------- pooling

def test_max_pool_default_stride_is_kernel(device):
    x = _rand(2, 3, 8)
    out = torch.max_pool1d(_t(x, device), [2]).cpu()
    assert_close(out, x.reshape(2, 3, 4, 2).max(-1))
    values, indices = torch.max_pool1d_with_indices(_t(x, device), 2)
    assert_close(values.cpu(), x.reshape(2, 3, 4, 2).max(-1))
    assert_close(indices.cpu(), x.reshape(2, 3, 4, 2).argmax(-1) + 2 * np.arange(4))
    x2 = _rand(1, 2, 4, 4)
    assert_close(torch.max_pool2d(_t(x2, device), [2, 2], []).cpu(), x2.reshape(1, 2, 2, 2, 2, 2).max((3, 5)))
    x3 = _rand(1, 1, 2, 2, 4)
    assert_close(torch.max_pool3d(_t(x3), 2), x3.reshape(1, 1, 1, 2, 1, 2, 2, 2).max((3, 5, 7)))


def test_avg_and_adaptive_pool1d():
    x = _rand(2, 3, 6)
    assert_close(torch.avg_pool1d(_t(x), 3), x.reshape(2, 3, 2, 3).mean(-1), rtol=1e-5)
    assert_close(torch.adaptive_avg_pool1d(_t(x), 2), x.reshape(2, 3, 2, 3).mean(-1), rtol=1e-5)
    values, indices = torch.adaptive_max_pool1d(_t(x), [3])
    assert_close(values, x.reshape(2, 3, 3, 2).max(-1))
    assert_close(indices, x.reshape(2, 3, 3, 2).argmax(-1) + 2 * np.arange(3))


def test_max_pool1d_backward():
    x = torch.tensor(_rand(1, 2, 6).astype(np.float64), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: torch.max_pool1d(a, 2, 2), (x,))


# ----------------------------------------------------------------------------- activations and shuffles

def test_activations(device):
    x = _rand(3, 4)
    assert_close(torch.selu(_t(x, device)).cpu(),
                 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)), rtol=1e-5)
    assert_close(torch.celu(_t(x, device), 0.5).cpu(), np.where(x > 0, x, 0.5 * np.expm1(x / 0.5)), rtol=1e-5)
    assert_close(torch.threshold(_t(x, device), 0.1, -7.0).cpu(), np.where(x > 0.1, x, -7.0))
    assert_close(torch.hardshrink(_t(x, device), 0.4).cpu(), np.where(np.abs(x) > 0.4, x, 0.0))
    assert_close(_t(x, device).hardshrink().cpu(), np.where(np.abs(x) > 0.5, x, 0.0))
    a = _rand(4)
    assert_close(_t(x, device).prelu(_t(a, device)).cpu(), np.where(x > 0, x, a * x))
    assert_close(torch.rrelu(_t(x, device)).cpu(), np.where(x > 0, x, x * (0.125 + 1 / 3) / 2), rtol=1e-5)
    y = _t(x)
    assert torch.selu_(y) is y and torch.celu_(_t(x)).shape == y.shape and torch.threshold_(y, 0., 0.) is y


def test_activation_backward_and_errors():
    x = torch.tensor(_rand(3, 4).astype(np.float64), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: torch.celu(a, 0.7), (x,))
    assert torch.autograd.gradcheck(lambda a: torch.selu(a), (x,))
    with pytest.raises(RuntimeError, match="^Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 2 and channel size = 3.$"):
        torch.prelu(torch.ones(2, 3), torch.ones(2))


def test_rrelu_training_slopes_and_generator():
    x = -torch.ones(2000)
    slopes = -to_numpy(torch.rrelu(x, 0.2, 0.4, True))
    assert slopes.min() >= 0.2 and slopes.max() <= 0.4 and slopes.std() > 0.03
    a = torch.rrelu(x, 0.1, 0.3, True, torch.Generator().manual_seed(3))
    b = torch.rrelu(x, 0.1, 0.3, True, torch.Generator().manual_seed(3))
    assert_close(a, to_numpy(b))
    pos = torch.ones(5)
    assert_close(torch.rrelu_(pos, 0.1, 0.3, True), np.ones(5, np.float32))
    g = torch.tensor([-1.0, 2.0], requires_grad=True)
    out = torch.rrelu(g, 0.1, 0.3, True)
    out.sum().backward()
    assert_close(g.grad, [-out[0].item(), 1.0], check_dtype=False)


def test_shuffles_and_distances():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)
    assert_close(torch.pixel_shuffle(_t(x), 2), x.reshape(1, 2, 2, 2, 2).transpose(0, 3, 1, 4, 2).reshape(1, 1, 4, 4))
    assert_close(torch.pixel_unshuffle(torch.pixel_shuffle(_t(x), 2), 2), x)
    assert_close(torch.channel_shuffle(_t(x), 2), x[:, [0, 2, 1, 3]])
    assert_close(torch.native_channel_shuffle(_t(x), 2), x[:, [0, 2, 1, 3]])
    a, b = _rand(3, 4), _rand(3, 4)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert_close(torch.cosine_similarity(_t(a), _t(b)), cos, rtol=1e-5)
    assert_close(torch.pairwise_distance(_t(a), _t(b)), np.linalg.norm(a - b + 1e-6, axis=1), rtol=1e-5)
    assert_close(torch.pdist(_t(a)), [np.linalg.norm(a[i] - a[j]) for i in range(3) for j in range(i + 1, 3)],
                 rtol=1e-5)
    w = _rand(2, 4, 4)
    assert_close(torch.bilinear(_t(a), _t(b), _t(w)), np.einsum("ni,oij,nj->no", a, w, b), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- losses (int reduction)

def test_kl_div_int_reduction(device):
    inp, tgt = np.log(RNG.dirichlet(np.ones(4), 3)).astype(np.float32), RNG.dirichlet(np.ones(4), 3).astype(
        np.float32)
    pointwise = tgt * (np.log(tgt) - inp)
    for red, ref in ((0, pointwise), (1, pointwise.mean()), (2, pointwise.sum()), (7, pointwise)):
        assert_close(torch.kl_div(_t(inp, device), _t(tgt, device), red).cpu(), ref, rtol=1e-4, atol=1e-6)
    logt = torch.kl_div(_t(inp), _t(np.log(tgt)), 2, log_target=True)
    assert_close(logt, pointwise.sum(), rtol=1e-4)
    with pytest.raises(TypeError):
        torch.kl_div(_t(inp), _t(tgt), 1, True)  # log_target is keyword-only


def test_margin_and_hinge_losses():
    a, b, y = _rand(5), _rand(5), np.array([1, -1, 1, 1, -1], np.float32)
    assert_close(torch.margin_ranking_loss(_t(a), _t(b), _t(y), 0.3), np.maximum(0, -y * (a - b) + 0.3).mean(),
                 rtol=1e-5)
    assert_close(torch.margin_ranking_loss(_t(a), _t(b), _t(y), 0.3, 0), np.maximum(0, -y * (a - b) + 0.3))
    assert_close(torch.hinge_embedding_loss(_t(a), _t(y), 1.0, 2),
                 np.where(y == 1, a, np.maximum(0, 1.0 - a)).sum(), rtol=1e-5)
    x1, x2 = _rand(5, 3), _rand(5, 3)
    cos = (x1 * x2).sum(1) / np.sqrt((x1 ** 2).sum(1) * (x2 ** 2).sum(1))
    assert_close(torch.cosine_embedding_loss(_t(x1), _t(x2), _t(y), 0.1, 0),
                 np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1)), rtol=1e-4, atol=1e-6)
    n = _rand(5, 3)
    d = lambda u, v: np.linalg.norm(u - v + 1e-6, axis=1)  # noqa: E731
    assert_close(torch.triplet_margin_loss(_t(x1), _t(x2), _t(n)),
                 np.maximum(d(x1, x2) - d(x1, n) + 1.0, 0).mean(), rtol=1e-5)


def test_poisson_and_bce_losses(device):
    x, t = _rand(6), RNG.poisson(2.0, 6).astype(np.float32)
    ref = np.exp(x) - t * x
    assert_close(torch.poisson_nll_loss(_t(x, device), _t(t, device), True, False, 1e-8, 1).cpu(), ref.mean(),
                 rtol=1e-5)
    xp = np.abs(x) + 0.5
    assert_close(torch.poisson_nll_loss(_t(xp), _t(t), False, False, 1e-8, 0), xp - t * np.log(xp + 1e-8),
                 rtol=1e-5)
    z = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0], np.float32)
    pw = np.float32(2.0)
    bce = -(pw * z * np.log(1 / (1 + np.exp(-x))) + (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))))
    out = torch.binary_cross_entropy_with_logits(_t(x, device), _t(z, device), None, _t(np.array([pw]), device), 2)
    assert_close(out.cpu(), bce.sum(), rtol=1e-5)
    # ATen broadcasts the logits to the target's shape.
    row = torch.binary_cross_entropy_with_logits(_t(x[:1]), _t(z), None, None, 0)
    assert_close(row, np.log1p(np.exp(-x[0])) + (1 - z) * x[0], rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(4\) must match the size of tensor b \(3\) at "
                                           r"non-singleton dimension 0$"):
        torch.binary_cross_entropy_with_logits(torch.ones(3), torch.ones(4))


def test_loss_backward():
    x = torch.tensor(_rand(4).astype(np.float64), requires_grad=True)
    z = torch.tensor(np.array([0.0, 1.0, 1.0, 0.0]))
    assert torch.autograd.gradcheck(lambda a: torch.binary_cross_entropy_with_logits(a, z), (x,))
    y = torch.tensor(np.array([1.0, -1.0, 1.0, -1.0]))
    assert torch.autograd.gradcheck(lambda a: torch.hinge_embedding_loss(a, y, 1.0, 2), (x,))


def test_ctc_loss_int_reduction():
    lp = torch.tensor(_rand(6, 2, 4)).log_softmax(2)
    tg = torch.tensor([[1, 2], [3, 3]])
    none = torch.ctc_loss(lp, tg, [6, 6], [2, 2], 0, 0)
    assert_close(none, to_numpy(F.ctc_loss(lp, tg, [6, 6], [2, 2], reduction="none")))
    assert_close(torch.ctc_loss(lp, tg, [6, 6], [2, 2]), (to_numpy(none) / 2).mean(), rtol=1e-5)
    # A single path's probability for T=1, target [1]: log_probs[0, 0, 1].
    one = torch.ctc_loss(lp[:1, :1], torch.tensor([[1]]), [1], [1], 0, 2)
    assert_close(one, -lp[0, 0, 1].item(), rtol=1e-5, check_dtype=False)


# ----------------------------------------------------------------------------- padding and sampling

def test_constant_pad_nd(device):
    x = _rand(2, 3)
    out = torch.constant_pad_nd(_t(x, device), [1, 2], 5.0).cpu()
    assert_close(out, np.pad(x, ((0, 0), (1, 2)), constant_values=5.0))
    assert_close(torch.constant_pad_nd(_t(x), [1, -1, 0, 1]), np.pad(x, ((0, 1), (1, 0)))[:, :-1])
    xt = _t(x).t()  # non-contiguous
    assert_close(torch.constant_pad_nd(xt, [1, 1]), np.pad(x.T, ((0, 0), (1, 1))))
    assert_close(torch.constant_pad_nd(torch.tensor(2.0), []), np.float32(2.0))
    with pytest.raises(RuntimeError, match="^Length of pad must be even but instead it equals 3$"):
        torch.constant_pad_nd(_t(x), [1, 2, 3])
    with pytest.raises(RuntimeError, match="^Length of pad should be no more than twice the number of dimensions of "
                                           "the input. Pad length is 6while the input has 2dimensions.$"):
        torch.constant_pad_nd(_t(x), [1] * 6)


def _np_bilinear_sample(img, gx, gy):
    """align_corners=True, zeros padding, one channel: img (H, W) at normalised (gx, gy)."""
    h, w = img.shape
    px, py = (gx + 1) / 2 * (w - 1), (gy + 1) / 2 * (h - 1)
    x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
    out = np.zeros_like(px)
    for dx in (0, 1):
        for dy in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(px - xi)) * (1 - np.abs(py - yi))
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            out += np.where(ok, img[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0) * wgt
    return out


def test_grid_sampler_int_modes(device):
    img = _rand(1, 1, 3, 4)
    grid = RNG.uniform(-1.1, 1.1, (1, 2, 3, 2)).astype(np.float32)
    out = torch.grid_sampler(_t(img, device), _t(grid, device), 0, 0, True).cpu()
    assert_close(out[0, 0], _np_bilinear_sample(img[0, 0], grid[0, ..., 0], grid[0, ..., 1]), rtol=1e-4, atol=1e-5)
    near = torch.grid_sampler_2d(_t(img), _t(grid), 1, 1, False)
    assert_close(near, to_numpy(F.grid_sample(_t(img), _t(grid), "nearest", "border", False)))
    vol, g3 = _rand(1, 2, 2, 3, 3), RNG.uniform(-1, 1, (1, 2, 2, 2, 3)).astype(np.float32)
    out3 = torch.grid_sampler_3d(_t(vol), _t(g3), 0, 2, False)
    assert_close(out3, to_numpy(F.grid_sample(_t(vol), _t(g3), "bilinear", "reflection", False)))
    with pytest.raises(RuntimeError, match=r"^grid_sampler\(\): expected 4D input and grid with same number of "
                                           r"dimensions, but got input with sizes \[1, 2, 2, 3, 3\] and grid with "
                                           r"sizes \[1, 2, 2, 2, 3\]$"):
        torch.grid_sampler_2d(_t(vol), _t(g3), 0, 0, False)


def test_grid_sampler_backward_wrt_grid():
    img = torch.tensor(_rand(1, 1, 3, 3).astype(np.float64), requires_grad=True)
    grid = torch.tensor(RNG.uniform(-0.8, 0.8, (1, 2, 2, 2)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, g: torch.grid_sampler(a, g, 0, 0, False), (img, grid))


def test_affine_grid_generator(device):
    theta = np.array([[[0.5, 0.2, 0.1], [-0.3, 1.0, 0.0]]], np.float32)
    grid = torch.affine_grid_generator(_t(theta, device), [1, 1, 2, 3], True).cpu()
    xs, ys = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 2))
    base = np.stack([xs, ys, np.ones_like(xs)], -1)
    assert_close(grid[0], (base @ theta[0].T).astype(np.float32), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"^AffineGridGenerator needs 4d \(spatial\) or 5d \(volumetric\) "
                                           r"inputs.$"):
        torch.affine_grid_generator(_t(theta), [1, 1, 3], False)
