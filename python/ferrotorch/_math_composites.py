"""Math ops composed from existing Tensor ops, as module functions and Tensor methods.

Each op is a short program over the Rust primitives, so autograd and the GPU backend work with
no code of their own. Distances, statistics, integration and counting live in
`_math_statistics.py`.

    >>> import ferrotorch as torch
    >>> torch.logaddexp(torch.tensor([0.0]), torch.tensor([0.0])).tolist()
    [0.6931471824645996]
    >>> torch.tensor([[1.0, 2.0], [3.0, 4.0]]).softmax(1).sum(1).tolist()
    [1.0, 1.0]
"""
import math

from . import _C
from ._attach import tensor_method
from ._dims import wrap_dim as _wrap_dim
from ._elementwise import _scalar_name, _write_out

__all__ = [
    "softmax", "log_softmax", "addcmul", "addcdiv", "logaddexp", "logaddexp2", "xlogy", "copysign",
    "fmax", "fmin", "deg2rad", "rad2deg", "sinc", "logit", "heaviside", "positive", "sgn",
    "logcumsumexp",
]

_HALFS = (_C.float16, _C.bfloat16)
_PI_180 = math.pi / 180.0
_180_PI = 180.0 / math.pi
_INV_LN2 = 1.0 / math.log(2.0)


# ----------------------------------------------------------------------------- helpers

def _finish(result, out):
    return result if out is None else _write_out(out, result)


def _not_implemented(kernel, t, dtype=None):
    # PyTorch names the kernel it failed to dispatch after the device it dispatched to, and raises
    # NotImplementedError (a RuntimeError subclass, so `except RuntimeError` still catches it).
    # `dtype` overrides t's dtype when the op dispatched on a promoted type.
    device = "cpu" if t.device.type == "cpu" else "cuda"
    return NotImplementedError(f'"{kernel}_{device}" not implemented for \'{_scalar_name(dtype or t.dtype)}\'')


def _along(t, dim, start=None, stop=None):
    """`t[..., start:stop, ...]` on dimension `dim` (>= 0), with Python's slice clamping."""
    return t[(slice(None),) * dim + (slice(start, stop),)]


def _fmt(value):
    return f"{value:g}"  # how C++ streams print a double in PyTorch's messages


def _acc(dtype):
    # PyTorch's kernels compute the reduced-precision floats in float32.
    return _C.float32 if dtype in _HALFS else dtype


def _refuse_complex(x, name="this operation"):
    """The real-only composites below would cast a complex input to a real dtype and drop its
    imaginary part: they refuse it instead, as PyTorch does for most of them."""
    if x.dtype.is_complex:
        raise NotImplementedError(f"{name} is not implemented for '{_scalar_name(x.dtype)}' tensors in ferrotorch")


def _refuse_complex_clamp(*tensors):
    """Composites built on clamp (relu, hardtanh, margin losses) fail as PyTorch's clamp does."""
    if any(isinstance(t, _C.Tensor) and t.dtype.is_complex for t in tensors):
        raise NotImplementedError("clamp is not supported for complex types")


def _modulus(x):
    """|x| for a complex tensor, else x itself: every p-norm depends on the moduli only, and the
    real norm kernels then give PyTorch's real-valued result."""
    return x.abs() if x.dtype.is_complex else x


def _float_input(x):
    """`x` in the dtype to compute a float-valued op in, and the dtype of its result (integer and
    bool inputs give the default dtype)."""
    _refuse_complex(x)
    dtype = x.dtype if x.dtype.is_floating_point else _C.get_default_dtype()
    return x.to(_acc(dtype)), dtype


# The kernels PyTorch's "not implemented for 'ComplexFloat'" messages name for the real-only special
# functions, where that is not the function's own name (None: a message of ours, the kernel
# depending on the arguments).
_COMPLEX_KERNELS = {"i0": "i0_vml", "lgamma": "lgamma_vml", "ndtr": "erf_vml", "polygamma": None}


def _refuse_complex_kernel(name, t):
    """PyTorch's error for complex input to the real-only special function `name`."""
    if not t.dtype.is_complex:
        return
    kernel = name.removeprefix("special_")
    if kernel == "digamma":  # named without the device
        raise NotImplementedError(f"\"digamma\" not implemented for '{_scalar_name(t.dtype)}'")
    kernel = _COMPLEX_KERNELS.get(kernel, kernel)
    if kernel is not None:
        raise _not_implemented(kernel, t)


