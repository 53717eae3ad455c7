"""ferrotorch.optim.lr_scheduler: lr sequences against closed forms / PyTorch's documented values,
momentum cycling, plateau logic, state_dict round trips, warnings and argument errors."""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim
from ferrotorch.optim import lr_scheduler as S


def _opt(lr=1.0, groups=1, cls=optim.SGD, **kw):
    ps = [nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return cls([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr, **kw)


def _lrs(opt, sched, n, group=0):
    """The lr used at epochs 0..n-1, stepping the optimizer before the scheduler as PyTorch asks."""
    out = []
    for _ in range(n):
        out.append(opt.param_groups[group]["lr"])
        assert sched.get_last_lr()[group] == out[-1]
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("make,closed", [
    (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    (lambda o: S.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.1),
     lambda b, e: b * (1 if e < 2 else 0.1 if e < 5 else 1e-3)),
    (lambda o: S.ExponentialLR(o, gamma=0.9), lambda b, e: b * 0.9 ** e),
    (lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.1),
     lambda b, e: 0.1 + (b - 0.1) * (1 + math.cos(math.pi * e / 4)) / 2),
    (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
    (lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=4),
     lambda b, e: b * (0.25 + 0.5 * min(e, 4) / 4)),
    (lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), lambda b, e: b * (0.5 if e < 3 else 1.0)),
], ids=["step", "multistep", "exponential", "cosine", "lambda", "linear", "constant"])
def test_sequences_match_closed_form(make, closed):
    opt = _opt(lr=0.5, groups=2)
    sched = make(opt)
    assert sched.base_lrs == [0.5, 1.0] and [g["initial_lr"] for g in opt.param_groups] == [0.5, 1.0]
    n = 13  # cosine: past T_max the recursive form keeps following the closed form's oscillation
    for g, base in enumerate([0.5, 1.0]):
        opt2 = _opt(lr=0.5, groups=2)
        got = _lrs(opt2, make(opt2), n, group=g)
        np.testing.assert_allclose(got, [closed(base, e) for e in range(n)], rtol=1e-12, atol=1e-15)
    # step(epoch) jumps there via the closed form, with PyTorch's deprecation warning.
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        opt.step()
        sched.step(7)
    np.testing.assert_allclose(sched.get_last_lr(), [closed(0.5, 7), closed(1.0, 7)], rtol=1e-12)


def test_schedulers_chain_multiplicatively():
    # Chainable form: two schedulers on one optimizer compose (PyTorch's ChainedScheduler example).
    opt = _opt(lr=1.0)
    s1, s2 = S.ConstantLR(opt, factor=0.1, total_iters=2), S.ExponentialLR(opt, gamma=0.9)
    got = []
    for _ in range(5):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        s1.step()
        s2.step()
    np.testing.assert_allclose(got, [0.1, 0.09, 0.81, 0.729, 0.6561], rtol=1e-12)


def test_scheduler_drives_the_optimizer_update():
    w = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = optim.SGD([w], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        w.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
        sched.step()
    assert w.item() == -(1.0 + 0.5 + 0.25)


def test_lambda_lr_per_group_and_state_dict():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, e):
            return self.rate ** e

    opt = _opt(lr=1.0, groups=2)
    sched = S.LambdaLR(opt, [lambda e: 1.0 + e, Decay(0.5)])
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [2.0, 1.0]
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}] and sd["last_epoch"] == 1 and "optimizer" not in sd
    sd["lr_lambdas"][1] = {"rate": 0.25}
    sched.load_state_dict(sd)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [3.0, 2.0 * 0.25 ** 2]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_state_dict_round_trip_resumes_schedule():
    opt = _opt(lr=1.0)
    sched = S.CosineAnnealingLR(opt, T_max=10)
    _lrs(opt, sched, 4)
    sd = sched.state_dict()
    assert sd["last_epoch"] == 4 and sd["base_lrs"] == [1.0] and sd["_step_count"] == 5
    opt2 = _opt(lr=1.0)
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.CosineAnnealingLR(opt2, T_max=10, last_epoch=3)  # resuming keeps the current lr
    sched2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert _lrs(opt2, sched2, 5) == _lrs(opt, sched, 5)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\] when resuming"):
        S.StepLR(_opt(), step_size=2, last_epoch=3)


