"""`torch.utils._pytree`: flattening nested containers into a list of leaves plus a `TreeSpec` that
rebuilds them.

User code (and `ferrotorch.func`, `utils.checkpoint`) uses this to treat "a tuple of dicts of tensors" as
a flat list of tensors. The container types and their flattening order follow PyTorch: tuple, list,
namedtuple (node type `collections.namedtuple`, the class as context), dict / OrderedDict (keys in
insertion order, the key list as context), defaultdict (context `[default_factory, keys]`), deque
(its maxlen as context) and torch.Size (rebuilt as a plain tuple). Everything else is a leaf --
including None and subclasses of the containers that are not registered -- unless it is registered
with `register_pytree_node`.

    >>> from ferrotorch.utils._pytree import tree_flatten, tree_unflatten
    >>> leaves, spec = tree_flatten((1, {"a": 2, "b": [3]}))
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten([x * 10 for x in leaves], spec)
    (10, {'a': 20, 'b': [30]})
"""
import collections
import types

from .._size import Size

__all__ = ["TreeSpec", "LeafSpec", "register_pytree_node", "tree_flatten", "tree_unflatten", "tree_iter",
           "tree_leaves", "tree_structure", "tree_map", "tree_map_", "tree_map_only", "tree_map_only_",
           "tree_all", "tree_any", "tree_all_only", "tree_any_only"]

# node type -> (flatten_fn(node) -> (children, context), unflatten_fn(children, context) -> node)
SUPPORTED_NODES = {}

# Types whose nodes match by their key set rather than by exact type and key order (PyTorch lets a dict
# tree be mapped together with an OrderedDict of the same keys, in any order).
_DICT_TYPES = (dict, collections.OrderedDict, collections.defaultdict)


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, to_dumpable_context=None,
                         from_dumpable_context=None, flatten_with_keys_fn=None):
    """Makes instances of `cls` internal nodes: `flatten_fn(obj) -> (children, context)` and
    `unflatten_fn(children, context) -> obj`. The serialization/key-path arguments are accepted for
    signature compatibility; this module has no treespec serialization or key paths."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    SUPPORTED_NODES[cls] = (flatten_fn, unflatten_fn)


register_pytree_node(tuple, lambda t: (list(t), None), lambda values, _: tuple(values))
register_pytree_node(list, lambda t: (list(t), None), lambda values, _: list(values))
register_pytree_node(dict, lambda d: (list(d.values()), list(d)), lambda values, keys: dict(zip(keys, values)))
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), list(d)),
                     lambda values, keys: collections.OrderedDict(zip(keys, values)))
register_pytree_node(collections.defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
                     lambda values, ctx: collections.defaultdict(ctx[0], zip(ctx[1], values)))
register_pytree_node(collections.namedtuple, lambda t: (list(t), type(t)), lambda values, cls: cls(*values))
register_pytree_node(collections.deque, lambda d: (list(d), d.maxlen),
                     lambda values, maxlen: collections.deque(values, maxlen=maxlen))
# PyTorch registers torch.Size too; its children rebuild a plain tuple, as PyTorch's do.
register_pytree_node(Size, lambda s: (list(s), None), lambda values, _: tuple(values))


def _node_type(tree):
    """The registry key of `tree`'s node type, or None for a leaf."""
    cls = type(tree)
    if isinstance(tree, tuple) and hasattr(cls, "_fields") and cls not in SUPPORTED_NODES:
        return collections.namedtuple
    return cls if cls in SUPPORTED_NODES else None


