"""Registry entries for the shape family: data-moving shape ops and matrix products."""
import numpy as np

from . import ALL, FLOATS, HALFS, INTS, OpInfo, Sample, make

NUMERIC = FLOATS + HALFS + INTS  # matrix products have no bool kernel, as in PyTorch


def _s(*args, name="", **kwargs):
    # `make` gives numpy scalars for some 0-d bool samples; keep every array an ndarray
    args = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in args)
    return Sample(args=args, kwargs=kwargs, name=name)


def _int_result(x):
    """numpy sums small ints into platform ints; PyTorch's trace returns int64 for them."""
    x = np.asarray(x)
    return x.astype(np.int64) if x.dtype.kind in "biu" else x


# ---------------------------------------------------------------- joins


def _cat_samples(d):
    return [
        _s(make((2, 3), d, 1), make((4, 3), d, 2), dim=0, name="dim0"),
        _s(make((2, 3), d, 1), make((2, 1), d, 2), make((2, 2), d, 3), dim=1, name="dim1"),
        _s(make((2, 3, 2), d, 1), make((2, 3, 1), d, 2), dim=-1, name="neg"),
        _s(make((0, 3), d, 1), make((2, 3), d, 2), dim=0, name="empty"),
        _s(make((5,), d, 1), make((2,), d, 2), dim=0, name="1d"),
    ]


def _stack_samples(d):
    return [
        _s(make((2, 3), d, 1), make((2, 3), d, 2), dim=0),
        _s(make((2, 3), d, 1), make((2, 3), d, 2), make((2, 3), d, 3), dim=2),
        _s(make((4,), d, 1), make((4,), d, 2), dim=-1),
        _s(make((), d, 1), make((), d, 2), dim=0, name="0d"),
    ]


def _hv_samples(d):
    return [
        _s(make((3,), d, 1), make((3,), d, 2), name="1d"),
        _s(make((2, 3), d, 1), make((2, 3), d, 2), name="2d"),
        _s(make((2, 3, 2), d, 1), make((2, 3, 2), d, 2), name="3d"),
        _s(make((), d, 1), make((), d, 2), name="0d"),
    ]


def _list_op(name):
    return lambda t, *xs, **k: getattr(t, name)(list(xs), **k)


OPS = [
    OpInfo("cat", _list_op("cat"), lambda *xs, dim=0: np.concatenate(xs, axis=dim), _cat_samples, ALL, differentiable=True),
    OpInfo("concat", _list_op("concat"), lambda *xs, dim=0: np.concatenate(xs, axis=dim), _cat_samples, FLOATS),
    OpInfo("stack", _list_op("stack"), lambda *xs, dim=0: np.stack(xs, axis=dim), _stack_samples, ALL),
    OpInfo("hstack", _list_op("hstack"), lambda *xs: np.hstack(xs), _hv_samples, ALL),
    OpInfo("vstack", _list_op("vstack"), lambda *xs: np.vstack(xs), _hv_samples, ALL),
    OpInfo("dstack", _list_op("dstack"), lambda *xs: np.dstack(xs), _hv_samples, ALL),
    OpInfo("column_stack", _list_op("column_stack"), lambda *xs: np.column_stack(xs), _hv_samples, ALL),
]

# ---------------------------------------------------------------- reorderings and repeats

