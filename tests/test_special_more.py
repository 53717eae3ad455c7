"""torch.special additions: gammainc / gammaincc (torch.igamma / igammac), erfcx, zeta,
modified_bessel_i0 / i1, spherical_bessel_j0, the orthogonal polynomials, and Gamma / Chi2 cdf.

Values against scipy.special (float32 and float64, both devices, the GPU with tiny sizes),
PyTorch's special values (NaN / inf / 0 / negative, as literals), its degree conventions for the
polynomials, dtype promotion, gradients (gradcheck) and its "not implemented" derivatives."""
import doctest
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _special_incomplete, _special_polynomials
from ferrotorch.autograd import gradcheck

sp = pytest.importorskip("scipy.special")

INF, NAN = math.inf, math.nan
F64 = torch.float64


def tens(x, device="cpu", dtype=F64, **kw):
    return torch.tensor(np.array(x, dtype=np.float64, order="C"), dtype=dtype, device=device, **kw)


def npy(t):
    return t.detach().cpu().double().numpy()


def check_rel(got, ref, rtol, tiny=1e-300):
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    err = np.where(same, 0.0, np.abs(got - ref) / np.maximum(np.abs(ref), tiny))
    assert err.max() <= rtol, (err.max(), got.ravel()[np.argmax(err)], ref.ravel()[np.argmax(err)])


# ----------------------------------------------------------------------------- gammainc

def _gamma_grid(n, seed=0):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.uniform(math.log(1e-3), math.log(250.0), n))
    half = n // 2
    x = np.concatenate([a[:half] * np.exp(rng.uniform(-3, 3, half)), a[half:] * (1 + rng.uniform(-0.2, 0.2, n - half))])
    return a, x


@pytest.mark.parametrize("fn, ref", [("gammainc", sp.gammainc), ("gammaincc", sp.gammaincc)])
def test_gammainc_values_float64(device, fn, ref):
    a, x = _gamma_grid(600 if device == "cpu" else 12)
    got = getattr(torch.special, fn)(tens(a, device), tens(x, device))
    assert got.dtype == F64 and got.device.type == torch.device(device).type
    e = ref(a, x)
    keep = e > 1e-280  # below, the exponent's rounding dominates in any implementation
    check_rel(npy(got)[keep], e[keep], 2e-12)


@pytest.mark.parametrize("fn, ref", [("gammainc", sp.gammainc), ("gammaincc", sp.gammaincc)])
def test_gammainc_values_float32(device, fn, ref):
    a = np.array([[0.5, 3.0, 20.0], [1.0, 50.0, 7.5]], np.float32)
    x = np.array([[0.2, 4.0, 18.0], [1.0, 60.0, 2.0]], np.float32)
    got = getattr(torch.special, fn)(tens(a, device, torch.float32).t(), tens(x, device, torch.float32).t())
    assert got.dtype == torch.float32
    check_rel(npy(got), ref(a.T.astype(np.float64), x.T.astype(np.float64)), 2e-5)


def test_gammainc_broadcast_and_large_ratio():
    a = tens([[0.5], [2.0], [120.0]])
    x = tens([1e-4, 3.0, 700.0])
    ref_p = sp.gammainc(np.array([[0.5], [2.0], [120.0]]), np.array([1e-4, 3.0, 700.0]))
    check_rel(npy(torch.special.gammainc(a, x)), ref_p, 1e-12)
    check_rel(npy(torch.special.gammaincc(a, x)), sp.gammaincc(np.array([[0.5], [2.0], [120.0]]), np.array([1e-4, 3.0, 700.0])), 1e-11)


