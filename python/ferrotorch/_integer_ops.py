"""Integer-only elementwise ops composed from tensor primitives: gcd, lcm and the bit shifts.

The core has no shift or gcd kernel, so these are short programs over remainder, floor_divide,
multiplication (which wraps around, like C's unsigned arithmetic) and where: they run on every
device with no host copy of the data.

Shift counts outside [0, bits) follow PyTorch's CPU kernels rather than C's undefined behaviour:
a left shift by a negative count or by the bit width or more gives 0; a right shift by such a count
gives what shifting by the largest meaningful count gives (0, or -1 for negative signed values).

    >>> import ferrotorch as torch
    >>> torch.gcd(torch.tensor([12, -18, 0]), torch.tensor([8, 12, 0])).tolist()
    [4, 6, 0]
    >>> (torch.tensor([1, -8]) << 2).tolist(), (torch.tensor([1, -8]) >> 2).tolist()
    ([4, -32], [0, -2])
"""
from . import _C
from ._attach import tensor_method
from ._math_composites import _finish, _inplace, _not_implemented, _requires_tensor, _tensor_other

__all__ = ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"]


# ----------------------------------------------------------------------------- helpers

def _integer_operands(kernel, input, other, name, tensors_only=False):
    """`input` and `other` (tensors or Python numbers) as tensors of their promoted integer dtype,
    or PyTorch's "not implemented" error for float and bool results. With `tensors_only` (gcd and
    lcm) a number is PyTorch's TypeError."""
    if tensors_only:
        _requires_tensor(name, 1, "input", input)
        _requires_tensor(name, 2, "other", other)
    if not isinstance(input, _C.Tensor) and not isinstance(other, _C.Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    dtype = _C.result_type(input, other)
    like = input if isinstance(input, _C.Tensor) else other
    if dtype.is_floating_point or dtype.is_complex or dtype == _C.bool:
        raise _not_implemented(kernel, like, dtype)
    device = like.device

    def conv(v):
        return v.to(dtype) if isinstance(v, _C.Tensor) else _C.tensor(v, dtype=dtype, device=device)

    return conv(input), conv(other), dtype


def _bits(dtype):
    return dtype.itemsize * 8


def _powers_of_two(dtype, count, device):
    """[1, 2, 4, ..., 2**(count-1)] in `dtype`; 2**(bits-1) of a signed dtype is stored as its
    two's-complement bit pattern (the minimum value), which multiplies modulo 2**bits correctly."""
    bits = _bits(dtype)
    values = [1 << k for k in range(count)]
    if dtype.is_signed:
        values = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in values]
    return _C.tensor(values, dtype=dtype, device=device)


# ----------------------------------------------------------------------------- gcd / lcm

def _gcd(a, b):
    """Euclid's algorithm on whole tensors: each round replaces (a, b) by (b, a mod b) where b is
    not zero yet. The round count is bounded by the Fibonacci worst case for the bit width."""
    a, b = a.abs(), b.abs()
    for _ in range(int(_bits(a.dtype) * 1.5) + 2):
        live = b != 0
        if not bool(live.any().item()):
            break
        # Divide by 1 where b is already 0: integer division by zero is an error in the core.
        rem = _C.where(live, a.remainder(_C.where(live, b, 1)), 0)
        a = _C.where(live, b, a)
        b = rem
    return a


def gcd(input, other, *, out=None):
    """Elementwise greatest common divisor of integer tensors (broadcast); gcd(0, 0) == 0.

        >>> import ferrotorch as torch
        >>> torch.gcd(torch.tensor([5, 10, 15]), torch.tensor(3)).tolist()
        [1, 1, 3]
    """
    a, b, _ = _integer_operands("gcd", input, other, "gcd", tensors_only=True)
    return _finish(_gcd(a, b), out)


def lcm(input, other, *, out=None):
    """Elementwise least common multiple of integer tensors (broadcast); 0 where either is 0.

        >>> import ferrotorch as torch
        >>> torch.lcm(torch.tensor([4, -6, 0]), torch.tensor([6, 4, 3])).tolist()
        [12, 12, 0]
    """
    a, b, _ = _integer_operands("lcm", input, other, "lcm", tensors_only=True)
    g = _gcd(a, b)
    zero = g == 0
    return _finish(_C.where(zero, 0, (a.floor_divide(_C.where(zero, 1, g)) * b).abs()), out)


# ----------------------------------------------------------------------------- shifts

def bitwise_left_shift(input, other, *, out=None):
    """`input << other` elementwise for integer tensors or numbers (broadcast). Bits shifted past
    the width are lost; counts that are negative or >= the bit width give 0.

        >>> import ferrotorch as torch
        >>> torch.bitwise_left_shift(torch.tensor([1, 3], dtype=torch.int8), 6).tolist()
        [64, -64]
    """
    a, b, dtype = _integer_operands("lshift", input, other, "bitwise_left_shift")
    bits = _bits(dtype)
    invalid = (b < 0) | (b >= bits)
    table = _powers_of_two(dtype, bits, a.device)
    shifted = a * table[b.clamp(0, bits - 1).to(_C.int64)]
    return _finish(_C.where(invalid, 0, shifted), out)


def bitwise_right_shift(input, other, *, out=None):
    """`input >> other` elementwise for integer tensors or numbers (broadcast): an arithmetic shift
    (it rounds towards -inf) for signed dtypes. Counts that are negative or too large give 0, or -1
    for negative values.

        >>> import ferrotorch as torch
        >>> torch.bitwise_right_shift(torch.tensor([-7, 7]), 1).tolist()
        [-4, 3]
    """
    a, b, dtype = _integer_operands("rshift", input, other, "bitwise_right_shift")
    # The largest count that still leaves a value: the sign bit must survive in signed types.
    max_shift = _bits(dtype) - (1 if dtype.is_signed else 0)
    invalid = (b < 0) | (b >= max_shift)
    table = _powers_of_two(dtype, max_shift, a.device)
    # floor division by 2**k is the arithmetic shift, also for negative values.
    shifted = a.floor_divide(table[b.clamp(0, max_shift - 1).to(_C.int64)])
    return _finish(_C.where(invalid, _C.where(a < 0, -1, 0).to(dtype), shifted), out)


def _operator(fn, reflected=False):
    def method(self, other):
        if not isinstance(other, (_C.Tensor, int, float)):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return method


for _name, _fn in {
    "gcd": gcd, "lcm": lcm, "bitwise_left_shift": bitwise_left_shift,
    "bitwise_right_shift": bitwise_right_shift,
}.items():
    if _name in ("gcd", "lcm"):
        _method = _tensor_other(_fn, _name)
    else:
        def _method(self, other, _fn=_fn):
            return _fn(self, other)

    _method.__doc__ = _fn.__doc__
    tensor_method(_method, _name)
    tensor_method(_inplace(_method, _name + "_"), _name + "_")

tensor_method(_operator(bitwise_left_shift), "__lshift__")
tensor_method(_operator(bitwise_right_shift), "__rshift__")
tensor_method(_operator(bitwise_left_shift, reflected=True), "__rlshift__")
tensor_method(_operator(bitwise_right_shift, reflected=True), "__rrshift__")


def _ilshift(self, other):
    return self.bitwise_left_shift_(other)


def _irshift(self, other):
    return self.bitwise_right_shift_(other)


tensor_method(_ilshift, "__ilshift__")
tensor_method(_irshift, "__irshift__")
