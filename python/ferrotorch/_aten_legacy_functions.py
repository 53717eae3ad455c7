"""Legacy and ATen-level functions PyTorch exposes at `torch.*`: `native_dropout`,
`norm_except_dim` (weight norm's helper), `embedding_renorm_`, `segment_reduce`, and the
SyncBatchNorm building blocks `batch_norm_stats`, `batch_norm_elemt`,
`batch_norm_gather_stats_with_counts`, `batch_norm_backward_reduce`, `batch_norm_backward_elemt`,
`batch_norm_update_stats`.

All are composed from existing ops, so they run on every device and (except the explicitly
in-place ones) record autograd history. PyTorch implements the SyncBatchNorm helpers other than
`batch_norm_update_stats` for CUDA only: on a CPU tensor they raise its CPU error here too, and on
ferrotorch's GPU they compute what PyTorch's CUDA kernels compute.

    >>> import ferrotorch as torch
    >>> torch.segment_reduce(torch.tensor([1.0, 2.0, 3.0]), "sum", lengths=torch.tensor([2, 1])).tolist()
    [3.0, 3.0]
"""
import math

from . import _C
from ._dims import wrap_dim
from ._elementwise import _scalar_name
from ._math_composites import _modulus
from .autograd.grad_mode import no_grad
from .nn._functional.sparse import _embedding_renorm_

__all__ = ["native_dropout", "norm_except_dim", "embedding_renorm_", "segment_reduce", "batch_norm_stats",
           "batch_norm_elemt", "batch_norm_gather_stats_with_counts", "batch_norm_backward_reduce",
           "batch_norm_backward_elemt", "batch_norm_update_stats"]


def native_dropout(input, p, train):
    """(output, mask): in training (`train` True or None) each element is kept with probability
    1 - p (mask True) and scaled by 1 / (1 - p); otherwise the input and an all-True mask."""
    if train is not None and not train:
        return input.clone(), _C.ones(input.shape, dtype=_C.bool, device=input.device)
    if not input.is_floating_point():
        # The scaled output is a float, which PyTorch's kernel will not write back as an integer.
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_scalar_name(input.dtype)}")
    keep = 1.0 - p
    if not 0.0 <= keep <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={keep}")
    mask = _C.empty(input.shape, dtype=input.dtype, device=input.device).bernoulli_(keep).to(_C.bool)
    scale = 0.0 if keep == 0.0 else 1.0 / keep  # p == 1 drops everything
    return input * mask * scale, mask


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of `v` over every dim but `dim`, kept as size-1 dims (weight norm's g);
    `dim=-1` gives the norm of the whole tensor (real, for complex `v`)."""
    v = _modulus(v)
    if dim == -1:
        return v.norm(pow)
    if v.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = wrap_dim(dim, v.dim())
    rows = v.transpose(0, dim).reshape(v.shape[dim], -1)
    shape = [1] * v.dim()
    shape[dim] = v.shape[dim]
    return rows.norm(pow, dim=1).reshape(shape)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescales in place the rows of the 2-D `input` named in `indices` whose `norm_type`-norm
    exceeds `max_norm` to norm max_norm (just under it); returns `input`."""
    if indices.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #2 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_legacy_type_name(indices)} instead (while checking arguments for "
                           "embedding_renorm_)")
    if input.dim() != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {input.dim()}-dimensional tensor for argument "
                           "#1 'self' (while checking arguments for embedding_renorm_)")
    if input.requires_grad and input.is_leaf and _C.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    flat = indices.reshape(-1)
    if flat.numel():
        bad = flat[(flat < -input.shape[0]) | (flat >= input.shape[0])]
        if bad.numel():
            raise IndexError(f"select(): index {int(bad[0])} out of range for tensor of size "
                             f"{list(input.shape)} at dimension 0")
    _embedding_renorm_(input, flat % input.shape[0], max_norm, norm_type)
    return input


def _legacy_type_name(t):
    """PyTorch's legacy tensor type name in messages: torch.FloatTensor, torch.cuda.LongTensor."""
    prefix = "torch." if t.device.type == "cpu" else "torch.cuda."
    return f"{prefix}{_scalar_name(t.dtype)}Tensor"


# ----------------------------------------------------------------------------- segment_reduce

_SEGMENT_REDUCTIONS = {"sum": "sum", "mean": "mean", "max": "max", "amax": "max", "min": "min", "amin": "min",
                       "prod": "prod"}
_EMPTY_SEGMENT = {"sum": 0.0, "prod": 1.0, "max": -math.inf, "min": math.inf, "mean": math.nan}


