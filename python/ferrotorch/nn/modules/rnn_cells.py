"""Single-step recurrent cells (`RNNCell`, `LSTMCell`, `GRUCell`) and the gate math they share with the
multi-layer `RNN`/`LSTM`/`GRU` modules in `rnn.py`.

The gate math is split into "input projection" (x W_ih^T + b_ih) and "one step" (the hidden matmul and the
gates); the cells, the full-sequence modules and the torch.lstm/gru/rnn_* functions all run these pieces. Everything is composed from tensor ops, so autograd differentiates
it and it runs unchanged on the GPU.
"""
import math

from ... import _C
from ...amp.autocast_mode import _state as _autocast_state, autocast_args
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ----------------------------------------------------------------------------- one time step
# The time loop is Python, so each step must issue as few tensor ops as possible: the weights are transposed
# once per sequence (`_Weights`), the input projection of a step is one fused GEMM (addmm) that also adds
# both biases where the gate math allows it (LSTM, RNN), the hidden projection of all gates is a second addmm
# into that result, and the gate pre-activations are split with chunk (views, no copy).
#
# The input projection is done step by step rather than once for the whole sequence on purpose: slicing one
# big (steps * batch, gates) projection per step makes every step's backward scatter into a tensor of the
# whole sequence's size, which costs O(steps^2) time overall.

class _Weights:
    """One layer/direction's weights, prepared once per sequence: w_ih^T, w_hh^T, the bias added to the
    input projection (b_ih + b_hh, or just b_ih for the GRU whose reset gate needs b_hh apart), b_hh for
    the GRU, and w_hr^T (LSTM projection)."""

    def __init__(self, mode, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
        self.w_ih_t, self.w_hh_t = w_ih.t(), w_hh.t()
        self.w_hr_t = None if w_hr is None else w_hr.t()
        self.b_hh = b_hh if mode == "GRU" else None
        if mode == "GRU" or b_hh is None:
            self.b_in = b_ih
        else:
            self.b_in = b_hh if b_ih is None else b_ih + b_hh

    def project(self, x):
        """x W_ih^T (+ bias), one GEMM."""
        return x.matmul(self.w_ih_t) if self.b_in is None else self.b_in.addmm(x, self.w_ih_t)


def _rnn_step(x, h, w, act):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return act(w.project(x).addmm(h, w.w_hh_t))


def _lstm_step(x, state, w):
    """PyTorch's LSTM gates, in the order i, f, g, o; with w_hr, h' is projected to proj_size."""
    h, c = state
    i, f, g, o = w.project(x).addmm(h, w.w_hh_t).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w.w_hr_t is not None:
        h = h.matmul(w.w_hr_t)
    return h, c


def _gru_step(x, h, w):
    """PyTorch's GRU gates r, z, n, with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): the reset gate
    multiplies the hidden projection *including* its bias (unlike the original paper)."""
    gh = h.matmul(w.w_hh_t) if w.b_hh is None else w.b_hh.addmm(h, w.w_hh_t)
    i_r, i_z, i_n = w.project(x).chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    # (1 - z) * n + z * h, written with one fewer elementwise op.
    return n + z * (h - n)


_ACTIVATIONS = {"tanh": _C.Tensor.tanh, "relu": _C.Tensor.relu}


def _check_cell_shapes(input, hiddens, input_size, hidden_size):
    """The input/hidden size checks of PyTorch's cell kernels (on batched tensors); `hiddens` is a list of
    (label, tensor), labels "0"/"1" as PyTorch numbers them (hidden0, hidden1)."""
    if input.shape[1] != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {input_size}")
    for label, h in hiddens:
        # The cells' hidden must be 2-D here: an unbatched input's 2-D hidden has been unsqueezed to 3-D by
        # now, and is reported as such.
        if h.dim() != 2:
            raise RuntimeError(f"Expected 2D hidden{label} (batch x hidden_size), but got {h.dim()}D tensor")
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size "
                               f"{h.shape[0]}")
        if h.shape[1] != hidden_size:
            raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got {h.shape[1]}, expected "
                               f"{hidden_size}")


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters shared by the cells: weight_ih (chunks*hidden, input), weight_hh (chunks*hidden, hidden),
    and optional bias_ih / bias_hh, all drawn from uniform(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_C.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_C.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(_C.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_C.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # -- shared forward plumbing
    def _batched(self, name, input, hx_parts):
        """Validates dims like PyTorch, adds a batch dim to unbatched input/hidden; returns is_batched."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for label, h in hx_parts:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead")
        return input.dim() == 2

    def _check_cell_args(self, input, hiddens):
        _check_cell_shapes(input, hiddens, self.input_size, self.hidden_size)

    def _weights(self, mode):
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if _autocast_state.any:  # the cells are autocast ops, like F.linear
            weights = autocast_args(*weights)
        return _Weights(mode, *weights)

    @staticmethod
    def _autocast(*tensors):
        return autocast_args(*tensors) if _autocast_state.any else tensors

    def _zeros(self, input):
        return _C.zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """An Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Input (batch, input_size) or unbatched (input_size,); hx of the matching shape, zeros when None.

        >>> import ferrotorch as torch
        >>> cell = torch.nn.RNNCell(4, 3)
        >>> cell(torch.randn(2, 4)).shape
        torch.Size([2, 3])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched = self._batched("RNNCell", input, [("hidden", hx)])
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity not in _ACTIVATIONS:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_cell_args(input, [("0", hx)])
        ret = _rnn_step(*self._autocast(input, hx), self._weights("RNN"), _ACTIVATIONS[self.nonlinearity])
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell; returns (h', c'). Gates i, f, g, o are stacked in that order in
    weight_ih / weight_hh (4 * hidden_size rows), as in PyTorch.

        >>> import ferrotorch as torch
        >>> cell = torch.nn.LSTMCell(4, 3)
        >>> h, c = cell(torch.randn(2, 4))
        >>> h.shape, c.shape
        (torch.Size([2, 3]), torch.Size([2, 3]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        parts = [] if hx is None else [(f"hx[{i}]", v) for i, v in enumerate(hx)]
        is_batched = self._batched("LSTMCell", input, parts)
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_cell_args(input, [("0", hx[0]), ("1", hx[1])])
        input, h, c = self._autocast(input, *hx)
        h, c = _lstm_step(input, (h, c), self._weights("LSTM"))
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell, gates r, z, n in PyTorch's order and formula:
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

        >>> import ferrotorch as torch
        >>> torch.nn.GRUCell(4, 3)(torch.randn(4)).shape
        torch.Size([3])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._batched("GRUCell", input, [("hidden", hx)])
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_cell_args(input, [("0", hx)])
        ret = _gru_step(*self._autocast(input, hx), self._weights("GRU"))
        return ret if is_batched else ret.squeeze(0)
