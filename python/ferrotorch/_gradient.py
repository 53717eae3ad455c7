"""torch.gradient: derivative estimates by finite differences, as numpy.gradient.

Interior points use second-order central differences (weighted for unevenly spaced coordinates);
the two boundary points use one-sided differences of order `edge_order` (1 or 2). Everything is
slicing and arithmetic along one dim, so it is differentiable and runs on any device.

    >>> import ferrotorch as torch
    >>> torch.gradient(torch.tensor([1.0, 2.0, 4.0, 8.0]))[0].tolist()
    [1.0, 1.5, 3.0, 4.0]
"""
from numbers import Number

from . import _C
from ._dims import wrap_dim as _wrap_dim
from ._math_composites import _along, _requires_tensor

__all__ = ["gradient"]


def _column(v, d, ndim):
    """A 1-D tensor shaped to broadcast along dim `d` of an `ndim`-dim tensor."""
    return v.reshape([-1 if i == d else 1 for i in range(ndim)])


def _uniform(f, d, h, edge_order):
    n = f.shape[d]
    inner = (_along(f, d, 2) - _along(f, d, None, n - 2)) / (2.0 * h)
    f0, f1, f2 = _along(f, d, 0, 1), _along(f, d, 1, 2), _along(f, d, 2, 3)
    l0, l1, l2 = _along(f, d, n - 1, n), _along(f, d, n - 2, n - 1), _along(f, d, n - 3, n - 2)
    if edge_order == 1:
        first, last = (f1 - f0) / h, (l0 - l1) / h
    else:
        first = (f0 * -1.5 + f1 * 2.0 - f2 * 0.5) / h
        last = (l2 * 0.5 - l1 * 2.0 + l0 * 1.5) / h
    return _C.cat([first, inner, last], d)


def _coordinates(f, d, x, edge_order):
    n, ndim = f.shape[d], f.dim()
    dx = x[1:] - x[:-1]
    # Central differences weighted for the left step hl and right step hr of each interior point.
    hl, hr = _column(dx[:-1], d, ndim), _column(dx[1:], d, ndim)
    inner = (_along(f, d, None, n - 2) * (-hr / (hl * (hl + hr)))
             + _along(f, d, 1, n - 1) * ((hr - hl) / (hl * hr))
             + _along(f, d, 2) * (hl / (hr * (hl + hr))))
    f0, f1, f2 = _along(f, d, 0, 1), _along(f, d, 1, 2), _along(f, d, 2, 3)
    l0, l1, l2 = _along(f, d, n - 1, n), _along(f, d, n - 2, n - 1), _along(f, d, n - 3, n - 2)
    if edge_order == 1:
        first = (f1 - f0) / dx[0]
        last = (l0 - l1) / dx[-1]
    else:
        a, b = dx[0], dx[1]
        first = (f0 * (-(2.0 * a + b) / (a * (a + b))) + f1 * ((a + b) / (a * b))
                 + f2 * (-a / (b * (a + b))))
        a, b = dx[-2], dx[-1]
        last = (l2 * (b / (a * (a + b))) + l1 * (-(a + b) / (a * b))
                + l0 * ((2.0 * b + a) / (b * (a + b))))
    return _C.cat([first, inner, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimates the derivative of `input` along each dim in `dim` (default: all), returning one
    tensor per dim. `spacing` is a number (the step of every dim), a list with one number per dim,
    or a list with one 1-D tensor of coordinates per dim.

        >>> import ferrotorch as torch
        >>> t = torch.tensor([[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]])
        >>> [g.tolist() for g in torch.gradient(t, spacing=[1.0, 2.0])]
        [[[1.0, 2.0, 4.0], [1.0, 2.0, 4.0]], [[0.5, 0.75, 1.0], [1.0, 1.5, 2.0]]]
    """
    _requires_tensor("gradient", 1, "input", input)
    if dim is None:
        dims = list(range(input.dim()))
    elif isinstance(dim, int):
        dims = [dim]
    else:
        dims = list(dim)
    dims = [_wrap_dim(d, input.dim()) for d in dims]
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if isinstance(spacing, (Number, _C.Tensor)) and not (isinstance(spacing, _C.Tensor) and spacing.dim()):
        spacings = [spacing] * len(dims)
    else:
        spacings = list(spacing)
        if len(spacings) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacings)} and a dim argument "
                               f"of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    f = input if input.dtype.is_floating_point or input.dtype.is_complex else input.to(_C.get_default_dtype())
    results = []
    for d, h in zip(dims, spacings):
        if isinstance(h, _C.Tensor) and h.dim() > 0:
            if h.dim() != 1 or h.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be a 1-D tensor of the "
                                   f"size of its dimension ({input.shape[d]}), but got a tensor of "
                                   f"shape {list(h.shape)}")
            if h.device != input.device:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device, "
                                   f"but got devices {input.device} and {h.device}!")
            results.append(_coordinates(f, d, h if h.dtype.is_floating_point else h.to(f.dtype),
                                        edge_order))
        else:
            results.append(_uniform(f, d, h.item() if isinstance(h, _C.Tensor) else h, edge_order))
    return tuple(results)
