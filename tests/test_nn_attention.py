"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder against numpy references."""
import numpy as np
import pytest
from conftest import assert_close, from_numpy, to_numpy

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F
from ferrotorch.autograd import gradcheck

rng = np.random.default_rng(1)


def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sdpa(q, k, v, bias=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        s = s + bias
    return np_softmax(s) @ v


def additive(keep):
    """Boolean keep-mask (True = attend) -> additive float mask."""
    return np.where(keep, 0.0, -np.inf)


def t64(a, grad=False):
    t = from_numpy(np.asarray(a, dtype=np.float64))
    return t.requires_grad_() if grad else t


# ----------------------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_sdpa_masks_and_scale_match_numpy(dtype, tol):
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    Q, K, V = from_numpy(q), from_numpy(k), from_numpy(v)
    qd, kd, vd = (a.astype(np.float64) for a in (q, k, v))
    kw = dict(rtol=tol * 10, atol=tol * 10)
    assert_close(F.scaled_dot_product_attention(Q, K, V), np_sdpa(qd, kd, vd).astype(dtype), **kw)
    assert_close(F.scaled_dot_product_attention(Q, K, V, scale=0.3), np_sdpa(qd, kd, vd, scale=0.3).astype(dtype),
                 **kw)
    keep = rng.random((3, 5)) > 0.4
    keep[:, 0] = True  # every query sees at least one key
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=torch.tensor(keep))  # (L, S) broadcast over batch
    assert_close(out, np_sdpa(qd, kd, vd, additive(keep)).astype(dtype), **kw)
    fmask = rng.standard_normal((2, 3, 5)).astype(dtype)
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=from_numpy(fmask))
    assert_close(out, np_sdpa(qd, kd, vd, fmask.astype(np.float64)).astype(dtype), **kw)


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3), (4, 4)])
def test_sdpa_causal_is_top_left_tril(L, S):
    q, k, v = rng.standard_normal((1, L, 4)), rng.standard_normal((1, S, 4)), rng.standard_normal((1, S, 2))
    out = F.scaled_dot_product_attention(t64(q), t64(k), t64(v), is_causal=True)
    assert_close(out, np_sdpa(q, k, v, additive(np.tril(np.ones((L, S), bool)))))


def test_sdpa_broadcast_batch_dims_gqa_and_fully_masked_rows():
    q, k, v = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((1, 3, 5, 4)), rng.standard_normal((1, 3, 5, 4))
    assert_close(F.scaled_dot_product_attention(t64(q), t64(k), t64(v)), np_sdpa(q, k, v))
    # Grouped-query attention: 4 query heads share 2 key/value heads (head h uses kv head h // 2).
    q, k, v = rng.standard_normal((1, 4, 3, 2)), rng.standard_normal((1, 2, 5, 2)), rng.standard_normal((1, 2, 5, 2))
    out = F.scaled_dot_product_attention(t64(q), t64(k), t64(v), enable_gqa=True)
    assert_close(out, np_sdpa(q, np.repeat(k, 2, 1), np.repeat(v, 2, 1)))
    # A query row with no admissible key gives zeros, and zero (not NaN) gradients.
    keep = np.ones((2, 3), bool)
    keep[1] = False
    q, k, v = t64(rng.standard_normal((2, 2)), True), t64(rng.standard_normal((3, 2)), True), t64(np.ones((3, 2)))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(keep))
    assert out[1].tolist() == [0.0, 0.0]
    assert_close(out[0], np.ones(2))
    out.sum().backward()
    assert np.isfinite(to_numpy(q.grad)).all() and np.isfinite(to_numpy(k.grad)).all()
    # Empty sequences.
    assert F.scaled_dot_product_attention(torch.zeros(0, 4), torch.zeros(2, 4), torch.zeros(2, 3)).shape == (0, 3)


