"""Gradients of the matmul family (all lowered onto one recorded batched product)."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


def test_mm_node_and_grads():
    a, b = leaf(2, 3), leaf(3, 4, seed=1)
    c = a.mm(b)
    assert c.grad_fn.name() == "MmBackward0"
    g = np.random.default_rng(2).standard_normal((2, 4))
    c.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), g @ b.detach().numpy().T)
    np.testing.assert_allclose(b.grad.numpy(), a.detach().numpy().T @ g)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                                   ((4,), (2, 4, 3)), ((2, 0), (0, 3))])
def test_matmul_ranks(sa, sb):
    gradcheck(torch.matmul, (leaf(*sa), leaf(*sb, seed=1)))


def test_matmul_non_contiguous_and_gradgrad():
    a, b = leaf(3, 2), leaf(4, 3, seed=1)
    gradcheck(lambda p, q: p.t() @ q.t(), (a, b))
    gradgradcheck(lambda p, q: p.t() @ q.t(), (a, b))
    gradgradcheck(torch.matmul, (leaf(2, 2, 3), leaf(3, 2, seed=1)))


def test_batched_input_times_a_weight_folds_into_one_product():
    # A transposed (L, N, E) input times a weight that needs a gradient (a linear layer after
    # batch_first's transpose): folded into one (L*N, E) @ (E, F) product, as in PyTorch, so the
    # weight's gradient is one product too, not a batch of them summed afterwards.
    rng = np.random.default_rng(3)
    x_np, w_np, g_np = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2)), rng.standard_normal((4, 3, 2))
    x = torch.tensor(x_np, requires_grad=True)
    w = torch.tensor(w_np, requires_grad=True)
    y = x.transpose(0, 1) @ w
    assert y.shape == (4, 3, 2)
    assert [n.name() for n, _ in y.grad_fn.next_functions] == ["MmBackward0"]
    np.testing.assert_allclose(y.detach().numpy(), x_np.transpose(1, 0, 2) @ w_np, rtol=1e-12)
    y.backward(torch.tensor(g_np))
    np.testing.assert_allclose(w.grad.numpy(), np.einsum("lne,lnf->ef", x_np.transpose(1, 0, 2), g_np), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), (g_np @ w_np.T).transpose(1, 0, 2), rtol=1e-12)
    gradgradcheck(lambda p, q: p.transpose(0, 1) @ q, (leaf(3, 4, 5), leaf(5, 2, seed=1)))


def test_addmm_beta_alpha():
    i, a, b = leaf(4), leaf(2, 3, seed=1), leaf(3, 4, seed=2)
    f = lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0)
    assert f(i, a, b).grad_fn.name() == "AddmmBackward0"
    gradcheck(f, (i, a, b))
    gradgradcheck(f, (i, a, b))
    f(i, a, b).sum().backward()
    np.testing.assert_allclose(i.grad.numpy(), np.full(4, 0.5 * 2))


@pytest.mark.parametrize("f,shapes", [
    (torch.bmm, [(2, 2, 3), (2, 3, 4)]),
    (torch.mv, [(2, 3), (3,)]),
    (torch.dot, [(3,), (3,)]),
    (torch.inner, [(2, 3), (4, 3)]),
    (torch.outer, [(2,), (3,)]),
    (torch.kron, [(2, 2), (2, 3)]),
    (lambda i, a, b: torch.addmv(i, a, b, beta=2.0), [(2,), (2, 3), (3,)]),
    (lambda i, a, b: torch.baddbmm(i, a, b, alpha=0.5), [(2, 1, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda i, a, b: torch.addbmm(i, a, b), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    (lambda a, b: torch.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a: torch.einsum("ii->i", a), [(3, 3)]),
    (lambda a, b: torch.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)]),
    (torch.trace, [(3, 4)]),
])
def test_family_gradcheck(f, shapes):
    gradcheck(f, tuple(leaf(*s, seed=i) for i, s in enumerate(shapes)))


def test_integer_matmul_has_no_grad():
    a = torch.ones(2, 2, dtype=torch.int64)
    assert not (a @ a).requires_grad
