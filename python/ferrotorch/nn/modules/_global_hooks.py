"""PyTorch's global module hooks (`torch.nn.modules.module.register_module_*_hook`).

They are tables shared by every Module: `Module.__call__` runs the global forward (pre-)hooks before
each module's own, the registration methods pass every new parameter/buffer/submodule through the
registration hooks (which may replace it), and the global backward hooks are merged in front of a
module's own ones while its backward-hook callbacks run.
"""
from collections import OrderedDict

from ...utils.hooks import RemovableHandle

# Hooks shared by every Module (PyTorch's global module hooks). Global forward and backward hooks run
# before each module's own; registration hooks see (module, name, value) and may replace the value.
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = set()
_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_buffer_registration_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()


def _run_registration_hooks(table, module, name, value):
    for hook in list(table.values()):
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


def _register_global(table, hook):
    handle = RemovableHandle(table)
    table[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """`hook(module, args)` runs before every module's forward (before its own pre-hooks)."""
    return _register_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """`hook(module, args, output)` runs after every module's forward (before its own hooks)."""
    if with_kwargs:
        raise NotImplementedError("register_module_forward_hook(with_kwargs=True) is not supported by ferrotorch")
    handle = _register_global(_global_forward_hooks, hook)
    if always_call:
        _global_forward_hooks_always_called.add(handle.id)
    return handle


def register_module_backward_hook(hook):
    """Legacy global backward hook; like `Module.register_backward_hook`, runs as a full backward hook."""
    return register_module_full_backward_hook(hook)


def register_module_full_backward_hook(hook):
    """`hook(module, grad_input, grad_output)` for every module (before its own full backward hooks).

        >>> import ferrotorch as torch
        >>> seen = []
        >>> h = torch.nn.modules.module.register_module_full_backward_hook(lambda m, gi, go: seen.append(type(m)))
        >>> torch.nn.Tanh()(torch.ones(2, requires_grad=True)).sum().backward(); h.remove()
        >>> seen
        [<class 'ferrotorch.nn.modules.activation.Tanh'>]
    """
    return _register_global(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook):
    """`hook(module, grad_output)` for every module (before its own backward pre-hooks)."""
    return _register_global(_global_backward_pre_hooks, hook)


def register_module_buffer_registration_hook(hook):
    """`hook(module, name, buffer)` on every buffer registration; a non-None result replaces the buffer."""
    return _register_global(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """`hook(module, name, submodule)` on every submodule registration; a non-None result replaces it."""
    return _register_global(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """`hook(module, name, param)` on every parameter registration; a non-None result replaces it."""
    return _register_global(_global_parameter_registration_hooks, hook)


class _WithGlobalBackwardHooks:
    """Makes a module's backward-hook tables read as (global hooks, then its own) while one hook
    callback runs, so the shared backward-hook machinery sees both."""

    def __init__(self, module):
        self.d = module.__dict__

    def __enter__(self):
        d = self.d
        self.saved = d["_backward_hooks"], d["_backward_pre_hooks"]
        d["_backward_hooks"] = OrderedDict(list(_global_backward_hooks.items()) + list(self.saved[0].items()))
        d["_backward_pre_hooks"] = OrderedDict(list(_global_backward_pre_hooks.items()) + list(self.saved[1].items()))

    def __exit__(self, *exc):
        self.d["_backward_hooks"], self.d["_backward_pre_hooks"] = self.saved


def _with_globals(module, callback):
    def run(grads):
        with _WithGlobalBackwardHooks(module):
            return callback(grads)
    return run
