"""Regressions from the module-level differential check against PyTorch (nn modules loaded with the same
weights, compared forward/backward/buffers): here, the error paths whose class or text differed.

Expected messages are PyTorch's text, written out as literals (CI has no PyTorch)."""
import re

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy

nn = torch.nn
F = torch.nn.functional


def dev(a, device, dtype=None):
    t = from_numpy(np.asarray(a), dtype)
    return t.to("cuda") if device == "gpu" else t


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


def test_rnn_cell_hidden_messages(device):
    x = dev(np.ones((2, 3)), device, "float32")
    lstm = nn.LSTMCell(3, 4).to(x.device)
    with raises(RuntimeError, "Input batch size 2 doesn't match hidden1 batch size 3"):
        lstm(x, (dev(np.ones((2, 4)), device, "float32"), dev(np.ones((3, 4)), device, "float32")))
    with raises(RuntimeError, "hidden0 has inconsistent hidden_size: got 5, expected 4"):
        lstm(x, (dev(np.ones((2, 5)), device, "float32"), dev(np.ones((2, 4)), device, "float32")))
    with raises(RuntimeError, "Expected 2D hidden1 (batch x hidden_size), but got 1D tensor"):
        lstm(x, (dev(np.ones((2, 4)), device, "float32"), dev(np.ones(4), device, "float32")))
    gru = nn.GRUCell(3, 4).to(x.device)
    with raises(RuntimeError, "Input batch size 2 doesn't match hidden0 batch size 3"):
        gru(x, dev(np.ones((3, 4)), device, "float32"))
    rnn = nn.RNNCell(3, 4).to(x.device)
    with raises(RuntimeError, "Expected 2D hidden0 (batch x hidden_size), but got 1D tensor"):
        rnn(x, dev(np.ones(4), device, "float32"))
    # An unbatched input unsqueezes its hidden state first, so a 2-D hidden is reported as 3-D.
    with raises(RuntimeError, "Expected 2D hidden0 (batch x hidden_size), but got 3D tensor"):
        rnn(dev(np.ones(3), device, "float32"), dev(np.ones((2, 4)), device, "float32"))


def test_group_norm_ctor_message():
    with raises(ValueError, "num_channels (4) must be divisible by num_groups (3)"):
        nn.GroupNorm(3, 4)


def test_linear_bilinear_messages(device):
    with raises(RuntimeError, "both arguments to linear need to be at least 1D, but they are 0D and 2D"):
        F.linear(dev(np.array(1.0), device), dev(np.ones((3, 4)), device))
    with raises(RuntimeError, "both arguments to linear need to be at least 1D, but they are 1D and 0D"):
        F.linear(dev(np.ones(4), device), dev(np.array(1.0), device))
    m = nn.Bilinear(3, 4, 5).to("cuda" if device == "gpu" else "cpu")
    with raises(RuntimeError, "bilinear(): input batch dimensions do not match at dim 0: got 2 and 3"):
        m(dev(np.ones((2, 3)), device, "float32"), dev(np.ones((3, 4)), device, "float32"))


def test_pixel_unshuffle_messages(device):
    with raises(RuntimeError, "pixel_unshuffle expects height to be divisible by downscale_factor, but "
                              "input.size(-2)=3 is not divisible by 2"):
        F.pixel_unshuffle(dev(np.ones((1, 1, 3, 3)), device), 2)
    with raises(RuntimeError, "pixel_unshuffle expects width to be divisible by downscale_factor, but "
                              "input.size(-1)=3 is not divisible by 2"):
        F.pixel_unshuffle(dev(np.ones((1, 1, 4, 3)), device), 2)


def test_mha_key_padding_mask_messages(device):
    m = nn.MultiheadAttention(6, 2).to("cuda" if device == "gpu" else "cpu")
    q, k = dev(np.ones((4, 2, 6)), device, "float32"), dev(np.ones((5, 2, 6)), device, "float32")
    with raises(AssertionError, "Expected key_padded_mask.shape[0] to be 2, but got 3"):
        m(q, k, k, key_padding_mask=dev(np.zeros((3, 5), bool), device))
    with raises(AssertionError, "Expected key_padded_mask.shape[1] to be 5, but got 4"):
        m(q, k, k, key_padding_mask=dev(np.zeros((2, 4), bool), device))
    # add_bias_kv appends a key and a mask column before the check: a 4-column mask becomes 5 of 6.
    m2 = nn.MultiheadAttention(6, 2, add_bias_kv=True).to(q.device)
    with raises(AssertionError, "Expected key_padded_mask.shape[1] to be 6, but got 5"):
        m2(q, k, k, key_padding_mask=dev(np.zeros((2, 4), bool), device))
    assert tuple(m2(q, k, k, key_padding_mask=dev(np.zeros((2, 5), bool), device))[0].shape) == (4, 2, 6)


def test_rms_norm_shape_message(device):
    with raises(RuntimeError, "Given normalized_shape=[3, 5], expected input with shape [*3, 5], but got input of "
                              "size[2, 4]"):
        F.rms_norm(dev(np.ones((2, 4)), device), (3, 5))
    # layer_norm keeps its own "[*, 5]" spelling.
    with raises(RuntimeError, "Given normalized_shape=[5], expected input with shape [*, 5], but got input of "
                              "size[2, 4]"):
        F.layer_norm(dev(np.ones((2, 4)), device), [5])


