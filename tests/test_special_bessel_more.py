"""torch.special's Bessel functions of the first and second kind, the modified ones of the second
kind (plain and exp-scaled) and airy_ai, against scipy.special."""
import math

import mpmath
import numpy as np
import pytest
import scipy.special as sp

import ferrotorch as torch
from conftest import assert_close

INF, NAN = math.inf, math.nan
REFERENCES = {
    "bessel_j0": sp.j0, "bessel_j1": sp.j1, "bessel_y0": sp.y0, "bessel_y1": sp.y1,
    "modified_bessel_k0": sp.k0, "modified_bessel_k1": sp.k1,
    "scaled_modified_bessel_k0": sp.k0e, "scaled_modified_bessel_k1": sp.k1e,
    "airy_ai": lambda v: sp.airy(v)[0],
}
# Both sides of each approximation's branch points, negatives, tiny and large arguments.
POINTS = np.concatenate([np.linspace(-30.0, 30.0, 601), [
    1e-7, 1e-3, 1.99999, 2.0, 2.00001, 2.09, -2.09, 4.99999, 5.0, 5.00001, 8.3, 8.4,
    50.0, 100.0, 103.0, 1e3, 1e5, -1e3, -1e5]])


def _call(name, x):
    return getattr(torch.special, name)(x)


# PyTorch's kernels are less accurate than scipy's in float64, and these follow PyTorch's: j0, j1,
# y0 and y1 to about 1e-6 absolute (its transcription of Cephes' tables), airy_ai to about 3e-6 on
# -8 < x < -2.09 (a shorter asymptotic series); k0 and k1 agree with scipy to rounding.
ATOL64 = {"airy_ai": 5e-6, "bessel_j0": 1e-6, "bessel_j1": 1e-6, "bessel_y0": 1e-6, "bessel_y1": 1e-6}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_float64_match_scipy(name):
    x = POINTS[np.isfinite(REFERENCES[name](POINTS))]  # scipy agrees with PyTorch's NaN domain
    assert_close(_call(name, torch.tensor(x)), REFERENCES[name](x), rtol=1e-12, atol=ATOL64.get(name, 1e-14))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_float32_match_scipy(name):
    x = POINTS[(np.abs(POINTS) <= 100) & np.isfinite(REFERENCES[name](POINTS))]
    expected = REFERENCES[name](x.astype(np.float32).astype(np.float64)).astype(np.float32)
    assert_close(_call(name, torch.tensor(x).float()), expected, rtol=2e-5, atol=max(2e-6, ATOL64.get(name, 0)))


