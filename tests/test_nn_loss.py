"""Loss functions and modules (regression, binary, divergence, margin) against numpy formulas.

The class-index losses (nll_loss, cross_entropy) are in test_nn_loss_nll.py.
"""
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import to_numpy
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F
from _loss_helpers import RED, T, close, red_np

rng = np.random.default_rng(0)


def transposed(shape_t, lo=-2.0, hi=2.0):
    """A float64 non-contiguous (transposed) leaf, and its numpy values."""
    a = rng.uniform(lo, hi, shape_t[::-1])
    t = torch.tensor(a).t().requires_grad_()
    assert not t.is_contiguous()
    return t, a.T


# --- reduction plumbing -------------------------------------------------------------------------------------

def test_invalid_reduction_and_legacy_arguments():
    x, y = torch.ones(3), torch.zeros(3)
    for fn in (F.mse_loss, F.l1_loss, F.soft_margin_loss, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
            fn(x, y, reduction="foo")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.L1Loss(reduction="avg")(x, y)
    with pytest.warns(UserWarning, match=r"size_average and reduce args will be deprecated, please use "
                                         r"reduction='sum' instead."):
        assert F.mse_loss(x, y, size_average=False).item() == 3.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, y, reduce=False).shape == (3,)
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.NLLLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning):
        assert nn.BCELoss(size_average=True, reduce=True).reduction == "mean"
    assert nn._reduction.get_enum("sum") == 2 and nn._reduction.legacy_get_string(False, True, False) == "sum"


# --- regression ---------------------------------------------------------------------------------------------

def _np_smooth_l1(d, beta):
    a = np.abs(d)
    return a if beta == 0 else np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)


def _np_huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))


REGRESSION = [
    ("mse", lambda x, y, r: F.mse_loss(x, y, reduction=r), lambda d: d * d),
    ("l1", lambda x, y, r: F.l1_loss(x, y, reduction=r), np.abs),
    ("smooth_l1", lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5), lambda d: _np_smooth_l1(d, 0.5)),
    ("smooth_l1_beta0", lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0), lambda d: _np_smooth_l1(d, 0)),
    ("huber", lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=0.7), lambda d: _np_huber(d, 0.7)),
]


@pytest.mark.parametrize("name,fn,ref", REGRESSION, ids=[r[0] for r in REGRESSION])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_regression_losses_match_numpy(name, fn, ref, dtype):
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    for r in RED:
        close(fn(T(a, dtype), T(b, dtype), r), red_np(ref(a - b), r), dtype)
    # 0-d and empty inputs
    close(fn(T(1.5, dtype), T(0.2, dtype), "none"), ref(np.array(1.3)), dtype)
    e = torch.zeros(0, 3, dtype=dtype)
    assert fn(e, e, "none").shape == (0, 3) and fn(e, e, "sum").item() == 0.0
    assert math.isnan(fn(e, e, "mean").item())


