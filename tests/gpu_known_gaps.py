"""Registry ops that do not run on the GPU yet: op name -> (dtypes or None for all, reason).

The GPU registry test marks these xfail(strict=True) and accepts only NotImplementedError or
TypeError as their failure: each must raise a clear error on the GPU (never fall back to the CPU
or compute something wrong), and a kernel that starts working makes the test fail until its
entry is removed here.
"""
_F64_MATH = "Vulkan's extended instructions have no 64-bit version; needs a software float64 implementation"

GPU_GAPS = {
    # float64 transcendental functions (raise TypeError naming the missing feature).
    **{name: (("float64",), _F64_MATH) for name in (
        "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cos", "cosh", "erf", "erfinv", "exp",
        "exp2", "expm1", "log", "log10", "log1p", "log2", "logsumexp", "pow", "sigmoid", "sin", "sinh",
        "tan", "tanh", "norm", "erfc",
    )},
}
