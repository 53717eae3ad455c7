"""Lazy layers: LazyLinear and LazyConv1d/2d/3d infer their input size at the first forward.

Their weight and bias start as `UninitializedParameter`s (no data). The first call reads the input's
feature/channel count, materialises the parameters in place (same Python objects, so references
taken earlier stay valid), initialises them as the eager layer would, and turns the module into that
eager layer (`cls_to_become`), as PyTorch does.
"""
from ... import _C
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d
from .linear import Linear
from .module import Module

__all__ = ["UninitializedParameter", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d"]


class _UninitializedMixin:
    """A tensor without data until `materialize(shape)`, which then turns it into `cls_to_become`
    (shared by `UninitializedParameter` and `UninitializedBuffer`)."""

    def materialize(self, shape, device=None, dtype=None):
        """Allocates (uninitialised) data of `shape` in place and becomes `cls_to_become`."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        requires_grad = self.requires_grad
        # Data can only be swapped under a leaf that does not (yet) require grad.
        self.requires_grad_(False)
        with no_grad():
            self._set_from(_C.empty(tuple(shape), device=device, dtype=dtype))
        self.requires_grad_(requires_grad)
        self.__class__ = self.cls_to_become


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A parameter whose shape is not known yet; `materialize(shape)` gives it data and makes it a
    plain `Parameter`."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return super().__new__(cls, _C.empty(0, device=device, dtype=dtype), requires_grad)

    def __repr__(self):
        return "<UninitializedParameter>"

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def _is_lazy(t):
    return isinstance(t, UninitializedParameter)


class _LazyMixin:
    """Materialises the parameters on the first call, then becomes `cls_to_become`."""

    cls_to_become = None

    def has_uninitialized_params(self):
        return any(_is_lazy(p) for p in self._parameters.values() if p is not None)

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():
                self.initialize_parameters(*args, **kwargs)
            self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)


class LazyLinear(_LazyMixin, Linear):
    """A Linear layer whose in_features is taken from the first input's last dim.

    >>> import ferrotorch as torch
    >>> m = torch.nn.LazyLinear(3)
    >>> m
    LazyLinear(in_features=0, out_features=3, bias=True)
    >>> _ = m(torch.ones(2, 5)); m
    Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvMixin(_LazyMixin):
    def _lazy_init(self, out_channels, bias, device, dtype):
        self.out_channels = out_channels
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        n = self._n
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        self.in_channels = input.shape[1] if input.dim() == n + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        self.weight.materialize(self._weight_shape())
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _weight_shape(self):
        return (self.out_channels, self.in_channels // self.groups) + tuple(self.kernel_size)


def _lazy_conv(name, eager, doc):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        # Built as the eager layer with zero input channels, then the parameters are made lazy.
        eager.__init__(self, 0, 0, kernel_size, stride, padding, dilation, 1, False, padding_mode, device, dtype)
        self.groups = groups
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self._lazy_init(out_channels, bias, device, dtype)

    return type(name, (_LazyConvMixin, eager), {"__init__": __init__, "cls_to_become": eager, "__doc__": doc,
                                                "__module__": __name__})


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d, "A Conv1d whose in_channels is taken from the first input.")
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d, "A Conv2d whose in_channels is taken from the first input.")
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d, "A Conv3d whose in_channels is taken from the first input.")
