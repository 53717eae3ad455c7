"""The ops composed in python/ferrotorch/_math_composites.py, beyond their registry entries:
special values, in-place variants, type promotion, errors (PyTorch's classes and messages), and
the ops that are not elementwise (renorm, cdist, dist, cov, corrcoef, trapezoid,
cumulative_trapezoid, bincount, histc, isin) against numpy, on every device. The GPU is a
software one in CI, so shapes stay tiny; gradients are checked against finite differences on the
CPU and against the CPU's gradients on the GPU."""
import doctest
import math
import re
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _attach, _math_composites as mc, _math_statistics as ms
from conftest import assert_close, to_numpy

inf, nan = math.inf, math.nan


def T(data, device, dtype=torch.float32):
    return torch.tensor(np.asarray(data), dtype=dtype, device=device)


def close(actual, expected, **kw):
    """Values of `actual` against `expected`; the dtype too when `expected` is a numpy array."""
    actual = actual.cpu()
    if not isinstance(expected, np.ndarray):
        expected = np.asarray(expected, dtype=to_numpy(actual).dtype)
    assert_close(actual, expected, **kw)


def on(device, t):
    assert t.is_cuda == (device != "cpu"), f"result on {t.device}"
    return t


def check_grad(fn, arrays, device):
    """Gradients of fn(*tensors) (float64 leaves): finite differences on the CPU; on the GPU,
    the CPU's gradients of the same program."""
    def leaves(dev):
        return [torch.tensor(np.asarray(a, dtype=np.float64), device=dev).requires_grad_() for a in arrays]

    if device == "cpu":
        assert torch.autograd.gradcheck(fn, tuple(leaves("cpu")))
        return

    def grads(dev):
        xs = leaves(dev)
        out = fn(*xs)
        weight = torch.arange(out.numel(), dtype=torch.float64, device=dev).reshape(out.shape).cos()
        return [g.cpu().numpy() for g in torch.autograd.grad((out * weight).sum(), xs)]

    for got, ref in zip(grads(device), grads("cpu")):
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)


def kernel_error(name, dtype_name):
    return re.escape(f'"{name}_') + "(cpu|cuda)" + re.escape(f'" not implemented for \'{dtype_name}\'')


# ----------------------------------------------------------------------------- elementwise

