"""Module-level forms of the elementwise ops (`ferrotorch.add(x, y)` == `x.add(y)`).

The work happens in the Rust methods; these wrappers only add PyTorch's `out=` argument and
accept a number as the first operand where PyTorch does.
"""
import warnings

from . import _C

__all__ = []


def _write_out(out, result):
    """PyTorch's `out=`: same shape -> copy in place; otherwise `out` is resized to the result."""
    if not isinstance(out, _C.Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    # PyTorch's rule for every out= (resized or not): the result type must cast safely to out's.
    if not _C.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {_scalar_name(result.dtype)} can't be cast to the desired output type "
                           f"{_scalar_name(out.dtype)}")
    if tuple(out.shape) == tuple(result.shape):
        out.copy_(result)
    else:
        if out.numel() != 0:
            from ._runtime_flags import _resized_output_message, _user_stacklevel
            warnings.warn(_resized_output_message(out.shape, result.shape), UserWarning, stacklevel=_user_stacklevel())
        out._set_from(result.to(out.dtype))
    return out


def _scalar_name(dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[str(dtype).replace("torch.", "")]


def _as_tensor(x):
    return x if isinstance(x, _C.Tensor) else _C.tensor(x)


# Binary ops whose PyTorch signature takes two tensors (no number overload): a number on either
# side is a TypeError naming the argument and its position.
_TENSOR_OPERANDS = {"atan2", "arctan2", "hypot", "maximum", "minimum", "logical_and", "logical_or",
                    "logical_xor", "isclose"}


def _check_tensor_operands(name, input, args, kwargs):
    operands = [("input", input)]
    if args:
        operands.append(("other", args[0]))
    elif "other" in kwargs:
        operands.append(("other", kwargs["other"]))
    for position, (arg, value) in enumerate(operands, 1):
        if not isinstance(value, _C.Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")


def _method_function(name, doc=None):
    tensors_only = name in _TENSOR_OPERANDS

    def fn(input, *args, out=None, **kwargs):
        if tensors_only:
            _check_tensor_operands(name, input, args, kwargs)
        result = getattr(_as_tensor(input), name)(*args, **kwargs)
        return result if out is None else _write_out(out, result)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"Same as :meth:`Tensor.{name}`, with the tensor as the first argument."
    return fn


_NAMES = """
add sub subtract mul multiply div divide true_divide floor_divide remainder fmod atan2 arctan2
hypot maximum minimum bitwise_and bitwise_or bitwise_xor bitwise_not logical_and logical_or
logical_xor logical_not eq ne not_equal lt less le less_equal gt greater ge greater_equal
exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos tan asin arcsin acos arccos atan arctan
sinh cosh tanh asinh arcsinh acosh arccosh atanh arctanh sigmoid erf erfc erfinv reciprocal neg
negative abs absolute sign floor ceil trunc fix frac relu square round clamp clip clamp_min
clamp_max lerp nan_to_num isclose isnan isinf isfinite isposinf isneginf signbit float_power rsub
""".split()

for _name in _NAMES:
    globals()[_name] = _method_function(_name)
    __all__.append(_name)


def pow(input, exponent, *, out=None):
    """`input ** exponent`; either side may be a number (but not both)."""
    result = input.pow(exponent) if isinstance(input, _C.Tensor) else exponent.__rpow__(input)
    return result if out is None else _write_out(out, result)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.allclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def equal(input, other):
    return input.equal(other)


def is_tensor(obj):
    return isinstance(obj, _C.Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


__all__ += ["pow", "allclose", "equal", "is_tensor", "is_floating_point", "numel"]


# PyTorch also exposes the in-place ops as functions: `torch.exp_(x)` is `x.exp_()`.
_INPLACE_NAMES = """
abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_
ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fix_
floor_ frac_ gcd_ i0_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_
rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_
xlogy_ fill_ zero_
""".split()


def _inplace_function(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In-place version of :func:`ferrotorch.{name[:-1]}`: the same as `input.{name}(...)`."
    return fn


for _name in _INPLACE_NAMES:
    globals()[_name] = _inplace_function(_name)
    __all__.append(_name)
del _name
