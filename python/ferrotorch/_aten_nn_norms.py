"""The ATen normalisation and embedding ops PyTorch exposes as `torch.NAME`.

They differ from `nn.functional` in argument order (batch_norm takes weight and bias before the running
statistics, embedding takes the weight first), in taking every argument positionally with no defaults
for some, and, for the `native_*` forms, in returning the saved statistics with the output. Each
forwards to the functional form, so autograd and both devices work unchanged; the saved statistics are
computed without a graph, as PyTorch marks them non-differentiable.

    >>> import ferrotorch as torch
    >>> out, mean, rstd = torch.native_layer_norm(torch.tensor([[1.0, 3.0]]), [2], None, None, 1e-5)
    >>> mean.tolist()
    [[2.0]]
"""

from . import _C
from .autograd.grad_mode import no_grad
from .nn._functional import normalization as _norm
from .nn._functional import sparse as _sparse

__all__ = ["layer_norm", "group_norm", "batch_norm", "instance_norm", "rms_norm", "native_layer_norm",
           "native_batch_norm", "native_group_norm", "embedding", "embedding_bag"]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """`nn.functional.layer_norm`; `cudnn_enable` is accepted and has no effect."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """`nn.functional.group_norm`; `cudnn_enabled` is accepted and has no effect."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """`nn.functional.batch_norm` with ATen's order: affine parameters before the running statistics.

        >>> import ferrotorch as torch
        >>> torch.batch_norm(torch.tensor([[1.0], [3.0]]), None, None, None, None, True, 0.1, 0.0, False).tolist()
        [[-1.0], [1.0]]
    """
    if input.dim() < 2:  # ATen's own failure: it reads the channel count as input.size(1)
        d = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], but got 1)")
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """`nn.functional.instance_norm` with ATen's order: affine parameters before the running statistics."""
    return _norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`nn.functional.rms_norm`."""
    return _norm.rms_norm(input, normalized_shape, weight, eps)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(layer_norm output, mean, rstd): the statistics keep the normalised dims as size 1, e.g. (N, 1) for
    normalized_shape (C,), and rstd is 1 / sqrt(var + eps)."""
    out, mean, rstd = _norm._layer_norm(input, normalized_shape, weight, bias, eps)
    if mean is not None:
        return out, mean, rstd
    dims = _norm._norm_dims(input, _norm._as_shape(normalized_shape))
    with no_grad():
        var, mean = input.detach()._var_mean(dims, correction=0, keepdim=True)
        rstd = (var + eps).rsqrt()
    return out, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(batch_norm output, save_mean, save_invstd), the batch statistics per channel (C,) in training;
    in evaluation both are empty (0,), as on PyTorch's CPU."""
    out = _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = _C.empty(0, dtype=input.dtype, device=input.device)
        return out, empty, empty.clone()
    with no_grad():
        dims = [0] + list(range(2, input.dim()))
        var, mean = input.detach()._var_mean(dims, correction=0)
        return out, mean, (var + eps).rsqrt()


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(group_norm output, mean, rstd), the statistics of each (sample, group) pair, shape (N, group).
    N, C and HxW must describe input: its batch, channels and the product of the other dims."""
    if input.numel() != N * C * HxW:
        raise RuntimeError("Expected X.numel() == N * C * HxW to be true, but got false.  (Could this error "
                           "message be improved?  If so, please report an enhancement request to PyTorch.)")
    out = _norm.group_norm(input, group, weight, bias, eps)
    with no_grad():
        x = input.detach().reshape(N, group, (C // group) * HxW)
        var, mean = x._var_mean(-1, correction=0)
        return out, mean, (var + eps).rsqrt()


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """weight[indices], weight first. A negative padding_idx means none (ATen's convention; the functional
    form's negative indices count from the end before they reach here).

        >>> import ferrotorch as torch
        >>> torch.embedding(torch.tensor([[0.0], [10.0]]), torch.tensor([1, 0])).tolist()
        [[10.0], [0.0]]
    """
    pad = padding_idx if 0 <= padding_idx < weight.shape[0] else None
    return _sparse.embedding(indices, weight, pad, None, 2.0, scale_grad_by_freq, sparse)


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """(output, offset2bag, bag_size, max_indices) of the bags of 1-D `indices` starting at `offsets`;
    mode 0 sum, 1 mean, 2 max. As PyTorch's CPU kernel: offset2bag is each index's bag (empty for a
    float32/float16/bfloat16 sum without padding_idx, its fast path), bag_size counts the non-padding indices per
    bag (zeros for sum), max_indices is the weight row each max came from (mode 2, shape (bags, D)),
    else bag_size for mean and zeros for sum. A negative padding_idx means none."""
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    pad = padding_idx if padding_idx is not None and 0 <= padding_idx < weight.shape[0] else None
    output = _sparse.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, _BAG_MODES[mode], sparse,
                                   per_sample_weights, include_last_offset, pad)
    with no_grad():
        flat = indices.reshape(-1).long()
        n, bags, dev = flat.shape[0], output.shape[0], flat.device
        starts = offsets.long()[:bags]
        # Bag of each position: the number of bag starts at or before it, minus one.
        marks = _C.zeros(n + 1, dtype=_C.int64, device=dev)
        marks.index_add_(0, starts, _C.ones(bags, dtype=_C.int64, device=dev))
        offset2bag = marks[:n].cumsum(0) - 1
        counted = offset2bag >= 0
        if pad is not None:
            counted = counted & (flat != pad)
        spare = _C.where(counted, offset2bag, bags)  # uncounted positions go to a dropped extra bag
        zeros = _C.zeros(bags, dtype=_C.int64, device=dev)
        if mode == 0:
            fast = weight.dtype in (_C.float32, _C.float16, _C.bfloat16) and pad is None
            empty = _C.empty(0, dtype=_C.int64, device=dev)
            if fast:  # its bag_size and max_indices have one entry per offset
                zeros = _C.zeros(offsets.shape[0], dtype=_C.int64, device=dev)
            return output, empty if fast else offset2bag, zeros, zeros.clone()
        bag_size = _C.zeros(bags + 1, dtype=_C.int64, device=dev).index_add(0, spare, counted.long())[:bags]
        if mode == 1:
            return output, offset2bag, bag_size, bag_size.clone()
        # The first position of each bag whose row holds the bag's max, per column; its index is the row.
        d = weight.shape[1]
        rows = weight.detach().index_select(0, flat)
        best = _C.cat([output.detach(), _C.zeros((1, d), dtype=output.dtype, device=dev)]).index_select(0, spare)
        pos = _C.arange(n, dtype=_C.int64, device=dev).unsqueeze(1).expand(n, d)
        pos = _C.where((rows == best) & counted.unsqueeze(1), pos, n)
        first = _C.full((bags + 1, d), n, dtype=_C.int64, device=dev)
        first = first.scatter_reduce(0, spare.unsqueeze(1).expand(n, d), pos, "amin")[:bags]
        padded = _C.cat([flat, _C.zeros(1, dtype=_C.int64, device=dev)])
        max_indices = padded.index_select(0, first.reshape(-1)).reshape(bags, d)
        return output, offset2bag, bag_size, max_indices
