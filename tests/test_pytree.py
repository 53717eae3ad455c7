"""ferrotorch.utils._pytree: flattening order, TreeSpec repr/equality, mapping over several trees, custom
nodes, and the structure-mismatch errors (PyTorch's messages)."""
import collections

import pytest

import ferrotorch as torch
from ferrotorch.utils import _pytree as pytree

Point = collections.namedtuple("Point", "x y")
Other = collections.namedtuple("Other", "x y")


def test_flatten_order_and_round_trip():
    tree = (1, [2, {"b": 3, "a": 4}], Point(5, 6), collections.OrderedDict(z=7, y=8))
    leaves, spec = pytree.tree_flatten(tree)
    # dicts keep insertion order (not sorted keys)
    assert leaves == [1, 2, 3, 4, 5, 6, 7, 8]
    rebuilt = pytree.tree_unflatten([v * 10 for v in leaves], spec)
    assert rebuilt == (10, [20, {"b": 30, "a": 40}], Point(50, 60), collections.OrderedDict(z=70, y=80))
    assert type(rebuilt[2]) is Point and type(rebuilt[3]) is collections.OrderedDict
    assert spec.num_leaves == 8 and spec.num_children == 4
    assert spec.num_nodes == 13  # 5 containers + 8 leaves


def test_none_and_unregistered_types_are_leaves():
    class MyList(list):
        pass

    assert pytree.tree_leaves([None, 1]) == [None, 1]
    assert pytree.tree_structure(None) == pytree.LeafSpec()
    assert pytree.tree_leaves(MyList([1, 2])) == [MyList([1, 2])]
    t = torch.ones(2)
    assert pytree.tree_leaves({"w": t})[0] is t


def test_defaultdict_keeps_factory():
    d = collections.defaultdict(list, {"x": 1})
    leaves, spec = pytree.tree_flatten(d)
    assert spec.context == [list, ["x"]]
    out = pytree.tree_unflatten([2], spec)
    assert isinstance(out, collections.defaultdict) and out.default_factory is list and out == {"x": 2}


def test_deque_and_size_are_nodes():
    leaves, spec = pytree.tree_flatten([collections.deque([1, 2], maxlen=3), torch.Size([4, 5])])
    assert leaves == [1, 2, 4, 5]
    rebuilt = pytree.tree_unflatten([10, 20, 40, 50], spec)
    assert isinstance(rebuilt[0], collections.deque) and list(rebuilt[0]) == [10, 20] and rebuilt[0].maxlen == 3
    assert type(rebuilt[1]) is tuple and rebuilt[1] == (40, 50)  # a Size's children rebuild a plain tuple
    assert list(pytree.tree_map(lambda x: -x, collections.deque([1, 2]))) == [-1, -2]


def test_treespec_repr():
    spec = pytree.tree_structure((1, [2, {"b": 3, "a": 4}]))
    assert repr(spec) == ("TreeSpec(tuple, None, [*,\n"
                          "  TreeSpec(list, None, [*,\n"
                          "    TreeSpec(dict, ['b', 'a'], [*,\n"
                          "      *])])])")
    assert str(spec) == repr(spec)
    assert repr(pytree.tree_structure(5)) == "*"
    assert repr(pytree.tree_structure(())) == "TreeSpec(tuple, None, [])"
    assert repr(pytree.tree_structure({"a": (1, 2), "b": []})) == (
        "TreeSpec(dict, ['a', 'b'], [TreeSpec(tuple, None, [*,\n    *]),\n  TreeSpec(list, None, [])])")
    assert repr(pytree.tree_structure(Point(1, 2))).startswith("TreeSpec(namedtuple, <class ")


def test_treespec_equality():
    assert pytree.tree_structure((1, 2)) == pytree.tree_structure((3, 4))
    assert pytree.tree_structure((1, 2)) != pytree.tree_structure([1, 2])
    assert pytree.tree_structure({"b": 1, "a": 2}) != pytree.tree_structure({"a": 1, "b": 2})
    assert pytree.tree_structure(Point(1, 2)) != pytree.tree_structure(Other(1, 2))
    built = pytree.TreeSpec(tuple, None, [pytree.LeafSpec(), pytree.LeafSpec()])
    assert built == pytree.tree_structure((1, 2))
    assert hash(built) == hash(pytree.tree_structure((1, 2)))
    assert pytree.tree_structure(collections.OrderedDict(a=1)) != pytree.tree_structure({"a": 1})


def test_tree_map_several_trees():
    assert pytree.tree_map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])
    # dict-like nodes match by keys, whatever their order or dict type
    assert pytree.tree_map(lambda a, b: a + b, {"a": 1, "b": 2}, {"b": 1, "a": 5}) == {"a": 6, "b": 3}
    assert pytree.tree_map(lambda a, b: a + b, {"a": 1}, collections.OrderedDict(a=1)) == {"a": 2}
    # a deeper second tree is cut at the first tree's leaves
    assert pytree.tree_map(lambda a, b: (a, b), (1, [2]), (1, [[2, 3]])) == ((1, 1), [(2, [2, 3])])
    assert pytree.tree_map(lambda x: x, (1, None)) == (1, None)


