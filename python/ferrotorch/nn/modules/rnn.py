"""Multi-layer recurrent modules `RNN`, `LSTM` and `GRU` (and their base `RNNBase`), following torch.nn.

Parameter names, shapes, gate order, registration order and initialisation match PyTorch, so a PyTorch
`state_dict()` loads unchanged. The forward pass is composed from tensor ops (so autograd differentiates it
and it runs on the GPU): for each layer and direction, each time step does its input projection, the hidden
matmul and the gate math (rnn_cells.py says why the input projection is not one matmul for the sequence).

Padded input is run through the same code path as a `PackedSequence`: a (T, B, *) batch is the packed
layout with every batch size equal to B, so variable-length batches need no separate implementation.
The single-step cells live in `rnn_cells.py` and are re-exported here.
"""
import math
import numbers
import warnings

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module
from ...amp.autocast_mode import _state as _autocast_state, autocast_args
from .rnn_cells import (RNNCellBase, RNNCell, LSTMCell, GRUCell, _Weights, _rnn_step, _lstm_step, _gru_step,
                        _ACTIVATIONS)

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _apply_permutation(tensor, permutation, dim=1):
    return tensor.index_select(dim, permutation)


# ----------------------------------------------------------------------------- the forward pass
# Module-level so that `torch.lstm` / `torch.gru` / `torch.rnn_tanh` / `torch.rnn_relu` (_rnn_functions.py),
# which take the weights as a flat list, run the very same code as the modules.

def _layer_weights(mode, params, has_biases):
    """The prepared weights (rnn_cells._Weights) of one layer and direction from its parameter list
    [w_ih, w_hh, (b_ih, b_hh,) (w_hr)]: a trailing w_hr (LSTM projection) is the one extra tensor."""
    w_ih, w_hh = params[0], params[1]
    b_ih, b_hh = (params[2], params[3]) if has_biases else (None, None)
    w_hr = params[-1] if len(params) == (4 if has_biases else 2) + 1 else None
    if _autocast_state.any:
        w_ih, w_hh, b_ih, b_hh, w_hr = autocast_args(w_ih, w_hh, b_ih, b_hh, w_hr)
    return _Weights(mode, w_ih, w_hh, b_ih, b_hh, w_hr)


def _step_fn(mode, w):
    """One time step (x, state tuple (h,) or (h, c)) -> new state tuple, for `mode`."""
    if mode == "LSTM":
        return lambda x, s: _lstm_step(x, s, w)
    if mode == "GRU":
        return lambda x, s: (_gru_step(x, s[0], w),)
    act = _ACTIVATIONS["tanh" if mode == "RNN_TANH" else "relu"]
    return lambda x, s: (_rnn_step(x, s[0], w, act),)


def _run_direction(step, xs, sizes, state0, reverse):
    """One layer, one direction over the per-step inputs `xs` ((b_t, in) each, b_t = sizes[t],
    non-increasing). Returns (per-step outputs, final state tuple (B, ...))."""
    outs = []
    if not reverse:
        # Sequences end in order of length: when the batch shrinks, the states of those that just
        # ended are final and are set aside; they are reassembled in batch order at the end.
        state, ended = state0, []
        for x, b in zip(xs, sizes):
            if b < state[0].shape[0]:
                ended.append(tuple(s[b:] for s in state))
                state = tuple(s[:b] for s in state)
            state = step(x, state)
            outs.append(state[0])
        ended.append(state)
        ended.reverse()
        final = state if len(ended) == 1 else tuple(_C.cat([e[k] for e in ended], 0)
                                                    for k in range(len(state)))
    else:
        # Backwards in time the batch grows: a sequence joins, from its initial state, at its last step.
        state = tuple(s[:sizes[-1]] for s in state0) if sizes else state0
        for t in range(len(sizes) - 1, -1, -1):
            b, live = sizes[t], state[0].shape[0]
            if b > live:
                state = tuple(_C.cat([s, s0[live:b]], 0) for s, s0 in zip(state, state0))
            state = step(xs[t], state)
            outs.append(state[0])
        outs.reverse()
        final = state
    return outs, final


