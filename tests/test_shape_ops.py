"""Shape ops that move data: cat/stack family, flip, roll, repeat, tile, repeat_interleave,
meshgrid, tril/triu, rot90, atleast_*. Values against numpy through the registry entries, on
contiguous, transposed, strided and expanded inputs; errors against PyTorch's messages."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, to_numpy
from registry import make
from registry.shape import LAYOUTS, OPS, run_sample

LINALG = {"matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "kron", "addmm", "addmv",
          "baddbmm", "addbmm", "einsum", "tensordot", "trace", "diag", "diag_embed"}
SHAPE_OPS = [o for o in OPS if o.name not in LINALG]
CASES = [(o, d) for o in SHAPE_OPS for d in o.dtypes]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("info,dtype", CASES, ids=[f"{o.name}-{d}" for o, d in CASES])
def test_registry_entries(info, dtype, layout):
    for sample in info.samples(dtype):
        run_sample(torch, info, dtype, sample, layout, assert_close)


def T(a):
    return torch.tensor(np.array(a, order="C"))


# ---------------------------------------------------------------- cat / stack


@pytest.mark.parametrize("da,db,expected", [
    ("int32", "float64", "float64"), ("bool", "uint8", "uint8"), ("int8", "uint8", "int16"),
    ("float16", "bfloat16", "float32"), ("int64", "float16", "float16"),
])
def test_cat_promotes(da, db, expected):
    a, b = make((2, 2), da, 1), make((3, 2), db, 2)
    r = torch.cat([T(a), T(b)])
    assert r.dtype == getattr(torch, expected)
    assert_close(r.float() if expected == "bfloat16" else r, np.concatenate([a, b]).astype(expected if expected != "bfloat16" else "float32"), check_dtype=False)


def test_cat_skips_legacy_empty():
    a = make((2, 3), "float64", 1)
    r = torch.cat([torch.tensor([]), T(a), torch.tensor([])], dim=1)
    assert r.dtype == torch.float64
    assert_close(r, a)
    e = torch.cat([torch.tensor([]), torch.tensor([])])
    assert tuple(e.shape) == (0,)


def test_cat_aliases_and_out():
    a, b = make((2, 3), "float32", 1), make((2, 3), "float32", 2)
    assert_close(torch.concat((T(a), T(b)), dim=1), np.concatenate([a, b], 1))
    assert_close(torch.concatenate([T(a), T(b)], axis=1), np.concatenate([a, b], 1))
    out = torch.tensor(np.zeros((4, 3), np.float32))
    view = out.t()
    r = torch.cat([T(a), T(b)], out=out)
    assert r is out
    assert_close(view, np.concatenate([a, b]).T)
    small = torch.tensor(np.zeros(1, np.float32))
    assert tuple(torch.cat([T(a), T(b)], out=small).shape) == (4, 3)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double instead"):
        torch.cat([T(a)], out=torch.tensor(np.zeros((2, 3))))


def test_cat_errors():
    a, b = T(make((2, 2), "float32")), T(make((3, 3), "float32"))
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 1\. Expected size 2 but got size 3 for tensor number 1 in the list\."):
        torch.cat([a, b], dim=1)
    with pytest.raises(ValueError, match=r"torch\.cat\(\): expected a non-empty list of Tensors"):
        torch.cat([])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 1\\) cannot be concatenated"):
        torch.cat([a, torch.tensor(1.0)])
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        torch.cat([a, torch.tensor([1.0])])
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.cat([a, a], dim=2)
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        torch.cat([a, 1])
    with pytest.raises(TypeError):
        torch.cat(a)


def test_stack_errors_and_family():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        torch.stack([torch.tensor([1, 2]), torch.tensor([1, 2, 3])])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        torch.stack([])
    with pytest.raises(IndexError):
        torch.stack([torch.tensor([1, 2])], dim=3)
    for name in ("hstack", "vstack", "dstack", "column_stack", "row_stack"):
        with pytest.raises(RuntimeError, match="expects a non-empty TensorList"):
            getattr(torch, name)([])
    a = torch.tensor([1, 2, 3])
    assert torch.column_stack([a, torch.tensor([7, 8, 9]), a]).tolist() == [[1, 7, 1], [2, 8, 2], [3, 9, 3]]
    assert torch.column_stack([torch.tensor(1), torch.tensor(2)]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1"):
        torch.column_stack([a, torch.tensor(7)])
    assert torch.row_stack([a, a]).tolist() == [[1, 2, 3], [1, 2, 3]]
    s = torch.stack((a.float(), a.double()), dim=1)
    assert s.dtype == torch.float64


# ---------------------------------------------------------------- flips, rolls, repeats


def test_flip_forms_and_errors():
    a = make((2, 3, 4), "int64")
    assert_close(T(a).flip(0, 2), np.flip(a, (0, 2)))
    assert_close(torch.flip(T(a), (1,)), np.flip(a, 1))
    assert_close(T(a).flip([]), a)
    z = torch.tensor(5.0)
    assert z.flip(0).item() == 5.0
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        T(a).flip(0, -3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        T(a).flip(3)
    with pytest.raises(RuntimeError, match=r"Input must be >= 2-d\."):
        torch.tensor([1, 2]).fliplr()
    with pytest.raises(RuntimeError, match=r"Input must be >= 1-d\."):
        torch.tensor(1).flipud()
    t = T(a)
    f = t.flip(1)
    assert f.is_contiguous()
    f.fill_(0)
    assert_close(t, a)  # a copy, not a view


def test_roll_errors_and_edge_cases():
    a = make((3, 4), "float32")
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        T(a).roll((1, 2), 0)
    assert_close(T(a).roll(10**12, 1), np.roll(a, 10**12, 1))
    assert_close(T(np.zeros((0, 3), np.float32)).roll(1, 0), np.zeros((0, 3), np.float32))
    assert_close(torch.tensor(3).roll(1), np.array(3))


def test_repeat_tile_errors():
    a = T(make((2, 3), "int64"))
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"):
        a.repeat(2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        a.repeat(-1, 2)
    assert tuple(a.repeat([2, 1]).shape) == (4, 3)
    assert tuple(a.tile(2).shape) == (2, 6)
    assert tuple(torch.tile(a, (1, 2, 1)).shape) == (1, 4, 3)


def test_repeat_interleave_forms_and_errors():
    x = torch.tensor([[1, 2], [3, 4]])
    assert torch.repeat_interleave(torch.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    assert x.repeat_interleave(torch.tensor(2), dim=0).tolist() == [[1, 2], [1, 2], [3, 4], [3, 4]]
    assert torch.repeat_interleave(x, 2, dim=1, output_size=4).tolist() == [[1, 1, 2, 2], [3, 3, 4, 4]]
    assert torch.tensor(7).repeat_interleave(3).tolist() == [7, 7, 7]
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(torch.tensor([1, -1]), dim=0)
    with pytest.raises(RuntimeError, match=r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 3 and input.size\(0\) = 2"):
        x.repeat_interleave(torch.tensor([1, 2, 3]), dim=0)
    with pytest.raises(RuntimeError, match="allocated size does not match required size"):
        x.repeat_interleave(2, dim=0, output_size=3)


# ---------------------------------------------------------------- meshgrid, triangles, rot90


def test_meshgrid_forms_and_errors():
    a, b = torch.tensor([1, 2, 3]), torch.tensor([4, 5])
    gx, gy = torch.meshgrid([a, b], indexing="xy")
    nx, ny = np.meshgrid([1, 2, 3], [4, 5], indexing="xy")
    assert_close(gx, nx)
    assert_close(gy, ny)
    (g0,) = torch.meshgrid(a)
    assert g0.tolist() == [1, 2, 3]
    g = torch.meshgrid(a, torch.tensor(9))
    assert tuple(g[1].shape) == (3, 1)
    with pytest.raises(RuntimeError, match="torch.meshgrid: Expected 0D or 1D tensor in the tensor list"):
        torch.meshgrid(torch.tensor([[1]]), a)
    with pytest.raises(RuntimeError, match="torch.meshgrid: indexing must be one of \"xy\" or \"ij\""):
        torch.meshgrid(a, b, indexing="yx")
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.meshgrid(a, b.float())


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_inplace_and_errors(name):
    a = make((3, 4), "float32")
    t = T(a)
    r = getattr(t, name + "_")(1)
    assert r is t
    assert_close(t, getattr(np, name)(a, 1))
    # in place through a transposed view writes into the base
    base = T(a)
    getattr(base.t(), name + "_")()
    assert_close(base, getattr(np, name)(a.T).T)
    with pytest.raises(RuntimeError, match=f"{name}: input tensor must have at least 2 dimensions"):
        getattr(torch.tensor([1.0, 2.0]), name)()
    assert_close(getattr(torch, name)(T(np.zeros((2, 0, 3), np.int8))), np.zeros((2, 0, 3), np.int8))


def test_rot90_errors():
    a = T(make((2, 3), "float32"))
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2, but got dims = 1"):
        a.rot90(1, [0])
    with pytest.raises(RuntimeError, match="expected total dims >= 2, but got total dims = 1"):
        torch.tensor([1.0]).rot90()
    with pytest.raises(RuntimeError, match="expected rotation dims to be different"):
        a.rot90(1, [1, -1])
    assert_close(a.rot90(4), to_numpy(a))


def test_atleast():
    s = torch.tensor(3.0)
    assert tuple(torch.atleast_1d(s).shape) == (1,)
    assert tuple(torch.atleast_2d(torch.tensor([1, 2])).shape) == (1, 2)
    assert tuple(torch.atleast_3d(torch.tensor([1, 2])).shape) == (1, 2, 1)
    assert tuple(torch.atleast_3d(T(np.zeros((2, 3)))).shape) == (2, 3, 1)
    r = torch.atleast_2d(s, torch.tensor([1.0]))
    assert isinstance(r, tuple) and [tuple(x.shape) for x in r] == [(1, 1), (1, 1)]
    r = torch.atleast_1d([s, s])
    assert isinstance(r, tuple) and len(r) == 2
