"""ferrotorch.utils.data.DataLoader: batching, shuffling, argument errors, iterable datasets, and
worker processes (ordering, worker info, seeding, error propagation, shutdown)."""
import os
import time
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, SequentialSampler,
                                   TensorDataset, get_worker_info)
from ferrotorch.utils.data import _utils


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Range(Dataset):
    """Sample i is i; with `delay`, low indices are slow, so later tasks finish first."""

    def __init__(self, n, delay=0.0, fail_at=None, exc=ValueError):
        self.n, self.delay, self.fail_at, self.exc = n, delay, fail_at, exc

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay * (self.n - i) / self.n)
        if i == self.fail_at:
            raise self.exc(f"bad sample {i}")
        return i


class WhoAmI(Dataset):
    """Returns what the worker knows about itself, plus a draw from its seeded global RNG."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "same_type": isinstance(info.dataset, WhoAmI), "pid": os.getpid(),
                "rand": torch.rand(()).item(), "init": _INIT.get("id", -1)}


class Stream(IterableDataset):
    def __init__(self, n, shard):
        self.n, self.shard = n, shard

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        if self.shard and info is not None:
            return iter(range(info.id, self.n, info.num_workers))
        return iter(range(self.n))


_INIT = {}


def record_init(worker_id):
    _INIT["id"] = worker_id


def failing_init(worker_id):
    raise KeyError("no init")


# ------------------------------------------------------------------ single process

def test_batches_len_and_drop_last():
    x = np.arange(14.0).reshape(7, 2)
    ds = TensorDataset(torch.tensor(x), torch.arange(7))
    dl = DataLoader(ds, batch_size=3)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    np.testing.assert_array_equal(batches[2][0].numpy(), x[6:])
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    dl = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(dl) == 2 and [b[1].tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]]
    assert [b[1].tolist() for b in DataLoader(ds)] == [[i] for i in range(7)]  # batch_size=1 default
    assert list(DataLoader(TensorDataset(torch.zeros(0, 2)), batch_size=2)) == []


def test_batch_size_none_converts_without_batching():
    data = [np.full(2, i, dtype=np.float32) for i in range(3)]
    out = list(DataLoader(data, batch_size=None))
    assert len(out) == 3 and all(isinstance(t, torch.Tensor) and t.shape == (2,) for t in out)
    assert out[1].dtype == torch.float32 and out[1].tolist() == [1.0, 1.0]
    assert len(DataLoader(data, batch_size=None)) == 3


def test_dict_tuple_numpy_batches_and_custom_collate():
    data = [{"x": np.arange(3) + i, "y": float(i), "name": f"s{i}"} for i in range(4)]
    b = next(iter(DataLoader(data, batch_size=2)))
    np.testing.assert_array_equal(b["x"].numpy(), [[0, 1, 2], [1, 2, 3]])
    assert b["y"].dtype == torch.float64 and b["name"] == ["s0", "s1"]
    pairs = [(i, np.float64(i) / 2) for i in range(5)]
    xs, ys = next(iter(DataLoader(pairs, batch_size=5)))
    assert xs.tolist() == list(range(5)) and ys.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    out = list(DataLoader(Range(5), batch_size=2, collate_fn=lambda batch: sum(batch)))
    assert out == [1, 5, 4]


def test_sampler_and_batch_sampler_arguments():
    out = list(DataLoader(Range(6), batch_size=2, sampler=[5, 4, 3, 2]))
    assert [b.tolist() for b in out] == [[5, 4], [3, 2]]
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)
    dl = DataLoader(Range(5), batch_sampler=bs)
    assert len(dl) == 2 and [b.tolist() for b in dl] == [[0, 1], [2, 3]]
    assert dl.batch_size is None and dl.drop_last is False


def test_shuffle_reproducible():
    ds = Range(12)

    def epoch(loader):
        return sum((b.tolist() for b in loader), [])

    a = epoch(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(7)))
    b = epoch(DataLoader(ds, batch_size=5, shuffle=True, generator=gen(7)))
    assert a == b and sorted(a) == list(range(12)) and a != list(range(12))
    dl = DataLoader(ds, batch_size=5, shuffle=True, generator=gen(7))
    assert epoch(dl) == a and epoch(dl) != a  # the generator moves on between epochs
    torch.manual_seed(3)
    c = epoch(DataLoader(ds, batch_size=4, shuffle=True))
    torch.manual_seed(3)
    assert epoch(DataLoader(ds, batch_size=4, shuffle=True)) == c
    assert sorted(c) == list(range(12))


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2),
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True),
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Range(4), **kwargs)


def test_too_many_workers_warns(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    with pytest.warns(UserWarning, match="This DataLoader will create 2 worker processes in total"):
        assert [b.item() for b in DataLoader(Range(2), num_workers=2)] == [0, 1]


def test_multiprocessing_context_argument():
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process loading"):
        DataLoader(Range(2), multiprocessing_context="fork")
    with pytest.raises(ValueError, match="should specify a valid start method in"):
        DataLoader(Range(2), num_workers=1, multiprocessing_context="threads")
    with pytest.raises(TypeError, match="should be a valid context object or a string"):
        DataLoader(Range(2), num_workers=1, multiprocessing_context=3)
    dl = DataLoader(Range(2), num_workers=1, multiprocessing_context="fork")
    assert dl.multiprocessing_context.get_start_method() == "fork"


def test_attributes_frozen_after_init():
    dl = DataLoader(Range(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 3
    dl.num_workers = 0  # other attributes stay settable


def test_iterable_dataset_single_process():
    dl = DataLoader(Stream(7, shard=False), batch_size=3)
    assert len(dl) == 3 and [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]]
    dl = DataLoader(Stream(7, shard=False), batch_size=3, drop_last=True)
    assert len(dl) == 2 and [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(3, shard=False), batch_size=None)) == [0, 1, 2]
    assert get_worker_info() is None
    dl = DataLoader(Stream(4, shard=False), batch_size=None)
    assert len(dl) == 4
    dl.dataset.n = 5  # the dataset grew after len() was taken: PyTorch warns on the extra sample
    with pytest.warns(UserWarning, match="was reported to be 4 \\(when accessing len\\(dataloader\\)\\), but 5"):
        assert list(dl) == [0, 1, 2, 3, 4]
    for kwargs, name in [(dict(shuffle=True), "shuffle"), (dict(sampler=[0]), "sampler"),
                         (dict(batch_sampler=[[0]]), "batch_sampler")]:
        with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected unspecified {name} option"):
            DataLoader(Stream(3, shard=False), **kwargs)


# ------------------------------------------------------------------ worker processes

def test_workers_keep_order_and_match_single_process():
    ds = Range(10, delay=0.05)  # early indices are slowest, so answers arrive out of order
    single = [b.tolist() for b in DataLoader(ds, batch_size=2, shuffle=True, generator=gen(1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 workers may exceed this machine's CPUs: PyTorch warns then
        multi = [b.tolist() for b in DataLoader(ds, batch_size=2, shuffle=True, generator=gen(1), num_workers=3)]
    assert multi == single


class WaitFor3(Dataset):
    """Sample 0 (worker 0) is returned only after sample 3 (worker 1) has been, via a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 0:
            deadline = time.time() + 20
            while not os.path.exists(self.marker) and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)  # let sample 3 reach the result queue first
        if i == 3:
            open(self.marker, "w").close()
        return i


