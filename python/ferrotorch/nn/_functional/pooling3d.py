"""3-D pooling composed from the 2-D kernels.

A 3-D window is (depth taps) x (2-D window), and max and sum both split over that product: max_pool3d
takes one 2-D max pool per depth tap (depths folded into the channels) and then the max over the taps;
avg_pool3d adds the depth taps' slices and sums the 2-D windows with im2col. Adaptive pooling uses
averaging matrices (average) or one max per output cell (max), as the 2-D forms do.
"""
from ... import _C
from .conv import _tuple
from ._dtype_support import ALL_BUT_BOOL, FLOATS, FLOATS_AND_LONG, dtype_name, require, require_float_mean
from .pooling import (_adaptive_bounds, _adaptive_sizes, _average, _averaging_matrix, _check_pads, _empty_pool,
                      _out_size, _windows)
from .pooling import max_pool2d_with_indices
from .sampling import pad as _pad

__all__ = ["max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "adaptive_max_pool3d_with_indices"]


def _geometry3d(input, kernel_size, stride, padding, dilation, ceil_mode, name):
    """Checks as PyTorch's pool3d_shape_check; returns (k, s, p, d, out, extra) per spatial dim."""
    if isinstance(kernel_size, (list, tuple)) and len(kernel_size) not in (1, 3):
        either = "either " if name == "max_pool3d" else ""
        raise RuntimeError(f"{name}: kernel_size must {either}be a single int, or a tuple of three ints")
    k = _tuple(kernel_size, 3, "kernel_size")
    s = k if (stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)) \
        else _tuple(stride, 3, "stride")
    p, d = _tuple(padding, 3, "padding"), _tuple(dilation, 3, "dilation")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: {k[1]} kW: {k[2]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} dW: {s[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                           f"dilationW: {d[2]}")
    if input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    for i in range(1 if input.dim() == 5 else 0, input.dim()):
        if input.shape[i] == 0:
            where = "max_pool3d_with_indices_out_cpu_template" if name == "max_pool3d" else name
            raise RuntimeError(f"{where}(): Expected input to have non-zero size for non-batch dimensions, but "
                               f"input has sizes {list(input.shape)} with dimension {i} being empty")
    size = list(input.shape[-3:])
    if name == "avg_pool3d" and any(size[i] < k[i] for i in range(3)):
        raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    _check_pads(p, k, d)
    out = [_out_size(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3)]
    if any(o < 1 for o in out):
        c = input.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{size[0]}x{size[1]}x{size[2]}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    # Extra back/bottom/right padding so that every (ceil-mode) window lies inside the padded input.
    extra = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (size[i] + 2 * p[i])) for i in range(3)]
    return k, s, p, d, out, extra


