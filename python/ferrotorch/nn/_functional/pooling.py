"""Pooling: max (a fused values+indices kernel), average (sums over im2col windows), adaptive
average (two matrix products with averaging matrices), adaptive max (one max per output cell).
1-D forms run as 2-D ones with height 1.
"""
from ... import _C
from ._dtype_support import FLOATS, FLOATS_AND_LONG, dtype_name, require, require_float_mean
from .conv import _tuple
from .sampling import pad as _pad

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices"]


def _out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape: the last window must start inside the input or left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_tuple(v, n, name):
    """An int or an n-sequence as an n-tuple; PyTorch's pooling message for other lengths."""
    if isinstance(v, (list, tuple)) and len(v) not in (1, n):
        raise RuntimeError(f"{name}: kernel_size must either be a single int, or a tuple of "
                           f"{('two', 'three')[n - 2]} ints")
    return _tuple(v, n)


def _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name):
    if name == "max_pool2d" and input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k = _pool_tuple(kernel_size, 2, name)
    s = k if (stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)) else _tuple(stride, 2, "stride")
    p, d = _tuple(padding, 2, "padding"), _tuple(dilation, 2, "dilation")
    if any(v == 0 for v in s):
        # Checked first, as in PyTorch (a zero kernel_size with the default stride lands here too).
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    _check_pads(p, k, d)
    size = input.shape[-2:]
    out = [_out_size(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2)]
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size: ({input.shape[-3]}x{size[0]}x{size[1]}). Calculated output size: "
                           f"({input.shape[-3]}x{out[0]}x{out[1]}). Output size is too small")
    # Extra right/bottom padding so that every (ceil-mode) window lies inside the padded input.
    extra = [max(0, (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (size[i] + 2 * p[i])) for i in range(2)]
    return k, s, p, d, out, extra


def _check_pads(p, k, d):
    """PyTorch's padding checks for max and average pooling (average pooling passes dilation 1)."""
    for v in p:
        if v < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {v}")
    for i in range(len(k)):
        if p[i] > ((k[i] - 1) * d[i] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")


def _windows(x, k, s, d, out):
    """(N, C, H', W') already padded -> (N, C, kh*kw, oh, ow)."""
    n, c = x.shape[0], x.shape[1]
    return _C._im2col(x, k, d, 0, s).view(n, c, k[0] * k[1], out[0], out[1])


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """Max pooling returning (values, flat indices into each input plane)."""
    k, s, p, d, out, _ = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    if input.numel() == 0:
        # Empty batch: nothing to pool (and the kernel mis-handles an empty view with a storage offset).
        shape = tuple(input.shape[:-2]) + tuple(out)
        values = _C.zeros(shape, dtype=input.dtype, device=input.device) + input.sum() * 0
        return values, _C.zeros(shape, dtype=_C.int64, device=input.device)
    if input.dim() == 3:
        values, indices = _C._max_pool2d(input.unsqueeze(0), k, s, p, d, ceil_mode)
        return values.squeeze(0), indices.squeeze(0)
    return _C._max_pool2d(input, k, s, p, d, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); `stride` defaults to `kernel_size`."""
    values, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def _as_2d(v, fill):
    """A 1-D pooling parameter as the (height, width) pair of its 2-D twin."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        if len(v) == 0:
            return None
        v = v[0]
    return (fill, int(v))


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """1-D max pooling returning (values, indices along the length)."""
    _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    values, indices = max_pool2d_with_indices(input.unsqueeze(-2), _as_2d(kernel_size, 1), _as_2d(stride, 1),
                                              _as_2d(padding, 0), _as_2d(dilation, 1), ceil_mode)
    return values.squeeze(-2), indices.squeeze(-2)


def _one(v, what):
    """A 1-D pooling parameter as an int; PyTorch's max_pool1d message for longer sequences."""
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise RuntimeError(f"max_pool1d() {what} must be an int, list of ints or tuple of ints of size 1 but "
                               f"got size {len(v)}")
        v = v[0]
    return int(v)


def _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool1d's own input and argument checks (PyTorch runs it on a separate 1-D path with these messages)."""
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _one(stride, "stride")
    p, d = _one(padding, "padding"), _one(dilation, "dilation")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _out_size(input.shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L)."""
    if not return_indices and dtype_name(input) not in FLOATS:
        # PyTorch's index-free 1-D kernel takes floats only; its with-indices path also takes integers.
        _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
        require(input, FLOATS, "max_pool1d_impl")
    values, indices = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling. The divisor is the window's size clipped to the padded input
    (count_include_pad=True) or to the input itself (False), or `divisor_override`."""
    k, s, p, d, out, extra = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    require(input, FLOATS_AND_LONG, "avg_pool2d")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    h, w = x.shape[2], x.shape[3]
    spec = (p[1], p[1] + extra[1], p[0], p[0] + extra[0])
    sums = _windows(_pad(x, spec), k, s, d, out).sum(2)
    if divisor_override is not None:
        result = _average(sums, divisor_override)
    else:
        # Count the cells each window averages over by pooling a mask the same way.
        mask = _C.ones((1, 1, h, w), dtype=x.dtype, device=x.device)
        if count_include_pad:
            mask = _pad(_pad(mask, (p[1], p[1], p[0], p[0]), value=1.0), (0, extra[1], 0, extra[0]))
        else:
            mask = _pad(mask, spec)
        counts = _windows(mask, k, s, d, out).sum(2)
        result = _average(sums, counts)
    return result if batched else result.squeeze(0)


def _average(sums, counts):
    """sums / counts; an integer average truncates toward zero, as PyTorch's int64 pooling kernels do."""
    if dtype_name(sums) in FLOATS:
        return sums / counts
    return sums.div(counts, rounding_mode="trunc")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for avg_pool1d)")
    if isinstance(kernel_size, (list, tuple)) and len(kernel_size) != 1:
        raise RuntimeError(f"avg_pool1d() argument 'kernel_size' should contain one int (got {len(kernel_size)})")
    return avg_pool2d(input.unsqueeze(-2), _as_2d(kernel_size, 1), _as_2d(stride, 1), _as_2d(padding, 0),
                      ceil_mode, count_include_pad).squeeze(-2)


def _adaptive_bounds(n_in, n_out):
    return [(i * n_in // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)]


def _averaging_matrix(n_in, n_out, like):
    """(n_out, n_in) matrix whose row i averages PyTorch's adaptive window i."""
    rows = []
    for a, b in _adaptive_bounds(n_in, n_out):
        rows.append([1.0 / (b - a) if a <= j < b else 0.0 for j in range(n_in)])
    return _C.tensor(rows, dtype=like.dtype, device=like.device).reshape(n_out, n_in)


def _adaptive_sizes(input, output_size, nsp, name, shown=None):
    """Checked output sizes of adaptive pooling, with PyTorch's messages. `shown` is the name and input
    shape PyTorch's messages use when its 1-D average pooling runs as the 2-D one."""
    is_max = "max" in name
    nd = input.dim()
    if nd not in (nsp + 1, nsp + 2):
        if nsp == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {name})")
        raise RuntimeError(f"{name}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got{':' if is_max else ''} "
                           f"{list(input.shape)}")
    shown_name, shape = shown or (name, list(input.shape))
    # PyTorch's 2-D adaptive average pooling accepts zero channels; the others need every non-batch dim.
    first = len(shape) - (2 if shown_name == "adaptive_avg_pool2d" else nsp + 1)
    for i in range(first, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{shown_name}(): Expected input to have non-zero size for non-batch dimensions, but "
                               f"input has sizes {shape} with dimension {i} being empty")
    if isinstance(output_size, (list, tuple)) and nsp == 1 and len(output_size) != 1:
        raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got {len(output_size)})")
    sizes = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * nsp
    if len(sizes) != nsp:
        if is_max:
            raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nsp}")
        raise RuntimeError(f"{name}: output_size must be {nsp}")
    sizes = [input.shape[-nsp + i] if v is None else int(v) for i, v in enumerate(sizes)]
    if any(v < 0 for v in sizes):
        full = [1] * (len(shape) - input.dim()) + sizes
        if is_max:
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: "
                               f"{shape[:len(shape) - len(full)] + full}")
        listed = ", ".join(map(str, full)) if len(full) < 3 else f"{full[0]}, {full[1]},{full[2]}"
        raise RuntimeError(f"{shown_name}: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{listed}}}")
    return sizes


