"""Adafactor and Muon against their update rules written out in numpy (20 steps, both devices),
swap_in_optimizer_params_and_state, and DistributedSampler against a hand-written split."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import from_numpy, to_numpy

SHAPES = [(3, 4), (5,), (), (2, 3, 4), (1, 1)]


def _params(ws, device, dtype):
    return [torch.nn.Parameter(from_numpy(w.astype(dtype)).to("cuda" if device == "gpu" else "cpu")) for w in ws]


def _drive(opt, ps, gs, dtype):
    for step in gs:
        for p, g in zip(ps, step):
            p.grad = from_numpy(g.astype(dtype)).to(p.device)
        opt.step()
    return [to_numpy(p.detach().cpu()) for p in ps]


def adafactor_ref(ws, gs, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False):
    ws = [w.astype(np.float64).copy() for w in ws]
    eps1 = np.finfo(np.float32).eps if eps[0] is None else eps[0]
    state = [None] * len(ws)
    for t, step in enumerate(gs, 1):
        for i, g in enumerate(step):
            g = -g if maximize else g
            w = ws[i]
            b = t ** beta2_decay
            alpha = max(eps[1], np.sqrt(np.mean(w * w))) * min(lr, 1 / math.sqrt(t))
            w = w * (1 - lr * weight_decay)
            if g.ndim > 1:
                r, c = state[i] if state[i] is not None else (0.0, 0.0)
                r = r + b * ((g * g).mean(-1, keepdims=True) - r)
                c = c + b * ((g * g).mean(-2, keepdims=True) - c)
                state[i] = (r, c)
                v = (r @ c) / np.maximum(r.mean(-2, keepdims=True), eps1)
            else:
                v = state[i] if state[i] is not None else 0.0
                v = v + b * (g * g - v)
                state[i] = v
            u = g / np.maximum(np.sqrt(v), eps1)
            ws[i] = w - alpha * u / max(1.0, np.sqrt(np.mean(u * u)) / d)
    return ws


@pytest.mark.parametrize("kw", [{}, dict(lr=0.1, weight_decay=0.1, maximize=True),
                                dict(eps=(1e-3, 1e-2), d=2.0, beta2_decay=-0.5)])
def test_adafactor_trajectory(device, kw):
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal(s) for s in SHAPES]
    gs = [[rng.standard_normal(s) for s in SHAPES] for _ in range(20)]
    ps = _params(ws, device, np.float32)
    out = _drive(torch.optim.Adafactor(ps, **kw), ps, gs, np.float32)
    for a, b in zip(out, adafactor_ref(ws, gs, **kw)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_adafactor_state_and_errors():
    w, v = torch.nn.Parameter(torch.ones(2, 3, 4)), torch.nn.Parameter(torch.ones(5))
    opt = torch.optim.Adafactor([w, v])
    w.grad, v.grad = torch.ones(2, 3, 4), torch.ones(5)
    opt.step()
    sd = opt.state_dict()
    assert {k: tuple(x.shape) for k, x in sd["state"][0].items()} == {"step": (), "row_var": (2, 3, 1),
                                                                      "col_var": (2, 1, 4)}
    assert set(sd["state"][1]) == {"step", "variance"} and sd["state"][1]["step"].dtype == torch.float32
    assert sd["param_groups"][0] == {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0,
                                     "weight_decay": 0.0, "foreach": None, "maximize": False, "params": [0, 1]}
    p = [torch.nn.Parameter(torch.ones(2))]
    for kw, msg in [(dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
                    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
                    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
                    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
                    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
                    (dict(weight_decay=-1.0), "weight_decay should be >= 0 but is: -1.0")]:
        with pytest.raises(ValueError, match=f"^{msg}$"):
            torch.optim.Adafactor(p, **kw)


def _bf16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def muon_ref(ws, gs, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
             ns_coefficients=(3.4445, -4.7750, 2.0315), ns_steps=5, adjust_lr_fn=None):
    a, b, c = ns_coefficients
    ws = [w.astype(np.float64).copy() for w in ws]
    bufs = [np.zeros_like(w) for w in ws]
    for step in gs:
        for i, g in enumerate(step):
            bufs[i] = bufs[i] + (1 - momentum) * (g - bufs[i])
            u = g + momentum * (bufs[i] - g) if nesterov else bufs[i]
            x = _bf16(u.astype(np.float32))
            tr = x.shape[0] > x.shape[1]
            x = x.T if tr else x
            x = _bf16(x / max(_bf16(np.linalg.norm(x)), 1e-7))
            for _ in range(ns_steps):
                gram = _bf16(x @ x.T)
                x = _bf16(a * x + _bf16(b * gram + c * gram @ gram) @ x)
            x = x.T if tr else x
            A, B = ws[i].shape
            ratio = {None: math.sqrt(max(1, A / B)), "match_rms_adamw": 0.2 * math.sqrt(max(A, B)),
                     "spectral_unclamped": math.sqrt(A / B)}[adjust_lr_fn]
            ws[i] = ws[i] * (1 - lr * weight_decay) - lr * ratio * x
    return ws


@pytest.mark.parametrize("kw", [dict(lr=0.02), dict(lr=0.02, nesterov=False, momentum=0.5, weight_decay=0.0),
                                dict(lr=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3),
                                dict(lr=0.01, adjust_lr_fn="spectral_unclamped", ns_coefficients=(2.0, -1.5, 0.5))])
def test_muon_trajectory(device, kw):
    shapes = [(3, 4), (5, 2), (1, 3)]
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(s) for s in shapes]
    gs = [[rng.standard_normal(s) for s in shapes] for _ in range(20)]
    ps = _params(ws, device, np.float32)
    out = _drive(torch.optim.Muon(ps, **kw), ps, gs, np.float32)
    for x, y in zip(out, muon_ref(ws, gs, **kw)):
        # bf16 intermediates: fp32 accumulation order may flip the odd last bf16 bit.
        np.testing.assert_allclose(x, y, rtol=2e-3, atol=2e-3)


def test_muon_errors():
    p = torch.nn.Parameter(torch.zeros(2, 2))
    for kw, msg in [(dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
                    (dict(momentum=-1), "momentum should be >= 0 but is: -1"),
                    (dict(weight_decay=-1), "weight decay should be >= 0 but is: -1"),
                    (dict(adjust_lr_fn="x"), "Adjust learning rate function x is not supported")]:
        with pytest.raises(ValueError, match=f"^{msg}$"):
            torch.optim.Muon([p], **kw)
    with pytest.raises(ValueError, match=r"^Muon only supports 2D parameters whereas we found a parameter with "
                                         r"size: torch.Size\(\[3\]\)$"):
        torch.optim.Muon([torch.nn.Parameter(torch.zeros(3))])
    for kw, msg in [(dict(ns_steps=100), "Number of steps must be less than 100 for computational efficiency"),
                    (dict(ns_coefficients=(1, 2)), "Coefficients must be a tuple of exactly 3 values")]:
        opt = torch.optim.Muon([p], **kw)
        p.grad = torch.ones(2, 2)
        with pytest.raises(ValueError, match=f"^{msg}$"):
            opt.step()


def test_swap_in_optimizer_params_and_state():
    w = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=1.0, momentum=0.9)
    with pytest.raises(RuntimeError, match="^swap_in_optimizer_params_and_state requires initialized optimizer"):
        with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": w}, opt.state_dict()):
            pass
    w.grad = torch.ones(2)
    opt.step()
    w2 = torch.nn.Parameter(torch.zeros(2))
    w2.grad = torch.ones(2)
    groups = opt.state_dict()["param_groups"]
    groups[0] = dict(groups[0], lr=0.5)
    sd = {"state": {0: {"momentum_buffer": torch.ones(2)}}, "param_groups": groups}
    live_params = opt.param_groups[0]["params"]
    with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": w2}, sd):
        assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is w2
        opt.step()
    # buf = 0.9 * 1 + 1 = 1.9 (in place, visible in sd); w2 = 0 - 0.5 * 1.9.
    np.testing.assert_allclose(to_numpy(w2.detach()), [-0.95, -0.95], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(sd["state"][0]["momentum_buffer"]), [1.9, 1.9], rtol=1e-6)
    assert opt.param_groups[0]["lr"] == 1.0 and opt.param_groups[0]["params"] is live_params
    np.testing.assert_allclose(to_numpy(w.detach()), [0.0, 0.0])
    np.testing.assert_allclose(to_numpy(opt.state[w]["momentum_buffer"]), [1.0, 1.0])
    for bad, msg in [({"state": [], "param_groups": []}, "requires swapin_optim_state\\['state'\\] to be a dict "
                      "mapping packed parameter ids to per-param state dicts, got list."),
                     ({"state": {0: 1}, "param_groups": []}, "requires per-parameter optimizer state entries to be"),
                     ({"state": {5: {}}, "param_groups": groups}, "got extra keys \\[5\\].")]:
        with pytest.raises(RuntimeError, match=msg):
            with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": w2}, bad):
                pass


def _split_ref(n, replicas, rank, drop_last):
    idx = list(range(n))
    if drop_last:
        per = n // replicas
        idx = idx[:per * replicas]
    else:
        per = -(-n // replicas)
        while len(idx) < per * replicas:
            idx += idx[:per * replicas - len(idx)]
    return [idx[i] for i in range(rank, per * replicas, replicas)]


@pytest.mark.parametrize("n", [1, 5, 7, 8])
def test_distributed_sampler_split(n):
    from ferrotorch.utils.data import DistributedSampler
    for replicas in (1, 2, 3, 10):
        for drop_last in (False, True):
            shards = [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=False,
                                              drop_last=drop_last)) for r in range(replicas)]
            assert shards == [_split_ref(n, replicas, r, drop_last) for r in range(replicas)]
            assert all(len(DistributedSampler(range(n), replicas, r, drop_last=drop_last)) == len(s)
                       for r, s in enumerate(shards))


def test_distributed_sampler_shuffle_and_errors():
    from ferrotorch.utils.data import DataLoader, DistributedSampler
    shards = [DistributedSampler(range(10), num_replicas=2, rank=r, seed=3) for r in range(2)]
    # Every replica draws the same permutation, so the shards partition the dataset.
    assert sorted(list(shards[0]) + list(shards[1])) == list(range(10))
    first = list(shards[0])
    assert list(shards[0]) == first
    shards[0].set_epoch(1)
    assert shards[0].epoch == 1 and list(shards[0]) != first
    assert len(list(DataLoader(range(10), batch_size=2, sampler=shards[1]))) == 3
    with pytest.raises(ValueError, match=r"^Invalid rank 2, rank should be in the interval \[0, 1\]$"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match=r"^Invalid rank -1, rank should be in the interval \[0, 1\]$"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