def test_tree_map_structure_errors():
    with pytest.raises(ValueError, match=r"^Node arity mismatch; expected 2, but got 3\.$"):
        pytree.tree_map(lambda a, b: a, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match=r"^Node type mismatch; expected <class 'tuple'>, but got <class 'list'>\.$"):
        pytree.tree_map(lambda a, b: a, (1, 2), [1, 2])
    with pytest.raises(ValueError, match=r"^Node type mismatch; expected <class 'tuple'>, but got <class 'int'>\.$"):
        pytree.tree_map(lambda a, b: a, (1, 2), 5)
    with pytest.raises(ValueError, match=r"^Node keys mismatch; missing key\(s\): \{'a'\}; extra key\(s\): "
                                         r"\{'b'\}\.$"):
        pytree.tree_map(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"^Node context mismatch for node type <function namedtuple at .*>; "
                                         r"expected <class '.*Point'>, but got <class '.*Other'>\.$"):
        pytree.tree_map(lambda a, b: a, Point(1, 2), Other(1, 2))


def test_unflatten_errors():
    spec = pytree.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match=r"^treespec\.unflatten\(leaves\): `leaves` has length 2 but the spec "
                                         r"refers to a pytree that holds 3 items \(TreeSpec\(tuple"):
        pytree.tree_unflatten([1, 2], spec)
    with pytest.raises(TypeError, match=r"^Expected `treespec` to be an instance of PyTreeSpec but got item of "
                                        r"type <class 'int'>\.$"):
        pytree.tree_unflatten([1], 5)
    assert pytree.tree_unflatten(iter([1, 2, 3]), spec) == (1, [2, 3])


def test_map_only_all_any_and_is_leaf():
    tree = (1, 2.0, [3, "s"])
    assert pytree.tree_map_only(int, lambda x: x * 10, tree) == (10, 2.0, [30, "s"])
    assert pytree.tree_map_only((int, float), lambda x: x * 10, tree) == (10, 20.0, [30, "s"])
    assert pytree.tree_map_only(int | float, lambda x: -x, (1, 2.0, "s")) == (-1, -2.0, "s")
    assert pytree.tree_map_only(lambda x: x == 2, lambda x: x * 10, (1, 2)) == (1, 20)
    assert pytree.tree_all(lambda x: x > 0, (1, [2]))
    assert not pytree.tree_all(lambda x: x > 1, (1, [2]))
    assert pytree.tree_any(lambda x: x > 1, (1, [2]))
    assert not pytree.tree_any(lambda x: x > 5, (1, [2]))
    assert pytree.tree_all_only(int, lambda x: x > 0, (1, "s", [2]))
    assert pytree.tree_leaves({"a": [1, (2, 3)], "b": 4}, is_leaf=lambda x: isinstance(x, tuple)) == [1, (2, 3), 4]
    seen = []
    assert pytree.tree_map_(seen.append, [1, (2,)]) == [1, (2,)]
    assert seen == [1, 2]


def test_register_pytree_node():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    pytree.register_pytree_node(Pair, lambda p: ([p.a, p.b], "ctx"), lambda values, ctx: Pair(*values))
    try:
        leaves, spec = pytree.tree_flatten(Pair(1, (2, 3)))
        assert leaves == [1, 2, 3]
        assert repr(spec) == "TreeSpec(Pair, ctx, [*,\n  TreeSpec(tuple, None, [*,\n    *])])"
        doubled = pytree.tree_map(lambda x: x * 2, Pair(1, (2, 3)))
        assert isinstance(doubled, Pair) and doubled.a == 2 and doubled.b == (4, 6)
        with pytest.raises(ValueError, match=r"is already registered as pytree node\.$"):
            pytree.register_pytree_node(Pair, lambda p: ([], None), lambda v, c: Pair(0, 0))
    finally:
        del pytree.SUPPORTED_NODES[Pair]


def test_func_uses_pytree_containers():
    # torch.func now flattens with this module, so an OrderedDict argument keeps its type through grad.
    x = collections.OrderedDict(a=torch.tensor([1.0, 2.0]), b=torch.tensor(3.0))
    g = torch.func.grad(lambda d: (d["a"] ** 2).sum() + d["b"] * 2)(x)
    assert type(g) is collections.OrderedDict
    assert g["a"].tolist() == [2.0, 4.0] and g["b"].item() == 2.0


def test_docstring_examples():
    import doctest
    assert doctest.testmod(pytree).failed == 0