# PyTorch's values on {0, -0, -1, 0.5, inf, -inf, nan} x the same (rows: a, columns: x).
_EDGE = [0.0, -0.0, -1.0, 0.5, INF, -INF, NAN]
_P_EDGE = [[NAN, NAN, NAN, 1.0, 1.0, NAN, NAN], [NAN, NAN, NAN, 1.0, 1.0, NAN, NAN], [NAN] * 7,
           [0.0, 0.0, NAN, 0.6826894921370859, 1.0, NAN, NAN], [0.0, 0.0, NAN, 0.0, NAN, NAN, 0.0],
           [NAN] * 7, [0.0, 0.0, NAN, NAN, 1.0, NAN, NAN]]


def test_gammainc_special_values(device):
    a, x = np.meshgrid(_EDGE, _EDGE, indexing="ij")
    p = npy(torch.special.gammainc(tens(a, device), tens(x, device)))
    q = npy(torch.special.gammaincc(tens(a, device), tens(x, device)))
    np.testing.assert_allclose(p, _P_EDGE, rtol=1e-14)
    expected_q = np.where(np.isnan(_P_EDGE), NAN, 1.0 - np.array(_P_EDGE))
    expected_q[3, 3] = 0.3173105078629141
    np.testing.assert_allclose(q, expected_q, rtol=1e-14)


def test_gammainc_errors():
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        torch.special.gammainc(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"special_gammainc\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        torch.special.gammainc(1.0, torch.tensor([1.0]))
    with pytest.raises(TypeError, match=r"special_gammaincc\(\): argument 'other' \(position 2\) must be Tensor, not float"):
        torch.special.gammaincc(torch.tensor([1.0]), 1.0)
    with pytest.raises(RuntimeError, match="must match the size"):
        torch.special.gammainc(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0, 3.0]))
    # Integer with float promotes (to the float operand's dtype).
    out = torch.special.gammainc(torch.tensor([1]), torch.tensor([1.0], dtype=F64))
    assert out.dtype == F64 and abs(out.item() - (1 - math.exp(-1))) < 1e-15


def test_gammainc_gradients(device):
    a = tens([0.7, 2.5, 9.0], device)
    x = tens([0.4, 3.0, 12.0], device, requires_grad=True)
    assert gradcheck(lambda x: torch.special.gammainc(a, x), (x,))
    assert gradcheck(lambda x: torch.special.gammaincc(a, x), (x,))
    # Not differentiable in `a`, with PyTorch's error, but the gradient in x alone still works.
    a = tens([0.7, 2.5, 9.0], device, requires_grad=True)
    for fn, name in ((torch.special.gammainc, "igamma"), (torch.special.gammaincc, "igammac")):
        out = fn(a, x)
        (gx,) = torch.autograd.grad(out.sum(), x, retain_graph=True)
        sign = -1.0 if name == "igammac" else 1.0
        ref = sign * np.exp(-npy(x)) * npy(x) ** (npy(a) - 1) / sp.gamma(npy(a))
        check_rel(npy(gx), ref, 1e-12)
        with pytest.raises(NotImplementedError, match=f"the derivative for '{name}: input' is not implemented."):
            out.sum().backward()


