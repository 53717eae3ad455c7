"""torch.autograd.graph.saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks: which
tensors are packed and when, that the backward uses what the unpack hook returns, PyTorch's errors,
and that hooks neither leak graphs nor outlive their block. Expectations checked against PyTorch."""
import threading

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from conftest import assert_close


def recording_hooks(log):
    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, t.is_leaf, torch.is_grad_enabled()))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape)))
        return t
    return pack, unpack


def test_every_saved_tensor_is_packed_once_and_unpacked_by_the_backward(device):
    log = []
    a = torch.tensor([0.5, 1.0, 2.0], device=device, requires_grad=True)
    with saved_tensors_hooks(*recording_hooks(log)):
        b = a * a      # saves a twice
        c = b.exp()    # saves its output
        d = c.sin()    # saves its input c
    # Inputs arrive with their history (a leaf requiring grad); grad mode is off while packing.
    assert log[:2] == [("pack", (3,), True, True, False)] * 2
    assert [entry[0] for entry in log] == ["pack"] * 4
    log.clear()
    d.sum().backward()
    assert log == [("unpack", (3,))] * 4
    x = np.array([0.5, 1.0, 2.0])
    assert_close(a.grad.cpu(), (np.cos(np.exp(x * x)) * np.exp(x * x) * 2 * x).astype(np.float32), rtol=1e-5)


def test_backward_uses_what_unpack_returns(device):
    x = torch.ones(3, device=device, requires_grad=True)
    with saved_tensors_hooks(lambda t: None, lambda _: torch.full((3,), 2.0, device=device)):
        y = x * x
    y.sum().backward()
    assert_close(x.grad.cpu(), np.full(3, 4.0, dtype=np.float32))
    x.grad = None
    with saved_tensors_hooks(lambda t: t * 3, lambda t: t):
        y = x * x
    y.sum().backward()
    assert_close(x.grad.cpu(), np.full(3, 6.0, dtype=np.float32))


def test_hooked_values_are_not_version_checked_but_plain_ones_are():
    x = torch.ones(3, requires_grad=True)
    with saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        y = x.exp()
    y.add_(1)
    y.sum().backward()   # the hooks kept their own copy: no in-place error
    assert_close(x.grad, np.full(3, np.e, dtype=np.float32), rtol=1e-6)
    z = x.exp()
    z.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_unpack_must_return_a_tensor():
    x = torch.ones(3, requires_grad=True)
    with saved_tensors_hooks(lambda t: 1, lambda t: 5):
        y = x.exp()
    with pytest.raises(TypeError, match="^Output of saved tensor unpack_hook expected to be a Tensor but got result "
                                        "of type int$"):
        y.sum().backward()


def test_pack_errors_reach_the_caller_and_the_hooks_end_with_the_block():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(ZeroDivisionError):
        with saved_tensors_hooks(lambda t: 1 / 0, lambda t: t):
            x.exp()
    with pytest.raises(RuntimeError, match="^A saved tensor pack hook is modifying its input in place. Tensors "
                                           "provided as input to pack hook cannot be modified"):
        with saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
            (x * 1).exp()
    # Both blocks ended: no pair is installed (disabling hooks would fail otherwise).
    with disable_saved_tensors_hooks("none installed"):
        x.exp().sum().backward()
    assert_close(x.grad, np.full(2, np.e, dtype=np.float32), rtol=1e-6)


def test_grad_mode_and_when_hooks_run():
    log = []
    x = torch.ones(2, requires_grad=True)
    pack, unpack = recording_hooks(log)
    with torch.no_grad(), saved_tensors_hooks(pack, unpack):
        x.exp()
    assert log == []  # nothing is recorded, so nothing is saved
    with saved_tensors_hooks(pack, unpack):
        y = x.exp()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert [e[0] for e in log] == ["pack", "unpack", "unpack"]
    # The backward's own saved tensors are packed by the hooks active while it runs (create_graph).
    log.clear()
    z = (x * x).sum()
    with saved_tensors_hooks(pack, unpack):
        torch.autograd.grad(z, x, create_graph=True)
    assert [e[0] for e in log] == ["pack", "pack"]


def test_inner_pair_replaces_outer_and_packer_unpacks():
    log = []
    x = torch.ones(2, requires_grad=True)
    outer = (lambda t: log.append("outer") or t, lambda t: log.append("outer-unpack") or t)
    inner = (lambda t: log.append("inner") or t, lambda t: log.append("inner-unpack") or t)
    with saved_tensors_hooks(*outer):
        with saved_tensors_hooks(*inner):
            y = x.exp()
        z = y.sin()
    (z.sum()).backward()
    assert log == ["inner", "outer", "outer-unpack", "inner-unpack"]


