"""Regression tests for the differences from PyTorch found by running the same math calls through
both libraries (frexp, out= of reductions, torch.norm(p="nuc"), exception classes and argument
checks, fmax/fmin tie gradients, the torch.X_ in-place functions). Expected values come from numpy
or by hand; expected messages are PyTorch's text."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, to_numpy


def dev(x, device):
    return x.to(device) if device != "cpu" else x


# ----------------------------------------------------------------------------- frexp

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_frexp_matches_numpy(device, dtype):
    values = [0.0, -0.0, 1.5, -3.0, np.inf, -np.inf, np.nan, 8.0, 0.75, 3e38, 1e-40, -1e-39, 1e-45]
    if dtype == "float64":
        values += [5e-324, 1e-310, 1.7e308]
    a = np.array(values, dtype=dtype)
    # Transposed (non-contiguous) input: frexp must not read the bits of the wrong layout.
    a2 = np.array(a[:12].reshape(3, 4).T, order="C")
    for arr, x in ((a, from_numpy(a)), (a2, from_numpy(a2.T).t())):
        m, e = torch.frexp(dev(x, device))
        em, ee = np.frexp(arr)
        ee = np.where(np.isfinite(arr), ee, 0)  # PyTorch gives exponent 0 for inf and NaN
        assert_close(m.cpu(), em.astype(dtype), rtol=0, atol=0)
        assert_close(e.cpu(), ee.astype(np.int32))
        assert np.array_equal(np.signbit(to_numpy(m.cpu())), np.signbit(em))


def test_frexp_named_tuple_method_out_and_errors(device):
    x = dev(torch.tensor([8.0, -3.0]), device)
    r = x.frexp()
    assert type(r).__name__ == "frexp" and r._fields == ("mantissa", "exponent")
    assert r.mantissa.cpu().tolist() == [0.5, -0.75] and r.exponent.cpu().tolist() == [4, 2]
    m_out, e_out = dev(torch.empty(0), device), dev(torch.empty(0, dtype=torch.int32), device)
    r = torch.frexp(x, out=(m_out, e_out))
    assert r.mantissa is m_out and e_out.cpu().tolist() == [4, 2]
    with pytest.raises(RuntimeError, match=r"torch\.frexp\(\) only supports floating-point dtypes"):
        torch.frexp(dev(torch.tensor([1, 2]), device))
    with pytest.raises(RuntimeError, match="torch.frexp.. expects exponent to have int dtype but got torch.int64"):
        torch.frexp(x, out=(m_out, dev(torch.empty(0, dtype=torch.int64), device)))


def test_frexp_gradient(device):
    # d mantissa / dx = 2 ** -exponent
    x = dev(torch.tensor([3.0, -0.1, 100.0], dtype=torch.float64), device).requires_grad_(True)
    m, _ = torch.frexp(x)
    (m * dev(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), device)).sum().backward()
    assert_close(x.grad.cpu(), np.array([1 / 4, 2 * 8, 3 / 128]))  # -0.1 = -0.8 * 2**-3


# ----------------------------------------------------------------------------- out= of reductions

def test_reduction_out(device):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    x = dev(from_numpy(a), device)
    out = dev(torch.empty(0), device)
    assert torch.sum(x, 1, out=out) is out
    assert_close(out.cpu(), a.sum(1))
    out = dev(torch.zeros(4, dtype=torch.float64), device)
    assert torch.mean(x, dim=0, out=out) is out
    assert_close(out.cpu(), a.mean(0).astype(np.float64))
    out = dev(torch.empty(0), device)
    torch.cumsum(x, 1, out=out)
    assert_close(out.cpu(), np.cumsum(a, 1))
    # sum, prod and the scans compute in the dtype of out, like dtype=.
    out = dev(torch.empty(0, dtype=torch.int64), device)
    torch.sum(x, 1, out=out)
    assert_close(out.cpu(), np.trunc(a).astype(np.int64).sum(1))
    # A float result can't go into an integer out.
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.mean(x, 1, out=dev(torch.empty(0, dtype=torch.int64), device))
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        torch.sum(dev(torch.tensor([[1, 2]]), device), 1, out=dev(torch.empty(0, dtype=torch.bool), device))


def test_reduction_out_tuple(device):
    a = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], dtype=np.float32)
    x = dev(from_numpy(a), device)
    v, i = dev(torch.empty(0), device), dev(torch.empty(0, dtype=torch.int64), device)
    r = torch.max(x, 1, out=(v, i))
    assert type(r).__name__ == "max" and r.values is v and r.indices is i
    assert v.cpu().tolist() == [3.0, 5.0] and i.cpu().tolist() == [0, 1]
    torch.sort(x, 1, descending=True, out=(v, i))
    assert_close(v.cpu(), -np.sort(-a, 1))
    assert_close(i.cpu(), np.argsort(-a, 1, kind="stable"))


# ----------------------------------------------------------------------------- norm(p="nuc")

def test_norm_nuclear(device):
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = dev(from_numpy(a), device)
    assert_close(torch.norm(x[0], p="nuc").cpu(), np.linalg.norm(a[0], "nuc"), rtol=1e-6)
    r = torch.norm(x, p="nuc", dim=(1, 2), keepdim=True)
    assert_close(r.cpu(), np.linalg.norm(a, "nuc", axis=(1, 2))[:, None, None], rtol=1e-6)
    assert_close(torch.norm(x, 1, 2).cpu(), np.abs(a).sum(2))  # other p still the method's
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        torch.norm(x, p="nuc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 1"):
        torch.norm(x, p="nuc", dim=1)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: The input tensor A must have at least 2 dimensions."):
        torch.norm(x[0, 0], p="nuc")


# ----------------------------------------------------------------------------- exception classes

def test_not_implemented_dtype_errors_are_not_implemented_error(device):
    f = dev(torch.tensor([1.0, 2.0]), device)
    i = dev(torch.tensor([1, 2]), device)
    kernel = "cpu" if device == "cpu" else "cuda"
    cases = [
        (lambda: torch.gcd(f, f), f'"gcd_{kernel}" not implemented for \'Float\''),
        (lambda: torch.bitwise_left_shift(f, 1), f'"lshift_{kernel}" not implemented for \'Float\''),
        (lambda: torch.logaddexp(i, i), f'"logaddexp_{kernel}" not implemented for \'Long\''),
        (lambda: torch.logcumsumexp(i, 0), f'"logcumsumexp_out_{kernel}" not implemented for \'Long\''),
        (lambda: torch.histc(i), f'"histogram_{kernel}" not implemented for \'Long\''),
        (lambda: torch.bincount(f), f'"bincount_{kernel}" not implemented for \'Float\''),
        (lambda: torch.nextafter(i, i), f'"nextafter_{kernel}" not implemented for \'Long\''),
        (lambda: torch.positive(dev(torch.tensor([True]), device)),
         "The `+` operator, on a bool tensor is not supported."),
    ]
    for fn, message in cases:
        with pytest.raises(NotImplementedError) as info:
            fn()
        assert str(info.value) == message
        assert isinstance(info.value, RuntimeError)  # `except RuntimeError` keeps working


@pytest.mark.parametrize("name", ["atan2", "arctan2", "hypot", "maximum", "minimum", "logical_and",
                                  "logical_or", "logical_xor", "logaddexp", "logaddexp2", "gcd", "lcm",
                                  "fmax", "fmin"])
def test_tensor_only_operands(name):
    x = torch.tensor([1, 2]) if name in ("gcd", "lcm") else torch.tensor([1.0, 2.0])
    fn = getattr(torch, name)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'other' \(position 2\) must be Tensor, not int$"):
        fn(x, 2)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' \(position 1\) must be Tensor, not float$"):
        fn(2.5, x)
    if hasattr(x, name) and name not in ("atan2", "arctan2", "hypot", "maximum", "minimum",
                                         "logical_and", "logical_or", "logical_xor"):  # core methods
        with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'other' \(position 1\) must be Tensor, not int$"):
            getattr(x, name)(2)
    # Scalar operands still work where PyTorch takes them.
    assert torch.add(2, x).tolist() == (x + 2).tolist()


# ----------------------------------------------------------------------------- fmax / fmin gradients

@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_split_tie_gradient(device, name):
    a = np.array([1.0, np.nan, 2.0, 3.0, 5.0])
    b = np.array([np.nan, 1.0, 2.0, 1.0, 5.0])
    x = dev(from_numpy(a), device).requires_grad_(True)
    y = dev(from_numpy(b), device).requires_grad_(True)
    r = getattr(torch, name)(x, y)
    ref = getattr(np, name)(a, b)
    assert_close(r.detach().cpu(), ref)
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    (r * dev(from_numpy(w), device)).sum().backward()
    pick_x = np.where(np.isnan(b), True, (a > b) if name == "fmax" else (a < b))
    tie = a == b
    gx = np.where(tie, w / 2, np.where(pick_x, w, 0.0))
    gy = np.where(tie, w / 2, np.where(pick_x, 0.0, w))
    assert_close(x.grad.cpu(), gx)
    assert_close(y.grad.cpu(), gy)


def test_fmax_gradcheck():
    x = torch.tensor([1.0, 2.0, -3.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.5, 2.5, -1.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: torch.fmax(a, b), (x, y))
    assert torch.autograd.gradcheck(lambda a, b: torch.fmin(a, b), (x, y))


# ----------------------------------------------------------------------------- in-place functions

def test_module_level_inplace_functions(device):
    a = np.array([[0.25, 4.0], [9.0, 1.0]], dtype=np.float32)
    for name, ref in [("sqrt_", np.sqrt(a)), ("exp_", np.exp(a)), ("neg_", -a), ("square_", a * a),
                      ("floor_", np.floor(a)), ("reciprocal_", 1 / a)]:
        x = dev(from_numpy(a), device)
        assert getattr(torch, name)(x) is x
        assert_close(x.cpu(), ref, rtol=1e-6)
    x = dev(from_numpy(a), device)
    torch.clamp_(x, min=0.5, max=4.0)
    assert_close(x.cpu(), np.clip(a, 0.5, 4.0))
    i = dev(torch.tensor([4, 6]), device)
    torch.gcd_(i, dev(torch.tensor([6, 9]), device))
    assert i.cpu().tolist() == [2, 3]
    x = dev(from_numpy(a), device)
    torch.zero_(x)
    assert x.cpu().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_divide_and_subtract_inplace_methods(device):
    x = dev(torch.tensor([7.0, -7.0]), device)
    assert x.divide_(2, rounding_mode="floor") is x
    assert x.cpu().tolist() == [3.0, -4.0]
    x.divide_(dev(torch.tensor([2.0, 8.0]), device))
    assert x.cpu().tolist() == [1.5, -0.5]
    x.subtract_(dev(torch.tensor([1.0, 1.0]), device), alpha=2)
    assert x.cpu().tolist() == [-0.5, -2.5]
    y = dev(torch.tensor([5, 6]), device)
    y.subtract_(1)
    assert y.cpu().tolist() == [4, 5] and y.dtype == torch.int64


SUB_ONE_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                "mask, use the `~` or `logical_not()` operator instead.")
SUB_TWO_BOOLS = "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."


@pytest.mark.parametrize("sub, message", [
    (lambda f, m: f - m, SUB_ONE_BOOL),
    (lambda f, m: m - f, SUB_ONE_BOOL),
    (lambda f, m: f - True, SUB_ONE_BOOL),
    (lambda f, m: True - f, SUB_ONE_BOOL),
    (lambda f, m: m - 1, SUB_ONE_BOOL),
    (lambda f, m: 1 - m, SUB_ONE_BOOL),
    (lambda f, m: f - m[0], SUB_ONE_BOOL),
    (lambda f, m: torch.rsub(f, m), SUB_ONE_BOOL),
    (lambda f, m: f.sub(m, alpha=2), SUB_ONE_BOOL),
    (lambda f, m: f.sub_(m), SUB_ONE_BOOL),
    (lambda f, m: m - True, SUB_TWO_BOOLS),
    (lambda f, m: m - m, SUB_TWO_BOOLS),
])
def test_subtraction_takes_no_bool_operand(device, sub, message):
    # As PyTorch's sub_check, for tensors and Python bools alike (checked against PyTorch 2.15).
    f = dev(torch.ones(2), device)
    m = dev(torch.tensor([True, False]), device)
    with pytest.raises(NotImplementedError) as err:
        sub(f, m)
    assert str(err.value) == message
    assert f.cpu().tolist() == [1.0, 1.0]


def test_div_rejects_an_unknown_rounding_mode_with_a_runtime_error(device):
    x = dev(torch.tensor([7]), device)
    for div in (lambda: x.div(2, rounding_mode="bad"), lambda: torch.div(x, 2, rounding_mode="bad")):
        with pytest.raises(RuntimeError) as err:
            div()
        assert str(err.value) == "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'bad'"