@pytest.mark.parametrize("name,fn,ref", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_gradcheck_input_and_target(name, fn, ref):
    x, _ = transposed((3, 4))
    y = T(rng.normal(size=(3, 4)), rg=True)
    for r in ("none", "mean"):
        assert gradcheck(lambda a, b: fn(a, b, r), (x, y))


def test_size_mismatch_warns_and_broadcasts():
    x, y = T(rng.normal(size=(3, 1))), T(rng.normal(size=(3,)))
    msg = (r"Using a target size \(torch.Size\(\[3\]\)\) that is different to the input size "
           r"\(torch.Size\(\[3, 1\]\)\). This will likely lead to incorrect results due to broadcasting.")
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(UserWarning, match=msg):
            out = fn(x, y, reduction="none")
        assert out.shape == (3, 3)
    close(out, _np_huber(to_numpy(x) - to_numpy(y), 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, x.detach())


def test_regression_parameter_errors():
    x = torch.ones(2)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(x, x, delta=0.0)


# --- binary cross entropy -----------------------------------------------------------------------------------

def _np_bce(p, t, w=1.0):
    with np.errstate(divide="ignore"):
        return -w * (t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_cross_entropy_matches_numpy(dtype):
    p, t, w = rng.uniform(0.01, 0.99, (2, 3)), rng.uniform(0, 1, (2, 3)), rng.uniform(0.5, 2, 3)
    for r in RED:
        close(F.binary_cross_entropy(T(p, dtype), T(t, dtype), reduction=r), red_np(_np_bce(p, t), r), dtype)
        close(F.binary_cross_entropy(T(p, dtype), T(t, dtype), T(w, dtype), reduction=r),
              red_np(_np_bce(p, t, w), r), dtype)
    # Saturated probabilities: each log is clamped at -100, and the gradient stays finite (PyTorch's formula).
    edge = T([0.0, 1.0, 0.0, 1.0], rg=True)
    tgt = T([1.0, 0.0, 0.0, 1.0])
    out = F.binary_cross_entropy(edge, tgt, reduction="none")
    close(out, [100.0, 100.0, 0.0, 0.0])
    out.sum().backward()
    assert np.isfinite(to_numpy(edge.grad)).all()
    close(edge.grad, (to_numpy(edge) - to_numpy(tgt)) / 1e-12)


def test_binary_cross_entropy_gradcheck_and_errors():
    x, a = transposed((3, 2), 0.05, 0.95)
    t = T(rng.uniform(0, 1, (3, 2)), rg=True)
    w = T(rng.uniform(0.5, 2, (2,)))
    assert gradcheck(lambda p, q: F.binary_cross_entropy(p, q, w), (x, t))
    assert gradcheck(lambda p, q: F.binary_cross_entropy(p, q, reduction="none"), (x, t))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([0.5, 1.5]), T([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([0.5, float("nan")]), T([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"Using a target size \(torch.Size\(\[2, 1\]\)\) that is different to "
                                         r"the input size \(torch.Size\(\[2\]\)\) is deprecated"):
        F.binary_cross_entropy(T([0.5, 0.5]), T([[0.0], [1.0]]))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) "
                                           r"at non-singleton dimension 0"):
        F.binary_cross_entropy(T([0.5, 0.5]), T([0.0, 1.0]), T([1.0, 1.0, 1.0]))


def _np_bce_logits(x, t, w=1.0, pw=1.0):
    log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return w * ((1 - t) * x - (1 + (pw - 1) * t) * log_sig)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bce_with_logits_matches_numpy_and_is_stable(dtype):
    x, t = rng.normal(0, 3, (4, 3)), rng.uniform(0, 1, (4, 3))
    w, pw = rng.uniform(0.5, 2, (4, 1)), rng.uniform(0.5, 3, (3,))
    for r in RED:
        close(F.binary_cross_entropy_with_logits(T(x, dtype), T(t, dtype), reduction=r),
              red_np(_np_bce_logits(x, t), r), dtype)
        close(F.binary_cross_entropy_with_logits(T(x, dtype), T(t, dtype), T(w, dtype), reduction=r,
                                                 pos_weight=T(pw, dtype)),
              red_np(_np_bce_logits(x, t, w, pw), r), dtype)
    # Huge logits give finite, exact losses; the plain sigmoid + log route would give inf/nan.
    big = T([1000.0, -1000.0, 1000.0], dtype)
    close(F.binary_cross_entropy_with_logits(big, T([0.0, 1.0, 1.0], dtype), reduction="none"),
          [1000.0, 1000.0, 0.0], dtype)
    # At logit 0 (zero-initialised heads) the gradient is sigmoid(0) - t exactly.
    z = torch.zeros(3, dtype=dtype, requires_grad=True)
    F.binary_cross_entropy_with_logits(z, T([0.0, 1.0, 0.25], dtype), reduction="sum").backward()
    close(z.grad, [0.5, -0.5, 0.25], dtype)


def test_bce_with_logits_gradcheck_and_errors():
    x, _ = transposed((3, 2))
    t = T(rng.uniform(0, 1, (3, 2)), rg=True)
    pw = T(rng.uniform(0.5, 3, (2,)), rg=True)
    assert gradcheck(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c), (x, t, pw))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[2\]\)\) must be the same as input size "
                                         r"\(torch.Size\(\[3\]\)\)"):
        F.binary_cross_entropy_with_logits(torch.zeros(3), torch.zeros(2))


