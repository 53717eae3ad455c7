"""torch.jit eager helpers, torch.multiprocessing (Queue round trip, spawn and its errors) and the
legacy torch.autograd.Variable."""
import multiprocessing as std_mp
import sys
import typing
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.jit as jit
import ferrotorch.multiprocessing as mp
from ferrotorch.autograd import Variable


# ---------------------------------------------------------------- torch.jit

def test_jit_flags_and_decorators():
    assert jit.is_scripting() is False and jit.is_tracing() is False

    def f(x):
        return x + 1

    assert jit.ignore(f) is f and jit.ignore(drop=True)(f) is f and jit.ignore()(f) is f
    assert jit.unused(f) is f and jit.export(f) is f and jit.script_if_tracing(f) is f

    @jit.interface
    class Iface:
        def forward(self, x):
            pass

    assert Iface.__name__ == "Iface"
    with pytest.raises(RuntimeError, match="Argument to @torch.jit.ignore must be a bool or a function"):
        jit.ignore("yes")
    value = []
    assert jit.annotate(typing.List[int], value) is value
    assert jit.Final is typing.Final

    class M(torch.nn.Module):
        scale: jit.Final[int] = 2

        @jit.unused
        def helper(self):
            return 5

        @jit.export
        def forward(self, x):
            return x * self.scale if not jit.is_scripting() else x

    assert M()(torch.tensor([1.5])).tolist() == [3.0] and M().helper() == 5


def test_jit_fork_wait():
    calls = []

    def work(a, b, *, scale):
        calls.append((a, b))
        return (a + b) * scale

    fut = jit.fork(work, torch.tensor([1.0, 2.0]), 3, scale=2)
    assert calls and fut.done()
    assert jit.wait(fut).tolist() == [8.0, 10.0] and fut.value().tolist() == [8.0, 10.0]
    assert fut.then(lambda f: f.wait().sum().item()).wait() == 18.0
    seen = []
    fut.add_done_callback(lambda f: seen.append(f))
    assert seen == [fut]
    futures = [jit.fork(torch.mul, torch.tensor(float(i)), 2) for i in range(3)]
    assert [jit.wait(f).item() for f in futures] == [0.0, 2.0, 4.0]
    with pytest.raises(ZeroDivisionError):
        jit.fork(lambda: 1 / 0)


def test_jit_has_no_torchscript():
    for name in ("script", "trace", "save", "load", "ScriptModule"):
        with pytest.raises(AttributeError):
            getattr(jit, name)


# ---------------------------------------------------------------- torch.multiprocessing

def _double_back(q_in, q_out):
    x = q_in.get()
    # The dtype goes back as its name: a Tensor.dtype object does not pickle (see the report).
    q_out.put((x * 2, str(x.dtype), tuple(x.shape)))


def _rank_square(rank, q, base):
    q.put((rank, (base + rank) ** 2))


def _raise_in_rank_one(rank):
    if rank == 1:
        raise ValueError(f"boom from {rank}")


def _exit_code(rank):
    sys.exit(3)


def test_reexports_standard_api():
    for name in ("Process", "Queue", "Pool", "Manager", "get_context", "set_start_method", "get_start_method",
                 "cpu_count", "SimpleQueue", "Event", "Lock"):
        assert getattr(mp, name) is getattr(std_mp, name)
    assert "spawn" in mp.__all__ and "Queue" in mp.__all__


def test_sharing_strategy():
    strategies = mp.get_all_sharing_strategies()
    default = mp.get_sharing_strategy()
    assert default in strategies
    try:
        for s in strategies:
            mp.set_sharing_strategy(s)
            assert mp.get_sharing_strategy() == s
        with pytest.raises(AssertionError):
            mp.set_sharing_strategy("shared_memory_please")
    finally:
        mp.set_sharing_strategy(default)


def test_queue_round_trip_between_processes():
    ctx = mp.get_context("spawn")
    q_in, q_out = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_double_back, args=(q_in, q_out))
    p.start()
    x = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).t()  # non-contiguous goes by value too
    q_in.put(x)
    y, dtype, shape = q_out.get(timeout=30)
    p.join(30)
    assert p.exitcode == 0
    assert dtype == "torch.float64" and shape == (3, 2) and y.dtype == torch.float64
    np.testing.assert_array_equal(y.numpy(), 2 * np.arange(6.0).reshape(2, 3).T)


def test_spawn_runs_every_rank():
    q = std_mp.get_context("spawn").SimpleQueue()
    assert mp.spawn(_rank_square, args=(q, torch.tensor(2)), nprocs=2) is None
    results = dict(q.get() for _ in range(2))
    assert {r: v.item() for r, v in results.items()} == {0: 4, 1: 9}


def test_spawn_reports_child_exception():
    with pytest.raises(mp.ProcessRaisedException, match=r"-- Process 1 terminated with the following error:\n"
                                                        r"Traceback[\s\S]*ValueError: boom from 1") as info:
        mp.spawn(_raise_in_rank_one, nprocs=2)
    assert info.value.error_index == 1 and isinstance(info.value.pid, int)


def test_start_processes_exit_code_and_context():
    ctx = mp.start_processes(_exit_code, nprocs=1, join=False)
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        while not ctx.join():
            pass
    assert info.value.exit_code == 3
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):
        mp.spawn(_rank_square, args=(std_mp.get_context("spawn").SimpleQueue(), 0), nprocs=1,
                 start_method="fork")


# ---------------------------------------------------------------- autograd.Variable

def test_variable(device):
    data = torch.tensor([1.0, 2.0], device=device)
    v = Variable(data, requires_grad=True)
    assert type(v) is torch.Tensor and v.requires_grad and v.is_leaf and v.device == data.device
    assert not data.requires_grad
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad.cpu().numpy(), [2.0, 4.0])
    with torch.no_grad():
        v.mul_(3)
    assert data.tolist() == [3.0, 6.0]  # shares data's memory
    # A tensor with a history gives a new leaf outside that history.
    w = Variable(torch.ones(2, requires_grad=True) * 2)
    assert w.is_leaf and not w.requires_grad and w.grad_fn is None
    assert isinstance(torch.zeros(1), Variable) and isinstance(torch.nn.Parameter(torch.zeros(1)), Variable)
    assert issubclass(torch.Tensor, Variable) and not isinstance(np.zeros(1), Variable)
    assert tuple(Variable().shape) == (0,)


def test_variable_errors_and_volatile():
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0])
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        Variable(torch.tensor([1, 2]), requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = Variable(torch.ones(1), volatile=True)
    assert any("volatile was removed and now has no effect" in str(w.message) for w in caught)
    assert not v.requires_grad
