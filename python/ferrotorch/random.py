"""`torch.random`: the default generator's seed and state, and `fork_rng`.

GPU draws come from the same Philox stream as the CPU's (see `ferrotorch.cuda.get_rng_state`), so
saving the CPU generator's state saves every device's.
"""
import contextlib

from ._C import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed",
           "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Runs the block with the generator's state saved on entry and restored on exit.

    >>> import ferrotorch as torch
    >>> _ = torch.manual_seed(0); a = torch.rand(2)
    >>> _ = torch.manual_seed(0)
    >>> with torch.random.fork_rng():
    ...     _ = torch.rand(3)
    >>> bool((torch.rand(2) == a).all())
    True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