# --- KL divergence ------------------------------------------------------------------------------------------

def test_kl_div_matches_numpy_all_reductions():
    x = np.log(rng.dirichlet(np.ones(4), size=3))
    t = rng.dirichlet(np.ones(4), size=3)
    t[0, 1] = 0.0  # xlogy(0, 0) = 0
    elem = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x
    for r in ("none", "sum"):
        close(F.kl_div(T(x), T(t), reduction=r), red_np(elem, r))
    close(F.kl_div(T(x), T(t), reduction="batchmean"), elem.sum() / 3)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        close(F.kl_div(T(x), T(t)), elem.mean())
    lt = np.log(rng.dirichlet(np.ones(4), size=3))
    close(F.kl_div(T(x), T(lt), reduction="batchmean", log_target=True), (np.exp(lt) * (lt - x)).sum() / 3)
    close(F.kl_div(T(-1.0), T(0.5), reduction="batchmean"), 0.5 * np.log(0.5) + 0.5)  # 0-d: no division
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.kl_div(T(x), T(t), reduction="bad")


def test_kl_div_gradcheck_and_zero_target_gradient():
    x, _ = transposed((3, 4))
    t = T(rng.uniform(0.1, 1, (3, 4)), rg=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, t))
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), (x, t))
    t0 = T([0.0, 0.5, 0.5], rg=True)
    F.kl_div(T([-1.0, -1.0, -1.0]), t0, reduction="sum").backward()
    assert np.isfinite(to_numpy(t0.grad)).all()


# --- margin and embedding losses ----------------------------------------------------------------------------

def test_cosine_embedding_loss():
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    elem = np.where(y == 1, 1 - cos, np.maximum(cos - 0.1, 0))
    for r in RED:
        close(F.cosine_embedding_loss(T(a), T(b), T(y), margin=0.1, reduction=r), red_np(elem, r))
    close(nn.CosineEmbeddingLoss(margin=0.1)(T(a[0]), T(b[0]), T(-1.0)), np.maximum(cos[0] - 0.1, 0))
    x1, _ = transposed((4, 3))
    assert gradcheck(lambda p, q: F.cosine_embedding_loss(p, q, T(y)), (x1, T(b, rg=True)))
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors, but found inputs with "
                                           r"sizes \[3\] and \[4, 3\]."):
        F.cosine_embedding_loss(T(a[0]), T(b), T(y))