def _run_layers(mode, input, hx, batch_sizes, all_params, has_biases, num_layers, dropout, train, bidirectional,
                batch_first):
    """Runs all layers; input is packed data (N, in) with batch_sizes, or a padded (T, B, in) batch; hx is
    (h0, c0) for the LSTM, else h0; `all_params` holds one parameter list per layer and direction.
    Returns (output data, hidden).

    Between layers the sequence is kept as a list of per-step (batch, features) tensors: each layer
    consumes its input step by step (see rnn_cells.py for why), so this avoids slicing one big tensor
    per step."""
    if batch_sizes is None:
        x = input.transpose(0, 1) if batch_first else input
        sizes = [x.shape[1]] * x.shape[0]
        xs = [x[t] for t in range(x.shape[0])]
    else:
        sizes = batch_sizes.tolist()
        xs, start = [], 0
        for b in sizes:
            xs.append(input[start:start + b])
            start += b
    if not xs:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    states = hx if mode == "LSTM" else (hx,)
    if _autocast_state.any:
        xs, states = list(autocast_args(*xs)), autocast_args(*states)
    num_directions = 2 if bidirectional else 1
    finals = []
    for layer in range(num_layers):
        outs = []
        for direction in range(num_directions):
            idx = layer * num_directions + direction
            step = _step_fn(mode, _layer_weights(mode, all_params[idx], has_biases))
            out, final = _run_direction(step, xs, sizes, tuple(s[idx] for s in states), reverse=direction == 1)
            outs.append(out)
            finals.append(final)
        xs = outs[0] if num_directions == 1 else [_C.cat(pair, 1) for pair in zip(*outs)]
        if dropout > 0 and train and layer < num_layers - 1:
            xs = [F.dropout(x, dropout, True) for x in xs]
    hidden = tuple(_C.stack([f[k] for f in finals], 0) for k in range(len(states)))
    if not xs:  # zero time steps (packed data cannot be empty, so this is a padded input)
        # w_hh is (gates * hidden_size, output size): its columns are the (projected) hidden size.
        size = all_params[0][1].shape[1] * num_directions
        data = input.new_zeros((input.shape[0], input.shape[1], size))
    elif batch_sizes is None:
        data = _C.stack(xs, 1 if batch_first else 0)
    else:
        data = _C.cat(xs, 0)
    return data, (hidden if mode == "LSTM" else hidden[0])


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the per-layer, per-direction parameters (`weight_ih_l{k}`,
    `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, `weight_hr_l{k}` with proj_size, `_reverse` suffix for
    the backward direction), argument checks, and the forward pass. `mode` is "LSTM", "GRU", "RNN_TANH" or
    "RNN_RELU"."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) else dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                # Registration order fixes parameters() and state_dict() order: ih, hh, biases, then hr.
                params = [("weight_ih_l{}{}", (gate_size, layer_input_size)),
                          ("weight_hh_l{}{}", (gate_size, real_hidden_size))]
                if bias:
                    params += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr_l{}{}", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for fmt, shape in params:
                    name = fmt.format(layer, suffix)
                    setattr(self, name, Parameter(_C.empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    # ------------------------------------------------------------------ parameters
    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters as a list per layer and direction, in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs weights into one buffer for cuDNN; here every step already reads the
        registered parameters directly."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ checks (PyTorch's messages)
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            i_dt, w_dt = str(input.dtype), str(w.dtype)
            raise ValueError(f"RNN input dtype ({i_dt}) does not match weight dtype ({w_dt}). Convert input: "
                             f"input.to({w_dt}), or convert model: model.to({i_dt})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _state_shape(self, input, batch_sizes, size):
        """(num_layers * num_directions, mini_batch, size): the shape a hidden/cell state must have."""
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    def get_expected_hidden_size(self, input, batch_sizes):
        return self._state_shape(input, batch_sizes, self.proj_size if self.proj_size > 0 else self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(tuple(expected_hidden_size), list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def _check_devices(self, input, hx):
        """PyTorch's device checks: hidden states first, then parameters, against the input's device."""
        hiddens = hx if self.mode == "LSTM" else (hx,)
        for name, tensors in (("hidden", hiddens), ("parameter", self._flat_weights)):
            for t in tensors:
                if t.device != input.device:
                    raise RuntimeError(f"Input and {name} tensors are not at the same device, found input tensor "
                                       f"at {input.device} and {name} tensor at {t.device}")

    # ------------------------------------------------------------------ forward
    def _name(self):
        return {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")

    def _check_hx_dims(self, hx, is_batched):
        """PyTorch's hx rank checks; returns hx with a batch dim added for unbatched input."""
        want = 3 if is_batched else 2
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            return hx if is_batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        if hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")
        return hx if is_batched else hx.unsqueeze(1)

    def forward(self, input, hx=None):
        num_directions = 2 if self.bidirectional else 1
        is_packed = isinstance(input, PackedSequence)
        is_batched = True
        if is_packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch_size = int(batch_sizes[0])
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                tail = " tensor instead" if self._name() == "RNN" else " instead"
                raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._check_hx_dims(hx, is_batched)
            max_batch_size = input.shape[batch_dim]
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            shape = (self.num_layers * num_directions, max_batch_size)
            h0 = _C.zeros(shape + (real_hidden,), dtype=input.dtype, device=input.device)
            hx = (h0, _C.zeros(shape + (self.hidden_size,), dtype=input.dtype, device=input.device)) \
                if self.mode == "LSTM" else h0
        self.check_forward_args(input, hx, batch_sizes)
        self._check_devices(input, hx)
        hx = self.permute_hidden(hx, sorted_indices)

        output, hidden = self._run(input, hx, batch_sizes)

        if is_packed:
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
                self.permute_hidden(hidden, unsorted_indices)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1)) if self.mode == "LSTM" else hidden.squeeze(1)
        return output, self.permute_hidden(hidden, unsorted_indices)

    def _run(self, input, hx, batch_sizes):
        return _run_layers(self.mode, input, hx, batch_sizes, self.all_weights, self.bias, self.num_layers,
                           self.dropout, self.training, self.bidirectional, self.batch_first)


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    `RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)`. Input (L, N, H_in) (or (N, L, H_in) with
    batch_first), unbatched (L, H_in), or a PackedSequence; returns (output, h_n).

        >>> import ferrotorch as torch
        >>> rnn = torch.nn.RNN(4, 3, num_layers=2)
        >>> out, h = rnn(torch.randn(5, 2, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 2, 3]), torch.Size([2, 2, 3]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """A multi-layer LSTM (gates i, f, g, o); with `proj_size > 0`, h is projected by `weight_hr_l{k}`.

    `LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)`; `forward(input, (h_0, c_0)=None)` returns
    (output, (h_n, c_n)).

        >>> import ferrotorch as torch
        >>> lstm = torch.nn.LSTM(4, 3, batch_first=True)
        >>> out, (h, c) = lstm(torch.randn(2, 5, 4))
        >>> out.shape, h.shape, c.shape
        (torch.Size([2, 5, 3]), torch.Size([1, 2, 3]), torch.Size([1, 2, 3]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        return self._state_shape(input, batch_sizes, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)


class GRU(RNNBase):
    """A multi-layer GRU (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).

    Same arguments as `RNN` without `nonlinearity`; returns (output, h_n).

        >>> import ferrotorch as torch
        >>> out, h = torch.nn.GRU(4, 3, bidirectional=True)(torch.randn(5, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 6]), torch.Size([2, 3]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)
