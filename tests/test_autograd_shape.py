"""Gradients of view ops, copies (clone/contiguous/to) and the copying shape ops."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck


def sq(y):
    """A nonlinearity whose second derivative is nonzero (so gradgradcheck checks something)."""
    return y * y


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


VIEWS = [
    ("view", lambda x: x.view(12), "ViewBackward0"),
    ("reshape", lambda x: x.reshape(4, 3), "ViewBackward0"),
    ("reshape_copy", lambda x: x.t().reshape(12), "UnsafeViewBackward0"),
    ("t", lambda x: x.t(), "TBackward0"),
    ("T", lambda x: x.T, "PermuteBackward0"),
    ("mT", lambda x: x.mT, "TransposeBackward0"),
    ("transpose", lambda x: x.transpose(0, 1), "TransposeBackward0"),
    ("permute", lambda x: x.permute(1, 0), "PermuteBackward0"),
    ("movedim", lambda x: x.movedim(0, 1), "PermuteBackward0"),
    ("expand", lambda x: x.unsqueeze(0).expand(2, 3, 4), "ExpandBackward0"),
    ("squeeze", lambda x: x.unsqueeze(1).squeeze(1), "SqueezeBackward1"),
    ("squeeze_all", lambda x: x.unsqueeze(1).squeeze(), "SqueezeBackward0"),
    ("unsqueeze", lambda x: x.unsqueeze(-1), "UnsqueezeBackward0"),
    ("flatten", lambda x: x.flatten(), "ViewBackward0"),
    ("unflatten", lambda x: x.unflatten(1, (2, 2)), "ViewBackward0"),
    ("narrow", lambda x: x.narrow(1, 1, 2), "SliceBackward0"),
    ("select", lambda x: x.select(0, 1), "SelectBackward0"),
    ("diagonal", lambda x: x.diagonal(1), "DiagonalBackward0"),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 2)), "AsStridedBackward0"),
    ("unfold", lambda x: x.unfold(1, 2, 1), "UnfoldBackward0"),
    ("split", lambda x: x.split(2)[1], "SplitBackward0"),
    ("split_sizes", lambda x: x.split([1, 3], 1)[1], "SplitWithSizesBackward0"),
    ("chunk", lambda x: x.chunk(2, 1)[0], "SplitBackward0"),
    ("unbind", lambda x: x.unbind(1)[2], "UnbindBackward0"),
    ("clone", lambda x: x.clone(), "CloneBackward0"),
    ("contiguous", lambda x: x.t().contiguous(), "CloneBackward0"),
    ("to_copy", lambda x: x.to(torch.float64, copy=True), "ToCopyBackward0"),
]


@pytest.mark.parametrize("name,f,node", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_node_and_gradcheck(name, f, node):
    x = leaf(3, 4)
    y = f(x)
    assert y.requires_grad and y.grad_fn.name() == node
    gradcheck(lambda t: f(t).double(), (x,))


@pytest.mark.parametrize("name,f,node", VIEWS[:24:3], ids=[v[0] for v in VIEWS[:24:3]])
def test_view_gradgradcheck(name, f, node):
    x = leaf(3, 4)
    gradgradcheck(lambda t: sq(f(t)), (x,))


def test_views_of_non_contiguous_and_expanded_inputs():
    x = leaf(4, 3)
    gradcheck(lambda t: t.t().select(1, 2).unsqueeze(0), (x,))
    # A select of an expanded tensor must not see the aliased rows as one element.
    a = leaf(4)
    y = a.expand(3, 4).select(0, 1)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones(4))
    # unfold windows overlap: each element gets one gradient per window holding it.
    b = leaf(5)
    b.unfold(0, 3, 1).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [1, 2, 3, 2, 1])


def test_expand_sums_gradient():
    x = leaf(3, 1)
    x.expand(2, 3, 4).backward(torch.ones(2, 3, 4, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 8.0))


def test_contiguous_returns_self_when_contiguous():
    x = leaf(3, 4)
    assert x.contiguous().grad_fn is None
    assert x.to(torch.float64).grad_fn is None


def test_float_node():
    assert leaf(3).float().grad_fn.name() == "ToCopyBackward0"


def test_to_casts_gradient_back():
    x = leaf(3)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == torch.float64
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])


def test_integer_cast_does_not_require_grad():
    assert not leaf(3).long().requires_grad


def test_inplace_through_select_view():
    x = leaf(3, 4)
    y = x.clone()
    y.select(0, 0).mul_(2)
    y.sum().backward()
    expect = np.ones((3, 4))
    expect[0] = 2
    np.testing.assert_allclose(x.grad.numpy(), expect)


def test_inplace_through_transposed_view():
    x = leaf(3, 4)
    y = x * 1
    y.t().mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 3.0))


WRITES_INTO_VIEWS = [
    ("diagonal copy_", lambda o, s: o.diagonal().copy_(s), lambda w: np.diag(w)),
    ("select copy_", lambda o, s: o[1].copy_(s), lambda w: w[1]),
    ("transposed select copy_", lambda o, s: o.t()[0].copy_(s), lambda w: w[:, 0]),
    ("unbind copy_", lambda o, s: o.unbind(0)[2].copy_(s), lambda w: w[2]),
    ("view of a view setitem", lambda o, s: o[1:].__setitem__(0, s), lambda w: w[1]),
    ("narrow add_", lambda o, s: o.narrow(0, 2, 1).add_(s * 2), lambda w: 2 * w[2]),
]


@pytest.mark.parametrize("name,write,expected", WRITES_INTO_VIEWS, ids=[w[0] for w in WRITES_INTO_VIEWS])
def test_inplace_into_a_view_of_a_tensor_without_grad_reaches_the_source(device, name, write, expected):
    # PyTorch tracks every view: writing a value that requires grad into a view of a plain
    # tensor makes the base require grad (CopySlices), so the value gets its gradient.
    weights = np.arange(9.0).reshape(3, 3)
    src = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, device=device, requires_grad=True)
    out = torch.zeros(3, 3, dtype=torch.float64, device=device)
    write(out, src)
    assert out.requires_grad and out.grad_fn.name() == "CopySlices"
    (out * torch.tensor(weights, device=device)).sum().backward()
    np.testing.assert_allclose(src.grad.cpu().numpy(), expected(weights))


def test_views_of_tensors_without_grad_stay_outside_autograd():
    base = torch.zeros(3, 3)
    view = base[1]
    view.mul_(2)
    assert not base.requires_grad and base.grad_fn is None and not view.requires_grad
    with torch.no_grad():
        base[1].copy_(torch.ones(3, requires_grad=True))
    assert not base.requires_grad
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        base[0:2].detach_()


def test_view_of_leaf_inplace_is_refused():
    x = leaf(3, 4)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x.view(12).mul_(2)


def test_empty_and_zero_dim():
    e = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    e.t().reshape(3, 0).sum().backward()
    assert tuple(e.grad.shape) == (0, 3)
    s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (s.unsqueeze(0).expand(3) * 2).sum().backward()
    assert s.grad.item() == 6.0


def test_cat_stack_nodes_and_grads():
    a, b = leaf(2, 3), leaf(1, 3, seed=1)
    c = torch.cat([a, b])
    assert c.grad_fn.name() == "CatBackward0"
    (c * torch.arange(9, dtype=torch.float64).reshape(3, 3)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_allclose(b.grad.numpy(), np.arange(6, 9).reshape(1, 3))
    gradcheck(lambda p, q: torch.stack([p, q.expand(2, 3)], 1), (a, b))


def test_flip_repeat_tril():
    x = leaf(3, 4)
    gradgradcheck(lambda t: sq(t.flip([0]).repeat(2, 1).tril()), (x,))
    w = torch.ones(3, 4, dtype=torch.float64)
    x.triu(1).backward(w)
    np.testing.assert_allclose(x.grad.numpy(), np.triu(np.ones((3, 4)), 1))


def test_tril_inplace_records():
    x = leaf(3, 3)
    y = x * 1
    y.tril_()
    assert y.grad_fn.name() == "TrilBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.tril(np.ones((3, 3))))


def test_diag_and_diag_embed():
    v = leaf(3)
    d = torch.diag(v, 1)
    assert d.grad_fn.name() == "DiagEmbedBackward0"
    gradgradcheck(lambda t: sq(torch.diag(t, 1)), (v,))
    gradcheck(lambda t: torch.diag_embed(t, 0, 0, 2), (leaf(2, 3),))


@pytest.mark.parametrize("make_view", [lambda b: b.view(2, 3).t(), lambda b: b[2:], lambda b: b.view(2, 3)[:, 1:]],
                         ids=["transposed", "offset", "strided"])
def test_as_strided_gradient_follows_the_storage(device, make_view):
    # as_strided addresses storage positions, whatever the input's own layout: the gradient
    # reaches the base elements at those positions (and only input elements get one).
    base = torch.arange(6.0, dtype=torch.float64, device=device, requires_grad=True)
    x = make_view(base)
    y = x.as_strided((2, 2), (1, 2), 1)
    (y * torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, device=device)).sum().backward()
    expected = np.zeros(6)
    for (i, j), w in np.ndenumerate(np.array([[1.0, 2.0], [3.0, 4.0]])):
        expected[1 + i * 1 + j * 2] += w
    covered = np.zeros(6, bool)
    covered[np.array(x.storage_offset() + sum(np.meshgrid(*[np.arange(n) * s for n, s in zip(x.shape, x.stride())],
                                                         indexing="ij")).ravel())] = True
    np.testing.assert_allclose(base.grad.cpu().numpy(), np.where(covered, expected, 0.0))
