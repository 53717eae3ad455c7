"""Turning a list of samples into a batch (``default_collate``) or converting one sample's numpy
arrays and numbers into tensors (``default_convert``), recursively through dicts, tuples and lists.

    >>> from ferrotorch.utils.data import default_collate
    >>> default_collate([(1, 0.5, "a"), (2, 1.5, "b")])
    [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=torch.float64), ('a', 'b')]
"""
import collections.abc
import copy
import re

import ferrotorch as torch

try:
    import numpy as np
except ImportError:  # numpy is optional: without it there are simply no numpy inputs to convert
    np = None

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# numpy dtype codes that cannot become tensors: bytes (S, a), unicode (U) and object (O).
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(elem):
    t = type(elem)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "string_", "bytes_")


def _is_namedtuple(elem):
    return isinstance(elem, tuple) and hasattr(elem, "_fields")


def _rebuild_mapping(elem, values):
    """A mapping of ``elem``'s type holding ``values``; a plain dict when that type can't be built so."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            # copy + update keeps subclass state (OrderedDict order, defaultdict factory, attributes).
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values):
    try:
        return type(elem)(values)
    except TypeError:
        # Sequences whose constructor takes something else (e.g. range) fall back to a list.
        return values


def default_convert(data):
    """Converts numpy arrays and numpy scalars inside ``data`` to tensors; used when automatic
    batching is off (``batch_size=None``). Tensors, strings and other objects pass through."""
    if isinstance(data, torch.Tensor):
        return data
    if _is_numpy(data):
        if type(data).__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return torch.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return torch.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([torch.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    # Through one numpy array, so the tensor keeps the scalars' dtype (np.float32 -> float32).
    return torch.as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return torch.tensor(batch, dtype=torch.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return torch.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


# type -> collate function; exact type matches win, then the first isinstance match in this order
# (so numpy scalars, which subclass float or int, are caught by the numpy entry first).
default_collate_fn_map = {torch.Tensor: collate_tensor_fn}
if np is not None:
    default_collate_fn_map[np.ndarray] = collate_numpy_array_fn
    default_collate_fn_map[(np.bool_, np.number, np.object_)] = collate_numpy_scalar_fn
default_collate_fn_map[float] = collate_float_fn
default_collate_fn_map[int] = collate_int_fn
default_collate_fn_map[str] = collate_str_fn
default_collate_fn_map[bytes] = collate_str_fn


def collate(batch, *, collate_fn_map=None):
    """The engine of :func:`default_collate`: leaves are batched by the function ``collate_fn_map``
    gives for their type; mappings, named tuples and sequences are collated recursively.
    Extend ``default_collate`` by passing a copy of ``default_collate_fn_map`` with more entries.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                                       for key in elem})
    if _is_namedtuple(elem):
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        if isinstance(elem, collections.abc.MutableSequence):
            try:
                clone = copy.copy(elem)  # keeps a list subclass and its attributes
                clone[:] = columns
                return clone
            except TypeError:
                return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_collate(batch):
    """Merges a list of samples into a batch, as PyTorch does:

    * tensors are stacked along a new first dimension; numpy arrays and numpy scalars become tensors
      first (and are stacked),
    * Python floats become a float64 tensor, ints an int64 tensor (bools a bool tensor),
    * strings and bytes are kept as they are (the batch keeps them as a sequence),
    * mappings are collated key by key, named tuples field by field, and other sequences position
      by position (tuples give a list of batches); their elements must all have the same length,
      else RuntimeError("each element in list of batch should be of equal size").
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