def test_logaddexp_special_values(device):
    a = np.array([inf, -inf, inf, nan, 1.0, 1000.0, -1000.0, 3.0], dtype=np.float32)
    b = np.array([inf, -inf, -inf, 1.0, nan, 1000.0, -1000.0, -2.0], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        close(on(device, torch.logaddexp(T(a, device), T(b, device))), np.logaddexp(a, b))
        close(on(device, T(a, device).logaddexp2(T(b, device))), np.logaddexp2(a, b))
    assert torch.logaddexp(T([1], device, torch.int64), T([2.0], device, torch.float64)).dtype == torch.float64
    with pytest.raises(RuntimeError, match=kernel_error("logaddexp", "Long")):
        torch.logaddexp(T([1], device, torch.int64), T([2], device, torch.int64))
    with pytest.raises(RuntimeError, match=kernel_error("logaddexp2", "Int")):
        torch.logaddexp2(T([1], device, torch.int32), T([2], device, torch.int32))


def test_logaddexp_half_computes_in_float32(device):
    a = np.array([10.0, -3.0], dtype=np.float16)
    r = torch.logaddexp(T(a, device, torch.float16), T(a, device, torch.float16))
    assert r.dtype == torch.float16
    close(r, np.logaddexp(a.astype(np.float32), a.astype(np.float32)).astype(np.float16), rtol=1e-3, atol=1e-3)


def test_xlogy_special_values_and_numbers(device):
    x = np.array([0, 0, 0, 0, 1, 2, -1, 0, 3], dtype=np.float64)
    y = np.array([0, -1, inf, nan, 0, inf, 2, 5, -1], dtype=np.float64)
    expected = [0, 0, 0, nan, -inf, inf, -math.log(2), 0, nan]
    close(on(device, torch.xlogy(T(x, device, torch.float64), T(y, device, torch.float64))), expected)
    t = T([0.0, 1.0, 4.0], device)
    close(on(device, torch.xlogy(2, t)), [-inf, 0.0, 2 * math.log(4)])
    close(on(device, t.xlogy(3.0)), [0.0, math.log(3), 4 * math.log(3)])
    ints = torch.xlogy(T([0, 2], device, torch.int64), T([0, 3], device, torch.int64))
    assert ints.dtype == torch.float32
    close(ints, [0.0, 2 * math.log(3)])
    assert torch.xlogy(T([1.0], device, torch.float64), 2.5).dtype == torch.float64
    with pytest.raises(TypeError):
        torch.xlogy(2, 3)


def test_xlogy_gradient_at_zero_is_log_y(device):
    x = T([0.0, 0.0, 2.0], device).requires_grad_()
    y = T([3.0, 0.0, 5.0], device).requires_grad_()
    torch.xlogy(x, y).sum().backward()
    # PyTorch: d/dx = log(y), masked to 0 where x == 0 and y <= 0; d/dy = x / y.
    close(x.grad, [math.log(3.0), 0.0, math.log(5.0)])
    close(y.grad, [0.0, 0.0, 0.4])
    check_grad(lambda a, b: torch.xlogy(a, b), [[[0.0, 1.5], [-2.0, 0.5]], [[2.0, 0.5], [3.0, 1.0]]], device)


def test_copysign(device):
    a = np.array([1.0, -2.0, 3.0, -4.0, 0.0, 5.0], dtype=np.float32)
    b = np.array([-0.0, 0.0, -inf, nan, -1.0, -nan], dtype=np.float32)
    close(on(device, torch.copysign(T(a, device), T(b, device))), np.copysign(a, b))
    close(on(device, T(a, device).copysign(-1)), -np.abs(a))
    r = torch.copysign(T([1, -2], device, torch.int64), T([-1, 1], device, torch.int64))
    assert r.dtype == torch.float32
    close(r, [-1.0, 2.0])
    check_grad(lambda x, s: torch.copysign(x, s), [[[1.0, -2.0], [0.5, 3.0]], [[-1.0, -2.0], [1.0, 4.0]]], device)
    # `other` gets a zero gradient, as in PyTorch, with signed zeros and NaN signs kept.
    x = T([0.0, -0.0, 3.0, 1.0], device).requires_grad_()
    s = T([-0.0, 2.0, -inf, nan], device).requires_grad_()
    r = torch.copysign(x, s)
    assert np.signbit(to_numpy(r.cpu())).tolist() == [True, False, True, False]
    gx, gs = torch.autograd.grad(r.sum(), [x, s])
    close(gx, [0.0, 0.0, -1.0, 1.0])
    close(gs, [0.0, 0.0, 0.0, 0.0])


def test_fmax_fmin_ignore_nan(device):
    a = np.array([1.0, nan, nan, 2.0, -1.0], dtype=np.float32)
    b = np.array([nan, 3.0, nan, 1.0, 5.0], dtype=np.float32)
    close(on(device, torch.fmax(T(a, device), T(b, device))), np.fmax(a, b))
    close(on(device, T(a, device).fmin(T(b, device))), np.fmin(a, b))
    ints = torch.fmax(T([1, 5], device, torch.int64), T([3, 2], device, torch.int64))
    assert ints.dtype == torch.int64 and ints.cpu().tolist() == [3, 5]
    assert torch.fmin(T([1.0], device), T([2.0], device, torch.float64)).dtype == torch.float64
    # Ties split the gradient evenly; a NaN `other` sends it all to `input`, as in PyTorch.
    x = T([1.0, 2.0, 1.0], device).requires_grad_()
    y = T([1.0, nan, 4.0], device).requires_grad_()
    torch.fmax(x, y).sum().backward()
    close(x.grad, [0.5, 1.0, 0.0])
    close(y.grad, [0.5, 0.0, 1.0])
    with pytest.raises(TypeError):
        torch.fmax(T([1.0], device), 2.0)


def test_deg2rad_rad2deg_promotion_and_in_place(device):
    r = torch.deg2rad(T([180, -90], device, torch.int64))
    assert r.dtype == torch.float32
    close(r, [math.pi, -math.pi / 2])
    assert torch.rad2deg(T([True], device, torch.bool)).dtype == torch.float32
    assert torch.deg2rad(T([1.0], device, torch.float64)).dtype == torch.float64
    x = T([math.pi, 1.0], device, torch.float64)
    assert x.rad2deg_() is x
    close(x, [180.0, 180.0 / math.pi])
    close(x.deg2rad_(), [math.pi, 1.0])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        T([1], device, torch.int64).deg2rad_()
    out = torch.empty(2, device=device)
    assert torch.rad2deg(T([0.0, math.pi], device), out=out) is out
    close(out, [0.0, 180.0])


def test_sinc_at_zero(device):
    close(on(device, torch.sinc(T([0.0, 1.0, -0.5, 2.5], device, torch.float64))), np.sinc([0.0, 1.0, -0.5, 2.5]))
    assert torch.sinc(T([0, 1], device, torch.int64)).dtype == torch.float32
    x = T([0.0, 0.5], device, torch.float64).requires_grad_()
    torch.sinc(x).sum().backward()
    close(x.grad, [0.0, (0.5 * math.pi * math.cos(0.5 * math.pi) - math.sin(0.5 * math.pi)) / (0.25 * math.pi)])
    y = T([0.0, 0.5], device)
    assert y.sinc_() is y
    close(y, np.sinc([0.0, 0.5]).astype(np.float32))


def test_logit_eps_and_in_place(device):
    p = np.array([0.0, 0.1, 0.5, 0.95, 1.0, -0.5], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        close(on(device, torch.logit(T(p, device, torch.float64))), np.log(p / (1 - p)))
        c = np.clip(p, 0.2, 0.8)
        close(torch.logit(T(p, device, torch.float64), eps=0.2), np.log(c / (1 - c)))
        close(T(p, device, torch.float64).logit(-1.0), np.log(p / (1 - p)))  # negative eps: no clamping
    # Clamped elements get no gradient.
    x = T([0.1, 0.5], device, torch.float64).requires_grad_()
    torch.logit(x, 0.2).sum().backward()
    close(x.grad, [0.0, 4.0])
    y = T([0.5, 0.75], device)
    assert y.logit_() is y
    close(y, [0.0, math.log(3)])
    assert torch.logit(T([0, 1], device, torch.int64)).dtype == torch.float32


def test_heaviside(device):
    x = T([-1.0, 0.0, 2.0, nan, -0.0], device)
    close(on(device, torch.heaviside(x, T([0.5], device))), [0.0, 0.5, 1.0, 0.0, 0.5])
    close(T([-2, 0, 3], device, torch.int64).heaviside(T([7], device, torch.int64)), np.array([0, 7, 1]))
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes."):
        torch.heaviside(x, T([0.5], device, torch.float64))
    with pytest.raises(TypeError):
        torch.heaviside(x, 0.5)
    y = T([-3.0, 0.0], device)
    assert y.heaviside_(T([2.0], device)) is y
    close(y, [0.0, 2.0])
    with pytest.raises(RuntimeError, match=re.escape("output with shape [2] doesn't match the broadcast shape [3, 2]")):
        y.heaviside_(T([[1.0, 1.0]] * 3, device))


def test_positive_and_sgn(device):
    x = T([-2.0, 0.0, 3.0], device)
    assert torch.positive(x) is x and x.positive() is x
    with pytest.raises(RuntimeError, match=re.escape("The `+` operator, on a bool tensor is not supported.")):
        torch.positive(T([True], device, torch.bool))
    close(on(device, torch.sgn(x)), [-1.0, 0.0, 1.0])
    close(T([-5, 0, 7], device, torch.int64).sgn(), np.array([-1, 0, 1]))
    assert x.sgn_() is x
    close(x, [-1.0, 0.0, 1.0])


# ----------------------------------------------------------------------------- addcmul / addcdiv

def test_addcmul_addcdiv_values_and_out(device):
    a, b, c = T([1.0, 2.0], device), T([3.0, 4.0], device), T([2.0, 8.0], device)
    close(on(device, torch.addcmul(a, b, c, value=0.5)), [4.0, 18.0])
    close(a.addcdiv(b, c), [2.5, 2.5])
    out = torch.empty(2, device=device)
    assert torch.addcdiv(a, b, c, value=-2, out=out) is out
    close(out, [-2.0, 1.0])
    # An integer input with float tensors promotes; integer tensor1 and tensor2 are an error.
    assert torch.addcdiv(T([1], device, torch.int64), b, c).dtype == torch.float32
    with pytest.raises(RuntimeError, match=re.escape(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
            "latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")):
        torch.addcdiv(a, T([1], device, torch.int64), T([2], device, torch.int64))
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        a.addcdiv_(T([1], device, torch.int64), T([True], device, torch.bool))


def test_addcmul_addcdiv_in_place_autograd_and_no_grad(device):
    a = T([1.0, 2.0], device).requires_grad_()
    h = a * 1  # not a leaf: in-place ops are recorded
    version = h._version
    assert h.addcmul_(a, a, value=2) is h and h._version > version
    h.addcdiv_(a, T([2.0, 4.0], device))
    h.sum().backward()
    close(a.grad, [1 + 4 * 1.0 + 0.5, 1 + 4 * 2.0 + 0.25])
    p = torch.nn.Parameter(torch.ones(2, device=device))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        p.addcmul_(T([1.0, 1.0], device), T([1.0, 1.0], device))
    with torch.no_grad():
        p.addcdiv_(T([1.0, 2.0], device), T([4.0, 4.0], device), value=2)
    assert p.requires_grad and p.is_leaf
    close(p.detach(), [1.5, 2.0])
    with pytest.raises(RuntimeError, match=re.escape("output with shape [2] doesn't match the broadcast shape [2, 2]")):
        T([1.0, 2.0], device).addcmul_(T([[1.0, 1.0]] * 2, device), T([1.0, 1.0], device))


# ----------------------------------------------------------------------------- softmax

def test_softmax_functions_methods_out_dtype(device):
    x = T([[1.0, -inf, 3.0], [0.0, 0.0, 0.0]], device)
    e = np.exp(np.array([[1.0, -inf, 3.0], [0.0, 0.0, 0.0]]) - [[3.0], [0.0]])
    expected = e / e.sum(1, keepdims=True)
    close(on(device, torch.softmax(x, 1)), expected.astype(np.float32))
    close(x.softmax(-1), expected.astype(np.float32))
    with np.errstate(divide="ignore"):
        close(torch.log_softmax(x, dim=1), np.log(expected).astype(np.float32), atol=1e-6)
    r = x.log_softmax(0, dtype=torch.float64)
    assert r.dtype == torch.float64
    out = torch.empty(2, 3, device=device)
    assert torch.softmax(x, 1, out=out) is out
    close(out, expected.astype(np.float32))
    assert torch.nn.functional.softmax(x, 1).cpu().tolist() == torch.softmax(x, 1).cpu().tolist()


# ----------------------------------------------------------------------------- logcumsumexp

def test_logcumsumexp_special_values_and_range(device):
    x = np.array([-inf, -inf, 0.0, inf, nan, 1.0], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        close(on(device, torch.logcumsumexp(T(x, device), 0)), np.logaddexp.accumulate(x))
    # Prefixes far below the row's maximum: a shift by that maximum would give -inf here.
    wide = np.array([[-200.0, -100.0, 0.0, 100.0, 200.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    close(T(wide, device, torch.float64).logcumsumexp(1), np.logaddexp.accumulate(wide, axis=1))
    close(torch.logcumsumexp(T(wide, device, torch.float64).T, 0), np.logaddexp.accumulate(wide.T, axis=0))
    h = torch.logcumsumexp(T([1.0, 2.0, 3.0], device, torch.float16), 0)
    assert h.dtype == torch.float16
    close(h, np.logaddexp.accumulate(np.array([1.0, 2.0, 3.0])).astype(np.float16), rtol=1e-3, atol=1e-3)
    out = torch.empty(3, device=device)
    assert torch.logcumsumexp(T([0.0, 0.0, 0.0], device), 0, out=out) is out
    close(out, np.log([1.0, 2.0, 3.0]).astype(np.float32))
    with pytest.raises(RuntimeError, match=kernel_error("logcumsumexp_out", "Long")):
        torch.logcumsumexp(T([1, 2], device, torch.int64), 0)
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in range of [-1, 0], but got 1)")):
        torch.logcumsumexp(T([1.0], device), 1)


# ----------------------------------------------------------------------------- in-place variants

def test_in_place_variants_checks_and_autograd(device):
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        T([1, 2], device, torch.int64).sinc_()
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        T([1, 2], device, torch.int64).copysign_(T([-1.0, 1.0], device))
    leaf = T([0.5], device).requires_grad_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        leaf.logit_()
    # A non-leaf: the in-place result is part of the graph, with the gradient of the out-of-place op.
    a = T([0.5, 2.0], device, torch.float64).requires_grad_()
    y = T([2.0, 3.0], device, torch.float64).requires_grad_()
    h = a * 1
    version = h._version
    assert h.xlogy_(y) is h and h._version > version
    h.copysign_(T([-1.0, 1.0], device, torch.float64))
    h.sum().backward()
    close(a.grad, [-math.log(2.0), math.log(3.0)])
    close(y.grad, [-0.25, 2.0 / 3.0])
    x = T([[3.0, 4.0], [0.3, 0.4]], device)
    assert x.renorm_(2, 0, 1.0) is x
    close(x, [[0.6, 0.8], [0.3, 0.4]], atol=1e-6)


# ----------------------------------------------------------------------------- renorm

def _renorm_ref(a, p, dim, maxnorm):
    axes = tuple(i for i in range(a.ndim) if i != dim % a.ndim)
    x = np.abs(a.astype(np.float64))
    norm = x.max(axis=axes, keepdims=True) if p == inf else (x ** p).sum(axis=axes, keepdims=True) ** (1 / p)
    return a * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@pytest.mark.parametrize("p,dim", [(2, 0), (1, -1), (3.5, 1), (inf, 2)])
def test_renorm(device, p, dim):
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4, 2))
    close(on(device, torch.renorm(T(a, device, torch.float64), p, dim, 1.5)), _renorm_ref(a, p, dim, 1.5))
    t = T(a.transpose(1, 0, 2).copy(), device, torch.float64).transpose(0, 1)  # non-contiguous
    close(t.renorm(p, dim, 1.5), _renorm_ref(a, p, dim, 1.5))
    out = torch.empty(1, device=device, dtype=torch.float64)
    assert torch.renorm(T(a, device, torch.float64), p, dim, 1.5, out=out) is out


def test_renorm_gradient_and_errors(device):
    check_grad(lambda x: torch.renorm(x, 2, 1, 1.0), [[[1.0, -0.2, 0.3], [2.0, 0.1, -0.5]]], device)
    x = T([[1.0, 2.0]], device)
    for args, msg in [((0, 0, 1.0), "renorm: non-positive-norm not supported"),
                      ((2, 0, -1.0), "renorm: expected maxnorm to be >= 0 but got -1"),
                      ((2, 0, 1.0), "renorm: input needs at least 2 dimensions, got 1 dimensions")]:
        with pytest.raises(RuntimeError, match=re.escape(msg)):
            (x[0] if "dimensions" in msg else x).renorm(*args)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.renorm(2, 2, 1.0)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        torch.renorm(T([[1, 2]], device, torch.int64), 2, 0, 1.0)


# ----------------------------------------------------------------------------- cdist / dist

def _cdist_ref(x1, x2, p):
    diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (diff != 0).sum(-1).astype(x1.dtype)
    if p == inf:
        return diff.max(-1)
    return (diff ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, inf])
def test_cdist_batched_against_numpy(device, p):
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(2, 3, 4)), rng.normal(size=(1, 5, 4))
    x2[0, 0] = x1[1, 2]  # a zero distance
    r = on(device, torch.cdist(T(x1, device, torch.float64), T(x2, device, torch.float64), p=p))
    close(r, _cdist_ref(x1, x2, p), rtol=1e-10, atol=1e-12)
    # Non-contiguous inputs, and the forced non-matrix-product mode.
    t1 = T(x1.transpose(0, 2, 1).copy(), device, torch.float64).transpose(1, 2)
    close(torch.cdist(t1, T(x2, device, torch.float64), p, "donot_use_mm_for_euclid_dist"),
          _cdist_ref(x1, x2, p), rtol=1e-10, atol=1e-12)


def test_cdist_matrix_product_path(device):
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=(30, 3)), rng.normal(size=(4, 3))
    x2[1] = x1[7]
    ref = _cdist_ref(x1, x2, 2)
    close(on(device, torch.cdist(T(x1, device, torch.float64), T(x2, device, torch.float64))), ref, rtol=1e-6, atol=1e-6)
    small = torch.cdist(T(x1[:3], device), T(x2, device), compute_mode="use_mm_for_euclid_dist")
    close(small, ref[:3].astype(np.float32), rtol=1e-4, atol=1e-4)
    # A zero distance has a zero (sub)gradient on either path, never NaN.
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        a = T(x1[:4], device, torch.float64).requires_grad_()
        torch.cdist(a, a, compute_mode=mode).sum().backward()
        assert not np.isnan(to_numpy(a.grad.cpu())).any(), mode
    check_grad(lambda a, b: torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
               [x1[:3], x2[:2] + 0.1], device)


