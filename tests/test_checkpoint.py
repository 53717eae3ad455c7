"""torch.utils.checkpoint: gradients equal the plain computation (inputs, parameters used inside,
dropout under preserve_rng_state, nesting, checkpoint_sequential), the segment really is
recomputed, and PyTorch's warnings and errors."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.utils.checkpoint import checkpoint, checkpoint_sequential
from conftest import assert_close, to_numpy

nn = torch.nn
F = torch.nn.functional


def make_mlp(device, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)).to(device)


def grads(model, x):
    return [to_numpy(p.grad.cpu()) for p in model.parameters()] + [to_numpy(x.grad.cpu())]


@pytest.mark.parametrize("reentrant", [True, False])
def test_grads_equal_plain_including_parameters(device, reentrant):
    x0 = torch.randn(5, 3, device=device)
    plain = make_mlp(device)
    x = x0.clone().requires_grad_(True)
    ref_out = plain(x)
    (ref_out ** 2).sum().backward()
    ck = make_mlp(device)
    xc = x0.clone().requires_grad_(True)
    calls = []

    def segment(h):
        calls.append(torch.is_grad_enabled())
        return ck[2](ck[1](ck[0](h)))
    out = ck[4](ck[3](checkpoint(segment, xc, use_reentrant=reentrant)))
    assert_close(out.detach().cpu(), to_numpy(ref_out.detach().cpu()), rtol=1e-6)
    (out ** 2).sum().backward()
    # The reentrant forward runs without grad; the non-reentrant one records the ordinary graph
    # (keeping positions instead of tensors). Both recompute with grad.
    assert calls == [not reentrant, True]
    for a, b in zip(grads(ck, xc), grads(plain, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_non_reentrant_params_get_grads_without_input_grad(device):
    model = make_mlp(device)
    x = torch.randn(2, 3, device=device)
    checkpoint(model, x, use_reentrant=False).sum().backward()
    ref = make_mlp(device)
    ref(x).sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        assert_close(p.grad.cpu(), to_numpy(q.grad.cpu()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reentrant", [True, False])
def test_dropout_recomputed_with_same_mask(device, reentrant):
    x = torch.randn(4, 6, device=device, requires_grad=True)

    def fn(h):
        return F.dropout(h * 3, 0.5, training=True)
    torch.manual_seed(7)
    out = checkpoint(fn, x, use_reentrant=reentrant, preserve_rng_state=True)
    # Draw in between: the recomputation must restore its own state, then restore this one.
    between = torch.rand(3, device=device)
    out.sum().backward()
    after = torch.rand(3, device=device)
    mask = to_numpy(out.detach().cpu()) != 0
    # d(out)/dx = 3 * scale where kept: the gradient shows the recomputed mask equals the forward's.
    np.testing.assert_allclose(to_numpy(x.grad.cpu()), mask * 6.0, rtol=1e-6)
    torch.manual_seed(7)
    F.dropout(torch.ones(4, 6, device=device), 0.5, training=True)
    np.testing.assert_array_equal(to_numpy(between.cpu()), to_numpy(torch.rand(3, device=device).cpu()))
    np.testing.assert_array_equal(to_numpy(after.cpu()), to_numpy(torch.rand(3, device=device).cpu()))


def test_nested_checkpoint_and_multiple_outputs(device):
    w = torch.randn(3, device=device, requires_grad=True)
    x = torch.randn(3, device=device, requires_grad=True)

    def inner(a):
        return (a * w).sin()

    def outer(a, b, scale):
        h = checkpoint(inner, a, use_reentrant=False)
        return h * b * scale, (h + b).exp()
    o1, o2 = checkpoint(outer, x, x * 2, 0.5, use_reentrant=True)
    (o1.sum() + o2.sum()).backward()
    gx, gw = to_numpy(x.grad.cpu()), to_numpy(w.grad.cpu())
    x.grad = None
    w.grad = None
    h = (x * w).sin()
    (((h * (x * 2)) * 0.5).sum() + (h + x * 2).exp().sum()).backward()
    np.testing.assert_allclose(gx, to_numpy(x.grad.cpu()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw, to_numpy(w.grad.cpu()), rtol=1e-5, atol=1e-6)


def test_gradcheck_through_checkpoint():
    x = torch.randn(4, dtype=torch.float64).t().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: checkpoint(lambda a: a.sin() * a.sum(), z, use_reentrant=True), (x,))
    assert torch.autograd.gradcheck(lambda z: checkpoint(lambda a: (a.t() @ a).exp(), z, use_reentrant=False),
                                    (torch.randn(2, 3, dtype=torch.float64).t().requires_grad_(True),))


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential(device, segments):
    plain, ck = make_mlp(device), make_mlp(device)
    x = torch.randn(3, 3, device=device, requires_grad=True)
    xc = x.detach().clone().requires_grad_(True)
    plain(x).pow(2).sum().backward()
    out = checkpoint_sequential(ck, segments, xc, use_reentrant=False)
    assert_close(out.detach().cpu(), to_numpy(plain(x).detach().cpu()), rtol=1e-6)
    out.pow(2).sum().backward()
    for a, b in zip(grads(ck, xc), grads(plain, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_kwargs_and_no_grad_mode():
    x = torch.ones(2, requires_grad=True)
    out = checkpoint(lambda a, k=1.0: a * k, x, use_reentrant=False, k=3.0)
    out.sum().backward()
    assert_close(x.grad, np.full(2, 3.0, dtype=np.float32))
    with torch.no_grad():
        assert not checkpoint(lambda a: a * 2, x, use_reentrant=False).requires_grad


def test_warnings_and_errors():
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, x)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint_sequential([nn.Identity()], 1, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
        checkpoint(lambda a, k=1: a, x, use_reentrant=True, k=2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. Gradients will be None"):
        checkpoint(lambda a: a * 2, torch.ones(2), use_reentrant=True)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"), torch.no_grad():
        checkpoint(lambda a: a * 2, torch.ones(2), use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda a: a * 2, x, use_reentrant=False)


@pytest.mark.parametrize("container", ["list", "dict"])
def test_non_reentrant_outputs_nested_in_lists_and_dicts(device, container):
    # Regression: a list/dict output used to come back detached (no gradient at all).
    x0 = np.array([1.0, -2.0, 0.5])
    x = torch.tensor(x0, device=device, requires_grad=True)

    def f(a):
        pair = [a * 3, (a.exp(), a.argmax())]
        return pair if container == "list" else {"lin": pair[0], "rest": pair[1]}
    out = checkpoint(f, x, use_reentrant=False)
    lin, (ex, idx) = (out[0], out[1]) if container == "list" else (out["lin"], out["rest"])
    assert type(out).__name__ == container and idx.item() == 0 and not idx.requires_grad
    (lin.sum() + ex.sum()).backward()
    assert_close(x.grad.cpu(), 3 + np.exp(x0), rtol=1e-12)


def test_non_reentrant_graph_reaches_closed_over_parameters(device):
    # Regression: with no argument requiring grad, autograd.grad found no path to `w`.
    w = torch.tensor([0.5, -1.0], device=device, requires_grad=True)
    x = torch.ones(2, device=device)
    out = checkpoint(lambda a: (a * w).sin().sum(), x, use_reentrant=False)
    g, = torch.autograd.grad(out, w)
    assert_close(g.cpu(), np.cos([0.5, -1.0]).astype(np.float32), rtol=1e-6)
    out = checkpoint(lambda a: (a * w).sin().sum(), x, use_reentrant=False)
    out.backward(inputs=[w])
    assert_close(w.grad.cpu(), np.cos([0.5, -1.0]).astype(np.float32), rtol=1e-6)


def test_non_reentrant_double_backward(device):
    x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = checkpoint(lambda a: (a ** 3).sum(), x, use_reentrant=False)
    g, = torch.autograd.grad(y, x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    assert_close(g.detach().cpu(), np.array([3.0, 12.0], dtype=np.float32))
    assert_close(gg.cpu(), np.array([6.0, 12.0], dtype=np.float32))


def test_non_reentrant_recomputes_for_each_backward_and_stops_early():
    calls = []
    x = torch.tensor([0.3, 0.7], requires_grad=True)

    def f(a):
        calls.append("start")
        b = a.sin().cos()          # the two tensors saved (sin's input, cos's input)
        calls.append("after last save")
        return b * 2
    y = checkpoint(f, x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    y.backward()
    # The recomputation ends once the last saved tensor is back; a second backward recomputes again.
    assert calls == ["start", "after last save", "start", "start"]
    assert_close(x.grad, (2 * -np.sin(np.sin([0.3, 0.7])) * np.cos([0.3, 0.7]) * 2).astype(np.float32), rtol=1e-5)


def test_non_reentrant_detects_a_different_recomputation():
    runs = []

    def changes(kind):
        def f(a):
            runs.append(1)
            if len(runs) == 1:
                return a.exp().sin()
            return {"count": lambda: a.exp(), "shape": lambda: a[:1].exp().sin(),
                    "dtype": lambda: a.double().exp().sin()}[kind]()
        return f
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(torch.utils.checkpoint.CheckpointError,
                       match="A different number of tensors was saved during the original forward and recomputation.\n"
                             "Number of tensors saved during forward: 2\nNumber of tensors saved during recomputation: 1"):
        checkpoint(changes("count"), x, use_reentrant=False).sum().backward()
    for kind, field in [("shape", "torch.Size([1])"), ("dtype", "torch.float64")]:
        runs.clear()
        with pytest.raises(RuntimeError, match="Recomputed values for the following tensors have different metadata "
                                               "than during the forward pass.\ntensor at position 0:\nsaved metadata: "
                                               ".*\nrecomputed metadata: .*" + field.replace("(", "\\(").replace(")", "\\)").replace("[", "\\[").replace("]", "\\]")):
            checkpoint(changes(kind), x, use_reentrant=False).sum().backward()
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="strict")


def test_non_reentrant_context_fn():
    entered = []

    class Marker:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append((self.name, torch.is_grad_enabled()))

        def __exit__(self, *exc):
            return False
    x = torch.ones(2, requires_grad=True)
    y = checkpoint(lambda a: a.exp().sum(), x, use_reentrant=False,
                   context_fn=lambda: (Marker("forward"), Marker("recompute")))
    assert entered == [("forward", True)]
    y.backward()
    assert entered == [("forward", True), ("recompute", True)]
    assert_close(x.grad, np.full(2, np.e, dtype=np.float32), rtol=1e-6)


def test_non_reentrant_inputs_changed_in_place_fail_like_pytorch():
    # The arguments are saved tensors of a node of their own (PyTorch's _NoopSaveInputs): a change
    # before the recomputation is the version error, never a gradient of the new values.
    a = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    h = a * 1
    y = checkpoint(lambda t: (t * t).sum(), h, use_reentrant=False)
    h.add_(10)
    with pytest.raises(RuntimeError, match=r"^one of the variables needed for gradient computation has been modified "
                                           r"by an inplace operation: \[torch.FloatTensor \[3\]\], which is output 0 of "
                                           r"Add, is at version 1; expected version 0 instead."):
        y.backward()
    x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda t, k: (t * t * k).sum(), x, 2.0, use_reentrant=False)
    with torch.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[3\]\] is at version 1; expected version 0"):
        y.backward()


def test_non_reentrant_in_place_ops_inside_the_checkpoint(device):
    x0 = np.array([0.5, 1.0, 2.0])
    a = torch.tensor(x0, device=device, requires_grad=True)
    w = torch.tensor(np.array([1.5, -2.0, 3.0]), device=device, requires_grad=True)

    def f(t):
        u = (t * 1).sin_()
        v = t * 1
        v[1:].mul_(2)  # in place on a view
        return (u * w).sum() + v.sum()
    checkpoint(f, a, use_reentrant=False).backward()
    assert_close(a.grad.cpu(), np.cos(x0) * np.array([1.5, -2.0, 3.0]) + np.array([1.0, 2.0, 2.0]), rtol=1e-12)
    assert_close(w.grad.cpu(), np.sin(x0), rtol=1e-12)