def test_igamma_toplevel_and_methods():
    a, x = tens([1.0, 2.0]), tens([2.0, 0.5])
    p, q = sp.gammainc([1.0, 2.0], [2.0, 0.5]), sp.gammaincc([1.0, 2.0], [2.0, 0.5])
    check_rel(npy(torch.igamma(a, x)), p, 1e-14)
    check_rel(npy(torch.igammac(a, x)), q, 1e-14)
    check_rel(npy(a.igamma(x)), p, 1e-14)
    check_rel(npy(a.igammac(x)), q, 1e-14)
    b = a.clone()
    assert b.igamma_(x) is b
    check_rel(npy(b), p, 1e-14)
    b = a.clone()
    b.igammac_(x)
    check_rel(npy(b), q, 1e-14)
    with pytest.raises(TypeError, match=r"igamma\(\): argument 'other' \(position 1\) must be Tensor, not int"):
        a.igamma(2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.tensor([1, 2]).igamma_(torch.tensor([1.0, 2.0]))


def test_gamma_and_chi2_cdf(device):
    conc, rate = np.array([2.0, 3.5, 0.3]), np.array([1.5, 0.5, 2.0])
    value = np.array([1.0, 4.0, 0.01])
    g = torch.distributions.Gamma(tens(conc, device), tens(rate, device))
    check_rel(npy(g.cdf(tens(value, device))), sp.gammainc(conc, rate * value), 1e-12)
    c = torch.distributions.Chi2(tens([3.0, 10.0], device))
    check_rel(npy(c.cdf(tens([2.0, 12.5], device))), sp.gammainc([1.5, 5.0], [1.0, 6.25]), 1e-12)
    with pytest.raises(ValueError, match="Expected value argument"):
        g.cdf(tens([-1.0, 1.0, 1.0], device))
    r = tens([1.5], device, requires_grad=True)
    v = tens([1.0], device, requires_grad=True)
    torch.distributions.Gamma(tens([2.0], device), r).cdf(v).sum().backward()
    dens = 1.5 * np.exp(-1.5)  # d/dy P(2, y) at y = 1.5: y e^-y / Gamma(2)
    check_rel(npy(v.grad), [dens * 1.5], 1e-12)
    check_rel(npy(r.grad), [dens * 1.0], 1e-12)


# ----------------------------------------------------------------------------- erfcx

def test_erfcx_values(device):
    x = np.concatenate([np.linspace(-26, 40, 400 if device == "cpu" else 9), [1e3, 1e10, 1e200, 2.9999, 3.0, 3.0001]])
    check_rel(npy(torch.special.erfcx(tens(x, device))), sp.erfcx(x), 4e-15)
    xf = np.array([-3.0, 0.5, 2.99, 3.5, 50.0, 1e20], np.float32)
    got = torch.special.erfcx(tens(xf, device, torch.float32))
    assert got.dtype == torch.float32
    check_rel(npy(got), sp.erfcx(xf.astype(np.float64)), 1e-6)
    edge = npy(torch.special.erfcx(tens([0.0, -0.0, -30.0, INF, -INF, NAN], device)))
    np.testing.assert_array_equal(edge, [1.0, 1.0, INF, 0.0, INF, NAN])
    assert torch.special.erfcx(torch.tensor([1, 2])).dtype == torch.float32


def test_erfcx_gradient(device):
    x = tens([[-2.0, 0.3], [2.9, 3.1]], device, requires_grad=True)
    assert gradcheck(lambda x: torch.special.erfcx(x.t()), (x,))
    out = torch.special.erfcx(x)
    assert out.grad_fn.name() == "SpecialErfcxBackward0"


# ----------------------------------------------------------------------------- zeta

def test_zeta_values(device):
    rng = np.random.default_rng(1)
    n = 300 if device == "cpu" else 8
    s = 1 + np.exp(rng.uniform(-10, 4, n))
    q = np.exp(rng.uniform(-6, 8, n))
    q[: n // 5] = -rng.uniform(0, 2, n // 5)  # negative q with integer s: defined
    s[: n // 5] = rng.integers(2, 12, n // 5)
    check_rel(npy(torch.special.zeta(tens(s, device), tens(q, device))), sp.zeta(s, q), 5e-14)
    got = torch.special.zeta(tens([2.0, 3.5], device, torch.float32), tens([1.0, 0.25], device, torch.float32))
    check_rel(npy(got), sp.zeta([2.0, 3.5], [1.0, 0.25]), 1e-6)


def test_zeta_numbers_dtypes_and_special_values(device):
    out = torch.special.zeta(2, torch.tensor([1, 2], device=device))
    assert out.dtype == torch.float32
    check_rel(npy(out), [math.pi ** 2 / 6, math.pi ** 2 / 6 - 1], 1e-6)
    check_rel(npy(torch.special.zeta(tens([4.0], device), 1)), [math.pi ** 4 / 90], 1e-15)
    with pytest.raises(TypeError, match=r"special_zeta\(\) received an invalid combination of arguments - got \(float, float\)"):
        torch.special.zeta(2.0, 3.0)
    # rows x in {1, 0.5, inf, nan}, columns q in {0, -1, 0.5, 1, 30, inf, -inf, nan} (PyTorch's values)
    x, q = np.meshgrid([1.0, 0.5, INF, NAN], [0.0, -1.0, 0.5, 1.0, 30.0, INF, -INF, NAN], indexing="ij")
    expected = [[INF] * 8, [NAN] * 8, [INF, INF, INF, 1.0, NAN, NAN, INF, NAN], [INF, INF, NAN, NAN, NAN, NAN, INF, NAN]]
    np.testing.assert_array_equal(npy(torch.special.zeta(tens(x, device), tens(q, device))), expected)
    assert npy(torch.special.zeta(tens([2.5], device), tens([-1.5], device)))[0] != npy(torch.special.zeta(tens([2.5], device), tens([-1.5], device)))[0]  # NaN


def test_zeta_gradient(device):
    x = tens([2.0, 3.5], device)
    q = tens([0.7, 4.0], device, requires_grad=True)
    assert gradcheck(lambda q: torch.special.zeta(x, q), (q,))
    xg = tens([2.0, 3.5], device, requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented."):
        torch.special.zeta(xg, q).sum().backward()


# ----------------------------------------------------------------------------- Bessel

def test_modified_bessel_i0_i1(device):
    x = np.array([0.0, -1.0, 0.5, 7.9, 8.1, -30.0, 700.0])
    check_rel(npy(torch.special.modified_bessel_i0(tens(x, device))), sp.i0(x), 1e-14)
    check_rel(npy(torch.special.modified_bessel_i1(tens(x, device))), sp.i1(x), 1e-14)
    # PyTorch: these two give NaN at +-inf, while torch.i0 / special.i1 give +-inf.
    edge = tens([INF, -INF], device)
    assert np.isnan(npy(torch.special.modified_bessel_i0(edge))).all()
    assert np.isnan(npy(torch.special.modified_bessel_i1(edge))).all()
    np.testing.assert_array_equal(npy(torch.i0(edge)), [INF, INF])
    assert torch.special.modified_bessel_i0(torch.tensor([1, 2])).dtype == torch.float32
    xg = tens([0.3, -2.0, 9.0], device, requires_grad=True)
    assert gradcheck(lambda x: torch.special.modified_bessel_i0(x), (xg,))
    assert gradcheck(lambda x: torch.special.modified_bessel_i1(x), (xg,))


def test_spherical_bessel_j0(device):
    x = np.array([0.0, -0.0, 1e-9, 0.3, -0.49, 0.51, 30.0, -1e10, INF, -INF, NAN])
    got = torch.special.spherical_bessel_j0(tens(x, device, requires_grad=True))
    assert not got.requires_grad  # not differentiable in PyTorch
    with np.errstate(invalid="ignore"):
        ref = np.where(np.isinf(x), 0.0, np.sinc(x / np.pi))
    check_rel(npy(got), ref, 2e-15)
    assert torch.special.spherical_bessel_j0(torch.tensor([1, 2])).dtype == torch.float32


# ----------------------------------------------------------------------------- polynomials

def _ref_poly(name, x, n):
    shifted = name.startswith("shifted_")
    y = 2 * x - 1 if shifted else x
    kind = name[-1]
    if "chebyshev" in name:
        if kind == "t":
            return sp.eval_chebyt(n, y)
        if kind == "u":
            return sp.eval_chebyu(n, y)
        # V_n = U_n - U_(n-1), W_n = U_n + U_(n-1)
        prev = sp.eval_chebyu(n - 1, y) if n > 0 else 0.0
        return sp.eval_chebyu(n, y) + (prev if kind == "w" else -prev)
    return {"h": sp.eval_hermite, "e": sp.eval_hermitenorm, "l": sp.eval_laguerre, "p": sp.eval_legendre}[
        "e" if name.endswith("_he") else kind](n, y)


POLYS = _special_polynomials.__all__


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_values(name, device):
    fn = getattr(torch.special, name)
    x = np.array([-1.0, -0.7, 0.0, 0.3, 0.999, 1.0, 1.7, -2.5]) if not name.startswith("shifted") \
        else np.array([0.0, 0.15, 0.5, 0.999, 1.0, 1.4, -0.3])
    ns = np.array([0, 1, 2, 3, 7, 9, 13]) if device == "cpu" else np.array([0, 3, 9])
    xx, nn = np.meshgrid(x, ns)
    got = npy(fn(tens(xx, device).t(), tens(nn, device).t())).T
    ref = np.vectorize(lambda xv, nv: _ref_poly(name, xv, int(nv)))(xx, nn)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-12 * np.abs(ref).max())
    # A number degree, float32.
    got32 = fn(tens(x, device, torch.float32), 3)
    assert got32.dtype == torch.float32 and not got32.requires_grad
    np.testing.assert_allclose(npy(got32), [_ref_poly(name, v, 3) for v in x.astype(np.float32).astype(np.float64)],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_degree_conventions(name):
    fn = getattr(torch.special, name)
    x = tens([0.3, -0.6, 2.0, NAN])
    # Negative, NaN and infinite degrees give 0; non-integer degrees are truncated toward 0.
    for bad in (-1.0, -3.0, INF, NAN):
        np.testing.assert_array_equal(npy(fn(x, tens([bad] * 4))), [0.0] * 4)
    np.testing.assert_array_equal(npy(fn(x, tens([-0.5] * 4))), [1.0] * 4)
    np.testing.assert_array_equal(npy(fn(x, -1)), [0.0] * 4)
    np.testing.assert_allclose(npy(fn(x, tens([2.7] * 4))), npy(fn(x, 2)), rtol=0)
    # Promotion: integer tensors give the default dtype; x may be a number.
    assert fn(torch.tensor([1, 2]), torch.tensor([3])).dtype == torch.float32
    assert fn(tens([0.5], dtype=torch.float32), tens([2.0])).dtype == F64
    out = fn(0.3, tens([3.0, 4.0]))
    np.testing.assert_allclose(npy(out), npy(fn(tens([0.3, 0.3]), tens([3.0, 4.0]))), rtol=1e-15)
    # Degree per element, empty input, requires_grad dropped.
    per = fn(tens([0.4, 0.4, 0.4]), tens([0.0, 1.0, 5.0]))
    np.testing.assert_allclose(npy(per), [_ref_poly(name, 0.4, k) for k in (0, 1, 5)], rtol=1e-12)
    assert tuple(fn(tens(np.zeros((0, 3))), tens([2.0, 3.0, 4.0])).shape) == (0, 3)
    assert not fn(tens([0.4], requires_grad=True), 3).requires_grad
    with pytest.raises(TypeError, match=rf"special_{name}\(\) received an invalid combination of arguments - got \(float, int\)"):
        fn(0.5, 2)


def test_polynomial_infinite_x():
    # PyTorch runs the recurrence: degree 2 gives inf, from degree 3 on inf - inf = NaN.
    x = tens([INF, -INF])
    np.testing.assert_array_equal(npy(torch.special.chebyshev_polynomial_t(x, 1)), [INF, -INF])
    np.testing.assert_array_equal(npy(torch.special.chebyshev_polynomial_t(x, 2)), [INF, INF])
    assert np.isnan(npy(torch.special.hermite_polynomial_h(x, 3))).all()
    np.testing.assert_array_equal(npy(torch.special.laguerre_polynomial_l(x, 1)), [-INF, INF])
    np.testing.assert_array_equal(npy(torch.special.chebyshev_polynomial_t(tens([NAN]), 0)), [1.0])


def test_doctests():
    for module in (_special_incomplete, _special_polynomials, torch.special):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
