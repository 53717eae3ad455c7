"""`torch.fft`: the discrete Fourier transforms (`fft`, `ifft`, `rfft`, `irfft`, `hfft`, `ihfft` and
their 2-D / N-D forms), the sample frequencies (`fftfreq`, `rfftfreq`) and the reorderings between
FFT order and centred order (`fftshift`, `ifftshift`).

Every transform is a sequence of 1-D transforms, each one of three primitives: complex to
complex, real to complex (the whole spectrum or its first n / 2 + 1 values), and a half
spectrum to its real signal. On the CPU they are native kernels (`src/ops/fft/`: mixed-radix
Stockham passes, Bluestein's algorithm for lengths with a large prime factor, real transforms
of even length as complex ones of half the length) with their own backward.

On other devices the same primitives are composed from existing tensor ops (GEMMs with cached
constant matrices, elementwise products, copies), so they run on every device and autograd
follows them with no backward of their own. Short transforms (up to 128 points complex, 512
real) are one product with a DFT matrix: O(n) work per point, and quicker than anything with
more passes there. Longer ones use the Cooley-Tukey "four-step" split n = n1 * n2 (n1, n2 near
sqrt(n)): n2 transforms of length n1, one twiddle product, n1 transforms of length n2,
recursing until a factor is at most 64 points, which is one batched GEMM. That is
O(n (n1 + n2)) per level and about O(n log n) overall. Even-length real transforms (`rfft`,
`irfft`, `hfft`, `ihfft`) run as a complex transform of half the length (even samples as real
parts, odd as imaginary). Prime lengths below 1024 stay O(n^2) matrix products; from 1024 on
they use Bluestein's algorithm (a circular convolution of a power-of-two length, itself done by
the four-step path), and a length with a large prime factor recurses into it. Every constant
(matrices, twiddles, chirps) is built in float64 from reduced angle indices (`j * k mod n`, so
quarter turns are exact), then cast to the working precision and cached (64 MiB of float32 in
all): float64 results are within a few 1e-15 of numpy's, relative to the largest output.
Inside the composed path the data is "planar" (real parts, then imaginary parts, as rows), so a
DFT matrix acts on it as a plain left factor with no reshuffling.

Dtypes follow PyTorch: integer inputs become the default float dtype, float32 gives complex64
and float64 complex128; float16 and bfloat16 are refused as PyTorch's CPU transforms refuse them.

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
    >>> [round(abs(v), 6) for v in torch.fft.fft(torch.tensor([1.0, 0.0, -1.0, 0.0])).tolist()]
    [0.0, 2.0, 0.0, 2.0]
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

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
           "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

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


# ----------------------------------------------------------------------------- transforms

_NORM_MODES = ("backward", "ortho", "forward")
_COMPLEX_NAMES = {_C.complex64: "ComplexFloat", _C.complex128: "ComplexDouble"}


def _dtype_name(dtype):
    """PyTorch's C++ name of a dtype, complex ones included."""
    return _COMPLEX_NAMES.get(dtype) or _scalar_name(dtype)


