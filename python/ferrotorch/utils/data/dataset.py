"""Dataset classes: map-style and iterable datasets, and ways to combine and split them.

    >>> import ferrotorch as torch
    >>> from ferrotorch.utils.data import TensorDataset, random_split
    >>> ds = TensorDataset(torch.arange(10), torch.arange(10) * 2)
    >>> ds[3]
    (tensor(3), tensor(6))
    >>> [len(s) for s in random_split(ds, [0.7, 0.3], generator=torch.Generator().manual_seed(0))]
    [7, 3]
"""
import bisect
import itertools
import math
import warnings
from typing import Generic, Iterable, TypeVar

import ferrotorch as torch

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
    "Subset", "random_split",
]


T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__`` (and usually ``__len__``).

    ``a + b`` concatenates two datasets into a :class:`ConcatDataset`.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A dataset that is an iterable of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process gets its own replica of the dataset and iterates it
    in full; use :func:`ferrotorch.utils.data.get_worker_info` inside ``__iter__`` to shard the data
    between workers (otherwise each sample comes back ``num_workers`` times, as in PyTorch).
    ``a + b`` chains two iterable datasets into a :class:`ChainDataset`.
    """

    # No __iter__ here: the abstract one inherited from Iterable makes `IterableDataset()` itself
    # raise TypeError at construction, as in PyTorch.

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Dataset of tensors sharing their first dimension; sample ``i`` is ``tuple(t[i] for t in tensors)``."""

    def __init__(self, *tensors):
        # PyTorch checks this with an assert, so the class of the error is AssertionError.
        assert all(tensors[0].size(0) == t.size(0) for t in tensors), "Size mismatch between tensors"
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Zips datasets of equal length: positional args give tuple samples, keyword args dict samples."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/output,"
                             " but both types are given.")
        parts = list(args) if args else list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(self._length != len(d) for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Concatenation of map-style datasets: indices run through each dataset in turn."""

    @staticmethod
    def cumsum(sequence):
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets):
        self.datasets = list(datasets)
        assert len(self.datasets) > 0, "datasets should not be an empty iterable"
        for d in self.datasets:
            assert not isinstance(d, IterableDataset), "ConcatDataset does not support IterableDataset"
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        # bisect_right: index equal to a boundary belongs to the next dataset.
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Chains iterable datasets: iterates each in turn (lazily, so it works on streams)."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        # Lets a wrapped dataset's own batched fetch (``__getitems__``) see through the subset.
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def _split_lengths(n, fractions):
    """Fractions -> counts: floor each share, then hand the remainder out one by one, round robin."""
    counts = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts.append(int(math.floor(n * frac)))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, length in enumerate(counts):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return counts


def random_split(dataset, lengths, generator=torch.default_generator):
    """Randomly splits ``dataset`` into non-overlapping :class:`Subset` s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each split gets
    ``floor(len * frac)`` items, and the leftover items go one each to the splits in order).
    The permutation comes from ``ferrotorch.randperm(..., generator=generator)``, so a seeded
    generator (or ``ferrotorch.manual_seed`` for the default one) reproduces the split.
    """
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _split_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = torch.randperm(sum(lengths), generator=generator).tolist()
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, perm[end - length:end]) for end, length in zip(ends, lengths)]
