"""Max unpooling (the partial inverse of max pooling) and power-average (LP) pooling.

max_unpool scatters each value to the flat position its max-pool index names, into a zero volume;
scatter's backward is a gather, so the gradient flows back to the pooled values. lp_pool is
(sum of x**p over the window)**(1/p), computed exactly as PyTorch composes it (average pooling of x**p
times the kernel's size), so partial ceil-mode windows scale the same way.
"""
import math

from ... import _C
from .conv import _tuple
from .pooling import avg_pool1d, avg_pool2d
from .pooling3d import avg_pool3d

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's rule: (in-1)*stride + kernel - 2*padding, or a requested size within +-stride of it."""
    n = len(kernel_size)
    default = [(input.shape[input.dim() - n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(n)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                         f"length of '{len(output_size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return [int(v) for v in output_size]


def _check_indices(indices, size):
    """PyTorch's CPU check that every index lands inside the output volume (one host sync)."""
    volume = math.prod(size)
    if indices.numel() == 0 or volume == 0:
        return
    bad = (indices < 0) | (indices >= volume)
    if bool(bad.any()):
        first = int(indices.reshape(-1)[bad.reshape(-1).nonzero()[0, 0]])
        raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                           f"{'x'.join(str(s) for s in size)})")


def _unpool(input, indices, size, name, dims):
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to {name} should be a {dims + 1}d or {dims + 2}d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    if indices.dtype != _C.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {str(indices.dtype).split('.')[-1]}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: ({list(indices.shape)})")
    lead = tuple(input.shape[:-dims])
    _check_indices(indices, size)
    flat_in = input.reshape(lead + (-1,))
    out = _C.zeros(lead + (math.prod(size),), dtype=input.dtype, device=input.device)
    out = out.scatter(-1, indices.reshape(lead + (-1,)), flat_in)
    return out.reshape(lead + tuple(size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool1d: (N, C, L) or (C, L) values placed at their indices, zeros elsewhere."""
    k = _tuple(kernel_size, 1, "kernel_size")
    s = _tuple(stride, 1, "stride") if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 1, "padding"), output_size)
    # PyTorch runs it as the 2-D op with a trailing width of 1, hence the 2-D op's messages.
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1], "max_unpooling2d", 2).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool2d: (N, C, H, W) or (C, H, W) values placed at their flat plane indices.

    >>> import ferrotorch as torch
    >>> F = torch.nn.functional
    >>> v, i = F.max_pool2d(torch.arange(4.).view(1, 1, 2, 2), 2, return_indices=True)
    >>> F.max_unpool2d(v, i, 2).flatten().tolist()
    [0.0, 0.0, 0.0, 3.0]
    """
    k = _tuple(kernel_size, 2, "kernel_size")
    s = _tuple(stride, 2, "stride") if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 2, "padding"), output_size)
    return _unpool(input, indices, size, "max_unpooling2d", 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool3d: (N, C, D, H, W) or (C, D, H, W) values placed at their flat volume indices."""
    k = _tuple(kernel_size, 3, "kernel_size")
    s = _tuple(stride, 3, "stride") if stride is not None else k
    size = _unpool_output_size(input, k, s, _tuple(padding, 3, "padding"), output_size)
    return _unpool(input, indices, size, "max_unpooling3d", 3)


def _lp_finish(avg, norm_type, window):
    # sign(a) * relu(|a|) is `a` itself, written PyTorch's way so the gradient at 0 agrees too.
    return (avg.sign() * avg.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, L) or (C, L): (sum over each window of x**p)**(1/p)."""
    (k,) = _tuple(kernel_size, 1, "kernel_size")
    avg = avg_pool1d(input.pow(norm_type), k, stride if stride is not None else k, 0, ceil_mode)
    return _lp_finish(avg, norm_type, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, H, W) or (C, H, W): (sum over each window of x**p)**(1/p).

    >>> import ferrotorch as torch
    >>> torch.nn.functional.lp_pool2d(torch.full((1, 2, 2), 2.0), 2, 2).flatten().tolist()
    [4.0]
    """
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    avg = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return _lp_finish(avg, norm_type, kh * kw)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    kd, kh, kw = _tuple(kernel_size, 3, "kernel_size")
    avg = avg_pool3d(input.pow(norm_type), (kd, kh, kw), stride, 0, ceil_mode)
    return _lp_finish(avg, norm_type, kd * kh * kw)