def _float_unary(fn, name, input, out, position=1):
    """`fn` of a tensor in its float compute dtype, cast back to the result dtype (with `out=`)."""
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position {position}) must be Tensor, not {type(input).__name__}")
    _refuse_complex_kernel(name, input)
    x, dtype = _float_input(input)
    return _finish(fn(x).to(dtype), out)


def _horner(z, coeffs):
    """sum coeffs[i] * z^(len - 1 - i): the coefficients run from the highest power down."""
    acc = z * coeffs[0] + coeffs[1]
    for c in coeffs[2:]:
        acc = acc * z + c
    return acc


def _float_operands(name, a, b, kernel=None):
    """Tensors-or-numbers `a`, `b` of a float-valued binary op, as tensors in the dtype to compute
    in, and the result dtype: their promoted type, or the default dtype when that is not floating.
    `kernel` is the name PyTorch's complex error gives the op (default `name`)."""
    if not isinstance(a, _C.Tensor) and not isinstance(b, _C.Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(a).__name__}, {type(b).__name__})")
    dtype = _C.result_type(a, b)
    tensor = a if isinstance(a, _C.Tensor) else b
    if dtype.is_complex:  # these ops (xlogy, copysign, ...) have no complex kernel in PyTorch
        raise _not_implemented(kernel or name, tensor, dtype)
    if not dtype.is_floating_point:
        dtype = _C.get_default_dtype()
    device = tensor.device
    compute = _acc(dtype)

    def conv(v):
        return v.to(compute) if isinstance(v, _C.Tensor) else _C.tensor(v, dtype=compute, device=device)

    return conv(a), conv(b), dtype


def _requires_tensor(name, position, arg, value):
    if not isinstance(value, _C.Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}")


def _tensor_other(fn, name):
    """The Tensor method form of `fn(input, other)` for ops whose `other` must be a tensor: the
    method's TypeError counts `other` as argument 1, the function's as argument 2."""
    def method(self, other):
        _requires_tensor(name, 1, "other", other)
        return fn(self, other)

    method.__name__ = method.__qualname__ = name
    return method


def _assign(self, result):
    """Writes `result` into `self` with the checks of PyTorch's in-place ops."""
    if not _C.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {_scalar_name(result.dtype)} can't be cast to the desired "
                           f"output type {_scalar_name(self.dtype)}")
    if tuple(result.shape) != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    return self.copy_(result)


def _inplace(fn, name):
    """The in-place variant of `fn(self, ...)`: computed out of place, then copied into `self`."""
    def method(self, *args, **kwargs):
        src = self
        if _C.is_grad_enabled() and any(isinstance(v, _C.Tensor) and v.requires_grad
                                        for v in (self, *args, *kwargs.values())):
            # copy_ bumps self's version; the graph must hold a copy of the old values, or its
            # backward would find them "modified by an inplace operation".
            src = self.clone()
            args = tuple(src if a is self else a for a in args)
        return _assign(self, fn(src, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


# ----------------------------------------------------------------------------- softmax

def softmax(input, dim, dtype=None, *, out=None):
    """exp(x) / sum(exp(x)) along `dim`, computed in `dtype` if given.

        >>> import ferrotorch as torch
        >>> torch.softmax(torch.tensor([0.0, 0.0]), 0).tolist()
        [0.5, 0.5]
    """
    from .nn import functional as F  # nn imports this package's top level

    return _finish(F.softmax(input, dim, dtype=dtype), out)


def log_softmax(input, dim, dtype=None, *, out=None):
    """log(softmax(x)) along `dim`, computed stably in `dtype` if given.

        >>> import ferrotorch as torch
        >>> round(torch.log_softmax(torch.tensor([0.0, 0.0]), 0)[0].item(), 4)
        -0.6931
    """
    from .nn import functional as F

    return _finish(F.log_softmax(input, dim, dtype=dtype), out)


# ----------------------------------------------------------------------------- addcmul / addcdiv

_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  "
    "release addcdiv will perform a true division of tensor1 and tensor2. "
    "The historic addcdiv behavior can be implemented as "
    "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
    "for integer inputs and as "
    "(input + value * tensor1 / tensor2) for float inputs. "
    "The future addcdiv behavior is just the latter implementation: "
    "(input + value * tensor1 / tensor2), for all dtypes.")


def _is_integral(dtype):
    return not (dtype.is_floating_point or dtype.is_complex)


def _check_addcdiv(tensor1, tensor2):
    if _is_integral(tensor1.dtype) and _is_integral(tensor2.dtype):
        raise RuntimeError(_ADDCDIV_INTEGER)


def _scaled_add(input, term, value):
    return input + term if value == 1 else input.add(term, alpha=value)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (broadcast).

        >>> import ferrotorch as torch
        >>> torch.addcmul(torch.ones(2), torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), value=0.5).tolist()
        [2.5, 5.0]
    """
    return _finish(_scaled_add(input, tensor1 * tensor2, value), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (broadcast); integer tensor1 and tensor2 are an error.

        >>> import ferrotorch as torch
        >>> torch.addcdiv(torch.ones(2), torch.tensor([1.0, 2.0]), torch.tensor([4.0, 4.0]), value=2).tolist()
        [1.5, 2.0]
    """
    _check_addcdiv(tensor1, tensor2)
    return _finish(_scaled_add(input, tensor1 / tensor2, value), out)


