"""torch.masked reductions and normalizations against numpy masked arrays and manual references."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 5)).astype(np.float64)
# Row 1 fully masked out, the others partly.
MASK = np.array([[True, False, True, True, False],
                 [False, False, False, False, False],
                 [True, True, False, True, True]])


def _t(a):
    return torch.tensor(a)


def _ma(x=X, mask=MASK):
    return np.ma.masked_array(x, mask=~mask)


def _filled(result, fill):
    return np.ma.filled(result.astype(np.float64), fill)


@pytest.mark.parametrize("name,np_fn,fill", [
    ("sum", np.ma.sum, 0.0), ("prod", np.ma.prod, 1.0), ("amax", np.ma.max, -np.inf), ("amin", np.ma.min, np.inf),
    ("mean", np.ma.mean, np.nan),
])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_along_dim(name, np_fn, fill, keepdim):
    out = getattr(torch.masked, name)(_t(X), 1, keepdim=keepdim, mask=_t(MASK))
    expected = _filled(np_fn(_ma(), axis=1, keepdims=keepdim), fill)
    assert_close(out, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,np_fn", [("sum", np.ma.sum), ("prod", np.ma.prod), ("amax", np.ma.max),
                                        ("amin", np.ma.min), ("mean", np.ma.mean)])
def test_reductions_over_all_and_tuple_dims(name, np_fn):
    fn = getattr(torch.masked, name)
    assert_close(fn(_t(X), mask=_t(MASK)), np.array(np_fn(_ma())), rtol=1e-12)
    assert_close(fn(_t(X), (0, 1), mask=_t(MASK)), np.array(np_fn(_ma())), rtol=1e-12)
    x3 = RNG.normal(size=(2, 3, 4))
    m3 = RNG.random((2, 3, 4)) > 0.3
    assert_close(fn(_t(x3), (0, 2), mask=_t(m3)), _filled(np_fn(_ma(x3, m3), axis=(0, 2)), np.nan),
                 rtol=1e-12, atol=1e-14)


def test_without_mask_is_the_plain_reduction():
    assert_close(torch.masked.sum(_t(X), 0), X.sum(0), rtol=1e-12)
    assert_close(torch.masked.mean(_t(X), 1), X.mean(1), rtol=1e-12)
    assert_close(torch.masked.var(_t(X), 1), X.var(1, ddof=1), rtol=1e-12)


def test_broadcast_mask():
    col_mask = np.array([True, False, True, False, True])
    out = torch.masked.sum(_t(X), 1, mask=_t(col_mask))
    assert_close(out, X[:, col_mask].sum(1), rtol=1e-12)
    # An integer mask is taken as booleans.
    assert_close(torch.masked.amax(_t(X), 1, mask=_t(col_mask.astype(np.int64))), X[:, col_mask].max(1), rtol=1e-12)


def test_argmax_argmin():
    out = torch.masked.argmax(_t(X), 1, mask=_t(MASK))
    assert out.dtype == torch.float64  # the input's dtype, as PyTorch gives
    expected = [int(np.argmax(np.where(MASK[i], X[i], -np.inf))) for i in range(3)]
    assert out.tolist() == [float(e) for e in expected] and expected[1] == 0
    expected = [int(np.argmin(np.where(MASK[i], X[i], np.inf))) for i in range(3)]
    assert torch.masked.argmin(_t(X), 1, mask=_t(MASK), dtype=torch.int64).tolist() == expected
    assert torch.masked.argmax(_t(X), mask=_t(MASK)).item() == float(np.argmax(np.where(MASK, X, -np.inf)))


def test_median():
    out = torch.masked.median(_t(X), 1, mask=_t(MASK))
    # torch's median is the lower of the middle two.
    expected = [np.sort(X[i][MASK[i]])[(MASK[i].sum() - 1) // 2] if MASK[i].any() else np.nan for i in range(3)]
    assert_close(out, np.array(expected), rtol=0, atol=0)
    ints = torch.tensor([[3, 1, 2, 9]])
    assert torch.masked.median(ints, mask=torch.tensor([[True, True, True, False]])).tolist() == [2]
    message = "^masked median expects no fully masked out rows if dtype is not floating point$"
    with pytest.raises(ValueError, match=message):
        torch.masked.median(ints, mask=torch.tensor([[False] * 4]))


@pytest.mark.parametrize("ord", [2.0, 1.0, 3.0, math.inf, -math.inf, 0.0])
def test_norm(ord):
    out = torch.masked.norm(_t(X), ord, 1, mask=_t(MASK))
    expected = []
    for i in range(3):
        v = np.abs(X[i][MASK[i]])
        if ord == math.inf:
            expected.append(v.max() if v.size else 0.0)
        elif ord == -math.inf:
            expected.append(v.min() if v.size else math.inf)
        elif ord == 0.0:
            expected.append(float(np.count_nonzero(v)))
        else:
            expected.append((v ** ord).sum() ** (1 / ord))
    assert_close(out, np.array(expected), rtol=1e-12)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name):
    fn = getattr(torch.masked, name)
    for kwargs, ddof in (({}, 1), ({"unbiased": False}, 0), ({"correction": 2}, 2)):
        out = fn(_t(X), 1, mask=_t(MASK), **kwargs)
        expected = np.ma.var(_ma(), axis=1, ddof=ddof)
        expected = _filled(np.sqrt(expected) if name == "std" else expected, np.nan)
        assert_close(out, expected, rtol=1e-12)
    with pytest.raises(AssertionError, match="^Only one of unbiased and correction may be given$"):
        fn(_t(X), 1, unbiased=True, correction=1)
    # Integer input gives float32.
    out = torch.masked.var(torch.tensor([1, 2, 4]), mask=torch.tensor([True, False, True]))
    assert out.dtype == torch.float32 and out.item() == 4.5


def test_logsumexp_and_logaddexp():
    out = torch.masked.logsumexp(_t(X), 1, mask=_t(MASK))
    expected = [np.log(np.exp(X[i][MASK[i]]).sum()) if MASK[i].any() else -np.inf for i in range(3)]
    assert_close(out, np.array(expected), rtol=1e-12)
    y = RNG.normal(size=X.shape)
    other_mask = RNG.random(X.shape) > 0.5
    out = torch.masked.logaddexp(_t(X), _t(y), input_mask=_t(MASK), other_mask=_t(other_mask))
    with np.errstate(divide="ignore"):
        expected = np.logaddexp(np.where(MASK, X, -np.inf), np.where(other_mask, y, -np.inf))
    assert_close(out, expected, rtol=1e-12)


def _softmax_ref(x, mask):
    e = np.where(mask, np.exp(x - np.where(mask, x, -np.inf).max(1, keepdims=True, initial=-np.inf)), 0.0)
    with np.errstate(invalid="ignore"):
        return e / e.sum(1, keepdims=True)


def test_softmax_family():
    with np.errstate(invalid="ignore"):
        ref = _softmax_ref(X, MASK)
        ref[1] = np.nan  # a fully masked-out row: all -inf in, NaN out
        assert_close(torch.masked.softmax(_t(X), 1, mask=_t(MASK)), ref, rtol=1e-12, atol=1e-15)
        with np.errstate(divide="ignore"):
            assert_close(torch.masked.log_softmax(_t(X), 1, mask=_t(MASK)), np.log(ref), rtol=1e-12)
        ref_min = _softmax_ref(-X, MASK)
        ref_min[1] = np.nan
        assert_close(torch.masked.softmin(_t(X), 1, mask=_t(MASK)), ref_min, rtol=1e-12, atol=1e-15)
    out = torch.masked.softmax(_t(X).float(), 1, dtype=torch.float64, mask=_t(MASK))
    assert out.dtype == torch.float64


def test_normalize():
    out = torch.masked.normalize(_t(X), 2.0, 1, mask=_t(MASK))
    norms = np.sqrt((np.where(MASK, X, 0.0) ** 2).sum(1, keepdims=True))
    assert_close(out, np.where(MASK, X, 0.0) / np.maximum(norms, 1e-12), rtol=1e-12)


def test_cumsum_cumprod():
    assert_close(torch.masked.cumsum(_t(X), 1, mask=_t(MASK)), np.cumsum(np.where(MASK, X, 0.0), 1), rtol=1e-12)
    assert_close(torch.masked.cumprod(_t(X), 1, mask=_t(MASK)), np.cumprod(np.where(MASK, X, 1.0), 1), rtol=1e-12)
    assert_close(torch.masked.cumsum(_t(X), -2, mask=_t(MASK)), np.cumsum(np.where(MASK, X, 0.0), 0), rtol=1e-12)


def test_dtypes_follow_pytorch():
    ints = torch.tensor([1, 2, 3], dtype=torch.int32)
    m = torch.tensor([True, False, True])
    assert torch.masked.sum(ints, mask=m).dtype == torch.int64
    assert torch.masked.prod(ints, mask=m).item() == 3
    assert torch.masked.sum(_t(X), 1, dtype=torch.float32, mask=_t(MASK)).dtype == torch.float32
    # Integer identities: the dtype's extremes.
    assert torch.masked.amax(ints, mask=torch.tensor([False] * 3)).item() == -2 ** 31
    assert torch.masked.amin(ints, mask=torch.tensor([False] * 3)).item() == 2 ** 31 - 1


def test_non_contiguous_and_zero_dim():
    xt = _t(X).T  # (5, 3), not contiguous
    assert not xt.is_contiguous()
    assert_close(torch.masked.sum(xt, 0, mask=_t(MASK.T)), np.where(MASK, X, 0.0).sum(1), rtol=1e-12)
    scalar = torch.tensor(3.0)
    assert torch.masked.sum(scalar, mask=torch.tensor(False)).item() == 0.0
    assert torch.masked.amax(scalar, mask=torch.tensor(True)).item() == 3.0


def test_errors():
    with pytest.raises(ValueError, match=r"^mean\(\): Could not infer output dtype. Input dtype must be either a "
                                         r"floating point or complex dtype. Got: torch.int64$"):
        torch.masked.mean(torch.tensor([1, 2]))
    with pytest.raises(IndexError,
                       match=r"^Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)$"):
        torch.masked.sum(_t(X), 3, mask=_t(MASK))
    with pytest.raises(RuntimeError, match=r"^dim=1 appears multiple times in the list of dims$"):
        torch.masked.sum(_t(X), (1, 1), mask=_t(MASK))
    with pytest.raises(IndexError, match=r"^_input_mask expected broadcastable mask \(got mask dimensionality "
                                         r"higher than of the input\)$"):
        torch.masked.sum(_t(X), 1, mask=torch.ones(2, 3, 5, dtype=torch.bool))
    with pytest.raises(AttributeError, match="^'list' object has no attribute 'layout'$"):
        torch.masked.sum([1.0, 2.0])


def test_backward_sum_mean_softmax():
    m = _t(MASK)
    x = _t(X).requires_grad_()
    torch.masked.sum(x, 1, mask=m).sum().backward()
    assert_close(x.grad, MASK.astype(np.float64), rtol=0)
    x = _t(X).requires_grad_()
    torch.masked.mean(x, 1, mask=m).sum().backward()
    counts = MASK.sum(1, keepdims=True)
    assert_close(x.grad, np.where(MASK, 1.0 / np.maximum(counts, 1), 0.0), rtol=1e-12)
    # softmax: d(sum_j w_j s_j)/dx_i = s_i (w_i - sum_j w_j s_j) on the unmasked elements, 0 elsewhere.
    w = RNG.normal(size=X.shape)
    x = _t(X).requires_grad_()
    (torch.masked.softmax(x, 1, mask=m) * _t(w)).sum().backward()
    s = np.nan_to_num(_softmax_ref(X, MASK))
    expected = np.where(MASK, s * (w - (w * s).sum(1, keepdims=True)), 0.0)
    assert_close(x.grad, expected, rtol=1e-10, atol=1e-14)


def test_on_device(device):
    x = _t(X).float().to(device)
    m = _t(MASK).to(device)
    expected = _filled(np.ma.sum(_ma(), axis=1), 0.0).astype(np.float32)
    out = torch.masked.sum(x, 1, mask=m)
    assert out.device.type == torch.device(device).type
    assert_close(out.cpu(), expected, rtol=1e-5, atol=1e-6)
    assert_close(torch.masked.amax(x, 1, mask=m).cpu(), _filled(np.ma.max(_ma(), axis=1), -np.inf).astype(np.float32),
                 rtol=1e-6)
    assert_close(torch.masked.mean(x, 1, mask=m).cpu(), _filled(np.ma.mean(_ma(), axis=1), np.nan).astype(np.float32),
                 rtol=1e-5, atol=1e-6)
    ref = np.nan_to_num(_softmax_ref(X, MASK), nan=0.0)
    out = torch.masked.softmax(x, 1, mask=m).cpu().numpy()
    assert np.isnan(out[1]).all()
    assert_close(torch.tensor(np.nan_to_num(out)), ref.astype(np.float32), rtol=1e-5, atol=1e-6)
    xg = x.detach().clone().requires_grad_()
    torch.masked.sum(xg, 1, mask=m).sum().backward()
    assert_close(xg.grad.cpu(), MASK.astype(np.float32), rtol=0)
