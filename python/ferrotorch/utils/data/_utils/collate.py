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

__all__ = ["default_collate", "default_convert"]

# numpy dtype codes that cannot become tensors: bytes (S, a), unicode (U) and object (O).
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(elem):
    # Checked by module name so that numpy stays an optional import.
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


def _collate_numpy(batch):
    elem = batch[0]
    if type(elem).__name__ in ("ndarray", "memmap"):
        if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
            raise TypeError(default_collate_err_msg_format.format(elem.dtype))
        return default_collate([torch.as_tensor(b) for b in batch])
    # numpy scalars: stack them through numpy so the tensor keeps their dtype (np.float32 -> float32).
    import numpy as np
    return torch.as_tensor(np.array(batch))


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
    elem = batch[0]
    if isinstance(elem, torch.Tensor):
        return torch.stack(batch, 0)
    if _is_numpy(elem):
        return _collate_numpy(batch)
    if isinstance(elem, float):
        return torch.tensor(batch, dtype=torch.float64)
    if isinstance(elem, int):
        return torch.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        return _rebuild_sequence(elem, [default_collate(samples) for samples in transposed])
    raise TypeError(default_collate_err_msg_format.format(type(elem)))