def test_cdist_gradients_blocks_and_edges(device, monkeypatch):
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    for p in (1.0, 2.0, 3.0):
        check_grad(lambda a, b, p=p: torch.cdist(a, b, p), [x1, x2], device)
    monkeypatch.setattr(ms, "_CDIST_BLOCK", 4)  # forces row blocks of one row
    close(torch.cdist(T(x1, device, torch.float64), T(x2, device, torch.float64), 1.0), _cdist_ref(x1, x2, 1.0))
    assert torch.cdist(torch.empty(0, 3, device=device), torch.ones(4, 3, device=device)).shape == (0, 4)
    close(torch.cdist(torch.ones(2, 0, device=device), torch.ones(3, 0, device=device)), np.zeros((2, 3), np.float32))


def test_cdist_errors(device):
    a = torch.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="bad is not a valid value for compute_mode"):
        torch.cdist(a, a, compute_mode="bad")
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        torch.cdist(a[0], a)
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 3 X2: 2"):
        torch.cdist(a, a[:, :2])
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X2 got: Long"):
        torch.cdist(a, T([[1, 2, 3]], device, torch.int64))
    with pytest.raises(RuntimeError, match="cdist only supports non-negative p values"):
        torch.cdist(a, a, p=-1)


@pytest.mark.parametrize("p", [0, 1, 2, 3, inf])
def test_dist(device, p):
    a, b = np.array([[1.0, -2.0, 0.5]]), np.array([[0.0], [1.0]])
    r = on(device, torch.dist(T(a, device, torch.float64), T(b, device, torch.float64), p))
    assert r.dim() == 0
    close(r, np.linalg.norm((a - b).ravel(), ord=p))
    if p not in (0, inf):
        check_grad(lambda x, y, p=p: torch.dist(x, y, p), [a, b + 0.25], device)
    assert T(a, device).dist(T(b, device)).dtype == torch.float32


