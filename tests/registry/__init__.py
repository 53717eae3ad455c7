"""The op registry: one `OpInfo` per op, with a numpy reference and sample inputs.

The core tests run every entry against numpy on contiguous, transposed, sliced, broadcast,
0-d and empty inputs; the autograd and GPU work reuse the same entries (gradients against
finite differences, GPU against CPU). Each op family keeps its entries in its own module
here; `ALL_OPS` collects them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

FLOATS = ("float32", "float64")
HALFS = ("float16", "bfloat16")
INTS = ("int64", "int32", "int16", "int8", "uint8")
ALL = FLOATS + HALFS + INTS + ("bool",)


@dataclass
class Sample:
    """Positional args (numpy arrays become tensors, anything else passes through) and kwargs."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str
    # Calls the ferrotorch op: fn(torch_module, *args, **kwargs).
    op: Callable[..., Any]
    # numpy reference with the same arguments (numpy arrays in place of tensors).
    ref: Callable[..., Any]
    # dtype name -> list of samples.
    samples: Callable[[str], Sequence[Sample]]
    dtypes: Sequence[str] = FLOATS
    # Tolerances per dtype name (rtol, atol); defaults below.
    tol: dict = field(default_factory=dict)
    differentiable: bool = True
    # Whether the op's result dtype must equal numpy's (after mapping), or only the values.
    check_dtype: bool = True

    def tolerance(self, dtype: str):
        default = {
            "float16": (1e-2, 1e-2),
            "bfloat16": (2e-2, 2e-2),
            "float32": (1e-5, 1e-6),
            "float64": (1e-10, 1e-12),
        }.get(dtype, (0, 0))
        return self.tol.get(dtype, default)

    def __repr__(self):
        return self.name


def rng(seed=0):
    return np.random.default_rng(seed)


def np_dtype(name: str):
    """numpy dtype used to build inputs; bfloat16 inputs are built as float32 then cast."""
    return np.float32 if name == "bfloat16" else np.dtype(name)


def make(shape, dtype: str, seed=0, low=-3.0, high=3.0):
    """A random numpy array of `dtype` (values representable in every dtype of its kind)."""
    return np.asarray(_make(shape, dtype, seed, low, high))


def _make(shape, dtype, seed, low, high):
    r = rng(seed)
    if dtype == "bool":
        return r.random(shape) > 0.5
    if dtype in INTS:
        lo = 0 if dtype == "uint8" else int(low)
        return r.integers(lo, int(high) + 1, size=shape).astype(dtype)
    a = r.uniform(low, high, size=shape)
    if dtype in ("float16", "bfloat16"):
        a = _round_to_bfloat16(a.astype(np.float32))  # exactly representable in both
    return a.astype(np_dtype(dtype))


def _round_to_bfloat16(a):
    """Round float32 values to bfloat16 precision (keeping float32 storage)."""
    bits = a.view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32)


def _collect():
    from . import elementwise, reduce, indexing, shape, creation, composites  # noqa: F401

    ops = []
    for mod in (elementwise, reduce, indexing, shape, creation, composites):
        for info in getattr(mod, "OPS", []):
            info.family = mod.__name__.rsplit(".", 1)[-1]
            ops.append(info)
    return ops


ALL_OPS: list[OpInfo] = _collect()
