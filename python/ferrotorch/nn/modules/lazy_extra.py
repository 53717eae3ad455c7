"""More lazy layers: LazyConvTranspose1d/2d/3d and LazyInstanceNorm1d/2d/3d, plus `UninitializedBuffer`.

They follow `lazy.py`: parameters (and, for the norms, running-statistics buffers) start without data;
the first call reads the channel count from the input, gives them their shape, initialises them as the
eager layer would and turns the module into that layer (`cls_to_become`).

ferrotorch's native Tensor type cannot be the target of a `__class__` change, so a materialised
`UninitializedBuffer` becomes the small `_MaterializedBuffer` subclass instead of a plain Tensor; the
lazy norms sidestep this by registering fresh tensors as their buffers, as PyTorch's end state has.
"""
from ... import _C
from ..._C import Tensor
from .conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .lazy import UninitializedParameter, _LazyConvMixin, _LazyMixin, _UninitializedMixin

__all__ = ["UninitializedBuffer", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _MaterializedBuffer(Tensor):
    """What an `UninitializedBuffer` becomes once it has data: an ordinary tensor."""


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is not known yet; `materialize(shape)` gives it (uninitialised) data.

        >>> import ferrotorch as torch
        >>> b = torch.nn.UninitializedBuffer()
        >>> b
        <UninitializedBuffer>
        >>> b.materialize((2, 3)); b.shape
        torch.Size([2, 3])
    """

    cls_to_become = _MaterializedBuffer

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        self = super().__new__(cls, _C.empty(0, device=device, dtype=dtype))
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __repr__(self):
        return "<UninitializedBuffer>"


class _LazyConvTransposeMixin(_LazyConvMixin):
    def _weight_shape(self):
        # Transposed weights are (in, out / groups, *kernel).
        return (self.in_channels, self.out_channels // self.groups) + tuple(self.kernel_size)


def _lazy_conv_transpose(name, eager):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        eager.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, 1, False, dilation,
                       padding_mode, device, dtype)
        self.groups = groups
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self._lazy_init(out_channels, bias, device, dtype)

    doc = f"A {eager.__name__} whose in_channels is taken from the first input."
    return type(name, (_LazyConvTransposeMixin, eager), {"__init__": __init__, "cls_to_become": eager,
                                                          "__doc__": doc, "__module__": __name__})


LazyConvTranspose1d = _lazy_conv_transpose("LazyConvTranspose1d", ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv_transpose("LazyConvTranspose2d", ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv_transpose("LazyConvTranspose3d", ConvTranspose3d)


class _LazyNormMixin(_LazyMixin):
    def _lazy_init(self, affine, track_running_stats, device, dtype):
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if self.bias is not None:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self._buffers["running_mean"] = UninitializedBuffer(device=device, dtype=dtype)
            self._buffers["running_var"] = UninitializedBuffer(device=device, dtype=dtype)

    def has_uninitialized_params(self):
        return (any(isinstance(p, UninitializedParameter) for p in self._parameters.values())
                or any(isinstance(b, UninitializedBuffer) for b in self._buffers.values()))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        # PyTorch reads dim 1 as the channel count (for an unbatched input too).
        self.num_features = input.shape[1]
        if self.affine:
            self.weight.materialize((self.num_features,))
            if self.bias is not None:
                self.bias.materialize((self.num_features,))
        if self.track_running_stats:
            for name in ("running_mean", "running_var"):
                old = self._buffers[name]
                self._buffers[name] = _C.empty(self.num_features, device=old.device, dtype=old.dtype)
        self.reset_parameters()


def _lazy_instance_norm(name, eager):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        eager.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype)
        self._lazy_init(affine, track_running_stats, device, dtype)

    doc = f"An {eager.__name__} whose num_features is taken from the first input's dim 1."
    return type(name, (_LazyNormMixin, eager), {"__init__": __init__, "cls_to_become": eager, "__doc__": doc,
                                                "__module__": __name__})


LazyInstanceNorm1d = _lazy_instance_norm("LazyInstanceNorm1d", InstanceNorm1d)
LazyInstanceNorm2d = _lazy_instance_norm("LazyInstanceNorm2d", InstanceNorm2d)
LazyInstanceNorm3d = _lazy_instance_norm("LazyInstanceNorm3d", InstanceNorm3d)
