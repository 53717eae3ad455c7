"""Registry ops that do not run on the GPU yet: op name -> (dtypes or None for all, reason).

The GPU registry test marks these xfail(strict=True) and accepts only NotImplementedError or
TypeError as their failure: each must raise a clear error on the GPU (never fall back to the CPU
or compute something wrong), and a kernel that starts working makes the test fail until its
entry is removed here. Every registry op and dtype runs on the GPU at present.
"""
GPU_GAPS: dict = {}
