"""The multi-process DataLoader iterator: a pool of worker processes fed through index queues, and
the choice of how to start them."""
import itertools
import multiprocessing
import os
import queue

from .. import _utils  # MP_STATUS_CHECK_INTERVAL is read from here at call time (tests shorten it)
from . import ExceptionWrapper
from .iterators import _BaseDataLoaderIter
from .worker import _IterableDatasetStopIteration, _preload_numpy_random, _ResumeIteration, _worker_loop

# Queues (and processes: their handles have finalizers too) of live worker pools, keyed by
# id(iterator). An iterator caught in a reference cycle (say, by an exception's traceback) is freed
# by the cyclic GC, which runs the queues' own finalizers (stopping their feeder threads) before the
# iterator's __del__; the shutdown messages it then sends would never reach the workers. Holding the
# queues here keeps them out of that garbage until shutdown is done.
_live_queues = {}


def _default_context():
    """The start method workers use unless the DataLoader names one: the platform's default, as in
    PyTorch (fork on Linux). Forking is safe even after the CPU kernels started their thread pool: a
    forked child runs its kernels serially (see threads_usable in src/backend/cpu/mod.rs)."""
    return multiprocessing.get_context()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Round-robins tasks ``(send_idx, index)`` over per-worker index queues and reorders the answers
    from the shared result queue so that batches come out in sampler order."""

    def __init__(self, loader):
        super().__init__(loader)
        self._shutdown = True  # until the workers exist, there is nothing for __del__ to shut down
        # Forked workers inherit copies of this object; only the process that made it may shut it down.
        self._owner_pid = os.getpid()
        ctx = loader.multiprocessing_context or _default_context()
        self._in_order = loader.in_order
        self._worker_init_fn = loader.worker_init_fn
        _preload_numpy_random()
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._index_queues = []
        self._workers_status = [True] * self._num_workers  # read by a shutdown if a start fails
        self._workers = []
        _live_queues[id(self)] = (self._index_queues, self._worker_result_queue, self._workers_done_event,
                                  self._workers)  # the lists fill in below
        self._shutdown = False
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            # Unread tasks left for a dead worker must not block the main process's exit.
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker_loop,
                args=(self._is_iterable, self._dataset, index_queue, self._worker_result_queue,
                      self._workers_done_event, self._auto_collation, self._collate_fn, self._drop_last,
                      self._base_seed, self._worker_init_fn, i, self._num_workers),
                daemon=True)
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._data_queue = self._worker_result_queue
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0  # next task index to send
        self._rcvd_idx = 0  # next task index to return
        # task index -> (worker_id,) while outstanding, (worker_id, data) once received out of order
        self._task_info = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: restart each one's fetcher and wait until all have done so.
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                return_idx, _ = self._get_data()
                if isinstance(return_idx, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_get_data(self, timeout=None):
        if timeout is None:
            timeout = _utils.MP_STATUS_CHECK_INTERVAL
        try:
            return True, self._data_queue.get(timeout=timeout)
        except Exception as e:
            failed = [w for i, w in enumerate(self._workers) if self._workers_status[i] and not w.is_alive()]
            if failed:
                pids = ", ".join(str(w.pid) for w in failed)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from e
            if isinstance(e, queue.Empty):
                return False, None
            raise

    def _get_data(self):
        if self._timeout > 0:
            success, data = self._try_get_data(self._timeout)
            if success:
                return data
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
        while True:
            success, data = self._try_get_data()
            if success:
                return data

    def _next_data(self):
        while True:
            # Skip tasks that will never be answered (their worker's iterable ended).
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                return self._process_data(self._task_info.pop(self._rcvd_idx)[1])
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._is_iterable and isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    # Hand it out now; the skip loop above passes over its task index later.
                    del self._task_info[idx]
                    self._try_put_index()
                    if isinstance(data, ExceptionWrapper):
                        data.reraise()
                    return data
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process_data(data)

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's iterable has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id):
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self):
        if getattr(self, "_shutdown", True) or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id)
            for w in self._workers:
                w.join(timeout=_utils.MP_STATUS_CHECK_INTERVAL)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._worker_result_queue.cancel_join_thread()
            self._worker_result_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
            _live_queues.pop(id(self), None)

    def __del__(self):
        self._shutdown_workers()
