"""The loop run by each DataLoader worker process, and ``get_worker_info`` for code running in it."""
import os
import queue
import random
import sys

import ferrotorch as torch

from . import MP_STATUS_CHECK_INTERVAL, ExceptionWrapper
from .fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its ``dataset`` replica.
    Read-only once created."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


def get_worker_info():
    """In a DataLoader worker process, its :class:`WorkerInfo`; in the main process, None.

    An :class:`IterableDataset` uses it to give each worker a different part of the data."""
    return _worker_info


class _IterableDatasetStopIteration:
    """Sent by a worker whose IterableDataset replica is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; they echo it back once reset."""


class _ManagerWatchdog:
    """Lets an orphaned worker notice that the main process died, so it exits instead of lingering."""

    def __init__(self):
        self.manager_pid = os.getppid()
        self.manager_dead = False

    def is_alive(self):
        if not self.manager_dead:
            self.manager_dead = os.getppid() != self.manager_pid
        return not self.manager_dead


def _preload_numpy_random():
    """Imports numpy.random in the main process, before workers fork: importing it inside a forked
    worker can fail or hang on import-lock state copied from the parent (numpy loads it lazily)."""
    try:
        import numpy.random  # noqa: F401
    except ImportError:
        pass


def _seed_numpy(base_seed, worker_id):
    np = sys.modules.get("numpy")
    if np is None or not hasattr(np, "random"):
        return
    # A SeedSequence over (base seed, worker id) instead of base_seed + id: numpy streams seeded with
    # consecutive integers are correlated, and the same worker would repeat across epochs.
    seq = np.random.SeedSequence([base_seed & 0xFFFFFFFF, base_seed >> 32, worker_id])
    np.random.seed(seq.generate_state(4))


def _worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                 drop_last, base_seed, init_fn, worker_id, num_workers):
    """Reads ``(idx, index)`` tasks from ``index_queue`` and answers ``(idx, batch)`` on ``data_queue``
    until it reads None; errors travel back as :class:`ExceptionWrapper` s."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        torch.manual_seed(seed)
        _seed_numpy(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        def new_fetcher():
            return create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)

        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = new_fetcher()
        except Exception:
            # Reported with the first task, so the main process raises it in order.
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        watchdog = _ManagerWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if init_exception is None:
                    fetcher = new_fetcher()
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and is_iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # The main process may no longer read the queue: don't block exit on flushing it.
        data_queue.cancel_join_thread()
        data_queue.close()