# ----------------------------------------------------------------------------- cov / corrcoef

def test_cov_against_numpy(device):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 6))
    fw, aw = np.array([1, 2, 0, 3, 1, 1]), rng.uniform(0.1, 2.0, 6)
    t = T(x, device, torch.float64)
    close(on(device, torch.cov(t)), np.cov(x))
    close(T(x.T.copy(), device, torch.float64).T.cov(correction=0), np.cov(x, ddof=0))  # non-contiguous
    close(torch.cov(t[0]), np.cov(x[0]))
    f, w = T(fw, device, torch.int64), T(aw, device, torch.float64)
    close(torch.cov(t, fweights=f), np.cov(x, fweights=fw))
    close(torch.cov(t, aweights=w, correction=2), np.cov(x, aweights=aw, ddof=2))
    close(torch.cov(t, fweights=f, aweights=w), np.cov(x, fweights=fw, aweights=aw))
    ints = torch.cov(T([[1, 2, 4]], device, torch.int64))
    assert ints.dtype == torch.float32 and ints.dim() == 0
    close(ints, np.cov([1, 2, 4]).astype(np.float32))
    check_grad(lambda a, b: torch.cov(a, aweights=b), [x[:2, :4], aw[:4]], device)


def test_cov_errors_and_warning(device):
    x = torch.ones(2, 3, device=device)
    cases = [
        (lambda: torch.cov(torch.ones(1, 1, 1, device=device)),
         "cov(): expected input to have two or fewer dimensions but got an input with 3 dimensions"),
        (lambda: torch.cov(T([True], device, torch.bool)), "cov(): bool dtype is not supported for input"),
        (lambda: x.cov(fweights=T([1.0, 1.0, 1.0], device)),
         "cov(): expected fweights to have integral dtype but got fweights with Float dtype"),
        (lambda: x.cov(fweights=T([1, 1], device, torch.int64)),
         "cov(): expected fweights to have the same numel as there are observations in the input but got 2 != 3"),
        (lambda: x.cov(fweights=T([1, -1, 1], device, torch.int64)), "cov(): fweights cannot be negative"),
        (lambda: x.cov(aweights=T([1, 1, 1], device, torch.int64)),
         "cov(): expected aweights to have floating point dtype but got aweights with Long dtype"),
        (lambda: x.cov(aweights=torch.ones(1, 3, device=device)),
         "cov(): expected aweights to have one or fewer dimensions but got aweights with 2 dimensions"),
        (lambda: x.cov(aweights=T([0.0, 0.0, 0.0], device)), "cov(): weights sum to zero, can't be normalized"),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=re.escape(msg)):
            fn()
    with pytest.warns(UserWarning, match=re.escape("cov(): degrees of freedom is <= 0")):
        r = torch.cov(T([[1.0, 2.0]], device), correction=2)
    assert math.isinf(r.item())


