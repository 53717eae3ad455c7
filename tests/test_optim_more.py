"""Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD: steps against their update rules written out in numpy (every option,
float32/float64, 0-d/empty/transposed params, no-grad params skipped), state keys and argument errors."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim
from test_optim import DTYPES, _case_id, _make_problem, _run, adam_decay


def adamax_ref(x, gs, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    x = [a.copy() for a in x]
    m = [np.zeros_like(a) for a in x]
    u = [np.zeros_like(a) for a in x]
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g = (-g if maximize else g) + weight_decay * x[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            u[i] = np.maximum(b2 * u[i], np.abs(g) + eps)
            x[i] = x[i] - lr / (1 - b1 ** t) * m[i] / u[i]
    return x


def nadam_ref(x, gs, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    x = [a.copy() for a in x]
    m = [np.zeros_like(a) for a in x]
    v = [np.zeros_like(a) for a in x]
    mu_prod = [1.0] * len(x)
    mu_at = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))  # noqa: E731
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g, x[i] = adam_decay(g, x[i], lr, weight_decay, decoupled_weight_decay, maximize)
            # PyTorch keeps mu_product in a float32 0-d tensor, so its rounding is part of the rule.
            mu_prod[i] = float(np.float32(mu_prod[i]) * np.float32(mu_at(t)))
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = mu_at(t + 1) * m[i] / (1 - mu_prod[i] * mu_at(t + 1)) + (1 - mu_at(t)) * g / (1 - mu_prod[i])
            x[i] = x[i] - lr * m_hat / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
    return x


def radam_ref(x, gs, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
              maximize=False):
    b1, b2 = betas
    x = [a.copy() for a in x]
    m = [np.zeros_like(a) for a in x]
    v = [np.zeros_like(a) for a in x]
    rho_inf = 2 / (1 - b2) - 1
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g, x[i] = adam_decay(g, x[i], lr, weight_decay, decoupled_weight_decay, maximize)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
            if rho > 5:
                r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                x[i] = x[i] - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v[i]) + eps)
            else:
                x[i] = x[i] - lr * m_hat
    return x


def adadelta_ref(x, gs, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    x = [a.copy() for a in x]
    v = [np.zeros_like(a) for a in x]
    u = [np.zeros_like(a) for a in x]
    for step in gs:
        for i, g in enumerate(step):
            g = (-g if maximize else g) + weight_decay * x[i]
            v[i] = rho * v[i] + (1 - rho) * g * g
            d = np.sqrt(u[i] + eps) / np.sqrt(v[i] + eps) * g
            u[i] = rho * u[i] + (1 - rho) * d * d
            x[i] = x[i] - lr * d
    return x


def rprop_ref(x, gs, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    x = [a.copy() for a in x]
    prev = [np.zeros_like(a) for a in x]
    size = [np.full_like(a, lr) for a in x]
    for step in gs:
        for i, g in enumerate(step):
            g = -g if maximize else g
            for j in np.ndindex(g.shape):  # coordinate by coordinate, as the rule is stated
                s = np.sign(g[j] * prev[i][j])
                size[i][j] = np.clip(size[i][j] * (etas[1] if s > 0 else etas[0] if s < 0 else 1.0), *step_sizes)
                gj = 0.0 if s < 0 else g[j]
                x[i][j] -= np.sign(gj) * size[i][j]
                prev[i][j] = gj
    return x


def asgd_ref(x, gs, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    f32 = lambda v: float(np.float32(v))  # noqa: E731  (eta and mu live in float32 0-d tensors)
    x = [a.copy() for a in x]
    ax = [np.zeros_like(a) for a in x]
    eta, mu = [f32(lr)] * len(x), [1.0] * len(x)
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g = (-g if maximize else g) + weight_decay * x[i]
            x[i] = x[i] * (1 - lambd * eta[i]) - eta[i] * g
            ax[i] = x[i].copy() if mu[i] == 1 else ax[i] + mu[i] * (x[i] - ax[i])
            eta[i] = f32(lr / (1 + lambd * lr * t) ** alpha)
            mu[i] = f32(1 / max(1, t - t0))
    return x, ax


CASES = [
    (optim.Adamax, adamax_ref, dict()),
    (optim.Adamax, adamax_ref, dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)),
    (optim.NAdam, nadam_ref, dict()),
    (optim.NAdam, nadam_ref, dict(lr=0.05, weight_decay=0.1, momentum_decay=0.3, maximize=True)),
    (optim.NAdam, nadam_ref, dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)),
    # 8 steps: rho_t <= 5 for t <= 5 (plain momentum step), then the rectified step.
    (optim.RAdam, radam_ref, dict(lr=0.05)),
    (optim.RAdam, radam_ref, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    (optim.RAdam, radam_ref, dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)),
    (optim.Adadelta, adadelta_ref, dict()),
    (optim.Adadelta, adadelta_ref, dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.1, maximize=True)),
    (optim.ASGD, lambda *a, **k: asgd_ref(*a, **k)[0], dict()),
    (optim.ASGD, lambda *a, **k: asgd_ref(*a, **k)[0], dict(lr=0.1, lambd=0.05, alpha=0.6, t0=0.5,
                                                          weight_decay=0.1, maximize=True)),
    (optim.Rprop, rprop_ref, dict()),
    (optim.Rprop, rprop_ref, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.05, 0.12), maximize=True)),
]


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
@pytest.mark.parametrize("cls,ref,kwargs", CASES, ids=_case_id)
def test_updates_match_numpy(cls, ref, kwargs, dtype, rtol, atol):
    init, grads, params = _make_problem(dtype, steps=8 if cls is optim.RAdam else 4)
    opt = cls(params, **kwargs)
    _run(params, grads, opt, dtype)
    for p, e in zip(params, ref(init[:4], grads, **kwargs)):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(params[4].detach().numpy(), init[4].astype(dtype))
    assert params[4] not in opt.state


@pytest.mark.parametrize("b2", [0.999, 0.99])
def test_radam_cases_exercise_both_branches(b2):
    rho_inf = 2 / (1 - b2) - 1
    rhos = [rho_inf - 2 * t * b2 ** t / (1 - b2 ** t) for t in range(1, 9)]
    assert min(rhos) <= 5 < max(rhos)


@pytest.mark.parametrize("dtype,rtol,atol", DTYPES)
def test_asgd_running_average(dtype, rtol, atol):
    kwargs = dict(lr=0.1, lambd=0.05, t0=0.5)  # mu < 1 from step 3: a true running average
    init, grads, params = _make_problem(dtype)
    opt = optim.ASGD(params, **kwargs)
    _run(params, grads, opt, dtype)
    for p, e in zip(params, asgd_ref(init[:4], grads, **kwargs)[1]):
        np.testing.assert_allclose(opt.state[p]["ax"].numpy(), e, rtol=rtol, atol=atol)


def test_state_keys_and_errors():
    p = nn.Parameter(torch.ones(2, dtype=torch.float64))
    p.grad = torch.ones(2, dtype=torch.float64)
    for opt, keys in [(optim.Adamax([p]), {"step", "exp_avg", "exp_inf"}),
                      (optim.NAdam([p]), {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
                      (optim.RAdam([p]), {"step", "exp_avg", "exp_avg_sq"}),
                      (optim.Adadelta([p]), {"step", "square_avg", "acc_delta"}),
                      (optim.Rprop([p]), {"step", "prev", "step_size"}),
                      (optim.ASGD([p]), {"step", "eta", "mu", "ax"})]:
        opt.step()
        assert set(opt.state[p]) == keys and opt.state[p]["step"].dtype == torch.float32
    assert optim.NAdam([p]).defaults["lr"] == 2e-3 and optim.Adadelta([p]).defaults["lr"] == 1.0
    with pytest.raises(ValueError, match="Invalid momentum_decay value: -1"):
        optim.NAdam([p], momentum_decay=-1)
    with pytest.raises(ValueError, match="Invalid rho value: 1.5"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.RAdam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid eta values: 0.5, 0.9"):
        optim.Rprop([p], etas=(0.5, 0.9))
    with pytest.raises(ValueError, match="Invalid learning rate: -0.5"):
        optim.Adamax([p], lr=-0.5)


def test_sparse_adam_is_built_and_refuses_dense_gradients():
    # ferrotorch has no sparse tensors: construction and validation follow PyTorch, and a step
    # with a (necessarily dense) gradient raises PyTorch's error for dense gradients.
    w = nn.Parameter(torch.ones(2))
    opt = optim.SparseAdam([w], lr=0.01)
    assert opt.defaults == {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "maximize": False}
    assert opt.step() is None  # nothing has a gradient yet
    w.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="^SparseAdam does not support dense gradients, please consider Adam instead$"):
        opt.step()
    for kwargs, message in [({"lr": -1}, "Invalid learning rate: -1"), ({"eps": -1}, "Invalid epsilon value: -1"),
                            ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
                            ({"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0")]:
        with pytest.raises(ValueError, match=f"^{message}$"):
            optim.SparseAdam([w], **kwargs)