def _addcmul_(self, tensor1, tensor2, *, value=1):
    return self.add_(tensor1 * tensor2, alpha=None if value == 1 else value)


def _addcdiv_(self, tensor1, tensor2, *, value=1):
    _check_addcdiv(tensor1, tensor2)
    return self.add_(tensor1 / tensor2, alpha=None if value == 1 else value)


# ----------------------------------------------------------------------------- elementwise

def _log_add(a, b, base2=False):
    """log(exp(a) + exp(b)) (base 2 with `base2`) of float tensors, as hi + log1p(exp(lo - hi)):
    the exponent is never positive, and equal infinities give themselves (not inf - inf)."""
    if a.dtype.is_complex:
        return _log_add_complex(a, b)
    ge = a >= b
    hi = _C.where(ge, a, b)
    lo = _C.where(ge, b, a)
    gap = _C.where((a == b) & a.isinf(), 0.0, lo - hi)
    if base2:
        return hi + gap.exp2().log1p() * _INV_LN2
    return hi + gap.exp().log1p()


def _log_add_complex(a, b):
    """log(exp(a) + exp(b)) of complex tensors: hi is the operand with the larger real part, so
    |exp(lo - hi)| <= 1; equal infinite real parts (both -inf: an empty sum) give hi itself."""
    ge = a.real >= b.real
    hi = _C.where(ge, a, b)
    lo = _C.where(ge, b, a)
    same_inf = (a.real == b.real) & a.real.isinf()
    gap = _C.where(same_inf, _C.zeros_like(a), lo - hi)
    summed = hi + gap.exp().log1p()
    return _C.where(same_inf & (a.real < 0), hi, summed)


def _logaddexp(name, input, other, base2):
    _requires_tensor(name, 1, "input", input)
    _requires_tensor(name, 2, "other", other)
    dtype = _C.result_type(input, other)
    # Complex logaddexp exists in PyTorch; complex logaddexp2 does not.
    if not (dtype.is_floating_point or (dtype.is_complex and not base2)):
        raise _not_implemented(name, input.to(dtype))
    acc = _acc(dtype)
    return _log_add(input.to(acc), other.to(acc), base2).to(dtype)


def logaddexp(input, other, *, out=None):
    """log(exp(input) + exp(other)), without overflow.

        >>> import ferrotorch as torch
        >>> torch.logaddexp(torch.tensor([1000.0]), torch.tensor([1000.0])).tolist()
        [1000.6931762695312]
    """
    return _finish(_logaddexp("logaddexp", input, other, False), out)


def logaddexp2(input, other, *, out=None):
    """log2(2**input + 2**other), without overflow.

        >>> import ferrotorch as torch
        >>> torch.logaddexp2(torch.tensor([3.0]), torch.tensor([3.0])).tolist()
        [4.0]
    """
    return _finish(_logaddexp("logaddexp2", input, other, True), out)


def xlogy(input, other, *, out=None):
    """input * log(other), and 0 where input == 0 (unless other is NaN); either may be a number.

        >>> import ferrotorch as torch
        >>> torch.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0])).tolist()
        [0.0, 0.0]
    """
    x, y, dtype = _float_operands("xlogy", input, other)
    # Where x == 0 the log is taken of 1 instead of a non-positive or infinite y: the value is then
    # 0, and neither the value nor the gradient meets 0 * inf.
    unused = (x == 0) & ((y <= 0) | y.isposinf())
    return _finish((x * _C.where(unused, 1.0, y).log()).to(dtype), out)


def copysign(input, other, *, out=None):
    """|input| with the sign (bit) of `other`, which may be a number.

        >>> import ferrotorch as torch
        >>> torch.copysign(torch.tensor([1.0, -2.0]), -0.0).tolist()
        [-1.0, -2.0]
    """
    _requires_tensor("copysign", 1, "input", input)
    a, b, dtype = _float_operands("copysign", input, other)
    magnitude = a.abs()
    result = _C.where(b.signbit(), -magnitude, magnitude)
    if isinstance(other, _C.Tensor) and other.requires_grad and _C.is_grad_enabled():
        # PyTorch gives `other` a zero gradient (not none): subtract a +0 computed from it, which
        # keeps every value, -0.0 included.
        result = result - _C.where(b.isfinite(), b, 0.0).abs() * 0
    return _finish(result.to(dtype), out)


