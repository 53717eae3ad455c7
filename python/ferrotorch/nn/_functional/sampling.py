"""Padding and resampling: pad, interpolate (nearest, linear, bicubic, area), upsample aliases, pixel_shuffle.

Everything is index_select / cat / narrow plus elementwise weights, so gradients come from those
ops (index_select's backward is a scatter-add).
"""
import math
import warnings

from ... import _C
from ..._elementwise import _scalar_name

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]


def _index(values, like):
    return _C.tensor(values, dtype=_C.int64, device=like.device)


def _pad_constant(x, pad, value):
    for i in range(len(pad) // 2):
        d = x.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left < 0:
            x = x.narrow(d, -left, x.shape[d] + left)
        if right < 0:
            x = x.narrow(d, 0, x.shape[d] + right)
        parts = []
        for amount in (left, right):
            shape = list(x.shape)
            shape[d] = max(amount, 0)
            parts.append(_C.full(shape, value, dtype=x.dtype, device=x.device))
        if left > 0 or right > 0:
            x = _C.cat([parts[0], x, parts[1]], d)
    return x


def _source(i, n, mode):
    """Input index read by padded position i (in input coordinates) of a dim of size n."""
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return 0
        i = i % period
        return i if i < n else period - i
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    return i % n  # circular


def pad(input, pad, mode="constant", value=None):
    """Pads (or, with negative amounts, crops) the last len(pad)//2 dims; pad lists (left, right)
    pairs starting from the last dim. Modes: constant (any number of dims), reflect, replicate,
    circular (the last 1-3 dims of a batched or unbatched input)."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return _pad_constant(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k > 3 or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.")
    x = input
    for i in range(k):
        d = x.dim() - 1 - i
        n = x.shape[d]
        left, right = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (left >= n or right >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({left}, {right}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (left > n or right > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0 and (left > 0 or right > 0):
            raise RuntimeError(f"padding size is expected to be non-negative and input size non-zero at dimension {d}")
        idx = [_source(j, n, mode) for j in range(-left, n + right)]
        x = x.index_select(d, _index(idx, x))
    return x


def _output_sizes(input, size, scale_factor, recompute_scale_factor):
    """Output spatial sizes and the scales (in/out) the coordinate maps use."""
    nsp = input.dim() - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    ins = list(input.shape[2:])
    if size is not None:
        sizes = [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)] * nsp
        if len(sizes) != nsp:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {ins} and output size of {size}. Please provide input "
                             f"tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        return sizes, [i / o if o > 0 else 0.0 for i, o in zip(ins, sizes)]
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * nsp
    if len(scales) != nsp:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {ins} and scale_factor of shape {scale_factor}. Please provide "
                         f"input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
    sizes = [int(math.floor(i * float(s))) for i, s in zip(ins, scales)]
    if recompute_scale_factor:
        return sizes, [i / o if o > 0 else 0.0 for i, o in zip(ins, sizes)]
    return sizes, [1.0 / float(s) for s in scales]


def _linear_along(x, d, n_in, n_out, scale, align_corners):
    """Linear resampling of dim d from n_in to n_out points."""
    lo, hi, lam = [], [], []
    for j in range(n_out):
        if align_corners:
            src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((j + 0.5) * scale - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        lo.append(i0)
        hi.append(min(i0 + 1, n_in - 1))
        lam.append(src - i0)
    shape = [1] * x.dim()
    shape[d] = n_out
    w = _C.tensor(lam, dtype=x.dtype, device=x.device).view(shape)
    a, b = x.index_select(d, _index(lo, x)), x.index_select(d, _index(hi, x))
    return a + (b - a) * w


_CUBIC_A = -0.75  # the cubic convolution coefficient PyTorch (and OpenCV) use


def _cubic_weights(t):
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 for fractional position t."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _cubic_along(x, d, n_in, n_out, scale, align_corners):
    """Bicubic resampling of dim d: 4 taps per output point, indices clamped at the borders."""
    taps = [[] for _ in range(4)]
    weights = [[] for _ in range(4)]
    for j in range(n_out):
        if align_corners:
            src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = (j + 0.5) * scale - 0.5  # not clamped at 0, unlike the linear modes
        i0 = int(math.floor(src))
        for k, w in enumerate(_cubic_weights(src - i0)):
            taps[k].append(min(max(i0 - 1 + k, 0), n_in - 1))
            weights[k].append(w)
    shape = [1] * x.dim()
    shape[d] = n_out
    out = None
    for idx, w in zip(taps, weights):
        term = x.index_select(d, _index(idx, x)) * _C.tensor(w, dtype=x.dtype, device=x.device).view(shape)
        out = term if out is None else out + term
    return out


def _complex_resampling_kernel(mode, ndim):
    """The kernel PyTorch's (real-only) interpolation names when it refuses complex input: 2-D
    nearest and bilinear have kernels of their own, the rest share the index/weight helpers."""
    if ndim == 4 and mode in ("nearest", "nearest-exact", "bilinear"):
        return f"upsample_{mode.removesuffix('-exact')}2d_channels_last"
    kind = {"nearest-exact": "nearest", "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}
    return f"compute_indices_weights_{kind.get(mode, mode)}"


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resamples (N, C, W), (N, C, H, W) or (N, C, D, H, W) input to `size` or by `scale_factor`.

    Modes: 'nearest' (PyTorch's floor(dst * in/out) rule), 'nearest-exact', 'area' (adaptive
    average pooling), 'linear' (3-D), 'bilinear' and 'bicubic' (4-D) and 'trilinear' (5-D), with
    align_corners False (half-pixel centres) or True (corner pixels aligned). Each spatial dim is
    resampled in turn (all these modes are separable).

    >>> import ferrotorch as torch
    >>> x = torch.tensor([[[0.0, 1.0]]])
    >>> torch.nn.functional.interpolate(x, size=4, mode="linear").tolist()
    [[[0.0, 0.25, 0.75, 1.0]]]
    """
    linear_modes = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("Anti-alias option is not supported by ferrotorch's interpolate")
    if mode in linear_modes and input.dim() in (3, 4, 5) and linear_modes[mode] != input.dim():
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {linear_modes[mode]}D input")
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *linear_modes):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                                  f"area | nearest-exact (got {mode})")
    sizes, scales = _output_sizes(input, size, scale_factor, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, input.shape[2:]))}) and output ({', '.join(map(str, sizes))})")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
        from .pooling3d import adaptive_avg_pool3d
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[input.dim() - 3](input, sizes)
    if input.is_complex():
        raise NotImplementedError(f"\"{_complex_resampling_kernel(mode, input.dim())}\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    x = input
    for i, (n_out, scale) in enumerate(zip(sizes, scales)):
        d = 2 + i
        n_in = x.shape[d]
        if mode in ("nearest", "nearest-exact"):
            # 'nearest' reads floor(j * scale) (PyTorch's legacy rule), 'nearest-exact' the pixel
            # whose centre is nearest: floor((j + 0.5) * scale).
            half = 0.5 if mode == "nearest-exact" else 0.0
            idx = [min(int(math.floor((j + half) * scale)), n_in - 1) for j in range(n_out)]
            x = x.index_select(d, _index(idx, x))
        elif mode == "bicubic":
            x = _cubic_along(x, d, n_in, n_out, scale, bool(align_corners))
        else:
            x = _linear_along(x, d, n_in, n_out, scale, bool(align_corners))
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of `interpolate`."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: `interpolate(..., mode='nearest')`."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: `interpolate(..., mode='bilinear', align_corners=True)`."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    *batch, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    nb = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    perm = list(range(nb + 1)) + [nb + 3, nb + 1, nb + 4, nb + 2]
    return x.permute(perm).reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    *batch, c, hr, wr = input.shape
    if hr % r != 0:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={hr} is not divisible by {r}")
    if wr % r != 0:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={wr} is not divisible by {r}")
    nb = len(batch)
    x = input.reshape(*batch, c, hr // r, r, wr // r, r)
    perm = list(range(nb + 1)) + [nb + 2, nb + 4, nb + 1, nb + 3]
    return x.permute(perm).reshape(*batch, c * r * r, hr // r, wr // r)