def test_workers_out_of_order_when_asked(tmp_path):
    out = [b.item() for b in DataLoader(WaitFor3(str(tmp_path / "m")), num_workers=2, in_order=False)]
    assert sorted(out) == list(range(6)) and out[0] == 1 and out.index(0) > out.index(3)
    # In order (the default), the same loader waits for sample 0.
    inorder = [b.item() for b in DataLoader(WaitFor3(str(tmp_path / "n")), num_workers=2)]
    assert inorder == list(range(6))


def test_worker_info_seeds_and_init_fn():
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=record_init, generator=gen(4))
    it = iter(loader)
    out = list(it)
    # Tasks go round-robin: samples 0, 2 to worker 0 and 1, 3 to worker 1.
    assert [o["id"] for o in out] == [0, 1, 0, 1]
    assert [o["init"] for o in out] == [0, 1, 0, 1]
    assert all(o["num_workers"] == 2 and o["same_type"] for o in out)
    assert out[0]["seed"] == it._base_seed and out[1]["seed"] == it._base_seed + 1
    assert len({o["pid"] for o in out} | {os.getpid()}) == 3
    # Seeded generator -> same worker seeds -> same random draws inside the workers.
    again = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2, generator=gen(4)))
    assert [o["rand"] for o in again] == [o["rand"] for o in out]
    assert out[0]["rand"] != out[1]["rand"]


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(Range(6, fail_at=3), batch_size=1, num_workers=2)
    it = iter(loader)
    assert [next(it).tolist() for _ in range(3)] == [[0], [1], [2]]
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 1") as info:
        next(it)
    msg = str(info.value)
    assert "Original Traceback (most recent call last)" in msg and "bad sample 3" in msg and "__getitem__" in msg
    del it
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(DataLoader(Range(4, fail_at=0, exc=KeyError), num_workers=1))
    with pytest.raises(KeyError, match="no init"):
        list(DataLoader(Range(4), num_workers=1, worker_init_fn=failing_init))


