"""`nn.parallel`: DataParallel (single process, single device: runs the module as is) and
DistributedDataParallel (refuses without a process group: ferrotorch has no torch.distributed)."""
from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