def _nan_ignoring(name, input, other, keep_input):
    _requires_tensor(name, 1, "input", input)
    _requires_tensor(name, 2, "other", other)
    dtype = _C.result_type(input, other)
    if dtype.is_complex:
        raise TypeError(f"{name} not implemented for complex tensors.")
    if not dtype.is_floating_point:
        return input.maximum(other) if name == "fmax" else input.minimum(other)
    a, b = input.to(dtype), other.to(dtype)
    # A NaN `other` takes `input`, which gets the whole gradient.
    result = _C.where(keep_input(a, b) | b.isnan(), a, b)
    if _C.is_grad_enabled() and (a.requires_grad or b.requires_grad):
        # PyTorch splits the gradient of a tie evenly. The value stays exactly `a` (averaging
        # could overflow or round): the half-and-half term is added with its own value removed.
        half = a * 0.5 + b * 0.5
        result = _C.where(a == b, half + (a - half).detach(), result)
    return result


def fmax(input, other, *, out=None):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN).

        >>> import ferrotorch as torch
        >>> torch.fmax(torch.tensor([1.0, float("nan")]), torch.tensor([float("nan"), 2.0])).tolist()
        [1.0, 2.0]
    """
    return _finish(_nan_ignoring("fmax", input, other, lambda a, b: a >= b), out)


def fmin(input, other, *, out=None):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN).

        >>> import ferrotorch as torch
        >>> torch.fmin(torch.tensor([1.0, float("nan")]), torch.tensor([float("nan"), 2.0])).tolist()
        [1.0, 2.0]
    """
    return _finish(_nan_ignoring("fmin", input, other, lambda a, b: a <= b), out)


def _to_float(input, name):
    # deg2rad and rad2deg turn integer and bool tensors into the default dtype.
    if input.dtype.is_complex:
        raise NotImplementedError(f"{name} is not supported for complex tensors.")
    return input if input.dtype.is_floating_point else input.to(_C.get_default_dtype())


def deg2rad(input, *, out=None):
    """Degrees to radians.

        >>> import ferrotorch as torch
        >>> round(torch.deg2rad(torch.tensor([180])).item(), 5)
        3.14159
    """
    return _finish(_to_float(input, "deg2rad") * _PI_180, out)


def rad2deg(input, *, out=None):
    """Radians to degrees.

        >>> import ferrotorch as torch
        >>> torch.rad2deg(torch.tensor([3.141592653589793], dtype=torch.float64)).tolist()
        [180.0]
    """
    return _finish(_to_float(input, "rad2deg") * _180_PI, out)


def _scale_angle_(self, name, factor):
    _to_float(self, name)  # the complex check
    return self.mul_(factor)


def sinc(input, *, out=None):
    """sin(pi * x) / (pi * x), and 1 at x == 0.

        >>> import ferrotorch as torch
        >>> [round(v, 5) for v in torch.sinc(torch.tensor([0.0, 0.5])).tolist()]
        [1.0, 0.63662]
    """
    if input.dtype.is_complex:
        return _finish(_complex_sinc(input), out)
    x, dtype = _float_input(input)
    zero = x == 0
    # pi * x is evaluated at pi where x == 0, so the unused branch's gradient is finite, not 0/0.
    px = _C.where(zero, 1.0, x) * math.pi
    return _finish(_C.where(zero, 1.0, px.sin() / px).to(dtype), out)


