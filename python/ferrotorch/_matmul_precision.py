"""`torch.set_float32_matmul_precision`: the precision float32 matmuls may use.

The setting is a permission, not a demand: "high" and "medium" allow TF32/bfloat16 inner products
where hardware has them. ferrotorch's CPU and WGSL kernels always accumulate in full float32, which
every setting allows, so the value is kept (and validated) for scripts that read it back.
"""
import warnings

_PRECISIONS = ("highest", "high", "medium")
_precision = "highest"


def set_float32_matmul_precision(precision):
    global _precision
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.")
        return
    _precision = precision


def get_float32_matmul_precision():
    return _precision
