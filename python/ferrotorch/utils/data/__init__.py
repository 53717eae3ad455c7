"""ferrotorch.utils.data: datasets, samplers and the DataLoader, as ``torch.utils.data``.

    >>> import ferrotorch as torch
    >>> from ferrotorch.utils.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(torch.ones(4, 2)), batch_size=3)
    >>> [b[0].shape for b in loader]
    [torch.Size([3, 2]), torch.Size([1, 2])]
"""
from ._utils.collate import default_collate, default_convert
from ._utils.worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .distributed import DistributedSampler
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
    "get_worker_info", "random_split",
]
