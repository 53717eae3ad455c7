"""`torch.fft`: the helpers that need no complex numbers, namely the sample frequencies
(`fftfreq`, `rfftfreq`) and the reorderings between FFT order and centred order (`fftshift`,
`ifftshift`).

The transforms themselves (`fft`, `ifft`, `rfft`, `irfft`, `fft2`, `fftn`, `hfft`, ...) are absent,
not stubbed: their results (or inputs) are complex tensors, and ferrotorch has no complex dtypes.

The frequencies round as PyTorch's do: the indices `0..count-1` (the upper half moved down by
`n`), then multiplied, in the requested dtype, by `1 / (n * d)` computed in double. Bit for bit
equal to PyTorch's for float32 and float64 (and float16 in our checks); bfloat16 may differ by one
unit in the last place for n in the thousands, where PyTorch's own rounding of the product
depends on its vectorised loop.

    >>> import ferrotorch as torch
    >>> torch.fft.fftfreq(4).tolist()
    [0.0, 0.25, -0.5, -0.25]
    >>> torch.fft.fftshift(torch.arange(5)).tolist()
    [3, 4, 0, 1, 2]
"""
import math
import numbers
import operator

from . import _C
from ._C import Tensor
from ._dims import wrap_dim
from ._memory_format import layout as _layout_type, strided as _strided
from ._runtime_tensor_methods import _type_name
from ._elementwise import _scalar_name
from ._shape import _out

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]

# Dtypes whose indices are computed in float32 and rounded once.
_REDUCED_PRECISION = (_C.float16, _C.bfloat16)


def _arg_type(value):
    return "Tensor" if isinstance(value, Tensor) else _type_name(value)


