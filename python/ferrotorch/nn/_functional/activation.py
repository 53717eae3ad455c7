"""Activation functions, composed from tensor ops (each records its own gradient).

Piecewise functions are written as `where(mask, branch, other)`. Where a branch would overflow in the
region it is not selected (exp of a large input), its input is clamped first: `where` sends a zero
gradient to the unselected branch, but 0 * inf would still be NaN.
In-place variants compute out of place and write back with `copy_`, so autograd records them as
in-place ops on `input` (version counter, leaf checks and all).
"""
import math
import warnings

from ... import _C
from ..._math_composites import _refuse_complex_clamp

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "softplus", "sigmoid", "tanh", "hardtanh", "hardtanh_",
           "hardsigmoid", "hardswish", "logsigmoid", "softsign", "tanhshrink", "hardshrink", "softshrink",
           "threshold", "threshold_", "prelu", "rrelu", "rrelu_", "glu", "softmax", "softmin", "log_softmax",
           "gumbel_softmax"]

# Largest finite value per float type, by PyTorch's type name (softshrink's range check prints it).
_FLOAT_MAX = {"Half": 65504.0, "BFloat16": 3.3895313892515355e38, "Float": 3.4028234663852886e38,
              "Double": 1.7976931348623157e308}
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(input, fn):
    # Saved tensors of `fn` must not alias `input`, which copy_ is about to bump the version of.
    src = input.clone() if input.requires_grad and _C.is_grad_enabled() else input
    return input.copy_(fn(src))


def _apply(input, fn, inplace):
    return _inplace(input, fn) if inplace else fn(input)


def _float_only(input, kernel, complex_ok=False):
    # PyTorch has no integer or bool kernel for these functions (nor a complex one, unless
    # `complex_ok`); raise what its dispatcher raises rather than silently computing in float (the
    # result dtype would differ from a float run).
    if not (input.is_floating_point() or (complex_ok and input.is_complex())):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(input)}\'')


def relu(input, inplace=False):
    """max(0, x)."""
    if input.dtype == _C.bool:
        raise NotImplementedError("Boolean inputs not supported for relu")
    _refuse_complex_clamp(input)
    return input.relu_() if inplace else input.relu()


def relu_(input):
    """In-place `relu`."""
    return input.relu_()


def _hardtanh(x, min_val, max_val):
    # PyTorch's hardtanh passes the gradient only strictly inside (min_val, max_val); clamp's backward
    # would also pass it at the two boundaries.
    if not x.is_floating_point():
        # Integer inputs stay integer: the bounds are truncated to the input's type first.
        min_val, max_val = int(min_val), int(max_val)
    inside = (x > min_val) & (x < max_val)
    return _C.where(inside, x, x.detach().clamp(min_val, max_val))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype == _C.bool:
        raise NotImplementedError("Bool inputs not supported for hardtanh")
    _refuse_complex_clamp(input)
    return _apply(input, lambda x: _hardtanh(x, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place `hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    _float_only(input, "leaky_relu_cpu")
    return _apply(input, lambda x: _C.where(x > 0, x, x * negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    """In-place `leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def _elu(x, alpha, input_scale=1.0):
    neg = x.clamp(max=0)
    if input_scale != 1.0:
        neg = neg * input_scale
    return _C.where(x > 0, x, neg.expm1() * alpha)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, alpha), inplace)


def elu_(input, alpha=1.0):
    """In-place `elu`."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


def selu_(input):
    """In-place `selu`."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    _float_only(input, "elu_cpu")
    return _apply(input, lambda x: _elu(x, alpha, 1.0 / alpha), inplace)


