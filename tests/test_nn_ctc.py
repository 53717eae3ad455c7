"""F.ctc_loss / nn.CTCLoss against a straightforward numpy forward algorithm, on both devices; the
gradient (autograd through the recursion) by gradcheck in float64."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close
from ferrotorch import nn
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

RNG = np.random.default_rng(7)


def dev(a, device, requires_grad=False):
    return torch.tensor(np.array(a, order="C")).to(device).requires_grad_(requires_grad)


def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def np_ctc(lp, target, blank=0):
    """-log p(target | lp) for one sequence lp (T, C), by the alpha recursion in probability space."""
    ext = [blank]
    for c in target:
        ext += [c, blank]
    p = np.exp(lp)
    T, S = len(lp), len(ext)
    if T == 0:
        return 0.0 if len(target) == 0 else np.inf
    alpha = np.zeros((T, S))
    alpha[0, 0] = p[0, ext[0]]
    if S > 1:
        alpha[0, 1] = p[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            a = alpha[t - 1, s] + (alpha[t - 1, s - 1] if s > 0 else 0)
            if s > 1 and ext[s] != blank and ext[s] != ext[s - 2]:
                a += alpha[t - 1, s - 2]
            alpha[t, s] = a * p[t, ext[s]]
    total = alpha[T - 1, S - 1] + (alpha[T - 1, S - 2] if S > 1 else 0)
    return -np.log(total) if total > 0 else np.inf


def case():
    T, N, C = 7, 3, 5
    lp = log_softmax(RNG.standard_normal((T, N, C)))
    targets = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 1, 0]])
    in_lens, tg_lens = [7, 5, 6], [4, 2, 3]
    ref = np.array([np_ctc(lp[:in_lens[b], b], targets[b, :tg_lens[b]]) for b in range(N)])
    return lp, targets, in_lens, tg_lens, ref


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ctc_padded_targets(device, reduction):
    lp, targets, in_lens, tg_lens, ref = case()
    out = F.ctc_loss(dev(lp, device), dev(targets, device), torch.tensor(in_lens), torch.tensor(tg_lens),
                     reduction=reduction)
    expected = {"none": ref, "sum": ref.sum(), "mean": (ref / np.array(tg_lens)).mean()}[reduction]
    assert_close(out.cpu(), np.array(expected), rtol=1e-9)


def test_ctc_concatenated_targets_blank_and_float32(device):
    lp, targets, in_lens, tg_lens, _ = case()
    # Another blank index: relabel so that class 4 is the blank.
    targets = np.where(targets == 4, 0, targets)
    concat = np.concatenate([targets[b, :tg_lens[b]] for b in range(3)])
    ref = np.array([np_ctc(lp[:in_lens[b], b], targets[b, :tg_lens[b]], blank=4) for b in range(3)])
    out = F.ctc_loss(dev(lp, device), dev(concat, device), in_lens, tg_lens, blank=4, reduction="none")
    assert_close(out.cpu(), ref, rtol=1e-9)
    # A non-contiguous float32 (N, T, C)-transposed input.
    lp32 = dev(lp.transpose(1, 0, 2).copy(), device).float().transpose(0, 1)
    out32 = nn.CTCLoss(blank=4, reduction="none")(lp32, dev(concat, device), in_lens, tg_lens)
    assert out32.dtype == torch.float32
    assert_close(out32.cpu(), ref.astype(np.float32), rtol=1e-5)


def test_ctc_gradcheck(device):
    lp, targets, in_lens, tg_lens, _ = case()
    x = dev(lp[:5, :2, :4], device, True)
    tg = dev(np.array([[1, 2, 2], [3, 1, 0]]), device)
    assert gradcheck(lambda a: F.ctc_loss(a, tg, [5, 4], [3, 2]), (x,))
    # Through log_softmax, as models use it.
    z = dev(RNG.standard_normal((4, 1, 3)), device, True)
    assert gradcheck(lambda a: F.ctc_loss(a.log_softmax(2), dev([[1, 2]], device), [4], [2], reduction="sum"), (z,))


def test_ctc_unbatched_impossible_and_zero_infinity(device):
    lp = log_softmax(RNG.standard_normal((3, 4)))
    out = F.ctc_loss(dev(lp, device), dev([1, 2], device), 3, 2, reduction="none")
    assert out.shape == ()
    assert_close(out.cpu(), np.array(np_ctc(lp, [1, 2])), rtol=1e-9)
    # "1 1" needs a blank between the repeats: impossible in 2 steps.
    x = dev(lp[:2][:, None], device, True)
    loss = F.ctc_loss(x, dev([[1, 1]], device), [2], [2], reduction="none")
    assert np.isinf(float(loss.cpu()[0]))
    z = F.ctc_loss(x, dev([[1, 1]], device), [2], [2], reduction="sum", zero_infinity=True)
    assert float(z) == 0.0
    z.backward()
    assert float(x.grad.abs().sum()) == 0.0
    # An empty target: the all-blank path; a zero-length input with an empty target costs nothing.
    assert_close(F.ctc_loss(dev(lp[:, None], device), dev(np.zeros((1, 0), np.int64), device), [3], [0],
                            reduction="none").cpu(), np.array([-lp[:, 0].sum()]), rtol=1e-9)
    assert float(F.ctc_loss(dev(lp[:, None], device), dev([[1]], device), [0], [0], reduction="sum")) == 0.0


def test_ctc_errors_and_repr():
    lp = torch.zeros(4, 2, 3)
    assert repr(nn.CTCLoss(blank=1, zero_infinity=True)) == "CTCLoss()"
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 4, but got value 5"):
        F.ctc_loss(lp, torch.tensor([[1], [1]]), [5, 4], [1, 1])
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, torch.tensor([[1], [1]]), [4], [1, 1])
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 3 at dimension 1, but got size 1 "
                                           "for argument #2 'targets'"):
        F.ctc_loss(lp, torch.tensor([[1], [1]]), [4, 4], [3, 1])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, torch.tensor([[1], [1]]), [4, 4], [1, 1], blank=3)