def _complex_sinc(z):
    zero = z == 0
    # As in the real case, the unused branch is evaluated at pi (not 0/0) so its gradient is finite.
    pz = _C.where(zero, _C.ones_like(z), z) * math.pi
    return _C.where(zero, _C.ones_like(z), pz.sin() / pz)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given (and not negative).

        >>> import ferrotorch as torch
        >>> torch.logit(torch.tensor([0.5, 0.0]), eps=0.5).tolist()
        [0.0, 0.0]
    """
    if input.dtype.is_complex:
        raise _not_implemented("logit", input)
    x, dtype = _float_input(input)
    if eps is not None and eps >= 0:  # a negative eps means no clamping, as in PyTorch
        x = x.clamp(eps, 1 - eps)
    return _finish((x / (1 - x)).log().to(dtype), out)


def heaviside(input, values, *, out=None):
    """Step function: 0 where input < 0, `values` where input == 0, 1 where input > 0.

        >>> import ferrotorch as torch
        >>> torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([0.5])).tolist()
        [0.0, 0.5, 1.0]
    """
    _requires_tensor("heaviside", 2, "values", values)
    if input.dtype.is_complex or values.dtype.is_complex:
        raise NotImplementedError("heaviside is not yet implemented for complex tensors.")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _finish(_C.where(input == 0, values, (input > 0).to(input.dtype)), out)


def positive(input):
    """`input` itself (the unary `+`); an error for bool tensors.

        >>> import ferrotorch as torch
        >>> x = torch.tensor([-1.0])
        >>> torch.positive(x) is x
        True
    """
    if input.dtype == _C.bool:
        raise NotImplementedError("The `+` operator, on a bool tensor is not supported.")
    return input


def sgn(input, *, out=None):
    """The sign of each element (for real tensors, the same as :func:`sign`).

        >>> import ferrotorch as torch
        >>> torch.sgn(torch.tensor([-2.0, 0.0, 3.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    if input.is_complex():
        # z / |z|, and 0 where z is 0.
        magnitude = input.abs()
        scale = _C.where(magnitude == 0, _C.zeros_like(magnitude), 1 / magnitude)
        return _finish(input * scale, out)
    return _finish(input.sign(), out)


def logcumsumexp(input, dim, *, out=None):
    """log(cumsum(exp(input))) along `dim`, without overflow or underflow.

        >>> import ferrotorch as torch
        >>> torch.logcumsumexp(torch.tensor([-1000.0, 0.0]), 0).tolist()
        [-1000.0, 0.0]
    """
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise _not_implemented("logcumsumexp_out", input)
    d = _wrap_dim(dim, input.dim())
    y = input.to(_acc(input.dtype))
    n = y.shape[d] if y.dim() else 1
    if n <= 1:
        y = y.clone()
    # A scan in log2(n) steps of logaddexp (Hillis-Steele): shifting by the max along `dim` instead
    # would underflow the prefixes far below that max to -inf.
    step = 1
    while step < n:
        y = _C.cat([_along(y, d, 0, step),
                    _log_add(_along(y, d, step, n), _along(y, d, 0, n - step))], d)
        step *= 2
    return _finish(y.to(input.dtype), out)


# ----------------------------------------------------------------------------- Tensor methods

for _name, _fn in {
    "softmax": lambda self, dim, dtype=None: softmax(self, dim, dtype),
    "log_softmax": lambda self, dim, dtype=None: log_softmax(self, dim, dtype),
    "addcmul": lambda self, tensor1, tensor2, *, value=1: addcmul(self, tensor1, tensor2, value=value),
    "addcdiv": lambda self, tensor1, tensor2, *, value=1: addcdiv(self, tensor1, tensor2, value=value),
    "addcmul_": _addcmul_,
    "addcdiv_": _addcdiv_,
    "logaddexp": _tensor_other(logaddexp, "logaddexp"),
    "logaddexp2": _tensor_other(logaddexp2, "logaddexp2"),
    "xlogy": lambda self, other: xlogy(self, other),
    "xlogy_": _inplace(xlogy, "xlogy_"),
    "copysign": lambda self, other: copysign(self, other),
    "copysign_": _inplace(copysign, "copysign_"),
    "fmax": _tensor_other(fmax, "fmax"),
    "fmin": _tensor_other(fmin, "fmin"),
    "deg2rad": lambda self: deg2rad(self),
    "deg2rad_": lambda self: _scale_angle_(self, "deg2rad", _PI_180),
    "rad2deg": lambda self: rad2deg(self),
    "rad2deg_": lambda self: _scale_angle_(self, "rad2deg", _180_PI),
    "sinc": lambda self: sinc(self),
    "sinc_": _inplace(sinc, "sinc_"),
    "logit": lambda self, eps=None: logit(self, eps),
    "logit_": _inplace(logit, "logit_"),
    "heaviside": lambda self, values: heaviside(self, values),
    "heaviside_": _inplace(heaviside, "heaviside_"),
    "positive": lambda self: positive(self),
    "sgn": lambda self: sgn(self),
    "sgn_": lambda self: self.copy_(sgn(self)),
    "logcumsumexp": lambda self, dim: logcumsumexp(self, dim),
}.items():
    if _fn.__doc__ is None:
        _fn.__doc__ = f"See :func:`ferrotorch.{_name}`." if not _name.endswith("_") else \
            f"In-place version of :meth:`Tensor.{_name[:-1]}`."
    tensor_method(_fn, _name)
del _name, _fn
