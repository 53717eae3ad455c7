"""`finfo` and `iinfo`: the numerical limits of each dtype, as in PyTorch; and the real/complex
pairing of dtypes (`dtype.to_real()`, `dtype.to_complex()`), which a complex dtype's limits use.

A complex dtype's `finfo` is that of its parts (complex64 -> float32), as in PyTorch.

    >>> import ferrotorch as torch
    >>> torch.finfo(torch.float16).max
    65504.0
    >>> torch.iinfo(torch.int8).min
    -128
    >>> torch.finfo(torch.complex128).dtype
    'float64'
"""
import builtins

from . import _C

__all__ = ["finfo", "iinfo"]

# bits, eps, max, smallest normal, resolution (10 ** -digits)
_FLOATS = {
    _C.float16: (16, 2.0 ** -10, 65504.0, 2.0 ** -14, 0.001),
    _C.bfloat16: (16, 2.0 ** -7, (2 - 2.0 ** -7) * 2.0 ** 127, 2.0 ** -126, 0.01),
    _C.float32: (32, 2.0 ** -23, (2 - 2.0 ** -23) * 2.0 ** 127, 2.0 ** -126, 1e-06),
    _C.float64: (64, 2.0 ** -52, (2 - 2.0 ** -52) * 2.0 ** 1023, 2.0 ** -1022, 1e-15),
}
# Each complex dtype and the dtype of its real and imaginary parts.
_COMPLEX_PARTS = {_C.complex64: _C.float32, _C.complex128: _C.float64}
_COMPLEX_OF = {part: cplx for cplx, part in _COMPLEX_PARTS.items()}
# Complex dtypes PyTorch has and ferrotorch does not (named so the error says which one is missing).
_MISSING_COMPLEX = {_C.float16: "complex32", _C.bfloat16: "bcomplex32"}
_INTS = {
    _C.uint8: (8, 0, 255),
    _C.int8: (8, -128, 127),
    _C.int16: (16, -(2 ** 15), 2 ** 15 - 1),
    _C.int32: (32, -(2 ** 31), 2 ** 31 - 1),
    _C.int64: (64, -(2 ** 63), 2 ** 63 - 1),
}


def _name(dtype):
    return str(dtype).replace("torch.", "")


def _check_dtype(cls, type):
    # PyTorch's argument parser refuses anything but a dtype before looking at its kind.
    if not isinstance(type, _C.dtype):
        raise TypeError(f"{cls}(): argument 'type' (position 1) must be torch.dtype, not {builtins.type(type).__name__}")


class finfo:
    """Limits of a floating-point dtype (the default dtype when none is given)."""

    def __init__(self, type=None):
        type = _C.get_default_dtype() if type is None else type
        _check_dtype("finfo", type)
        type = _COMPLEX_PARTS.get(type, type)
        if type not in _FLOATS:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        self.bits, self.eps, self.max, self.smallest_normal, self.resolution = _FLOATS[type]
        self.min = -self.max
        self.tiny = self.smallest_normal
        self.dtype = _name(type)

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type):
        _check_dtype("iinfo", type)
        if type == _C.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type not in _INTS:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        self.bits, self.min, self.max = _INTS[type]
        self.dtype = _name(type)

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _to_real(self):
    """The dtype of this dtype's real part: complex64 -> float32, complex128 -> float64; a real
    dtype (integer and bool included) is returned as is."""
    return _COMPLEX_PARTS.get(self, self)


def _to_complex(self):
    """The complex dtype whose parts have this floating dtype: float32 -> complex64, float64 ->
    complex128; a complex dtype is returned as is."""
    if self in _COMPLEX_PARTS:
        return self
    if self in _COMPLEX_OF:
        return _COMPLEX_OF[self]
    if self in _MISSING_COMPLEX:
        raise NotImplementedError(f"{self}.to_complex() is torch.{_MISSING_COMPLEX[self]}, a dtype ferrotorch "
                                  "does not have (its complex dtypes are complex64 and complex128)")
    from ._elementwise import _scalar_name
    raise RuntimeError(f"Unknown Complex ScalarType for {_scalar_name(self)}")


# `torch.dtype` is the core's class, which accepts Python attributes: PyTorch's methods go on it here.
_C.dtype.to_real = _to_real
_C.dtype.to_complex = _to_complex
