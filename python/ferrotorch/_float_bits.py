"""Float ops defined by the number format: ldexp, frexp, nextafter, and angle/isreal of real tensors.

nextafter works on the bit patterns (``Tensor.view(int dtype)``): for IEEE floats, the next
representable value away from zero is the bit pattern plus one, whatever the sign, so the op is a
few integer additions and selects that run on any device.

frexp reads the exponent field of the same bit patterns (masks and a division by 2**mantissa_bits),
and rebuilds the mantissa by writing the exponent of 0.5 into them.

angle and isreal take complex tensors too (the argument, and whether the imaginary part is 0); for
real tensors angle is pi for negative values and 0 otherwise, and every element is real.

    >>> import ferrotorch as torch
    >>> torch.ldexp(torch.tensor([1.0, 3.0]), torch.tensor([3, -1])).tolist()
    [8.0, 1.5]
    >>> torch.nextafter(torch.tensor([1.0]), torch.tensor([2.0])).item() > 1.0
    True
"""
import math
from collections import namedtuple

from . import _C
from ._attach import tensor_method
from ._dims import infer_size as _infer_size
from ._elementwise import _write_out
from ._math_composites import _finish, _inplace, _not_implemented, _requires_tensor

__all__ = ["ldexp", "frexp", "nextafter", "angle", "isreal"]

# The integer dtype of the same width, for viewing a float's bits.
_BITS_DTYPE = {_C.float32: _C.int32, _C.float64: _C.int64}


def ldexp(input, other, *, out=None):
    """input * 2 ** other (broadcast); integer inputs give the default float dtype.

        >>> import ferrotorch as torch
        >>> torch.ldexp(torch.tensor([1.0]), torch.tensor([10])).tolist()
        [1024.0]
    """
    _requires_tensor("ldexp", 1, "input", input)
    _requires_tensor("ldexp", 2, "other", other)
    # PyTorch's definition, with its type promotion: 2.0 ** other is float (default dtype for an
    # integer exponent), and the product then promotes with input.
    return _finish(input * other.__rpow__(2.0), out)


def _ldexp_(self, other):
    return self.mul_(other.__rpow__(2.0))


# (mantissa bits, exponent mask, biased exponent of 0.5) of each float format.
_FORMAT = {_C.float32: (23, 0x7F800000, 126), _C.float64: (52, 0x7FF0000000000000, 1022)}
# The smallest normal number of each format.
_TINY = {_C.float32: 2.0 ** -126, _C.float64: 2.0 ** -1022}
# Subnormals are scaled by 2**_SUBNORMAL_SHIFT first, which makes them normal in both formats.
_SUBNORMAL_SHIFT = 64

frexp_type = namedtuple("frexp", ["mantissa", "exponent"])
frexp_type.__module__ = "ferrotorch.return_types"


def frexp(input, *, out=None):
    """Splits each element into a mantissa in (-1, -0.5] or [0.5, 1) and an int32 exponent with
    input == mantissa * 2 ** exponent. Zeros, infinities and NaN keep themselves as the mantissa,
    with exponent 0. Returns a named tuple (mantissa, exponent).

        >>> import ferrotorch as torch
        >>> m, e = torch.frexp(torch.tensor([8.0, -3.0]))
        >>> m.tolist(), e.tolist()
        ([0.5, -0.75], [4, 2])
    """
    _requires_tensor("frexp", 1, "input", input)
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    if input.dtype not in _FORMAT:
        raise _not_implemented("frexp", input)
    mant_bits, exp_mask, half_exp = _FORMAT[input.dtype]
    x = input.detach()
    special = (x == 0) | ~x.isfinite()
    tiny = (x.abs() < _TINY[x.dtype]) & ~special
    # view() needs a dense layout; the scaled subnormals become normal numbers.
    scaled = _C.where(tiny, x * float(2 ** _SUBNORMAL_SHIFT), x).contiguous()
    bits = scaled.view(_BITS_DTYPE[x.dtype])
    biased = (bits & exp_mask).floor_divide(1 << mant_bits)
    exponent = biased - half_exp - _C.where(tiny, _SUBNORMAL_SHIFT, 0)
    # The sign and fraction bits with the exponent field of 0.5: a value in [0.5, 1) in magnitude.
    mantissa = ((bits & ~exp_mask) | (half_exp << mant_bits)).view(x.dtype)
    mantissa = _C.where(special, x, mantissa)
    exponent = _C.where(special, 0, exponent).to(_C.int32)
    if input.requires_grad and _C.is_grad_enabled():
        # d mantissa / d input = 2 ** -exponent, as in PyTorch's backward.
        mantissa = mantissa + (input - x) * exponent.neg().to(x.dtype).exp2()
    if out is not None:
        return _frexp_out(out, mantissa, exponent)
    return frexp_type(mantissa, exponent)


