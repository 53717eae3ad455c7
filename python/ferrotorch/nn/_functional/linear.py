"""Affine and bilinear maps."""
import math

from ...amp.autocast_mode import _state as _autocast_state, autocast_args
from ._loss_util import scalar_name

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, over the last dimension of `input`."""
    if _autocast_state.any:
        input, weight, bias = autocast_args(input, weight, bias)
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if bias is not None and input.dim() >= 2:
        # PyTorch runs these through addmm, whose dtype messages users see (no type promotion).
        if input.dtype != weight.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {scalar_name(input.dtype)} and "
                               f"{scalar_name(weight.dtype)}")
        if bias.dtype != weight.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {scalar_name(bias.dtype)} and "
                               f"{scalar_name(weight.dtype)}")
    if input.dim() == 2 and bias is not None:
        # One fused GEMM (AddmmBackward0) for the common (batch, features) case.
        return bias.addmm(input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o].

    Two GEMMs: input1 against all (o, j) slices of the weight at once, then a batched
    matrix-vector product with input2."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out_features, in1_features, in2_features), "
                           f"got {weight.dim()}-D")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} "
                           f"but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} "
                           f"but expected {in2}")
    if bias is not None and bias.shape[0] != out_f:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} "
                           f"but expected {out_f}")
    batch = tuple(input1.shape[:-1])
    n = math.prod(batch)
    # (n, in1) @ (in1, out * in2) -> (n, out, in2), then times input2 as (n, in2, 1) -> (n, out).
    t = input1.reshape(n, in1).matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    y = t.reshape(n, out_f, in2).matmul(input2.reshape(n, in2, 1)).reshape(*batch, out_f)
    return y if bias is None else y + bias