def test_sdpa_gradcheck_dropout_and_errors():
    q = t64(rng.standard_normal((2, 4, 3))).transpose(1, 2).requires_grad_()  # (2, 3, 4), non-contiguous
    k, v = t64(rng.standard_normal((2, 5, 4)), True), t64(rng.standard_normal((2, 5, 3)), True)
    mask = from_numpy(rng.standard_normal((3, 5)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))
    assert to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)).sum() == 0.0
    torch.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(to_numpy(a), to_numpy(F.scaled_dot_product_attention(q, k, v)))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=torch.zeros(3, 5, dtype=torch.int64))


# ----------------------------------------------------------------------------- MultiheadAttention
def np_mha(m, q, k, v, kpm=None, attn_mask=None, average=True):
    """Sequence-first batched reference using the module's own weights; boolean masks: True = masked."""
    E, H = m.embed_dim, m.num_heads
    d = E // H
    if m._qkv_same_embed_dim:
        wq, wk, wv = np.split(to_numpy(m.in_proj_weight), 3)
    else:
        wq, wk, wv = (to_numpy(w) for w in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight))
    bq, bk, bv = np.split(to_numpy(m.in_proj_bias), 3)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    L, N, S = q.shape[0], q.shape[1], k.shape[0]
    bias = np.zeros((N, H, L, S))
    if m.bias_k is not None:
        K = np.concatenate([K, np.broadcast_to(to_numpy(m.bias_k), (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(to_numpy(m.bias_v), (1, N, E))])
        bias = np.concatenate([bias, np.zeros((N, H, L, 1))], -1)
    heads = [X.reshape(X.shape[0], N, H, d).transpose(1, 2, 0, 3) for X in (Q, K, V)]  # (N, H, *, d)
    if m.add_zero_attn:
        heads[1:] = [np.concatenate([X, np.zeros((N, H, 1, d))], 2) for X in heads[1:]]
        bias = np.concatenate([bias, np.zeros((N, H, L, 1))], -1)
    if attn_mask is not None:
        am = additive(~attn_mask) if attn_mask.dtype == bool else attn_mask
        bias[..., :S] += am.reshape(-1, H, L, S) if am.ndim == 3 else am
    if kpm is not None:
        bias[..., :S] += additive(~kpm)[:, None, None, :]
    P = np_softmax(heads[0] @ np.swapaxes(heads[1], -1, -2) / np.sqrt(d) + bias)
    O = (P @ heads[2]).transpose(2, 0, 1, 3).reshape(L, N, E)
    out = O @ to_numpy(m.out_proj.weight).T + to_numpy(m.out_proj.bias)
    return out, (P.mean(1) if average else P)


def mha_inputs(L=3, S=4, N=2, E=4, kdim=None, vdim=None):
    return (rng.standard_normal((L, N, E)), rng.standard_normal((S, N, kdim or E)),
            rng.standard_normal((S, N, vdim or E)))


@pytest.mark.parametrize("opts", [{}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 3, "vdim": 5},
                                  {"add_bias_kv": True, "add_zero_attn": True}])
def test_mha_matches_numpy_with_masks(opts):
    m = nn.MultiheadAttention(4, 2, **opts).double()
    with torch.no_grad():  # non-zero biases so that they are checked too
        m.in_proj_bias.copy_(t64(rng.standard_normal(12)))
        m.out_proj.bias.copy_(t64(rng.standard_normal(4)))
    q, k, v = mha_inputs(kdim=opts.get("kdim"), vdim=opts.get("vdim"))
    kpm = np.array([[False, False, True, False], [False, True, True, False]])
    am = rng.standard_normal((3, 4))
    for kw in ({}, {"kpm": kpm}, {"attn_mask": am}, {"kpm": kpm, "attn_mask": am > 1.0}):
        args = {"key_padding_mask": torch.tensor(kw["kpm"]) if "kpm" in kw else None,
                "attn_mask": torch.tensor(kw["attn_mask"]) if "attn_mask" in kw else None}
        ref_out, ref_w = np_mha(m, q, k, v, **kw)
        out, w = m(t64(q), t64(k), t64(v), **args)
        assert_close(out, ref_out)
        assert_close(w, ref_w)
        out, w = m(t64(q), t64(k), t64(v), need_weights=False, **args)  # the sdpa path
        assert w is None
        assert_close(out, ref_out)
        _, w = m(t64(q), t64(k), t64(v), average_attn_weights=False, **args)
        assert_close(w, np_mha(m, q, k, v, average=False, **kw)[1])


def test_mha_batch_first_unbatched_and_3d_mask():
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    q, k, v = mha_inputs()
    ref_out, ref_w = np_mha(m, q, k, v)
    out, w = m(*(t64(a.transpose(1, 0, 2)) for a in (q, k, v)))
    assert_close(out, ref_out.transpose(1, 0, 2))
    assert_close(w, ref_w)
    x = t64(q)  # self-attention with one tensor passed three times
    assert_close(m(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1))[0],
                 np_mha(m, q, q, q)[0].transpose(1, 0, 2))
    # Unbatched (L, E) inputs with a (H, L, S) mask.
    am = rng.standard_normal((2, 3, 4))
    out, w = m(t64(q[:, 0]), t64(k[:, 0]), t64(v[:, 0]), attn_mask=t64(am), average_attn_weights=False)
    ref_out, ref_w = np_mha(m, q[:, :1], k[:, :1], v[:, :1], attn_mask=am, average=False)
    assert_close(out, ref_out[:, 0])
    assert_close(w, ref_w[0])


