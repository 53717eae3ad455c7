"""torch.autograd.functional: Jacobians, Hessians and products against closed forms and finite
differences, output structure, create_graph and strict-mode errors, on both devices."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 2))
X = RNG.standard_normal(2)


def t(a, device, dtype="float64"):
    return from_numpy(np.asarray(a, dtype=dtype)).to(device)


def f_np(x):
    return A @ x ** 2 + np.sin(x).sum()


def num_jac(f, x, eps=1e-6):
    """Central differences of f: R^n -> R^m as an (m, n) matrix."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(cols, -1)


def test_jacobian_vs_closed_form_and_finite_differences(device):
    # A is passed transposed twice: a non-contiguous view.
    a = t(A.T, device).t()
    fn = lambda x: a.matmul(x ** 2) + x.sin().sum()  # noqa: E731
    J = jacobian(fn, t(X, device))
    closed = A * (2 * X)[None, :] + np.cos(X)[None, :]
    assert_close(J.cpu(), closed, rtol=1e-10, atol=1e-12)
    assert_close(J.cpu(), num_jac(f_np, X), rtol=1e-6, atol=1e-7)
    assert not J.requires_grad


def test_jacobian_structure_tuple_inputs_and_outputs(device):
    x, y = t([1.0, 2.0], device), t([3.0, 4.0, 5.0], device)
    J = jacobian(lambda x, y: (x[:, None] * y, y.sum() * 2), (x, y))
    assert isinstance(J, tuple) and len(J) == 2 and all(isinstance(r, tuple) and len(r) == 2 for r in J)
    assert tuple(J[0][0].shape) == (2, 3, 2) and tuple(J[0][1].shape) == (2, 3, 3)
    assert tuple(J[1][0].shape) == (2,) and tuple(J[1][1].shape) == (3,)
    xn, yn = [1.0, 2.0], [3.0, 4.0, 5.0]
    ref00 = np.einsum("ik,j->ijk", np.eye(2), yn)
    ref01 = np.einsum("i,jk->ijk", xn, np.eye(3))
    assert_close(J[0][0].cpu(), ref00)
    assert_close(J[0][1].cpu(), ref01)
    assert_close(J[1][0].cpu(), np.zeros(2))
    assert_close(J[1][1].cpu(), np.full(3, 2.0))
    # Tuple input, single output -> tuple of tensors; single input, tuple output -> tuple of tensors.
    Jt = jacobian(lambda x, y: x.sum() * y, (x, y))
    assert isinstance(Jt, tuple) and tuple(Jt[0].shape) == (3, 2)
    Jo = jacobian(lambda x: (x, 2 * x), x)
    assert isinstance(Jo, tuple) and isinstance(Jo[0], torch.Tensor)
    assert_close(Jo[1].cpu(), 2 * np.eye(2))


def test_jacobian_zero_dim_and_empty(device):
    J = jacobian(lambda x: x ** 3, t(2.0, device))
    assert J.shape == () and J.item() == pytest.approx(12.0)
    Je = jacobian(lambda x: x * 2, t(np.zeros(0), device))
    assert tuple(Je.shape) == (0, 0)


def test_hessian_closed_form_and_structure(device):
    fn = lambda x: (x ** 3).sum() + x[0] * x[1]  # noqa: E731
    H = hessian(fn, t(X, device))
    ref = np.diag(6 * X) + np.array([[0, 1], [1, 0]])
    assert_close(H.cpu(), ref, rtol=1e-10)
    x, y = t([1.0, 2.0], device), t([3.0], device)
    Ht = hessian(lambda x, y: (x ** 2 * y).sum(), (x, y))
    assert tuple(Ht[0][0].shape) == (2, 2) and tuple(Ht[0][1].shape) == (2, 1) and tuple(Ht[1][1].shape) == (1, 1)
    assert_close(Ht[0][0].cpu(), 2 * 3.0 * np.eye(2))
    assert_close(Ht[0][1].cpu(), np.array([[2.0], [4.0]]))
    assert_close(Ht[1][0].cpu(), np.array([[2.0, 4.0]]))
    assert_close(Ht[1][1].cpu(), np.zeros((1, 1)))