def _check_tensor(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{fn}(): argument 'input' (position 1) must be Tensor, not {_arg_type(input)}")


def _int_arg(fn, name, value):
    """An optional int argument (`n`, `dim`): None stays None; bools and floats are refused."""
    if value is None:
        return None
    number = None if isinstance(value, Tensor) and value.dim() != 0 else _as_int(value)
    if number is None:
        raise TypeError(f"fft_{fn}(): argument '{name}' must be int, not {_arg_type(value)}")
    return number


def _ints_arg(fn, name, value):
    """An optional int-or-sequence argument (`s`, `dim` of the 2-D / N-D forms) as a list or None."""
    if value is None:
        return None
    single = None if isinstance(value, Tensor) and value.dim() != 0 else _as_int(value)
    if single is not None:
        return [single]
    values = [_as_int(v) for v in value] if isinstance(value, (tuple, list)) else [None]
    if any(v is None for v in values):
        raise TypeError(f"fft_{fn}(): argument '{name}' must be tuple of ints, not {_arg_type(value)}")
    return values


def _check_norm(fn, norm):
    if norm is None:
        return "backward"
    if not isinstance(norm, str):
        raise TypeError(f"fft_{fn}(): argument 'norm' must be str, not {_arg_type(norm)}")
    if norm not in _NORM_MODES:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _check_points(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _wrap_fft_dim(dim, ndim):
    if ndim == 0:
        # A 0-d tensor has no dim to transform (wrap_dim would accept 0 and -1).
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)


def _working_input(input, real_only=None):
    """`input` in a dtype the transforms compute in: integers and bools become the default float
    dtype; float16 / bfloat16 are refused (as PyTorch's CPU kernels refuse them). `real_only`
    is the message for a transform that takes real input only."""
    dtype = input.dtype
    if dtype.is_complex:
        if real_only is not None:
            raise TypeError(real_only.format(_dtype_name(dtype)))
        return input
    if dtype in _REDUCED_PRECISION:
        raise NotImplementedError(f"Unsupported dtype {_dtype_name(dtype)}")
    return input if dtype.is_floating_point else input.to(_C.get_default_dtype())


def _as_complex(x):
    """A real tensor as complex with a zero imaginary part (a complex one unchanged)."""
    return x if x.dtype.is_complex else _C.complex(x, _C.zeros_like(x))


def _scale(norm, n, inverse):
    """The factor a transform of length `n` applies: 1/n on the inverse side of "backward", on the
    forward side of "forward", 1/sqrt(n) on both for "ortho"."""
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    return 1.0 / n if (norm == "forward") != inverse else 1.0


# Constants (DFT matrices, twiddle factors, chirps), cached: they never require grad and are
# never handed out, and building one costs more than using it for short signals. The cache
# holds at most _CACHE_NUMEL elements in all (64 MiB of float32), dropping the oldest first.
_MATRIX_CACHE = {}
_CACHE_NUMEL = 1 << 24

# Which path a length takes. A whole transform is one product with a DFT matrix up to
# _MATRIX_MAX (complex input or output) or _REAL_MATRIX_MAX (real input or output: half the work
# of a complex matrix, and a factorisation's extra passes cost more than that saves); inside
# the fast path, factors up to _FACTOR_MATRIX_MAX are one product each. Longer composite lengths
# are split by the four-step algorithm; primes from _BLUESTEIN_MIN on go through Bluestein's
# convolution, the primes in between stay matrix products (O(n^2), still quicker there).
_MATRIX_MAX = 128
_REAL_MATRIX_MAX = 512
_FACTOR_MATRIX_MAX = 64
_BLUESTEIN_MIN = 1024


def _cached(key, build):
    matrix = _MATRIX_CACHE.get(key)
    if matrix is None:
        matrix = build()
        if matrix.numel() <= _CACHE_NUMEL:
            while sum(m.numel() for m in _MATRIX_CACHE.values()) + matrix.numel() > _CACHE_NUMEL:
                _MATRIX_CACHE.pop(next(iter(_MATRIX_CACHE)))  # the oldest entry
            _MATRIX_CACHE[key] = matrix
    return matrix


def _twiddles(rows, cols, n, sign):
    """(rows, cols, 2) float64 on the CPU: cos and sin of `sign * 2 pi (j k mod n) / n`. The
    reduced index keeps the angles below 2 pi, and quarter turns get exact zeros."""
    index = _C.arange(rows, dtype=_C.int64).unsqueeze(1) * _C.arange(cols, dtype=_C.int64) % n
    angle = index.to(_C.float64) * (sign * 2 * math.pi / n)
    cos = angle.cos().masked_fill((index * 4 == n) | (index * 4 == 3 * n), 0.0)
    sin = angle.sin().masked_fill((index == 0) | (index * 2 == n), 0.0)
    return _C.stack([cos, sin], -1)


def _constant(key, build, dtype, device):
    """The float64 CPU table `build()` cached in `dtype` on `device`."""
    return _cached(key + (dtype, str(device)), lambda: build().to(dtype).to(device))


def _forward_matrix(rows, cols, n, sign, scale, dtype, device):
    """(rows, 2 * cols): for input index j, the (cos, sin) pairs of output k, times `scale`.
    A real row vector times it is the interleaved (real, imag) spectrum."""
    return _constant(("forward", rows, cols, n, sign, scale),
                     lambda: (_twiddles(rows, cols, n, sign) * scale).reshape(rows, 2 * cols), dtype, device)


def _block_matrix(rows, cols, n, sign, scale, dtype, device):
    """(2 * rows, 2 * cols): the complex DFT matrix C + iS acting on interleaved (real, imag)
    data: input j's real part feeds (cos, sin) of each output k, its imaginary part (-sin, cos).
    As many multiplications as a complex product, and one real GEMM."""
    def build():
        from_real = _twiddles(rows, cols, n, sign) * scale
        from_imag = from_real.flip(-1) * _C.tensor([-1.0, 1.0], dtype=_C.float64)
        return _C.stack([from_real, from_imag], 1).reshape(2 * rows, 2 * cols)
    return _constant(("block", rows, cols, n, sign, scale), build, dtype, device)


def _hermitian_matrix(rows, n, sign, scale, dtype, device):
    """(2 * rows, n): rows (w cos, -w sin) for each of the `rows` stored frequencies, where the
    weight w counts a frequency's conjugate partner (2, but 1 for zero and Nyquist). The
    interleaved (real, imag) half spectrum times it is the real signal."""
    def build():
        weight = _C.full((rows, 1, 1), 2.0, dtype=_C.float64)
        if rows:
            weight[0] = 1.0
        if n % 2 == 0 and rows > n // 2:
            weight[n // 2] = 1.0
        parts = _twiddles(rows, n, n, sign) * _C.tensor([1.0, -1.0], dtype=_C.float64) * (weight * scale)
        return parts.permute(0, 2, 1).reshape(2 * rows, n)
    return _constant(("hermitian", rows, n, sign, scale), build, dtype, device)


def _part_dtype(x):
    """The real dtype of `x`'s parts: float32 / float64 for complex64 / complex128, else its own."""
    return {_C.complex64: _C.float32, _C.complex128: _C.float64}.get(x.dtype, x.dtype)


# ------------------------------------------------------------------- the fast transforms
# They work on "planar" data: complex signals as a real (..., 2, n, c) tensor, the real parts
# then the imaginary parts of n rows, each row c columns wide (c independent signals, the
# leading dims more of them). A DFT matrix then acts on the stacked real and imaginary rows as
# a plain left factor, with no reshuffling of the data, and every step is a real tensor op (a
# GEMM, an elementwise product, a copy that moves whole rows), so autograd, the CPU and the
# GPU all follow them. `real_in` takes a real (..., n, c) input instead; `real_out` keeps only
# the real part, (..., n, c).

def _split(n):
    """(n1, n2) with n1 * n2 == n and n1 the largest divisor up to sqrt(n) (so both are near
    sqrt(n) when n allows it); None for a prime."""
    for n1 in range(math.isqrt(n), 1, -1):
        if n % n1 == 0:
            return n1, n // n1
    return None


def _is_fast(n, matrix_max=_MATRIX_MAX):
    """Whether a length-n transform goes through the four-step or Bluestein path."""
    return n > matrix_max and (n >= _BLUESTEIN_MIN or _split(n) is not None)


def _factors(parts):
    """A planar complex constant (2, ...) as the pair (2, 2, ...) that `_times` uses:
    (re, re) and (-im, im)."""
    re, im = parts.select(0, 0), parts.select(0, 1)
    return _C.stack([_C.stack([re, re]), _C.stack([-im, im])])


def _times(x, factors, axis=-3):
    """The complex product of planar `x` (its real / imaginary axis at `axis`) with the constant
    `_factors` pair (broadcast): (a + ib)(c + id) = (a, b) * (c, c) + (b, a) * (-d, d)."""
    swapped = _C.cat([x.narrow(axis, 1, 1), x.narrow(axis, 0, 1)], axis)  # quicker than flip here
    return x * factors.select(0, 0) + swapped * factors.select(0, 1)


def _reversed_rows(x):
    """Planar `x` (..., n, c) with its rows in reverse order. One column is flipped as the last
    dim: flip is many times slower on a dim followed by a dim of size 1."""
    return x.squeeze(-1).flip(-1).unsqueeze(-1) if x.shape[-1] == 1 else x.flip(-2)


def _fit(x, n, axis):
    """`x` trimmed or zero-padded to `n` entries along `axis`."""
    size = x.shape[axis]
    if size >= n:
        return x.narrow(axis, 0, n)
    shape = list(x.shape)
    shape[axis] = n - size
    return _C.cat([x, _C.zeros(shape, dtype=x.dtype, device=x.device)], axis)


def _left_matrix(n, sign, scale, real_in, real_out, dtype, device):
    """The length-n DFT as a left factor on planar data (the matrix is symmetric, so rows and
    columns need no transposing): [[C, -S], [S, C]] for complex to complex, [C; S] from real
    input, [C, -S] for the real part only."""
    def build():
        angles = _twiddles(n, n, n, sign) * scale
        cos, sin = angles.select(-1, 0), angles.select(-1, 1)
        if real_in:
            return _C.cat([cos, sin], 0)
        if real_out:
            return _C.cat([cos, -sin], 1)
        return _C.cat([_C.cat([cos, -sin], 1), _C.cat([sin, cos], 1)], 0)
    return _constant(("left", n, sign, scale, real_in, real_out), build, dtype, device)


def _matrix_dft(x, n, sign, scale, real_in, real_out):
    """The length-n transform as one GEMM with a DFT matrix: O(n) work per point."""
    lead = x.shape[:-2] if real_in else x.shape[:-3]
    out = _left_matrix(n, sign, scale, real_in, real_out, x.dtype, x.device) @ (
        x if real_in else x.reshape(*lead, 2 * n, x.shape[-1]))
    return out if real_out else out.reshape(*lead, 2, n, x.shape[-1])


def _four_step(x, n1, n2, sign, scale, real_in, real_out):
    """The length n1 * n2 transform from transforms of lengths n1 and n2 (Cooley-Tukey). With
    j = n2 j1 + j2, k = k1 + n1 k2 and w_m = exp(sign 2 pi i / m):
        X[k1 + n1 k2] = sum_j2 w_n2^(j2 k2) w_n^(j2 k1) sum_j1 x[n2 j1 + j2] w_n1^(j1 k1).
    The inner sums are transforms of length n1 with the (j2, column) pairs as columns, the
    twiddles w_n^(j2 k1) one elementwise product, and after one copy that brings j2 to the rows,
    the outer sums are transforms of length n2 with (k1, column) as columns: their rows then
    come out in k's order, k2 major."""
    n, cols = n1 * n2, x.shape[-1]
    inner = _dft(x.reshape(*x.shape[:-2], n1, n2 * cols), n1, sign, 1.0, real_in, False)  # [k1, j2, col]
    batch = inner.shape[:-3]
    twiddles = _constant(("twiddle", n1, n2, n, sign),
                         lambda: _factors(_twiddles(n1, n2, n, sign).permute(2, 0, 1).unsqueeze(-1)),
                         inner.dtype, inner.device)
    turned = _times(inner.reshape(*batch, 2, n1, n2, cols), twiddles, -4).transpose(-3, -2)  # [j2, k1, col]
    outer = _dft(turned.reshape(*batch, 2, n2, n1 * cols), n2, sign, scale, False, real_out)  # [k2, k1, col]
    return outer.reshape(*outer.shape[:-2], n, cols)


def _chirp(n, sign):
    """(2, n, 1) float64, planar: exp(sign pi i j^2 / n), from j^2 mod 2n (its period) to keep
    the angles small."""
    index = _C.arange(n, dtype=_C.int64)
    angle = (index * index % (2 * n)).to(_C.float64) * (sign * math.pi / n)
    return _C.stack([angle.cos(), angle.sin()]).unsqueeze(-1)


def _chirp_kernel_spectrum(n, length, sign, scale):
    """(2, length, 1) float64: the length-`length` transform of the conjugate chirp laid out for
    a circular convolution (lags m and length - m), times scale / length (the inverse's 1/length)."""
    kernel = _chirp(n, -sign)
    gap = _C.zeros((2, length - 2 * n + 1, 1), dtype=_C.float64)
    circular = _C.cat([kernel, gap, _reversed_rows(kernel.narrow(1, 1, n - 1))], 1)
    return _dft(circular, length, -1, scale / length, False, False)


def _bluestein(x, n, sign, scale, real_in, real_out):
    """A (prime) length-n transform as a convolution of a power-of-two length (Bluestein's chirp-z):
    with c[m] = exp(sign pi i m^2 / n), jk = (j^2 + k^2 - (k - j)^2) / 2 gives
        X[k] = c[k] sum_j (x[j] c[j]) conj(c[k - j]),
    a convolution done by three transforms of length >= 2n - 1 (one of them cached)."""
    length = 1 << (2 * n - 2).bit_length()
    chirp = _constant(("chirp", n, sign), lambda: _factors(_chirp(n, sign)), x.dtype, x.device)
    kernel = _constant(("chirp-kernel", n, length, sign, scale),
                       lambda: _factors(_chirp_kernel_spectrum(n, length, sign, scale)), x.dtype, x.device)
    if real_in:
        x = _C.stack([x, _C.zeros_like(x)], -3)
    spectrum = _dft(_fit(_times(x, chirp), length, -2), length, -1, 1.0, False, False)
    convolved = _dft(_times(spectrum, kernel), length, 1, 1.0, False, False).narrow(-2, 0, n)
    out = _times(convolved, chirp)
    return out.select(-3, 0) if real_out else out


def _dft(x, n, sign, scale, real_in=False, real_out=False):
    """The length-n transform (exp(sign 2 pi i jk / n), times scale) of planar `x` (exactly n
    rows); the matrix, four-step or Bluestein path by n."""
    if n > _FACTOR_MATRIX_MAX:
        split = _split(n)
        if split is not None:
            return _four_step(x, *split, sign, scale, real_in, real_out)
        if n >= _BLUESTEIN_MIN:
            return _bluestein(x, n, sign, scale, real_in, real_out)
    return _matrix_dft(x, n, sign, scale, real_in, real_out)


# ------------------------------------------------------------------- the transforms' kernels

def _conjugator(dtype, device):
    """(2, 1, 1): (1, -1), the planar factor of a complex conjugate."""
    return _constant(("conjugate",), lambda: _C.tensor([1.0, -1.0], dtype=_C.float64).reshape(2, 1, 1),
                     dtype, device)


def _half_length_factors(n, sign, unpack, dtype, device):
    """The `_factors` of the half-length trick's twiddles, w = exp(sign 2 pi i / n): -i w^k / 2
    for k = 0..n/2 to unpack a spectrum (`unpack`), i w^k for k < n/2 to pack one."""
    count = n // 2 + 1 if unpack else n // 2

    def build():
        angles = _twiddles(count, 2, n, sign).select(1, 1)      # (count, 2): cos and sin of w^k's angle
        cos, sin = angles.select(-1, 0), angles.select(-1, 1)
        parts = _C.stack([sin * 0.5, cos * -0.5]) if unpack else _C.stack([-sin, cos])
        return _factors(parts.unsqueeze(-1))
    return _constant(("half-length", n, sign, unpack), build, dtype, device)


def _real_spectrum(signal, n, cols, sign, scale):
    """Planar (B, 2, cols, c): the first `cols` outputs of the length-n transform of the real
    signals `signal` (B, n, c). For even n and cols <= n / 2 + 1, the half-length trick: the
    even samples as real parts and the odd ones as imaginary parts make one complex transform Z
    of length n / 2, and with Z~[k] = conj(Z[n/2 - k]), X[k] = (Z + Z~) / 2 - i w^k (Z - Z~) / 2."""
    if n % 2 or cols > n // 2 + 1:
        return _dft(signal, n, sign, scale, real_in=True).narrow(-2, 0, cols)
    batch, half, width = signal.shape[0], n // 2, signal.shape[-1]
    spectrum = _dft(signal.reshape(batch, half, 2, width).transpose(1, 2), half, sign, scale)
    wrapped = _C.cat([spectrum, spectrum.narrow(-2, 0, 1)], -2)    # Z[0..n/2], Z[n/2] = Z[0]
    mirrored = _reversed_rows(wrapped) * _conjugator(signal.dtype, signal.device)
    unpack = _half_length_factors(n, sign, True, signal.dtype, signal.device)
    return ((wrapped + mirrored) * 0.5 + _times(wrapped - mirrored, unpack)).narrow(-2, 0, cols)


def _real_signal(half, n, sign, scale):
    """The real signals (B, n, c) whose spectra have the planar `half` (B, 2, n // 2 + 1, c) as
    their first halves and the conjugate mirror X[n - k] = conj(X[k]) as the rest; the imaginary
    parts at zero and Nyquist are dropped, as a real signal's spectrum has none. For even n, the
    half-length trick run backwards: with X~[k] = conj(X[n/2 - k]), the complex signal
    z[m] = x[2m] + i x[2m + 1] is the length n / 2 transform of (X + X~) + i w^k (X - X~)."""
    rows, batch, width = n // 2 + 1, half.shape[0], half.shape[-1]

    def mask():
        keep = _C.ones((2, rows, 1), dtype=_C.float64)
        keep[1, 0] = 0.0
        if n % 2 == 0:
            keep[1, rows - 1] = 0.0
        return keep
    half = half * _constant(("hermitian-mask", n), mask, half.dtype, half.device)
    mirrored = _reversed_rows(half) * _conjugator(half.dtype, half.device)   # row k: conj(X[n // 2 - k])
    if n % 2:
        spectrum = _C.cat([half, mirrored.narrow(-2, 0, n - rows)], -2)
        return _dft(spectrum, n, sign, scale, real_out=True)
    head, mirrored = half.narrow(-2, 0, n // 2), mirrored.narrow(-2, 0, n // 2)
    pack = _half_length_factors(n, sign, False, half.dtype, half.device)
    packed = _dft((head + mirrored) + _times(head - mirrored, pack), n // 2, sign, scale)
    # even samples from the real parts, odd ones from the imaginary parts (a stack: quicker
    # than a transposing copy)
    return _C.stack([packed.select(1, 0), packed.select(1, 1)], 2).reshape(batch, n, width)


def _around(x, dim):
    """(B, size, c): `x` as the signals along `dim` (B, from the dims before it) with c columns
    (from the dims after it), a view where x allows it."""
    return x.reshape(math.prod(x.shape[:dim]), x.shape[dim], math.prod(x.shape[dim + 1:]))


def _to_planar(z, dim, rows):
    """Complex `z` as planar signals (B, 2, rows, c) along `dim`, trimmed or zero-padded to `rows`."""
    parts = _around(z.view_as_real(), dim)                              # (B, m, c * 2)
    parts = parts.reshape(*parts.shape[:2], -1, 2).permute(0, 3, 1, 2)  # (B, 2, m, c)
    return _fit(parts, rows, -2)


def _from_planar(planar, like, dim):
    """Planar signals (B, 2, n, c) as a complex tensor shaped as `like` with n entries along `dim`
    (a stack of the parts: quicker than a transposing copy)."""
    parts = _C.stack([planar.select(1, 0), planar.select(1, 1)], -1)
    shape = list(like.shape)
    shape[dim] = planar.shape[-2]
    return parts.reshape(*shape, 2).view_as_complex()


def _real_to_complex(x, dim, n, cols, sign, scale):
    """The first `cols` outputs of the length-`n` transform of real `x` along `dim` (`x`
    trimmed to `n`; on the matrix path the zeros that would pad it contribute nothing)."""
    if x.is_cpu:
        return _C._fft_r2c(x, dim, n, cols != n, sign > 0, scale)
    if _is_fast(n, _REAL_MATRIX_MAX if cols <= n // 2 + 1 else _MATRIX_MAX) and x.numel():
        return _from_planar(_real_spectrum(_fit(_around(x, dim), n, 1), n, cols, sign, scale), x, dim)

    def product(t):
        rows = min(t.shape[-1], n)
        spectrum = t.narrow(-1, 0, rows) @ _forward_matrix(rows, cols, n, sign, scale, t.dtype, t.device)
        return spectrum.reshape(*spectrum.shape[:-1], cols, 2).view_as_complex()
    return _along(x, dim, product)


def _complex_to_complex(z, dim, n, sign, scale):
    """The length-`n` transform of complex `z` along `dim`."""
    if z.is_cpu:
        return _C._fft_c2c(z, dim, n, sign > 0, scale)
    if _is_fast(n) and z.numel():
        return _from_planar(_dft(_to_planar(z, dim, n), n, sign, scale), z, dim)

    def product(t):
        parts = t.view_as_real().narrow(-2, 0, min(t.shape[-1], n))
        rows = parts.shape[-2]
        out = parts.reshape(*parts.shape[:-2], 2 * rows) @ _block_matrix(rows, n, n, sign, scale, parts.dtype,
                                                                         parts.device)
        return out.reshape(*out.shape[:-1], n, 2).view_as_complex()
    return _along(z, dim, product)


def _hermitian_to_real(z, dim, n, sign, scale):
    """The real length-`n` signal along `dim` whose spectrum has `z` (trimmed or zero-padded to
    n // 2 + 1) as its first half, the rest being its conjugate mirror; imaginary parts at
    frequency zero (and Nyquist) are ignored, as PyTorch ignores them."""
    z = _as_complex(z)
    if z.is_cpu:
        return _C._fft_c2r(z, dim, n, sign > 0, scale)
    if _is_fast(n, _REAL_MATRIX_MAX) and z.numel():
        shape = list(z.shape)
        shape[dim] = n
        return _real_signal(_to_planar(z, dim, n // 2 + 1), n, sign, scale).reshape(shape)

    def product(t):
        parts = t.view_as_real().narrow(-2, 0, min(t.shape[-1], n // 2 + 1))
        rows = parts.shape[-2]
        return parts.reshape(*parts.shape[:-2], 2 * rows) @ _hermitian_matrix(rows, n, sign, scale, parts.dtype,
                                                                              parts.device)
    return _along(z, dim, product)


def _along(x, dim, transform):
    """`transform` (which works on the last dim) applied along `dim`."""
    return transform(x.movedim(dim, -1)).movedim(-1, dim)


def _complex_steps(x, dims, sizes, norm, inverse):
    """Complex transforms along `dims` to lengths `sizes`, one dim after another; a real input
    costs a real product for the first dim."""
    sign = 1 if inverse else -1
    for dim, n in zip(dims, sizes):
        scale = _scale(norm, n, inverse)
        if x.dtype.is_complex:
            x = _complex_to_complex(x, dim, n, sign, scale)
        else:
            x = _real_to_complex(x, dim, n, n, sign, scale)
    return x


def _write_out(fn, result, out, expected=None):
    """`result` into PyTorch's `out=`, which must be complex for a complex result (real floating
    point for a real one); it is cast to out's dtype."""
    if out is None:
        return result
    complex_result = result.dtype.is_complex
    if complex_result != out.dtype.is_complex or not (complex_result or out.dtype.is_floating_point):
        if expected is not None:
            raise RuntimeError(expected.format(_dtype_name(result.dtype), _dtype_name(out.dtype)))
        kind = "a complex" if complex_result else "a floating point"
        raise RuntimeError(f"{fn} expects {kind} output tensor, but got {_dtype_name(out.dtype)}")
    return _out(result.to(out.dtype), out)


def _one_dim(fn, input, n, dim, norm):
    """The checked arguments of a 1-D transform: (dim, n or None, norm)."""
    _check_tensor(fn, input)
    n, dim, norm = _int_arg(fn, "n", n), _int_arg(fn, "dim", dim), _check_norm(fn, norm)
    dim = _wrap_fft_dim(dim, input.dim())
    return dim, (None if n is None else _check_points(n)), norm


def _many_dims(fn, input, s, dim, norm):
    """The checked arguments of a 2-D / N-D transform: the dims, the sizes requested for them
    (None for "as the input", which -1 also means) and the norm."""
    _check_tensor(fn, input)
    s, dims, norm = _ints_arg(fn, "s", s), _ints_arg(fn, "dim", dim), _check_norm(fn, norm)
    ndim = input.dim()
    if dims is not None:
        dims = [_wrap_fft_dim(d, ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        dims = list(range(ndim - len(s), ndim))
    else:
        dims = list(range(ndim))
    sizes = [None if s is None or s[i] == -1 else _check_points(s[i]) for i in range(len(dims))]
    return dims, sizes, norm


def _complex_transform(out_name, input, dims, sizes, norm, inverse, out):
    x = _working_input(input)
    sizes = [_check_points(x.shape[d]) if n is None else n for d, n in zip(dims, sizes)]
    result = _complex_steps(x, dims, sizes, norm, inverse) if dims else _as_complex(x).clone()
    return _write_out(out_name, result, out)


def _onesided_transform(out_name, input, dims, sizes, norm, inverse, out, real_only, expected=None):
    """rfft (inverse=False) and ihfft (inverse=True): the half spectrum of a real input along
    the last of `dims`, then complex transforms along the others."""
    if not dims:
        raise RuntimeError(f"{out_name} must transform at least one axis")
    x = _working_input(input, real_only)
    sizes = [_check_points(x.shape[d]) if n is None else n for d, n in zip(dims, sizes)]
    sign, last, n = (1 if inverse else -1), dims[-1], sizes[-1]
    scale = _scale(norm, n, inverse)
    x = _real_to_complex(x, last, n, n // 2 + 1, sign, scale)
    return _write_out(out_name, _complex_steps(x, dims[:-1], sizes[:-1], norm, inverse), out, expected)


def _hermitian_transform(out_name, input, dims, sizes, norm, inverse, out):
    """irfft (inverse=True) and hfft (inverse=False): complex transforms along all but the last
    of `dims`, then the real signal of the half spectrum along the last one (2 * (m - 1)
    points unless a size is given)."""
    if not dims:
        raise RuntimeError(f"{out_name} must transform at least one axis")
    x = _working_input(input)
    last = dims[-1]
    sizes = [_check_points(2 * (x.shape[d] - 1) if d == last else x.shape[d]) if n is None else n
             for d, n in zip(dims, sizes)]
    x = _complex_steps(x, dims[:-1], sizes[:-1], norm, inverse)
    sign, n = (1 if inverse else -1), sizes[-1]
    scale = _scale(norm, n, inverse)
    return _write_out(out_name, _hermitian_to_real(x, last, n, sign, scale), out)


def _real_only(fn):
    return fn + " expects a real input tensor, but got {}"


_REAL_ONLY_N = "rfftn expects a real-valued input tensor, but got {}"
_FLOATING_ONLY = "Only supports floating-point dtypes, but found: {}"
_IHFFTN_OUT = "Found dtype {} but expected {}"


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The discrete Fourier transform of `input` along `dim`, trimmed or zero-padded to `n` points:
    `X[k] = sum_j x[j] exp(-2 pi i j k / n)`, scaled by `norm` ("backward": none, "forward": 1/n,
    "ortho": 1/sqrt(n)). A real input gives the full (Hermitian) complex spectrum.

        >>> import ferrotorch as torch
        >>> torch.fft.fft(torch.tensor([1.0, 2.0, 3.0, 4.0])).tolist()[0]
        (10+0j)
    """
    dim, n, norm = _one_dim("fft", input, n, dim, norm)
    return _complex_transform("fft", input, [dim], [n], norm, False, out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of `fft`: `x[j] = sum_k X[k] exp(2 pi i j k / n)`, scaled by 1/n for "backward"
    (the default), none for "forward", 1/sqrt(n) for "ortho"."""
    dim, n, norm = _one_dim("ifft", input, n, dim, norm)
    return _complex_transform("fft", input, [dim], [n], norm, True, out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """`fft` along the two dims `dim` (the last two by default), each trimmed or padded to `s`."""
    dims, sizes, norm = _many_dims("fft2", input, s, dim, norm)
    return _complex_transform("fftn", input, dims, sizes, norm, False, out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """`ifft` along the two dims `dim` (the last two by default), each trimmed or padded to `s`."""
    dims, sizes, norm = _many_dims("ifft2", input, s, dim, norm)
    return _complex_transform("fftn", input, dims, sizes, norm, True, out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """`fft` along each dim in `dim` (all of them by default, or the last `len(s)` when only `s`
    is given), each trimmed or padded to its entry of `s` (-1 keeps the input's size)."""
    dims, sizes, norm = _many_dims("fftn", input, s, dim, norm)
    return _complex_transform("fftn", input, dims, sizes, norm, False, out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """`ifft` along each dim in `dim`; `s` and `dim` as for `fftn`."""
    dims, sizes, norm = _many_dims("ifftn", input, s, dim, norm)
    return _complex_transform("fftn", input, dims, sizes, norm, True, out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The non-negative frequency half (`n // 2 + 1` points) of the `fft` of a real input.

        >>> import ferrotorch as torch
        >>> torch.fft.rfft(torch.tensor([1.0, 1.0, 1.0, 1.0])).shape
        torch.Size([3])
    """
    dim, n, norm = _one_dim("rfft", input, n, dim, norm)
    return _onesided_transform("rfft", input, [dim], [n], norm, False, out, _real_only("rfft"))


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of `rfft`: the real `n`-point signal (default `2 * (m - 1)` for `m` inputs) whose
    spectrum's non-negative half is `input`."""
    dim, n, norm = _one_dim("irfft", input, n, dim, norm)
    return _hermitian_transform("irfft", input, [dim], [n], norm, True, out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """`rfft` along the last of `dim`, then `fft` along the other."""
    dims, sizes, norm = _many_dims("rfft2", input, s, dim, norm)
    return _onesided_transform("rfftn", input, dims, sizes, norm, False, out, _REAL_ONLY_N)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of `rfft2`: `ifft` along the first of `dim`, then `irfft` along the last."""
    dims, sizes, norm = _many_dims("irfft2", input, s, dim, norm)
    return _hermitian_transform("irfftn", input, dims, sizes, norm, True, out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """`rfft` along the last of `dim`, then `fft` along the others; `s` and `dim` as for `fftn`."""
    dims, sizes, norm = _many_dims("rfftn", input, s, dim, norm)
    return _onesided_transform("rfftn", input, dims, sizes, norm, False, out, _REAL_ONLY_N)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of `rfftn`: `ifft` along all but the last of `dim`, then `irfft` along it."""
    dims, sizes, norm = _many_dims("irfftn", input, s, dim, norm)
    return _hermitian_transform("irfftn", input, dims, sizes, norm, True, out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The (real) `fft` of a signal with Hermitian symmetry, given its first half `input`: the
    real `n`-point output (default `2 * (m - 1)`), normed as a forward transform."""
    dim, n, norm = _one_dim("hfft", input, n, dim, norm)
    return _hermitian_transform("hfft", input, [dim], [n], norm, False, out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of `hfft`: the non-negative half of the `ifft` of a real input."""
    dim, n, norm = _one_dim("ihfft", input, n, dim, norm)
    return _onesided_transform("ihfft", input, [dim], [n], norm, True, out, _real_only("ihfft"))


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """`hfft` in two dims: `fft` along the first of `dim`, then `hfft` along the last."""
    dims, sizes, norm = _many_dims("hfft2", input, s, dim, norm)
    return _hermitian_transform("hfftn", input, dims, sizes, norm, False, out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of `hfft2`: `ihfft` along the last of `dim`, then `ifft` along the first."""
    dims, sizes, norm = _many_dims("ihfft2", input, s, dim, norm)
    return _onesided_transform("ihfftn", input, dims, sizes, norm, True, out, _FLOATING_ONLY, _IHFFTN_OUT)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """`hfft` in N dims: `fft` along all but the last of `dim`, then `hfft` along it."""
    dims, sizes, norm = _many_dims("hfftn", input, s, dim, norm)
    return _hermitian_transform("hfftn", input, dims, sizes, norm, False, out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of `hfftn`: `ihfft` along the last of `dim`, then `ifft` along the others."""
    dims, sizes, norm = _many_dims("ihfftn", input, s, dim, norm)
    return _onesided_transform("ihfftn", input, dims, sizes, norm, True, out, _FLOATING_ONLY, _IHFFTN_OUT)
