"""F.affine_grid and F.grid_sample against per-pixel numpy formulas, on both devices; gradients w.r.t.
the input and the grid by gradcheck in float64."""
import itertools
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(11)


def dev(a, device, requires_grad=False):
    return torch.tensor(np.array(a, order="C")).to(device).requires_grad_(requires_grad)


def src_coord(v, size, padding, align):
    """Normalised grid value -> input coordinate, following PyTorch's documented rules."""
    x = (v + 1) / 2 * (size - 1) if align else ((v + 1) * size - 1) / 2
    if padding == "border":
        x = min(max(x, 0), size - 1)
    elif padding == "reflection":
        lo, hi = (0.0, size - 1.0) if align else (-0.5, size - 0.5)
        span = hi - lo
        if span == 0:
            x = 0.0
        else:
            d = abs(x - lo)
            flips, extra = math.floor(d / span), math.fmod(d, span)
            x = lo + extra if flips % 2 == 0 else hi - extra
        x = min(max(x, 0), size - 1)
    return x


def np_grid_sample(inp, grid, mode, padding, align):
    """Loops over output points; (bi/tri)linear mixes of the 2**n neighbours, zero outside."""
    n, c = inp.shape[:2]
    sizes = inp.shape[2:]
    nsp = len(sizes)
    out = np.zeros((n, c) + grid.shape[1:-1])
    for b in range(n):
        for o in itertools.product(*[range(v) for v in grid.shape[1:-1]]):
            g = grid[(b,) + o]
            coords = [src_coord(g[nsp - 1 - j], sizes[j], padding, align) for j in range(nsp)]
            if mode == "nearest":
                cell = [int(np.rint(x)) for x in coords]
                if all(0 <= cell[j] < sizes[j] for j in range(nsp)):
                    out[(b, slice(None)) + o] = inp[(b, slice(None)) + tuple(cell)]
                continue
            lows = [math.floor(x) for x in coords]
            acc = np.zeros(c)
            for corner in itertools.product((0, 1), repeat=nsp):
                cell = [lows[j] + corner[j] for j in range(nsp)]
                w = np.prod([(coords[j] - lows[j]) if corner[j] else (1 - coords[j] + lows[j]) for j in range(nsp)])
                if all(0 <= cell[j] < sizes[j] for j in range(nsp)):
                    acc += w * inp[(b, slice(None)) + tuple(cell)]
            out[(b, slice(None)) + o] = acc
    return out


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_2d(device, mode, padding, align):
    inp = RNG.standard_normal((2, 3, 4, 5))
    grid = RNG.uniform(-1.6, 1.6, (2, 3, 4, 2))
    grid[0, 0, 0] = [1.0, -1.0]  # exactly on the corners
    out = F.grid_sample(dev(inp, device), dev(grid, device), mode, padding, align)
    assert_close(out.cpu(), np_grid_sample(inp, grid, mode, padding, align), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("padding", ["zeros", "reflection"])
def test_grid_sample_gradcheck(device, padding):
    inp = dev(RNG.standard_normal((1, 1, 3, 3)), device, True)
    grid = dev(RNG.uniform(-1.3, 1.3, (1, 2, 2, 2)), device, True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding, align_corners=False), (inp, grid))
    assert gradcheck(lambda a, g: F.grid_sample(a, g, "nearest", "border", True), (inp, grid))


def test_grid_sample_3d_and_noncontiguous(device):
    inp = RNG.standard_normal((1, 2, 3, 4, 3))
    grid = RNG.uniform(-1.2, 1.2, (1, 2, 2, 3, 3))
    # A transposed input and a transposed grid (both non-contiguous views).
    it = dev(inp.transpose(0, 1, 2, 4, 3).copy(), device).transpose(3, 4)
    gt = dev(grid.transpose(0, 2, 1, 3, 4).copy(), device).transpose(1, 2)
    for padding in ("zeros", "border"):
        out = F.grid_sample(it, gt, "bilinear", padding, True)
        assert_close(out.cpu(), np_grid_sample(inp, grid, "bilinear", padding, True), rtol=1e-9, atol=1e-12)
    ig = dev(inp[:, :1, :2, :2, :2], device, True)
    gg = dev(grid[:, :1, :1, :2], device, True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, align_corners=False), (ig, gg))


