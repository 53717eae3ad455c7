"""Affine maps."""

__all__ = ["linear"]


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, over the last dimension of `input`."""
    if input.dim() == 2 and bias is not None:
        # One fused GEMM (AddmmBackward0) for the common (batch, features) case.
        return bias.addmm(input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias
