"""Which dtypes PyTorch's CPU kernels for convolution and pooling take, and its message for the rest.

Our kernels are composed from dtype-generic pieces (im2col, matmul, max), so they would compute an
integer or bool result where PyTorch refuses; these checks keep the two libraries agreeing on what is
an error. The lists follow PyTorch 2.15's CPU dispatch macros: each names the kernel PyTorch's
message names, e.g. `"avg_pool2d" not implemented for 'Int'`.
"""
from ..._elementwise import _scalar_name

FLOATS = frozenset({"float32", "float64", "float16", "bfloat16"})
INTEGERS = frozenset({"int64", "int32", "int16", "int8", "uint8"})
FLOATS_AND_LONG = FLOATS | {"int64"}
FLOATS_AND_BOOL = FLOATS | {"bool"}
ALL_BUT_BOOL = FLOATS | INTEGERS


def dtype_name(tensor):
    """'float32', 'int64', 'bool', ...: the dtype without its module prefix."""
    return str(tensor.dtype).rsplit(".", 1)[-1]


def is_integral(tensor):
    """Integer or bool."""
    return dtype_name(tensor) not in FLOATS


def require(tensor, allowed, kernel, gpu_kernel=None):
    """Raise PyTorch's NotImplementedError when `kernel` has no CPU implementation for tensor's dtype.

    On the GPU our kernels raise their own errors for the dtypes WGSL lacks; `gpu_kernel` names the
    CUDA kernel to blame where a composed GPU path would instead compute a wrong non-float result
    (PyTorch's CUDA pooling kernels take floats only)."""
    name = dtype_name(tensor)
    if tensor.device.type == "cpu":
        if name not in allowed:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_name(tensor.dtype)}'")
    elif gpu_kernel is not None and name not in FLOATS:
        raise NotImplementedError(f"\"{gpu_kernel}\" not implemented for '{_scalar_name(tensor.dtype)}'")


def require_float_mean(tensor, output_size, nspatial):
    """PyTorch's adaptive average pooling to an all-ones output_size is a mean over the spatial dims,
    which has no integer result: its message, on every device."""
    sizes = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * nspatial
    if dtype_name(tensor) not in FLOATS and not tensor.dtype.is_complex and all(v == 1 for v in sizes):
        raise NotImplementedError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                                  f"point or complex dtype. Got: {_scalar_name(tensor.dtype)}")
