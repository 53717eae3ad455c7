"""Runs every registry entry against its numpy reference, on contiguous, transposed and
strided (non-contiguous) inputs, for every dtype the entry lists."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy
from registry import ALL_OPS, INTS

CASES = [(info, dtype) for info in ALL_OPS for dtype in info.dtypes]


def _transposed(a, dtype):
    """Same values, as a transposed (non-contiguous) view."""
    return from_numpy(np.ascontiguousarray(a.T), dtype).T


def _strided(a, dtype):
    """Same values, as a view with step 2 along the last dim."""
    wide = from_numpy(np.repeat(a, 2, axis=-1), dtype)
    strides = list(wide.stride())
    strides[-1] *= 2
    return wide.as_strided(a.shape, strides)


LAYOUTS = {
    "contiguous": lambda a, d: from_numpy(a, d),
    "transposed": lambda a, d: _transposed(a, d) if a.ndim >= 2 else None,
    "strided": lambda a, d: _strided(a, d) if a.ndim >= 1 and a.shape[-1] > 0 else None,
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("info,dtype", CASES, ids=[f"{i.name}-{d}" for i, d in CASES])
def test_op_matches_numpy(info, dtype, layout):
    make_tensor = LAYOUTS[layout]
    ran = 0
    for sample in info.samples(dtype):
        tensors = []
        for a in sample.args:
            if isinstance(a, np.ndarray):
                t = make_tensor(a, dtype)
                if t is None:
                    t = from_numpy(a, dtype)
                else:
                    assert layout == "contiguous" or not t.is_contiguous() or a.size <= 1 or min(a.shape) <= 1
                tensors.append(t)
            else:
                tensors.append(a)
        expected = info.ref(*sample.args, **sample.kwargs)
        actual = info.op(torch, *tensors, **sample.kwargs)
        # Integer inputs of float-valued ops are checked at the result's precision.
        result_dtype = str(actual[0].dtype if isinstance(actual, tuple) else getattr(actual, "dtype", dtype))
        rtol, atol = info.tolerance(dtype if dtype not in ("bool",) + INTS else result_dtype.replace("torch.", ""))
        if isinstance(expected, tuple):
            for act, exp in zip(actual, expected):
                assert_close(act, exp, rtol=rtol, atol=atol, check_dtype=info.check_dtype)
        else:
            assert_close(actual, expected, rtol=rtol, atol=atol, check_dtype=info.check_dtype)
        # Inputs are never modified by out-of-place ops.
        for a, t in zip(sample.args, tensors):
            if isinstance(a, np.ndarray):
                assert_close(t, a.astype(np.float32) if dtype == "bfloat16" else a, check_dtype=False)
        ran += 1
    assert ran > 0
