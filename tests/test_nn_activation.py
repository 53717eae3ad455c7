"""Activation functions and modules: values against numpy formulas, gradients by gradcheck (float64),
in-place variants under autograd, module reprs, and PyTorch's errors."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

_erf = np.vectorize(math.erf)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    with np.errstate(over="ignore"):
        return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


# name -> (functional call, numpy reference)
CASES = {
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(np.minimum(x, 0)))),
    "selu": (F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0)))),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2))),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "silu": (F.silu, lambda x: x * _sig(x)),
    "mish": (F.mish, lambda x: x * np.tanh(_softplus(x))),
    "softplus": (lambda x: F.softplus(x, beta=2.0, threshold=5.0), lambda x: _softplus(x, 2.0, 5.0)),
    "sigmoid": (F.sigmoid, _sig),
    "tanh": (F.tanh, np.tanh),
    "hardtanh": (lambda x: F.hardtanh(x, -2.0, 1.5), lambda x: np.clip(x, -2.0, 1.5)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.7), lambda x: np.where(np.abs(x) > 0.7, x, 0)),
    "softshrink": (lambda x: F.softshrink(x, 0.7),
                   lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0))),
    "threshold": (lambda x: F.threshold(x, 0.5, -3.0), lambda x: np.where(x > 0.5, x, -3.0)),
    "glu": (lambda x: F.glu(x, 0), lambda x: x[: len(x) // 2] * _sig(x[len(x) // 2:])),
    "softmin": (lambda x: F.softmin(x, 1),
                lambda x: np.exp(-x - (-x).max(1, keepdims=True)) / np.exp(-x - (-x).max(1, keepdims=True)).sum(1,
                                                                                                     keepdims=True)),
}


def _input(dtype, seed=0):
    # 6x5 values in [-8, 8], transposed (non-contiguous) so that strided paths are exercised.
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(-8, 8, (5, 6)), dtype=dtype).t()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_forward_matches_numpy(name, dtype):
    fn, ref = CASES[name]
    x = _input(dtype)
    assert not x.is_contiguous()
    y = fn(x)
    assert y.dtype == dtype
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), ref(x.numpy().astype(np.float64)), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn = CASES[name][0]
    # Keep away from the kinks (0, +-0.7, thresholds, +-3, clamp bounds) where gradients jump.
    x = _input(torch.float64, seed=1)
    kinks = torch.tensor([0.0, 0.5, 0.7, -0.7, 1.5, -2.0, 3.0, -3.0, 6.0, 2.5], dtype=torch.float64)
    near = ((x.unsqueeze(-1) - kinks).abs() < 1e-3).any(-1)
    x = torch.where(near, x + 0.01, x).detach().t().contiguous().t().requires_grad_()
    assert gradcheck(fn, (x,))


def test_special_inputs_empty_scalar_extremes():
    for name, (fn, ref) in CASES.items():
        if name not in ("glu", "softmin"):
            assert fn(torch.empty(0, 3)).shape == (0, 3)
            s = torch.tensor(0.3, dtype=torch.float64)
            np.testing.assert_allclose(fn(s).item(), ref(np.float64(0.3)), rtol=1e-12)
    big = torch.tensor([-1000.0, -50.0, 50.0, 1000.0])
    for fn in (F.logsigmoid, F.softplus, F.mish, F.silu, F.elu, F.selu, F.celu, F.gelu):
        x = big.clone().requires_grad_()
        y = fn(x)
        y.sum().backward()
        assert torch.isfinite(y).all() and torch.isfinite(x.grad).all(), fn.__name__
    np.testing.assert_allclose(F.logsigmoid(big).numpy(), [-1000.0, -50.0, -1.9287e-22, 0.0], rtol=1e-4)
    # Softplus is the identity above the threshold (and so is its gradient).
    x = torch.tensor([10.0, 30.0], dtype=torch.float64, requires_grad=True)
    F.softplus(x).sum().backward()
    assert F.softplus(x)[1].item() == 30.0 and x.grad.tolist()[1] == 1.0


def test_gradients_at_kinks_follow_pytorch():
    x = torch.tensor([-1.0, 0.0, 1.0, 6.0, -3.0, 3.0], dtype=torch.float64, requires_grad=True)
    F.hardtanh(x).sum().backward()  # only strictly inside (-1, 1)
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    x.grad = None
    F.relu6(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    x.grad = None
    F.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1, 1, 0.1, 1])
    x.grad = None
    F.elu(x, 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:2], [2 * math.exp(-1), 2.0])
    x.grad = None
    F.logsigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - _sig(x.detach().numpy()), rtol=1e-12)


INPLACE = [
    ("relu", lambda x: F.relu(x, inplace=True), F.relu),
    ("relu_", F.relu_, F.relu),
    ("hardtanh_", lambda x: F.hardtanh_(x, -0.5, 0.5), lambda x: F.hardtanh(x, -0.5, 0.5)),
    ("relu6", lambda x: F.relu6(x, inplace=True), F.relu6),
    ("leaky_relu_", F.leaky_relu_, F.leaky_relu),
    ("elu_", F.elu_, F.elu),
    ("selu_", F.selu_, F.selu),
    ("celu_", lambda x: F.celu_(x, 0.5), lambda x: F.celu(x, 0.5)),
    ("silu", lambda x: F.silu(x, inplace=True), F.silu),
    ("mish", lambda x: F.mish(x, inplace=True), F.mish),
    ("hardsigmoid", lambda x: F.hardsigmoid(x, inplace=True), F.hardsigmoid),
    ("hardswish", lambda x: F.hardswish(x, inplace=True), F.hardswish),
    ("threshold_", lambda x: F.threshold_(x, 0.1, 2.0), lambda x: F.threshold(x, 0.1, 2.0)),
]


@pytest.mark.parametrize("name,inplace,outofplace", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_variants_modify_input_and_backprop(name, inplace, outofplace):
    base = torch.randn(4, 3, dtype=torch.float64)
    want = outofplace(base)
    # Under autograd: in place on a non-leaf gives the out-of-place result and gradient.
    leaf = base.clone().requires_grad_()
    h = leaf * 2
    out = inplace(h)
    assert out is h and h.grad_fn is not None
    np.testing.assert_allclose(h.detach().numpy(), outofplace(base * 2).numpy(), rtol=1e-12)
    (h * torch.arange(12.0, dtype=torch.float64).reshape(4, 3)).sum().backward()
    ref_leaf = base.clone().requires_grad_()
    (outofplace(ref_leaf * 2) * torch.arange(12.0, dtype=torch.float64).reshape(4, 3)).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), ref_leaf.grad.numpy(), rtol=1e-12)
    # Without grad, on a non-contiguous tensor.
    t = base.t().clone().t()
    assert inplace(t) is t
    np.testing.assert_allclose(t.numpy(), want.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        inplace(base.clone().requires_grad_())


def test_prelu_functional_and_module():
    x = torch.randn(4, 2, 3, dtype=torch.float64).transpose(1, 2)  # (4, 3, 2), channels on dim 1
    w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    xn = x.numpy()
    want = np.where(xn > 0, xn, xn * w.numpy().reshape(1, 3, 1))
    np.testing.assert_allclose(F.prelu(x, w).numpy(), want)
    assert gradcheck(F.prelu, (x.clone().requires_grad_(), w.clone().requires_grad_()))
    shared = torch.tensor([0.5], dtype=torch.float64)
    assert gradcheck(F.prelu, (torch.randn(5, dtype=torch.float64, requires_grad=True), shared.requires_grad_()))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found "
                                           "parameter numbers = 3 and channel size = 4."):
        F.prelu(torch.randn(2, 4), torch.ones(3))
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Float and Double"):
        F.prelu(torch.randn(2, 3), w)
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor"):
        F.prelu(torch.tensor(1.0), torch.ones(3))
    m = nn.PReLU(3, init=0.1)
    assert repr(m) == "PReLU(num_parameters=3)" and list(m.state_dict()) == ["weight"]
    assert m.weight.tolist() == pytest.approx([0.1] * 3)
    xm = torch.randn(2, 3, 5)
    m(xm).sum().backward()
    want_g = np.minimum(xm.numpy(), 0).sum(axis=(0, 2))
    np.testing.assert_allclose(m.weight.grad.numpy(), want_g, rtol=1e-5, atol=1e-6)
    assert nn.PReLU(dtype=torch.float64).weight.dtype == torch.float64


def test_glu_softmin_gelu_celu_errors():
    x = torch.randn(4, 6)
    np.testing.assert_allclose(nn.GLU()(x).numpy(), x.numpy()[:, :3] * _sig(x.numpy()[:, 3:]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(torch.randn(2, 5))
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(torch.tensor(1.0))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        y = F.softmin(torch.randn(2, 3))
    np.testing.assert_allclose(y.sum(1).numpy(), [1, 1], rtol=1e-6)
    assert F.softmin(torch.randn(2, 3), 1, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        F.celu(x, alpha=0.0)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(AssertionError):
        nn.Hardtanh(1.0, 1.0)


REPRS = [
    (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"), (nn.ReLU6(), "ReLU6()"),
    (nn.ReLU6(True), "ReLU6(inplace=True)"), (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"), (nn.ELU(), "ELU(alpha=1.0)"),
    (nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)"), (nn.SELU(), "SELU()"), (nn.CELU(2.0), "CELU(alpha=2.0)"),
    (nn.GELU(), "GELU(approximate='none')"), (nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (nn.SiLU(), "SiLU()"), (nn.Mish(inplace=True), "Mish(inplace=True)"),
    (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"), (nn.Sigmoid(), "Sigmoid()"), (nn.Tanh(), "Tanh()"),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.Hardtanh(-2, 2, True), "Hardtanh(min_val=-2, max_val=2, inplace=True)"),
    (nn.Hardsigmoid(True), "Hardsigmoid()"), (nn.Hardswish(), "Hardswish()"), (nn.LogSigmoid(), "LogSigmoid()"),
    (nn.Softsign(), "Softsign()"), (nn.Tanhshrink(), "Tanhshrink()"), (nn.Hardshrink(), "Hardshrink(0.5)"),
    (nn.Softshrink(0.2), "Softshrink(0.2)"), (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (nn.GLU(), "GLU(dim=-1)"), (nn.Softmin(1), "Softmin(dim=1)"), (nn.Softmax(0), "Softmax(dim=0)"),
    (nn.LogSoftmax(-1), "LogSoftmax(dim=-1)"),
]


@pytest.mark.parametrize("module,text", REPRS, ids=[t for _, t in REPRS])
def test_module_repr(module, text):
    assert repr(module) == text
    assert list(module.state_dict()) == []


def test_modules_call_their_functional_form():
    x = _input(torch.float64)
    pairs = [(nn.ReLU6(), F.relu6(x)), (nn.LeakyReLU(0.3), F.leaky_relu(x, 0.3)), (nn.ELU(0.7), F.elu(x, 0.7)),
             (nn.SELU(), F.selu(x)), (nn.CELU(0.7), F.celu(x, 0.7)), (nn.GELU("tanh"), F.gelu(x, approximate="tanh")),
             (nn.SiLU(), F.silu(x)), (nn.Mish(), F.mish(x)), (nn.Softplus(2, 3), F.softplus(x, 2, 3)),
             (nn.Sigmoid(), x.sigmoid()), (nn.Tanh(), x.tanh()), (nn.Hardtanh(-2, 2), F.hardtanh(x, -2, 2)),
             (nn.Hardsigmoid(), F.hardsigmoid(x)), (nn.Hardswish(), F.hardswish(x)),
             (nn.LogSigmoid(), F.logsigmoid(x)), (nn.Softsign(), F.softsign(x)), (nn.Tanhshrink(), F.tanhshrink(x)),
             (nn.Hardshrink(1.0), F.hardshrink(x, 1.0)), (nn.Softshrink(1.0), F.softshrink(x, 1.0)),
             (nn.Threshold(1.0, 0.5), F.threshold(x, 1.0, 0.5)), (nn.Softmin(0), F.softmin(x, 0)),
             (nn.GLU(0), F.glu(x, 0))]
    for module, want in pairs:
        np.testing.assert_array_equal(module(x).numpy(), want.numpy(), err_msg=repr(module))
    # inplace=True modules write into their input.
    y = x.clone()
    assert nn.ELU(inplace=True)(y) is y
    np.testing.assert_array_equal(y.numpy(), F.elu(x).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Softmin(1)(x)


def test_rrelu_training_draws_slopes_eval_uses_their_mean():
    torch.manual_seed(0)
    x = (torch.rand(40, 50, dtype=torch.float64) * 4 - 2).t().requires_grad_()  # non-contiguous
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slope = (y / x).detach().numpy()
    xn = x.detach().numpy()
    assert np.all(slope[xn > 0] == 1)
    neg = slope[xn < 0]
    assert neg.min() >= 0.1 and neg.max() <= 0.3 and neg.std() > 0.04  # varies per element
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-12)  # the gradient is the slope drawn
    np.testing.assert_allclose(F.rrelu(x.detach(), 0.1, 0.3).numpy(), np.where(xn > 0, xn, 0.2 * xn), rtol=1e-12)
    m = nn.RReLU(0.1, 0.3)
    assert repr(m) == "RReLU(lower=0.1, upper=0.3)"
    assert repr(nn.RReLU(inplace=True)) == "RReLU(lower=0.125, upper=0.3333333333333333, inplace=True)"
    np.testing.assert_allclose(m.eval()(x.detach()).numpy(), np.where(xn > 0, xn, 0.2 * xn), rtol=1e-12)
    t = x.detach().clone()
    assert F.rrelu_(t, training=True) is t and not np.allclose(t.numpy(), xn)


def test_softmax2d_normalises_over_channels():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    y = nn.Softmax2d()(x).numpy()
    e = np.exp(x.numpy())
    np.testing.assert_allclose(y, e / e.sum(1, keepdims=True), rtol=1e-12)
    assert nn.Softmax2d()(x[0]).shape == (3, 4, 5) and repr(nn.Softmax2d()) == "Softmax2d()"
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(x[0, 0])
