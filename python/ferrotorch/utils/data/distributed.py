"""`utils.data.DistributedSampler`: each of `num_replicas` processes reads its own share of a dataset.

The index list (shuffled per epoch from `seed + epoch`, so every replica draws the same permutation)
is padded by repeating its head, or trimmed with `drop_last`, to a multiple of `num_replicas`; replica
`rank` then takes every `num_replicas`-th index starting at `rank`. With explicit `num_replicas` and
`rank` no process group is needed.
"""
import math

from ... import _C
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _from_process_group(what):
    """World size or rank of the default process group (needs ferrotorch.distributed)."""
    try:
        from ... import distributed as dist
    except ImportError:
        dist = None
    if dist is None or not dist.is_available():
        raise RuntimeError("Requires distributed package to be available")
    return dist.get_world_size() if what == "world_size" else dist.get_rank()


class DistributedSampler(Sampler):
    """Sampler restricted to one replica's share of `dataset`.

    Call `set_epoch(epoch)` before each epoch so that shuffling differs between epochs.

        >>> from ferrotorch.utils.data import DistributedSampler
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False, drop_last=True))
        [1, 3]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            num_replicas = _from_process_group("world_size")
        if rank is None:
            rank = _from_process_group("rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(self.dataset)
        if self.drop_last and n % self.num_replicas != 0:
            # Drop the tail so that every replica gets the same number of samples.
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = _C.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = _C.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch; with `shuffle=True` it seeds this epoch's permutation (seed + epoch)."""
        self.epoch = epoch