def test_corrcoef(device):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 5))
    close(on(device, torch.corrcoef(T(x, device, torch.float64))), np.corrcoef(x))
    close(T(x, device, torch.float64)[0].corrcoef(), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(torch.corrcoef(T([2.0, 2.0], device)).item())  # zero variance
    with pytest.raises(RuntimeError, match=re.escape(
            "corrcoef(): expected input to have two or fewer dimensions but got an input with 3 dimensions")):
        torch.corrcoef(torch.ones(1, 1, 1, device=device))
    check_grad(torch.corrcoef, [x[:2, :4]], device)


# ----------------------------------------------------------------------------- trapezoid

def _cumtrapz_ref(y, x=None, dx=1.0, axis=-1):
    y = np.moveaxis(y, axis, -1)
    d = np.diff(x) if x is not None else dx
    return np.moveaxis(np.cumsum((y[..., 1:] + y[..., :-1]) * d / 2.0, -1), -1, axis)


def test_trapezoid_against_numpy(device):
    rng = np.random.default_rng(6)
    y, x = rng.normal(size=(3, 4)), np.sort(rng.normal(size=4))
    ty, tx = T(y, device, torch.float64), T(x, device, torch.float64)
    close(on(device, torch.trapezoid(ty)), np.trapezoid(y))
    close(torch.trapezoid(ty, tx), np.trapezoid(y, x))
    close(torch.trapezoid(ty, dx=0.5, dim=0), np.trapezoid(y, dx=0.5, axis=0))
    xs = np.sort(rng.normal(size=(3, 4)), axis=0)
    close(torch.trapezoid(ty, T(xs, device, torch.float64), dim=0), np.trapezoid(y, xs, axis=0))
    close(torch.trapezoid(ty.T, tx, dim=0), np.trapezoid(y.T, x, axis=0))  # non-contiguous
    close(torch.trapz(ty, tx), np.trapezoid(y, x))
    close(torch.trapz(ty, dx=2), np.trapezoid(y, dx=2))
    ints = torch.trapezoid(T([1, 2, 4], device, torch.int64))
    assert ints.dtype == torch.float32 and ints.item() == 4.5
    empty = torch.trapezoid(torch.ones(2, 0, device=device, dtype=torch.float64))
    assert empty.shape == (2,) and empty.dtype == torch.float64 and empty.cpu().tolist() == [0.0, 0.0]
    check_grad(lambda a, b: torch.trapezoid(a, b), [y, x], device)
    check_grad(lambda a: torch.trapezoid(a, dx=0.3, dim=0), [y], device)


def test_cumulative_trapezoid_against_numpy(device):
    rng = np.random.default_rng(7)
    y, x = rng.normal(size=(2, 5)), np.sort(rng.normal(size=5))
    ty = T(y, device, torch.float64)
    close(on(device, torch.cumulative_trapezoid(ty)), _cumtrapz_ref(y))
    close(torch.cumulative_trapezoid(ty, T(x, device, torch.float64)), _cumtrapz_ref(y, x))
    close(torch.cumulative_trapezoid(ty, dx=0.5, dim=0), _cumtrapz_ref(y, dx=0.5, axis=0))
    assert torch.cumulative_trapezoid(torch.ones(3, 0, device=device)).shape == (3, 0)
    check_grad(lambda a: torch.cumulative_trapezoid(a, dx=2.0), [y], device)


def test_trapezoid_errors(device):
    y = torch.ones(2, 3, device=device)
    for fn in (torch.trapezoid, torch.cumulative_trapezoid):
        name = fn.__name__
        with pytest.raises(RuntimeError, match=re.escape(f"{name}: There must be one `x` value for each sample point")):
            fn(y, torch.ones(2, device=device))
        with pytest.raises(RuntimeError, match=re.escape(f"{name}: received a bool input for `x` or `y`, but bool is not supported")):
            fn(y, T([True, False, True], device, torch.bool))
        with pytest.raises(RuntimeError, match=re.escape(f"{name}: received a bool input for `y`, but bool is not supported")):
            fn(T([True, False], device, torch.bool))
        with pytest.raises(RuntimeError, match=re.escape(f"{name}: Currently, we only support dx as a real number.")):
            fn(y, dx=True)
        with pytest.raises(TypeError):
            fn(y, torch.ones(3, device=device), dx=1.0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            fn(y, dim=2)


# ----------------------------------------------------------------------------- bincount / histc

def test_bincount(device):
    data = np.array([0, 3, 3, 1, 7, 3])
    t = T(data, device, torch.int64)
    r = on(device, torch.bincount(t))
    assert r.dtype == torch.int64
    close(r, np.bincount(data))
    close(t.bincount(minlength=10), np.bincount(data, minlength=10))
    close(torch.bincount(T(data, device, torch.uint8)), np.bincount(data))
    w = np.array([0.5, 1.0, 2.0, -1.0, 0.25, 4.0])
    for wdtype, expected in [(torch.float32, torch.float32), (torch.float64, torch.float64), (torch.int64, torch.float64)]:
        r = torch.bincount(t, T(w if wdtype.is_floating_point else w.astype(np.int64), device, wdtype))
        assert r.dtype == expected, wdtype
        close(r, np.bincount(data, w if wdtype.is_floating_point else w.astype(np.int64)).astype(r.cpu().numpy().dtype))
    empty = torch.bincount(torch.zeros(0, dtype=torch.int64, device=device), minlength=3)
    assert empty.dtype == torch.int64 and empty.cpu().tolist() == [0, 0, 0]


def test_bincount_errors(device):
    t = T([1, 2], device, torch.int64)
    with pytest.raises(RuntimeError, match=kernel_error("bincount", "Float")):
        torch.bincount(T([1.0], device))
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        torch.bincount(t, minlength=-1)
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs."):
        torch.bincount(T([1, -1], device, torch.int64))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs."):
        torch.bincount(T([[1]], device, torch.int64))
    with pytest.raises(RuntimeError, match="weights should be 1-d and have the same length as input"):
        torch.bincount(t, T([1.0], device))


def test_histc(device):
    rng = np.random.default_rng(8)
    x = rng.normal(size=40)
    t = T(x, device, torch.float64)
    r = on(device, torch.histc(t, bins=7))
    assert r.dtype == torch.float64
    close(r, np.histogram(x, bins=7)[0].astype(np.float64))  # min == max == 0: the data's range, max in the last bin
    close(t.histc(5, -1, 1), np.histogram(x, bins=5, range=(-1, 1))[0].astype(np.float64))
    # Outside the range, and NaN, are ignored; the right edge belongs to the last bin.
    close(torch.histc(T([-1.0, 0.0, 0.5, 1.0, 2.0, nan, inf], device), 2, 0, 1), [1.0, 2.0])
    close(torch.histc(T([2.0, 2.0], device), bins=4), [0.0, 0.0, 2.0, 0.0])  # one value: [v - 1, v + 1]
    close(torch.histc(torch.zeros(0, device=device), bins=3), [0.0, 0.0, 0.0])
    out = torch.empty(0, device=device)
    assert torch.histc(T([[0.25, 0.75]], device), 2, 0, 1, out=out) is out
    close(out, [1.0, 1.0])


def test_histc_errors(device):
    x = T([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match=re.escape("torch.histogram(): bins must be > 0, but got 0 for dimension 0")):
        torch.histc(x, bins=0)
    with pytest.raises(RuntimeError, match="torch.histc: max must be larger than min"):
        torch.histc(x, 3, 2, 1)
    with pytest.raises(RuntimeError, match=re.escape("torch.histc: range of [0, inf] is not finite")):
        torch.histc(x, 3, 0, inf)
    with pytest.raises(RuntimeError, match=re.escape("torch.histc: range of [nan, nan] is not finite")):
        torch.histc(T([nan, 1.0], device))
    with pytest.raises(RuntimeError, match=kernel_error("histogram", "Long")):
        torch.histc(T([1, 2], device, torch.int64))


# ----------------------------------------------------------------------------- isin

@pytest.mark.parametrize("pairs", ["compare", "sort"])
def test_isin(device, pairs, monkeypatch):
    if pairs == "sort":
        monkeypatch.setattr(ms, "_ISIN_PAIRS", 0)
    e = np.array([[1.0, 2.0, nan], [-0.0, 5.0, 2.0]])
    s = np.array([2.0, 0.0, nan, 7.0, 2.0])
    te, ts = T(e, device), T(s, device)
    r = on(device, torch.isin(te, ts))
    assert r.dtype == torch.bool and r.shape == (2, 3)
    close(r, np.isin(e, s))
    close(torch.isin(te.T, ts, invert=True), np.isin(e.T, s, invert=True))  # non-contiguous
    close(torch.isin(T([1, 4, 9], device, torch.int64), T([4.0, 9.5], device)), np.array([False, True, False]))
    close(torch.isin(te, torch.zeros(0, device=device)), np.zeros((2, 3), bool))
    close(torch.isin(torch.zeros(0, device=device), ts), np.zeros(0, bool))
    close(torch.isin(te, 2.0), e == 2.0)
    close(torch.isin(te, 2, invert=True), e != 2.0)
    scalar = torch.isin(5, T([1, 5], device, torch.int64))
    assert scalar.dim() == 0 and scalar.item() is True
    assert torch.isin(4, T([1, 5], device, torch.int64), invert=True).item() is True
    assert torch.isin(0.1, T([0.1], device, torch.float64)).item() is True


def test_isin_errors(device):
    with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin\\(\\): Bool"):
        torch.isin(T([True], device, torch.bool), T([1], device, torch.int64))
    with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin\\(\\): Bool"):
        torch.isin(T([1], device, torch.int64), True)
    with pytest.raises(TypeError):
        torch.isin(1, 2)


# ----------------------------------------------------------------------------- no host reads

def test_ops_never_read_tensor_data_back(device, monkeypatch):
    """Apart from bincount, histc's data range and cov's weight checks (where PyTorch synchronises
    too), the ops run on the device without reading data back to the host."""
    def forbidden(*args, **kwargs):
        raise AssertionError("tensor data read back to the host")

    x = T([[0.5, -1.0, 2.0], [0.25, 0.0, -3.0]], device)
    y = T([[1.0, 2.0, 0.5], [3.0, 0.0, 1.5]], device)
    p = T([[0.2, 0.4, 0.6], [0.7, 0.1, 0.9]], device)
    ops = [
        lambda: torch.softmax(x, 1), lambda: torch.log_softmax(x, 0), lambda: torch.addcmul(x, y, y, value=2),
        lambda: torch.addcdiv(x, x, y.exp()), lambda: torch.logaddexp(x, y), lambda: torch.logaddexp2(x, y),
        lambda: torch.xlogy(x, y), lambda: torch.xlogy(2.0, y), lambda: torch.copysign(x, y), lambda: torch.fmax(x, y),
        lambda: torch.fmin(x, y), lambda: torch.deg2rad(x), lambda: torch.rad2deg(x), lambda: torch.sinc(x),
        lambda: torch.logit(p, 0.1), lambda: torch.heaviside(x, y), lambda: torch.positive(x), lambda: torch.sgn(x),
        lambda: torch.logcumsumexp(x, 1), lambda: torch.renorm(x, 2, 0, 1.0), lambda: torch.cdist(x, y),
        lambda: torch.cdist(x, y, 1.0), lambda: torch.dist(x, y), lambda: torch.cov(x), lambda: torch.corrcoef(x),
        lambda: torch.trapezoid(x), lambda: torch.trapezoid(x, y), lambda: torch.cumulative_trapezoid(x, dx=0.5),
        lambda: torch.histc(x, 4, -3, 3), lambda: torch.isin(x, y), lambda: torch.isin(x, 2.0),
        lambda: x.clone().sinc_(), lambda: x.clone().addcmul_(y, y),
    ]
    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    results = [op() for op in ops]
    monkeypatch.undo()
    assert all(r.is_cuda == (device != "cpu") for r in results)


# ----------------------------------------------------------------------------- methods and docs

def test_tensor_methods_are_attached_and_never_shadow_existing_ones():
    for name in ("softmax", "log_softmax", "addcmul", "addcmul_", "addcdiv", "addcdiv_", "logaddexp", "logaddexp2",
                 "xlogy", "xlogy_", "copysign", "copysign_", "fmax", "fmin", "deg2rad", "deg2rad_", "rad2deg",
                 "rad2deg_", "sinc", "sinc_", "logit", "logit_", "heaviside", "heaviside_", "positive", "sgn",
                 "sgn_", "logcumsumexp", "renorm", "renorm_", "dist", "cov", "corrcoef", "bincount", "histc"):
        assert callable(getattr(torch.Tensor, name)), name
    for module in (mc, ms):
        for name in module.__all__:
            assert getattr(torch, name) is getattr(module, name), name
    native = torch.Tensor.sign
    with pytest.raises(RuntimeError, match="Tensor.sign is already defined"):
        _attach.tensor_method(lambda self: None, "sign")
    assert torch.Tensor.sign is native


def test_docstring_examples():
    for module in (mc, ms):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0
