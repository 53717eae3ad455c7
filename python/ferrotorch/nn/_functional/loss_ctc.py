"""Connectionist Temporal Classification loss, as the forward (alpha) recursion in log space.

The recursion runs over time only; each step is vectorised over the batch and over the 2*S+1
positions of the blank-extended targets. Log-space sums use a max-shifted logsumexp over three
candidates with a large finite stand-in for log(0), so that impossible paths contribute exactly zero
gradient instead of NaN (0 * inf); losses at or beyond that stand-in are reported as inf. The
gradient is autograd's, through the recursion.
"""
from ... import _C

__all__ = ["ctc_loss"]

# log(0) stand-in: far below any real log-probability sum, yet finite in float32 arithmetic.
_NEG = -1e30


def _lengths(v, name):
    """Lengths as a host list (PyTorch copies length tensors to the CPU too)."""
    if isinstance(v, _C.Tensor):
        if v.is_floating_point():
            raise RuntimeError(f"{name} must be integral")
        return [int(x) for x in v.reshape(-1).tolist()]
    if isinstance(v, int):
        return [v]
    return [int(x) for x in v]


def _lse3(a, b, c):
    m = a.maximum(b).maximum(c).detach()
    return m + ((a - m).exp() + (b - m).exp() + (c - m).exp()).log()


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of (T, N, C) (or unbatched (T, C)) log-probabilities against padded (N, S) or
    concatenated 1-D targets. 'mean' divides each loss by its target length (at least 1) and then
    averages over the batch; zero_infinity replaces infinite losses (and their gradients) by zero.

    >>> import ferrotorch as torch
    >>> lp = torch.full((1, 1, 2), 0.5).log()
    >>> round(torch.nn.functional.ctc_loss(lp, torch.tensor([[1]]), [1], [1]).item(), 4)
    0.6931
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    if log_probs.dim() not in (2, 3):
        raise RuntimeError(f"ctc_loss(): expected log_probs to be 2D (unbatched) or 3D (batched), but got "
                           f"{log_probs.dim()}D")
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if unbatched and targets.dim() == 1:
        targets = targets.unsqueeze(0)
    t_max, n, num_classes = lp.shape
    in_lens = _lengths(input_lengths, "input_lengths")
    tg_lens = _lengths(target_lengths, "target_lengths")
    if len(in_lens) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tg_lens) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < num_classes:
        raise RuntimeError("blank must be in label range")
    for b in range(n):
        if in_lens[b] > t_max or in_lens[b] < 0:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {in_lens[b]} "
                               f"(while checking arguments for ctc_loss_allocate_outputs)")
    s_max = max(tg_lens) if n else 0
    if targets.dim() == 1:
        # Concatenated targets: sample b's labels start after the previous samples' ones.
        # PyTorch wants exactly sum(target_lengths) labels here (extra ones are an error too).
        if sum(tg_lens) != targets.shape[0]:
            raise RuntimeError(f"Expected tensor to have size {sum(tg_lens)} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets' (while checking arguments for "
                               f"ctc_loss_allocate_outputs)")
        starts, offsets = [], 0
        for length in tg_lens:
            starts.append([min(offsets + j, max(targets.shape[0] - 1, 0)) for j in range(s_max)])
            offsets += length
        if s_max and n:
            padded = targets.index_select(0, _C.tensor(starts, dtype=_C.int64, device=targets.device).reshape(-1))
            padded = padded.reshape(n, s_max)
        else:
            padded = _C.zeros((n, s_max), dtype=_C.int64, device=lp.device)
    else:
        if s_max > targets.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                               f"{targets.shape[1]} for argument #2 'targets' (while checking arguments for "
                               f"ctc_loss_allocate_outputs)")
        padded = targets[:, :s_max]
    padded = padded.to(device=lp.device, dtype=_C.int64)
    width = 2 * s_max + 1
    # Extended labels: blank, l1, blank, l2, ..., blank.
    ext = _C.full((n, width), blank, dtype=_C.int64, device=lp.device)
    if s_max:
        ext = _C.stack([ext[:, :s_max], padded], -1).reshape(n, 2 * s_max)
        ext = _C.cat([ext, _C.full((n, 1), blank, dtype=_C.int64, device=lp.device)], 1)
    # Positions s >= 2*L+1 of a shorter target are padding: never reachable.
    pos = _C.arange(width, device=lp.device).view(1, width)
    tl = _C.tensor(tg_lens, dtype=_C.int64, device=lp.device).view(n, 1)
    live = pos < 2 * tl + 1
    # The skip s-2 -> s is allowed onto a label that differs from the label two places back.
    prev2 = _C.cat([_C.full((n, 2), blank, dtype=_C.int64, device=lp.device), ext[:, :-2]], 1) if width > 2 \
        else _C.full((n, width), blank, dtype=_C.int64, device=lp.device)
    skip = (ext != blank) & (ext != prev2) & (pos >= 2)
    neg = _C.full((n, width), _NEG, dtype=lp.dtype, device=lp.device)
    # Emissions for every step: (T, N, width); log(0) becomes the finite stand-in.
    em = lp.clamp_min(_NEG).gather(2, ext.unsqueeze(0).expand(t_max, n, width))
    alpha = _C.where(pos < 2, em[0], neg) if t_max else neg
    alpha = _C.where(live, alpha, neg)
    pad1 = _C.full((n, 1), _NEG, dtype=lp.dtype, device=lp.device)
    pad2 = _C.full((n, 2), _NEG, dtype=lp.dtype, device=lp.device)
    steps = max(in_lens) if n else 0
    in_t = _C.tensor(in_lens, dtype=_C.int64, device=lp.device).view(n, 1)
    for t in range(1, steps):
        a1 = _C.cat([pad1, alpha[:, :-1]], 1)
        a2 = _C.cat([pad2, alpha[:, :-2]], 1) if width > 2 else neg
        a2 = _C.where(skip, a2, neg)
        nxt = _C.where(live, _lse3(alpha, a1, a2) + em[t], neg)
        # Sequences that have ended keep their last alpha.
        alpha = _C.where(in_t > t, nxt, alpha)
    # End in the final blank (2L) or the final label (2L-1).
    end = (2 * tl).clamp_max(width - 1)
    last = alpha.gather(1, end).squeeze(1)
    before = alpha.gather(1, (2 * tl - 1).clamp_min(0)).squeeze(1)
    before = _C.where(tl.squeeze(1) > 0, before, neg[:, 0])
    m = last.maximum(before).detach()
    ll = m + ((last - m).exp() + (before - m).exp()).log()
    empty_input = in_t.squeeze(1) == 0
    # A zero-length input can only emit the empty target (probability 1).
    ll = _C.where(empty_input, _C.where(tl.squeeze(1) == 0, ll * 0.0, neg[:, 0]), ll)
    loss = -ll
    infinite = loss >= -_NEG / 2
    inf = _C.full_like(loss, float("inf"))
    if zero_infinity:
        loss = _C.where(infinite, loss * 0.0, loss)
    else:
        loss = _C.where(infinite, inf, loss)
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    denom = tl.squeeze(1).clamp_min(1).to(loss.dtype)
    return (loss / denom).mean()
