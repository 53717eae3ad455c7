"""Spatial transformer sampling and channel shuffling: affine_grid, grid_sample, channel_shuffle.

grid_sample is a gather: every output point reads its 2**n neighbouring input cells (n = 2 or 3
spatial dims) from the flattened input and mixes them with (bi/tri)linear weights. The weights are
elementwise functions of the grid, so autograd gives the gradient w.r.t. the grid, and gather's
backward (a scatter-add) gives the gradient w.r.t. the input. Nothing leaves the device.
"""
import math
import warnings

from ... import _C

__all__ = ["affine_grid", "grid_sample", "channel_shuffle", "native_channel_shuffle"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def channel_shuffle(input, groups):
    """Splits the C channels of (N, C, *) into `groups` groups and interleaves them:
    channel g*(C/groups) + i moves to i*groups + g.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.channel_shuffle(torch.arange(4.).view(1, 4, 1), 2).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups != 0:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle


def _base_coords(n, align_corners, like):
    """The n normalised sample positions in [-1, 1] along one output dim (0 for a single point)."""
    if n <= 1:
        return _C.zeros(max(n, 0), dtype=like.dtype, device=like.device)
    i = _C.arange(n, dtype=like.dtype, device=like.device)
    if align_corners:
        return i * (2.0 / (n - 1)) - 1.0
    # Cell centres: linspace(-1, 1, n) * (n - 1) / n.
    return (i * 2.0 + 1.0) / n - 1.0


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps `theta` (N, 2, 3) (or
    (N, 3, 4)) applied to the output's normalised coordinates, for `grid_sample`.

    >>> import ferrotorch as torch
    >>> theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> torch.nn.functional.affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, 0].tolist()
    [[-1.0, -1.0], [1.0, -1.0]]
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size) if not isinstance(size, (list, tuple)) else size
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = [int(v) for v in size[2:]]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(int(v) for v in size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n = int(size[0])
    nsp = len(spatial)
    # Homogeneous base grid (prod(spatial), nsp + 1) with columns (x, y[, z], 1); x runs along the last dim.
    cols = []
    for j in range(nsp):
        d = nsp - 1 - j  # the output dim that grid component j runs along
        view = [1] * nsp
        view[d] = spatial[d]
        cols.append(_base_coords(spatial[d], align_corners, theta).view(view).expand(spatial))
    cols.append(_C.ones(spatial, dtype=theta.dtype, device=theta.device))
    base = _C.stack(cols, -1).reshape(1, math.prod(spatial), nsp + 1)
    grid = base.matmul(theta.transpose(1, 2))  # (N, prod(spatial), nsp)
    return grid.reshape([n] + spatial + [nsp])


def _unnormalize(c, size, align_corners):
    if align_corners:
        return (c + 1.0) * ((size - 1) / 2.0)
    return ((c + 1.0) * size - 1.0) / 2.0


def _reflect(c, twice_low, twice_high):
    """Reflects coordinates into [twice_low/2, twice_high/2], differentiably (slope +-1)."""
    if twice_low == twice_high:
        return c * 0.0
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    c = (c - low).abs()
    extra = c.fmod(span)
    flips = (c / span).floor()
    even = flips.remainder(2.0) == 0
    return _C.where(even, extra + low, (span - extra) + low)


def _source_coord(c, size, padding_mode, align_corners):
    """Grid values along one dim -> input-pixel coordinates, with border/reflection applied."""
    c = _unnormalize(c, size, align_corners)
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            c = _reflect(c, 0, 2 * (size - 1))
        else:
            c = _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def _check_grid_sample(input, grid, mode, padding_mode):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    nsp = input.dim() - 2
    if grid.shape[-1] != nsp:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nsp} in last dimension, but got grid with "
                           f"sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {i} being empty")
    if mode == "bicubic":
        if nsp != 2:
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        raise NotImplementedError("grid_sample: mode='bicubic' is not implemented in ferrotorch yet")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples `input` (N, C, H, W) at the normalised positions `grid` (N, H_out, W_out, 2) (x, y in
    [-1, 1]; 5-D: (N, C, D, H, W) with (N, D_out, H_out, W_out, 3)). Modes 'bilinear' and 'nearest';
    padding 'zeros', 'border' or 'reflection'.

    >>> import ferrotorch as torch
    >>> img = torch.arange(4.).view(1, 1, 2, 2)
    >>> grid = torch.zeros(1, 1, 1, 2)
    >>> torch.nn.functional.grid_sample(img, grid, align_corners=True).item()
    1.5
    """
    _check_grid_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    nsp = input.dim() - 2
    n, c = input.shape[0], input.shape[1]
    sizes = list(input.shape[2:])
    out_sp = list(grid.shape[1:-1])
    length = math.prod(out_sp)
    flat = input.reshape(n, c, math.prod(sizes))
    g = grid.reshape(n, length, nsp)
    # Input dim j (D, H, W order) is read from grid component nsp-1-j (grids list x first).
    coords = [_source_coord(g[..., nsp - 1 - j], sizes[j], padding_mode, align_corners) for j in range(nsp)]
    strides = [math.prod(sizes[j + 1:]) for j in range(nsp)]

    def tap(idx, weight):
        """weight * input at integer cell indices idx (a list of (N, L) float tensors), 0 outside."""
        valid = None
        lin = None
        for j in range(nsp):
            ok = (idx[j] >= 0) & (idx[j] <= sizes[j] - 1)
            valid = ok if valid is None else valid & ok
            term = idx[j].clamp(0, sizes[j] - 1).long() * strides[j]
            lin = term if lin is None else lin + term
        vals = flat.gather(2, lin.unsqueeze(1).expand(n, c, length))
        weight = _C.where(valid, weight, weight * 0.0)
        return vals * weight.unsqueeze(1)

    if mode == "nearest":
        # Round half to even, as PyTorch's nearbyint; the gradient w.r.t. the grid is zero.
        idx = [co.detach().round() for co in coords]
        out = tap(idx, _C.ones_like(coords[0].detach()))
    else:
        lows = [co.detach().floor() for co in coords]
        fracs = [co - lo for co, lo in zip(coords, lows)]
        out = None
        for corner in range(2 ** nsp):
            idx, weight = [], None
            for j in range(nsp):
                upper = (corner >> j) & 1
                idx.append(lows[j] + upper)
                w = fracs[j] if upper else 1.0 - fracs[j]
                weight = w if weight is None else weight * w
            part = tap(idx, weight)
            out = part if out is None else out + part
    return out.reshape([n, c] + out_sp)