def _depth_tap(x, i, d, s, od):
    """The od depth slices that depth tap i reads from an already depth-padded (N, C, D', H, W) input."""
    start = i * d
    return x[:, :, start:start + (od - 1) * s + 1:s]


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """3-D max pooling returning (values, indices flattened over each input volume D*H*W)."""
    k, s, p, d, out, extra = _geometry3d(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")
    # PyTorch's CUDA kernel takes floats only (and the depth padding needs a float or integer lowest value).
    require(input, ALL_BUT_BOOL, "max_pool3d", gpu_kernel="max_pool3d_with_indices_out_frame")
    batched = input.dim() == 5
    x = input if batched else input.unsqueeze(0)
    n, c, depth, h, w = x.shape
    od, oh, ow = out
    # Depth padding reads as the dtype's lowest value, so it never wins a max (the 2-D kernel pads H and W
    # itself; every window holds at least one real element).
    xp = _pad(x, (0, 0, 0, 0, p[0], p[0] + extra[0]), value=_lowest(x))
    values, indices = [], []
    for i in range(k[0]):
        sl = _depth_tap(xp, i, d[0], s[0], od).reshape(n, c * od, h, w)
        v, ix = max_pool2d_with_indices(sl, k[1:], s[1:], p[1:], d[1:], ceil_mode)
        # The input depth each output depth reads at this tap, to turn plane indices into volume indices.
        z = _C.arange(od, dtype=_C.int64, device=x.device) * s[0] + (i * d[0] - p[0])
        values.append(v.reshape(n, c, od, oh, ow))
        indices.append(ix.reshape(n, c, od, oh, ow) + z.view(1, 1, od, 1, 1) * (h * w))
    if len(values) == 1:
        vals, idx = values[0], indices[0]
    else:
        # The first tap wins ties, as in PyTorch's scan order (depth, then height, then width).
        vals, which = _C.stack(values, 0).max(0)
        idx = _C.stack(indices, 0).gather(0, which.unsqueeze(0)).squeeze(0)
    if not batched:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return vals, idx


def _lowest(x):
    if dtype_name(x) in FLOATS:
        return float("-inf")
    from ..._dtype_info import iinfo
    return iinfo(x.dtype).min


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W); `stride` defaults to `kernel_size`.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.max_pool3d(torch.arange(8.).view(1, 1, 2, 2, 2), 2).flatten().tolist()
    [7.0]
    """
    values, indices = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def _window_sums(xp, k, s, out):
    """Sums of every (k0, k1, k2) window of an already padded (N, C, D', H', W') tensor."""
    n, c = xp.shape[0], xp.shape[1]
    od, oh, ow = out
    acc = None
    for i in range(k[0]):
        sl = _depth_tap(xp, i, 1, s[0], od)
        acc = sl if acc is None else acc + sl
    flat = acc.reshape(n, c * od, acc.shape[3], acc.shape[4])
    return _windows(flat, k[1:], s[1:], (1, 1), out[1:]).sum(2).reshape(n, c, od, oh, ow)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W). The divisor is the window's size clipped
    to the padded input (count_include_pad=True) or to the input itself (False), or `divisor_override`.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.avg_pool3d(torch.arange(8.).view(1, 2, 2, 2), 2).flatten().tolist()
    [3.5]
    """
    k, s, p, _, out, extra = _geometry3d(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    # PyTorch's CPU avg_pool3d has no half-precision kernel (its 2-D one does).
    require(input, FLOATS_AND_LONG - {"float16", "bfloat16"}, "avg_pool3d_out_frame")
    batched = input.dim() == 5
    x = input if batched else input.unsqueeze(0)
    spec = (p[2], p[2] + extra[2], p[1], p[1] + extra[1], p[0], p[0] + extra[0])
    sums = _window_sums(_pad(x, spec), k, s, out)
    if divisor_override is not None:
        result = _average(sums, divisor_override)
    else:
        # Count the cells each window averages over by pooling a mask the same way.
        mask = _C.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        if count_include_pad:
            mask = _pad(mask, (p[2], p[2], p[1], p[1], p[0], p[0]), value=1.0)
            mask = _pad(mask, (0, extra[2], 0, extra[1], 0, extra[0]))
        else:
            mask = _pad(mask, spec)
        result = _average(sums, _window_sums(mask, k, s, out))
    return result if batched else result.squeeze(0)


def adaptive_avg_pool3d(input, output_size):
    """Averages PyTorch's adaptive windows [floor(i*in/out), ceil((i+1)*in/out)) in each of D, H, W.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.adaptive_avg_pool3d(torch.ones(1, 2, 3, 4), 1).shape
    torch.Size([1, 1, 1, 1])
    """
    od, oh, ow = _adaptive_sizes(input, output_size, 3, "adaptive_avg_pool3d")
    require_float_mean(input, output_size, 3)
    require(input, FLOATS, "adaptive_avg_pool3d_cpu", gpu_kernel="adaptive_avg_pool3d_cuda")
    depth, h, w = input.shape[-3:]
    ad = _averaging_matrix(depth, od, input)
    ah = _averaging_matrix(h, oh, input)
    aw = _averaging_matrix(w, ow, input)
    # Depth first, with H*W flattened, then the 2-D averaging on the last two dims.
    x = ad.matmul(input.flatten(-2)).unflatten(-1, (h, w))
    return ah.matmul(x).matmul(aw.t())


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """Adaptive 3-D max pooling returning (values, indices flattened over each input volume)."""
    od, oh, ow = _adaptive_sizes(input, output_size, 3, "adaptive_max_pool3d")
    require(input, FLOATS, "adaptive_max_pool3d_cpu", gpu_kernel="adaptive_max_pool3d_cuda")
    depth, h, w = input.shape[-3:]
    if 0 in (od, oh, ow):
        return _empty_pool(input, (od, oh, ow), True)
    vals, idxs = [], []
    # One max per output cell: adaptive pooling is used with small outputs.
    for a0, b0 in _adaptive_bounds(depth, od):
        for a1, b1 in _adaptive_bounds(h, oh):
            for a2, b2 in _adaptive_bounds(w, ow):
                v, i = input[..., a0:b0, a1:b1, a2:b2].flatten(-3).max(-1)
                hw = (b1 - a1) * (b2 - a2)
                z, rest = i // hw, i % hw
                y, x = rest // (b2 - a2), rest % (b2 - a2)
                vals.append(v)
                idxs.append(((z + a0) * h + y + a1) * w + x + a2)
    values = _C.stack(vals, -1).unflatten(-1, (od, oh, ow))
    indices = _C.stack(idxs, -1).unflatten(-1, (od, oh, ow))
    return values, indices


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W)."""
    values, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (values, indices) if return_indices else values
