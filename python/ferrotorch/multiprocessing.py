"""`torch.multiprocessing`: Python's `multiprocessing` plus `spawn` and the sharing-strategy knobs.

Everything in the standard module (`Process`, `Queue`, `Pool`, `Manager`, `get_context`,
`set_start_method`, `cpu_count`, ...) is re-exported unchanged, as PyTorch does.

Tensors cross process boundaries by pickling, **by value**: a CPU tensor sent through a `Queue`
arrives as a copy, not as shared memory (PyTorch moves CPU storage into shared memory instead), so
in-place writes in the child are not seen by the parent. GPU tensors are copied through the host
the same way. The sharing strategy is therefore only recorded, so that code which sets it runs.

`spawn(fn, args, nprocs)` starts `nprocs` processes running `fn(i, *args)` and, when one fails,
stops the others and raises `ProcessRaisedException` with the child's traceback (or
`ProcessExitedException` for a child that exited with a non-zero code).

    >>> import ferrotorch.multiprocessing as mp
    >>> mp.get_sharing_strategy()
    'file_descriptor'
"""
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn",
           "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
           "ProcessExitedException"]
__all__ += multiprocessing.__all__
# The standard API under the same names (what `from multiprocessing import *` would bind).
for _name in multiprocessing.__all__:
    globals()[_name] = getattr(multiprocessing, _name)
del _name

# PyTorch's strategies: file descriptors on Linux (the default), a file system path on macOS too.
_all_sharing_strategies = {"file_descriptor", "file_system"} if sys.platform != "darwin" else {"file_system"}
_sharing_strategy = "file_system" if sys.platform == "darwin" else "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Records the strategy for sharing CPU tensors (it must be one of
    `get_all_sharing_strategies()`); ferrotorch always pickles tensors by value."""
    global _sharing_strategy
    assert new_strategy in _all_sharing_strategies
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The strategy last set with `set_sharing_strategy` (the platform default at first)."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The set of strategies this platform accepts."""
    return set(_all_sharing_strategies)


class ProcessException(Exception):
    """A child process started by `spawn` failed; `error_index` is its rank, `pid` its process id."""

    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds its formatted traceback."""


class ProcessExitedException(ProcessException):
    """A child exited with a non-zero code (`exit_code`) or was killed by a signal (`signal_name`)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _wrap(fn, i, args, error_file):
    """Runs in the child: calls fn(i, *args); an exception's traceback goes to `error_file` for the
    parent to report, and the child exits with code 1."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent is shutting everything down
    except Exception:
        import traceback
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


class ProcessContext:
    """The processes of one `start_processes` call; `join()` waits for them and reports a failure."""

    def __init__(self, processes, error_files):
        self.error_files = error_files
        self.processes = processes
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        """The children's process ids, by rank."""
        return [int(process.pid) for process in self.processes]

    def join(self, timeout=None):
        """Waits (at most `timeout` seconds) for the processes. Returns True once all have exited
        successfully, False while some still run; on the first failure terminates the rest and
        raises `ProcessRaisedException` or `ProcessExitedException`."""
        if len(self.sentinels) == 0:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        error_index = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            process = self.processes[index]
            process.join()
            if process.exitcode != 0:
                error_index = index
                break
        if error_index is None:
            return len(self.sentinels) == 0
        # One failed: the others cannot finish a collective job, so stop them.
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        failed = self.processes[error_index]
        error_file = self.error_files[error_index]
        if not os.path.exists(error_file):
            exitcode = failed.exitcode
            if exitcode < 0:
                name = signal.Signals(-exitcode).name
                raise ProcessExitedException(f"process {error_index} terminated with signal {name}",
                                             error_index, failed.pid, exitcode, name)
            raise ProcessExitedException(f"process {error_index} terminated with exit code {exitcode}",
                                         error_index, failed.pid, exitcode)
        with open(error_file, "rb") as fh:
            original_trace = pickle.load(fh)
        msg = f"\n\n-- Process {error_index} terminated with the following error:\n" + original_trace
        raise ProcessRaisedException(msg, error_index, failed.pid)


class SpawnContext(ProcessContext):
    """`ProcessContext` under the name older PyTorch code refers to."""


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Starts `nprocs` processes with `start_method`, each running `fn(i, *args)` for its rank `i`.
    With `join` it waits for all of them (raising if one fails) and returns None; otherwise it
    returns the `ProcessContext`."""
    mp = multiprocessing.get_context(start_method)
    error_files, processes = [], []
    for i in range(nprocs):
        # A fresh, unused path per child: the child creates the file only when it fails.
        handle, error_file = tempfile.mkstemp(prefix="ferrotorch-errorfile-", suffix=".pickle")
        os.close(handle)
        os.unlink(error_file)
        process = mp.Process(target=_wrap, args=(fn, i, args, error_file), daemon=daemon)
        process.start()
        error_files.append(error_file)
        processes.append(process)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    try:
        while not context.join():
            pass
    finally:
        for error_file in error_files:
            if os.path.exists(error_file):
                os.unlink(error_file)


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Runs `fn(i, *args)` in `nprocs` new processes (`i` = 0 .. nprocs-1), as PyTorch's `spawn`.

    `fn` must be picklable (a module-level function) for the "spawn" start method.

    >>> import ferrotorch.multiprocessing as mp
    >>> mp.spawn(print, args=("hello",), nprocs=1)  # doctest: +SKIP
    0 hello
    """
    if start_method != "spawn":
        import warnings
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t torch.multiprocessing.start_processes(...)",
                      FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
