"""Which backend may run a scaled_dot_product_attention call, under the `sdpa_kernel` /
`torch.backends.cuda.enable_*_sdp` restrictions, following PyTorch's CPU dispatcher.

PyTorch on CPU has two kernels: math (any input) and flash (dense, dropout-free, equal-shape
inputs). ferrotorch's single implementation computes what both compute, so a call proceeds when math
is allowed, or when flash is allowed and PyTorch's flash kernel would take the inputs. Otherwise it
fails as PyTorch does: "No viable backend" when neither is allowed, else a warning naming why flash
was skipped and "No available kernel".
"""
import warnings

from ..._shape import _CPP_NAMES
from ... import _C
from ...backends import cuda as _flags

_NO_VIABLE_BACKEND = ("No viable backend for scaled_dot_product_attention was found. This is likely due to turning "
                      "off both the math kernel and the fused kernels.")
_FLASH_DTYPES = (_C.float32, _C.float64, _C.bfloat16, _C.float16)
_BROADCAST_HINT = ("To broadcast dense inputs, try using unsqueeze and expand_to before passing them into the "
                   "kernel.")


def _mask_rejection(mask, query, key):
    """Flash takes a 2-D (L, S) or 4-D (N, H, L, S) mask whose dims may also be 1. PyTorch names the
    rank/batch/heads requirement when that fails, and gives no reason for a wrong (L, S)."""
    n, h, seq_q, seq_k = query.shape[0], query.shape[1], query.shape[2], key.shape[2]
    if not (mask.dim() == 2 or (mask.dim() == 4 and mask.shape[0] in (1, n) and mask.shape[1] in (1, h))):
        return ("Please use the following attn mask shapes: 2d - ({Q_seq_len, 1}  x {KV_seq_len, 1}); 4d - "
                "({Batch, 1} x {Num_heads, 1} x {Q_seq_len, 1}  x {KV_seq_len, 1})")
    if mask.shape[-2] not in (1, seq_q) or mask.shape[-1] not in (1, seq_k):
        return ""
    return None


def _flash_rejection(query, key, value, attn_mask, dropout_p, enable_gqa):
    """Why PyTorch's CPU flash kernel would refuse these inputs (checked in its order; "" when it
    gives no reason), or None when it takes them."""
    if dropout_p > 0.0:
        return "Both fused kernels do not support non-zero dropout."
    dims = (query.dim(), key.dim(), value.dim())
    if dims not in ((4, 4, 4), (3, 3, 3)):
        return ("All fused kernels requires query, key and value to be 4 dimensional, but got Query dim: "
                f"{dims[0]}, Key dim: {dims[1]}, Value dim: {dims[2]} instead.")
    if dims == (4, 4, 4):
        batches = (query.shape[0], key.shape[0], value.shape[0])
        if len(set(batches)) > 1:
            return ("For dense inputs, both fused kernels require query, key and value to have the same "
                    f"batch_size. Got Query batch_size: {batches[0]}, Key batch_size: {batches[1]}, Value "
                    f"batch_size: {batches[2]} instead. {_BROADCAST_HINT}")
        hq, hk, hv = query.shape[1], key.shape[1], value.shape[1]
        if enable_gqa and hk != hv:
            return ("Both fused kernels require key and value to have the same num_heads. Got Key num_heads: "
                    f"{hk}, Value num_heads: {hv}, Query num_heads: {hq} instead.")
        if enable_gqa and hq % hk:
            return ("The number of heads in key/value must divide number of heads in query.Got Key num_heads: "
                    f"{hk}, Value num_heads: {hv}, Query num_heads: {hq} instead.")
        if not enable_gqa and len({hq, hk, hv}) > 1:
            return ("For dense input, both fused kernels require query, key and value to have the same num_heads. "
                    f"Got Query num_heads: {hq}, Key num_heads: {hk}, Value num_heads: {hv} instead. "
                    f"{_BROADCAST_HINT}")
    if attn_mask is not None:
        mask, query_4d, key_4d = attn_mask, query, key
        if dims == (3, 3, 3):  # the kernel sees 3-D inputs (and a 3-D mask) with a leading batch of 1
            query_4d, key_4d = query.unsqueeze(0), key.unsqueeze(0)
            mask = attn_mask.unsqueeze(0) if attn_mask.dim() == 3 else attn_mask
        reason = _mask_rejection(mask, query_4d, key_4d)
        if reason is not None:
            return reason
    last = (query.shape[-1], key.shape[-1], value.shape[-1])
    if len(set(last)) > 1:
        return ("Flash attention requires q,k,v to have the same last dimension. Got Query.size(-1): "
                f"{last[0]}, Key.size(-1): {last[1]}, Value.size(-1): {last[2]} instead.")
    strides = (query.stride(-1), key.stride(-1), value.stride(-1))
    if strides != (1, 1, 1):
        return ("All fused kernels require the last dimension of the input to have stride 1. Got "
                f"Query.stride(-1): {strides[0]}, Key.stride(-1): {strides[1]}, Value.stride(-1): {strides[2]}")
    if any(t.dtype not in _FLASH_DTYPES for t in (query, key, value)):
        return ("Expected query, key and value to all be of dtype: {Float, Double, BFloat16, Half}. Got Query "
                f"dtype: {_CPP_NAMES[query.dtype]}, Key dtype: {_CPP_NAMES[key.dtype]}, and Value dtype: "
                f"{_CPP_NAMES[value.dtype]} instead.")
    return None


def check_backend_allowed(query, key, value, attn_mask, dropout_p, enable_gqa):
    """Raises (after PyTorch's warnings) when no allowed backend takes these inputs."""
    if _flags.math_sdp_enabled():
        return
    if not _flags.flash_sdp_enabled():
        raise RuntimeError(_NO_VIABLE_BACKEND)
    if 0 in (query.numel(), key.numel(), value.numel()):
        return  # PyTorch returns empty inputs' (empty or zero) result before choosing a kernel
    reason = _flash_rejection(query, key, value, attn_mask, dropout_p, enable_gqa)
    if reason is not None:
        warnings.warn("Flash attention kernel not used because:", stacklevel=3)
        if reason:
            warnings.warn(reason, stacklevel=3)
        raise RuntimeError("No available kernel.  Aborting execution.")
