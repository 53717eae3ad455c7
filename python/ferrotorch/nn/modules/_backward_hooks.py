"""`Module.register_full_backward_hook` / `register_full_backward_pre_hook`.

The gradients a module's hooks see are captured by two identity autograd Functions that
`Module.__call__` wraps around the call: one over the input tensors that require grad (its
backward receives the gradients w.r.t. the module's inputs, and passes on what the hooks return),
one over the output tensors (its backward receives the gradients w.r.t. the outputs, which the
pre-hooks may replace). Because they are ordinary graph nodes, this works on every device and
composes with the rest of autograd. As in PyTorch, only tensors at the top level of the
positional arguments and of the output (a tensor or a tuple) are tracked; other entries of
`grad_input`/`grad_output` are None.
"""
import warnings

from ..._C import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...utils.hooks import RemovableHandle

__all__ = []


class _HookState:
    """What one call's input and output nodes share: the module, where the tracked tensors sit in
    args/output, and the output gradients waiting for the input gradients to arrive."""

    def __init__(self, module, n_inputs, input_index):
        self.module = module
        self.n_inputs = n_inputs
        self.input_index = input_index  # positions of the args routed through the input node, or None
        self.n_outputs = 0
        self.output_index = []
        self.grad_outputs = None

    @staticmethod
    def _pack(index, values, size):
        out = [None] * size
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    def on_output_grads(self, grads):
        """The output node's backward: runs the pre-hooks, keeps grad_output for the full hooks."""
        grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        grad_outputs = _run_replacing_hooks(self.module._backward_pre_hooks.values(),
                                            lambda hook, g: hook(self.module, g), grad_outputs,
                                            "Backward pre hook returned an invalid number of grad_output")
        if self.input_index is None:
            # No input requires grad, so the input node never runs: call the hooks from here.
            if self.module._backward_hooks:
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See "
                              "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                              "#torch.nn.Module.register_full_backward_hook for more details.", stacklevel=2)
                grad_inputs = (None,) * self.n_inputs
                for hook in list(self.module._backward_hooks.values()):
                    r = hook(self.module, grad_inputs, grad_outputs)
                    if r is not None and not (isinstance(r, tuple) and all(g is None for g in r)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                           "always return None or None for all gradients.")
        else:
            self.grad_outputs = grad_outputs
        return tuple(grad_outputs[i] for i in self.output_index)

    def on_input_grads(self, grads):
        """The input node's backward: calls the full hooks, which may replace grad_input."""
        if self.grad_outputs is None:  # the outputs' node did not run (gradient not through outputs)
            return grads
        grad_inputs = self._pack(self.input_index, grads, self.n_inputs)
        grad_inputs = _run_replacing_hooks(self.module._backward_hooks.values(),
                                           lambda hook, g: hook(self.module, g, self.grad_outputs), grad_inputs,
                                           "Backward hook returned an invalid number of grad_input")
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.input_index)


class BackwardHookFunction(Function):
    """Identity on its tensors; its backward hands their gradients to `callback` (which may replace them)."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        ctx.set_materialize_grads(False)  # an unused output's gradient stays None, as the hooks expect
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.callback(grads))


def _route(values, callback):
    """`values` (a tuple) with its grad-requiring tensors replaced by the identity node's outputs, and
    their positions (None when none requires grad or grad mode is off)."""
    index = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not index or not is_grad_enabled():
        return values, None
    routed = BackwardHookFunction.apply(callback, *(values[i] for i in index))
    out = list(values)
    for i, t in zip(index, routed):
        out[i] = t
    return tuple(out), index


class _BackwardHookMixin:
    """The backward-hook methods of `Module`."""

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """`hook(module, grad_output)` runs when the gradients w.r.t. the module's outputs are known; a
        non-None result (a tuple as long as grad_output) replaces them."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """`hook(module, grad_input, grad_output)` runs when the gradients w.r.t. the module's inputs are
        known; a non-None result (a tuple as long as grad_input) replaces grad_input. Entries for
        arguments that are not tensors requiring grad are None.

            >>> import ferrotorch as torch
            >>> lin = torch.nn.Linear(2, 1)
            >>> seen = []
            >>> _ = lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
            >>> lin(torch.ones(3, 2, requires_grad=True)).sum().backward()
            >>> seen
            [torch.Size([3, 1])]
        """
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _setup_backward_input_hook(self, args):
        state = _HookState(self, len(args), None)
        args, state.input_index = _route(args, state.on_input_grads)
        return args, state

    def _setup_backward_output_hook(self, result, state):
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        state.n_outputs = len(outputs)
        routed, index = _route(outputs, state.on_output_grads)
        if index is None:
            return result
        state.output_index = index
        return routed[0] if single else type(result)(routed) if type(result) is tuple else type(result)(*routed)


def _run_replacing_hooks(hooks, call, grads, message):
    """Calls each hook in turn; one that returns a value replaces `grads` (same count required)."""
    for hook in list(hooks):
        r = call(hook, grads)
        if r is None:
            continue
        r = r if isinstance(r, tuple) else (r,)
        if len(r) != len(grads):
            raise RuntimeError(f"{message}, got {len(r)}, but expected {len(grads)}")
        grads = r
    return grads
