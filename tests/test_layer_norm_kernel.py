"""The fused layer norm (src/ops/layer_norm.rs, CPU float32/float64) against numpy in float64:
outputs, statistics and the gradients of input, weight and bias, over one or several trailing
dims, with and without parameters, strided and empty inputs; double backward; the shape errors
PyTorch raises; and the composed path (GPU, half precision, mixed dtypes) agreeing with it."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(11)


def reference(a, k, w, b, g, eps=1e-5):
    """(output, mean, rstd, grad input, grad weight, grad bias) by hand."""
    axes = tuple(range(a.ndim - k, a.ndim))
    lead = tuple(range(a.ndim - k))
    mean = a.mean(axis=axes, keepdims=True)
    rstd = 1 / np.sqrt(a.var(axis=axes, keepdims=True) + eps)
    xhat = (a - mean) * rstd
    out = xhat * (1 if w is None else w) + (0 if b is None else b)
    scaled = g * (1 if w is None else w)
    gx = rstd * (scaled - scaled.mean(axis=axes, keepdims=True)
                 - xhat * (scaled * xhat).mean(axis=axes, keepdims=True))
    return out, mean, rstd, gx, (g * xhat).sum(axis=lead), g.sum(axis=lead)


@pytest.mark.parametrize("shape,k", [((4, 6), 1), ((2, 3, 8), 1), ((2, 3, 4), 2), ((5,), 1), ((3, 40000), 1),
                                     ((0, 4), 1), ((2, 3), 2)])
@pytest.mark.parametrize("params", ["both", "weight", "none"])
def test_matches_numpy(device, shape, k, params):
    a = RNG.standard_normal(shape) * 2 + 1
    pshape = shape[len(shape) - k:]
    w = RNG.standard_normal(pshape) if params != "none" else None
    b = RNG.standard_normal(pshape) if params == "both" else None
    g = RNG.standard_normal(shape)
    x = from_numpy(a).to(device).requires_grad_()
    wt = from_numpy(w).to(device).requires_grad_() if w is not None else None
    bt = from_numpy(b).to(device).requires_grad_() if b is not None else None
    out = F.layer_norm(x, pshape, wt, bt)
    ref = reference(a, k, w, b, g)
    assert_close(out.detach().cpu(), ref[0], rtol=1e-9, atol=1e-10)
    out.backward(from_numpy(g).to(device))
    assert_close(x.grad.cpu(), ref[3], rtol=1e-8, atol=1e-9)
    if wt is not None:
        assert_close(wt.grad.cpu(), ref[4], rtol=1e-8, atol=1e-9)
    if bt is not None:
        assert_close(bt.grad.cpu(), ref[5], rtol=1e-8, atol=1e-9)


def test_native_layer_norm_statistics_and_graph():
    a = RNG.standard_normal((3, 2, 5))
    x = from_numpy(a).requires_grad_()
    out, mean, rstd = torch.native_layer_norm(x, [5], None, None, 1e-5)
    ref = reference(a, 1, None, None, np.ones_like(a))
    assert tuple(mean.shape) == (3, 2, 1) and tuple(rstd.shape) == (3, 2, 1)
    assert_close(mean, ref[1], rtol=1e-12)
    assert_close(rstd, ref[2], rtol=1e-10)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"
    # The statistics the caller got are its own: changing them leaves the gradient alone.
    mean.add_(100.0)
    rstd.mul_(3.0)
    out.sum().backward()
    assert_close(x.grad, ref[3], rtol=1e-8, atol=1e-9)


def test_strided_input_and_broadcast_gradient():
    a = RNG.standard_normal((6, 4))
    x = from_numpy(a).t().requires_grad_()  # (4, 6), non-contiguous
    w = torch.ones(6, dtype=torch.float64, requires_grad=True)
    out = F.layer_norm(x, (6,), w)
    out.backward(torch.ones(1, 6, dtype=torch.float64).expand(4, 6))
    ref = reference(a.T, 1, np.ones(6), None, np.ones((4, 6)))
    assert_close(out.detach(), ref[0], rtol=1e-9, atol=1e-10)
    assert_close(x.grad, ref[3], rtol=1e-8, atol=1e-9)
    assert_close(w.grad, ref[4], rtol=1e-8, atol=1e-9)


def test_double_backward():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w: F.layer_norm(x, (4,), w), (x, w))


def test_float32_and_the_composed_paths_agree():
    a = RNG.standard_normal((8, 16)).astype(np.float32)
    w = RNG.standard_normal(16).astype(np.float32)
    ref = reference(a.astype(np.float64), 1, w.astype(np.float64), None, np.ones(a.shape))
    out32 = F.layer_norm(from_numpy(a), (16,), from_numpy(w))
    assert out32.dtype == torch.float32
    assert_close(out32, ref[0].astype(np.float32), rtol=1e-5, atol=1e-5)
    # Half precision and mixed dtypes take the composed ops.
    half = F.layer_norm(from_numpy(a).half(), (16,), from_numpy(w).half())
    assert half.dtype == torch.float16
    np.testing.assert_allclose(to_numpy(half).astype(np.float64), ref[0], rtol=2e-2, atol=2e-2)
    mixed = F.layer_norm(from_numpy(a).double(), (16,), from_numpy(w))
    assert_close(mixed, ref[0], rtol=1e-6, atol=1e-6)


def test_parameter_shapes_are_checked_like_pytorch():
    x = torch.randn(2, 4)
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got weight "
                                           r"of shape \[3\] and normalized_shape = \[4\]"):
        F.layer_norm(x, (4,), torch.ones(3))
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got weight "
                                           r"of shape \[1, 4\] and normalized_shape = \[4\]"):
        F.layer_norm(x, (4,), torch.ones(1, 4))
    with pytest.raises(RuntimeError, match=r"Expected bias to be of same shape as normalized_shape, but got bias of "
                                           r"shape \[3\] and normalized_shape = \[4\]"):
        F.layer_norm(x, (4,), None, torch.ones(3))


def test_module_uses_the_kernel_and_the_gpu_agrees(device):
    torch.manual_seed(0)
    ln = torch.nn.LayerNorm(8)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-1.0, 1.0)
    a = RNG.standard_normal((3, 8)).astype(np.float32)
    x = from_numpy(a).requires_grad_()
    out = ln(x)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"
    (out * out).sum().backward()
    moved = torch.nn.LayerNorm(8).to(device)
    moved.load_state_dict(ln.state_dict())
    xd = from_numpy(a).to(device).requires_grad_()
    outd = moved(xd)
    (outd * outd).sum().backward()
    assert_close(outd.detach().cpu(), to_numpy(out), rtol=1e-5, atol=1e-5)
    assert_close(xd.grad.cpu(), to_numpy(x.grad), rtol=1e-4, atol=1e-5)
    assert_close(moved.weight.grad.cpu(), to_numpy(ln.weight.grad), rtol=1e-4, atol=1e-5)
    assert_close(moved.bias.grad.cpu(), to_numpy(ln.bias.grad), rtol=1e-4, atol=1e-5)