def _reduce_segment(piece, kind, axis, initial):
    """One segment (`piece`, possibly empty along `axis`) reduced along `axis`, folding in `initial`."""
    count = piece.shape[axis]
    if count == 0:
        empty = _EMPTY_SEGMENT[kind] if initial is None else initial
        shape = list(piece.shape)
        del shape[axis]
        return _C.full(shape, empty, dtype=piece.dtype, device=piece.device)
    if kind == "sum":
        out = piece.sum(axis)
        return out if initial is None else out + initial
    if kind == "mean":  # PyTorch counts `initial` in the sum, not in the count
        return piece.mean(axis) if initial is None else (piece.sum(axis) + initial) / count
    if kind == "prod":
        out = piece.prod(axis)
        return out if initial is None else out * initial
    out = piece.amax(axis) if kind == "max" else piece.amin(axis)
    if initial is None:
        return out
    return out.clamp(min=initial) if kind == "max" else out.clamp(max=initial)


def _segments_1d(data, kind, lengths, starts, axis, initial):
    """Reduces `data` along `axis` over the segments given by python lists `starts` / `lengths`."""
    size = data.shape[axis]
    pieces = []
    for start, length in zip(starts, lengths):
        start = min(start, size)
        pieces.append(_reduce_segment(data.narrow(axis, start, min(length, size - start)), kind, axis, initial))
    if not pieces:
        shape = list(data.shape)
        shape[axis] = 0
        return _C.empty(shape, dtype=data.dtype, device=data.device)
    return _C.stack(pieces, axis)


def _check_index_dtype(t, which, data):
    if t.dtype not in (_C.int64, _C.int32):
        backend = "cpu" if data.device.type == "cpu" else "cuda"
        raise NotImplementedError(f'"_segment_reduce_{which}_{backend}_kernel1" not implemented for '
                                  f"'{_scalar_name(t.dtype)}'")


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduces `data` along `axis` over consecutive segments given by `lengths` (or by `offsets`,
    segment i spanning offsets[i]:offsets[i+1]) with "sum", "mean", "max", "min" or "prod".
    `lengths` / `offsets` may carry the leading dims of `data` before `axis` (one row of segments
    per leading index). An empty segment gives `initial` if given, else the reduction's identity
    (NaN for mean); `initial` also joins every non-empty segment's reduction."""
    if reduce not in _SEGMENT_REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    kind = _SEGMENT_REDUCTIONS[reduce]
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    axis = wrap_dim(axis, data.dim())
    if data.dtype not in (_C.float32, _C.float64, _C.float16, _C.bfloat16):
        backend = "cpu" if data.device.type == "cpu" else "cuda"
        raise NotImplementedError(f'"_segment_reduce_{backend}" not implemented for \'{_scalar_name(data.dtype)}\'')
    if lengths is not None:
        _check_index_dtype(lengths, "lengths", data)
        layout = lengths
    else:
        _check_index_dtype(offsets, "offsets", data)
        layout = offsets
    if layout.dim() - 1 != axis:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of lengths but got {axis}.")
    rows = layout.reshape(-1, layout.shape[-1]).tolist()
    if lengths is not None:
        starts = []
        for row in rows:
            if not unsafe:
                if any(n < 0 for n in row):
                    raise RuntimeError("lengths contains negative value!")
                if sum(row) != data.shape[axis]:
                    raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                                       "data.size(lengths.dim()-1) when !unsafe.")
            starts.append([sum(row[:i]) for i in range(len(row))])
    else:
        starts = [row[:-1] for row in rows]
        rows = [[b - a for a, b in zip(row, row[1:])] for row in rows]
        if any(n < 0 for row in rows for n in row):
            raise RuntimeError("Expected segment_length >= 0 to be true, but got false.  (Could this error message "
                               "be improved?  If so, please report an enhancement request to PyTorch.)")
    if axis == 0:
        return _segments_1d(data, kind, rows[0], starts[0], 0, initial)
    # One row of segments per index of the leading dims: reduce each slice, then restore the dims.
    lead = tuple(data.shape[:axis])
    flat = data.reshape((-1,) + tuple(data.shape[axis:]))
    out = [_segments_1d(flat[i], kind, rows[i], starts[i], 0, initial) for i in range(flat.shape[0])]
    return _C.stack(out).reshape(lead + tuple(out[0].shape))


# ----------------------------------------------------------------------------- SyncBatchNorm helpers