def test_products_match_the_jacobian(device):
    x = t(X, device)
    v_out, v_in = RNG.standard_normal(3), RNG.standard_normal(2)
    a = t(A, device)
    fn = lambda x: a.matmul(x ** 2) + x.sin().sum()  # noqa: E731
    J = A * (2 * X)[None, :] + np.cos(X)[None, :]
    out, g = vjp(fn, x, t(v_out, device))
    assert_close(out.cpu(), f_np(X), rtol=1e-10)
    assert_close(g.cpu(), v_out @ J, rtol=1e-10)
    out, jv = jvp(fn, x, t(v_in, device))
    assert_close(jv.cpu(), J @ v_in, rtol=1e-10)
    scal = lambda x: (x ** 3).sum() * x[0]  # noqa: E731
    # f = x0 * sum(x^3): H = 3*(e0 x^2^T + x^2 e0^T) + 6 diag(x) x0
    H = 3 * (np.outer([1, 0], X ** 2) + np.outer(X ** 2, [1, 0])) + 6 * X[0] * np.diag(X)
    val, r = vhp(scal, x, t(v_in, device))
    assert val.item() == pytest.approx((X ** 3).sum() * X[0])
    assert_close(r.cpu(), v_in @ H, rtol=1e-10)
    _, r = hvp(scal, x, t(v_in, device))
    assert_close(r.cpu(), H @ v_in, rtol=1e-10)
    # v may be omitted for one-element outputs / inputs.
    _, g = vjp(lambda x: (x ** 2).sum(), x)
    assert_close(g.cpu(), 2 * X)
    _, jv = jvp(lambda x: x ** 2, t([3.0], device))
    assert_close(jv.cpu(), [6.0])


def test_create_graph_is_differentiable(device):
    x = t(X, device).requires_grad_(True)
    J = jacobian(lambda z: z ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()
    assert_close(x.grad.cpu(), 6 * X, rtol=1e-10)
    # jvp/vjp outputs keep the graph too: gradcheck through them.
    v = t([0.5, -1.0], device)
    assert torch.autograd.gradcheck(lambda z: jvp(lambda w: w.sin() * w.sum(), z, v, create_graph=True)[1],
                                    (t(X, device).requires_grad_(True),))
    assert torch.autograd.gradcheck(lambda z: hvp(lambda w: (w ** 4).sum(), z, v, create_graph=True)[1],
                                    (t(X, device).requires_grad_(True),))


def test_user_graph_untouched_without_create_graph(device):
    x = t(X, device).requires_grad_(True)
    _, g = vjp(lambda z: (z ** 2).sum(), x)
    assert not g.requires_grad and x.grad is None


def test_errors():
    x = torch.ones(2)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or a tuple of Tensors"):
        jacobian(lambda z: z, [1.0])
    with pytest.raises(TypeError, match="but the given inputs has type"):
        vjp(lambda z: z, 3.0)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        vjp(lambda z: z * 2, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the user-provided"):
        jvp(lambda z: z * 2, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be torch.Size\(\[2\]\) but got"):
        vjp(lambda z: z * 2, x, torch.ones(3))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        jacobian(lambda z: torch.ones(2), x, strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, x), strict=True)
    with pytest.raises(RuntimeError, match="The output of the user-provided function is independent of input 1"):
        vjp(lambda a, b: (a * 2).sum(), (x, x), strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect to input 0 is"):
        hessian(lambda z: (z * 2).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="The function given to hessian should return a single Tensor"):
        hessian(lambda z: (z.sum(), z.sum()), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        vhp(lambda z: z * 2, x, x)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(lambda z: z, x, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not supported together"):
        jacobian(lambda z: z, x, strict=True, vectorize=True)
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        jacobian(lambda z: z, x, strategy="sideways")
    # Not strict: an unused input gets a zero Jacobian.
    J = jacobian(lambda a, b: a * 2, (x, x))
    assert_close(J[1], np.zeros((2, 2), dtype=np.float32))
    assert_close(jacobian(lambda z: z ** 2, x, vectorize=True, strategy="forward-mode"), 2 * np.eye(2, dtype="f4"))


def test_float32_result_dtype(device):
    J = jacobian(lambda z: z * 3, torch.ones(2, device=device))
    assert J.dtype == torch.float32 and J.device.type == torch.device(device).type
    assert_close(to_numpy(J.cpu()), 3 * np.eye(2, dtype=np.float32))


def test_strict_create_graph_messages():
    # A linear function: its vjp does not depend on the input (PyTorch calls that the jacobian being
    # independent); a quadratic one: its vhp does not (the hessian being independent).
    x, v = torch.ones(2, requires_grad=True), torch.ones(2)
    with pytest.raises(RuntimeError, match="The jacobian of the user-provided function is independent of input 0. "
                                           "This is not allowed in strict mode when create_graph=True."):
        vjp(lambda z: 2 * z, x, v, create_graph=True, strict=True)
    with pytest.raises(RuntimeError, match="The hessian of the user-provided function is independent of input 0. "
                                           "This is not allowed in strict mode when create_graph=True."):
        vhp(lambda z: (z * z).sum(), x, v, create_graph=True, strict=True)
