"""nll_loss / cross_entropy (and NLLLoss / CrossEntropyLoss) against per-element numpy loops."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F
from _loss_helpers import RED, L, T, close

rng = np.random.default_rng(1)


def np_log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def ref_index(logp, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Loop over target positions: -(1-e) w[y] logp[y] - e/C sum_c w[c] logp[c]; mean divides by sum w[y]."""
    cdim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[cdim]
    w = np.ones(n_classes) if weight is None else weight
    losses, wsum = np.zeros(target.shape), 0.0
    for idx in np.ndindex(*target.shape):
        y = target[idx]
        if y == ignore_index:
            continue
        row = logp[(idx[0], slice(None)) + idx[1:]] if cdim == 1 else logp
        losses[idx] = -(1 - smoothing) * w[y] * row[y] - smoothing / n_classes * (w * row).sum()
        wsum += w[y]
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / wsum


def ref_prob(logp, target, weight=None, reduction="mean", smoothing=0.0):
    cdim = 0 if logp.ndim == 1 else 1
    n_classes = logp.shape[cdim]
    shape = [1] * logp.ndim
    shape[cdim] = n_classes
    w = np.ones(shape) if weight is None else weight.reshape(shape)
    q = target * (1 - smoothing) + smoothing / n_classes
    elem = -(logp * q * w).sum(cdim)
    if reduction == "none":
        return elem
    return elem.sum() if reduction == "sum" else elem.sum() / (logp.size / n_classes)


# Shapes: (N, C) with (N,), unbatched (C,) with (), and K-dim (N, C, d1, d2) with (N, d1, d2).
SHAPES = [((5, 4), (5,)), ((4,), ()), ((2, 3, 2, 2), (2, 2, 2))]


