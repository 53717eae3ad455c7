"""nn.RNN / nn.LSTM / nn.GRU and their cells against a float64 numpy reference written as plain loops:
one sequence at a time, one layer and direction at a time, with the module's own weights copied in."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
from ferrotorch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, PackedSequence
from conftest import assert_close, from_numpy, requires_gpu, to_numpy

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


# ----------------------------------------------------------------------------- numpy reference
def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_cell(mode, x, h, c, p):
    """One step for one sequence: x (in,), h (out,), c (hidden,) or None. Returns (h', c')."""
    b_ih = p["b_ih"] if p["b_ih"] is not None else 0.0
    b_hh = p["b_hh"] if p["b_hh"] is not None else 0.0
    gi = p["w_ih"] @ x + b_ih
    gh = p["w_hh"] @ h + b_hh
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0), None
    if mode == "GRU":
        n3 = gi.shape[0] // 3
        r = _sig(gi[:n3] + gh[:n3])
        z = _sig(gi[n3:2 * n3] + gh[n3:2 * n3])
        n = np.tanh(gi[2 * n3:] + r * gh[2 * n3:])
        return (1 - z) * n + z * h, None
    n4 = gi.shape[0] // 4
    g = gi + gh
    i, f, gg, o = _sig(g[:n4]), _sig(g[n4:2 * n4]), np.tanh(g[2 * n4:3 * n4]), _sig(g[3 * n4:])
    c = f * c + i * gg
    h = o * np.tanh(c)
    if p.get("w_hr") is not None:
        h = p["w_hr"] @ h
    return h, c


def module_params(m, layer, suffix=""):
    """The weights of one layer/direction of an RNN module (or a cell when layer is None), as numpy."""
    def get(name):
        full = name if layer is None else f"{name}_l{layer}{suffix}"
        v = getattr(m, full, None)
        return None if v is None else to_numpy(v.cpu()).astype(np.float64)
    return {"w_ih": get("weight_ih"), "w_hh": get("weight_hh"), "b_ih": get("bias_ih"), "b_hh": get("bias_hh"),
            "w_hr": get("weight_hr") if getattr(m, "proj_size", 0) else None}


def ref_rnn(m, x, h0=None, c0=None, lengths=None):
    """Reference forward of module `m` on time-major x (T, B, in): each sequence b runs alone over its
    first lengths[b] steps. Returns (output (T, B, D*out) zero past each length, h_n, c_n)."""
    mode, D, L = m.mode, 2 if m.bidirectional else 1, m.num_layers
    T, B = x.shape[:2]
    out_size = m.proj_size or m.hidden_size
    lengths = [T] * B if lengths is None else list(lengths)
    h0 = np.zeros((L * D, B, out_size)) if h0 is None else h0
    c0 = np.zeros((L * D, B, m.hidden_size)) if c0 is None else c0
    out = np.zeros((T, B, D * out_size))
    hn, cn = np.zeros_like(h0), np.zeros_like(c0)
    for b in range(B):
        seq = x[:lengths[b], b]
        for layer in range(L):
            outs = []
            for d in range(D):
                p = module_params(m, layer, "_reverse" if d else "")
                h, c = h0[layer * D + d, b], c0[layer * D + d, b]
                ys = [None] * len(seq)
                order = range(len(seq) - 1, -1, -1) if d else range(len(seq))
                for t in order:
                    h, c = ref_cell(mode, seq[t], h, c, p)
                    ys[t] = h
                hn[layer * D + d, b] = h
                if c is not None:
                    cn[layer * D + d, b] = c
                outs.append(np.stack(ys))
            seq = np.concatenate(outs, axis=1)
        out[:lengths[b], b] = seq
    return out, hn, cn


def make(mode, *args, **kwargs):
    if mode.startswith("RNN_"):
        return nn.RNN(*args, nonlinearity=mode[4:].lower(), **kwargs)
    return getattr(nn, mode)(*args, **kwargs)


def run_and_ref(m, x_np, h0=None, c0=None, batch_first=False):
    """Calls m on x_np (given as (T, B, in) and transposed to (B, T, in) for batch_first) and returns the
    module's (out, h, c) as time-major numpy plus the reference's."""
    x = from_numpy(x_np.transpose(1, 0, 2) if batch_first else x_np)
    if m.mode == "LSTM":
        hx = None if h0 is None else (from_numpy(h0), from_numpy(c0))
        out, (h, c) = m(x, hx)
        c = to_numpy(c)
    else:
        out, h = m(x, None if h0 is None else from_numpy(h0))
        c = None
    out = to_numpy(out)
    if batch_first:
        out = out.transpose(1, 0, 2)
    ref = ref_rnn(m, x_np, h0, c0)
    return (out, to_numpy(h), c), ref


# ----------------------------------------------------------------------------- full-sequence modules
CONFIGS = [  # num_layers, bidirectional, batch_first, bias, proj_size
    (1, False, False, True, 0),
    (2, True, False, True, 0),
    (2, False, True, False, 0),
    (1, True, True, True, 0),
]
PROJ_CONFIGS = [(1, False, False, True, 2), (2, True, True, False, 3)]


@pytest.mark.parametrize("mode,cfg", [(m, c) for m in MODES for c in CONFIGS] + [("LSTM", c) for c in PROJ_CONFIGS])
@pytest.mark.parametrize("given_h0", [False, True])
def test_forward_matches_reference(mode, cfg, given_h0):
    layers, bidir, batch_first, bias, proj = cfg
    torch.manual_seed(0)
    m = make(mode, 3, 4, layers, bias=bias, batch_first=batch_first, bidirectional=bidir, dtype=torch.float64,
             **({"proj_size": proj} if proj else {}))
    rng = np.random.default_rng(1)
    D = 2 if bidir else 1
    x = rng.standard_normal((5, 2, 3))
    h0 = c0 = None
    if given_h0:
        h0 = rng.standard_normal((layers * D, 2, proj or 4))
        c0 = rng.standard_normal((layers * D, 2, 4))
    (out, h, c), (r_out, r_h, r_c) = run_and_ref(m, x, h0, c0, batch_first)
    np.testing.assert_allclose(out, r_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, r_h, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(c, r_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_input(mode):
    torch.manual_seed(0)
    m = make(mode, 3, 4, 2, bidirectional=True, dtype=torch.float64)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3))
    h0, c0 = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    r_out, r_h, r_c = ref_rnn(m, x[:, None], h0[:, None], c0[:, None])
    hx = (from_numpy(h0), from_numpy(c0)) if mode == "LSTM" else from_numpy(h0)
    out, hn = m(from_numpy(x), hx)
    assert_close(out, r_out[:, 0], rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        assert_close(hn[0], r_h[:, 0], rtol=1e-10, atol=1e-12)
        assert_close(hn[1], r_c[:, 0], rtol=1e-10, atol=1e-12)
    else:
        assert_close(hn, r_h[:, 0], rtol=1e-10, atol=1e-12)
    # Without hx, and with batch_first (the batch dim it adds is then dim 0).
    m.batch_first = True
    out, _ = m(from_numpy(x))
    assert_close(out, ref_rnn(m, x[:, None])[0][:, 0], rtol=1e-10, atol=1e-12)


def test_non_contiguous_input_and_hidden():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, dtype=torch.float64)
    rng = np.random.default_rng(3)
    xb = rng.standard_normal((2, 5, 3))  # (B, T, in) stored, fed transposed as (T, B, in)
    h0b, c0b = rng.standard_normal((2, 1, 4)), rng.standard_normal((2, 1, 4))
    x, h0, c0 = (from_numpy(a).transpose(0, 1) for a in (xb, h0b, c0b))
    assert not x.is_contiguous()
    out, (h, c) = m(x, (h0, c0))
    r_out, r_h, r_c = ref_rnn(m, xb.transpose(1, 0, 2), h0b.transpose(1, 0, 2), c0b.transpose(1, 0, 2))
    assert_close(out, r_out, rtol=1e-10, atol=1e-12)
    assert_close(h, r_h, rtol=1e-10, atol=1e-12)
    assert_close(c, r_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode,proj", [(m, 0) for m in MODES] + [("LSTM", 2)])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("given_h0", [False, True])
def test_packed_matches_each_sequence_alone(mode, proj, bidir, given_h0):
    torch.manual_seed(0)
    m = make(mode, 3, 4, 2, bidirectional=bidir, dtype=torch.float64, **({"proj_size": proj} if proj else {}))
    D = 2 if bidir else 1
    rng = np.random.default_rng(4)
    lengths = [2, 5, 1, 3]  # unsorted: exercises sorted_indices on input and hidden states
    x = rng.standard_normal((5, 4, 3))
    for b, n in enumerate(lengths):
        x[n:, b] = 99.0  # padding must never be read
    h0 = c0 = hx = None
    if given_h0:
        h0, c0 = rng.standard_normal((2 * D, 4, proj or 4)), rng.standard_normal((2 * D, 4, 4))
        hx = (from_numpy(h0), from_numpy(c0)) if mode == "LSTM" else from_numpy(h0)
    packed = pack_padded_sequence(from_numpy(x), lengths, enforce_sorted=False)
    out, hn = m(packed, hx)
    assert isinstance(out, PackedSequence)
    padded, out_lengths = pad_packed_sequence(out)
    r_out, r_h, r_c = ref_rnn(m, x, h0, c0, lengths)
    assert out_lengths.tolist() == lengths
    assert_close(padded, r_out, rtol=1e-10, atol=1e-12)
    assert_close(hn[0] if mode == "LSTM" else hn, r_h, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        assert_close(hn[1], r_c, rtol=1e-10, atol=1e-12)


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    m = nn.GRU(3, 4, 2, dropout=1.0, dtype=torch.float64)
    x = np.random.default_rng(5).standard_normal((4, 2, 3))
    out_eval, _ = m.eval()(from_numpy(x))
    assert_close(out_eval, ref_rnn(m, x)[0], rtol=1e-10, atol=1e-12)
    # p = 1 zeroes the first layer's output: the second layer then sees zeros, and the last layer's
    # output is never dropped.
    out_train, h_train = m.train()(from_numpy(x))
    ref = nn.GRU(4, 4, dtype=torch.float64)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(ref, name + "_l0").data = getattr(m, name + "_l1").detach().clone()
    r_out, r_h, _ = ref_rnn(ref, np.zeros((4, 2, 4)))
    assert_close(out_train, r_out, rtol=1e-10, atol=1e-12)
    assert_close(h_train[1], r_h[0], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_gradcheck_input_and_h0(mode):
    torch.manual_seed(0)
    m = make(mode, 2, 3, 2, bidirectional=True, dtype=torch.float64, **({"proj_size": 2} if mode == "LSTM"
                                                                        else {}))
    x = torch.randn(3, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 2 if mode == "LSTM" else 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    if mode == "LSTM":
        def f(x, h0, c0):
            out, (h, c) = m(x, (h0, c0))
            return out, h, c
        assert torch.autograd.gradcheck(f, (x, h0, c0))
    else:
        assert torch.autograd.gradcheck(lambda x, h0: m(x, h0), (x, h0))


def test_gradcheck_packed_rnn():
    torch.manual_seed(0)
    m = nn.RNN(2, 3, bidirectional=True, dtype=torch.float64)
    x = torch.randn(3, 3, 2, dtype=torch.float64, requires_grad=True)

    def f(x):
        out, h = m(pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False))
        return pad_packed_sequence(out)[0], h
    assert torch.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize("mode,kw", [("LSTM", {"proj_size": 2}), ("GRU", {}), ("RNN_TANH", {}),
                                     ("LSTM", {"bias": False})])
def test_gradcheck_parameters(mode, kw):
    # The time loop folds b_ih + b_hh into one bias and transposes the weights once per sequence: the
    # gradients of every parameter must still be exact.
    from ferrotorch.func import functional_call
    torch.manual_seed(0)
    m = make(mode, 2, 3, 2, bidirectional=True, dtype=torch.float64, **kw)
    names = [n for n, _ in m.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in m.parameters())
    x = torch.randn(3, 2, 2, dtype=torch.float64)

    def f(*ps):
        out, h = functional_call(m, dict(zip(names, ps)), (x,))
        return (out,) + (h if isinstance(h, tuple) else (h,))
    assert torch.autograd.gradcheck(f, params)


@pytest.mark.parametrize("ctor", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_and_modules_autocast(ctor):
    # RNN cells and modules are autocast ops: inside autocast they compute in the autocast dtype.
    torch.manual_seed(0)
    cell = getattr(nn, ctor)(3, 4)
    module = getattr(nn, ctor[:-4] if ctor != "RNNCell" else "RNN")(3, 4, batch_first=True)
    x = torch.randn(2, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = cell(x)
        seq, _ = module(x.unsqueeze(1))
    h = out[0] if isinstance(out, tuple) else out
    assert h.dtype == torch.bfloat16 and seq.dtype == torch.bfloat16
    ref = cell(x)
    ref = ref[0] if isinstance(ref, tuple) else ref
    assert_close(h.float(), to_numpy(ref.detach()), atol=3e-2, rtol=3e-2)


@pytest.mark.parametrize("mode", MODES)
def test_parameter_grads_exist(mode):
    m = make(mode, 3, 4, 2, bidirectional=True)
    out, _ = m(torch.randn(4, 2, 3))
    out.sum().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape), name
        assert float(p.grad.abs().sum()) > 0, name


# ----------------------------------------------------------------------------- devices
@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_device_matches_cpu(device, mode):
    torch.manual_seed(0)
    kw = {"proj_size": 2} if mode == "LSTM" else {}
    m = make(mode, 3, 4, 2, bidirectional=True, batch_first=True, **kw)
    x_np = np.random.default_rng(6).standard_normal((2, 3, 3)).astype(np.float32)
    x_cpu = from_numpy(x_np).requires_grad_(True)
    out_cpu, _ = m(x_cpu)
    (out_cpu ** 2).sum().backward()
    grads_cpu = {n: to_numpy(p.grad) for n, p in m.named_parameters()}
    m.zero_grad()
    m.to(device)
    x = from_numpy(x_np).to(device).requires_grad_(True)
    out, hn = m(x)
    assert out.device.type == torch.device(device).type
    (out ** 2).sum().backward()
    assert_close(out.cpu(), to_numpy(out_cpu), rtol=1e-4, atol=1e-5)
    assert_close(x.grad.cpu(), to_numpy(x_cpu.grad), rtol=1e-4, atol=1e-5)
    for n, p in m.named_parameters():
        assert_close(p.grad.cpu(), grads_cpu[n], rtol=1e-4, atol=1e-5)


@requires_gpu
def test_device_mismatch_errors():
    m = nn.GRU(3, 4)
    x = torch.randn(2, 1, 3)
    with pytest.raises(RuntimeError, match="Input and hidden tensors are not at the same device, found input "
                                           "tensor at cpu and hidden tensor at gpu"):
        m(x, torch.zeros(1, 1, 4, device="gpu"))
    with pytest.raises(RuntimeError, match="Input and parameter tensors are not at the same device, found input "
                                           "tensor at gpu"):
        m(x.to("gpu"))


def test_device_packed(device):
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, bidirectional=True)
    x = torch.randn(3, 3, 3)
    ref, (h_ref, _) = m(pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False))
    m.to(device)
    out, (h, _) = m(pack_padded_sequence(x.to(device), [2, 3, 1], enforce_sorted=False))
    assert out.data.device.type == torch.device(device).type
    assert_close(out.data.cpu(), to_numpy(ref.data), rtol=1e-4, atol=1e-5)
    assert_close(h.cpu(), to_numpy(h_ref), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- parameters and state
def test_parameter_names_shapes_and_order():
    m = nn.LSTM(10, 20, 2, bidirectional=True, proj_size=5)
    names = [n for n, _ in m.named_parameters()]
    expected = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            expected += [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}", f"bias_ih_l{layer}{sfx}",
                         f"bias_hh_l{layer}{sfx}", f"weight_hr_l{layer}{sfx}"]
    assert names == expected
    assert tuple(m.weight_ih_l0.shape) == (80, 10)
    assert tuple(m.weight_hh_l0.shape) == (80, 5)
    assert tuple(m.weight_ih_l1.shape) == (80, 10)  # 2 directions * proj_size 5
    assert tuple(m.weight_hr_l1_reverse.shape) == (5, 20)
    assert tuple(m.bias_hh_l1.shape) == (80,)
    g = nn.GRU(3, 4, bias=False)
    assert [n for n, _ in g.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert tuple(g.weight_ih_l0.shape) == (12, 3)
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse
    assert m.flatten_parameters() is None


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_init_is_uniform_in_bound(cls):
    torch.manual_seed(0)
    m = cls(30, 16)
    for name, p in m.named_parameters():
        assert np.all(np.abs(to_numpy(p)) <= 0.25), name  # 1 / sqrt(16)
    # Spread over the whole interval: uniform(-.25, .25) has std 0.144 (the weights alone have > 900 values).
    values = np.concatenate([to_numpy(p).ravel() for p in m.parameters()])
    assert abs(values.std() - 0.25 / np.sqrt(3)) < 0.01 and abs(values.mean()) < 0.02


def test_state_dict_round_trip():
    torch.manual_seed(0)
    a = nn.GRU(3, 4, 2, bidirectional=True)
    sd = a.state_dict()
    assert list(sd) == [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
                        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    b = nn.GRU(3, 4, 2, bidirectional=True)
    b.load_state_dict(sd)
    x = torch.randn(5, 2, 3)
    assert_close(b(x)[0], to_numpy(a(x)[0]))
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "weight_hr_l0"'):
        nn.LSTM(3, 4, proj_size=2).load_state_dict(nn.LSTM(3, 4).state_dict(), strict=True)


def test_repr():
    assert repr(nn.LSTM(10, 20, 2)) == "LSTM(10, 20, num_layers=2)"
    assert repr(nn.GRU(10, 20, bias=False, batch_first=True, dropout=0.5, num_layers=2, bidirectional=True)) == \
        "GRU(10, 20, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    assert repr(nn.LSTM(10, 20, proj_size=5)) == "LSTM(10, 20, proj_size=5)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"


def test_rnn_positional_nonlinearity():
    m = nn.RNN(3, 4, 2, "relu", False)
    assert m.nonlinearity == "relu" and m.mode == "RNN_RELU" and m.num_layers == 2 and m.bias is False
    x = np.random.default_rng(7).standard_normal((3, 2, 3)).astype(np.float32)
    assert_close(m(from_numpy(x))[0], ref_rnn(m, x.astype(np.float64))[0].astype(np.float32), rtol=1e-5,
                 atol=1e-6)


# ----------------------------------------------------------------------------- errors
def test_constructor_errors():
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.LSTM(3, 4, dropout=True)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 4, 0)
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        nn.GRU(3, 4.0)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, but got "
                                         "dropout=0.5 and num_layers=1"):
        nn.GRU(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, 2, dropout=0.5)


def test_forward_errors():
    m = nn.RNN(10, 20)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 7"):
        m(torch.randn(5, 3, 7))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 20\), got \[2, 3, 20\]"):
        m(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        m(torch.randn(5, 10), torch.randn(1, 1, 20))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        m(torch.randn(5, 3, 10), torch.randn(1, 20))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        m(torch.randn(1, 5, 3, 10))
    with pytest.raises(ValueError, match=r"RNN input dtype \(torch.float64\) does not match weight dtype \(torch.float32\)"):
        m(torch.randn(5, 3, 10, dtype=torch.float64))
    lstm = nn.LSTM(10, 20, proj_size=5)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 5\), got \[1, 3, 20\]"):
        lstm(torch.randn(5, 3, 10), (torch.randn(1, 3, 20), torch.randn(1, 3, 20)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 3, 20\), got \[1, 3, 5\]"):
        lstm(torch.randn(5, 3, 10), (torch.randn(1, 3, 5), torch.randn(1, 3, 5)))
    with pytest.raises(RuntimeError, match=r"For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           r"\(3-D, 2-D\) tensors"):
        lstm(torch.randn(5, 10), (torch.randn(1, 1, 5), torch.randn(1, 20)))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 1D instead"):
        lstm(torch.randn(10))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 1D instead"):
        nn.GRU(10, 20)(torch.randn(10))


# ----------------------------------------------------------------------------- cells
CELLS = [("RNN_TANH", lambda *a, **k: nn.RNNCell(*a, **k)),
         ("RNN_RELU", lambda *a, **k: nn.RNNCell(*a, nonlinearity="relu", **k)),
         ("LSTM", nn.LSTMCell), ("GRU", nn.GRUCell)]


@pytest.mark.parametrize("mode,ctor", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_reference(mode, ctor, bias):
    torch.manual_seed(0)
    cell = ctor(3, 4, bias=bias, dtype=torch.float64)
    p = module_params(cell, None)
    rng = np.random.default_rng(8)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    ref_h = np.stack([ref_cell(mode, x[b], h[b], c[b], p)[0] for b in range(2)])
    ref_c = np.stack([ref_cell(mode, x[b], h[b], c[b], p)[1] for b in range(2)]) if mode == "LSTM" else None
    ref_h0 = np.stack([ref_cell(mode, x[b], np.zeros(4), np.zeros(4), p)[0] for b in range(2)])
    # x fed transposed (non-contiguous)
    xt = from_numpy(np.array(x.T, order="C")).t()
    if mode == "LSTM":
        h1, c1 = cell(xt, (from_numpy(h), from_numpy(c)))
        assert_close(h1, ref_h, rtol=1e-10, atol=1e-12)
        assert_close(c1, ref_c, rtol=1e-10, atol=1e-12)
        assert_close(cell(from_numpy(x))[0], ref_h0, rtol=1e-10, atol=1e-12)
        hu, cu = cell(from_numpy(x[0]), (from_numpy(h[0]), from_numpy(c[0])))  # unbatched
        assert_close(hu, ref_h[0], rtol=1e-10, atol=1e-12)
        assert_close(cu, ref_c[0], rtol=1e-10, atol=1e-12)
    else:
        assert_close(cell(xt, from_numpy(h)), ref_h, rtol=1e-10, atol=1e-12)
        assert_close(cell(from_numpy(x)), ref_h0, rtol=1e-10, atol=1e-12)
        assert_close(cell(from_numpy(x[0]), from_numpy(h[0])), ref_h[0], rtol=1e-10, atol=1e-12)
        assert_close(cell(from_numpy(x[1])), ref_h0[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode,ctor", CELLS[2:])
def test_cell_gradcheck_and_device(device, mode, ctor):
    torch.manual_seed(0)
    if device == "cpu":
        cell = ctor(2, 3, dtype=torch.float64)
        x = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
        h = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
        if mode == "LSTM":
            c = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
            assert torch.autograd.gradcheck(lambda x, h, c: cell(x, (h, c)), (x, h, c))
        else:
            assert torch.autograd.gradcheck(lambda x, h: cell(x, h), (x, h))
        return
    cell = ctor(3, 4)
    x = torch.randn(2, 3)
    ref = cell(x)
    cell.to(device)
    out = cell(x.to(device))
    outs, refs = (out, ref) if mode == "LSTM" else ((out,), (ref,))
    for o, r in zip(outs, refs):
        assert o.device.type == torch.device(device).type
        assert_close(o.cpu(), to_numpy(r), rtol=1e-4, atol=1e-5)


def test_cell_errors():
    cell = nn.RNNCell(3, 4)
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D instead"):
        cell(torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match="RNNCell: Expected hidden to be 1D or 2D, got 3D instead"):
        cell(torch.randn(2, 3), torch.randn(1, 2, 4))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        cell(torch.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(torch.randn(2, 3), torch.randn(3, 4))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5, expected 4"):
        cell(torch.randn(2, 3), torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D instead"):
        nn.LSTMCell(3, 4)(torch.randn(2, 3), (torch.randn(2, 4), torch.randn(1, 2, 4)))
    with pytest.raises(RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, expected 4"):
        nn.LSTMCell(3, 4)(torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 5)))
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 0D instead"):
        nn.GRUCell(3, 4)(torch.tensor(1.0))
    bad = nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        bad(torch.randn(2, 3))
