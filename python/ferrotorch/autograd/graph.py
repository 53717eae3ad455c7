"""`torch.autograd.graph`: graph nodes (`Tensor.grad_fn` objects) and saved-tensor hooks.

Saved-tensor hooks decide how the tensors a backward needs are kept between the forward and the
backward pass. Inside `saved_tensors_hooks(pack_hook, unpack_hook)`, every tensor an op saves is
passed to `pack_hook` and only its result is kept; the backward calls `unpack_hook` on that
result to get the tensor back:

    >>> import ferrotorch as torch
    >>> x = torch.ones(3, requires_grad=True)
    >>> with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 2., 2.])

Differences from PyTorch: an op's own output reaches `pack_hook` detached (PyTorch passes it with
its `grad_fn`; a hook that kept it would then make the node own itself, which Python's garbage
collector cannot see through here), and every tensor reaches it as a fresh Tensor object (a
Parameter as a plain Tensor).
"""
import contextlib

from .. import _C
from .._C import Node

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through `pack_hook(tensor)`,
    whose result is kept instead, and come back through `unpack_hook(packed)`, which must return
    a Tensor. Hooks are per thread; an inner pair replaces an outer one while it is active. The
    pair that packed a tensor unpacks it, whatever is active when the backward runs.

    Values saved this way are not checked for in-place changes (the hooks decide what is kept);
    `pack_hook` must not modify its input in place (a RuntimeError says so).
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _C._push_saved_tensors_hooks(self.pack_hook, self.unpack_hook)

    def __exit__(self, *args):
        _C._pop_saved_tensors_hooks()


class save_on_cpu(saved_tensors_hooks):
    """Keeps the tensors saved for backward in CPU memory and moves each back to its device when
    the backward needs it: GPU memory for activations is traded for transfers. `pin_memory` and
    `device_type` are accepted for PyTorch's signature; host memory here is never pinned.

        >>> import ferrotorch as torch
        >>> x = torch.ones(2, requires_grad=True)
        >>> with torch.autograd.graph.save_on_cpu():
        ...     y = x.exp().sum()
        >>> y.backward()
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return tensor.device, tensor.cpu()

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Context manager in which installing saved-tensor hooks raises RuntimeError(error_message)
    (entering it while hooks are installed raises the same). For features that cannot work with
    them."""
    previous = _C._set_saved_tensors_hooks_disabled(error_message)
    try:
        yield
    finally:
        _C._set_saved_tensors_hooks_disabled(previous)