@pytest.mark.parametrize("xshape,tshape", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nll_loss_matches_loop(xshape, tshape, dtype):
    cdim = 0 if len(xshape) == 1 else 1
    logp = np_log_softmax(rng.normal(size=xshape), cdim)
    n_classes = xshape[cdim]
    y = rng.integers(0, n_classes, tshape)
    w = rng.uniform(0.5, 2, n_classes)
    y_ign = y.copy()
    if y.ndim:
        y_ign.flat[0] = 2  # at least one ignored target
    for r in RED:
        close(F.nll_loss(T(logp, dtype), L(y), reduction=r), ref_index(logp, y, reduction=r), dtype)
        close(F.nll_loss(T(logp, dtype), L(y_ign), T(w, dtype), ignore_index=2, reduction=r),
              ref_index(logp, y_ign, w, ignore_index=2, reduction=r), dtype)


@pytest.mark.parametrize("xshape,tshape", SHAPES)
def test_cross_entropy_class_indices_match_loop(xshape, tshape):
    cdim = 0 if len(xshape) == 1 else 1
    x = rng.normal(size=xshape)
    logp = np_log_softmax(x, cdim)
    n_classes = xshape[cdim]
    y = rng.integers(0, n_classes, tshape)
    if y.ndim:
        y.flat[-1] = -100  # default ignore_index
    w = rng.uniform(0.5, 2, n_classes)
    for r in RED:
        close(F.cross_entropy(T(x), L(y), reduction=r), ref_index(logp, y, reduction=r))
        close(F.cross_entropy(T(x), L(y), T(w), reduction=r), ref_index(logp, y, w, reduction=r))
        close(F.cross_entropy(T(x), L(y), reduction=r, label_smoothing=0.15),
              ref_index(logp, y, reduction=r, smoothing=0.15))
        close(F.cross_entropy(T(x), L(y), T(w), reduction=r, label_smoothing=0.3),
              ref_index(logp, y, w, reduction=r, smoothing=0.3))


@pytest.mark.parametrize("xshape", [(5, 4), (4,), (2, 3, 2, 2)])
def test_cross_entropy_class_probabilities(xshape):
    cdim = 0 if len(xshape) == 1 else 1
    x = rng.normal(size=xshape)
    q = np.moveaxis(rng.dirichlet(np.ones(xshape[cdim]), size=x.size // xshape[cdim]), -1, 0)
    q = np.moveaxis(q.reshape((xshape[cdim],) + tuple(np.delete(xshape, cdim))), 0, cdim)
    w = rng.uniform(0.5, 2, xshape[cdim])
    logp = np_log_softmax(x, cdim)
    for r in RED:
        close(F.cross_entropy(T(x), T(q), reduction=r), ref_prob(logp, q, reduction=r))
        close(F.cross_entropy(T(x), T(q), T(w), reduction=r, label_smoothing=0.2),
              ref_prob(logp, q, w, reduction=r, smoothing=0.2))


def test_cross_entropy_float32_and_stability():
    x = np.array([[1000.0, 0.0, -1000.0], [0.5, 0.25, 0.0]])
    out = F.cross_entropy(T(x, torch.float32), L([2, 0]), reduction="none")
    close(out, ref_index(np_log_softmax(x, 1), np.array([2, 0]), reduction="none"), torch.float32)


def test_nll_and_cross_entropy_gradcheck():
    xt = torch.tensor(rng.normal(size=(4, 5))).t().requires_grad_()  # (5, 4), non-contiguous
    y, w = L([3, 0, -100, 1, 2]), T(rng.uniform(0.5, 2, 4))
    assert not xt.is_contiguous()
    assert gradcheck(lambda x: F.cross_entropy(x, y, w), (xt,))
    assert gradcheck(lambda x: F.cross_entropy(x, y, w, reduction="none", label_smoothing=0.2), (xt,))
    assert gradcheck(lambda x: F.nll_loss(x, L([3, 0, 1, 1, 2]), ignore_index=1, reduction="sum"), (xt,))
    xk = T(rng.normal(size=(2, 3, 2)), rg=True).transpose(0, 2)  # (2, 3, 2) K-dim view
    yk = L(rng.integers(0, 3, (2, 2)))
    assert gradcheck(lambda x: F.cross_entropy(x, yk, label_smoothing=0.1), (xk,))
    q = T(rng.dirichlet(np.ones(4), size=5), rg=True)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p, w, label_smoothing=0.1), (xt, q))


def test_edge_cases_all_ignored_and_empty():
    x = T(rng.normal(size=(3, 4)), rg=True)
    ign = L([-100, -100, -100])
    assert math.isnan(F.cross_entropy(x, ign).item())
    assert F.cross_entropy(x, ign, reduction="sum").item() == 0.0
    e = torch.zeros(0, 4, dtype=torch.float64)
    assert math.isnan(F.cross_entropy(e, L(np.zeros(0, dtype=np.int64))).item())
    assert F.cross_entropy(e, L(np.zeros(0, dtype=np.int64)), reduction="none").shape == (0,)
    assert math.isnan(F.cross_entropy(e, e).item())
    assert F.nll_loss(e, L(np.zeros(0, dtype=np.int64)), reduction="sum").item() == 0.0
    # ignore_index inside the class range just drops those targets.
    xo = rng.normal(size=(3, 4))
    close(F.cross_entropy(T(xo), L([0, 1, 1]), ignore_index=1), -np_log_softmax(xo, 1)[0, 0])


def test_errors_match_pytorch():
    x = torch.zeros(3, 5)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(x, L([0, 1]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, L([0, 5, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.nll_loss(x, L([0, -1, 1]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 3\]"):
        F.cross_entropy(torch.zeros(2, 5, 4), L(np.zeros((2, 3), dtype=np.int64)))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes or no "
                                           r"classes but got weight tensor of shape: \[4\]"):
        F.nll_loss(x, L([0, 1, 2]), torch.ones(4))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.cross_entropy(x, torch.zeros(3))
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities, "
                                           "got Long"):
        F.cross_entropy(x, L(np.zeros((3, 5), dtype=np.int64)))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, torch.zeros(3, 5), ignore_index=0)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, L([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.nll_loss(x, L(np.zeros((3, 1), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"Expected 1 or more dimensions \(got 0\)"):
        F.nll_loss(torch.tensor(1.0), L(0))
    with pytest.raises(ValueError, match="mean2 is not a valid value for reduction"):
        F.cross_entropy(x, L([0, 1, 2]), reduction="mean2")


def test_modules():
    ce = nn.CrossEntropyLoss()
    assert repr(ce) == "CrossEntropyLoss()" and list(ce.state_dict()) == [] and ce.weight is None
    assert (ce.ignore_index, ce.label_smoothing, ce.reduction) == (-100, 0.0, "mean")
    w = torch.tensor([1.0, 2.0, 0.5])
    cew = nn.CrossEntropyLoss(weight=w, ignore_index=1, reduction="sum", label_smoothing=0.1)
    assert list(cew.state_dict()) == ["weight"] and repr(cew) == "CrossEntropyLoss()"
    x = rng.normal(size=(4, 3))
    y = np.array([0, 1, 2, 2])
    close(cew(T(x).float(), L(y)), ref_index(np_log_softmax(x, 1), y, w.numpy().astype(np.float64), 1, "sum", 0.1),
          torch.float32)
    nll = nn.NLLLoss(weight=w.double(), ignore_index=2)
    assert repr(nll) == "NLLLoss()" and nll.ignore_index == 2 and list(nll.state_dict()) == ["weight"]
    logp = np_log_softmax(x, 1)
    close(nll(T(logp), L(y)), ref_index(logp, y, w.numpy().astype(np.float64), 2, "mean"))
    assert nn.CrossEntropyLoss(weight=w).double().weight.dtype == torch.float64


def test_cross_entropy_double_backward():
    x = T(rng.normal(size=(4, 3)), rg=True)
    y, w = L([0, 2, 1, 1]), T([1.0, 0.5, 2.0])
    assert torch.autograd.gradgradcheck(lambda a: F.cross_entropy(a, y, w, label_smoothing=0.1), (x,))