def test_conv_transpose_output_size_message(device):
    m = nn.ConvTranspose2d(2, 2, 3, stride=2).to("cuda" if device == "gpu" else "cpu")
    x = dev(np.ones((1, 2, 3, 3)), device, "float32")
    with raises(ValueError, "requested an output size of (20, 7), but valid sizes range from [7, 7] to [8, 8] "
                            "(for an input of torch.Size([3, 3]))"):
        m(x, output_size=(20, 7))
    with raises(ValueError, "ConvTranspose2D: for 3D input, output_size must have 2 or 3 elements (got 4)"):
        m(x[0], output_size=[1, 2, 7, 7])
    # Accepted sizes still pick the output padding: 8 = 7 + 1.
    assert tuple(m(x, output_size=[1, 2, 8, 7]).shape) == (1, 2, 8, 7)
    assert tuple(m(x[0], output_size=[2, 7, 8]).shape) == (2, 7, 8)


def test_max_unpool_invalid_index(device):
    x = dev(np.arange(4.0).reshape(1, 1, 2, 2), device)
    with raises(RuntimeError, "Found an invalid max index: 17 (output volumes are of size 4x4)"):
        F.max_unpool2d(x, dev(np.full((1, 1, 2, 2), 17), device), 2)
    with raises(RuntimeError, "Found an invalid max index: -1 (output volumes are of size 4x4)"):
        F.max_unpool2d(x, dev(np.array([[[[0, 1], [-1, 3]]]]), device), 2)
    with raises(RuntimeError, "Found an invalid max index: 99 (output volumes are of size 2x2x4)"):
        F.max_unpool3d(dev(np.ones((1, 1, 1, 1, 2)), device), dev(np.full((1, 1, 1, 1, 2), 99), device), 2)
    # Valid indices still scatter the values (checked against a hand-built volume).
    idx = np.array([[[[0, 3], [12, 15]]]])
    exp = np.zeros((1, 1, 4, 4))
    exp.reshape(-1)[[0, 3, 12, 15]] = [0.0, 1.0, 2.0, 3.0]
    assert_close(F.max_unpool2d(x, dev(idx, device), 2).cpu(), exp)


def test_ctc_input_length_message(device):
    lp = dev(np.log(np.full((5, 2, 4), 0.25)), device)
    with raises(RuntimeError, "Expected input_lengths to have value at most 5, but got value 6 (while checking "
                              "arguments for ctc_loss_allocate_outputs)"):
        F.ctc_loss(lp, dev(np.array([[1, 2], [1, 1]]), device), [5, 6], [2, 2])


def test_ctc_target_size_messages(device):
    lp = dev(np.log(np.full((5, 2, 4), 0.25)), device)
    with raises(RuntimeError, "Expected tensor to have size at least 3 at dimension 1, but got size 2 for argument "
                              "#2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"):
        F.ctc_loss(lp, dev(np.ones((2, 2), np.int64), device), [5, 5], [3, 2])
    # Concatenated targets must hold exactly sum(target_lengths) labels: too few and too many both fail.
    for size in (4, 6):
        with raises(RuntimeError, f"Expected tensor to have size 5 at dimension 0, but got size {size} for argument "
                                  "#2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"):
            F.ctc_loss(lp, dev(np.ones(size, np.int64), device), [5, 5], [3, 2])
    # Exactly 5 is accepted: uniform 1/4 probabilities give a finite loss.
    assert np.isfinite(float(F.ctc_loss(lp, dev(np.ones(5, np.int64), device), [5, 5], [3, 2]).cpu()))


def test_dtype_mismatch_messages(device):
    d = "cuda" if device == "gpu" else "cpu"
    x64 = dev(np.ones((2, 3)), device)
    lin = nn.Linear(3, 2).to(d)
    with raises(RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"):
        lin(x64)
    with raises(RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"):
        lin(x64.reshape(1, 2, 3))
    with raises(RuntimeError, "self and mat2 must have the same dtype, but got Double and Float"):
        F.linear(x64.float(), lin.weight, dev(np.ones(2), device))
    # Both weight and bias float32 against a float64 input: the bias is reported first.
    conv = nn.Conv1d(2, 2, 1).to(d)
    with raises(RuntimeError, "Input type (double) and bias type (float) should be the same"):
        conv(dev(np.ones((1, 2, 3)), device))
    gru = nn.GRU(3, 2).to(d)
    with raises(ValueError, "RNN input dtype (torch.float64) does not match weight dtype (torch.float32). Convert input: "
                            "input.to(torch.float32), or convert model: model.to(torch.float64)"):
        gru(dev(np.ones((4, 1, 3)), device))
    # Matching dtypes still compute: y = x @ W.T + b against numpy.
    w, b = lin.weight.detach().cpu().numpy(), lin.bias.detach().cpu().numpy()
    assert_close(lin(x64.float()).cpu(), np.ones((2, 3), np.float32) @ w.T + b, rtol=1e-6)
