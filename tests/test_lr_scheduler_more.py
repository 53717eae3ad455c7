"""MultiplicativeLR, PolynomialLR, ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLR: lr (and
momentum) sequences against their definitions, state_dicts and argument errors."""
import math

import numpy as np
import pytest

from ferrotorch import optim
from ferrotorch.optim import lr_scheduler as S
from test_lr_scheduler import _lrs, _opt


def test_multiplicative_lr():
    opt = _opt(lr=1.0, groups=2)
    sched = S.MultiplicativeLR(opt, [lambda e: 0.9, lambda e: 1.0 / (e + 1)])
    got0 = _lrs(opt, sched, 5, group=0)
    np.testing.assert_allclose(got0, [0.9 ** e for e in range(5)], rtol=1e-12)
    # epochs 1..5 multiply by 1/2, 1/3, ..., 1/6
    np.testing.assert_allclose(opt.param_groups[1]["lr"], 2.0 / math.factorial(6), rtol=1e-12)
    assert sched.state_dict()["lr_lambdas"] == [None, None]
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        S.MultiplicativeLR(_opt(), 0.5)


def test_polynomial_lr_matches_closed_form():
    opt = _opt(lr=0.5)
    got = _lrs(opt, S.PolynomialLR(opt, total_iters=4, power=2.0), 7)
    np.testing.assert_allclose(got, [0.5 * (1 - min(e, 4) / 4) ** 2 for e in range(7)], rtol=1e-12, atol=1e-15)


def test_chained_scheduler_equals_stepping_each():
    opt = _opt(lr=1.0)
    chained = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=2), S.ExponentialLR(opt, gamma=0.9)])
    got = _lrs(opt, chained, 5)
    np.testing.assert_allclose(got, [0.1, 0.09, 0.81, 0.729, 0.6561], rtol=1e-12)
    sd = chained.state_dict()
    assert [s["last_epoch"] for s in sd["_schedulers"]] == [5, 5]
    with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler to be chained"):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.StepLR(opt, 1), S.ReduceLROnPlateau(opt)])


def _sgdr(e, T_0, T_mult, base, eta_min):
    """lr of SGDR at (possibly fractional) epoch e, from the period boundaries."""
    T_i, start = T_0, 0
    while e >= start + T_i:
        start, T_i = start + T_i, T_i * T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (e - start) / T_i)) / 2


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_annealing_warm_restarts(T_mult):
    opt = _opt(lr=1.0)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=0.1)
    got = _lrs(opt, sched, 16)
    np.testing.assert_allclose(got, [_sgdr(e, 3, T_mult, 1.0, 0.1) for e in range(16)], rtol=1e-12)
    for e in (0.5, 7.5, 10.0, 2.25):  # fractional / arbitrary epochs jump there directly
        sched.step(e)
        assert sched.get_last_lr()[0] == pytest.approx(_sgdr(e, 3, T_mult, 1.0, 0.1), rel=1e-12)
        assert sched.last_epoch == math.floor(e)


def test_cosine_annealing_warm_restarts_errors():
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(_opt(), T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 1.5"):
        S.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=1.5)
    sched = S.CosineAnnealingWarmRestarts(_opt(), T_0=2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def _clr(e, base, top, up, down, mode, gamma=1.0):
    """Triangular wave between base and top (up iterations rising, down falling), with amplitude scaling."""
    total = up + down
    cycle, pos = divmod(e, total)
    h = pos / up if pos <= up else 1 - (pos - up) / down
    scale = {"triangular": 1.0, "triangular2": 0.5 ** cycle, "exp_range": gamma ** e}[mode]
    return base + (top - base) * h * scale, h * scale


@pytest.mark.parametrize("mode,down", [("triangular", None), ("triangular2", 3), ("exp_range", 2)])
def test_cyclic_lr_and_momentum(mode, down):
    opt = _opt(lr=123.0, momentum=0.5)
    sched = S.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, step_size_down=down, mode=mode, gamma=0.9)
    for e in range(12):
        lr, h = _clr(e, 0.1, 1.0, 2, down or 2, mode, 0.9)
        assert opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * h, rel=1e-12)
        opt.step()
        sched.step()
    assert sched.base_lrs == [0.1] and "_scale_fn_ref" not in sched.state_dict()


def test_cyclic_lr_adam_custom_scale_and_errors():
    opt = _opt(lr=1.0, cls=optim.Adam)
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.02, step_size_up=1, scale_fn=lambda x: 0.5, scale_mode="iterations")
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.015) and opt.param_groups[0]["betas"][0] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(opt, 0.1, 1.0, mode="sine")
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.CyclicLR(_opt(cls=optim.Adagrad), 0.1, 1.0)