def test_grid_sample_warning_and_errors():
    inp, grid = torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.grid_sample(inp, grid)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(inp, grid, align_corners=False)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'cubic'"):
        F.grid_sample(inp, grid, mode="cubic", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(inp, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match=r"expected grid and input to have same batch size, but got input with "
                                           r"sizes \[1, 1, 2, 2\] and grid with sizes \[2, 1, 1, 2\]"):
        F.grid_sample(inp, torch.zeros(2, 1, 1, 2), align_corners=False)
    with pytest.raises(RuntimeError, match=r"expected grid to have size 2 in last dimension"):
        F.grid_sample(inp, torch.zeros(1, 1, 1, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="expected 4D or 5D input and grid with same number of dimensions"):
        F.grid_sample(inp, torch.zeros(1, 1, 1, 1, 2), align_corners=False)


def np_affine_grid(theta, size, align):
    n = size[0]
    spatial = size[2:]
    nsp = len(spatial)

    def base(k):
        if k == 1:
            return np.zeros(1)
        v = np.linspace(-1, 1, k)
        return v if align else v * (k - 1) / k

    out = np.zeros((n,) + tuple(spatial) + (nsp,))
    for idx in itertools.product(*[range(s) for s in spatial]):
        # Point (x, y[, z], 1): x runs along the last spatial dim.
        pt = np.array([base(spatial[nsp - 1 - j])[idx[nsp - 1 - j]] for j in range(nsp)] + [1.0])
        for b in range(n):
            out[(b,) + idx] = theta[b] @ pt
    return out


@pytest.mark.parametrize("align", [True, False])
def test_affine_grid(device, align):
    theta = RNG.standard_normal((2, 2, 3))
    out = F.affine_grid(dev(theta, device), (2, 3, 4, 5), align_corners=align)
    assert_close(out.cpu(), np_affine_grid(theta, (2, 3, 4, 5), align), rtol=1e-9, atol=1e-12)
    theta3 = RNG.standard_normal((1, 3, 4))
    tt = dev(theta3.transpose(0, 2, 1).copy(), device).transpose(1, 2)
    out3 = F.affine_grid(tt, torch.Size([1, 1, 2, 3, 4]), align_corners=align)
    assert_close(out3.cpu(), np_affine_grid(theta3, (1, 1, 2, 3, 4), align), rtol=1e-9, atol=1e-12)
    th = dev(theta[:1], device, True)
    assert gradcheck(lambda t: F.affine_grid(t, (1, 1, 2, 3), align_corners=align), (th,))
    # The identity transform resamples an image onto itself.
    img = dev(RNG.standard_normal((1, 2, 3, 4)), device)
    ident = dev(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), device)
    grid = F.affine_grid(ident, (1, 2, 3, 4), align_corners=align)
    assert_close(F.grid_sample(img, grid, align_corners=align).cpu(), img.cpu().numpy(), rtol=1e-9, atol=1e-12)


def test_affine_grid_errors_and_warnings():
    with pytest.raises(ValueError, match=r"Expected a batch of 2D affine matrices of shape Nx2x3 for size"):
        F.affine_grid(torch.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match=r"Expected a batch of 3D affine matrices of shape Nx3x4 for size"):
        F.affine_grid(torch.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(torch.zeros(1, 2, 3), (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match=r"Expected non-zero, positive output size. Got \[1, 1, 0, 2\]"):
        F.affine_grid(torch.zeros(1, 2, 3), [1, 1, 0, 2], align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(torch.zeros(1, 2, 3, dtype=torch.int64), (1, 1, 2, 2), align_corners=False)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.affine_grid(torch.zeros(1, 2, 3), (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
        F.affine_grid(torch.zeros(1, 2, 3), (1, 1, 1, 2), align_corners=True)