def _cuda_only(name, input):
    """PyTorch registers these kernels for CUDA only; a CPU tensor gets its dispatcher error."""
    if input.device.type == "cpu":
        raise NotImplementedError(f"Could not run 'aten::{name}' with arguments from the 'CPU' backend. This could "
                                  "be because the operator doesn't exist for this backend, or was omitted during the "
                                  "selective/custom build process (if using custom build).")


def _channel_dims(input):
    """Every dim but the channel dim 1: the dims batch norm reduces over."""
    return [0] + list(range(2, input.dim()))


def _mean_var(input):
    """Per-channel mean and biased variance."""
    dims = _channel_dims(input)
    return input.mean(dims), input.var(dims, correction=0)


def _per_channel(t, input):
    """A per-channel vector shaped to broadcast against `input` (N, C, ...)."""
    return t.reshape([1, -1] + [1] * (input.dim() - 2))


def batch_norm_stats(input, eps):
    """(mean, invstd) per channel of `input` (N, C, ...), invstd = 1 / sqrt(biased var + eps)."""
    _cuda_only("batch_norm_stats", input)
    mean, var = _mean_var(input)
    return mean, (var + eps).rsqrt()


def batch_norm_elemt(input, weight, bias, mean, invstd, eps):
    """(input - mean) * invstd * weight + bias, per channel (weight / bias may be None)."""
    _cuda_only("batch_norm_elemt", input)
    out = (input - _per_channel(mean, input)) * _per_channel(invstd, input)
    if weight is not None:
        out = out * _per_channel(weight, input)
    if bias is not None:
        out = out + _per_channel(bias, input)
    return out


def batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum, eps, counts):
    """Combines per-replica (mean, invstd) rows, each over `counts[i]` elements, into the global
    (mean, invstd); updates `running_mean` / `running_var` (unbiased) in place if given."""
    _cuda_only("batch_norm_gather_stats_with_counts", input)
    counts = counts.to(dtype=mean.dtype, device=mean.device).reshape(-1, 1)
    total = counts.sum()
    global_mean = (counts * mean).sum(0) / total
    replica_var = invstd.pow(-2) - eps
    var = (counts * (replica_var + (mean - global_mean).pow(2))).sum(0) / total
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(global_mean.to(running_mean.dtype) * momentum)
        if running_var is not None:
            unbiased = var * (total / (total - 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
    return global_mean, (var + eps).rsqrt()


def batch_norm_backward_reduce(grad_out, input, mean, invstd, weight, input_g, weight_g, bias_g):
    """(sum_dy, sum_dy_xmu, grad_weight, grad_bias) per channel: sums of dy and dy * (x - mean)
    (when `input_g`), grad_weight = sum_dy_xmu * invstd (when `weight_g`), grad_bias = sum_dy
    (when `bias_g`); the ones not asked for are None."""
    _cuda_only("batch_norm_backward_reduce", input)
    dims = _channel_dims(input)
    sum_dy = grad_out.sum(dims)
    sum_dy_xmu = (grad_out * (input - _per_channel(mean, input))).sum(dims)
    return (sum_dy if input_g else None, sum_dy_xmu if input_g else None,
            sum_dy_xmu * invstd if weight_g else None, sum_dy if bias_g else None)


def batch_norm_backward_elemt(grad_out, input, mean, invstd, weight, sum_dy, sum_dy_xmu, count):
    """The input gradient of batch norm from the (all-reduced) `sum_dy`, `sum_dy_xmu` over
    count.sum() elements: (dy - mean_dy - (x - mean) * invstd^2 * mean_dy_xmu) * invstd * weight."""
    _cuda_only("batch_norm_backward_elemt", input)
    total = count.to(dtype=input.dtype, device=input.device).sum()
    mean_dy = _per_channel(sum_dy / total, input)
    mean_dy_xmu = _per_channel(sum_dy_xmu / total, input)
    scale = _per_channel(invstd, input)
    if weight is not None:
        scale = scale * _per_channel(weight, input)
    xmu = input - _per_channel(mean, input)
    return (grad_out - mean_dy - xmu * _per_channel(invstd.pow(2), input) * mean_dy_xmu) * scale


def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """(mean, biased var) per channel of `input`; blends them (var unbiased) into `running_mean` /
    `running_var` in place with weight `momentum` when those are given."""
    wrap_dim(1, input.dim())
    mean, var = _mean_var(input)
    count = input.numel() // input.shape[1]
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
        if running_var is not None:
            unbiased = var * (count / max(count - 1, 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
    return mean, var
