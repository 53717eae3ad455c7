"""`nn.parallel.DistributedDataParallel`: needs a process group, and ferrotorch has no
`torch.distributed` to create one, so constructing it fails with PyTorch's message for that case
instead of silently training a single unsynchronised replica."""
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Always raises PyTorch's "no default process group" ValueError (no multi-process support)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
