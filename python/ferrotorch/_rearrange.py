"""`torch.func.rearrange`: einops-style axis reordering ("b h w c -> b c (h w)") as reshape + permute.

A pattern names the input's axes on the left of "->" and the output's on the right. Parentheses
group axes (merged into one dim on the right, split from one dim on the left, with the missing
sizes given as keyword arguments), "..." stands for the axes not named, and "1" or "()" is a unit
axis. A list or tuple of tensors is stacked along a new leading axis first.

The work is three tensor ops, so views stay views where the layout allows and autograd needs
nothing special: reshape the input to its elementary axes (groups expanded, ellipsis spelled
out), permute them into the right-hand order, and reshape to the right-hand groups.

PyTorch's own implementation (functorch's first-class dims) fixes the details copied here: its
parsing and error messages (ValueError/TypeError for bad patterns, `DimensionBindError` when sizes
do not fit), and its quirks: a unit axis on the left binds to whatever size that dim has and is
summed away, so "a 1 c -> a c" on a (2, 3, 4) tensor sums over the 3 rather than raising; a 1-D
tensor cannot be split ("(a b) -> a b" raises ValueError, as functorch indexes it with a tuple);
and an axis length of -1 means "not given" (it is inferred).

    >>> import ferrotorch as torch
    >>> x = torch.arange(24).reshape(2, 3, 4)
    >>> torch.func.rearrange(x, "b h w -> b (w h)").shape
    torch.Size([2, 12])
    >>> torch.func.rearrange(x, "b (h1 h) w -> h1 b h w", h1=3).shape
    torch.Size([3, 2, 1, 4])
"""
import functools
import keyword
import math
import warnings

from . import _C

__all__ = ["rearrange", "DimensionBindError"]

# "..." is rewritten to this one character while parsing, so it tokenises like an axis name.
_ELLIPSIS = "\u2026"


class DimensionBindError(Exception):
    """The tensor's sizes do not fit the pattern's axes (functorch.dim's DimensionBindError)."""


def _axis_name_problem(name):
    """Why `name` is not a valid axis name (None when it is), warning on discouraged names."""
    if not name.isidentifier():
        return "not a valid python identifier"
    if name[0] == "_" or name[-1] == "_":
        return "axis name should should not start or end with underscore"
    if keyword.iskeyword(name):
        warnings.warn(f"It is discouraged to use axes names that are keywords: {name}", RuntimeWarning)
    if name == "axis":
        warnings.warn("It is discouraged to use 'axis' as an axis name and will raise an error in future",
                      FutureWarning)
    return None


class _Side:
    """One side of a pattern. `groups` holds one entry per tensor dim: a list of axis names (empty
    for a unit axis) or `_ELLIPSIS`; an ellipsis inside parentheses is a name within a group."""

    def __init__(self, expression):
        self.groups = []
        self.names = set()
        self.has_ellipsis = False
        self.ellipsis_in_group = False
        self.has_sized_anonymous_axis = False  # a number other than 1, which rearrange refuses
        if "." in expression:
            if "..." not in expression:
                raise ValueError("Expression may contain dots only inside ellipsis (...)")
            if expression.count("...") != 1 or expression.count(".") != 3:
                raise ValueError("Expression may contain dots only inside ellipsis (...); only one ellipsis for "
                                 "tensor ")
            expression = expression.replace("...", _ELLIPSIS)
            self.has_ellipsis = True
        group = None  # the open parenthesised group, if any
        token = ""
        for char in expression + " ":
            if char in "() ":
                if token:
                    self._add(token, group)
                token = ""
                if char == "(":
                    if group is not None:
                        raise ValueError("Axis composition is one-level (brackets inside brackets not allowed)")
                    group = []
                elif char == ")":
                    if group is None:
                        raise ValueError("Brackets are not balanced")
                    self.groups.append(group)
                    group = None
            elif char.isalnum() or char in ("_", _ELLIPSIS):
                token += char
            else:
                raise ValueError(f"Unknown character '{char}'")
        if group is not None:
            raise ValueError(f"Imbalanced parentheses in expression: '{expression}'")

    def _add(self, name, group):
        if name in self.names:
            raise ValueError(f"Indexing expression contains duplicate dimension '{name}'")
        if name == _ELLIPSIS:
            self.names.add(name)
            self.ellipsis_in_group = group is not None
            (self.groups if group is None else group).append(name)
            return
        if name.isdecimal():
            value = int(name)
            if value == 1:
                # A unit axis is an empty group of its own; inside parentheses it changes nothing.
                if group is None:
                    self.groups.append([])
                return
            if value < 1:
                raise ValueError(f"Anonymous axis should have positive length, not {value}")
            # Each number is a distinct anonymous axis; validation then refuses it for rearrange.
            self.has_sized_anonymous_axis = True
            name = object()
        else:
            problem = _axis_name_problem(name)
            if problem is not None:
                raise ValueError(f"Invalid axis identifier: {name}\n{problem}")
        self.names.add(name)
        if group is None:
            self.groups.append([name])
        else:
            group.append(name)


def _parse(pattern, axes_lengths):
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError("Pattern must contain a single '->' separator")
    if _ELLIPSIS in axes_lengths:
        raise ValueError(f"'{_ELLIPSIS}' is not an allowed axis identifier")
    left, right = _Side(sides[0]), _Side(sides[1])
    if right.has_ellipsis and not left.has_ellipsis:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if left.has_ellipsis and left.ellipsis_in_group:
        raise ValueError(f"Ellipsis is parenthesis in the left side is not allowed: {pattern}")
    for length in axes_lengths.values():
        if type(length) is not int:
            raise TypeError(f"rearrange axis lengths must be integers, got: {type(length)}")
    if left.has_sized_anonymous_axis or right.has_sized_anonymous_axis:
        raise ValueError("rearrange only supports unnamed axes of size 1")
    one_sided = left.names ^ right.names
    if one_sided:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on both): {one_sided}")
    unknown = axes_lengths.keys() - left.names
    if unknown:
        raise ValueError(f"Identifiers not found in rearrange expression: {unknown}")
    return left, right


