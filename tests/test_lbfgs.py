"""LBFGS: iterates against a numpy two-loop L-BFGS with the same step/stop rules, strong-Wolfe
convergence on Rosenbrock, state carried across steps, and argument errors."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim

RNG = np.random.default_rng(0)
M = RNG.standard_normal((5, 5))
A = M @ M.T / 5 + np.eye(5)  # symmetric positive definite, well conditioned
B = RNG.standard_normal(5)


def quad(x):
    return 0.5 * x @ A @ x - B @ x, A @ x - B


def lbfgs_ref(x, fgrad, lr, max_iter, history, max_eval, tol_grad=1e-7, tol_change=1e-9):
    """One LBFGS.step() from scratch without line search, in textbook two-loop form."""
    f, g = fgrad(x)
    evals = 1
    if np.abs(g).max() <= tol_grad:
        return x
    S, Y, H = [], [], 1.0
    for k in range(1, max_iter + 1):
        if k == 1:
            d = -g
        else:
            y, s = g - g_prev, d * t
            if y @ s > 1e-10:
                S, Y = (S + [s])[-history:], (Y + [y])[-history:]
                H = (y @ s) / (y @ y)
            q, alphas = -g, []
            for s_i, y_i in reversed(list(zip(S, Y))):
                alphas.append((s_i @ q) / (y_i @ s_i))
                q = q - alphas[-1] * y_i
            r = H * q
            for (s_i, y_i), a in zip(zip(S, Y), reversed(alphas)):
                r = r + (a - (y_i @ r) / (y_i @ s_i)) * s_i
            d = r
        g_prev, f_prev = g, f
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 1 else lr
        if g @ d > -tol_change:
            break
        x = x + t * d
        opt = False
        if k != max_iter:
            f, g = fgrad(x)
            evals += 1
            opt = np.abs(g).max() <= tol_grad
        if k == max_iter or evals >= max_eval or opt:
            break
        if np.abs(d * t).max() <= tol_change or abs(f - f_prev) < tol_change:
            break
    return x


def _params_and_closure(x0):
    # A transposed 2x2 param and a 1-vector: the flat vector follows each param's logical order.
    p1 = nn.Parameter(torch.tensor(x0[:4].reshape(2, 2).T.copy()).T)
    p2 = nn.Parameter(torch.tensor(x0[4:]))
    assert not p1.is_contiguous()
    At, Bt = torch.tensor(A), torch.tensor(B)

    def flat():
        return torch.cat([p1.reshape(-1), p2])

    def closure():
        opt.zero_grad()
        x = flat()
        loss = 0.5 * (x @ (At @ x)) - (Bt * x).sum()
        loss.backward()
        return loss

    opt = None

    def bind(o):
        nonlocal opt
        opt = o
    return [p1, p2], closure, flat, bind


@pytest.mark.parametrize("max_iter,history,lr", [(6, 3, 1.0), (4, 100, 0.5), (1, 10, 1.0)])
def test_step_matches_numpy_two_loop(max_iter, history, lr):
    x0 = RNG.standard_normal(5)
    params, closure, flat, bind = _params_and_closure(x0)
    opt = optim.LBFGS(params, lr=lr, max_iter=max_iter, history_size=history)
    bind(opt)
    loss = opt.step(closure)
    assert loss.item() == pytest.approx(quad(x0)[0], rel=1e-12)  # the loss before the step
    expected = lbfgs_ref(x0, quad, lr, max_iter, history, max_eval=max_iter * 5 // 4)
    np.testing.assert_allclose(flat().detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    state = opt.state[params[0]]
    assert state["n_iter"] == max_iter and state["func_evals"] <= max_iter * 5 // 4 + 1
    assert len(state["old_dirs"]) <= history


def test_strong_wolfe_minimises_rosenbrock():
    xy = nn.Parameter(torch.tensor([-1.5, 2.0], dtype=torch.float64))
    opt = optim.LBFGS([xy], line_search_fn="strong_wolfe", max_iter=50)

    def closure():
        opt.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        return loss

    first = opt.step(closure).item()
    for _ in range(4):
        opt.step(closure)
    assert first > 1.0
    np.testing.assert_allclose(xy.detach().numpy(), [1.0, 1.0], atol=1e-5)
    assert opt.state[xy]["func_evals"] > opt.state[xy]["n_iter"]  # line search evaluates extra points


def test_quadratic_solved_by_line_search_and_state_persists():
    x0 = RNG.standard_normal(5)
    params, closure, flat, bind = _params_and_closure(x0)
    opt = optim.LBFGS(params, line_search_fn="strong_wolfe", history_size=10)
    bind(opt)
    opt.step(closure)
    np.testing.assert_allclose(flat().detach().numpy(), np.linalg.solve(A, B), atol=1e-6)
    state = opt.state[params[0]]
    n, dirs = state["n_iter"], len(state["old_dirs"])
    opt.step(closure)  # continues from the stored history (no restart with a steepest-descent step)
    assert state["n_iter"] > n and len(state["old_dirs"]) >= dirs
    np.testing.assert_allclose(flat().detach().numpy(), np.linalg.solve(A, B), atol=1e-6)
    # At an exact optimum the step returns after one evaluation, without iterating.
    w = nn.Parameter(torch.zeros(3))
    opt2 = optim.LBFGS([w])
    opt2.step(lambda: (w * w).sum().backward() or (w * w).sum())
    assert opt2.state[w]["n_iter"] == 0 and opt2.state[w]["func_evals"] == 1


def test_lbfgs_errors_and_repr():
    p = nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(torch.ones(1))]}])
    opt = optim.LBFGS([p], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (p * p).sum().backward() or (p * p).sum())
    assert optim.LBFGS([p]).defaults["max_eval"] == 25
    assert "    line_search_fn: None\n" in repr(optim.LBFGS([p]))
