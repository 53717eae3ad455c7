"""Registry entries for the creation family: the ops that take a tensor (``*_like``)."""
import numpy as np

from . import ALL, OpInfo, Sample, make


def _samples(dtype):
    return [
        Sample((make((2, 3), dtype),), name="2d"),
        Sample((make((4,), dtype, seed=1),), name="1d"),
        Sample((np.asarray(make((), dtype, seed=2)),), name="0d"),
        Sample((make((0, 3), dtype),), name="empty"),
    ]


def _full_samples(dtype):
    fill = True if dtype == "bool" else (3 if dtype not in ("float32", "float64", "float16", "bfloat16") else 2.5)
    return [Sample(s.args + (fill,), name=s.name) for s in _samples(dtype)]


OPS = [
    OpInfo(
        "zeros_like",
        op=lambda torch, x: torch.zeros_like(x),
        ref=lambda x: np.zeros_like(x),
        samples=_samples,
        dtypes=ALL,
        differentiable=False,
    ),
    OpInfo(
        "ones_like",
        op=lambda torch, x: torch.ones_like(x),
        ref=lambda x: np.ones_like(x),
        samples=_samples,
        dtypes=ALL,
        differentiable=False,
    ),
    OpInfo(
        "full_like",
        op=lambda torch, x, v: torch.full_like(x, v),
        ref=lambda x, v: np.full_like(x, v),
        samples=_full_samples,
        dtypes=ALL,
        differentiable=False,
    ),
    OpInfo(
        "zeros_like_float64",
        op=lambda torch, x: torch.zeros_like(x, dtype=torch.float64),
        ref=lambda x: np.zeros(x.shape, dtype=np.float64),
        samples=_samples,
        dtypes=ALL,
        differentiable=False,
    ),
]