def test_margin_ranking_hinge_soft_margin():
    a, b = rng.normal(size=5), rng.normal(size=5)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    for r in RED:
        close(F.margin_ranking_loss(T(a), T(b), T(y), margin=0.2, reduction=r),
              red_np(np.maximum(-y * (a - b) + 0.2, 0), r))
        close(F.hinge_embedding_loss(T(a), T(y), margin=0.5, reduction=r),
              red_np(np.where(y == 1, a, np.maximum(0.5 - a, 0)), r))
        close(F.soft_margin_loss(T(a), T(y), reduction=r), red_np(np.log1p(np.exp(-y * a)), r))
    close(F.soft_margin_loss(T([-800.0]), T([1.0]), reduction="sum"), 800.0)  # no overflow
    x, _ = transposed((2, 3))
    yy = T([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
    assert gradcheck(lambda p, q: F.margin_ranking_loss(p, q, yy, margin=0.1), (x, T(rng.normal(size=(2, 3)), rg=True)))
    assert gradcheck(lambda p: F.hinge_embedding_loss(p, yy, reduction="sum"), (x,))
    assert gradcheck(lambda p: F.soft_margin_loss(p, yy), (x,))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"):
        F.margin_ranking_loss(T(a), T(b), T(y[None]))


def test_poisson_nll_loss():
    x, t = rng.normal(size=(3, 4)), rng.integers(0, 5, (3, 4)).astype(np.float64)
    stirling = np.where(t > 1, t * np.log(np.maximum(t, 1)) - t + 0.5 * np.log(2 * np.pi * np.maximum(t, 1)), 0)
    pos = rng.uniform(0.1, 3, (3, 4))
    for r in RED:
        close(F.poisson_nll_loss(T(x), T(t), reduction=r), red_np(np.exp(x) - t * x, r))
        close(F.poisson_nll_loss(T(x), T(t), full=True, reduction=r), red_np(np.exp(x) - t * x + stirling, r))
        close(F.poisson_nll_loss(T(pos), T(t), log_input=False, reduction=r),
              red_np(pos - t * np.log(pos + 1e-8), r))
    xt, _ = transposed((3, 4))
    assert gradcheck(lambda p: F.poisson_nll_loss(p, T(t), full=True), (xt,))
    close(nn.PoissonNLLLoss(log_input=False, eps=0.5)(T(pos), T(t)), (pos - t * np.log(pos + 0.5)).mean())


def test_gaussian_nll_loss():
    x, t, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.1, 2, (3, 4))
    v[0, 0] = 1e-9  # clamped at eps
    vc = np.maximum(v, 1e-6)
    elem = 0.5 * (np.log(vc) + (x - t) ** 2 / vc)
    for r in RED:
        close(F.gaussian_nll_loss(T(x), T(t), T(v), reduction=r), red_np(elem, r))
    close(F.gaussian_nll_loss(T(x), T(t), T(v), full=True), (elem + 0.5 * np.log(2 * np.pi)).mean())
    # Homoscedastic: one variance per row, given as (3,) or (3, 1), or a float for all.
    v1 = rng.uniform(0.5, 2, 3)
    ref = (0.5 * (np.log(v1[:, None]) + (x - t) ** 2 / v1[:, None])).sum()
    close(F.gaussian_nll_loss(T(x), T(t), T(v1), reduction="sum"), ref)
    close(F.gaussian_nll_loss(T(x), T(t), T(v1[:, None]), reduction="sum"), ref)
    close(F.gaussian_nll_loss(T(x), T(t), 2.0, reduction="sum"), (0.5 * (np.log(2.0) + (x - t) ** 2 / 2)).sum())
    xt, _ = transposed((3, 4))
    assert gradcheck(lambda p, q: F.gaussian_nll_loss(p, T(t), q), (xt, T(rng.uniform(0.5, 2, (3, 4)), rg=True)))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(T(x), T(t), T(v[:, :2]))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(T(x), T(t), T(-v))
    with pytest.raises(ValueError, match="avg is not valid"):
        F.gaussian_nll_loss(T(x), T(t), T(v), reduction="avg")


def test_triplet_margin_loss():
    a, p, n = (rng.normal(size=(4, 3)) for _ in range(3))

    def dist(u, w, q):
        return (np.abs(u - w + 1e-6) ** q).sum(-1) ** (1 / q)

    for q in (1, 2):
        for swap in (False, True):
            dn = np.minimum(dist(a, n, q), dist(p, n, q)) if swap else dist(a, n, q)
            elem = np.maximum(1.0 + dist(a, p, q) - dn, 0)
            for r in RED:
                close(F.triplet_margin_loss(T(a), T(p), T(n), p=q, swap=swap, reduction=r), red_np(elem, r))
    at, _ = transposed((4, 3))
    assert gradcheck(lambda u, w: F.triplet_margin_loss(u, w, T(n), margin=2.0), (at, T(p, rg=True)))
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D inputs"):
        F.triplet_margin_loss(T(a), T(p[0]), T(n))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0"):
        nn.TripletMarginLoss(margin=0)


# --- modules ------------------------------------------------------------------------------------------------

def test_loss_modules_defaults_repr_and_forward():
    x, y = T(rng.normal(size=(3, 2))), T(rng.normal(size=(3, 2)))
    cases = [(nn.L1Loss(), F.l1_loss), (nn.MSELoss(reduction="sum"), F.mse_loss),
             (nn.SmoothL1Loss(beta=0.3), lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.3)),
             (nn.HuberLoss(delta=0.4), lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.4)),
             (nn.SoftMarginLoss(reduction="none"), F.soft_margin_loss)]
    for mod, fn in cases:
        assert repr(mod) == type(mod).__name__ + "()"
        close(mod(x, y), to_numpy(fn(x, y, reduction=mod.reduction)))
        assert mod.state_dict() == {} or list(mod.state_dict()) == []
    assert nn.MSELoss().reduction == "mean" and nn.SmoothL1Loss().beta == 1.0 and nn.HuberLoss().delta == 1.0
    assert nn.KLDivLoss().log_target is False and nn.HingeEmbeddingLoss().margin == 1.0
    assert nn.MarginRankingLoss().margin == 0.0 and nn.CosineEmbeddingLoss().margin == 0.0
    p = nn.PoissonNLLLoss()
    assert (p.log_input, p.full, p.eps) == (True, False, 1e-8)
    g = nn.GaussianNLLLoss()
    assert (g.full, g.eps, g.reduction) == (False, 1e-6, "mean")
    tm = nn.TripletMarginLoss()
    assert (tm.margin, tm.p, tm.eps, tm.swap) == (1.0, 2.0, 1e-6, False)
    assert repr(nn.TripletMarginLoss()) == "TripletMarginLoss()"