def _frexp_out(out, mantissa, exponent):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("frexp(): argument 'out' must be tuple of Tensors")
    m_out, e_out = out
    if m_out.dtype != mantissa.dtype:
        raise RuntimeError("torch.frexp() expects mantissa to have dtype "
                           f"{_dtype_name(mantissa.dtype)} but got {_dtype_name(m_out.dtype)}")
    if e_out.dtype != _C.int32:
        raise RuntimeError(f"torch.frexp() expects exponent to have int dtype but got {_dtype_name(e_out.dtype)}")
    return frexp_type(_write_out(m_out, mantissa), _write_out(e_out, exponent))


def _dtype_name(dtype):
    return "torch." + str(dtype).split(".")[-1]


def nextafter(input, other, *, out=None):
    """The next float after `input` in the direction of `other`, elementwise (float32/float64).

    nextafter(x, x) is x (so the sign of a zero `other` is kept for equal zeros), a NaN in either
    gives NaN, and from +-0 the step is the smallest subnormal with the sign of the direction.
    The result carries no gradient (PyTorch does not define one).

        >>> import ferrotorch as torch
        >>> torch.nextafter(torch.tensor([0.0]), torch.tensor([-1.0])).item() < 0
        True
    """
    _requires_tensor("nextafter", 1, "input", input)
    _requires_tensor("nextafter", 2, "other", other)
    dtype = _C.result_type(input, other)
    if dtype not in _BITS_DTYPE:
        raise _not_implemented("nextafter", input.to(dtype))
    # Detached: the result carries no gradient.
    x, y = input.detach().to(dtype), other.detach().to(dtype)
    shape = _infer_size(tuple(x.shape), tuple(y.shape))
    # view(dtype) needs a dense layout; the expanded operands are copied to one.
    x, y = x.expand(shape).contiguous(), y.expand(shape).contiguous()
    bits = x.view(_BITS_DTYPE[dtype])
    # One step away from zero is +1 on the bit pattern for both signs (sign-magnitude).
    away = (y > x) == (x > 0)
    stepped = _C.where(away, bits + 1, bits - 1).view(dtype)
    # From a zero: the smallest subnormal (bit pattern 1), with the sign of the direction.
    tiny = _C.ones_like(bits).view(dtype)
    stepped = _C.where(x == 0, _C.where(y > 0, tiny, -tiny), stepped)
    result = _C.where(x == y, y, stepped)
    result = _C.where(x.isnan() | y.isnan(), x + y, result)
    return _finish(result, out)


def angle(input, *, out=None):
    """The argument of each element: pi for negative values, 0 for the others, NaN for NaN.
    Integer and bool inputs give the default float dtype.

        >>> import ferrotorch as torch
        >>> torch.angle(torch.tensor([-2.0, 0.0, 3.0])).tolist()
        [3.1415927410125732, 0.0, 0.0]
    """
    _requires_tensor("angle", 1, "input", input)
    if input.is_complex():
        from ._complex import real_part, imag_part
        return _finish(imag_part(input).atan2(real_part(input)), out)
    x = input if input.dtype.is_floating_point else input.to(_C.get_default_dtype())
    zeros = _C.zeros_like(x)
    value = _C.where(x < 0, zeros + math.pi, zeros)
    # NaN passes through; elsewhere the value does not depend on x (a zero gradient).
    return _finish(_C.where(x.isnan(), x, value), out)


def isreal(input):
    """Whether each element is real: True for real dtypes, imaginary part == 0 for complex ones.

        >>> import ferrotorch as torch
        >>> torch.isreal(torch.tensor([1.0, float("nan")])).tolist()
        [True, True]
    """
    _requires_tensor("isreal", 1, "input", input)
    if input.is_complex():
        from ._complex import imag_part
        return imag_part(input) == 0
    return _C.ones_like(input, dtype=_C.bool)


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__doc__ = fn.__doc__
    return method


for _fn in (ldexp, frexp, nextafter, angle, isreal):
    tensor_method(_method(_fn), _fn.__name__)
tensor_method(_ldexp_, "ldexp_")
tensor_method(_inplace(nextafter, "nextafter_"), "nextafter_")