OPS += [
    OpInfo(
        "flip",
        lambda t, x, dims: x.flip(dims),
        lambda x, dims: np.flip(x, axis=tuple(dims)).copy(),
        lambda d: [
            _s(make((3, 4), d), dims=[0]),
            _s(make((3, 4), d), dims=[-1]),
            _s(make((2, 3, 4), d), dims=[0, 2]),
            _s(make((5,), d), dims=[0]),
            _s(make((0, 3), d), dims=[1], name="empty"),
        ],
        ALL,
    ),
    OpInfo("fliplr", lambda t, x: t.fliplr(x), lambda x: np.fliplr(x).copy(), lambda d: [_s(make((3, 4), d)), _s(make((2, 3, 2), d))], ALL),
    OpInfo("flipud", lambda t, x: t.flipud(x), lambda x: np.flipud(x).copy(), lambda d: [_s(make((3, 4), d)), _s(make((5,), d))], ALL),
    OpInfo(
        "roll",
        lambda t, x, shifts, dims=None: t.roll(x, shifts, dims),
        lambda x, shifts, dims=None: np.roll(x, shifts, axis=dims),
        lambda d: [
            _s(make((3, 4), d), shifts=1, name="flat"),
            _s(make((3, 4), d), shifts=-5, dims=1),
            _s(make((3, 4, 2), d), shifts=(1, 7), dims=(0, 2)),
            _s(make((6,), d), shifts=2, dims=0),
        ],
        ALL,
    ),
    OpInfo(
        "repeat",
        lambda t, x, sizes: x.repeat(*sizes),
        lambda x, sizes: np.tile(x, sizes),
        lambda d: [
            _s(make((2, 3), d), sizes=(2, 2)),
            _s(make((3,), d), sizes=(2, 1, 3)),
            _s(make((2, 3), d), sizes=(0, 1), name="zero"),
            _s(make((), d), sizes=(3,), name="0d"),
        ],
        ALL,
    ),
    OpInfo(
        "tile",
        lambda t, x, dims: t.tile(x, dims),
        lambda x, dims: np.tile(x, dims),
        lambda d: [_s(make((2, 3), d), dims=(2,)), _s(make((2, 3), d), dims=(2, 1, 2))],
        ALL,
    ),
    OpInfo(
        "repeat_interleave",
        lambda t, x, repeats, dim=None: x.repeat_interleave(repeats, dim),
        lambda x, repeats, dim=None: np.repeat(x, repeats, axis=dim),
        lambda d: [
            _s(make((2, 3), d), repeats=2, name="flat"),
            _s(make((2, 3), d), repeats=3, dim=1),
            _s(make((2, 3), d), repeats=0, dim=0, name="zero"),
        ],
        ALL,
    ),
    OpInfo(
        "repeat_interleave_tensor",
        lambda t, x, repeats, dim=None: t.repeat_interleave(x, t.tensor(repeats), dim),
        lambda x, repeats, dim=None: np.repeat(x, repeats, axis=dim),
        lambda d: [_s(make((2, 3), d), repeats=[1, 0, 2], dim=1), _s(make((3, 2), d), repeats=[2, 1, 3], dim=0)],
        ALL,
    ),
    OpInfo(
        "meshgrid",
        lambda t, *xs, indexing: t.stack(t.meshgrid(*xs, indexing=indexing)),
        lambda *xs, indexing: np.stack(np.meshgrid(*xs, indexing=indexing)),
        lambda d: [
            _s(make((3,), d, 1), make((4,), d, 2), indexing="ij"),
            _s(make((3,), d, 1), make((4,), d, 2), indexing="xy"),
            _s(make((2,), d, 1), make((3,), d, 2), make((4,), d, 3), indexing="xy"),
        ],
        ALL,
    ),
    OpInfo(
        "tril",
        lambda t, x, diagonal=0: t.tril(x, diagonal),
        lambda x, diagonal=0: np.tril(x, diagonal),
        lambda d: [_s(make((4, 4), d)), _s(make((3, 5), d), diagonal=1), _s(make((2, 4, 3), d), diagonal=-1), _s(make((3, 3), d), diagonal=-9)],
        ALL,
    ),
    OpInfo(
        "triu",
        lambda t, x, diagonal=0: t.triu(x, diagonal),
        lambda x, diagonal=0: np.triu(x, diagonal),
        lambda d: [_s(make((4, 4), d)), _s(make((3, 5), d), diagonal=2), _s(make((2, 4, 3), d), diagonal=-1), _s(make((3, 3), d), diagonal=9)],
        ALL,
    ),
    OpInfo(
        "rot90",
        lambda t, x, k=1, dims=(0, 1): t.rot90(x, k, dims),
        lambda x, k=1, dims=(0, 1): np.rot90(x, k, axes=dims).copy(),
        lambda d: [_s(make((3, 4), d)), _s(make((3, 4), d), k=2), _s(make((2, 3, 4), d), k=-1, dims=(2, 0))],
        ALL,
    ),
]

# ---------------------------------------------------------------- matrix products


def _addx(d):
    """beta/alpha keywords: integer dtypes need integer factors."""
    return dict(beta=2, alpha=3) if d in INTS else dict(beta=0.5, alpha=2.0)


def _ref_add(inp, prod, beta=1, alpha=1):
    return (beta * inp + alpha * prod).astype(prod.dtype)