def test_weighted_loss_modules_buffers_and_state_dict():
    w, pw = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 0.5])
    bce = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    assert list(bce.state_dict()) == ["weight", "pos_weight"] and bce.weight is w
    assert list(nn.BCEWithLogitsLoss().state_dict()) == [] and nn.BCEWithLogitsLoss().pos_weight is None
    assert list(nn.BCELoss(weight=w).state_dict()) == ["weight"]
    assert bce.double().weight.dtype == torch.float64
    x, t = T(rng.normal(size=(3, 2))), T(rng.uniform(0, 1, (3, 2)))
    close(bce(x, t), _np_bce_logits(to_numpy(x), to_numpy(t), np.array([1.0, 2.0]), np.array([3.0, 0.5])).mean())
    p = T(rng.uniform(0.1, 0.9, (3, 2)))
    close(nn.BCELoss(weight=T([1.0, 2.0]), reduction="sum")(p, t), _np_bce(to_numpy(p), to_numpy(t), np.array([1.0, 2.0])).sum())
    lt = T(np.log(rng.dirichlet(np.ones(2), size=3)))
    close(nn.KLDivLoss(reduction="batchmean", log_target=True)(x, lt),
          (np.exp(to_numpy(lt)) * (to_numpy(lt) - to_numpy(x))).sum() / 3)


def test_weighted_mse_l1_huber():
    a, b, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.1, 2, (3, 4))
    cases = [(F.mse_loss, (a - b) ** 2, True), (F.l1_loss, np.abs(a - b), True),
             (F.huber_loss, _np_huber(a - b, 1.0), False)]
    for fn, elem, by_weight in cases:
        close(fn(T(a), T(b), reduction="none", weight=T(w)), elem * w)
        close(fn(T(a), T(b), reduction="sum", weight=T(w)), (elem * w).sum())
        close(fn(T(a), T(b), weight=T(w)), (elem * w).sum() / w.sum() if by_weight else (elem * w).mean())
        with pytest.raises(ValueError, match="Weights and input must have the same size."):
            fn(T(a), T(b), weight=T(w[0]))
        with pytest.raises(ValueError, match="Invalid reduction mode: avg. Expected one of 'none', 'mean', 'sum'."):
            fn(T(a), T(b), reduction="avg", weight=T(w))
    x, _ = transposed((3, 4))
    assert gradcheck(lambda p, q: F.mse_loss(p, q, weight=T(w)), (x, T(b, rg=True)))


def test_binary_losses_double_backward():
    p = T(rng.uniform(0.1, 0.9, (3, 2)), rg=True)
    t = T(rng.uniform(0, 1, (3, 2)), rg=True)
    assert torch.autograd.gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, t))
    assert torch.autograd.gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b), (p, t))
