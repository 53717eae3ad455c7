"""ferrotorch.optim: per-parameter state, state_dict layout and round trips, load casting, hooks,
named parameters, closures, zero_grad and deepcopy."""
import copy

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim
from test_optim import _make_problem, _run

def test_state_keys_and_types():
    p = nn.Parameter(torch.ones(2, dtype=torch.float64))
    p.grad = torch.ones(2, dtype=torch.float64)
    expect = [(optim.SGD(None or [p], lr=0.1, momentum=0.9), {"momentum_buffer"}),
              (optim.Adam([p], amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
              (optim.AdamW([p]), {"step", "exp_avg", "exp_avg_sq"}),
              (optim.RMSprop([p], momentum=0.5, centered=True), {"step", "square_avg", "momentum_buffer", "grad_avg"}),
              (optim.Adagrad([p]), {"step", "sum"})]
    for opt, keys in expect:
        opt.step()
        st = opt.state[p]
        assert set(st) == keys
        if "step" in st:
            assert st["step"].shape == () and st["step"].dtype == torch.float32 and st["step"].item() == 1.0
        for k in keys - {"step"}:
            assert st[k].dtype == torch.float64 and st[k].shape == (2,)
    # Plain SGD keeps no state at all.
    sgd = optim.SGD([p], lr=0.1)
    sgd.step()
    assert sgd.state_dict()["state"] == {}


def test_zero_grad():
    p = nn.Parameter(torch.ones(2))
    (p * 3).sum().backward()
    opt = optim.SGD([p], lr=0.1)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad.data_ptr() == g.data_ptr() and g.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.zero_grad()  # no grads: nothing to do


@pytest.mark.parametrize("cls,kwargs", [(optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                        (optim.Adam, dict(lr=0.05, amsgrad=True)),
                                        (optim.AdamW, dict(lr=0.05)),
                                        (optim.RMSprop, dict(momentum=0.5, centered=True)),
                                        (optim.Adagrad, dict(lr_decay=0.1))])
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    init, grads, params = _make_problem("float32", seed=1)
    opt = cls([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}], **kwargs)
    _run(params, grads[:2], opt, "float32")
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1, 2, 3, 4]
    assert sd["param_groups"][1]["lr"] == 0.02 and "params" not in opt.defaults
    assert set(sd["state"]) >= {0, 1, 2, 3} and set(sd["state"]) <= {0, 1, 2, 3, 4}
    saved = copy.deepcopy(sd)
    clones = [nn.Parameter(p.detach().clone()) for p in params]
    opt2 = cls([{"params": clones[:1]}, {"params": clones[1:]}], **kwargs)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.02 and opt2.param_groups[1]["params"][0] is clones[1]
    _run(params, grads[2:], opt, "float32")
    _run(clones, grads[2:], opt2, "float32")
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert list(opt2.state_dict()["state"]) == list(opt.state_dict()["state"])


def test_load_state_dict_casts_to_param_dtype_and_checks_sizes():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    opt = optim.Adam([p])
    opt.step()
    q = nn.Parameter(torch.ones(2, dtype=torch.float64))
    opt2 = optim.Adam([q])
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert opt2.state[q]["exp_avg"].dtype == torch.float64
    assert opt2.state[q]["step"].dtype == torch.float32  # the step counter keeps its dtype
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam([{"params": [q]}, {"params": [nn.Parameter(torch.ones(1))]}]).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam([q, nn.Parameter(torch.ones(1))]).load_state_dict(opt.state_dict())


def test_closure_runs_with_grad_and_returns_loss():
    w = nn.Parameter(torch.tensor([2.0, -1.0]))
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(torch.is_grad_enabled())
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [1.0, -0.5])
    opt.zero_grad()
    assert opt.step() is None  # no closure, no grads: nothing moves
    np.testing.assert_allclose(w.detach().numpy(), [1.0, -0.5])
    assert optim.Adam([w]).step(closure).item() == pytest.approx(1.25)


def test_step_does_not_record_autograd():
    w = nn.Parameter(torch.tensor([1.0]))
    w.grad = torch.tensor([1.0])
    optim.Adam([w], weight_decay=0.1).step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_step_and_state_dict_hooks():
    w = nn.Parameter(torch.tensor([1.0]))
    opt = optim.SGD([w], lr=0.5)
    log = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", a, k)))
    h2 = opt.register_step_post_hook(lambda o, a, k: log.append(("post", a, k)))
    g = optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("global", o is opt)))
    w.grad = torch.tensor([1.0])
    opt.step()
    assert log == [("global", True), ("pre", (), {}), ("post", (), {})] and w.item() == 0.5
    for h in (h1, h2, g):
        h.remove()
    # A pre-hook may replace the arguments: here it injects a closure.
    opt.register_step_pre_hook(lambda o, a, k: ((), {"closure": lambda: 42}))
    assert opt.step() == 42
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    seen = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append(sorted(sd)))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("done"))
    opt.load_state_dict(opt.state_dict())
    assert seen == [["extra", "param_groups", "state"], "done"]


def test_deepcopy_optimizer_continues_identically():
    init, grads, params = _make_problem("float64", seed=4)
    opt = optim.Adam(params, lr=0.1, amsgrad=True)
    _run(params, grads[:2], opt, "float64")
    opt2 = copy.deepcopy(opt)
    params2 = [p for g in opt2.param_groups for p in g["params"]]
    assert params2[0] is not params[0] and opt2.state[params2[0]]["step"].item() == 2.0
    _run(params, grads[2:], opt, "float64")
    _run(params2, grads[2:], opt2, "float64")
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_named_parameters():
    model = nn.Linear(2, 1)
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    group = opt.param_groups[0]
    assert group["param_names"] == ["weight", "bias"] and group["params"][0] is model.weight
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["weight", "bias"] and sd["param_groups"][0]["params"] == [0, 1]
    opt2 = optim.Adam(model.parameters(), lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="cannot add param group without names to the optimizer"):
        opt.add_param_group({"params": [nn.Parameter(torch.ones(1))]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("a", nn.Parameter(torch.ones(1))), nn.Parameter(torch.ones(1))], lr=0.1)