def _as_int(value):
    """`value` as a Python int where PyTorch's int arguments accept it (ints, numpy ints, a
    one-element integer tensor), else None. bool is refused, as PyTorch refuses it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Tensor):
        ok = value.numel() == 1 and not value.dtype.is_floating_point and value.dtype != _C.bool
        return int(value.item()) if ok else None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _check_n(fn, n):
    count = None if isinstance(n, Tensor) and n.dim() != 0 else _as_int(n)
    if count is None:
        raise TypeError(f"fft_{fn}(): argument 'n' (position 1) must be int, not {_arg_type(n)}")
    return count


def _check_d(fn, d):
    # A 0-d tensor (outside autograd) converts to a Python number, as PyTorch's float arguments
    # accept; so do bools, ints and numpy's real scalars.
    if isinstance(d, Tensor) and d.dim() == 0 and not d.requires_grad:
        d = d.item()
    if isinstance(d, numbers.Real) and not isinstance(d, Tensor):
        return float(d)
    raise TypeError(f"fft_{fn}(): argument 'd' must be float, not {_arg_type(d)}")


def _result_dtype(fn, dtype, out):
    if dtype is not None and not isinstance(dtype, _C.dtype):
        raise TypeError(f"fft_{fn}(): argument 'dtype' must be torch.dtype, not {_arg_type(dtype)}")
    if out is not None:
        if dtype is not None and dtype != out.dtype:
            raise RuntimeError(f"dtype {_scalar_name(dtype)} does not match dtype of out parameter "
                               f"({_scalar_name(out.dtype)})")
        dtype = out.dtype
    dtype = _C.get_default_dtype() if dtype is None else dtype
    if not dtype.is_floating_point:
        raise RuntimeError(f"{fn} requires a floating point or complex dtype")
    return dtype


def _reciprocal(x):
    """1 / x as C++ computes it for doubles: a zero spacing gives a signed infinity, not an error."""
    return math.copysign(math.inf, x) if x == 0 else 1.0 / x


def _frequencies(fn, count, n, d, out, dtype, layout, device, requires_grad):
    """`count` sample indices, the ones from `(n + 1) // 2` on moved down by `n` (fftfreq only),
    times `1 / (n * d)`, in the requested dtype, device and out tensor."""
    if layout is not None and not isinstance(layout, _layout_type):
        raise TypeError(f"fft_{fn}(): argument 'layout' must be torch.layout, not {_arg_type(layout)}")
    if layout is not None and layout is not _strided:
        raise RuntimeError(f"{fn}: only the torch.strided layout is supported")
    dtype = _result_dtype(fn, dtype, out)
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    if device is None and out is not None:
        device = out.device
    # The indices are exact in float32 for float16 / bfloat16 (PyTorch's arange computes them so).
    values = _C.arange(count, dtype=_C.float32 if dtype in _REDUCED_PRECISION else dtype, device=device)
    if fn == "fftfreq" and count > (n + 1) // 2:
        values[(n + 1) // 2:] -= n
    values = _out(values.to(dtype) * _reciprocal(n * d), out)
    return values.requires_grad_(True) if requires_grad else values


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The sample frequencies of an `n`-point FFT with sample spacing `d`: `[0, 1, ..., -2, -1] / (n * d)`
    (positive frequencies first, then the negative ones), in the default dtype unless `dtype`
    (a floating point one) is given.

        >>> import ferrotorch as torch
        >>> torch.fft.fftfreq(5, d=0.5).tolist()
        [0.0, 0.4000000059604645, 0.800000011920929, -0.800000011920929, -0.4000000059604645]
    """
    n, d = _check_n("fftfreq", n), _check_d("fftfreq", d)
    return _frequencies("fftfreq", n, n, d, out, dtype, layout, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=_strided, device=None, requires_grad=False):
    """The non-negative sample frequencies of an `n`-point real FFT: `[0, 1, ..., n // 2] / (n * d)`.

        >>> import ferrotorch as torch
        >>> torch.fft.rfftfreq(4).tolist()
        [0.0, 0.25, 0.5]
    """
    n, d = _check_n("rfftfreq", n), _check_d("rfftfreq", d)
    # C++ integer division truncates towards zero (it matters for a negative n, as in PyTorch).
    count = (n // 2 if n >= 0 else -(-n // 2)) + 1
    return _frequencies("rfftfreq", count, n, d, out, dtype, layout, device, requires_grad)


def _shift_dims(fn, input, dim):
    """The dims to roll: all of them for None, else `dim` (an int or a sequence of ints) wrapped."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{fn}(): argument 'input' (position 1) must be Tensor, not {_arg_type(input)}")
    if dim is None:
        return list(range(input.dim()))
    single = _as_int(dim)
    dims = [single] if single is not None else (
        [_as_int(d) for d in dim] if isinstance(dim, (tuple, list)) else [None])
    if any(d is None for d in dims):
        raise TypeError(f"fft_{fn}(): argument 'dim' must be tuple of ints, not {_arg_type(dim)}")
    if input.dim() == 0 and dims:
        # PyTorch's size lookup refuses any dim of a 0-d tensor (wrap_dim would accept 0 and -1).
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return [wrap_dim(d, input.dim()) for d in dims]


def fftshift(input, dim=None):
    """Moves the zero-frequency entry to the centre: rolls each dim in `dim` (all by default) by
    half its size, rounded down.

        >>> import ferrotorch as torch
        >>> torch.fft.fftshift(torch.fft.fftfreq(4)).tolist()
        [-0.5, -0.25, 0.0, 0.25]
    """
    dims = _shift_dims("fftshift", input, dim)
    return input.roll([input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    """The inverse of `fftshift`: rolls each dim in `dim` (all by default) by half its size, rounded up.

        >>> import ferrotorch as torch
        >>> torch.fft.ifftshift(torch.fft.fftshift(torch.arange(5))).tolist()
        [0, 1, 2, 3, 4]
    """
    dims = _shift_dims("ifftshift", input, dim)
    return input.roll([(input.shape[d] + 1) // 2 for d in dims], dims)
