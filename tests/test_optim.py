"""ferrotorch.optim: each optimizer's steps against its update rule written out in numpy, param
groups, repr, argument checks, tensor lr, and end-to-end training (state handling: test_optim_state.py)."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim

STEPS = 4
DTYPES = [("float32", 2e-5, 1e-6), ("float64", 1e-10, 1e-12)]


def _make_problem(dtype, seed=0, steps=STEPS):
    """Params: a transposed (non-contiguous) 2x3, a vector, a 0-d, an empty one, and (last) one that
    never gets a grad."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal((3, 2)).T, rng.standard_normal(4), rng.standard_normal(()), np.zeros(0),
            rng.standard_normal(2)]
    grads = [[rng.standard_normal(a.shape) for a in init[:4]] for _ in range(steps)]
    tdt = getattr(torch, dtype)
    params = [nn.Parameter(torch.tensor(np.ascontiguousarray(init[0].T), dtype=tdt).T)]
    params += [nn.Parameter(torch.tensor(a, dtype=tdt)) for a in init[1:]]
    assert not params[0].is_contiguous() and params[2].shape == () and params[3].shape == (0,)
    return init, grads, params


def _run(params, grads, opt, dtype):
    tdt = getattr(torch, dtype)
    for gs in grads:
        for p, g in zip(params, gs):
            # Transposed grads for the transposed param exercise strided in-place updates.
            if g.ndim == 2:
                p.grad = torch.tensor(np.ascontiguousarray(g.T), dtype=tdt).T
            else:
                p.grad = torch.tensor(g, dtype=tdt)
        opt.step()


# ---- numpy references, one function per optimizer, textbook form --------------------------------

def sgd_ref(x, gs, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    x = [a.copy() for a in x]
    bufs = [None] * len(gs[0])
    for step in gs:
        for i, g in enumerate(step):
            g = -g if maximize else g
            g = g + weight_decay * x[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            x[i] = x[i] - lr * g
    return x


def adam_decay(g, x, lr, weight_decay, decoupled, maximize):
    """The Adam family's gradient prelude: ±g, then L2 decay into g or decoupled (AdamW) decay of x."""
    g = -g if maximize else g
    if decoupled:
        return g, x * (1 - lr * weight_decay)
    return g + weight_decay * x, x


def adam_ref(x, gs, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    x = [a.copy() for a in x]
    m = [np.zeros_like(a) for a in x]
    v = [np.zeros_like(a) for a in x]
    vmax = [np.zeros_like(a) for a in x]
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g, x[i] = adam_decay(g, x[i], lr, weight_decay, decoupled, maximize)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vmax[i] = np.maximum(vmax[i], v[i])
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = (vmax[i] if amsgrad else v[i]) / (1 - b2 ** t)
            x[i] = x[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x


def rmsprop_ref(x, gs, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False):
    x = [a.copy() for a in x]
    sq = [np.zeros_like(a) for a in x]
    ga = [np.zeros_like(a) for a in x]
    buf = [np.zeros_like(a) for a in x]
    for step in gs:
        for i, g in enumerate(step):
            g = -g if maximize else g
            g = g + weight_decay * x[i]
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g
            ga[i] = alpha * ga[i] + (1 - alpha) * g
            avg = np.sqrt(sq[i] - ga[i] ** 2 if centered else sq[i]) + eps
            if momentum > 0:
                buf[i] = momentum * buf[i] + g / avg
                x[i] = x[i] - lr * buf[i]
            else:
                x[i] = x[i] - lr * g / avg
    return x


def adagrad_ref(x, gs, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False):
    x = [a.copy() for a in x]
    s = [np.full_like(a, initial_accumulator_value) for a in x]
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g = -g if maximize else g
            g = g + weight_decay * x[i]
            s[i] = s[i] + g * g
            x[i] = x[i] - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s[i]) + eps)
    return x


CASES = [
    (optim.SGD, sgd_ref, dict(lr=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, sgd_ref, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    (optim.Adam, adam_ref, dict(lr=0.01)),
    (optim.Adam, adam_ref, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, adam_ref, dict(lr=0.02, eps=1e-3, maximize=True, amsgrad=True)),
    (optim.AdamW, lambda x, gs, **kw: adam_ref(x, gs, decoupled=True, weight_decay=1e-2, **kw), dict(lr=0.01)),
    (optim.AdamW, lambda x, gs, **kw: adam_ref(x, gs, decoupled=True, **kw),
     dict(lr=0.01, weight_decay=0.3, amsgrad=True, maximize=True)),
    (optim.RMSprop, rmsprop_ref, dict()),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, alpha=0.8, centered=True, momentum=0.9, maximize=True)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.3,
                                      eps=1e-4, maximize=True)),
]


def _case_id(v):
    return ",".join(f"{k}={w}" for k, w in v.items()) if isinstance(v, dict) else getattr(v, "__name__", None)


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("cls,ref,kwargs", CASES, ids=_case_id)
def test_updates_match_numpy(cls, ref, kwargs, dtype, rtol, atol):
    init, grads, params = _make_problem(dtype)
    opt = cls(params, **kwargs)
    _run(params, grads, opt, dtype)
    expected = ref(init[:4], grads, **kwargs)
    for p, e in zip(params, expected):
        assert p.dtype == getattr(torch, dtype)
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=rtol, atol=atol)
    # The param without a grad is untouched and gets no state (Adagrad creates its state up front).
    np.testing.assert_array_equal(params[4].detach().numpy(), init[4].astype(dtype))
    if cls is optim.Adagrad:
        assert opt.state[params[4]]["step"].item() == 0.0
    else:
        assert params[4] not in opt.state