def celu_(input, alpha=1.0):
    """In-place `celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (via erf), or its tanh approximation."""
    if approximate in ("none", "tanh"):
        _float_only(input, "GeluKernelImpl")
    if approximate == "none":
        return input * ((input * (1.0 / math.sqrt(2.0))).erf() + 1.0) * 0.5
    if approximate == "tanh":
        # x * (1 + 0.044715 x^2) rather than x + 0.044715 x^3: a multiply is far cheaper than pow.
        inner = input * ((input * input) * (0.044715 * math.sqrt(2.0 / math.pi)) + math.sqrt(2.0 / math.pi))
        return input * (inner.tanh() + 1.0) * 0.5
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    _float_only(input, "silu_cpu", complex_ok=True)
    return _apply(input, lambda x: x * x.sigmoid(), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    _float_only(input, "softplus_cpu")
    bx = input * beta if beta != 1 else input
    soft = bx.clamp(max=threshold).exp().log1p()
    if beta != 1:
        soft = soft / beta
    return _C.where(bx > threshold, input, soft)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    _float_only(input, "mish_cpu")
    return _apply(input, lambda x: x * softplus(x).tanh(), inplace)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent."""
    return input.tanh()


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    _float_only(input, "hardsigmoid_cpu")
    return _apply(input, lambda x: _hardtanh(x + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    _float_only(input, "hardswish_cpu")
    return _apply(input, lambda x: x * (_hardtanh(x + 3.0, 0.0, 6.0) / 6.0), inplace)


def logsigmoid(input):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), exact for inputs of any size."""
    _float_only(input, "log_sigmoid_cpu")
    neg = input.clamp(max=0)
    # -|x| written as 2 min(x, 0) - x: the same value, exactly, but a derivative of 1 at x = 0 (abs has 0),
    # which makes the total derivative there 1 - 0.5 = sigmoid(-0), as it should be.
    return neg - (neg * 2.0 - input).exp().log1p()


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1.0)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    _float_only(input, "hardshrink_cpu")
    return _C.where((input > lambd) | (input < -lambd), input, 0.0)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    _float_only(input, "softshrink_check")
    top = _FLOAT_MAX.get(_type_name(input), math.inf)
    if not 0 <= lambd <= top:
        # %g prints the bounds the way C++'s default stream formatting does (1.79769e+308, -1).
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {_type_name(input)}, "
                           f"but found {lambd:g}")
    return _C.where(input > lambd, input - lambd, _C.where(input < -lambd, input + lambd, 0.0))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    if input.dtype == _C.bool or input.is_complex():
        _float_only(input, "threshold_cpu")
    return _apply(input, lambda x: _C.where(x > threshold, x, value), inplace)


def threshold_(input, threshold, value):
    """In-place `threshold`."""
    if input.is_complex():
        _float_only(input, "threshold_cpu")
    return _apply(input, lambda x: _C.where(x > threshold, x, value), True)


def prelu(input, weight):
    """x if x > 0 else weight * x, with one weight per channel (dim 1) or a single shared one."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_type_name(input)} and {_type_name(weight)}")
    if input.is_complex():
        _float_only(input, "prelu_cpu")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if input.dim() != weight.dim():
        # Line the weights up with the channel dimension so that they broadcast over the others.
        shape = [1] * input.dim()
        if input.dim() > 1:
            shape[1] = weight.numel()
        weight = weight.reshape(shape)
    return _C.where(input > 0, input, input * weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: x if x > 0 else a * x, with a ~ U(lower, upper) drawn per element in
    training and a = (lower + upper) / 2 in evaluation."""
    _float_only(input, "leaky_relu_cpu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def fn(x):
        slope = _C.empty_like(x, requires_grad=False).uniform_(lower, upper)
        return _C.where(x > 0, x, x * slope)
    return _apply(input, fn, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place `rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def _type_name(t):
    # PyTorch's ScalarType names, as its messages print them (Float, Double, Half, ...).
    return t.type().split(".")[-1].replace("Tensor", "")


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.dim() if dim < 0 else dim
    n = input.shape[dim]
    if n % 2 != 0:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if input.is_complex():
        _float_only(input, "glu_cpu")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()


def _softmax_dim(name, ndim):
    # PyTorch's legacy choice when `dim` is omitted (and its warning).
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(name, input, dim, dtype):
    """`input` in `dtype`; integer inputs need a float `dtype` (PyTorch has no integer kernel)."""
    x = input if dtype is None else input.to(dtype)
    if not x.is_floating_point():
        last = dim in (-1, x.dim() - 1) or x.dim() == 0
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(x)}\'')
    return x


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, shifted by the max for stability: a fused kernel for CPU
    tensors, composed ops (with the max detached) for GPU ones."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    x = _softmax_input("softmax", input, dim, dtype)
    if not x.is_cuda:
        return _C._softmax(x, dim, False)  # fused kernel, SoftmaxBackward0
    if x.numel() == 0:
        return x.clone()
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    x = _softmax_input("softmax", input, dim, dtype)
    return softmax(-x, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along `dim`: a fused kernel for CPU tensors, composed ops for GPU ones."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    x = _softmax_input("log_softmax", input, dim, dtype)
    if not x.is_cuda:
        return _C._softmax(x, dim, True)  # fused kernel, LogSoftmaxBackward0
    if x.numel() == 0:
        return x.clone()
    # The CPU kernel's formula, so that an infinite maximum gives NaN rows on both devices.
    shifted = x - x.amax(dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample from the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau) with
    g = -log(Exponential(1)) noise. With hard=True the result is the one-hot argmax in the forward pass
    and the soft sample's gradient in the backward pass (straight-through).

    >>> import ferrotorch as torch
    >>> y = torch.nn.functional.gumbel_softmax(torch.zeros(2, 3), hard=True)
    >>> y.sum(-1).tolist()
    [1.0, 1.0]
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -_C.empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = _C.zeros_like(logits).scatter(dim, index, 1.0)
    # Forward value y_hard, gradient of y_soft.
    return y_hard - y_soft.detach() + y_soft