def test_mha_parameters_state_dict_and_init():
    m = nn.MultiheadAttention(6, 3)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (18, 6) and type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, nn.Linear) and m.bias_k is None and m.head_dim == 2
    assert to_numpy(m.in_proj_bias).tolist() == [0.0] * 18 and to_numpy(m.out_proj.bias).tolist() == [0.0] * 6
    bound = np.sqrt(6 / (18 + 6))  # xavier_uniform_ over the packed (3E, E) matrix
    assert np.abs(to_numpy(m.in_proj_weight)).max() <= bound
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=6, "
                       "out_features=6, bias=True)\n)")
    assert list(nn.MultiheadAttention(4, 2, kdim=3, vdim=5).state_dict()) == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, add_bias_kv=True).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(4, 2, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]
    # A checkpoint with PyTorch's keys loads strictly.
    sd = {"in_proj_weight": torch.ones(18, 6), "in_proj_bias": torch.zeros(18), "out_proj.weight": torch.eye(6),
          "out_proj.bias": torch.ones(6)}
    m.load_state_dict(sd)
    assert m.out_proj.bias.tolist() == [1.0] * 6


def test_mha_gradients_reach_every_parameter():
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=3).double()
    q, k, v = mha_inputs(kdim=3, vdim=3)
    out, w = m(t64(q), t64(k), t64(v))
    (out.square().sum() + w.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and np.abs(to_numpy(p.grad)).sum() > 0, name
    m = nn.MultiheadAttention(4, 2).double()
    qt = t64(q.transpose(2, 1, 0)).permute(2, 1, 0).requires_grad_()  # non-contiguous (L, N, E)
    assert gradcheck(lambda x, w: F.multi_head_attention_forward(
        x, x, x, 4, 2, w, m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight, m.out_proj.bias)[0],
        (qt, m.in_proj_weight))


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    m = nn.MultiheadAttention(4, 2)
    x = torch.zeros(3, 2, 4)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor but received 4-D"):
        m(torch.zeros(1, 3, 2, 4), x, x)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[2, 3\]\), but should "
                                           r"be \(3, 3\)."):
        m(x, x, x, attn_mask=torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask are supported"):
        m(x, x, x, key_padding_mask=torch.zeros(2, 3, dtype=torch.int64))
    with pytest.raises(AssertionError, match=r"key shape torch.Size\(\[3, 2, 4\]\) does not match value shape"):
        m(x, x, torch.zeros(4, 2, 4))


# ----------------------------------------------------------------------------- Transformer encoder
def np_layer_norm(x, ln):
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + ln.eps)
    return y * to_numpy(ln.weight) + to_numpy(ln.bias)