EDGES = [-INF, -2.0, -0.0, 0.0, INF, NAN]
# PyTorch's values at the edges (the same as scipy's except where noted).
EDGE_VALUES = {
    "bessel_j0": [NAN, sp.j0(-2.0), 1.0, 1.0, NAN, NAN],  # scipy gives 0 at +-inf
    "bessel_j1": [NAN, sp.j1(-2.0), -0.0, 0.0, NAN, NAN],
    "bessel_y0": [NAN, NAN, -INF, -INF, NAN, NAN],
    "bessel_y1": [NAN, NAN, -INF, -INF, NAN, NAN],
    "modified_bessel_k0": [NAN, NAN, INF, INF, 0.0, NAN],
    "modified_bessel_k1": [NAN, NAN, INF, INF, 0.0, NAN],
    "scaled_modified_bessel_k0": [NAN, NAN, INF, INF, 0.0, NAN],
    "scaled_modified_bessel_k1": [NAN, NAN, INF, INF, 0.0, NAN],
    "airy_ai": [NAN, sp.airy(-2.0)[0], sp.airy(0.0)[0], sp.airy(0.0)[0], NAN, NAN],
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_edge_values(name):
    out = _call(name, torch.tensor(EDGES, dtype=torch.float64))
    expected = np.array(EDGE_VALUES[name])
    assert_close(out, expected, rtol=1e-6, atol=0)
    finite = ~np.isnan(expected)
    assert np.array_equal(np.signbit(out.numpy()[finite]), np.signbit(expected[finite]))


def test_airy_ai_is_zero_past_pytorch_cutoff_and_large_negative():
    x = torch.tensor([103.9, 200.0, -50.0, -1e3], dtype=torch.float64)
    expected = [0.0, 0.0, float(mpmath.airyai(-50)), float(mpmath.airyai(-1e3))]
    assert_close(torch.special.airy_ai(x), np.array(expected), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_input_gives_default_float(dtype):
    x = torch.tensor([0, 1, 3]).to(getattr(torch, dtype))
    expected = sp.j1([0.0, 1.0, 3.0] if dtype == "int64" else [0.0, 1.0, 1.0])  # bool: 3 -> True
    out = torch.special.bessel_j1(x)
    assert out.dtype == torch.float32
    assert_close(out, expected.astype(np.float32), rtol=1e-6, atol=1e-7)


def test_non_contiguous_empty_and_zero_dim():
    base = torch.tensor(np.linspace(0.5, 12.0, 24).reshape(4, 6))
    x = base.T[1:, ::2]
    assert not x.is_contiguous()
    assert_close(torch.special.bessel_y1(x), sp.y1(x.numpy()), rtol=1e-6, atol=1e-6)
    assert torch.special.modified_bessel_k0(torch.tensor([])).shape == (0,)
    assert_close(torch.special.airy_ai(torch.tensor(1.5, dtype=torch.float64)), np.array(sp.airy(1.5)[0]),
                 rtol=1e-13, atol=0)


def test_out_argument():
    out = torch.empty(3, dtype=torch.float64)
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    result = torch.special.modified_bessel_k1(x, out=out)
    assert result is out
    assert_close(out, sp.k1([1.0, 2.0, 3.0]), rtol=1e-13)


# The derivatives PyTorch defines, in closed form.
DERIVATIVES = {
    "bessel_j0": lambda v: -sp.j1(v), "bessel_j1": lambda v: sp.j0(v) - sp.j1(v) / v,
    "bessel_y0": lambda v: -sp.y1(v), "bessel_y1": lambda v: sp.y0(v) - sp.y1(v) / v,
    "modified_bessel_k0": lambda v: -sp.k1(v), "modified_bessel_k1": lambda v: -sp.k0(v) - sp.k1(v) / v,
}


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_gradients(name):
    v = np.array([0.3, 1.7, 2.5, 4.0, 6.0, 11.0])
    x = torch.tensor(v, requires_grad=True)
    _call(name, x).sum().backward()
    assert_close(x.grad, DERIVATIVES[name](v), rtol=1e-6, atol=ATOL64.get(name, 1e-13))
    # ... and matches a central finite difference of the forward itself.
    h = 1e-6
    fd = (_call(name, torch.tensor(v + h)) - _call(name, torch.tensor(v - h))).numpy() / (2 * h)
    assert_close(x.grad, fd, rtol=1e-5, atol=1e-6)


def test_gradients_at_zero_follow_pytorch():
    x = torch.tensor([0.0, -0.0], dtype=torch.float64, requires_grad=True)
    torch.special.bessel_j1(x).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5]
    x = torch.tensor([0.0, -0.0], dtype=torch.float64, requires_grad=True)
    torch.special.bessel_y1(x).sum().backward()
    assert x.grad.tolist() == [INF, INF]
    x = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    torch.special.modified_bessel_k1(x).sum().backward()
    assert x.grad.tolist() == [-INF]


def test_grad_fn_names():
    x = torch.tensor([1.0], requires_grad=True)
    assert torch.special.bessel_j0(x).grad_fn.name() == "SpecialBesselJ0Backward0"
    assert torch.special.modified_bessel_k1(x).grad_fn.name() == "SpecialModifiedBesselK1Backward0"


@pytest.mark.parametrize("name", ["airy_ai", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"])
def test_not_differentiable(name):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = _call(name, x)
    assert not out.requires_grad
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        out.sum().backward()


@pytest.mark.parametrize("name,arg", [("bessel_j0", "input"), ("modified_bessel_k1", "input"), ("airy_ai", "x"),
                                      ("scaled_modified_bessel_k0", "x")])
def test_non_tensor_input_raises(name, arg):
    message = rf"^special_{name}\(\): argument '{arg}' \(position 1\) must be Tensor, not list$"
    with pytest.raises(TypeError, match=message):
        _call(name, [1.0])


def test_half_precision_is_refused():
    with pytest.raises(NotImplementedError, match="^\"bessel_j0_cpu\" not implemented for 'Half'$"):
        torch.special.bessel_j0(torch.tensor([1.0]).half())
    with pytest.raises(NotImplementedError, match="^\"airy_ai_cpu\" not implemented for 'BFloat16'$"):
        torch.special.airy_ai(torch.tensor([1.0]).bfloat16())


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_on_device(device, name):
    v = np.array([-7.0, -2.5, -1.0, 0.0, 0.5, 1.9, 2.1, 3.0, 4.9, 5.1, 9.0, 15.0], dtype=np.float32)
    out = _call(name, torch.tensor(v).to(device))
    assert out.device.type == torch.device(device).type
    expected = REFERENCES[name](v.astype(np.float64))  # NaN for x < 0 and +-inf at 0, as PyTorch gives
    assert_close(out.cpu(), expected.astype(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_gradient_on_device(device, name):
    v = np.array([0.7, 2.5, 6.0], dtype=np.float32)
    x = torch.tensor(v).to(device).requires_grad_()
    _call(name, x).sum().backward()
    assert_close(x.grad.cpu(), DERIVATIVES[name](v.astype(np.float64)).astype(np.float32), rtol=1e-4, atol=1e-5)
