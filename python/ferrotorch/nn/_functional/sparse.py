"""Lookup tables: embedding (rows of a weight matrix picked by index), embedding_bag (their per-bag
sum, mean or max) and one_hot."""
from ... import _C
from ...autograd.grad_mode import no_grad

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _embedding_renorm_(weight, input, max_norm, norm_type):
    """Rescales, in place, each row of `weight` that `input` refers to whose norm exceeds `max_norm`."""
    with no_grad():
        rows = input.reshape(-1).unique()
        selected = weight.index_select(0, rows)
        norms = selected.norm(norm_type, dim=1, keepdim=True)
        # The 1e-7 keeps a renormalised row's norm just under max_norm, as PyTorch does.
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, rows, selected * scale)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight[input]: one row of `weight` per index, shape input.shape + (embedding_dim,).

    padding_idx: rows looked up at this index get no gradient. max_norm: rows looked up are first
    renormalised in place to at most this `norm_type`-norm. scale_grad_by_freq: each row's gradient is
    divided by how often its index occurs in `input`."""
    _check_indices(input, "embedding")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if sparse:
        raise NotImplementedError("ferrotorch has no sparse tensors: use embedding with sparse=False")
    padding_idx = _normalize_padding_idx(padding_idx, weight.shape[0])
    flat = input.reshape(-1)
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    out = _lookup(weight, flat, scale_grad_by_freq)
    if padding_idx is not None and out.requires_grad:
        out = _C.where((flat == padding_idx).unsqueeze(1), out.detach(), out)
    return out.reshape(*input.shape, weight.shape[1])


def _normalize_padding_idx(padding_idx, num_embeddings):
    """padding_idx as a row number in [0, num_embeddings), or None."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num_embeddings, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num_embeddings, "Padding_idx must be within num_embeddings"
            padding_idx = num_embeddings + padding_idx
    return padding_idx


def _check_indices(input, fn):
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for {fn})")


def _lookup(weight, flat, scale_grad_by_freq):
    """weight rows at the 1-D indices `flat`; with scale_grad_by_freq, each row's gradient is divided by
    the number of times its index occurs in `flat`."""
    out = weight.index_select(0, flat)
    if scale_grad_by_freq and out.requires_grad:
        # out.detach() + (out - out.detach()) / n has exactly out's value (the bracket is 0) and
        # passes the gradient divided by n.
        counts = _C.zeros(weight.shape[0], dtype=weight.dtype, device=weight.device)
        counts.index_add_(0, flat, _C.ones(flat.shape, dtype=weight.dtype, device=weight.device))
        frozen = out.detach()
        out = frozen + (out - frozen) / counts.index_select(0, flat).unsqueeze(1)
    return out


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embeddings in each bag (a segmented index_add / scatter_reduce).

    2-D input: each row is a bag. 1-D input: bag i is input[offsets[i]:offsets[i + 1]] (the last bag runs
    to the end unless include_last_offset). Indices equal to padding_idx are left out of their bag; an empty
    bag gives zeros. per_sample_weights (mode='sum' only) scales each embedding before the sum."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        offsets = _C.arange(0, input.numel(), max(input.shape[1], 1), dtype=_C.int64, device=input.device)
        if input.shape[1] == 0:
            offsets = _C.zeros(input.shape[0], dtype=_C.int64, device=input.device)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  f"on GitHub.")
    _check_indices(input, "embedding_bag")
    if sparse:
        raise NotImplementedError("ferrotorch has no sparse tensors: use embedding_bag with sparse=False")
    padding_idx = _normalize_padding_idx(padding_idx, weight.shape[0])
    flat = input.reshape(-1)
    n = flat.shape[0]
    offsets = offsets.long()
    if include_last_offset and offsets.shape[0] < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if offsets.shape[0] > 0 and offsets[0].item() != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offsets[0].item()}")
    starts = offsets[:-1] if include_last_offset else offsets
    bags = starts.shape[0]
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    # Bag of each position: how many bag starts are at or before it, minus one (repeated starts are empty bags).
    marks = _C.zeros(n + 1, dtype=_C.int64, device=flat.device)
    marks.index_add_(0, starts, _C.ones(bags, dtype=_C.int64, device=flat.device))
    bag = marks[:n].cumsum(0) - 1
    # Left-out positions go to a spare bag `bags`, dropped at the end.
    keep = bag >= 0
    if include_last_offset:
        keep = keep & (_C.arange(n, device=flat.device) < offsets[-1])
    if padding_idx is not None:
        keep = keep & (flat != padding_idx)
    bag = _C.where(keep, bag, bags)
    rows = _lookup(weight, flat, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    out = _C.zeros((bags + 1, weight.shape[1]), dtype=weight.dtype, device=weight.device)
    if mode == "max":
        out = out.scatter_reduce(0, bag.unsqueeze(1).expand(n, weight.shape[1]), rows, "amax", include_self=False)
        return out[:bags]
    out = out.index_add(0, bag, rows)[:bags]
    if mode == "mean":
        counts = _C.zeros(bags + 1, dtype=weight.dtype, device=weight.device)
        counts.index_add_(0, bag, _C.ones(n, dtype=weight.dtype, device=weight.device))
        out = out / counts[:bags].clamp(min=1).unsqueeze(1)
    return out


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape tensor.shape + (num_classes,), 1 at each value's position and 0 elsewhere."""
    if tensor.dtype != _C.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return _C.empty((*tensor.shape, num_classes), dtype=_C.int64, device=tensor.device)
    if tensor.min().item() < 0:
        raise RuntimeError("Class values must be non-negative.")
    top = tensor.max().item()
    if num_classes == -1:
        num_classes = top + 1
    elif num_classes <= top:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _C.arange(num_classes, dtype=_C.int64, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()
