"""Autograd of indexing and sorting: node names, gradient routing (duplicated indices add up),
setitem and the in-place forms, double backward, errors, and 0-d / empty / broadcast cases."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck, gradgradcheck


def leaf(*shape, seed=0):
    a = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    return torch.tensor(a.tolist() if shape else float(a), dtype=torch.float64).requires_grad_()


def lt(v):
    return torch.tensor(v, dtype=torch.int64)


def grad_of(x, out, g=None):
    g = torch.ones_like(out) if g is None else g
    (gx,) = torch.autograd.grad(out, x, g)
    return np.asarray(gx.tolist())


# --------------------------------------------------------------------- getitem


@pytest.mark.parametrize("index,name", [
    ((1,), "SelectBackward0"),
    ((slice(None), slice(1, 3)), "SliceBackward0"),
    ((None, Ellipsis, 0), "SelectBackward0"),
    ((0, None), "UnsqueezeBackward0"),
    ((Ellipsis,), "AliasBackward0"),
])
def test_basic_getitem_records_a_view(index, name):
    x = leaf(3, 4)
    y = x[index]
    assert y.grad_fn.name() == name
    expected = np.zeros((3, 4))
    expected[index] = 1
    assert np.array_equal(grad_of(x, y), expected)


def test_basic_getitem_inplace_write_reaches_the_base():
    x = leaf(3, 4)
    y = x * 1
    row = y[1]
    row.mul_(3)
    y.sum().backward()
    expected = np.ones((3, 4))
    expected[1] = 3
    assert np.array_equal(np.asarray(x.grad.tolist()), expected)


def test_advanced_getitem_accumulates_duplicates():
    x = leaf(3, 4)
    y = x[lt([0, 2, 0]), lt([1, 1, 1])]
    assert y.grad_fn.name() == "IndexBackward0"
    expected = np.zeros((3, 4))
    expected[0, 1] = 2
    expected[2, 1] = 1
    assert np.array_equal(grad_of(x, y), expected)


def test_mask_and_combined_getitem():
    x = leaf(3, 4)
    mask = x > 0
    g = grad_of(x, x[mask])
    assert np.array_equal(g, np.asarray(mask.tolist()).astype(float))
    y = x[1:, lt([0, 0, 3])]
    expected = np.zeros((3, 4))
    expected[1:, 0] = 2
    expected[1:, 3] = 1
    assert np.array_equal(grad_of(x, y), expected)


def test_getitem_empty_and_0d():
    x = leaf(3, 4)
    y = x[lt([], )]
    assert y.shape == (0, 4)
    assert np.array_equal(grad_of(x, y), np.zeros((3, 4)))
    s = leaf()
    assert np.array_equal(grad_of(s, s[None]), np.array(1.0))


def test_getitem_gradgradcheck():
    x = leaf(3, 4)
    assert gradgradcheck(lambda t: t[lt([0, 2, 0]), 1:] ** 2, (x,))
    assert gradgradcheck(lambda t: t[1, ::2] ** 2, (x,))


def test_getitem_non_contiguous():
    x = leaf(4, 3).detach().T.requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: t[lt([1, 1]), 1:], (x,))
    assert gradcheck(lambda t: t[1:, ::2], (x,))


# --------------------------------------------------------------------- setitem, in-place forms


def test_setitem_routes_gradients():
    x = leaf(3, 4)
    v = leaf(4, seed=1)
    y = x * 1
    y[1] = v
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    expected = np.ones((3, 4))
    expected[1] = 0
    assert np.array_equal(np.asarray(x.grad.tolist()), expected)
    assert np.array_equal(np.asarray(v.grad.tolist()), np.ones(4))


def test_setitem_advanced_and_broadcast_value():
    x = leaf(3, 4)
    v = leaf(seed=2)
    y = x * 2
    y[lt([0, 2])] = v
    assert y.grad_fn.name() == "IndexPutBackward0"
    y.sum().backward()
    expected = np.full((3, 4), 2.0)
    expected[[0, 2]] = 0
    assert np.array_equal(np.asarray(x.grad.tolist()), expected)
    assert v.grad.item() == 8.0


def test_setitem_basic_when_only_the_value_requires_grad():
    y = torch.zeros(2, 3, dtype=torch.float64)
    v = leaf(3)
    y[0, :] = v
    assert y.grad_fn.name() == "IndexPutBackward0"
    (y * 2).sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0]


def test_setitem_gradcheck():
    def f(a, b):
        y = a * 1
        y[0, 1:] = b
        y[lt([2, 1]), 0] = b[0, :2] * 3
        return y

    assert gradcheck(f, (leaf(3, 4), leaf(1, 3, seed=10)))


def test_setitem_on_leaf_is_an_error():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:].mul_(2)


def test_index_put_accumulate_gradcheck():
    x, v = leaf(3, 4), leaf(3, 4, seed=3)
    idx = (lt([0, 0, 2]),)
    assert gradcheck(lambda a, b: a.index_put(idx, b, True), (x, v))
    assert gradcheck(lambda a, b: a.index_put((lt([2, 0]),), b[:1], False), (x, v))


@pytest.mark.parametrize("op", [
    lambda y, s: y.scatter_(0, lt([[2, 0, 1, 1]]), s[:1]),
    lambda y, s: y.scatter_add_(0, lt([[2, 0, 1, 1], [2, 2, 2, 2]]), s[:2]),
    lambda y, s: y.index_add_(0, lt([1, 1]), s[:2], alpha=3),
    lambda y, s: y.index_copy_(0, lt([2, 0]), s[:2]),
    lambda y, s: y.masked_scatter_(y.detach() > 0, s),
    lambda y, s: y.put_(lt([0, 5, 5]), s[0, :3], accumulate=True),
    lambda y, s: y.index_put_((lt([0, 1]),), s[:2]),
])
def test_inplace_forms_match_out_of_place_gradients(op):
    x, s = leaf(3, 4), leaf(3, 4, seed=4)

    def f(a, b):
        y = a * 1
        op(y, b)
        return y

    assert f(x, s).requires_grad
    assert gradcheck(f, (x, s))


def test_masked_fill_tensor_value():
    x, v = leaf(3, 4), leaf(seed=5)
    mask = x > 0
    y = x.masked_fill(mask, v)
    assert y.grad_fn.name() == "MaskedFillBackward1"
    y.sum().backward()
    assert v.grad.item() == float(np.asarray(mask.tolist()).sum())
    assert gradcheck(lambda a, b: a.masked_fill(mask, b), (x, v))
    y = x * 1
    y.masked_fill_(mask, 0.5)
    assert y.grad_fn.name() == "MaskedFillBackward0"


def test_index_fill_tensor_value_counts_each_slice_once():
    x, v = leaf(3, 4), leaf(seed=11)
    y = x.index_fill(1, lt([0, 0, -1]), v)
    assert y.grad_fn.name() == "IndexFillBackward1"
    gx, gv = torch.autograd.grad(y, (x, v), torch.ones_like(y))
    assert gv.item() == 6.0
    assert np.array_equal(np.asarray(gx.tolist())[0], [0, 1, 1, 0])
    assert gradcheck(lambda a, b: a.index_fill(0, lt([2]), b), (x, v))


# --------------------------------------------------------------------- gather / scatter family


def test_gather_names_and_duplicates():
    x = leaf(3, 4)
    y = torch.gather(x, 1, lt([[0, 0], [3, 3], [1, 2]]))
    assert y.grad_fn.name() == "GatherBackward0"
    expected = np.zeros((3, 4))
    expected[0, 0] = 2
    expected[1, 3] = 2
    expected[2, 1] = expected[2, 2] = 1
    assert np.array_equal(grad_of(x, y), expected)


def test_gather_and_index_select_gradgradcheck():
    x = leaf(3, 4)
    assert gradgradcheck(lambda t: torch.gather(t, 0, lt([[2, 0, 1, 1]])) ** 2, (x,))
    assert gradgradcheck(lambda t: torch.index_select(t, 1, lt([3, 0, 3])) ** 2, (x,))
    assert gradgradcheck(lambda t, s: torch.scatter_add(t, 0, lt([[1, 1, 0, 2]]), s * s), (x, leaf(1, 4, seed=6)))


@pytest.mark.parametrize("name,fn", [
    ("IndexSelectBackward0", lambda x: torch.index_select(x, 0, lt([2, 2]))),
    ("TakeBackward0", lambda x: torch.take(x, lt([[0, 0], [11, -1]]))),
    ("ScatterAddBackward0", lambda x: torch.scatter_add(x, 1, lt([[0, 0]]), x[:, :2])),
    ("ScatterBackward1", lambda x: torch.scatter(x, 1, lt([[0, 0]]), value=2.0)),
    ("ScatterReduceBackward0", lambda x: torch.scatter_reduce(x, 0, lt([[0, 0, 0, 0]]), x, "amax")),
    ("MaskedSelectBackward0", lambda x: torch.masked_select(x, x > 0)),
    ("WhereBackward0", lambda x: torch.where(x > 0, x, 0.0)),
    ("IndexFillBackward0", lambda x: x.index_fill(1, lt([0]), 3.0)),
    ("MaskedScatterBackward0", lambda x: x.masked_scatter(x > 0, x * 2)),
])
def test_node_names(name, fn):
    assert fn(leaf(3, 4)).grad_fn.name() == name


def test_take_and_index_select_duplicates_add_up():
    x = leaf(3, 4)
    g = grad_of(x, torch.take(x, lt([5, 5, -7])))
    assert g.reshape(-1)[5] == 3
    g = grad_of(x, torch.index_select(x, 0, lt([2, 2, 0])))
    assert np.array_equal(g[:, 0], [1, 0, 2])


def test_scatter_gradients():
    x, s = leaf(3, 4), leaf(2, 4, seed=7)
    idx = lt([[0, 1, 2, 0], [2, 2, 1, 1]])
    y = torch.scatter(x, 0, idx, s)
    gx, gs = torch.autograd.grad(y, (x, s), torch.ones_like(y))
    written = np.zeros((3, 4), bool)
    for (i, j), k in np.ndenumerate(np.asarray(idx.tolist())):
        written[k, j] = True
    assert np.array_equal(np.asarray(gx.tolist()), (~written).astype(float))
    assert np.array_equal(np.asarray(gs.tolist()), np.ones((2, 4)))


def test_scatter_reduce_ties_split_evenly():
    x = torch.tensor([1.0, 5.0], dtype=torch.float64).requires_grad_()
    s = torch.tensor([5.0, 2.0, 5.0], dtype=torch.float64).requires_grad_()
    y = torch.scatter_reduce(x, 0, lt([1, 0, 1]), s, "amax")
    gx, gs = torch.autograd.grad(y, (x, s), torch.ones_like(y))
    assert gx.tolist() == [0.0, 1 / 3]
    assert gs.tolist() == [1 / 3, 1.0, 1 / 3]


def test_where_broadcast_and_number_branch():
    c = torch.tensor([[True], [False]])
    x, y = leaf(2, 3), leaf(3, seed=8)
    out = torch.where(c, x, y)
    gx, gy = torch.autograd.grad(out, (x, y), torch.ones_like(out))
    assert np.array_equal(np.asarray(gx.tolist()), [[1, 1, 1], [0, 0, 0]])
    assert np.array_equal(np.asarray(gy.tolist()), [1, 1, 1])
    assert gradcheck(lambda a: torch.where(c, 2.0, a), (y,))
    assert gradgradcheck(lambda a, b: torch.where(c, a * a, b), (x, leaf(2, 3, seed=9)))


def test_index_ops_0d():
    s = leaf()
    assert gradcheck(lambda t: torch.gather(t, 0, lt(0)), (s,))
    assert gradcheck(lambda t: torch.index_select(t, 0, lt([0, 0])), (s,))
    assert gradcheck(lambda t: torch.take(t, lt([0])), (s,))


def test_index_ops_empty_index():
    x = leaf(3, 4)
    for y in (torch.gather(x, 1, lt([[], [], []])), torch.index_select(x, 0, lt([])), torch.take(x, lt([]))):
        assert y.requires_grad
        assert np.array_equal(grad_of(x, y), np.zeros((3, 4)))


def test_integer_results_do_not_require_grad():
    x = leaf(3, 4)
    assert not x.argsort().requires_grad
    assert not x.sort().indices.requires_grad
    assert not x.argmax(1).requires_grad
    assert not torch.nonzero(x).requires_grad


def test_index_errors_keep_pytorch_messages():
    x = leaf(3, 4)
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        torch.gather(x, 1, lt([[4]]))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[lt([3])]
    with pytest.raises(RuntimeError, match="derivative for 'scatter' with reduce='multiply' is not implemented"):
        torch.scatter(x, 0, lt([[0]]), x, reduce="multiply")


# --------------------------------------------------------------------- sort family


def test_sort_family_routes_gradient_by_indices():
    x = leaf(3, 5)
    v = x.sort(1, descending=True).values
    assert v.grad_fn.name() == "SortBackward0"
    assert np.array_equal(grad_of(x, v), np.ones((3, 5)))
    t = x.topk(2, dim=1).values
    assert t.grad_fn.name() == "TopkBackward0"
    g = grad_of(x, t)
    assert g.sum() == 6 and g.max() == 1
    k = x.kthvalue(2, 0).values
    assert k.grad_fn.name() == "KthvalueBackward0"
    assert grad_of(x, k).sum() == 5
    m = x.median(1).values
    assert m.grad_fn.name() == "MedianBackward1"
    assert x.median().grad_fn.name() == "MedianBackward0"
    assert x.nanmedian(0).values.grad_fn.name() == "NanmedianBackward1"
    c = x.cummax(1).values
    assert c.grad_fn.name() == "CummaxBackward0"
    assert grad_of(x, c).sum() == 15


def test_median_all_splits_ties():
    x = torch.tensor([1.0, 2.0, 2.0, 3.0], dtype=torch.float64).requires_grad_()
    x.median().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]


def test_cummin_repeats_accumulate():
    x = torch.tensor([3.0, 1.0, 2.0, 4.0], dtype=torch.float64).requires_grad_()
    x.cummin(0).values.sum().backward()
    assert x.grad.tolist() == [1.0, 3.0, 0.0, 0.0]


def test_sort_gradgradcheck_and_0d():
    x = leaf(2, 4)
    assert gradgradcheck(lambda t: t.sort(1).values ** 2, (x,))
    s = leaf()
    assert gradcheck(lambda t: t.sort(0).values, (s,))
    assert gradcheck(lambda t: t.topk(1, 0).values, (s,))
