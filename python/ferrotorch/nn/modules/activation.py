"""Activation modules: thin wrappers over `nn.functional`, with PyTorch's constructors and reprs."""
from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Softplus", "Sigmoid",
           "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid", "Softsign", "Tanhshrink", "Hardshrink",
           "Softshrink", "Threshold", "PReLU", "RReLU", "GLU", "Softmax", "Softmin", "LogSoftmax", "Softmax2d"]


class _Activation(Module):
    """An activation computed as `_fn(input, *options)`: subclasses name their functional form `_fn` and
    the attributes passed to it, in its positional order, `_options`. The repr lists them as name=value
    (`inplace` only when True), as PyTorch's do."""

    _options = ()

    def forward(self, input):
        return type(self)._fn(input, *(getattr(self, name) for name in self._options))

    def extra_repr(self):
        parts = [f"{name}={getattr(self, name)}" for name in self._options if name != "inplace"]
        if getattr(self, "inplace", False):
            parts.append("inplace=True")
        return ", ".join(parts)


class _InplaceOnly(_Activation):
    """An activation whose only option is `inplace`."""

    _options = ("inplace",)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class ReLU(_InplaceOnly):
    """max(0, x), elementwise."""
    _fn = staticmethod(F.relu)


class SELU(_InplaceOnly):
    """Scaled ELU with the self-normalising constants."""
    _fn = staticmethod(F.selu)


class SiLU(_InplaceOnly):
    """x * sigmoid(x) (also called swish)."""
    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    """x * tanh(softplus(x))."""
    _fn = staticmethod(F.mish)


class Hardsigmoid(_InplaceOnly):
    """relu6(x + 3) / 6."""
    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self):
        return ""


class Hardswish(_InplaceOnly):
    """x * relu6(x + 3) / 6."""
    _fn = staticmethod(F.hardswish)

    def extra_repr(self):
        return ""


class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""
    _fn = staticmethod(F.sigmoid)


class Tanh(_Activation):
    """Hyperbolic tangent."""
    _fn = staticmethod(F.tanh)


class LogSigmoid(_Activation):
    """log(sigmoid(x)), computed stably."""
    _fn = staticmethod(F.logsigmoid)


class Softsign(_Activation):
    """x / (1 + |x|)."""
    _fn = staticmethod(F.softsign)


class Tanhshrink(_Activation):
    """x - tanh(x)."""
    _fn = staticmethod(F.tanhshrink)


class Hardtanh(_Activation):
    """x clamped to [min_val, max_val]."""

    _fn = staticmethod(F.hardtanh)
    _options = ("min_val", "max_val", "inplace")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            min_val = min_value  # deprecated spelling, still honoured as in PyTorch
        if max_value is not None:
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        assert self.max_val > self.min_val


class ReLU6(Hardtanh):
    """min(max(0, x), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(_Activation):
    """x if x > 0 else negative_slope * x."""

    _fn = staticmethod(F.leaky_relu)
    _options = ("negative_slope", "inplace")

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace


class ELU(_Activation):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    _fn = staticmethod(F.elu)
    _options = ("alpha", "inplace")

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    _fn = staticmethod(F.celu)


class GELU(Module):
    """x * Phi(x); `approximate='tanh'` uses the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(_Activation):
    """log(1 + exp(beta * x)) / beta, linear above `threshold`."""

    _fn = staticmethod(F.softplus)
    _options = ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x shrunk towards 0 by lambd, and 0 inside [-lambd, lambd]."""

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class Threshold(_Activation):
    """x where x > threshold, else value."""

    _fn = staticmethod(F.threshold)
    _options = ("threshold", "value", "inplace")

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace


class PReLU(Module):
    """x if x > 0 else a * x, with a learnable slope `weight` (one, or one per channel) initialised to `init`."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_C.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(_Activation):
    """Randomized leaky ReLU: slopes drawn from U(lower, upper) in training, their mean in evaluation."""

    _options = ("lower", "upper", "inplace")  # for the repr; forward also passes `training`

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class GLU(_Activation):
    """a * sigmoid(b), a and b the halves of the input along `dim`."""

    _fn = staticmethod(F.glu)
    _options = ("dim",)

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Softmax):
    """softmax(-x) along `dim`."""

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`."""

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels (dim -3) at every spatial location of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)