def test_custom_function_save_for_backward_goes_through_hooks():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(i)
            return i * i

        @staticmethod
        def backward(ctx, g):
            i, = ctx.saved_tensors
            return 2 * g * i
    log = []
    x = torch.tensor([3.0], requires_grad=True)
    with saved_tensors_hooks(*recording_hooks(log)):
        y = Square.apply(x)
    y.backward()
    assert [e[0] for e in log] == ["pack", "unpack"] and x.grad.item() == 6.0


def test_hooks_are_per_thread():
    log, results = [], []
    x = torch.ones(2, requires_grad=True)
    with saved_tensors_hooks(lambda t: log.append("packed") or t, lambda t: t):
        worker = threading.Thread(target=lambda: results.append(x.exp()))
        worker.start()
        worker.join()
        x.exp()
    # The other thread recorded its op (a saved output) without this thread's pair; this one used it.
    assert len(results) == 1 and results[0].grad_fn is not None and log == ["packed"]


def test_identity_hooks_on_outputs_free_the_graph():
    before = torch._C._live_graph_nodes()
    x = torch.ones(4, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp().sigmoid().tanh()
    assert torch._C._live_graph_nodes() > before
    del y
    assert torch._C._live_graph_nodes() == before


def test_disable_saved_tensors_hooks():
    with disable_saved_tensors_hooks("hooks are off here"):
        with pytest.raises(RuntimeError, match="^hooks are off here$"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        with disable_saved_tensors_hooks("inner"):
            with pytest.raises(RuntimeError, match="^inner$"):
                saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
        with pytest.raises(RuntimeError, match="^hooks are off here$"):
            saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        with pytest.raises(RuntimeError, match="^cannot disable now$"):
            with disable_saved_tensors_hooks("cannot disable now"):
                pass


def test_save_on_cpu_keeps_activations_on_the_host(device):
    x = torch.tensor([0.1, 0.2, 0.3], device=device, requires_grad=True)
    kept = []
    with save_on_cpu():
        y = (x.exp() * x).sum()
    y.backward()
    assert_close(x.grad.cpu(), (np.exp([0.1, 0.2, 0.3]) * (1 + np.array([0.1, 0.2, 0.3]))).astype(np.float32),
                 rtol=1e-5)
    assert x.grad.device == x.device

    class Spy(save_on_cpu):
        def __init__(self):
            super().__init__(pin_memory=True)
            pack = self.pack_hook
            self.pack_hook = lambda t: kept.append(pack(t)) or kept[-1]
    with Spy():
        (x * x).sum()
    assert kept and all(dev == x.device and t.device.type == "cpu" for dev, t in kept)


def test_in_place_ops_under_hooks_keep_the_values_they_saved(device):
    # An in-place op saves its target and then overwrites it: the hooks get a private copy to
    # pack (what PyTorch's original_self is), so an identity hook's tensor stays right.
    x0 = np.array([0.5, 1.0, 2.0])
    a = torch.tensor(x0, device=device, requires_grad=True)
    w = torch.tensor(np.array([1.5, -2.0, 3.0]), device=device, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        x = a * 1
        x.sin_()
        y = (a * 1).mul_(w)
    (x.sum() + y.sum()).backward()
    assert_close(a.grad.cpu(), np.cos(x0) + np.array([1.5, -2.0, 3.0]), rtol=1e-12)
    assert_close(w.grad.cpu(), x0, rtol=1e-12)


def test_unpack_of_another_shape_or_dtype_is_an_error_not_a_crash():
    # The fused softmax and layer-norm kernels read the saved tensor with the gradient's shape.
    for make in (lambda x: x.softmax(1), lambda x: torch.nn.functional.layer_norm(x, (4,))):
        x = torch.rand(3, 4, requires_grad=True)
        with saved_tensors_hooks(lambda t: t, lambda t: torch.ones(2, 9, 5)):
            y = make(x)
        with pytest.raises(RuntimeError, match=r"^unpack_hook returned a tensor of shape \[2, 9, 5\], dtype float32 "
                                               r"on cpu, but the saved tensor had shape \[3, 4\], dtype float32 on cpu$"):
            y.sum().backward()
    x = torch.rand(3, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t.double()):
        y = x.exp()
    with pytest.raises(RuntimeError, match="dtype float64 on cpu, but the saved tensor had shape \\[3\\], dtype float32"):
        y.sum().backward()
