"""TransformerDecoderLayer, TransformerDecoder and Transformer against numpy compositions (eval mode)."""
import numpy as np
import pytest
from conftest import assert_close
from test_nn_attention import np_encoder_layer, np_layer_norm, np_mha, t64

import ferrotorch as torch
from ferrotorch import nn

rng = np.random.default_rng(2)


def relu(a):
    return np.maximum(a, 0)


def np_decoder_layer(layer, x, mem, tgt_mask=None, mem_kpm=None):
    def sa(h):
        return np_mha(layer.self_attn, h, h, h, attn_mask=tgt_mask)[0]

    def ca(h):
        return np_mha(layer.multihead_attn, h, mem, mem, kpm=mem_kpm)[0]

    def ff(h):
        h1 = relu(h @ layer.linear1.weight.detach().numpy().T + layer.linear1.bias.detach().numpy())
        return h1 @ layer.linear2.weight.detach().numpy().T + layer.linear2.bias.detach().numpy()
    if layer.norm_first:
        x = x + sa(np_layer_norm(x, layer.norm1))
        x = x + ca(np_layer_norm(x, layer.norm2))
        return x + ff(np_layer_norm(x, layer.norm3))
    x = np_layer_norm(x + sa(x), layer.norm1)
    x = np_layer_norm(x + ca(x), layer.norm2)
    return np_layer_norm(x + ff(x), layer.norm3)


def randomize_norms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(t64(rng.standard_normal(m.weight.shape)))
                m.bias.copy_(t64(rng.standard_normal(m.bias.shape)))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_numpy(norm_first):
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, norm_first=norm_first).double()
    randomize_norms(layer)
    layer.eval()
    x, mem = rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 3:] = True
    out = layer(t64(x), t64(mem), tgt_mask=t64(causal), memory_key_padding_mask=torch.tensor(kpm),
                tgt_is_causal=True)
    assert_close(out, np_decoder_layer(layer, x, mem, tgt_mask=causal, mem_kpm=kpm))


def test_decoder_layer_state_dict_keys():
    assert list(nn.TransformerDecoderLayer(4, 2, 8).state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias", "multihead_attn.out_proj.weight",
        "multihead_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
        "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"]


def test_transformer_matches_numpy_and_trains():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=6,
                           batch_first=True).double()
    randomize_norms(model)
    model.eval()
    src, tgt = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 4))  # (N, S, E), (N, T, E)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    assert mask.tolist() == np.triu(np.full((3, 3), -np.inf), 1).tolist()
    src_kpm = np.zeros((2, 5), bool)
    src_kpm[1, 4] = True
    out = model(t64(src), t64(tgt), tgt_mask=mask, src_key_padding_mask=torch.tensor(src_kpm),
                memory_key_padding_mask=torch.tensor(src_kpm))
    h = src.transpose(1, 0, 2)
    for lay in model.encoder.layers:
        h = np_encoder_layer(lay, h, relu, kpm=src_kpm)
    mem = np_layer_norm(h, model.encoder.norm)
    y = tgt.transpose(1, 0, 2)
    y = np_decoder_layer(model.decoder.layers[0], y, mem, tgt_mask=mask.numpy(), mem_kpm=src_kpm)
    assert_close(out, np_layer_norm(y, model.decoder.norm).transpose(1, 0, 2))
    # Weight matrices are xavier-uniform re-initialised; every parameter gets a gradient in training.
    assert np.abs(model.encoder.layers[0].linear1.weight.detach().numpy()).max() <= np.sqrt(6 / 10)
    model.train()
    model(t64(src), t64(tgt), tgt_mask=mask).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name


def test_transformer_structure_and_errors():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    keys = list(model.state_dict())
    assert keys[:2] == ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.self_attn.in_proj_bias"]
    assert "encoder.norm.weight" in keys and "decoder.layers.0.multihead_attn.in_proj_weight" in keys
    assert keys[-2:] == ["decoder.norm.weight", "decoder.norm.bias"] and len(keys) == 12 + 2 + 18 + 2
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(torch.zeros(3, 2, 4), torch.zeros(3, 1, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(torch.zeros(3, 2, 4), torch.zeros(3, 2, 5))
    # Unbatched (S, E) inputs.
    assert model.eval()(torch.randn(3, 4), torch.randn(2, 4)).shape == (2, 4)
