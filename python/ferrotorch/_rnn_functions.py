"""The torch-level recurrent ops `lstm_cell`, `gru_cell`, `rnn_tanh_cell`, `rnn_relu_cell` (one time step)
and `lstm`, `gru`, `rnn_tanh`, `rnn_relu` (whole multi-layer sequences, weights as one flat list).

PyTorch's `nn.LSTM`/`nn.GRU`/`nn.RNN` call these internally, and some user code calls them directly with
its own weights. They run exactly the code of ferrotorch's modules: the gate math of
`nn/modules/rnn_cells.py` and the layer/direction loop of `nn/modules/rnn.py`, so they are composed from
tensor ops (autograd differentiates them, they run on the GPU).

The sequence functions take `params` ordered per layer, then per direction: w_ih, w_hh, (b_ih, b_hh when
`has_biases`), (w_hr for an LSTM with projections, recognised, as in PyTorch, by h0 and c0 having
different sizes). Besides the padded form `(input, hx, params, has_biases, num_layers, dropout, train,
bidirectional, batch_first)` they accept the packed form `(data, batch_sizes, hx, params, has_biases,
num_layers, dropout, train, bidirectional)`.

    >>> import ferrotorch as torch
    >>> x, h, c = torch.ones(2, 3), torch.zeros(2, 4), torch.zeros(2, 4)
    >>> hy, cy = torch.lstm_cell(x, (h, c), torch.zeros(16, 3), torch.zeros(16, 4))
    >>> cy[0].tolist()  # c' = sigmoid(0) * 0 + sigmoid(0) * tanh(0)
    [0.0, 0.0, 0.0, 0.0]
"""
from .amp.autocast_mode import _state as _autocast_state, autocast_args
from .nn.modules.rnn import _run_layers
from .nn.modules.rnn_cells import _ACTIVATIONS, _Weights, _check_cell_shapes, _gru_step, _lstm_step, _rnn_step

__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "lstm", "gru", "rnn_tanh", "rnn_relu"]


# ----------------------------------------------------------------------------- single steps
def _cell_args(gates, input, hiddens, w_ih, w_hh, b_ih, b_hh, mode):
    """PyTorch's cell checks (input rank, input size, weight rows, hidden shapes), then autocast;
    returns (input, hidden tensors, prepared _Weights)."""
    if input.dim() != 2:
        raise RuntimeError(f"Expected 2D input (batch x feature), but got {input.dim()}D input")
    hidden_size = w_hh.shape[1]
    _check_cell_shapes(input, [], w_ih.shape[1], hidden_size)
    for name, w in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if w.shape[0] != gates * hidden_size:
            raise RuntimeError(f"{name} first dim must be {gates} * hidden_size = {gates * hidden_size}, but got "
                               f"{w.shape[0]}")
    _check_cell_shapes(input, [(str(i), h) for i, h in enumerate(hiddens)], w_ih.shape[1], hidden_size)
    if _autocast_state.any:  # autocast ops, like the nn cells
        input, *hiddens = autocast_args(input, *hiddens)
        w_ih, w_hh, b_ih, b_hh = autocast_args(w_ih, w_hh, b_ih, b_hh)
    return input, hiddens, _Weights(mode, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: (hy, cy) from input (batch, in) and hx = (h, c), gates i, f, g, o."""
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    input, (h, c), w = _cell_args(4, input, list(hx), w_ih, w_hh, b_ih, b_hh, "LSTM")
    return _lstm_step(input, (h, c), w)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: hy from input (batch, in) and hx (batch, hidden), gates r, z, n."""
    input, (h,), w = _cell_args(3, input, [hx], w_ih, w_hh, b_ih, b_hh, "GRU")
    return _gru_step(input, h, w)


def _rnn_cell(nonlinearity, input, hx, w_ih, w_hh, b_ih, b_hh):
    input, (h,), w = _cell_args(1, input, [hx], w_ih, w_hh, b_ih, b_hh, "RNN")
    return _rnn_step(input, h, w, _ACTIVATIONS[nonlinearity])


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step: tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _rnn_cell("tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step with relu: relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _rnn_cell("relu", input, hx, w_ih, w_hh, b_ih, b_hh)


# ----------------------------------------------------------------------------- whole sequences
def _padded(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return input, None, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first


def _packed(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional):
    return data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional, False


def _bind(args, kwargs):
    """The arguments of either overload as one tuple. The packed form is the one whose 4th argument is the
    parameter list (in the padded form it is `has_biases`)."""
    packed = "batch_sizes" in kwargs or (len(args) > 3 and isinstance(args[3], (list, tuple)))
    return (_packed if packed else _padded)(*args, **kwargs)


def _run_sequence(mode, name, args, kwargs):
    input, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = \
        _bind(args, kwargs)
    if mode == "LSTM":
        if len(hx) != 2:
            raise RuntimeError(f"{name} expects two hidden states")
        hx = tuple(hx)
    expected_dim = 3 if batch_sizes is None else 2
    if input.dim() != expected_dim:
        raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
    # Per layer and direction: w_ih, w_hh, the two biases, and w_hr when the LSTM projects h (which shows
    # as h0 narrower than c0).
    stride = (4 if has_biases else 2) + int(mode == "LSTM" and hx[0].shape[2] != hx[1].shape[2])
    num_directions = 2 if bidirectional else 1
    params = list(params)
    if len(params) % stride:
        raise RuntimeError(f"MatrixRef: ArrayRef size {len(params)} not divisible by stride {stride}")
    if len(params) != stride * num_layers * num_directions:
        raise RuntimeError(f"{name}: expected {stride * num_layers * num_directions} parameter tensors "
                           f"({num_layers} layer(s) x {num_directions} direction(s) x {stride}), got {len(params)}")
    per_direction = [params[i:i + stride] for i in range(0, len(params), stride)]
    output, hidden = _run_layers(mode, input, hx, batch_sizes, per_direction, has_biases, num_layers, float(dropout),
                                 train, bidirectional, batch_first)
    return (output,) + hidden if mode == "LSTM" else (output, hidden)


def lstm(*args, **kwargs):
    """A multi-layer LSTM over a sequence: returns (output, hy, cy); hx = (h0, c0). See the module docstring
    for the two argument forms."""
    return _run_sequence("LSTM", "lstm", args, kwargs)


def gru(*args, **kwargs):
    """A multi-layer GRU over a sequence: returns (output, hy)."""
    return _run_sequence("GRU", "gru", args, kwargs)


def rnn_tanh(*args, **kwargs):
    """A multi-layer Elman RNN (tanh) over a sequence: returns (output, hy)."""
    return _run_sequence("RNN_TANH", "rnn_tanh", args, kwargs)


def rnn_relu(*args, **kwargs):
    """A multi-layer Elman RNN (relu) over a sequence: returns (output, hy)."""
    return _run_sequence("RNN_RELU", "rnn_relu", args, kwargs)