def np_encoder_layer(layer, x, act, kpm=None, mask=None):
    def sa(h):
        return np_mha(layer.self_attn, h, h, h, kpm=kpm, attn_mask=mask)[0]

    def ff(h):
        h1 = act(h @ to_numpy(layer.linear1.weight).T + to_numpy(layer.linear1.bias))
        return h1 @ to_numpy(layer.linear2.weight).T + to_numpy(layer.linear2.bias)
    if layer.norm_first:
        x = x + sa(np_layer_norm(x, layer.norm1))
        return x + ff(np_layer_norm(x, layer.norm2))
    x = np_layer_norm(x + sa(x), layer.norm1)
    return np_layer_norm(x + ff(x), layer.norm2)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "callable"])
def test_encoder_layer_matches_numpy_in_eval(norm_first, activation):
    act = (lambda t: t.tanh()) if activation == "callable" else "relu"
    np_act = np.tanh if activation == "callable" else (lambda a: np.maximum(a, 0))
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, norm_first=norm_first, activation=act).double()
    with torch.no_grad():
        for ln in (layer.norm1, layer.norm2):
            ln.weight.copy_(t64(rng.standard_normal(4)))
            ln.bias.copy_(t64(rng.standard_normal(4)))
    layer.eval()
    x = rng.standard_normal((3, 2, 4))
    assert_close(layer(t64(x)), np_encoder_layer(layer, x, np_act))
    kpm = np.array([[False, False, True], [False, False, False]])
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and src_mask is deprecated"):
        out = layer(t64(x), src_mask=t64(causal), src_key_padding_mask=torch.tensor(kpm), is_causal=True)
    assert_close(out, np_encoder_layer(layer, x, np_act, kpm=kpm, mask=causal))
    out = layer(t64(x), src_key_padding_mask=t64(additive(~kpm)))  # float padding mask
    assert_close(out, np_encoder_layer(layer, x, np_act, kpm=kpm))


def test_encoder_layer_structure_and_errors():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    assert [n for n, _ in layer.named_children()] == ["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2",
                                                      "dropout1", "dropout2"]
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
        "norm2.weight", "norm2.bias"]
    assert layer.activation is F.relu and layer.activation_relu_or_gelu == 1
    assert "weight" in dict(nn.TransformerEncoderLayer(4, 2, 8, bias=False).norm1.named_parameters())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")


def test_encoder_stack_batch_first_causal_detection_and_gradients():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, batch_first=True).double()
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4).double())
    assert enc.layers[0] is not layer and enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert list(enc.state_dict())[:2] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias"]
    assert list(enc.state_dict())[-4:] == ["layers.1.norm2.weight", "layers.1.norm2.bias", "norm.weight", "norm.bias"]
    with torch.no_grad():
        enc.layers[1].linear1.weight.mul_(2.0)  # make the two layers differ
    enc.eval()
    x = rng.standard_normal((2, 5, 4))  # (N, S, E)
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    h = x.transpose(1, 0, 2)
    for lay in enc.layers:
        h = np_encoder_layer(lay, h, lambda a: np.maximum(a, 0), mask=mask)
    ref = np_layer_norm(h, enc.norm).transpose(1, 0, 2)
    assert_close(enc(t64(x), mask=t64(mask)), ref)  # causal mask detected (is_causal=None)
    assert_close(enc(t64(x), mask=torch.tensor(np.isinf(mask))), ref)  # the boolean form
    # Training: dropout active, gradients reach every parameter.
    enc.train()
    xt = t64(x, True)
    enc(xt, src_key_padding_mask=torch.tensor([[False] * 4 + [True], [False] * 5])).sum().backward()
    assert xt.grad is not None
    for name, p in enc.named_parameters():
        assert p.grad is not None, name
