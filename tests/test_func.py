"""torch.func: grad/grad_and_value, vjp, jvp, jacrev/jacfwd, hessian, vmap and functional_call
against closed forms and explicit loops, with pytrees, nesting and errors, on both devices."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import func
from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(1)
X = RNG.standard_normal(3)
M = RNG.standard_normal((4, 3))


def t(a, device):
    return from_numpy(np.asarray(a, dtype="float64")).to(device)


def test_grad_closed_form_argnums_aux_and_pytrees(device):
    x, y = t(X, device), t(X[::-1].copy(), device)
    g = func.grad(lambda a: (a.sin() * a).sum())(x)
    assert_close(g.cpu(), np.cos(X) * X + np.sin(X), rtol=1e-12)
    assert not g.requires_grad
    gx, gy = func.grad(lambda a, b: (a * b ** 2).sum(), argnums=(0, 1))(x, y)
    assert_close(gx.cpu(), X[::-1] ** 2)
    assert_close(gy.cpu(), 2 * X * X[::-1])
    g1 = func.grad(lambda a, b: (a * b).sum(), argnums=-1)(x, y)
    assert_close(g1.cpu(), X)
    g, aux = func.grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(x)
    assert_close(g.cpu(), 2 * X)
    assert aux.item() == pytest.approx(X.mean())
    tree = {"w": x, "pair": (y, [x])}
    gt = func.grad(lambda d: (d["w"] * d["pair"][0]).sum() + d["pair"][1][0].pow(3).sum())(tree)
    assert set(gt) == {"w", "pair"} and isinstance(gt["pair"], tuple) and isinstance(gt["pair"][1], list)
    assert_close(gt["w"].cpu(), X[::-1])
    assert_close(gt["pair"][1][0].cpu(), 3 * X ** 2)
    gv, val = func.grad_and_value(lambda a: (a ** 2).sum())(x)
    assert val.item() == pytest.approx((X ** 2).sum())
    assert_close(gv.cpu(), 2 * X)
    # An input that does not influence the output: zeros.
    assert_close(func.grad(lambda a, b: b.sum(), argnums=0)(x, y).cpu(), np.zeros(3))


def test_nested_grad_and_outer_autograd(device):
    x = t(0.7, device)
    d2 = func.grad(func.grad(lambda a: a.sin() * a ** 2))(x)
    assert d2.item() == pytest.approx(2 * np.sin(0.7) + 4 * 0.7 * np.cos(0.7) - 0.49 * np.sin(0.7))
    # With an input that requires grad the result stays differentiable.
    xr = t(X, device).requires_grad_(True)
    func.grad(lambda a: (a ** 3).sum())(xr).sum().backward()
    assert_close(xr.grad.cpu(), 6 * X)


def test_vjp_jvp(device):
    x = t(X, device)
    m = t(M.T, device).t()  # non-contiguous
    fn = lambda a: m.matmul(a.exp())  # noqa: E731
    J = M * np.exp(X)[None, :]
    out, vjp_fn = func.vjp(fn, x)
    assert_close(out.cpu(), M @ np.exp(X))
    u = RNG.standard_normal(4)
    (g,) = vjp_fn(t(u, device))
    assert_close(g.cpu(), u @ J, rtol=1e-12)
    v = RNG.standard_normal(3)
    out, jv = func.jvp(fn, (x,), (t(v, device),))
    assert_close(jv.cpu(), J @ v, rtol=1e-12)
    _, fn2 = func.vjp(lambda a, b: (a * b, b.sum()), x, x)
    ga, gb = fn2((t(np.ones(3), device), t(2.0, device)))
    assert_close(ga.cpu(), X)
    assert_close(gb.cpu(), X + 2)


def test_jacrev_jacfwd_hessian(device):
    x = t(X, device)
    fn = lambda a: (a ** 2).cumsum(0)  # noqa: E731
    ref = np.tril(np.ones((3, 3))) * (2 * X)[None, :]
    assert_close(func.jacrev(fn)(x).cpu(), ref)
    assert_close(func.jacfwd(fn)(x).cpu(), ref)
    J = func.jacrev(lambda a, b: {"p": a * b, "s": (a * b).sum()}, argnums=(0, 1))(x, x)
    assert tuple(J["p"][0].shape) == (3, 3) and tuple(J["s"][1].shape) == (3,)
    assert_close(J["p"][0].cpu(), np.diag(X))
    assert_close(J["s"][1].cpu(), X)
    H = func.hessian(lambda a: (a ** 3).sum() * a[0])(x)
    Hr = 3 * (np.outer([1, 0, 0], X ** 2) + np.outer(X ** 2, [1, 0, 0])) + 6 * X[0] * np.diag(X)
    assert_close(H.cpu(), Hr, rtol=1e-10)
    assert func.jacrev(lambda a: a * 2)(t(1.5, device)).item() == 2.0


def test_vmap_matches_loop(device):
    a = t(RNG.standard_normal((3, 4)), device)
    b = t(RNG.standard_normal((4, 3)), device)
    c = t(RNG.standard_normal(4), device)
    # in_dims per argument, None not mapped, out_dims=1, non-contiguous inputs (b is a transposed view).
    out = func.vmap(lambda x, y, z: (x * y + z).sum(), in_dims=(0, 1, None))(a, b, c)
    ref = [(to_numpy(a.cpu())[i] * to_numpy(b.cpu())[:, i] + to_numpy(c.cpu())).sum() for i in range(3)]
    assert_close(out.cpu(), np.array(ref), rtol=1e-12)
    o1, o2 = func.vmap(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(a)
    assert tuple(o1.shape) == (4, 3)
    assert_close(o1.cpu(), 2 * to_numpy(a.cpu()).T)
    assert_close(o2.cpu(), to_numpy(a.cpu()).sum(1))
    # Nested vmap is an outer product; dict inputs with per-leaf in_dims.
    outer = func.vmap(func.vmap(torch.mul, in_dims=(None, 0)), in_dims=(0, None))(c, c)
    assert_close(outer.cpu(), np.outer(to_numpy(c.cpu()), to_numpy(c.cpu())))
    d = func.vmap(lambda d: d["x"] + d["y"], in_dims=({"x": 0, "y": None},))({"x": a, "y": c})
    assert_close(d.cpu(), to_numpy(a.cpu()) + to_numpy(c.cpu()))
    # 0-d slices: vmap over a vector calls func on scalars.
    assert_close(func.vmap(lambda s: s * s)(c).cpu(), to_numpy(c.cpu()) ** 2)


def test_vmap_grad_per_sample_gradients(device):
    w = t(RNG.standard_normal(3), device)
    xs = t(RNG.standard_normal((5, 3)), device)
    ys = t(RNG.standard_normal(5), device)

    def loss(w, x, y):
        return ((x * w).sum() - y) ** 2
    g = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(w, xs, ys)
    xn, yn, wn = to_numpy(xs.cpu()), to_numpy(ys.cpu()), to_numpy(w.cpu())
    ref = np.stack([2 * (xn[i] @ wn - yn[i]) * xn[i] for i in range(5)])
    assert_close(g.cpu(), ref, rtol=1e-12)


def test_functional_call(device):
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2).to(device)
    orig_w = to_numpy(lin.weight.detach().cpu())
    w = torch.ones(2, 3, device=device, requires_grad=True)
    x = torch.ones(1, 3, device=device)
    out = func.functional_call(lin, {"weight": w}, (x,))
    assert_close(out.detach().cpu(), 3 + to_numpy(lin.bias.detach().cpu())[None])
    out.sum().backward()
    assert_close(w.grad.cpu(), np.ones((2, 3), dtype=np.float32))
    assert lin.weight.grad is None
    np.testing.assert_array_equal(to_numpy(lin.weight.detach().cpu()), orig_w)
    # Gradients with respect to a parameter dict via func.grad.
    params = {k: v.detach() for k, v in lin.named_parameters()}
    g = func.grad(lambda p: func.functional_call(lin, p, x).sum())(params)
    assert_close(g["bias"].cpu(), np.ones(2, dtype=np.float32))
    assert_close(g["weight"].cpu(), np.ones((2, 3), dtype=np.float32))
    # A tuple of dicts; tied weights follow the given one.
    seq = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.Linear(2, 2, bias=False)).to(device)
    seq[1].weight = seq[0].weight
    eye = torch.eye(2, device=device)
    out = func.functional_call(seq, ({"0.weight": eye * 2},), (torch.ones(1, 2, device=device),))
    assert_close(out.cpu(), np.full((1, 2), 4.0, dtype=np.float32))
    out = func.functional_call(seq, {"0.weight": eye * 2}, torch.ones(1, 2, device=device), tie_weights=False)
    assert_close(out.detach().cpu(), 2 * to_numpy(torch.ones(1, 2) @ seq[0].weight.detach().cpu().t()))


def test_errors():
    x = torch.ones(3)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a Tensor"):
        func.grad(lambda a: 1.0)(x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, aux\\)"):
        func.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        func.grad(lambda a: a.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        func.grad(lambda a: a.sum(), argnums=())(x)
    with pytest.raises(RuntimeError, match=r"argnums elements must be unique, got \(0, 0\)"):
        func.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x)
    with pytest.raises(RuntimeError, match=r"argnums elements must be unique, got \(1, -1\)"):
        func.jacrev(lambda a, b: a.sum(), argnums=(1, -1))(x, x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        func.grad(lambda a: a.sum(), argnums=[0])(x)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        func.jvp(lambda a: a, x, (x,))
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension"):
        func.vmap(torch.add)(torch.ones(2), torch.ones(3))
    with pytest.raises(ValueError, match="expected in_dim to satisfy -1 <= in_dim < 1"):
        func.vmap(torch.neg, in_dims=1)(torch.ones(2))
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        func.vmap(lambda a, b: a, in_dims=(0, 0))(torch.ones(2), 3.0)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        func.vmap(torch.neg, randomness="some")
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): 'nope'"):
        func.functional_call(torch.nn.Linear(1, 1), {"nope": x}, (torch.ones(1, 1),), strict=True)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        func.functional_call(torch.nn.Linear(1, 1), ({"bias": x}, {"bias": x}), (torch.ones(1, 1),))
