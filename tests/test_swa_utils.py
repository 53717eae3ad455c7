"""optim.swa_utils: AveragedModel (SWA mean, EMA through avg_fn and multi_avg_fn, buffers),
update_bn and SWALR against hand computations, on both devices."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.optim.swa_utils import (SWALR, AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn,
                                        get_swa_avg_fn, update_bn)
from conftest import assert_close, to_numpy

nn = torch.nn


def snapshots(model, values):
    """Yields `model` after setting every parameter to `value + index` for each value."""
    for v in values:
        with torch.no_grad():
            for i, p in enumerate(model.parameters()):
                p.fill_(v + i)
        yield model


@pytest.mark.parametrize("kind", ["swa", "swa_fn", "ema", "ema_fn"])
def test_averaged_model_values(device, kind):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(device)
    decay = 0.8
    kwargs = {"swa": {}, "swa_fn": {"avg_fn": get_swa_avg_fn()},
              "ema": {"multi_avg_fn": get_ema_multi_avg_fn(decay)}, "ema_fn": {"avg_fn": get_ema_avg_fn(decay)}}[kind]
    avg = AveragedModel(model, **kwargs)
    values = [1.0, 4.0, -2.0, 0.5]
    for m in snapshots(model, values):
        avg.update_parameters(m)
    assert avg.n_averaged.item() == 4 and avg.n_averaged.dtype == torch.int64
    for i, p in enumerate(avg.module.parameters()):
        seq = [v + i for v in values]
        if kind.startswith("swa"):
            expected = np.mean(seq)
        else:
            expected = seq[0]
            for s in seq[1:]:
                expected = decay * expected + (1 - decay) * s
        np.testing.assert_allclose(to_numpy(p.detach().cpu()), expected, rtol=1e-5)
    # The model's own parameters are untouched copies, and the average runs the copy.
    x = torch.ones(4, 2, device=device)
    avg.eval()
    assert_close(avg(x).detach().cpu(), to_numpy(avg.module(x).detach().cpu()))


def test_buffers_copied_or_averaged(device):
    model = nn.BatchNorm1d(2).to(device)
    plain = AveragedModel(model)
    with_buf = AveragedModel(model, use_buffers=True)
    means = []
    for v in [1.0, 3.0]:
        model.running_mean.fill_(v)
        means.append(v)
        plain.update_parameters(model)
        with_buf.update_parameters(model)
    assert_close(plain.module.running_mean.cpu(), np.full(2, 3.0, dtype=np.float32))
    assert_close(with_buf.module.running_mean.cpu(), np.full(2, 2.0, dtype=np.float32))
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        AveragedModel(model, avg_fn=get_swa_avg_fn(), multi_avg_fn=get_ema_multi_avg_fn())


def test_averaged_model_device_argument():
    model = nn.Linear(2, 2)
    avg = AveragedModel(model, device="cpu")
    assert avg.module.weight.device.type == "cpu" and avg.module is not model


def test_update_bn(device):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).to(device)
    model.eval()
    batches = [torch.randn(4, 3, device=device) for _ in range(3)]
    loader = [(b, torch.zeros(4)) for b in batches]
    momentum = model[1].momentum
    update_bn(loader, model)
    with torch.no_grad():
        feats = [to_numpy(model[0](b).cpu()) for b in batches]
    # momentum=None: the running stats are the plain average of the per-batch statistics.
    exp_mean = np.mean([f.mean(0) for f in feats], 0)
    exp_var = np.mean([f.var(0, ddof=1) for f in feats], 0)
    assert_close(model[1].running_mean.cpu(), exp_mean.astype(np.float32), rtol=1e-5, atol=1e-6)
    assert_close(model[1].running_var.cpu(), exp_var.astype(np.float32), rtol=1e-5, atol=1e-6)
    assert model[1].momentum == momentum and not model.training
    update_bn([torch.ones(2, 2)], nn.Linear(2, 2))  # no BatchNorm: nothing to do


def expected_swalr(lr0, swa_lr, anneal_epochs, strategy, steps):
    """PyTorch's documented schedule: lr_t = alpha_t * swa_lr + (1 - alpha_t) * lr0 with
    alpha_t = anneal(min(1, t / anneal_epochs)), starting from t = 0 at construction."""
    f = (lambda t: (1 - math.cos(math.pi * t)) / 2) if strategy == "cos" else (lambda t: t)
    out = []
    for t in range(steps):
        a = f(max(0.0, min(1.0, t / max(1, anneal_epochs))))
        out.append(a * swa_lr + (1 - a) * lr0)
    return out


@pytest.mark.parametrize("strategy,anneal", [("cos", 4), ("linear", 3), ("cos", 1)])
def test_swalr_schedule(strategy, anneal):
    w = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = SWALR(opt, swa_lr=0.05, anneal_epochs=anneal, anneal_strategy=strategy)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, expected_swalr(1.0, 0.05, anneal, strategy, 7), rtol=1e-12)
    assert sched.get_last_lr() == [lrs[-1]]


def test_swalr_per_group_and_errors():
    a, b = nn.Parameter(torch.ones(1)), nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0)
    sched = SWALR(opt, swa_lr=[0.1, 0.2], anneal_epochs=0)
    # anneal_epochs=0: the swa lr applies from the first step.
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.2])
    with pytest.raises(ValueError, match="swa_lr must have the same length as optimizer.param_groups"):
        SWALR(opt, swa_lr=[0.1])
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear', instead got exp"):
        SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
