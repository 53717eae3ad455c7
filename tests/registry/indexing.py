"""Registry entries for the indexing family.

Index arguments travel as Python lists in `sample.kwargs` (the registry turns numpy arrays in
`sample.args` into tensors of the dtype under test, which would make them float); each `op`
turns them into int64 tensors with `torch.tensor(...)` and each `ref` into numpy int64 arrays.
Masks are built inside `op`/`ref` from the data (`x > 0`), so they follow the tested layout.
"""
import numpy as np

from . import ALL, FLOATS, HALFS, INTS, OpInfo, Sample, make

_NUM = FLOATS + HALFS + INTS
_GATHER_IDX = [[2, 0, 1, 1], [0, 0, 2, 1], [1, 2, 0, 0]]


def _samples_2d(dtype):
    return [Sample((make((3, 4), dtype, seed=1),), name="3x4")]


def _np_scatter(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        if add:
            out[tuple(tgt)] += src[pos]
        else:
            out[tuple(tgt)] = src[pos]
    return out


def _np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    out = x.astype(np.float64)
    groups = {}
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for tgt, vals in groups.items():
        vals = ([x[tgt]] if include_self else []) + vals
        out[tgt] = fns[reduce](np.array(vals, dtype=np.float64))
    return out.astype(x.dtype)


def _scatter_reduce_samples(d):
    x, src = make((3, 4), d, seed=21), make((4, 4), d, seed=22)
    idx = {"index": [[0, 1, 2, 0], [2, 2, 1, 1], [0, 0, 0, 2], [1, 1, 1, 1]]}
    return [Sample((x, src), {**idx, "reduce": r, "include_self": inc}, f"{r}-{inc}")
            for r in ("sum", "mean", "amax", "amin", "prod") for inc in (True, False)]


def _np_index_add(x, dim, index, source, alpha=1):
    out = x.copy()
    moved = np.moveaxis(out, dim, 0)
    src = np.moveaxis(source, dim, 0)
    for i, k in enumerate(index):
        moved[k] = moved[k] + alpha * src[i]
    return out


def _np_index_copy(x, dim, index, source):
    out = x.copy()
    np.moveaxis(out, dim, 0)[index] = np.moveaxis(source, dim, 0)
    return out


def _np_index_fill(x, dim, index, value):
    out = x.copy()
    np.moveaxis(out, dim, 0)[index] = value
    return out


def _np_masked_scatter(x, mask, source):
    out = x.copy()
    out[mask] = source.reshape(-1)[: int(mask.sum())]
    return out


def _np_put(x, index, source, accumulate):
    out = x.copy().reshape(-1)
    for k, v in zip(index.reshape(-1), source.reshape(-1)):
        out[k] = out[k] + v if accumulate else v
    return out.reshape(x.shape)


OPS = [
    OpInfo(
        "getitem_basic",
        op=lambda torch, x: x[1:, None, ::2],
        ref=lambda x: x[1:, None, ::2],
        samples=_samples_2d,
        dtypes=ALL,
    ),
    OpInfo(
        "getitem_advanced",
        op=lambda torch, x, rows, cols: x[torch.tensor(rows), torch.tensor(cols)],
        ref=lambda x, rows, cols: x[np.array(rows), np.array(cols)],
        samples=lambda d: [Sample((make((3, 4), d, seed=2),), {"rows": [[0], [2]], "cols": [1, 3, -1]}),
                           Sample((make((3, 4), d, seed=2),), {"rows": [0, 0, 2], "cols": [1, 1, 3]}, "duplicates")],
        dtypes=ALL,
    ),
    OpInfo(
        "getitem_mask",
        op=lambda torch, x: x[x > 0],
        ref=lambda x: x[x > 0],
        samples=lambda d: [Sample((make((3, 4), d, seed=3),))],
        dtypes=_NUM,
    ),
    OpInfo(
        "gather",
        op=lambda torch, x, index: torch.gather(x, 1, torch.tensor(index)),
        ref=lambda x, index: np.take_along_axis(x, np.array(index), 1),
        samples=lambda d: [Sample((make((3, 4), d, seed=4),), {"index": _GATHER_IDX})],
        dtypes=ALL,
    ),
    OpInfo(
        "index_select",
        op=lambda torch, x, index: torch.index_select(x, 0, torch.tensor(index)),
        ref=lambda x, index: np.take(x, np.array(index), axis=0),
        samples=lambda d: [Sample((make((3, 4), d, seed=5),), {"index": [2, 0, 2]})],
        dtypes=ALL,
    ),
    OpInfo(
        "take",
        op=lambda torch, x, index: torch.take(x, torch.tensor(index)),
        ref=lambda x, index: np.take(x.reshape(-1), np.array(index)),
        samples=lambda d: [Sample((make((3, 4), d, seed=6),), {"index": [[0, 11], [-1, 5]]})],
        dtypes=ALL,
    ),
    OpInfo(
        "scatter",
        op=lambda torch, x, src, index: torch.scatter(x, 0, torch.tensor(index), src),
        ref=lambda x, src, index: _np_scatter(x, 0, np.array(index), src),
        samples=lambda d: [Sample((make((3, 4), d, seed=7), make((2, 4), d, seed=8)), {"index": [[0, 1, 2, 0], [2, 2, 1, 1]]})],
        dtypes=ALL,
    ),
    OpInfo(
        "scatter_add",
        op=lambda torch, x, src, index: torch.scatter_add(x, 1, torch.tensor(index), src),
        ref=lambda x, src, index: _np_scatter(x, 1, np.array(index), src, add=True),
        samples=lambda d: [Sample((make((3, 4), d, seed=9), make((3, 2), d, seed=10)), {"index": [[0, 0], [3, 1], [2, 2]]})],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "index_add",
        op=lambda torch, x, src, index: torch.index_add(x, 1, torch.tensor(index), src, alpha=2),
        ref=lambda x, src, index: _np_index_add(x, 1, np.array(index), src, alpha=2).astype(x.dtype),
        samples=lambda d: [Sample((make((3, 4), d, seed=11), make((3, 3), d, seed=12)), {"index": [3, 0, 3]})],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "masked_fill",
        op=lambda torch, x: torch.masked_fill(x, x > 0, 7),
        ref=lambda x: np.where(x > 0, np.array(7).astype(x.dtype), x),
        samples=lambda d: [Sample((make((3, 4), d, seed=13),))],
        dtypes=_NUM,
    ),
    OpInfo(
        "masked_select",
        op=lambda torch, x, y: torch.masked_select(x, y > 0),
        ref=lambda x, y: np.broadcast_to(x, np.broadcast_shapes(x.shape, y.shape))[np.broadcast_to(y > 0, np.broadcast_shapes(x.shape, y.shape))],
        samples=lambda d: [Sample((make((3, 4), d, seed=14), make((4,), d, seed=15)))],
        dtypes=_NUM,
    ),
    OpInfo(
        "where",
        op=lambda torch, c, x, y: torch.where(c > 0, x, y),
        ref=lambda c, x, y: np.where(c > 0, x, y),
        samples=lambda d: [Sample((make((3, 1), d, seed=16), make((3, 4), d, seed=17), make((4,), d, seed=18)))],
        dtypes=_NUM,
    ),
    OpInfo(
        "scatter_reduce",
        op=lambda torch, x, src, index, reduce, include_self: torch.scatter_reduce(
            x, 0, torch.tensor(index), src, reduce, include_self=include_self),
        ref=lambda x, src, index, reduce, include_self: _np_scatter_reduce(x, 0, np.array(index), src, reduce, include_self),
        samples=_scatter_reduce_samples,
        dtypes=FLOATS,
    ),
    OpInfo(
        "index_copy",
        op=lambda torch, x, src, index: torch.index_copy(x, 1, torch.tensor(index), src),
        ref=lambda x, src, index: _np_index_copy(x, 1, np.array(index), src),
        samples=lambda d: [Sample((make((3, 4), d, seed=23), make((3, 2), d, seed=24)), {"index": [3, 0]})],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "index_fill",
        op=lambda torch, x, index: torch.index_fill(x, 0, torch.tensor(index), -1.5),
        ref=lambda x, index: _np_index_fill(x, 0, np.array(index), -1.5),
        samples=lambda d: [Sample((make((3, 4), d, seed=25),), {"index": [2, 0]})],
        dtypes=FLOATS,
    ),
    OpInfo(
        "masked_scatter",
        op=lambda torch, x, src: torch.masked_scatter(x, x > 0, src),
        ref=lambda x, src: _np_masked_scatter(x, x > 0, src),
        samples=lambda d: [Sample((make((3, 4), d, seed=26), make((4, 4), d, seed=27)))],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "take_along_dim",
        op=lambda torch, x, index, dim: torch.take_along_dim(x, torch.tensor(index), dim),
        ref=lambda x, index, dim: (np.take_along_axis(x, np.array(index), dim) if dim is not None
                                   else np.take(x.reshape(-1), np.array(index).reshape(-1))),
        samples=lambda d: [Sample((make((3, 4), d, seed=28),), {"index": [[3, 0, 3]], "dim": 1}, "broadcast"),
                           Sample((make((3, 4), d, seed=28),), {"index": [[1, 11], [5, 5]], "dim": None}, "flat")],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "put",
        op=lambda torch, x, src, index, accumulate: x.put(torch.tensor(index), src, accumulate),
        ref=lambda x, src, index, accumulate: _np_put(x, np.array(index), src, accumulate),
        samples=lambda d: [Sample((make((3, 4), d, seed=29), make((2, 2), d, seed=30)), {"index": [[1, 11], [-2, 4]], "accumulate": False}, "set"),
                           Sample((make((3, 4), d, seed=29), make((3,), d, seed=31)), {"index": [1, 1, 4], "accumulate": True}, "acc")],
        dtypes=FLOATS + INTS,
    ),
    OpInfo(
        "nonzero",
        op=lambda torch, x: torch.nonzero(x),
        ref=lambda x: np.argwhere(x).astype(np.int64),
        samples=lambda d: [Sample((make((3, 4), d, seed=19),))],
        dtypes=ALL,
        differentiable=False,
    ),
]
