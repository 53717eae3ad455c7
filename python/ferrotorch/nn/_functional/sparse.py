"""Lookup tables: embedding (rows of a weight matrix picked by index) and one_hot."""
from ... import _C
from ...autograd.grad_mode import no_grad

__all__ = ["embedding", "one_hot"]


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
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if sparse:
        raise NotImplementedError("ferrotorch has no sparse tensors: use embedding with sparse=False")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    flat = input.reshape(-1)
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    out = weight.index_select(0, flat)
    if weight.requires_grad and _C.is_grad_enabled():
        # Both options change only the gradient: out.detach() + (out - out.detach()) * s has the value of
        # `out` exactly (the bracket is 0) and passes the gradient scaled by s.
        if scale_grad_by_freq:
            counts = _C.zeros(num, dtype=weight.dtype, device=weight.device)
            counts.index_add_(0, flat, _C.ones(flat.shape, dtype=weight.dtype, device=weight.device))
            frozen = out.detach()
            out = frozen + (out - frozen) / counts.index_select(0, flat).unsqueeze(1)
        if padding_idx is not None:
            out = _C.where((flat == padding_idx).unsqueeze(1), out.detach(), out)
    return out.reshape(*input.shape, weight.shape[1])


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