class TreeSpec:
    """The structure of a pytree: node `type` (None for a leaf), its `context` (dict keys, namedtuple
    class, ...) and one `TreeSpec` per child."""

    def __init__(self, type, context, children_specs):
        self.type = type
        self.context = context
        self.children_specs = list(children_specs)
        self.num_children = len(self.children_specs)
        if self.type is None:
            self.num_leaves, self.num_nodes = 1, 1
        else:
            self.num_leaves = sum(c.num_leaves for c in self.children_specs)
            self.num_nodes = 1 + sum(c.num_nodes for c in self.children_specs)

    def is_leaf(self):
        return self.type is None

    def children(self):
        return list(self.children_specs)

    def child(self, index):
        return self.children_specs[index]

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type is other.type and self.context == other.context
                and self.children_specs == other.children_specs)

    def __hash__(self):
        # Contexts may be unhashable (dict key lists), so hash the shape only; equal specs agree on it.
        return hash((self.type, self.num_children, self.num_nodes, self.num_leaves))

    def __repr__(self, indent=0):
        if self.is_leaf():
            return "*"
        name = self.type.__name__
        if not self.children_specs:
            return f"TreeSpec({name}, {self.context}, [])"
        indent += 2
        first = self.children_specs[0].__repr__(indent)
        rest = [f"\n{' ' * indent}{c.__repr__(indent)}" for c in self.children_specs[1:]]
        return f"TreeSpec({name}, {self.context}, [{','.join([first] + rest)}])"

    def unflatten(self, leaves):
        """The pytree of this structure holding `leaves` (in flattening order)."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                             f"to a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(iter(leaves))

    def _build(self, leaves):
        if self.is_leaf():
            return next(leaves)
        children = [c._build(leaves) for c in self.children_specs]
        return SUPPORTED_NODES[self.type][1](children, self.context)

    def flatten_up_to(self, tree):
        """`tree` flattened only as deep as this spec goes: one entry per leaf of the spec (a whole subtree
        where the spec has a leaf). Raises ValueError where `tree` has a different structure."""
        out = []
        self._flatten_up_to(tree, out)
        return out

    def _flatten_up_to(self, tree, out):
        if self.is_leaf():
            out.append(tree)
            return
        node_type = _node_type(tree)
        dict_like = self.type in _DICT_TYPES and node_type in _DICT_TYPES
        if node_type is not self.type and not dict_like:
            shown = node_type if node_type is not None else type(tree)
            raise ValueError(f"Node type mismatch; expected {self.type}, but got {shown}.")
        children, context = SUPPORTED_NODES[node_type][0](tree)
        if len(children) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got {len(children)}.")
        if dict_like:
            keys = self.context[1] if self.type is collections.defaultdict else self.context
            if set(keys) != set(tree):
                raise ValueError(f"Node keys mismatch; missing key(s): {set(keys) - set(tree)}; extra key(s): "
                                 f"{set(tree) - set(keys)}.")
            children = [tree[k] for k in keys]
        elif context != self.context:
            raise ValueError(f"Node context mismatch for node type {self.type}; expected {self.context}, but got "
                             f"{context}.")
        for spec, child in zip(self.children_specs, children):
            spec._flatten_up_to(child, out)


class LeafSpec(TreeSpec):
    """The spec of a single leaf (printed `*`)."""

    def __init__(self):
        super().__init__(None, None, [])


def _flatten_into(tree, leaves, is_leaf):
    node_type = None if is_leaf is not None and is_leaf(tree) else _node_type(tree)
    if node_type is None:
        leaves.append(tree)
        return LeafSpec()
    children, context = SUPPORTED_NODES[node_type][0](tree)
    return TreeSpec(node_type, context, [_flatten_into(c, leaves, is_leaf) for c in children])


def tree_flatten(tree, is_leaf=None):
    """(leaves, treespec). `is_leaf(x) -> True` stops the recursion at `x`."""
    leaves = []
    spec = _flatten_into(tree, leaves, is_leaf)
    return leaves, spec


def tree_unflatten(leaves, treespec):
    """Inverse of `tree_flatten`."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"Expected `treespec` to be an instance of PyTreeSpec but got item of type "
                        f"{type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree, is_leaf=None):
    """The leaves of `tree`, as an iterator."""
    return iter(tree_flatten(tree, is_leaf)[0])


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """A pytree like `tree` with `func(leaf, *matching leaves of rests)` at every leaf; each of `rests`
    must have `tree`'s structure (or a deeper one: its subtrees at `tree`'s leaves are passed whole)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    columns = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(*xs) for xs in zip(*columns))


def tree_map_(func, tree, *rests, is_leaf=None):
    """Like `tree_map`, for the side effects of `func` (e.g. in-place updates); returns `tree` itself."""
    leaves, spec = tree_flatten(tree, is_leaf)
    for xs in zip(leaves, *[spec.flatten_up_to(r) for r in rests]):
        func(*xs)
    return tree


def _type_predicate(type_or_types_or_pred):
    """A predicate from a type, a tuple of types, a `X | Y` union, or a predicate itself."""
    if isinstance(type_or_types_or_pred, (type, tuple, types.UnionType)):
        return lambda x: isinstance(x, type_or_types_or_pred)
    if callable(type_or_types_or_pred):
        return type_or_types_or_pred
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def _only(type_or_types_or_pred, func):
    """`func` applied only to leaves matching the types/predicate; other leaves pass through."""
    pred = _type_predicate(type_or_types_or_pred)
    return lambda x: func(x) if pred(x) else x


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    """`tree_map` that applies `func` only to leaves of the given type(s) (or matching a predicate)."""
    return tree_map(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map_(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None):
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None):
    match = _type_predicate(type_or_types)
    return all(pred(x) for x in tree_iter(tree, is_leaf) if match(x))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None):
    match = _type_predicate(type_or_types)
    return any(pred(x) for x in tree_iter(tree, is_leaf) if match(x))