def adaptive_avg_pool2d(input, output_size):
    """Averages PyTorch's adaptive windows [floor(i*in/out), ceil((i+1)*in/out)) in each spatial dim."""
    oh, ow = _adaptive_sizes(input, output_size, 2, "adaptive_avg_pool2d")
    require_float_mean(input, output_size, 2)
    if input.dtype.is_complex and (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)  # PyTorch's mean path, which takes complex input
    require(input, FLOATS, "adaptive_avg_pool2d", gpu_kernel="adaptive_avg_pool2d_cuda")
    ah = _averaging_matrix(input.shape[-2], oh, input)
    aw = _averaging_matrix(input.shape[-1], ow, input)
    return ah.matmul(input).matmul(aw.t())


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling over (N, C, L) or (C, L)."""
    shown = ("adaptive_avg_pool2d", list(input.shape[:-1]) + [1, input.shape[-1]]) if input.dim() in (2, 3) else None
    (o,) = _adaptive_sizes(input, output_size, 1, "adaptive_avg_pool1d", shown)
    require_float_mean(input, output_size, 1)
    if input.dtype.is_complex and o == 1:
        return input.mean(-1, keepdim=True)  # PyTorch's mean path, which takes complex input
    require(input, FLOATS, "adaptive_avg_pool2d", gpu_kernel="adaptive_avg_pool2d_cuda")
    return input.matmul(_averaging_matrix(input.shape[-1], o, input).t())


def _empty_pool(input, out, return_indices):
    """A pooling result with an empty spatial dim: nothing to pool, but still part of the graph."""
    shape = tuple(input.shape[:input.dim() - len(out)]) + tuple(out)
    values = _C.zeros(shape, dtype=input.dtype, device=input.device) + input.sum() * 0
    indices = _C.zeros(shape, dtype=_C.int64, device=input.device)
    return (values, indices) if return_indices else values


def _window_argmax(win):
    """PyTorch's pooling rule over the last dim, `val > max || isnan(val)`: the first maximum,
    or the last NaN when there is one (`max` would give the first NaN)."""
    first = win.max(-1)[1]
    nans = win.isnan()
    last_nan = (win.shape[-1] - 1) - nans.flip(-1).to(_C.int32).argmax(-1)
    return _C.where(nans.any(-1), last_nan, first)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive windows; indices are flat per input plane. Loops over output cells
    (fine for the small outputs adaptive pooling is used with)."""
    oh, ow = _adaptive_sizes(input, output_size, 2, "adaptive_max_pool2d")
    require(input, FLOATS, "adaptive_max_pool2d", gpu_kernel="adaptive_max_pool2d_cuda")
    h, w = input.shape[-2], input.shape[-1]
    if oh == 0 or ow == 0:
        return _empty_pool(input, (oh, ow), return_indices)
    vals, idxs = [], []
    for a, b in _adaptive_bounds(h, oh):
        for c, e in _adaptive_bounds(w, ow):
            win = input[..., a:b, c:e].flatten(-2)
            i = _window_argmax(win)
            vals.append(win.gather(-1, i.unsqueeze(-1)).squeeze(-1))
            idxs.append((i // (e - c) + a) * w + i % (e - c) + c)
    values = _C.stack(vals, -1).unflatten(-1, (oh, ow))
    indices = _C.stack(idxs, -1).unflatten(-1, (oh, ow))
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling over (N, C, L) or (C, L)."""
    (o,) = _adaptive_sizes(input, output_size, 1, "adaptive_max_pool1d")
    require(input, FLOATS, "adaptive_max_pool2d", gpu_kernel="adaptive_max_pool2d_cuda")
    values, indices = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True)
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values
