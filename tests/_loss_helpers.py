"""Helpers shared by the loss tests (test_nn_loss*.py): build float/label tensors from numpy data,
compare with a numpy reference at a dtype-appropriate tolerance, and reduce the reference like
`reduction=` does."""
import numpy as np

import ferrotorch as torch
from conftest import assert_close

RED = ["none", "mean", "sum"]


def T(a, dtype=torch.float64, rg=False):
    """A float tensor (float64 by default) from array-like `a`, optionally requiring grad."""
    return torch.tensor(np.asarray(a, dtype=np.float64)).to(dtype).requires_grad_(rg)


def L(a):
    """An int64 (class-index) tensor from array-like `a`."""
    return torch.tensor(np.asarray(a, dtype=np.int64))


def tol(dtype):
    """assert_close tolerances: loose for float32 (its result is compared against a float64 reference)."""
    return dict(rtol=1e-5, atol=1e-6, check_dtype=False) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


def close(out, ref, dtype=torch.float64):
    """`out` has `dtype` and matches the numpy reference `ref`."""
    assert out.dtype == dtype
    assert_close(out, np.asarray(ref, dtype=np.float64), **tol(dtype))


def red_np(a, reduction):
    """The numpy counterpart of reduction='none' / 'mean' / 'sum'."""
    return a if reduction == "none" else (a.mean() if reduction == "mean" else a.sum())