@functools.lru_cache(256)
def _recipe(ndim, pattern, **axes_lengths):
    """What the pattern means for an `ndim`-dim input: per input dim, the elementary axes it splits
    into (numbered left to right as functorch numbers them, d0, d1, ...); the elementary sizes known
    from `axes_lengths`; the right-hand groups as lists of elementary axes; and the left unit axes to
    sum away. None for the identity on a 0-dim input. Cached, like PyTorch's, per pattern and rank."""
    left, right = _parse(pattern, axes_lengths)
    unit_axes = sum(1 for g in left.groups if g == [])
    if left.has_ellipsis:
        ellipsis_dims = ndim - (len(left.groups) - 1)
        pattern_ndim = unit_axes + len(left.names) - 1
        if pattern_ndim > ndim:
            raise ValueError(f"Number of dimensions in pattern ({pattern_ndim}) must be less than or equal to the "
                             f"number of dimensions in the tensor ({ndim})")
    else:
        ellipsis_dims = 0
        if len(left.groups) != ndim:
            raise ValueError(f"Number of dimensions in pattern ({len(left.groups)}) must be equal to the number of "
                             f"dimensions in the tensor ({ndim})")
    if unit_axes + len(left.names) - left.has_ellipsis + ellipsis_dims == 0:
        return None
    if ndim == 1 and len(left.groups) == 1 and left.groups[0] != _ELLIPSIS and len(left.groups[0]) > 1:
        # functorch indexes the tensor with the group's dims as a tuple, which a 1-D tensor refuses.
        raise ValueError(f"at least {len(left.groups[0])} indices were supplied but the tensor only has 1 "
                         "dimensions")
    axes_of = {}  # name -> its elementary axis numbers (several for the ellipsis)
    packs, summed, count = [], [], 0
    for group in left.groups:
        if group == _ELLIPSIS:
            axes_of[_ELLIPSIS] = list(range(count, count + ellipsis_dims))
            packs.extend([axis] for axis in axes_of[_ELLIPSIS])
            count += ellipsis_dims
            continue
        if not group:
            summed.append(count)
            packs.append([count])
            count += 1
            continue
        for name in group:
            axes_of[name] = [count]
            count += 1
        packs.append([axes_of[name][0] for name in group])
    # -1 is functorch's size of an unbound dim: such an axis is inferred as if not given.
    known = {axes_of[name][0]: length for name, length in axes_lengths.items() if length != -1}
    out_groups = []
    for group in right.groups:
        if group == _ELLIPSIS:  # a bare ellipsis keeps each of its dims; "(...)" merges them
            out_groups.extend([axis] for axis in axes_of[_ELLIPSIS])
        else:
            out_groups.append([axis for name in group for axis in axes_of[name]])
    return packs, known, out_groups, summed


def _pack_name(pack):
    return "(" + ", ".join(f"d{axis}" for axis in pack) + ("," if len(pack) == 1 else "") + ")"


def _bind_sizes(shape, packs, known):
    """The size of every elementary axis: each input dim's size is split over its pack, at most one
    axis of which may be unknown (it is inferred), as functorch binds first-class dims."""
    sizes = dict(known)
    for size, pack in zip(shape, packs):
        unbound = [axis for axis in pack if axis not in sizes]
        if len(unbound) > 1:
            raise DimensionBindError(f"cannot infer the sizes of two dimensions at once d{unbound[0]} and "
                                     f"d{unbound[1]}")
        product = math.prod(sizes[axis] for axis in pack if axis in sizes)
        if unbound:
            if size % product != 0:
                shown = tuple(sizes.get(axis, "?") for axis in pack)
                raise DimensionBindError(f"inferred dimension does not evenly fit into larger dimension: {size} vs "
                                         f"{shown}")
            sizes[unbound[0]] = size // product
        elif product != size:
            raise DimensionBindError(f"Dimension sizes to do not match ({size} != {product}) when matching "
                                     f"dimension pack {_pack_name(pack)}")
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Reorders, merges, splits, adds and removes (unit) axes of `tensor` as `pattern` says
    ("left -> right", einops syntax); `axes_lengths` gives the sizes of split axes. A list or tuple
    of tensors is stacked along a new first axis.

    >>> import ferrotorch as torch
    >>> images = torch.zeros(8, 6, 4, 3)
    >>> torch.func.rearrange(images, "b h w c -> b c h w").shape
    torch.Size([8, 3, 6, 4])
    >>> torch.func.rearrange(images, "b (h h2) (w w2) c -> b h w (c h2 w2)", h2=2, w2=2).shape
    torch.Size([8, 3, 2, 12])
    >>> torch.func.rearrange([torch.ones(2), torch.zeros(2)], "n x -> x n").tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """
    if not isinstance(tensor, _C.Tensor):
        tensor = _C.stack(tensor)
    recipe = _recipe(tensor.dim(), pattern, **axes_lengths)
    if recipe is None:
        return tensor
    packs, known, out_groups, summed = recipe
    sizes = _bind_sizes(tuple(tensor.shape), packs, known)
    elementary = tensor.reshape(tuple(sizes[axis] for axis in range(len(sizes))))
    kept = [axis for group in out_groups for axis in group]
    result = elementary.permute(kept + summed)
    if summed:
        result = result.sum(tuple(range(len(kept), len(kept) + len(summed))))
    return result.reshape(tuple(math.prod(sizes[axis] for axis in group) for group in out_groups))