def test_warnings():
    opt = _opt()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`") as caught:
        sched.step()
    assert caught[0].filename == __file__  # the user's line, as in PyTorch
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    opt = _opt()
    sched = S.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()  # the wrapped step marks the optimizer as stepped
        sched.step()
    assert opt.step.__name__ == "step" and opt._opt_called


def test_argument_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        S.LinearLR(_opt(), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1."):
        S.LinearLR(_opt(), end_factor=1.5)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        S.ConstantLR(_opt(), factor=2.0)


# ---- OneCycleLR ---------------------------------------------------------------------------------

def _one_cycle_ref(step, total, max_lr, pct, div, final_div, anneal, three_phase):
    """lr and momentum at `step`, written from the 1cycle definition (phase boundaries as in PyTorch)."""
    init, low = max_lr / div, max_lr / div / final_div
    ann = (lambda a, b, t: b + (a - b) * (1 + math.cos(math.pi * t)) / 2) if anneal == "cos" else \
        (lambda a, b, t: a + (b - a) * t)
    up = pct * total - 1
    if three_phase:
        phases = [(0, up, init, max_lr, 0.95, 0.85), (up, 2 * pct * total - 2, max_lr, init, 0.85, 0.95),
                  (2 * pct * total - 2, total - 1, init, low, 0.95, 0.95)]
    else:
        phases = [(0, up, init, max_lr, 0.95, 0.85), (up, total - 1, max_lr, low, 0.85, 0.95)]
    for i, (s0, s1, a, b, ma, mb) in enumerate(phases):
        if step <= s1 or i == len(phases) - 1:
            t = (step - s0) / (s1 - s0)
            return ann(a, b, t), ann(ma, mb, t)


@pytest.mark.parametrize("anneal,three_phase", [("cos", False), ("linear", False), ("cos", True)])
def test_one_cycle_lr_and_momentum(anneal, three_phase):
    opt = _opt(lr=123.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.5, total_steps=20, pct_start=0.25, anneal_strategy=anneal,
                         three_phase=three_phase, div_factor=10.0, final_div_factor=100.0)
    for step in range(20):
        lr, mom = _one_cycle_ref(step, 20, 0.5, 0.25, 10.0, 100.0, anneal, three_phase)
        assert opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(mom, rel=1e-12)
        opt.step()
        sched.step()
    assert _one_cycle_ref(19, 20, 0.5, 0.25, 10.0, 100.0, anneal, three_phase)[0] == pytest.approx(0.5 / 10 / 100)
    # Step total_steps is still allowed (it extrapolates the last phase); one more is an error.
    lr20 = _one_cycle_ref(20, 20, 0.5, 0.25, 10.0, 100.0, anneal, three_phase)[0]
    assert opt.param_groups[0]["lr"] == pytest.approx(lr20, rel=1e-12)
    with pytest.raises(ValueError, match="Tried to step 21 times. The specified number of total steps is 20"):
        sched.step()


def test_one_cycle_with_adam_cycles_beta1_and_checks_args():
    opt = _opt(lr=1.0, cls=optim.Adam, betas=(0.5, 0.777))
    sched = S.OneCycleLR(opt, max_lr=[0.1], epochs=2, steps_per_epoch=5)
    assert sched.total_steps == 10 and opt.param_groups[0]["betas"] == (0.95, 0.777)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 25)
    for _ in range(2):  # the peak is at step pct_start * total_steps - 1 = 2
        opt.step()
        sched.step()
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.85) and opt.param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="You must define either total_steps OR \\(epochs AND steps_per_epoch\\)"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 2"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=5, pct_start=2)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        S.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=5)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(_opt(cls=optim.Adagrad), max_lr=0.1, total_steps=5)


# ---- ReduceLROnPlateau --------------------------------------------------------------------------

def test_reduce_on_plateau_patience_cooldown_min_lr():
    opt = _opt(lr=1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    metrics = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
    got = []
    for m in metrics:
        sched.step(torch.tensor(float(m)))
        got.append(opt.param_groups[0]["lr"])
    # bad epochs 1,2,3 -> reduce at epoch 5 (index 4); cooldown 1 epoch; then 3 more bad -> reduce; floor 0.2.
    assert got == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    for _ in range(4):
        sched.step(9)
    assert sched.get_last_lr() == [0.2] and sched.last_epoch == 16


@pytest.mark.parametrize("mode,threshold_mode,seq,expect_reduced", [
    ("min", "rel", [1.0, 0.9999], True),    # within 1e-4 relative: not an improvement
    ("min", "rel", [1.0, 0.99], False),
    ("min", "abs", [1.0, 0.95], True),      # abs threshold 0.1 needs < 0.9
    ("max", "rel", [1.0, 1.00005], True),
    ("max", "abs", [1.0, 1.2], False),
])
def test_reduce_on_plateau_modes(mode, threshold_mode, seq, expect_reduced):
    opt = _opt(lr=1.0)
    thr = 0.1 if threshold_mode == "abs" else 1e-4
    sched = S.ReduceLROnPlateau(opt, mode=mode, patience=0, threshold=thr, threshold_mode=threshold_mode)
    for m in seq:
        sched.step(m)
    assert (opt.param_groups[0]["lr"] < 1.0) == expect_reduced


def test_reduce_on_plateau_state_dict_and_errors():
    opt = _opt(lr=1.0, groups=2)
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=1, min_lr=[0.1, 0.5])
    for m in [1, 0, 0]:
        sched.step(m)
    assert sched.get_last_lr() == [0.1, 0.5]  # group 1: 2.0 * 0.1 clipped at 0.5
    sd = sched.state_dict()
    assert sd["best"] == 1 and sd["mode"] == "max" and "optimizer" not in sd
    other = S.ReduceLROnPlateau(_opt(groups=2))
    other.load_state_dict(sd)
    assert other.mode_worse == -math.inf and other.min_lrs == [0.1, 0.5]
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown!"):
        S.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])


# ---- SequentialLR -------------------------------------------------------------------------------

def test_sequential_lr_warmup_then_decay():
    opt = _opt(lr=0.05)
    s1 = S.ConstantLR(opt, factor=0.1, total_iters=3)
    s2 = S.ExponentialLR(opt, gamma=0.9)
    sched = S.SequentialLR(opt, schedulers=[s1, s2], milestones=[3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the milestone restart is internal: no deprecation warning
        got = _lrs(opt, sched, 6)
    np.testing.assert_allclose(got, [0.005, 0.005, 0.005, 0.05, 0.045, 0.0405], rtol=1e-12)
    sd = sched.state_dict()
    assert len(sd["_schedulers"]) == 2 and sd["last_epoch"] == 6 and sd["_milestones"] == [3]

    opt = _opt(lr=1.0)
    warm = S.LinearLR(opt, start_factor=0.5, total_iters=2)
    cos = S.CosineAnnealingLR(opt, T_max=4)
    got = _lrs(opt, S.SequentialLR(opt, [warm, cos], milestones=[2]), 7)
    np.testing.assert_allclose(got, [0.5, 0.75, 1.0] + [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(1, 5)],
                               rtol=1e-12, atol=1e-15)


def test_sequential_lr_errors():
    opt = _opt()
    s1 = S.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="SequentialLR expects at least one scheduler, but got no scheduler."):
        S.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers provided to be one more"):
        S.SequentialLR(opt, [s1], milestones=[1])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.SequentialLR(opt, [s1, S.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.SequentialLR(opt, [s1, S.StepLR(_opt(), step_size=1)], milestones=[2])
