"""Embedding, one_hot, the dropout variants, Bilinear and the distance functions."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F


# ---- embedding -------------------------------------------------------------------------------------

def test_embedding_forward_matches_indexing():
    w = torch.randn(7, 3, dtype=torch.float64)
    idx = torch.tensor([[0, 6, 2], [2, 2, 5]]).t()  # non-contiguous (3, 2)
    np.testing.assert_array_equal(F.embedding(idx, w).numpy(), w.numpy()[idx.numpy()])
    assert F.embedding(idx.int(), w).shape == (3, 2, 3)
    assert F.embedding(torch.tensor(4), w).tolist() == w[4].tolist()
    assert F.embedding(torch.zeros(0, 2, dtype=torch.int64), w).shape == (0, 2, 3)
    assert F.embedding(idx, w.float()).dtype == torch.float32


def test_embedding_gradient_accumulates_repeated_rows():
    w = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor([[1, 3, 1], [5, 1, 0]])
    g = torch.randn(2, 3, 4, dtype=torch.float64)
    F.embedding(idx, w).backward(g)
    want = np.zeros((6, 4))
    np.add.at(want, idx.numpy().ravel(), g.numpy().reshape(-1, 4))
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)
    assert gradcheck(lambda w: F.embedding(idx, w), (w.detach().t().contiguous().t().requires_grad_(),))


def test_embedding_padding_idx_and_scale_grad_by_freq():
    w = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor([[1, 3, 1], [5, 1, 3]])
    g = torch.randn(2, 3, 2, dtype=torch.float64)
    out = F.embedding(idx, w, padding_idx=-3, scale_grad_by_freq=True)  # -3 is row 3
    np.testing.assert_array_equal(out.detach().numpy(), w.detach().numpy()[idx.numpy()])
    out.backward(g)
    counts = np.bincount(idx.numpy().ravel(), minlength=6)
    want = np.zeros((6, 2))
    np.add.at(want, idx.numpy().ravel(), g.numpy().reshape(-1, 2) / counts[idx.numpy().ravel()][:, None])
    want[3] = 0.0
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)


def test_embedding_max_norm_renormalises_looked_up_rows_in_place():
    w0 = torch.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, -1.0]], dtype=torch.float64)
    emb = nn.Embedding.from_pretrained(w0.clone(), freeze=False, max_norm=2.0)
    out = emb(torch.tensor([0, 1, 1]))
    np.testing.assert_allclose(emb.weight.detach().numpy()[0], [1.2, 1.6], rtol=1e-6)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[1:], w0.numpy()[1:])  # row 2: not looked up
    np.testing.assert_allclose(out.detach().numpy(), emb.weight.detach().numpy()[[0, 1, 1]])
    out.sum().backward()  # the in-place renorm happened before the lookup, so backward is valid
    assert emb.weight.grad.tolist()[1] == [2.0, 2.0]
    w1 = w0.clone()
    F.embedding(torch.tensor([[3]]), w1, max_norm=1.0, norm_type=1.0)
    np.testing.assert_allclose(w1.numpy()[3], [0.5, -0.5], rtol=1e-6)
    assert repr(emb) == "Embedding(4, 2, max_norm=2.0)"


def test_embedding_module_init_repr_state_dict():
    torch.manual_seed(0)
    emb = nn.Embedding(50, 8, padding_idx=2)
    w = emb.weight.detach().numpy()
    assert emb.weight.shape == (50, 8) and emb.weight.requires_grad
    assert (w[2] == 0).all() and (w[np.arange(50) != 2] != 0).all()
    assert abs(w.mean()) < 0.2 and 0.8 < w.std() < 1.2  # N(0, 1)
    assert list(emb.state_dict()) == ["weight"]
    assert repr(emb) == "Embedding(50, 8, padding_idx=2)"
    assert repr(nn.Embedding(3, 2)) == "Embedding(3, 2)"
    assert repr(nn.Embedding(3, 2, padding_idx=-1, norm_type=1.0, scale_grad_by_freq=True)) == \
        "Embedding(3, 2, padding_idx=2, norm_type=1.0, scale_grad_by_freq=True)"
    assert nn.Embedding(3, 2, dtype=torch.float64).weight.dtype == torch.float64
    emb(torch.tensor([2, 3, 2])).sum().backward()
    assert emb.weight.grad[2].abs().sum().item() == 0 and emb.weight.grad[3].tolist() == [1.0] * 8


def test_embedding_from_pretrained():
    pre = torch.arange(6.0).reshape(3, 2)
    emb = nn.Embedding.from_pretrained(pre)
    assert not emb.weight.requires_grad and emb.weight.data_ptr() == pre.data_ptr()
    assert emb(torch.tensor([2])).tolist() == [[4.0, 5.0]]
    thawed = nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=1)
    assert thawed.weight.requires_grad and thawed.weight[1].tolist() == [2.0, 3.0]  # not zeroed
    assert repr(thawed) == "Embedding(3, 2, padding_idx=1)"
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(torch.ones(3))


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    for bad in ([4], [-1], [[0, 9]]):
        with pytest.raises(IndexError, match="index out of range in self"):
            emb(torch.tensor(bad))
    with pytest.raises(RuntimeError, match=r"Expected tensor for argument #1 'indices' to have one of the "
                                           r"following scalar types: Long, Int; but got torch.FloatTensor"):
        emb(torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(torch.tensor([0]), torch.ones(3))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(torch.tensor([0]), torch.ones(4, 2), padding_idx=-5)
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(4, 2, _weight=torch.ones(4, 3))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)


# ---- embedding_bag ---------------------------------------------------------------------------------

def _np_bags(w, inp, starts, end, mode, pad=None, psw=None):
    out = []
    bounds = list(starts) + [end]
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = [w[i] * (1.0 if psw is None else psw[k]) for k, i in enumerate(inp[a:b], a) if i != pad]
        if not rows:
            out.append(np.zeros(w.shape[1]))
        else:
            out.append({"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_per_bag_reduction(mode):
    torch.manual_seed(0)
    w = torch.randn(10, 3, dtype=torch.float64)
    inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9, 7])
    off = torch.tensor([0, 4, 4, 6])  # bag 1 is empty
    wn, ii = w.numpy(), inp.numpy()
    np.testing.assert_allclose(F.embedding_bag(inp, w, off, mode=mode).numpy(),
                               _np_bags(wn, ii, [0, 4, 4, 6], 9, mode), rtol=1e-12)
    np.testing.assert_allclose(F.embedding_bag(inp, w, off, mode=mode, padding_idx=4).numpy(),
                               _np_bags(wn, ii, [0, 4, 4, 6], 9, mode, pad=4), rtol=1e-12)
    # include_last_offset: the last offset closes the last bag (index 7 is left out).
    np.testing.assert_allclose(F.embedding_bag(inp, w, torch.tensor([0, 4, 8]), mode=mode,
                                               include_last_offset=True).numpy(),
                               _np_bags(wn, ii, [0, 4], 8, mode), rtol=1e-12)
    # 2-D input: each row is a bag.
    two = inp[:8].reshape(2, 4)
    np.testing.assert_allclose(F.embedding_bag(two, w, mode=mode).numpy(), _np_bags(wn, ii, [0, 4], 8, mode),
                               rtol=1e-12)
    assert gradcheck(lambda w: F.embedding_bag(inp, w, off, mode=mode, padding_idx=5),
                     (w.clone().requires_grad_(),))


def test_embedding_bag_per_sample_weights_module_and_errors():
    w = torch.randn(6, 2, dtype=torch.float64)
    inp, off = torch.tensor([0, 5, 5, 1]), torch.tensor([0, 1])
    psw = torch.tensor([0.5, 2.0, -1.0, 3.0], dtype=torch.float64)
    np.testing.assert_allclose(F.embedding_bag(inp, w, off, mode="sum", per_sample_weights=psw).numpy(),
                               _np_bags(w.numpy(), inp.numpy(), [0, 1], 4, "sum", psw=psw.numpy()), rtol=1e-12)
    assert gradcheck(lambda w, p: F.embedding_bag(inp, w, off, mode="sum", per_sample_weights=p),
                     (w.clone().requires_grad_(), psw.clone().requires_grad_()))
    bag = nn.EmbeddingBag(6, 2, mode="sum", padding_idx=5, dtype=torch.float64)
    assert repr(bag) == "EmbeddingBag(6, 2, mode='sum', padding_idx=5)" and list(bag.state_dict()) == ["weight"]
    assert bag.weight[5].abs().sum().item() == 0 and not isinstance(bag, nn.Embedding)
    bag(inp, off).sum().backward()
    assert bag.weight.grad[5].tolist() == [0.0, 0.0] and bag.weight.grad[1].tolist() == [1.0, 1.0]
    pre = nn.EmbeddingBag.from_pretrained(w, mode="max")
    assert repr(pre) == "EmbeddingBag(6, 2, mode='max')" and not pre.weight.requires_grad
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(inp.reshape(2, 2), w, off)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(inp, w)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(inp, w, off, mode="min")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(inp, w, off, per_sample_weights=psw)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(inp, w, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor of dimension 3"):
        F.embedding_bag(inp.reshape(1, 2, 2), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding_bag(torch.tensor([6]), w, torch.tensor([0]))


# ---- one_hot ---------------------------------------------------------------------------------------

def test_one_hot():
    t = torch.tensor([[0, 3], [2, 2]])
    y = F.one_hot(t)
    assert y.dtype == torch.int64 and y.shape == (2, 2, 4)
    np.testing.assert_array_equal(y.numpy(), np.eye(4, dtype=np.int64)[t.numpy()])
    np.testing.assert_array_equal(F.one_hot(t.t(), 6).numpy(), np.eye(6, dtype=np.int64)[t.numpy().T])
    assert F.one_hot(torch.tensor(1), 3).tolist() == [0, 1, 0]
    assert F.one_hot(torch.zeros(0, dtype=torch.int64), 5).shape == (0, 5)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(torch.zeros(0, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(t, 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(torch.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        F.one_hot(torch.tensor([1, 0], dtype=torch.int32))


# ---- dropout variants ------------------------------------------------------------------------------

def _channel_masks(y, x, p):
    """Per (N, C) channel: True if kept (== x / (1 - p) everywhere), False if zeroed; fails otherwise."""
    yn, xn = y.numpy(), x.numpy()
    n, c = yn.shape[:2]
    yn, xn = yn.reshape(n, c, -1), xn.reshape(n, c, -1)
    kept = np.all(np.isclose(yn, xn / (1 - p)), axis=2)
    zeroed = np.all(yn == 0, axis=2)
    assert np.all(kept ^ zeroed)
    return kept


def test_feature_dropout_zeroes_whole_channels():
    torch.manual_seed(0)
    x = torch.rand(8, 16, 3, 4) + 0.5
    kept = _channel_masks(F.dropout2d(x, 0.25), x, 0.25)
    assert 0.55 < kept.mean() < 0.95
    _channel_masks(F.dropout1d(x[:, :, 0], 0.5), x[:, :, 0], 0.5)
    _channel_masks(F.dropout1d(x[0, :, 0], 0.5).unsqueeze(0), x[0, :, 0].unsqueeze(0), 0.5)  # (C, L)
    _channel_masks(F.dropout3d(x.unsqueeze(2), 0.5), x.unsqueeze(2), 0.5)
    _channel_masks(F.dropout3d(x, 0.5).unsqueeze(0), x.unsqueeze(0), 0.5)  # 4-D is (C, D, H, W)
    for fn, t in ((F.dropout1d, x[0]), (F.dropout2d, x), (F.dropout3d, x.unsqueeze(2))):
        assert fn(t, 0.5, training=False) is t
    # The gradient is the mask.
    xg = x[:2, :4].clone().double().requires_grad_()
    y = F.dropout2d(xg, 0.5)
    y.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), (y.detach() / xg.detach()).numpy())


def test_dropout2d_3d_input_warns_and_acts_as_dropout1d():
    x = torch.ones(4, 6, 5)
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and assuming that "
                                         "channel-wise 1D dropout"):
        y = F.dropout2d(x, 0.5)
    _channel_masks(y, x, 0.5)
    with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(torch.ones(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(torch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(torch.ones(2, 3, 4, 5))


def test_feature_dropout_inplace_and_modules():
    torch.manual_seed(1)
    x = torch.ones(2, 8, 3)
    assert F.dropout1d(x, 0.5, inplace=True) is x
    _channel_masks(x, torch.ones(2, 8, 3), 0.5)
    u = torch.ones(8, 3)
    assert F.dropout1d(u, 0.5, inplace=True) is u
    _channel_masks(u.unsqueeze(0), torch.ones(1, 8, 3), 0.5)
    for cls, shape in ((nn.Dropout1d, (2, 8, 3)), (nn.Dropout2d, (2, 8, 3, 3)), (nn.Dropout3d, (2, 8, 1, 3, 3))):
        m = cls(0.3)
        assert repr(m) == f"{cls.__name__}(p=0.3, inplace=False)"
        t = torch.ones(shape)
        _channel_masks(m(t), t, 0.3)
        assert m.eval()(t) is t
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        F.dropout3d(torch.ones(1, 2, 3, 4, 5), -0.1)
    assert F.dropout2d(torch.ones(2, 3, 4, 4), 1.0).abs().sum().item() == 0


def test_alpha_dropout_values_and_statistics():
    torch.manual_seed(0)
    alpha, p = 1.7580993408473766, 0.2
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    x = torch.randn(20000, dtype=torch.float64)
    assert F.alpha_dropout(x, p) is x  # training defaults to False
    y = F.alpha_dropout(x, p, training=True).numpy()
    xn = x.numpy()
    kept = np.isclose(y, a * xn + alpha * a * p)
    dropped = np.isclose(y, alpha * a * (p - 1))
    assert np.all(kept | dropped) and abs(dropped.mean() - p) < 0.02
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05  # self-normalising
    assert F.alpha_dropout(x, 1.0, training=True).abs().sum().item() == 0
    xf = torch.randn(30, 40, 5, dtype=torch.float64)
    yf = F.feature_alpha_dropout(xf, p, training=True).numpy()
    keptf = np.isclose(yf, a * xf.numpy() + alpha * a * p)
    assert np.all(keptf.all(2) | np.isclose(yf, alpha * a * (p - 1)).all(2))
    m = nn.AlphaDropout(0.2)
    assert repr(m) == "AlphaDropout(p=0.2, inplace=False)" and m.eval()(x) is x
    assert repr(nn.FeatureAlphaDropout()) == "FeatureAlphaDropout(p=0.5, inplace=False)"
    xg = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    yg = F.alpha_dropout(xg, 0.5, training=True)
    yg.sum().backward()
    kept_g = np.isclose(yg.detach().numpy(), a_half(0.5) * xg.detach().numpy() + alpha * a_half(0.5) * 0.5)
    np.testing.assert_allclose(xg.grad.numpy(), np.where(kept_g, a_half(0.5), 0.0))


def a_half(p, alpha=1.7580993408473766):
    return 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))


# ---- bilinear --------------------------------------------------------------------------------------

def test_bilinear_matches_einsum_and_gradcheck():
    torch.manual_seed(0)
    x1 = torch.randn(4, 3, dtype=torch.float64)
    x2 = torch.randn(5, 4, dtype=torch.float64).t()  # (4, 5), non-contiguous
    w = torch.randn(2, 3, 5, dtype=torch.float64)
    b = torch.randn(2, dtype=torch.float64)
    want = np.einsum("bi,oij,bj->bo", x1.numpy(), w.numpy(), x2.numpy()) + b.numpy()
    np.testing.assert_allclose(F.bilinear(x1, x2, w, b).numpy(), want, rtol=1e-12)
    args = tuple(t.clone().requires_grad_() for t in (x1, x2, w, b))
    assert gradcheck(F.bilinear, args)
    # Extra batch dims, 1-D inputs, empty batch.
    x1b, x2b = torch.randn(2, 3, 3), torch.randn(2, 3, 5)
    wf = w.float()
    np.testing.assert_allclose(F.bilinear(x1b, x2b, wf).numpy(),
                               np.einsum("xyi,oij,xyj->xyo", x1b.numpy(), wf.numpy(), x2b.numpy()), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(F.bilinear(x1[0], x2[0], w).numpy(),
                               np.einsum("i,oij,j->o", x1.numpy()[0], w.numpy(), x2.numpy()[0]), rtol=1e-12)
    assert F.bilinear(torch.zeros(0, 3), torch.zeros(0, 5), wf).shape == (0, 2)


def test_bilinear_module_and_errors():
    torch.manual_seed(0)
    m = nn.Bilinear(20, 3, 4)
    bound = 1 / math.sqrt(20)
    assert m.weight.shape == (4, 20, 3) and m.bias.shape == (4,)
    assert m.weight.abs().max().item() <= bound and m.bias.abs().max().item() <= bound
    assert m.weight.abs().max().item() > 0.8 * bound  # uniform over the whole range
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(m) == "Bilinear(in1_features=20, in2_features=3, out_features=4, bias=True)"
    x1, x2 = torch.randn(6, 20), torch.randn(6, 3)
    np.testing.assert_allclose(m(x1, x2).detach().numpy(),
                               F.bilinear(x1, x2, m.weight, m.bias).detach().numpy())
    nb = nn.Bilinear(2, 3, 4, bias=False, dtype=torch.float64)
    assert nb.bias is None and list(nb.state_dict()) == ["weight"] and nb.weight.dtype == torch.float64
    with pytest.raises(RuntimeError, match="bilinear\\(\\): input dimensions do not match: got 2 and 3"):
        m(x1, x2.unsqueeze(0))
    with pytest.raises(RuntimeError, match=r"bilinear\(\): input batch dimensions do not match at dim 0: got 6 and 5"):
        m(x1, x2[:5])
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 19 but expected 20"):
        m(x1[:, :19], x2)
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 2 but expected 3"):
        m(x1, x2[:, :2])


# ---- distances -------------------------------------------------------------------------------------

def test_normalize():
    x = torch.tensor([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]], dtype=torch.float64).t()
    xn = x.numpy()
    for p, dim in ((2.0, 1), (1.0, 0), (3.0, -1)):
        norm = np.maximum((np.abs(xn) ** p).sum(dim, keepdims=True) ** (1 / p), 1e-12)
        np.testing.assert_allclose(F.normalize(x, p, dim).numpy(), xn / norm, rtol=1e-12)
    z = F.normalize(torch.zeros(2, 3))
    assert z.abs().sum().item() == 0  # the eps clamp avoids 0 / 0
    assert gradcheck(lambda t: F.normalize(t, 2.0, 0), (torch.randn(4, 3, dtype=torch.float64).t().requires_grad_(),))
    out = torch.empty(3, 3, dtype=torch.float64)
    assert F.normalize(x, out=out) is out
    assert F.normalize(torch.tensor([3.0, 4.0]), dim=0).tolist() == pytest.approx([0.6, 0.8])


def _np_cos(a, b, dim, eps):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def test_cosine_similarity():
    x1 = torch.randn(5, 4, dtype=torch.float64).t()  # (4, 5)
    x2 = torch.randn(1, 5, dtype=torch.float64)
    for dim in (1, 0, -1):
        np.testing.assert_allclose(F.cosine_similarity(x1, x2, dim).numpy(), _np_cos(x1.numpy(), x2.numpy(), dim, 1e-8),
                                   rtol=1e-12)
    # Each norm is clamped on its own: a zero vector gives 0, not NaN.
    z = F.cosine_similarity(torch.zeros(2, 3), torch.ones(2, 3))
    assert z.tolist() == [0.0, 0.0]
    v = torch.tensor([[1e-5, 0.0]])
    np.testing.assert_allclose(F.cosine_similarity(v, torch.tensor([[1.0, 0.0]]), eps=1e-3).numpy(), [1e-2], rtol=1e-6)
    assert F.cosine_similarity(torch.randn(3), torch.randn(3), dim=0).shape == ()
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, 0),
                     (x1.clone().requires_grad_(), torch.randn(4, 1, dtype=torch.float64, requires_grad=True)))
    m = nn.CosineSimilarity(dim=0, eps=1e-6)
    assert repr(m) == "CosineSimilarity()"
    np.testing.assert_allclose(m(x1, x2).numpy(), _np_cos(x1.numpy(), x2.numpy(), 0, 1e-6), rtol=1e-12)
    with pytest.raises(RuntimeError, match="The size of tensor a \\(4\\) must match the size of tensor b \\(3\\)"):
        F.cosine_similarity(x1, torch.randn(3, 5))
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[3, 4]]))
    assert F.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[3.0, 4.0]])).dtype == torch.float32


def test_pairwise_distance():
    x1 = torch.randn(3, 6, dtype=torch.float64).t()  # (6, 3)
    x2 = torch.randn(3, dtype=torch.float64)
    d = x1.numpy() - x2.numpy() + 1e-6
    for p in (1.0, 2.0, 3.0):
        want = (np.abs(d) ** p).sum(-1) ** (1 / p)
        np.testing.assert_allclose(F.pairwise_distance(x1, x2, p).numpy(), want, rtol=1e-12)
    assert F.pairwise_distance(x1, x2, keepdim=True).shape == (6, 1)
    np.testing.assert_allclose(F.pairwise_distance(x2, x1).numpy(), np.linalg.norm(-d + 2e-6, axis=-1), rtol=1e-12)
    assert F.pairwise_distance(x1, x1).numpy() == pytest.approx(np.full(6, math.sqrt(3) * 1e-6))
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0),
                     (x1.clone().requires_grad_(), x2.clone().requires_grad_()))
    m = nn.PairwiseDistance(p=1.0, keepdim=True)
    assert repr(m) == "PairwiseDistance()" and m.norm == 1.0
    np.testing.assert_allclose(m(x1, x2).numpy(), np.abs(d).sum(-1, keepdims=True), rtol=1e-12)