def _diag_embed_ref(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    i = np.arange(x.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., r, c] = x
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


_MATMUL_TOL = {"float16": (2e-2, 5e-2), "bfloat16": (3e-2, 1e-1)}

OPS += [
    OpInfo(
        "matmul",
        lambda t, a, b: t.matmul(a, b),
        lambda a, b: np.matmul(a, b),
        lambda d: [
            _s(make((3, 4), d, 1), make((4, 5), d, 2), name="2d"),
            _s(make((2, 3, 4), d, 1), make((2, 4, 5), d, 2), name="batched"),
            _s(make((2, 3, 4), d, 1), make((4, 5), d, 2), name="bcast_rhs"),
            _s(make((3, 4), d, 1), make((2, 4, 5), d, 2), name="bcast_lhs"),
            _s(make((2, 1, 3, 4), d, 1), make((5, 4, 2), d, 2), name="bcast_both"),
            _s(make((4,), d, 1), make((4, 5), d, 2), name="1d_2d"),
            _s(make((3, 4), d, 1), make((4,), d, 2), name="2d_1d"),
            _s(make((4,), d, 1), make((4,), d, 2), name="1d_1d"),
            _s(make((4,), d, 1), make((2, 4, 3), d, 2), name="1d_3d"),
            _s(make((2, 3, 4), d, 1), make((4,), d, 2), name="3d_1d"),
            _s(make((3, 0), d, 1), make((0, 2), d, 2), name="k0"),
            _s(make((0, 4), d, 1), make((4, 2), d, 2), name="m0"),
        ],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo("mm", lambda t, a, b: t.mm(a, b), np.matmul, lambda d: [_s(make((3, 4), d, 1), make((4, 2), d, 2)), _s(make((1, 7), d, 1), make((7, 1), d, 2))], NUMERIC, tol=_MATMUL_TOL),
    OpInfo("bmm", lambda t, a, b: t.bmm(a, b), np.matmul, lambda d: [_s(make((2, 3, 4), d, 1), make((2, 4, 2), d, 2)), _s(make((0, 3, 4), d, 1), make((0, 4, 2), d, 2), name="empty")], NUMERIC, tol=_MATMUL_TOL),
    OpInfo("mv", lambda t, a, v: t.mv(a, v), np.matmul, lambda d: [_s(make((3, 4), d, 1), make((4,), d, 2))], NUMERIC, tol=_MATMUL_TOL),
    OpInfo("dot", lambda t, a, b: t.dot(a, b), lambda a, b: np.asarray(np.dot(a, b)), lambda d: [_s(make((5,), d, 1), make((5,), d, 2)), _s(make((0,), d, 1), make((0,), d, 2), name="empty")], NUMERIC, tol=_MATMUL_TOL),
    OpInfo("vdot", lambda t, a, b: t.vdot(a, b), lambda a, b: np.asarray(np.vdot(a, b)), lambda d: [_s(make((5,), d, 1), make((5,), d, 2))], NUMERIC, tol=_MATMUL_TOL),
    OpInfo(
        "inner",
        lambda t, a, b: t.inner(a, b),
        lambda a, b: np.asarray(np.inner(a, b)),
        lambda d: [_s(make((5,), d, 1), make((5,), d, 2)), _s(make((2, 3), d, 1), make((4, 3), d, 2)), _s(make((2, 3, 2), d, 1), make((2,), d, 2))],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo("outer", lambda t, a, b: t.outer(a, b), np.outer, lambda d: [_s(make((3,), d, 1), make((4,), d, 2))], ALL),
    OpInfo("ger", lambda t, a, b: t.ger(a, b), np.outer, lambda d: [_s(make((3,), d, 1), make((2,), d, 2))], FLOATS),
    OpInfo(
        "kron",
        lambda t, a, b: t.kron(a, b),
        np.kron,
        lambda d: [_s(make((2, 3), d, 1), make((3, 2), d, 2)), _s(make((3,), d, 1), make((2, 2), d, 2)), _s(make((2, 1, 2), d, 1), make((2, 3), d, 2))],
        ALL,
    ),
    OpInfo(
        "addmm",
        lambda t, i, a, b, **k: t.addmm(i, a, b, **k),
        lambda i, a, b, beta=1, alpha=1: _ref_add(i, a @ b, beta, alpha),
        lambda d: [
            _s(make((3, 2), d, 0), make((3, 4), d, 1), make((4, 2), d, 2)),
            _s(make((2,), d, 0), make((3, 4), d, 1), make((4, 2), d, 2), name="bcast", **_addx(d)),
        ],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo(
        "addmv",
        lambda t, i, a, v, **k: t.addmv(i, a, v, **k),
        lambda i, a, v, beta=1, alpha=1: _ref_add(i, a @ v, beta, alpha),
        lambda d: [_s(make((3,), d, 0), make((3, 4), d, 1), make((4,), d, 2), **_addx(d))],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo(
        "baddbmm",
        lambda t, i, a, b, **k: t.baddbmm(i, a, b, **k),
        lambda i, a, b, beta=1, alpha=1: _ref_add(i, a @ b, beta, alpha),
        lambda d: [_s(make((2, 3, 2), d, 0), make((2, 3, 4), d, 1), make((2, 4, 2), d, 2), **_addx(d)), _s(make((3, 2), d, 0), make((2, 3, 4), d, 1), make((2, 4, 2), d, 2), name="bcast")],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo(
        "addbmm",
        lambda t, i, a, b, **k: t.addbmm(i, a, b, **k),
        lambda i, a, b, beta=1, alpha=1: _ref_add(i, (a @ b).sum(0).astype(a.dtype), beta, alpha),
        lambda d: [_s(make((3, 2), d, 0), make((2, 3, 4), d, 1), make((2, 4, 2), d, 2), **_addx(d))],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo(
        "einsum",
        lambda t, eq, *xs: t.einsum(eq, *xs),
        lambda eq, *xs: np.asarray(np.einsum(eq, *xs)),
        lambda d: [
            _s("ij,jk->ik", make((3, 4), d, 1), make((4, 2), d, 2), name="mm"),
            _s("bij,bjk->bik", make((2, 3, 4), d, 1), make((2, 4, 2), d, 2), name="bmm"),
            _s("ij,kj", make((3, 4), d, 1), make((2, 4), d, 2), name="implicit"),
            _s("ii->i", make((3, 3), d, 1), name="diag"),
            _s("ii", make((3, 3), d, 1), name="trace"),
            _s("ij->", make((3, 4), d, 1), name="sum"),
            _s("ijk->kji", make((2, 3, 4), d, 1), name="permute"),
            _s("i,j->ij", make((3,), d, 1), make((4,), d, 2), name="outer"),
            _s("...ij,...jk->...ik", make((2, 3, 4), d, 1), make((4, 2), d, 2), name="ellipsis"),
            _s("bn,anm,bm->ba", make((2, 3), d, 1), make((4, 3, 2), d, 2), make((2, 2), d, 3), name="bilinear"),
            _s("iij,jk->ik", make((3, 3, 2), d, 1), make((2, 4), d, 2), name="diag_contract"),
            _s("i...->...", make((3, 2, 2), d, 1), name="ellipsis_sum"),
        ],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo(
        "tensordot",
        lambda t, a, b, dims: t.tensordot(a, b, dims=dims),
        lambda a, b, dims: np.asarray(np.tensordot(a, b, axes=dims)),
        lambda d: [
            _s(make((2, 3, 4), d, 1), make((3, 4, 5), d, 2), dims=2),
            _s(make((2, 3, 4), d, 1), make((4, 3, 5), d, 2), dims=([1, 2], [1, 0])),
            _s(make((2, 3), d, 1), make((4, 5), d, 2), dims=0, name="outer"),
        ],
        NUMERIC,
        tol=_MATMUL_TOL,
    ),
    OpInfo("trace", lambda t, x: t.trace(x), lambda x: _int_result(np.trace(x)), lambda d: [_s(make((3, 3), d)), _s(make((2, 4), d)), _s(make((0, 0), d), name="empty")], NUMERIC + ("bool",), tol=_MATMUL_TOL),
    OpInfo(
        "diag",
        lambda t, x, diagonal=0: t.diag(x, diagonal),
        lambda x, diagonal=0: np.diag(x, diagonal).copy(),
        lambda d: [_s(make((3,), d)), _s(make((3,), d), diagonal=-2), _s(make((3, 4), d)), _s(make((3, 4), d), diagonal=2), _s(make((3, 4), d), diagonal=-5)],
        ALL,
    ),
    OpInfo(
        "diag_embed",
        lambda t, x, **k: t.diag_embed(x, **k),
        _diag_embed_ref,
        lambda d: [_s(make((2, 3), d)), _s(make((2, 3), d), offset=1), _s(make((2, 3), d), offset=-1, dim1=0, dim2=2)],
        ALL,
    ),
]


# ---------------------------------------------------------------- layout variants
# The family's own tests run each entry on these layouts; the generic registry test does the
# same through its own machinery.

LAYOUTS = ("contiguous", "transposed", "strided", "expanded")


def to_layout(torch, a, dtype, layout):
    """A tensor with the values of numpy array `a` (or of its broadcast first row for
    'expanded', see `layout_values`) in the given memory layout."""
    def base(x):
        # np.ascontiguousarray would turn 0-d arrays into 1-d ones
        t = torch.tensor(np.array(x, order="C"))
        return t.to(getattr(torch, dtype))

    if layout == "transposed" and a.ndim >= 2:
        rev = tuple(reversed(range(a.ndim)))
        return base(np.transpose(a)).permute(*rev)
    if layout == "strided" and a.ndim >= 1:
        wide = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
        wide[..., ::2] = a
        t = base(wide)
        strides = list(t.stride())
        strides[-1] = 2
        return t.as_strided(a.shape, strides)
    if layout == "expanded" and a.ndim >= 1 and a.shape[0] > 1:
        return base(a[:1]).expand(*a.shape)
    return base(a)


def layout_values(a, layout):
    """The values `to_layout` gives for `a`."""
    if layout == "expanded" and a.ndim >= 1 and a.shape[0] > 1:
        return np.broadcast_to(a[:1], a.shape).copy()
    return a


def run_sample(torch, info, dtype, sample, layout, assert_close):
    """Runs one entry on one sample in one layout and compares with its numpy reference."""
    targs = [to_layout(torch, a, dtype, layout) if isinstance(a, np.ndarray) else a for a in sample.args]
    nargs = [layout_values(a, layout) if isinstance(a, np.ndarray) else a for a in sample.args]
    expected = info.ref(*nargs, **sample.kwargs)
    actual = info.op(torch, *targs, **sample.kwargs)
    rtol, atol = info.tolerance(dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, check_dtype=info.check_dtype)


# ---------------------------------------------------------------- views and copies
# (`view` and `as_strided` are left out: their results depend on the input's strides, which the
# registry varies.)

def _x(*shapes):
    return lambda d: [_s(make(s, d), name="x".join(map(str, s)) or "0d") for s in shapes]


OPS += [
    OpInfo("reshape", lambda t, x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2), _x((3, 4), (2, 3, 2)), ALL),
    OpInfo("permute", lambda t, x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), _x((2, 3, 4)), ALL),
    OpInfo("transpose", lambda t, x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, -1), _x((3, 4), (2, 3, 4)), ALL),
    OpInfo("t", lambda t, x: x.t(), lambda x: x.T, _x((3, 4), (5,)), ALL),
    OpInfo("expand", lambda t, x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), _x((3, 1), (4,)), ALL),
    OpInfo("squeeze", lambda t, x: x.squeeze(1), lambda x: np.squeeze(x, 1), _x((3, 1, 4)), ALL),
    OpInfo("unsqueeze", lambda t, x: x.unsqueeze(-1), lambda x: np.expand_dims(x, -1), _x((3, 4), ()), ALL),
    OpInfo("flatten", lambda t, x: x.flatten(), lambda x: x.reshape(-1), _x((2, 3, 4)), ALL),
    OpInfo("unflatten", lambda t, x: x.unflatten(1, (2, 2)), lambda x: x.reshape(x.shape[0], 2, 2), _x((3, 4)), ALL),
    OpInfo("narrow", lambda t, x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], _x((3, 4)), ALL),
    OpInfo("select", lambda t, x: x.select(1, -1), lambda x: x[:, -1], _x((3, 4), (2, 3, 4)), ALL),
    # One piece of the multi-output views (the comparison helper takes one shape per result).
    OpInfo("unbind", lambda t, x: x.unbind(1)[2], lambda x: x[:, 2], _x((3, 4)), ALL),
    OpInfo("split", lambda t, x: x.split(3, 1)[1], lambda x: x[:, 3:], _x((2, 5)), ALL),
    OpInfo("chunk", lambda t, x: x.chunk(2, 0)[1], lambda x: x[2:], _x((4, 3)), ALL),
    OpInfo("diagonal", lambda t, x: x.diagonal(1), lambda x: np.diagonal(x, 1).copy(), _x((3, 4)), ALL),
    OpInfo("movedim", lambda t, x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1), _x((2, 3, 4)), ALL),
    OpInfo("unfold", lambda t, x: x.unfold(1, 2, 1),
           lambda x: np.lib.stride_tricks.sliding_window_view(x, 2, axis=1), _x((3, 4)), ALL),
    OpInfo("clone", lambda t, x: x.clone(), lambda x: x.copy(), _x((3, 4), ()), ALL),
    OpInfo("contiguous", lambda t, x: x.contiguous(), lambda x: x, _x((3, 4)), ALL),
]
