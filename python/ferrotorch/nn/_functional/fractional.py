"""Fractional max pooling (Graham, 2014): max over windows of a fixed size whose start positions are
spread pseudo-randomly so that the output has any requested size (not only input / stride).

Each (sample, channel) plane gets its own random number u in [0, 1) per spatial dim; the window
starts are `floor((i + u) * alpha) - floor(u * alpha)` with `alpha = (in - k) / (out - 1)`, the last
window ending at the input's edge, as in PyTorch. The starts are computed with tensor ops in the
input's dtype (PyTorch computes them in that precision too, so explicit `_random_samples` give the
same windows), then one gather reads every window and an argmax picks its maximum; the values are a
second gather at those indices, so autograd routes the gradient to the chosen elements. Everything
stays on the input's device.
"""
from ... import _C
from .conv import _tuple

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _as_tuple(v, n):
    """`v` repeated n times, or `v` itself as a tuple when it is a sequence (floats kept)."""
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _output_size(input, n, output_size, output_ratio, name):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if isinstance(output_ratio, (list, tuple)) and len(output_ratio) > n:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _as_tuple(output_ratio, n)
        return tuple(int(input.shape[input.dim() - n + i] * ratio[i]) for i in range(n))
    return _tuple(output_size, n)


def _window_starts(u, size_in, size_out, k):
    """(..., size_out) int64 window starts for the per-plane samples `u` (...,)."""
    if size_out == 1:
        return _C.full(tuple(u.shape) + (1,), size_in - k, dtype=_C.int64, device=u.device)
    i = _C.arange(size_out - 1, device=u.device, dtype=u.dtype)
    # alpha rounded to the input's dtype first, as PyTorch evaluates it in that type.
    alpha = _C.tensor(size_in - k, dtype=u.dtype, device=u.device) / (size_out - 1)
    u = u.unsqueeze(-1)
    starts = ((i + u) * alpha).floor() - (u * alpha).floor()
    last = _C.full(tuple(starts.shape[:-1]) + (1,), size_in - k, dtype=_C.int64, device=u.device)
    return _C.cat([starts.to(_C.int64), last], -1)


def _fractional(input, kernel_size, output_size, output_ratio, _random_samples, n, name):
    op = f"{name}()" if n == 2 else f"{name}_out()"
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: Expected {n + 1}D or {n + 2}D tensor, but got: {list(input.shape)}")
    k = _tuple(kernel_size, n)
    out = _output_size(input, n, output_size, output_ratio, name)
    batched = input.dim() == n + 2
    x = input if batched else input.unsqueeze(0)
    nb, c = x.shape[0], x.shape[1]
    size = tuple(x.shape[2:])
    if _random_samples is None:
        if not input.is_floating_point():
            raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{_type_name(input)}'")
        _random_samples = _C.rand(nb, c, n, dtype=input.dtype, device=input.device)
    s = _random_samples
    if s.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if s.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {s.dim()}")
    if s.shape[0] < nb:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {s.shape[2]}.")
    for i in range(n):
        if out[i] + k[i] - 1 > size[i]:
            raise RuntimeError(f"{op}: pool {_DIM_NAMES[n][i]} {k[i]} too large relative to input "
                               f"{_DIM_NAMES[n][i]} {size[i]}")
    s = s[:nb]
    # PyTorch's sample order: (width, height) for 2-D, (time, height, width) for 3-D.
    order = (1, 0) if n == 2 else (0, 1, 2)
    # Flat in-plane index of every element of every window: (N, C, out..., k...).
    flat = None
    stride = 1
    for d in range(n - 1, -1, -1):
        starts = _window_starts(s[..., order[d]], size[d], out[d], k[d])  # (N, C, out_d)
        pos = (starts.unsqueeze(-1) + _C.arange(k[d], device=x.device)) * stride  # (N, C, out_d, k_d)
        shape = [nb, c] + [1] * (2 * n)
        shape[2 + d], shape[2 + n + d] = out[d], k[d]
        pos = pos.reshape(shape)
        flat = pos if flat is None else flat + pos
        stride *= size[d]
    numel_k, numel_out, numel_in = 1, 1, 1
    for a, b, e in zip(k, out, size):
        numel_k, numel_out, numel_in = numel_k * a, numel_out * b, numel_in * e
    plane = x.reshape(nb, c, numel_in)
    if numel_out * nb * c == 0:
        values = _C.zeros((nb, c) + out, dtype=x.dtype, device=x.device) + x.sum() * 0
        indices = _C.zeros((nb, c) + out, dtype=_C.int64, device=x.device)
    else:
        flat = flat.expand((nb, c) + out + k).reshape(nb, c, numel_out, numel_k)
        windows = plane.detach().gather(-1, flat.reshape(nb, c, numel_out * numel_k)).reshape(nb, c, numel_out, numel_k)
        # A NaN wins its window, as in PyTorch; otherwise the first maximum.
        pick = _C.where(windows.isnan(), _C.full((), float("inf"), dtype=x.dtype, device=x.device), windows)
        arg = pick.argmax(-1, keepdim=True)
        indices = flat.gather(-1, arg).squeeze(-1)  # (N, C, numel_out)
        values = plane.gather(-1, indices).reshape((nb, c) + out)
        indices = indices.reshape((nb, c) + out)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def _type_name(t):
    return {"torch.int64": "Long", "torch.int32": "Int", "torch.bool": "Bool", "torch.int16": "Short",
            "torch.int8": "Char", "torch.uint8": "Byte"}.get(str(t.dtype), str(t.dtype))


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """2-D fractional max pooling of (N, C, H, W) or (C, H, W); returns (values, indices), indices
    flat over each input plane. `_random_samples` (N, C, 2), in [0, 1), fixes the windows.

        >>> import ferrotorch as torch
        >>> x = torch.arange(25.).reshape(1, 1, 5, 5)
        >>> s = torch.full((1, 1, 2), 0.5)
        >>> torch.nn.functional.fractional_max_pool2d_with_indices(x, 2, (2, 2), _random_samples=s)[1]
        tensor([[[[ 6,  9],
                  [21, 24]]]])
    """
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """2-D fractional max pooling; give exactly one of `output_size` / `output_ratio`.
    The result is `values`, or `(values, indices)` with `return_indices=True`."""
    values, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         return_indices, _random_samples)
    return (values, indices) if return_indices else values


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """3-D fractional max pooling of (N, C, T, H, W) or (C, T, H, W); returns (values, indices), indices
    flat over each input volume. `_random_samples` is (N, C, 3)."""
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3, "fractional_max_pool3d")


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-D fractional max pooling; `values`, or `(values, indices)` with `return_indices=True`."""
    values, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         return_indices, _random_samples)
    return (values, indices) if return_indices else values
