"""torch.lstm_cell / gru_cell / rnn_tanh_cell / rnn_relu_cell and torch.lstm / gru / rnn_tanh / rnn_relu:
checked against numpy implementations of PyTorch's gate equations, against the nn modules given the same
weights, and by gradcheck."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, requires_gpu, to_numpy

rng = np.random.default_rng(0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- numpy references
def np_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = np.split(gates, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return (h if w_hr is None else h @ w_hr.T), c


def np_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    i_r, i_z, i_n = np.split(x @ w_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def np_rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, act):
    return act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


NP_ACTS = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0)}


def np_sequence(mode, x, states, params, num_layers, bidirectional, has_biases=True):
    """Multi-layer (bi)directional RNN over x (T, B, in); states: list of (layers*dirs, B, H) arrays."""
    dirs = 2 if bidirectional else 1
    stride = len(params) // (num_layers * dirs)
    finals = [[] for _ in states]
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            p = params[(layer * dirs + d) * stride:(layer * dirs + d + 1) * stride]
            w_ih, w_hh = p[0], p[1]
            if has_biases:
                b_ih, b_hh = p[2], p[3]
            else:
                b_ih = b_hh = np.zeros(w_ih.shape[0])
            w_hr = p[-1] if stride == (4 if has_biases else 2) + 1 else None
            st = [s[layer * dirs + d] for s in states]
            steps = range(x.shape[0]) if d == 0 else range(x.shape[0] - 1, -1, -1)
            out = [None] * x.shape[0]
            for t in steps:
                if mode == "LSTM":
                    st = list(np_lstm_step(x[t], st[0], st[1], w_ih, w_hh, b_ih, b_hh, w_hr))
                elif mode == "GRU":
                    st = [np_gru_step(x[t], st[0], w_ih, w_hh, b_ih, b_hh)]
                else:
                    st = [np_rnn_step(x[t], st[0], w_ih, w_hh, b_ih, b_hh, NP_ACTS[mode])]
                out[t] = st[0]
            outs.append(np.stack(out))
            for k, s in enumerate(st):
                finals[k].append(s)
        x = np.concatenate(outs, axis=2)
    return x, [np.stack(f) for f in finals]


def rand(*shape):
    return rng.standard_normal(shape) * 0.5


# ----------------------------------------------------------------------------- cells
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_matches_numpy(bias):
    x, h, c = rand(3, 5), rand(3, 4), rand(3, 4)
    w_ih, w_hh, b_ih, b_hh = rand(16, 5), rand(16, 4), rand(16), rand(16)
    biases = (from_numpy(b_ih), from_numpy(b_hh)) if bias else ()
    hy, cy = torch.lstm_cell(from_numpy(x), (from_numpy(h), from_numpy(c)), from_numpy(w_ih), from_numpy(w_hh),
                             *biases)
    zero = np.zeros(16)
    eh, ec = np_lstm_step(x, h, c, w_ih, w_hh, b_ih if bias else zero, b_hh if bias else zero)
    assert_close(hy, eh, rtol=1e-10, atol=1e-12)
    assert_close(cy, ec, rtol=1e-10, atol=1e-12)


def test_gru_cell_matches_numpy_and_only_b_hh():
    x, h = rand(2, 3), rand(2, 4)
    w_ih, w_hh, b_hh = rand(12, 3), rand(12, 4), rand(12)
    out = torch.gru_cell(from_numpy(x), from_numpy(h), from_numpy(w_ih), from_numpy(w_hh), None, from_numpy(b_hh))
    # b_hh sits inside the reset gate's product, so it is not interchangeable with b_ih.
    assert_close(out, np_gru_step(x, h, w_ih, w_hh, np.zeros(12), b_hh), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, act", [("rnn_tanh_cell", "tanh"), ("rnn_relu_cell", "relu")])
def test_rnn_cells_match_numpy(name, act):
    x, h = rand(2, 3), rand(2, 4)
    w_ih, w_hh, b_ih, b_hh = rand(4, 3), rand(4, 4), rand(4), rand(4)
    out = getattr(torch, name)(from_numpy(x), from_numpy(h), from_numpy(w_ih), from_numpy(w_hh), from_numpy(b_ih),
                               from_numpy(b_hh))
    assert_close(out, np_rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, NP_ACTS[act]), rtol=1e-10, atol=1e-12)


def test_cells_equal_nn_cells():
    x = torch.randn(3, 5)
    lstm = torch.nn.LSTMCell(5, 4)
    h, c = torch.randn(3, 4), torch.randn(3, 4)
    for got, want in zip(torch.lstm_cell(x, (h, c), lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh),
                         lstm(x, (h, c))):
        assert torch.equal(got, want)
    gru = torch.nn.GRUCell(5, 4)
    assert torch.equal(torch.gru_cell(x, h, gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh), gru(x, h))


def test_cell_gradcheck():
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    w_ih = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    w_hh = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)
    b_ih, b_hh = (torch.randn(8, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(lambda *a: torch.lstm_cell(a[0], (a[1], a[2]), *a[3:]),
                                    (x, h, c, w_ih, w_hh, b_ih, b_hh))
    g_ih = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    g_hh = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    g_b_ih, g_b_hh = (torch.randn(6, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(torch.gru_cell, (x, h, g_ih, g_hh, g_b_ih, g_b_hh))


def test_cell_errors():
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    w_ih, w_hh = torch.randn(16, 3), torch.randn(16, 4)
    with pytest.raises(RuntimeError, match=r"^lstm_cell expects two hidden states$"):
        torch.lstm_cell(x, (h,), w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"^Expected 2D input \(batch x feature\), but got 1D input$"):
        torch.lstm_cell(x[0], (h[0], c[0]), w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"^input has inconsistent input_size: got 5 expected 3$"):
        torch.lstm_cell(torch.randn(2, 5), (h, c), w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"^Input batch size 2 doesn't match hidden0 batch size 3$"):
        torch.lstm_cell(x, (torch.randn(3, 4), c), w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"^hidden1 has inconsistent hidden_size: got 5, expected 4$"):
        torch.lstm_cell(x, (h, torch.randn(2, 5)), w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"^weight_hh first dim must be 4 \* hidden_size = 16, but got 12$"):
        torch.lstm_cell(x, (h, c), w_ih, torch.randn(12, 4))
    with pytest.raises(RuntimeError, match=r"^weight_ih first dim must be 3 \* hidden_size = 12, but got 9$"):
        torch.gru_cell(x, h, torch.randn(9, 3), torch.randn(12, 4))
    with pytest.raises(RuntimeError, match=r"^Expected 2D hidden0 \(batch x hidden_size\), but got 1D tensor$"):
        torch.rnn_tanh_cell(x, h[0], torch.randn(4, 3), torch.randn(4, 4))


# ----------------------------------------------------------------------------- whole sequences
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
def test_lstm_matches_numpy(num_layers, bidirectional):
    dirs = 2 if bidirectional else 1
    T, B, I, H = 4, 3, 5, 2
    x, h0, c0 = rand(T, B, I), rand(num_layers * dirs, B, H), rand(num_layers * dirs, B, H)
    params = []
    for layer in range(num_layers):
        for _ in range(dirs):
            params += [rand(4 * H, I if layer == 0 else H * dirs), rand(4 * H, H), rand(4 * H), rand(4 * H)]
    out, hy, cy = torch.lstm(from_numpy(x), (from_numpy(h0), from_numpy(c0)), [from_numpy(p) for p in params],
                             True, num_layers, 0.0, False, bidirectional, False)
    e_out, (e_h, e_c) = np_sequence("LSTM", x, [h0, c0], params, num_layers, bidirectional)
    assert_close(out, e_out, rtol=1e-10, atol=1e-12)
    assert_close(hy, e_h, rtol=1e-10, atol=1e-12)
    assert_close(cy, e_c, rtol=1e-10, atol=1e-12)


def test_lstm_projection_matches_numpy():
    T, B, I, H, P = 3, 2, 3, 4, 2
    x, h0, c0 = rand(T, B, I), rand(1, B, P), rand(1, B, H)
    params = [rand(4 * H, I), rand(4 * H, P), rand(4 * H), rand(4 * H), rand(P, H)]
    out, hy, cy = torch.lstm(from_numpy(x), (from_numpy(h0), from_numpy(c0)), [from_numpy(p) for p in params],
                             True, 1, 0.0, False, False, False)
    e_out, (e_h, e_c) = np_sequence("LSTM", x, [h0, c0], params, 1, False)
    assert_close(out, e_out, rtol=1e-10, atol=1e-12)
    assert_close(hy, e_h, rtol=1e-10, atol=1e-12)
    assert_close(cy, e_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, mode", [("gru", "GRU"), ("rnn_tanh", "tanh"), ("rnn_relu", "relu")])
@pytest.mark.parametrize("has_biases", [True, False])
def test_gru_rnn_match_numpy(fn, mode, has_biases):
    gates = 3 if mode == "GRU" else 1
    T, B, I, H = 3, 2, 3, 4
    x, h0 = rand(T, B, I), rand(2, B, H)
    params = []
    for _ in range(2):  # bidirectional, one layer
        params += [rand(gates * H, I), rand(gates * H, H)] + ([rand(gates * H), rand(gates * H)] if has_biases else [])
    out, hy = getattr(torch, fn)(from_numpy(x), from_numpy(h0), [from_numpy(p) for p in params], has_biases, 1,
                                 0.0, False, True, False)
    e_out, (e_h,) = np_sequence(mode, x, [h0], params, 1, True, has_biases)
    assert_close(out, e_out, rtol=1e-10, atol=1e-12)
    assert_close(hy, e_h, rtol=1e-10, atol=1e-12)


def test_batch_first():
    x = torch.randn(5, 2, 3)
    h0 = torch.randn(1, 2, 4)
    params = [torch.randn(12, 3), torch.randn(12, 4), torch.randn(12), torch.randn(12)]
    out, hy = torch.gru(x, h0, params, True, 1, 0.0, False, False, False)
    out_bf, hy_bf = torch.gru(x.transpose(0, 1), h0, params, True, 1, 0.0, False, False, True)
    assert torch.equal(out_bf, out.transpose(0, 1))
    assert torch.equal(hy_bf, hy)


@pytest.mark.parametrize("ctor, fn", [(torch.nn.LSTM, torch.lstm), (torch.nn.GRU, torch.gru)])
def test_sequences_equal_nn_modules(ctor, fn):
    m = ctor(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 5, 3)
    h0 = torch.randn(4, 2, 4)
    hx = (h0, torch.randn(4, 2, 4)) if ctor is torch.nn.LSTM else h0
    got = fn(x, hx, m._flat_weights, True, 2, 0.0, False, True, True)
    want_out, want_hidden = m(x, hx)
    want = (want_out,) + (want_hidden if ctor is torch.nn.LSTM else (want_hidden,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert torch.equal(g, w)


def test_packed_overload_equals_nn_module():
    m = torch.nn.LSTM(3, 2)
    seqs = [torch.randn(4, 3), torch.randn(2, 3)]
    packed = torch.nn.utils.rnn.pack_sequence(seqs)
    h0, c0 = torch.zeros(1, 2, 2), torch.zeros(1, 2, 2)
    out, hy, cy = torch.lstm(packed.data, packed.batch_sizes, (h0, c0), m._flat_weights, True, 1, 0.0, False, False)
    want, (want_h, want_c) = m(packed, (h0, c0))
    assert torch.equal(out, want.data)
    assert torch.equal(hy, want_h)
    assert torch.equal(cy, want_c)
    # The second sequence stops after 2 steps: its final state is the step-2 output of a plain run.
    out2, h2, _ = torch.lstm(seqs[1].unsqueeze(1), (h0[:, 1:], c0[:, 1:]), m._flat_weights, True, 1, 0.0, False,
                             False, False)
    assert_close(hy[0, 1], to_numpy(h2[0, 0]), rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training_between_layers():
    x = torch.randn(4, 2, 3)
    h0 = torch.zeros(2, 2, 3)
    params = [torch.randn(3, 3), torch.randn(3, 3), torch.randn(3, 3), torch.randn(3, 3)]
    eval_out, _ = torch.rnn_relu(x, h0, params, False, 2, 0.5, False, False, False)
    again, _ = torch.rnn_relu(x, h0, params, False, 2, 0.5, False, False, False)
    assert torch.equal(eval_out, again)
    torch.manual_seed(0)
    differs = False
    for _ in range(5):
        train_out, _ = torch.rnn_relu(x, h0, params, False, 2, 0.5, True, False, False)
        differs |= not torch.equal(train_out, eval_out)
    assert differs


def test_sequence_gradcheck():
    kw = {"dtype": torch.float64, "requires_grad": True}
    x = torch.randn(3, 2, 2, **kw)
    h0, c0 = torch.randn(1, 2, 2, **kw), torch.randn(1, 2, 2, **kw)
    params = (torch.randn(8, 2, **kw), torch.randn(8, 2, **kw), torch.randn(8, **kw), torch.randn(8, **kw))
    assert torch.autograd.gradcheck(
        lambda x, h0, c0, *p: torch.lstm(x, (h0, c0), list(p), True, 1, 0.0, False, False, False),
        (x, h0, c0) + params)
    g_params = tuple(torch.randn(6, 2, **kw) for _ in range(4))  # w_ih, w_hh per direction, no biases
    assert torch.autograd.gradcheck(
        lambda x, h0, *p: torch.gru(x, h0, list(p), False, 1, 0.0, False, True, False),
        (x, torch.randn(2, 2, 2, **kw)) + g_params)


def test_sequence_errors():
    x, h, c = torch.randn(5, 2, 3), torch.randn(1, 2, 4), torch.randn(1, 2, 4)
    params = [torch.randn(16, 3), torch.randn(16, 4), torch.randn(16), torch.randn(16)]
    with pytest.raises(RuntimeError, match=r"^lstm expects two hidden states$"):
        torch.lstm(x, (h,), params, True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"^MatrixRef: ArrayRef size 3 not divisible by stride 4$"):
        torch.lstm(x, (h, c), params[:3], True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"expected 8 parameter tensors"):
        torch.lstm(x, (h, c), params, True, 2, 0.0, False, False, False)



def test_empty_sequence_is_an_error():
    params = [torch.randn(4, 3), torch.randn(4, 4)]
    with pytest.raises(RuntimeError, match=r"^Expected sequence length to be larger than 0 in RNN$"):
        torch.rnn_tanh(torch.ones(0, 2, 3), torch.zeros(1, 2, 4), params, False, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"^Expected sequence length to be larger than 0 in RNN$"):
        torch.nn.GRU(3, 4, batch_first=True)(torch.ones(2, 0, 3))

@requires_gpu
def test_lstm_on_gpu_matches_cpu():
    x, h0, c0 = torch.randn(4, 2, 3), torch.randn(1, 2, 4), torch.randn(1, 2, 4)
    params = [torch.randn(16, 3), torch.randn(16, 4), torch.randn(16), torch.randn(16)]
    cpu = torch.lstm(x, (h0, c0), params, True, 1, 0.0, False, False, False)
    gpu = torch.lstm(x.to("gpu"), (h0.to("gpu"), c0.to("gpu")), [p.to("gpu") for p in params], True, 1, 0.0, False,
                     False, False)
    for g, want in zip(gpu, cpu):
        assert g.device.type == "gpu"
        assert_close(g.cpu(), to_numpy(want), rtol=1e-4, atol=1e-5)
    hy = torch.gru_cell(x[0].to("gpu"), h0[0].to("gpu"), torch.randn(12, 3).to("gpu"), torch.randn(12, 4).to("gpu"))
    assert hy.device.type == "gpu" and tuple(hy.shape) == (2, 4)


def test_docstring_examples():
    import doctest
    from ferrotorch import _rnn_functions
    assert doctest.testmod(_rnn_functions).failed == 0
