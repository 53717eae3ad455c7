"""torch.special and the gamma / Bessel functions (torch.lgamma, digamma, polygamma, mvlgamma, i0):
values against scipy (and mpmath near the zeros of lgamma and digamma, where scipy's own
lgamma loses digits), float64 gradients against finite differences, PyTorch's special values
and errors, on every device."""
import doctest
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _bessel_functions, _gamma_functions, _normal_functions, special
from ferrotorch.autograd import gradcheck, gradgradcheck

sp = pytest.importorskip("scipy.special")

INF, NAN = math.inf, math.nan


def rel_err(got, ref, atol=0.0):
    """Max of |got - ref| / |ref| where the values are not equal, |got - ref| <= atol passing."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    diff = np.abs(got - ref)
    err = np.where((got == ref) | (diff <= atol), 0.0, diff / np.maximum(np.abs(ref), 1e-300))
    return float(np.max(err)), (float(np.asarray(got).ravel()[np.argmax(err)]) if err.size else None)


def values(fn, x, device="cpu", dtype=torch.float64):
    return fn(torch.tensor(x, dtype=dtype, device=device)).cpu().double().numpy()


# A grid over both signs and many magnitudes, without the poles (the non-positive integers).
_POS = np.concatenate([np.linspace(0.01, 30.0, 3001), np.logspace(-12, 6, 300)])
_NEG = -np.linspace(0.013, 30.0, 1500)
_NEG = _NEG[np.abs(_NEG - np.round(_NEG)) > 1e-3]


# ----------------------------------------------------------------------------- float64 accuracy (CPU)

@pytest.mark.parametrize("name,fn,ref", [
    ("lgamma", torch.lgamma, sp.gammaln),
    ("digamma", torch.digamma, sp.digamma),
    ("polygamma1", lambda t: torch.polygamma(1, t), lambda x: sp.polygamma(1, x)),
    ("polygamma2", lambda t: torch.polygamma(2, t), lambda x: sp.polygamma(2, x)),
    ("polygamma3", lambda t: torch.polygamma(3, t), lambda x: sp.polygamma(3, x)),
    ("polygamma6", lambda t: torch.polygamma(6, t), lambda x: sp.polygamma(6, x)),
])
def test_gamma_family_float64_matches_scipy(name, fn, ref):
    x = _POS
    if name == "lgamma":
        # Near its zeros at 1 and 2 scipy's gammaln is itself only absolutely accurate (see the
        # mpmath test below).
        x = x[(np.abs(x - 1) > 0.01) & (np.abs(x - 2) > 0.01)]
    err, _ = rel_err(values(fn, x), ref(x))
    assert err < 1e-12, (name, err)
    # For x < 0 the function has zeros (lgamma, digamma) where only an absolute accuracy is possible.
    err, _ = rel_err(values(fn, _NEG), ref(_NEG), atol=1e-13)
    assert err < 1e-12, (name, err)


def test_lgamma_and_digamma_near_their_zeros_match_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    d = np.logspace(-13, -0.5, 40)
    x = np.concatenate([1 + d, 1 - d, 2 + d, 2 - d, np.linspace(0.5, 2.6, 211)])
    x = x[(x != 1) & (x != 2)]
    ref = [float(mpmath.loggamma(mpmath.mpf(float(v)))) for v in x]
    assert rel_err(values(torch.lgamma, x), ref)[0] < 1e-12
    root = 1.4616321449683623
    x = np.concatenate([root + d, root - d, np.linspace(0.6, 2.6, 201)])
    ref = [float(mpmath.digamma(mpmath.mpf(float(v)))) for v in x]
    assert rel_err(values(torch.digamma, x), ref)[0] < 1e-12
    assert torch.lgamma(torch.tensor([1.0, 2.0], dtype=torch.float64)).tolist() == [0.0, 0.0]


def test_gamma_family_float32():
    x = np.concatenate([np.linspace(0.01, 30.0, 3001), np.logspace(-6, 30, 100)]).astype(np.float32)
    x64 = x.astype(np.float64)
    for fn, ref in [(torch.lgamma, sp.gammaln), (torch.digamma, sp.digamma),
                    (lambda t: torch.polygamma(1, t), lambda v: sp.polygamma(1, v))]:
        got = fn(torch.tensor(x))
        assert got.dtype == torch.float32
        assert rel_err(got.double().numpy(), ref(x64), atol=1e-7)[0] < 1e-5


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_bessel_matches_scipy(name):
    fn, ref = getattr(torch.special, name), getattr(sp, name)
    x = np.concatenate([np.linspace(-30, 30, 2401), np.logspace(-10, 2.8, 200), -np.logspace(-10, 2.8, 200)])
    assert rel_err(values(fn, x), ref(x))[0] < 1e-14
    x32 = x[np.abs(x) < 80].astype(np.float32)  # i0(88) overflows float32
    assert rel_err(values(fn, x32, dtype=torch.float32), ref(x32.astype(np.float64)), atol=1e-30)[0] < 2e-6


def test_normal_distribution_functions_match_scipy():
    x = np.concatenate([np.linspace(-37, 12, 4901), -np.logspace(-5, 2, 100)])
    assert rel_err(values(special.ndtr, x), sp.ndtr(x))[0] < 1e-12
    assert rel_err(values(special.log_ndtr, x), sp.log_ndtr(x))[0] < 1e-13
    far = -np.logspace(1.3, 150, 50)  # ndtr underflows; the asymptotic series takes over
    assert rel_err(values(special.log_ndtr, far), sp.log_ndtr(far))[0] < 1e-14
    p = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-15, -1, 50)])
    assert rel_err(values(special.ndtri, p), sp.ndtri(p))[0] < 1e-13
    x32 = np.linspace(-8, 6, 701).astype(np.float32)
    for fn, ref in [(special.ndtr, sp.ndtr), (special.log_ndtr, sp.log_ndtr)]:
        assert rel_err(values(fn, x32, dtype=torch.float32), ref(x32.astype(np.float64)))[0] < 1e-5
    p32 = np.linspace(0.001, 0.999, 999).astype(np.float32)
    assert rel_err(values(special.ndtri, p32, dtype=torch.float32), sp.ndtri(p32.astype(np.float64)))[0] < 1e-5


# ----------------------------------------------------------------------------- every device

_X = [0.3, 1.7, 4.25, 12.5, -2.5, -0.75]
_P = [1e-9, 0.02, 0.3, 0.5, 0.9, 0.999]
_UNARY = [
    ("gammaln", special.gammaln, sp.gammaln, _X),
    ("psi", special.psi, sp.psi, _X),
    ("polygamma2", lambda t: special.polygamma(2, t), lambda x: sp.polygamma(2, x), _X),
    ("multigammaln", lambda t: special.multigammaln(t, 3), lambda x: np.array([sp.multigammaln(v, 3) for v in x]),
     [1.25, 2.0, 7.5]),
    ("i0", special.i0, sp.i0, _X),
    ("i0e", special.i0e, sp.i0e, _X),
    ("i1", special.i1, sp.i1, _X),
    ("i1e", special.i1e, sp.i1e, _X),
    ("ndtr", special.ndtr, sp.ndtr, _X),
    ("ndtri", special.ndtri, sp.ndtri, _P),
    ("log_ndtr", special.log_ndtr, sp.log_ndtr, _X + [-25.0]),
    ("entr", special.entr, sp.entr, [0.0, 0.3, 1.7, -1.0, INF]),
    ("expit", special.expit, sp.expit, _X),
    ("logit", special.logit, sp.logit, _P),
    ("erf", special.erf, sp.erf, _X),
    ("erfc", special.erfc, sp.erfc, _X),
    ("erfinv", special.erfinv, sp.erfinv, [-0.99, -0.3, 0.0, 0.5, 0.9]),
    ("expm1", special.expm1, np.expm1, _X),
    ("exp2", special.exp2, np.exp2, _X),
    ("log1p", special.log1p, np.log1p, [0.0, 1e-10, 0.5, 20.0]),
    ("sinc", special.sinc, np.sinc, [0.0, 0.25, 1.5, -2.5]),
]


@pytest.mark.parametrize("name,fn,ref,x", _UNARY, ids=[u[0] for u in _UNARY])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_unary_on_device(device, dtype, name, fn, ref, x):
    t = torch.tensor(x, dtype=dtype, device=device)
    got = fn(t)
    assert got.dtype == dtype and got.device == t.device
    expected = ref(np.asarray(t.cpu().numpy(), np.float64))
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(got.cpu().double().numpy(), expected, rtol=tol, atol=tol * 1e-2)


def test_binary_and_reductions_on_device(device):
    x = torch.tensor([0.0, 0.0, 2.0, -1.5, 3.0], dtype=torch.float64, device=device)
    y = torch.tensor([-1.0, INF, 0.5, 1.0, NAN], dtype=torch.float64, device=device)
    got = special.xlog1py(x, y).cpu().numpy()
    np.testing.assert_allclose(got, sp.xlog1py(x.cpu().numpy(), y.cpu().numpy()), rtol=1e-15)
    assert special.xlog1py(2.0, y).device == y.device
    np.testing.assert_allclose(special.xlogy(x, y.abs()).cpu().numpy(),
                               sp.xlogy(x.cpu().numpy(), np.abs(y.cpu().numpy())))
    m = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]], device=device)
    np.testing.assert_allclose(special.logsumexp(m, 1).cpu().numpy(), sp.logsumexp(m.cpu().numpy(), 1), rtol=1e-6)
    assert special.logsumexp(m, 1, keepdim=True).shape == (2, 1)
    np.testing.assert_allclose(special.softmax(m, 1).cpu().numpy(), sp.softmax(m.cpu().numpy(), 1), rtol=1e-6)
    np.testing.assert_allclose(special.log_softmax(m, 0).cpu().numpy(), sp.log_softmax(m.cpu().numpy(), 0), rtol=1e-5)
    assert special.softmax(m, 1, dtype=torch.float64).dtype == torch.float64
    r = special.round(torch.tensor([1.25, 2.5, -0.5, 3.14159], device=device), decimals=1)
    np.testing.assert_allclose(r.cpu().numpy(), [1.2, 2.5, -0.5, 3.1], rtol=1e-6)
    assert special.round(torch.tensor([0.5, 1.5, 2.5], device=device)).tolist() == [0.0, 2.0, 2.0]


def test_special_values_match_pytorch():
    t = torch.tensor([0.0, -0.0, -1.0, -2.0, INF, -INF, NAN], dtype=torch.float64)
    assert torch.lgamma(t).tolist()[:6] == [INF] * 6  # PyTorch: lgamma(-inf) = +inf
    assert math.isnan(torch.lgamma(t)[6].item())
    d = torch.digamma(t).tolist()
    assert d[0] == -INF and d[1] == INF and d[4] == INF  # copysign(inf, -x) at zero
    assert all(math.isnan(v) for v in (d[2], d[3], d[5], d[6]))
    p1, p2 = torch.polygamma(1, t).tolist(), torch.polygamma(2, t).tolist()
    assert p1[:4] == [INF] * 4 and p2[:4] == [-INF] * 4 and p1[4] == 0.0 and p2[4] == 0.0
    b = torch.tensor([0.0, INF, -INF], dtype=torch.float64)
    assert torch.i0(b).tolist() == [1.0, INF, INF] and special.i1(b).tolist() == [0.0, INF, -INF]
    assert special.i0e(b).tolist() == [1.0, 0.0, 0.0]
    assert special.ndtri(torch.tensor([0.0, 1.0])).tolist() == [-INF, INF]
    assert all(math.isnan(v) for v in special.ndtri(torch.tensor([-0.1, 1.1, NAN])).tolist())
    assert special.log_ndtr(torch.tensor([-INF, INF])).tolist() == [-INF, 0.0]
    e = special.entr(torch.tensor([0.0, -1.0, NAN]))
    assert e[0].item() == 0.0 and e[1].item() == -INF and math.isnan(e[2].item())
    assert torch.special.xlog1py(torch.tensor([0.0]), torch.tensor([NAN])).isnan().all()


# ----------------------------------------------------------------------------- gradients

_GRADS = [
    ("lgamma", torch.lgamma, [0.3, 1.5, 4.2, -2.5]),
    ("digamma", torch.digamma, [0.3, 1.5, 4.2, -2.5]),
    ("polygamma1", lambda t: torch.polygamma(1, t), [0.3, 1.5, -2.5]),
    ("polygamma3", lambda t: torch.polygamma(3, t), [0.7, 2.5]),
    ("mvlgamma", lambda t: torch.mvlgamma(t, 3), [1.5, 4.0]),
    ("i0", torch.i0, [-1.5, 0.5, 9.0]),
    ("i0e", special.i0e, [-1.5, 0.5, 9.0]),
    ("i1", special.i1, [-1.5, 0.5, 9.0]),
    ("i1e", special.i1e, [-1.5, 0.5, 9.0]),
    ("ndtr", special.ndtr, [-2.0, 0.5]),
    ("ndtri", special.ndtri, [0.01, 0.4, 0.97]),
    ("log_ndtr", special.log_ndtr, [-30.0, -3.0, 0.5]),
    ("entr", special.entr, [0.2, 1.5]),
]


def _grads(fn, *inputs):
    return torch.autograd.grad(fn(*inputs).sum(), inputs)


@pytest.mark.parametrize("name,fn,x", _GRADS, ids=[g[0] for g in _GRADS])
def test_gradients_float64(device, name, fn, x):
    # Finite differences on the CPU (gradcheck reads values on the host); on another device the
    # gradients must equal the CPU's.
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    if device == "cpu":
        assert gradcheck(fn, (t,))
    else:
        td = t.detach().to(device).requires_grad_()
        (got,) = _grads(fn, td)
        assert got.device == td.device
        np.testing.assert_allclose(got.cpu().numpy(), _grads(fn, t)[0].numpy(), rtol=1e-11)


def test_xlog1py_gradients_and_second_derivatives(device):
    x = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.25, 3.0, -0.5], dtype=torch.float64, requires_grad=True)
    if device == "cpu":
        assert gradcheck(special.xlog1py, (x, y))
    else:
        xd, yd = (v.detach().to(device).requires_grad_() for v in (x, y))
        for got, want in zip(_grads(special.xlog1py, xd, yd), _grads(special.xlog1py, x, y)):
            np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-12)
    # x == 0 meets y == -1: value 0 and finite gradients, as PyTorch's masked formula gives.
    x0 = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    y0 = torch.tensor([-1.0], dtype=torch.float64, requires_grad=True)
    special.xlog1py(x0, y0).sum().backward()
    assert x0.grad.tolist() == [0.0] and y0.grad.tolist() == [0.0]

def test_second_derivatives():
    z = torch.tensor([0.4, 2.5], dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(torch.lgamma, (z,))
    assert gradgradcheck(special.i1, (z,))
    assert gradgradcheck(special.log_ndtr, (z,))


def test_gradient_formulas():
    x = torch.tensor([0.5, 3.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.lgamma(x).sum(), x)
    assert g.tolist() == torch.digamma(x.detach()).tolist()
    (g,) = torch.autograd.grad(torch.digamma(x).sum(), x)
    assert g.tolist() == torch.polygamma(1, x.detach()).tolist()
    # i1 and i1e have derivative 1/2 at 0, where the formula meets 0 * inf (PyTorch's rule).
    z = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(special.i1(z).sum() + special.i1e(z).sum(), z)
    assert g.tolist() == [1.0, 1.0]
    e = torch.tensor([0.0, -1.0], requires_grad=True)
    special.entr(e).sum().backward()
    assert e.grad[0].item() == INF and math.isnan(e.grad[1].item())  # -(1 + log x), as PyTorch
    assert torch.lgamma(x).grad_fn.name() == "LgammaBackward0"
    assert torch.digamma(x).grad_fn.name() == "DigammaBackward0"
    assert torch.i0(x).grad_fn.name() == "I0Backward0"


# ----------------------------------------------------------------------------- API details

def test_dtypes_out_methods_and_inplace():
    ints = torch.tensor([1, 2, 3])
    assert torch.lgamma(ints).dtype == torch.float32 and torch.i0(ints).dtype == torch.float32
    assert special.ndtr(ints).dtype == torch.float32 and torch.mvlgamma(ints, 1).dtype == torch.float32
    half = torch.tensor([0.5, 3.0], dtype=torch.float16)
    assert torch.lgamma(half).dtype == torch.float16
    np.testing.assert_allclose(torch.lgamma(half).float().numpy(), sp.gammaln([0.5, 3.0]), rtol=1e-3)
    x = torch.tensor([0.5, 3.0])
    out = torch.empty(2)
    assert torch.digamma(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), sp.digamma([0.5, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(x.lgamma().numpy(), sp.gammaln([0.5, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(x.polygamma(1).numpy(), sp.polygamma(1, [0.5, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(x.mvlgamma(1).numpy(), sp.gammaln([0.5, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(x.i0().numpy(), sp.i0([0.5, 3.0]), rtol=1e-6)
    for name, ref in [("lgamma_", sp.gammaln), ("digamma_", sp.digamma), ("i0_", sp.i0)]:
        y = x.clone()
        assert getattr(y, name)() is y
        np.testing.assert_allclose(y.numpy(), ref([0.5, 3.0]), rtol=1e-6)
    y = x.clone()
    y.polygamma_(2)
    np.testing.assert_allclose(y.numpy(), sp.polygamma(2, [0.5, 3.0]), rtol=1e-6)
    y = torch.tensor([2.5, 4.0])
    y.mvlgamma_(2)
    np.testing.assert_allclose(y.numpy(), sp.multigammaln([2.5, 4.0], 2), rtol=1e-6)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.tensor([1, 2]).lgamma_()
    assert torch.special.psi is not torch.digamma and special.gammaln(x).tolist() == torch.lgamma(x).tolist()
    assert torch.polygamma(0, x).tolist() == torch.digamma(x).tolist()


def test_errors():
    x = torch.tensor([1.5])
    with pytest.raises(RuntimeError, match=r"^polygamma\(n, x\) does not support negative n\.$"):
        torch.polygamma(-1, x)
    with pytest.raises(TypeError, match="must be int"):
        torch.polygamma(1.5, x)
    with pytest.raises(RuntimeError, match="^p has to be greater than or equal to 1$"):
        torch.mvlgamma(x, 0)
    with pytest.raises(RuntimeError, match="^The input tensor may not be a boolean tensor.$"):
        torch.mvlgamma(torch.tensor([True]), 1)
    with pytest.raises(TypeError, match=r"lgamma\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        torch.lgamma(1.5)
    with pytest.raises(TypeError, match=r"^polygamma\(\): argument 'input' \(position 2\) must be Tensor, not int$"):
        torch.polygamma(1, 2)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        special.i1e([1.0])
    with pytest.raises(TypeError, match="must be Tensor"):
        special.entr(0.5)


def test_empty_and_zero_dim(device):
    e = torch.empty(0, 3, device=device)
    for fn in (torch.lgamma, torch.digamma, torch.i0, special.i1e, special.ndtri, special.log_ndtr):
        assert fn(e).shape == (0, 3)
    s = torch.tensor(4.0, device=device)
    assert torch.lgamma(s).shape == () and abs(torch.lgamma(s).item() - math.log(6.0)) < 1e-6


@pytest.mark.parametrize("module", [special, _gamma_functions, _bessel_functions, _normal_functions])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
