"""Multi-class / multi-label margin losses and the triplet loss with a custom distance, against numpy loops."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F
from _loss_helpers import RED, L, T, close, red_np

rng = np.random.default_rng(2)


def ref_multi_margin(x, y, p, margin, w=None):
    out = np.zeros(x.shape[0])
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            if i != y[n]:
                out[n] += max(0.0, margin - x[n, y[n]] + x[n, i]) ** p * (1.0 if w is None else w[y[n]])
    return out / x.shape[1]


def ref_multilabel_margin(x, t):
    out = np.zeros(x.shape[0])
    for n in range(x.shape[0]):
        tgt = []
        for c in t[n]:
            if c < 0:
                break
            tgt.append(c)
        for j in tgt:
            for i in range(x.shape[1]):
                if i not in tgt:
                    out[n] += max(0.0, 1 - (x[n, j] - x[n, i]))
    return out / x.shape[1]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_multi_margin_loss(dtype):
    x, y, w = rng.normal(size=(5, 4)), rng.integers(0, 4, 5), rng.uniform(0.5, 2, 4)
    for p in (1, 2):
        for r in RED:
            close(F.multi_margin_loss(T(x, dtype), L(y), p=p, margin=0.7, reduction=r),
                  red_np(ref_multi_margin(x, y, p, 0.7), r), dtype)
            close(F.multi_margin_loss(T(x, dtype), L(y), p=p, weight=T(w, dtype), reduction=r),
                  red_np(ref_multi_margin(x, y, p, 1.0, w), r), dtype)
    close(F.multi_margin_loss(T(x[0], dtype), L(y[0]), reduction="none"), ref_multi_margin(x[:1], y[:1], 1, 1.0)[0],
          dtype)
    xt = torch.tensor(rng.normal(size=(4, 5))).t().requires_grad_()
    assert gradcheck(lambda a: F.multi_margin_loss(a, L(y), p=2, weight=T(w)), (xt,))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(T(x), L(y), p=3)
    with pytest.raises(RuntimeError, match=r"inconsistent target size, expected 5 but got \[4\]"):
        F.multi_margin_loss(T(x), L(y[:4]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(T(x), L([0, 1, 2, 3, 4]))
    m = nn.MultiMarginLoss(p=2, margin=0.5, weight=T(w))
    assert repr(m) == "MultiMarginLoss()" and list(m.state_dict()) == ["weight"] and (m.p, m.margin) == (2, 0.5)
    close(m(T(x), L(y)), ref_multi_margin(x, y, 2, 0.5, w).mean())


def test_multilabel_margin_loss():
    x = rng.normal(size=(3, 4))
    t = np.array([[3, 0, -1, 1], [2, -1, 0, 0], [0, 1, 2, 3]])
    for r in RED:
        close(F.multilabel_margin_loss(T(x), L(t), reduction=r), red_np(ref_multilabel_margin(x, t), r))
    close(F.multilabel_margin_loss(T(x[0]), L(t[0]), reduction="none"), ref_multilabel_margin(x[:1], t[:1])[0])
    assert np.isclose(F.multilabel_margin_loss(T([[0.1, 0.2, 0.4, 0.8]]), L([[3, 0, -1, 1]])).item(), 0.85)
    xt = torch.tensor(rng.normal(size=(4, 3))).t().requires_grad_()
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, L(t)), (xt,))
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]"):
        F.multilabel_margin_loss(T(x), L(t[:, :3]))
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"
    close(nn.MultiLabelMarginLoss(reduction="sum")(T(x), L(t)), ref_multilabel_margin(x, t).sum())


def test_multilabel_soft_margin_loss():
    x, t, w = rng.normal(size=(3, 4)), rng.integers(0, 2, (3, 4)).astype(np.float64), rng.uniform(0.5, 2, 4)

    def ref(w_=1.0):
        ls = lambda v: -np.log1p(np.exp(-v))  # noqa: E731
        return (-(t * ls(x) + (1 - t) * ls(-x)) * w_).mean(1)

    for r in RED:
        close(F.multilabel_soft_margin_loss(T(x), T(t), reduction=r), red_np(ref(), r))
        close(F.multilabel_soft_margin_loss(T(x), T(t), T(w), reduction=r), red_np(ref(w), r))
    xt = torch.tensor(rng.normal(size=(4, 3))).t().requires_grad_()
    assert gradcheck(lambda a: F.multilabel_soft_margin_loss(a, T(t), T(w)), (xt,))
    with pytest.raises(ValueError, match="bad is not valid"):
        F.multilabel_soft_margin_loss(T(x), T(t), reduction="bad")
    m = nn.MultiLabelSoftMarginLoss(weight=T(w))
    assert list(m.state_dict()) == ["weight"]
    close(m(T(x), T(t)), ref(w).mean())


def test_triplet_margin_with_distance_loss():
    a, p, n = (rng.normal(size=(4, 3)) for _ in range(3))

    def l1(u, v):
        return (u - v).abs().sum(-1)

    d = lambda u, v: np.abs(u - v).sum(-1)  # noqa: E731
    for swap in (False, True):
        dn = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
        for r in RED:
            close(F.triplet_margin_with_distance_loss(T(a), T(p), T(n), distance_function=l1, margin=0.5,
                                                      swap=swap, reduction=r),
                  red_np(np.maximum(0.5 + d(a, p) - dn, 0), r))
    # The default distance is the pairwise 2-norm, as in triplet_margin_loss.
    close(F.triplet_margin_with_distance_loss(T(a), T(p), T(n)), F.triplet_margin_loss(T(a), T(p), T(n)).numpy())
    m = nn.TripletMarginWithDistanceLoss(distance_function=l1, margin=2.0)
    at = torch.tensor(rng.normal(size=(3, 4))).t().requires_grad_()
    assert gradcheck(lambda u: m(u, T(p), T(n)), (at,))
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got -1 instead"):
        F.triplet_margin_with_distance_loss(T(a), T(p), T(n), margin=-1)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