def _wait_dead(workers, limit=5.0):
    deadline = time.time() + limit
    while time.time() < deadline and any(w.is_alive() for w in workers):
        time.sleep(0.02)
    return not any(w.is_alive() for w in workers)


def test_workers_shut_down_when_exhausted_or_deleted():
    it = iter(DataLoader(Range(4), batch_size=2, num_workers=2))
    workers = list(it._workers)
    assert [b.tolist() for b in it] == [[0, 1], [2, 3]]
    assert _wait_dead(workers)
    with pytest.raises(StopIteration):
        next(it)
    it = iter(DataLoader(Range(40), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    assert _wait_dead(workers)


def test_iterable_dataset_workers():
    # Each worker iterates its own replica: without sharding, every sample comes once per worker.
    # Explicit fork: these workers run only small ops, so a running parent thread pool is harmless.
    out = [b.tolist() for b in DataLoader(Stream(5, shard=False), batch_size=2, num_workers=2,
                                          multiprocessing_context="fork")]
    assert sorted(sum(out, [])) == sorted(list(range(5)) * 2)
    # Batches alternate between workers: w0 [0,1], w1 [0,1], w0 [2,3], w1 [2,3], w0 [4], w1 [4].
    assert out == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]
    sharded = [b.tolist() for b in DataLoader(Stream(7, shard=True), batch_size=2, num_workers=2)]
    assert sharded == [[0, 2], [1, 3], [4, 6], [5]]
    dl = DataLoader(Stream(7, shard=True), batch_size=2, num_workers=2, drop_last=True)
    assert [b.tolist() for b in dl] == [[0, 2], [1, 3], [4, 6]]  # worker 1's short [5] is dropped


def test_persistent_workers_reused_across_epochs():
    dl = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    first = [o["pid"] for o in dl]
    second = [o["pid"] for o in dl]
    assert first == second and len(set(first)) == 2
    workers = list(dl._iterator._workers)
    assert all(w.is_alive() for w in workers)
    dl._iterator._shutdown_workers()
    assert _wait_dead(workers)


def test_timeout_and_dead_worker(monkeypatch):
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.05 seconds"):
        next(iter(DataLoader(Range(2, delay=0.5), num_workers=1, timeout=0.05)))
    monkeypatch.setattr(_utils, "MP_STATUS_CHECK_INTERVAL", 0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        next(iter(DataLoader(Range(2, fail_at=0, exc=_Exit), num_workers=1)))


class _Exit(Exception):
    def __init__(self, msg):
        os._exit(3)  # kill the worker outright, as a segfault would


class BigOp(Dataset):
    """Each sample runs an op large enough for the CPU kernels' thread pool."""

    def __len__(self):
        return 2

    def __getitem__(self, i):
        x = torch.ones(1 << 17, dtype=torch.float64) * (i + 1)
        return (x + x).sum()


def test_forked_workers_run_large_ops_after_parent_started_thread_pool():
    big = torch.ones(1 << 17)
    assert (big + big).sum().item() == 2.0 * (1 << 17)  # starts the pool in this process
    # A forked copy of a running thread pool would deadlock; the kernels must notice the fork and
    # run serially. timeout turns a regression into a failure, not a hang.
    out = [b.item() for b in DataLoader(BigOp(), batch_size=None, num_workers=1, timeout=60,
                                        multiprocessing_context="fork")]
    assert out == [2.0 * (1 << 17), 4.0 * (1 << 17)]
