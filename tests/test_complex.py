"""Complex tensors (complex64, complex128): dtypes and promotion, construction, the real/complex
views, arithmetic and math against numpy on both devices, reductions, matmul, autograd (PyTorch's
convention: a complex leaf's grad is dL/dre + i dL/dim), and the errors of unsupported ops."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close as _assert_close, finite_difference_grad

RNG = np.random.default_rng(7)


def assert_close(actual, expected, **kw):
    """conftest's comparison, reading GPU results back first."""
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **kw)


def crandn(*shape, dtype=np.complex64):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def ct(a, device="cpu", requires_grad=False):
    return torch.tensor(a, device=device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- dtypes

def test_dtype_objects_and_aliases():
    assert torch.complex64 is torch.cfloat and torch.complex128 is torch.cdouble
    assert torch.complex64.is_complex and not torch.complex64.is_floating_point
    assert not torch.float32.is_complex
    assert torch.complex64.itemsize == 8 and torch.complex128.itemsize == 16
    assert repr(torch.complex128) == "torch.complex128"


@pytest.mark.parametrize("a, b, expected", [
    ("complex64", "float64", "complex128"),
    ("complex64", "float32", "complex64"),
    ("complex64", "int64", "complex64"),
    ("complex128", "float32", "complex128"),
    ("complex64", "complex128", "complex128"),
    ("bool", "complex64", "complex64"),
])
def test_promote_types(a, b, expected):
    assert torch.promote_types(getattr(torch, a), getattr(torch, b)) is getattr(torch, expected)


def test_result_type_with_python_complex_and_zero_dim():
    assert torch.result_type(torch.ones(2), 1j) is torch.complex64
    assert (torch.ones(2, dtype=torch.float64) * 1j).dtype is torch.complex128
    assert (torch.ones(2, dtype=torch.int32) * 1j).dtype is torch.complex64
    # A 0-d complex64 with a float64 tensor with dims: complex with float64's precision.
    z = torch.tensor(1 + 1j)
    assert (torch.ones(2, dtype=torch.float64) + z).dtype is torch.complex128


# ----------------------------------------------------------------------------- construction

def test_tensor_from_python_complex_and_back():
    t = torch.tensor([1 + 2j, -3.5j, 4])
    assert t.dtype is torch.complex64 and t.is_complex() and torch.is_complex(t)
    assert t.tolist() == [1 + 2j, -3.5j, 4 + 0j]
    assert torch.tensor(2 - 1j).item() == 2 - 1j
    assert torch.tensor([[1j]], dtype=torch.complex128).dtype is torch.complex128
    with pytest.raises(TypeError, match="must be real number, not complex"):
        torch.tensor([1j], dtype=torch.float32)


def test_default_complex_dtype_follows_default_float():
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.tensor([1j]).dtype is torch.complex128
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("device", DEVICES)
def test_numpy_round_trip(device):
    a = crandn(3, 4, dtype=np.complex128)
    t = torch.tensor(a, device=device)
    assert t.dtype is torch.complex128
    assert_close(t, a)
    shared = torch.from_numpy(a)
    a[0, 0] = 7 + 7j
    assert shared[0, 0].item() == 7 + 7j
    np.testing.assert_array_equal(shared.numpy(), a)


@pytest.mark.parametrize("device", DEVICES)
def test_complex_and_polar(device):
    re = torch.tensor([1.0, -2.0, 0.0], device=device)
    im = torch.tensor([0.5, 3.0, -1.0], device=device)
    z = torch.complex(re, im)
    assert z.dtype is torch.complex64 and z.device.type == re.device.type
    assert_close(z, np.array([1 + 0.5j, -2 + 3j, -1j], dtype=np.complex64))
    r, theta = torch.tensor([2.0, 1.0], device=device), torch.tensor([math.pi / 3, -1.0], device=device)
    assert_close(torch.polar(r, theta), np.array([2, 1]) * np.exp(1j * np.array([math.pi / 3, -1.0])), rtol=1e-6, check_dtype=False)
    with pytest.raises(RuntimeError, match="Expected object of scalar type Float but got scalar type Double"):
        torch.complex(re, im.double())


@pytest.mark.parametrize("device", DEVICES)
def test_factories_with_complex_dtype(device):
    assert torch.zeros(2, 3, dtype=torch.cfloat, device=device).tolist() == [[0j] * 3] * 2
    assert torch.ones(2, dtype=torch.cdouble, device=device).tolist() == [1 + 0j, 1 + 0j]
    assert torch.full((2,), 2.5, dtype=torch.cfloat, device=device).tolist() == [2.5 + 0j, 2.5 + 0j]
    assert torch.ones(3).to(torch.complex64).tolist() == [1 + 0j] * 3


# ----------------------------------------------------------------------------- views

@pytest.mark.parametrize("device", DEVICES)
def test_view_as_real_and_complex_share_memory(device):
    a = crandn(2, 3)
    z = torch.tensor(a, device=device)
    r = torch.view_as_real(z)
    assert r.shape == (2, 3, 2) and r.dtype is torch.float32 and r.stride() == (6, 2, 1)
    assert_close(r, np.stack([a.real, a.imag], -1))
    r[0, 0, 1] = 9.0
    assert z[0, 0].item().imag == 9.0
    back = torch.view_as_complex(r)
    assert back.shape == (2, 3) and back.data_ptr() == z.data_ptr()


@pytest.mark.parametrize("device", DEVICES)
def test_views_of_complex_tensors(device):
    a = crandn(4, 6)
    z = torch.tensor(a, device=device)
    assert_close(z.T, a.T)
    assert_close(z[1:, ::2], a[1:, ::2])
    assert_close(z.T.contiguous(), a.T)
    assert_close(z.reshape(3, 8), a.reshape(3, 8))
    assert_close(z[:, 1:].reshape(-1), a[:, 1:].reshape(-1))
    assert_close(z.unsqueeze(0).expand(2, 4, 6).clone(), np.broadcast_to(a, (2, 4, 6)))
    assert_close(torch.view_as_real(z.T), np.stack([a.T.real, a.T.imag], -1))


def test_view_as_complex_errors():
    with pytest.raises(RuntimeError, match="Tensor must have a last dimension of size 2"):
        torch.view_as_complex(torch.ones(3))
    with pytest.raises(RuntimeError, match="Tensor must have a last dimension with stride 1"):
        torch.view_as_complex(torch.ones(2, 4).T)
    with pytest.raises(RuntimeError, match="stride divisible by 2"):
        torch.view_as_complex(torch.ones(3, 3)[:, 1:])
    with pytest.raises(RuntimeError, match="only supported for half, float and double tensors"):
        torch.view_as_complex(torch.ones(2, 2, dtype=torch.int32))
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex tensors"):
        torch.view_as_real(torch.ones(2))


@pytest.mark.parametrize("device", DEVICES)
def test_real_imag_conj_angle(device):
    a = crandn(5)
    z = torch.tensor(a, device=device)
    assert_close(z.real, a.real)
    assert_close(z.imag, a.imag)
    assert_close(torch.real(z), a.real)
    assert_close(z.conj(), np.conj(a))
    assert_close(z.conj_physical(), np.conj(a))
    assert_close(z.angle(), np.angle(a), rtol=1e-5, atol=1e-6)
    assert_close(z.abs(), np.abs(a), rtol=1e-5)
    assert_close(torch.sgn(z), a / np.abs(a), rtol=1e-5, atol=1e-6)
    assert torch.sgn(torch.zeros(1, dtype=torch.cfloat, device=device)).tolist() == [0j]
    assert torch.isreal(torch.tensor([1 + 0j, 1j], device=device)).tolist() == [True, False]
    z.imag = torch.tensor([1.0, 2, 3, 4, 5], device=device)
    assert z.imag.tolist() == [1.0, 2, 3, 4, 5]
    with pytest.raises(TypeError, match="imag is not implemented for tensors with non-complex dtypes"):
        torch.ones(2).imag


# ----------------------------------------------------------------------------- arithmetic

BINARY = {
    "add": (lambda x, y: x + y), "sub": (lambda x, y: x - y),
    "mul": (lambda x, y: x * y), "div": (lambda x, y: x / y),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_complex_complex_broadcast(device, op):
    a, b = crandn(3, 1), crandn(4)
    got = BINARY[op](torch.tensor(a, device=device), torch.tensor(b, device=device))
    assert_close(got, BINARY[op](a, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_with_real_tensors_and_numbers(device, op):
    a, r = crandn(2, 3), RNG.standard_normal((2, 3)).astype(np.float32) + 2.0
    z, x = torch.tensor(a, device=device), torch.tensor(r, device=device)
    f = BINARY[op]
    assert_close(f(z, x), f(a, r), rtol=1e-5, atol=1e-5)
    assert_close(f(x, z), f(r, a), rtol=1e-5, atol=1e-5)
    assert_close(f(z, 2.5), f(a, np.float32(2.5)), rtol=1e-5, atol=1e-5)
    assert_close(f(3, z), f(np.float32(3), a), rtol=1e-5, atol=1e-5)
    assert_close(f(z, 1 - 2j), f(a, np.complex64(1 - 2j)), rtol=1e-5, atol=1e-5)
    assert_close(f(x, 0.5j), f(r, np.complex64(0.5j)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_non_contiguous_operands_and_in_place(device):
    a, b = crandn(4, 6), crandn(6, 4)
    z, w = torch.tensor(a, device=device), torch.tensor(b, device=device)
    assert_close(z[:, ::2] * w.T[:, 1::2], a[:, ::2] * b.T[:, 1::2], rtol=1e-5, atol=1e-5)
    z.mul_(2j)
    assert_close(z, a * 2j, rtol=1e-5, atol=1e-5)
    z += w.T
    assert_close(z, a * 2j + b.T, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast to the desired output type Float"):
        torch.ones(2, device=device).add_(torch.ones(2, dtype=torch.cfloat, device=device))


@pytest.mark.parametrize("device", DEVICES)
def test_comparisons(device):
    z = torch.tensor([1 + 1j, 2j, 3], device=device)
    assert (z == torch.tensor([1 + 1j, 2, 3], device=device)).tolist() == [True, False, True]
    assert (z != 2j).tolist() == [True, False, True]
    with pytest.raises(RuntimeError, match="not implemented for 'ComplexFloat'"):
        z < z


UNARY = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
    "reciprocal": np.reciprocal, "neg": np.negative, "square": np.square, "log10": np.log10,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "rsqrt": lambda a: 1 / np.sqrt(a), "tan": np.tan,
    "sinh": np.sinh, "cosh": np.cosh, "log2": np.log2, "expm1": np.expm1, "log1p": np.log1p,
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_math(device, name):
    a = crandn(7) * 0.8
    got = getattr(torch.tensor(a, device=device), name)()
    assert_close(got, UNARY[name](a.astype(np.complex128)).astype(np.complex64), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_pow_and_predicates(device):
    a = crandn(5) + 0.5
    z = torch.tensor(a, device=device)
    assert_close(z ** 2, a ** 2, rtol=1e-4, atol=1e-5)
    assert_close(z ** (0.5 + 1j), a ** (0.5 + 1j), rtol=1e-4, atol=1e-5)
    w = torch.tensor([complex(float("nan"), 0), complex(0, float("inf")), 1j], device=device)
    assert w.isnan().tolist() == [True, False, False]
    assert w.isinf().tolist() == [False, True, False]
    assert w.isfinite().tolist() == [False, False, True]


@pytest.mark.parametrize("name, message", [
    ("floor", "floor is not supported for complex inputs"),
    ("sign", "torch.sgn"),
    ("relu", "clamp is not supported for complex types"),
    ("erf", "not implemented for 'ComplexFloat'"),
])
def test_unsupported_unary_ops_raise(name, message):
    with pytest.raises(RuntimeError, match=message):
        getattr(torch.ones(2, dtype=torch.cfloat), name)()


def test_ops_without_a_complex_path_raise_not_implemented():
    z = torch.ones(2, 2, dtype=torch.cfloat)
    with pytest.raises(NotImplementedError, match="not implemented for 'ComplexFloat'"):
        z.kthvalue(1)
    with pytest.raises(TypeError, match="maximum not implemented for complex tensors"):
        torch.maximum(z, z)


# ----------------------------------------------------------------------------- reductions, matmul

@pytest.mark.parametrize("device", DEVICES)
def test_sum_and_mean(device):
    a = crandn(3, 4, 5)
    z = torch.tensor(a, device=device)
    assert_close(z.sum(), a.sum(), rtol=1e-5, atol=1e-5)
    assert_close(z.sum(dim=-1), a.sum(-1), rtol=1e-5, atol=1e-5)
    assert_close(z.mean((0, 2), keepdim=True), a.mean((0, 2), keepdims=True), rtol=1e-5, atol=1e-5)
    assert_close(z.T.sum(0), a.T.sum(0), rtol=1e-5, atol=1e-5)
    assert_close(torch.tensor(1 + 2j, device=device).sum(), np.complex64(1 + 2j))
    assert torch.zeros(0, 3, dtype=torch.cfloat, device=device).sum(0).tolist() == [0j] * 3
    assert_close(z.prod(), a.astype(np.complex128).prod(), rtol=1e-4, atol=1e-5, check_dtype=False)
    assert_close(z.prod(1), a.prod(1), rtol=1e-4, atol=1e-5)
    assert_close(z.prod(-1, keepdim=True), a.prod(-1, keepdims=True), rtol=1e-4, atol=1e-5)
    assert torch.zeros(2, 0, dtype=torch.cfloat, device=device).prod(1).tolist() == [1 + 0j] * 2


@pytest.mark.parametrize("device", DEVICES)
def test_prod_gradient(device):
    a = crandn(5, dtype=np.complex128)
    z = torch.tensor(a, device=device, requires_grad=True)
    z.prod().abs().backward()
    assert_close(z.grad, finite_difference_grad(lambda x: np.abs(x.prod()), a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_cumsum_trace_and_dots(device):
    a, v, w = crandn(3, 4), crandn(5), crandn(5)
    z = torch.tensor(a, device=device)
    assert_close(z.cumsum(-1), a.cumsum(-1), rtol=1e-5, atol=1e-5)
    assert_close(z[:, :3].trace(), np.trace(a[:, :3]), rtol=1e-5, atol=1e-5)
    zv, zw = torch.tensor(v, device=device), torch.tensor(w, device=device)
    assert_close(torch.dot(zv, zw), np.dot(v, w), rtol=1e-5, atol=1e-5)
    assert_close(torch.vdot(zv, zw), np.vdot(v, w), rtol=1e-5, atol=1e-5)
    assert_close(z.mH, a.conj().T)
    assert_close(z.adjoint(), a.conj().T)


@pytest.mark.parametrize("device", DEVICES)
def test_indexing_joining_and_selection(device):
    a, b = crandn(3, 4), crandn(2, 4)
    z, w = torch.tensor(a, device=device), torch.tensor(b, device=device)
    i = torch.tensor([2, 0], device=device)
    assert_close(torch.cat([z, w]), np.concatenate([a, b]))
    assert_close(torch.cat([z, torch.ones(1, 4, device=device)]), np.concatenate([a, np.ones((1, 4), np.complex64)]))
    assert_close(torch.stack([z[0], w[1]], 1), np.stack([a[0], b[1]], 1))
    assert_close(z[i], a[[2, 0]])
    assert_close(z[..., 1], a[..., 1])
    assert_close(z[z.abs() > 1], a[np.abs(a) > 1])
    assert_close(z.index_select(-1, i), a[:, [2, 0]])
    idx = torch.tensor([[0, 3], [1, 1], [2, 0]], device=device)
    assert_close(z.gather(1, idx), np.take_along_axis(a, idx.cpu().numpy(), 1))
    assert_close(z.flip(-1), a[:, ::-1])
    assert_close(z.roll(1, 0), np.roll(a, 1, 0))
    assert_close(z.repeat(2, 1), np.tile(a, (2, 1)))
    mask = torch.tensor([True, False, True, False], device=device)
    assert_close(torch.where(mask, z, 0), np.where(mask.cpu().numpy(), a, 0))
    assert_close(z.masked_fill(mask, 2j), np.where(mask.cpu().numpy(), np.complex64(2j), a))
    y = z.clone()
    y[i] = 5j
    expected = a.copy()
    expected[[2, 0]] = 5j
    assert_close(y, expected)
    y.fill_(1 - 1j)
    assert y.tolist() == [[1 - 1j] * 4] * 3
    assert torch.allclose(z, z + 1e-9) and not torch.allclose(z, z + 1e-3j)
    assert torch.equal(z, z.clone())
    assert torch.randn(2, 3, dtype=torch.cfloat, device=device).dtype is torch.complex64


@pytest.mark.parametrize("device", DEVICES)
def test_matmul(device):
    a, b, v = crandn(2, 3, 4), crandn(4, 5), crandn(4)
    za, zb, zv = (torch.tensor(x, device=device) for x in (a, b, v))
    assert_close(za @ zb, a @ b, rtol=1e-4, atol=1e-5)
    assert_close(za @ zv, a @ v, rtol=1e-4, atol=1e-5)
    assert_close(zb.T @ za.transpose(1, 2), b.T @ a.transpose(0, 2, 1), rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError):
        za @ torch.ones(4, 5, device=device)


# ----------------------------------------------------------------------------- autograd

LOSSES = {
    "mul_abs": (lambda z, w: (z * w).abs().sum(), lambda a, b: np.abs(a * b).sum()),
    "div_real": (lambda z, w: (z / w).real.sum(), lambda a, b: (a / b).real.sum()),
    "exp_imag": (lambda z, w: (z.exp() * w).imag.sum(), lambda a, b: (np.exp(a) * b).imag.sum()),
    "matmul_angle": (lambda z, w: (z.reshape(2, 2) @ w.reshape(2, 2)).angle().sum(),
                     lambda a, b: np.angle(a.reshape(2, 2) @ b.reshape(2, 2)).sum()),
    "conj_sqrt": (lambda z, w: (z.conj() * w.sqrt()).real.sum(), lambda a, b: (np.conj(a) * np.sqrt(b)).real.sum()),
    "sum_abs": (lambda z, w: (z + w).sum().abs(), lambda a, b: np.abs((a + b).sum())),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_backward_matches_numeric_wirtinger_gradient(device, name):
    f, ref = LOSSES[name]
    a, b = crandn(4, dtype=np.complex128) + 1.5, crandn(4, dtype=np.complex128) + 1.5
    z = torch.tensor(a, device=device, requires_grad=True)
    w = torch.tensor(b, device=device, requires_grad=True)
    f(z, w).backward()
    assert z.grad.dtype is torch.complex128
    assert_close(z.grad, finite_difference_grad(lambda x: ref(x, b), a), rtol=1e-5, atol=1e-6)
    assert_close(w.grad, finite_difference_grad(lambda y: ref(a, y), b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_through_view_as_complex_reaches_real_input(device):
    # The rotary-embedding pattern: real activations viewed as complex, rotated, viewed back.
    x = torch.tensor(RNG.standard_normal((3, 4)), device=device, requires_grad=True)
    angles = torch.tensor(RNG.standard_normal((3, 2)), device=device)
    rot = torch.polar(torch.ones_like(angles), angles)
    y = torch.view_as_real(torch.view_as_complex(x.reshape(3, 2, 2)) * rot).flatten(1)
    weights = torch.tensor(RNG.standard_normal((3, 4)), device=device)
    (y * weights).sum().backward()
    # A rotation's gradient is the inverse rotation of the upstream gradient.
    g = weights.cpu().numpy().reshape(3, 2, 2)
    expected = (g[..., 0] + 1j * g[..., 1]) * np.exp(-1j * angles.cpu().numpy())
    assert_close(x.grad, np.stack([expected.real, expected.imag], -1).reshape(3, 4), rtol=1e-6, atol=1e-7)


def test_complex_leaf_can_require_grad_and_backward_needs_real_output():
    z = torch.tensor([1 + 1j], requires_grad=True)
    assert z.requires_grad
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs"):
        (z * 2).sum().backward()
    (z * 2).sum().backward(torch.tensor(1 + 0j))
    assert z.grad.tolist() == [2 + 0j]


def test_cast_to_real_keeps_the_real_part_and_its_gradient():
    z = torch.tensor([1 + 2j, -3 + 4j], requires_grad=True)
    r = z.real * 2
    r.sum().backward()
    assert z.grad.tolist() == [2 + 0j, 2 + 0j]
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x.to(torch.complex64) * 1j).imag.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- edge cases

def test_real_zero_dim_tensors_become_complex():
    assert torch.tensor(4.0).to(torch.complex64).item() == 4 + 0j
    assert torch.tensor(3.0).cfloat().item() == 3 + 0j
    z = torch.zeros(3, dtype=torch.complex64)
    z[0] = torch.tensor(4.0)
    assert z.tolist() == [4 + 0j, 0j, 0j]
    assert torch.where(torch.tensor(True), torch.tensor(1j), torch.tensor(2.0)).item() == 1j


@pytest.mark.parametrize("op", ["mul_", "add_", "exp_"])
def test_in_place_ops_on_complex_non_leaves_backpropagate(op):
    a = np.array([1 + 1j, 2j])
    z = torch.tensor(a, requires_grad=True)
    w = z * 1
    getattr(w, op)(*([] if op == "exp_" else [2]))
    w.abs().sum().backward()
    f = {"mul_": lambda x: np.abs(x * 2).sum(), "add_": lambda x: np.abs(x + 2).sum(),
         "exp_": lambda x: np.abs(np.exp(x)).sum()}[op]
    assert_close(z.grad, finite_difference_grad(f, a), rtol=1e-6, atol=1e-6)


def test_abs_gradient_at_zero_is_zero():
    z = torch.tensor([0j, 3 + 4j], requires_grad=True)
    z.abs().sum().backward()
    assert z.grad[0].item() == 0j and z.grad[1].item() == pytest.approx(0.6 + 0.8j)
    w = torch.tensor([0j, 1j], requires_grad=True)
    (w ** 2).abs().sum().backward()
    assert w.grad[0].item() == 0j


def test_python_numbers_keep_double_precision():
    z = torch.tensor([1 + 1j], dtype=torch.complex128)
    assert (z / math.pi).real.item() == pytest.approx(1 / math.pi, abs=1e-15)
    assert (z * (0.1 + 0.2j)).item() == pytest.approx((1 + 1j) * (0.1 + 0.2j), abs=1e-15)


def test_integer_powers_and_zero_bases_are_exact():
    assert (torch.tensor([-1 + 0j]) ** 2).item() == 1 + 0j
    assert (torch.tensor([0j]) ** 2).item() == 0j
    assert (torch.tensor([0j]) ** 0).item() == 1 + 0j
    assert (torch.tensor([0j]) ** 0.5).item() == 0j
    assert (torch.tensor([2j]) ** -1).item() == pytest.approx(-0.5j)


def test_division_edge_cases_match_pytorch():
    q = torch.tensor([1 + 1j, 0j, -1 + 0j]) / 0
    assert [(math.isinf(v.real), v.real > 0) for v in q.tolist()][0] == (True, True)
    assert math.isnan(q[1].item().real) and q[2].item().real == -math.inf
    big = torch.tensor([1e30 + 1e30j])
    assert (big / big).item() == pytest.approx(1 + 0j)
    tiny = torch.tensor([1e-30 + 1e-30j])
    assert (tiny / tiny).item() == pytest.approx(1 + 0j)
    assert torch.tensor([-100 + 0j]).sigmoid().item() == pytest.approx(0j, abs=1e-30)


def test_overflow_safe_transcendentals():
    assert torch.tensor([100 + 0j]).tanh().item() == pytest.approx(1 + 0j)
    assert torch.tensor([100j]).tan().item() == pytest.approx(1j)
    e = torch.tensor([710 + 0j], dtype=torch.complex128).exp().item()
    assert e.real == math.inf and e.imag == 0
    assert torch.tensor([-4 + 0j]).sqrt().item() == 2j
    assert torch.tensor([complex(-4, -0.0)]).sqrt().item() == -2j
    assert torch.tensor([complex(-4, -0.0)]).angle().item() == pytest.approx(-math.pi)


def test_python_protocols_of_zero_dim_complex_tensors():
    assert complex(torch.tensor(1 + 2j)) == 1 + 2j
    assert float(torch.tensor(1 + 0j)) == 1.0 and int(torch.tensor(3 + 0j)) == 3
    assert not bool(torch.tensor(0j)) and bool(torch.tensor(1j))
    assert torch.tensor([3 + 4j]).sgn().item() == pytest.approx(0.6 + 0.8j)
    assert torch.tensor([1j, 0j]).any().item() and not torch.tensor([1j, 0j]).all().item()


def test_real_only_composites_refuse_complex_instead_of_dropping_the_imaginary_part():
    for fn in (torch.deg2rad, torch.logit, torch.special.entr):
        with pytest.raises(NotImplementedError, match="ComplexFloat|complex tensors"):
            fn(torch.tensor([1 + 1j]))
    assert torch.float_power(torch.tensor([1j]), 2).tolist() == [-1 + 0j]


def test_in_place_op_on_torch_complex_result_backpropagates_to_the_parts():
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    z = torch.complex(a, b)
    z.mul_(2)
    z.abs().sum().backward()
    # d|2(a + ib)|/da = 2a / |a + ib|, and likewise for b.
    r = np.hypot([1.0, 2.0], [3.0, 4.0])
    assert_close(a.grad, 2 * np.array([1.0, 2.0]) / r)
    assert_close(b.grad, 2 * np.array([3.0, 4.0]) / r)