def test_param_groups_defaults_and_different_lrs():
    a, b = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b and set(opt.param_groups[0]) == set(opt.defaults) | {"params"}
    a.grad, b.grad = torch.ones(2), torch.ones(3)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.5] * 3, rtol=1e-6)
    c = nn.Parameter(torch.ones(1))
    opt.add_param_group({"params": [c], "lr": 2.0})
    assert opt.param_groups[2]["lr"] == 2.0 and opt.param_groups[2]["dampening"] == 0
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([c])
    # Generators (model.parameters()) work; a set inside a param group does not.
    model = nn.Linear(2, 1)
    assert len(optim.Adam(model.parameters()).param_groups[0]["params"]) == 2
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {nn.Parameter(torch.ones(1))}})
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        _RequiresLr([nn.Parameter(torch.ones(1))])


class _RequiresLr(optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, dict(lr=optim.optimizer.required))


def test_repr_matches_pytorch_layout():
    opt = optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1, momentum=0.9)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
                         "    weight_decay: 0\n)")
    r = repr(optim.AdamW([nn.Parameter(torch.ones(1))]))
    assert r.startswith("AdamW (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)\n")
    assert "    decoupled_weight_decay: True\n" in r and "    weight_decay: 0.01\n" in r


@pytest.mark.parametrize("call,msg,exc", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1", ValueError),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5", ValueError),
    (lambda p: optim.SGD(p, weight_decay=-1e-2), "Invalid weight_decay value: -0.01", ValueError),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening",
     ValueError),
    (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1", ValueError),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0", ValueError),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1", ValueError),
    (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0", ValueError),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1", ValueError),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1", ValueError),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1", ValueError),
    (lambda p: optim.SGD([], lr=0.1), "optimizer got an empty parameter list", ValueError),
    (lambda p: optim.SGD(p[0], lr=0.1), "should be an iterable of Tensors or dicts, but got torch.FloatTensor",
     TypeError),
    (lambda p: optim.SGD([p[0], 3], lr=0.1), "optimizer can only optimize Tensors, but one of the params is int",
     TypeError),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "can't optimize a non-leaf Tensor", ValueError),
    (lambda p: optim.SGD([{"params": p}, {"params": p}]), "some parameters appear in more than one parameter group",
     ValueError),
])
def test_argument_errors(call, msg, exc):
    p = [nn.Parameter(torch.ones(2))]
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call(p)


def test_duplicate_params_warn():
    p = nn.Parameter(torch.ones(1))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_adamw_equals_adam_with_decoupled_weight_decay():
    init, grads, params = _make_problem("float64", seed=2)
    _, _, params2 = _make_problem("float64", seed=2)
    _run(params, grads, optim.AdamW(params, lr=0.05, weight_decay=0.2), "float64")
    _run(params2, grads, optim.Adam(params2, lr=0.05, weight_decay=0.2, decoupled_weight_decay=True), "float64")
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
                                      lambda ps: optim.Adam(ps, lr=0.05)])
def test_trains_linear_regression(make_opt):
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    true_w = torch.tensor([[1.5, -2.0, 0.5]])
    y = x @ true_w.T + 0.3
    model = nn.Linear(3, 1)
    opt = make_opt(model.parameters())
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 1e-3 * first
    np.testing.assert_allclose(model.weight.detach().numpy(), true_w.numpy(), atol=2e-2)
    np.testing.assert_allclose(model.bias.item(), 0.3, atol=2e-2)


def test_minimises_quadratic_with_every_optimizer():
    target = np.array([1.0, -2.0, 3.0])
    for make in (lambda p: optim.SGD(p, lr=0.1), lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.0),
                 lambda p: optim.RMSprop(p, lr=0.03), lambda p: optim.Adagrad(p, lr=0.5)):
        w = nn.Parameter(torch.zeros(3, dtype=torch.float64))
        opt = make([w])
        t = torch.tensor(target)
        for _ in range(300):
            opt.zero_grad()
            ((w - t) ** 2).sum().backward()
            opt.step()
        assert math.dist(w.tolist(), target.tolist()) < 5e-2


def test_tensor_lr_and_scheduler_fill():
    w = nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    lr = torch.tensor(0.5, dtype=torch.float64)
    opt = optim.SGD([w], lr=lr)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(2):
        w.grad = torch.ones(2, dtype=torch.float64)
        opt.step()
        sched.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.75, 2.0 - 0.75])
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.125  # the scheduler fills it in place
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.Adam([w], lr=torch.tensor([0.1, 0.2]))
