"""`torch.autograd.functional`: Jacobians, Hessians and their products for a user function.

Everything is built on reverse mode (`autograd.grad`), so it runs on any device and, with
`create_graph=True`, stays differentiable:

- `vjp`: one backward pass with `v` as the output gradient.
- `jvp` and `hvp`: the "double-backward trick" (forward-mode products obtained by differentiating a
  vector-Jacobian product with respect to its dummy, zero-valued output gradient), as PyTorch does.
- `jacobian`: one backward pass per output element (`vectorize=True` is accepted and runs the
  same loop: ferrotorch has no vmap'd backward), or, with `strategy="forward-mode"`, one
  forward-mode pass per input element through `autograd.forward_ad` (forward mode emulated by the
  same double-backward trick, so it is correct wherever double backward is, but not cheaper).
- `hessian`: the Jacobian of the Jacobian (`outer_jacobian_strategy="forward-mode"` gives
  forward-over-reverse, which needs `func` differentiable three times); `vhp` differentiates the
  gradient once more.

Output structure follows PyTorch: a Tensor input (or output) gives a Tensor, a tuple gives a tuple,
and `jacobian` of tuple outputs and tuple inputs is a tuple (per output) of tuples (per input).

    >>> import ferrotorch as torch
    >>> from ferrotorch.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, torch.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""
from .. import _C
from .._C import Tensor
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(value, arg_name, fn_name):
    """(was it a tuple, the value as a tuple of Tensors), with PyTorch's type errors."""
    if isinstance(value, tuple):
        is_tuple = True
    elif isinstance(value, list):
        is_tuple, value = True, tuple(value)
    else:
        is_tuple, value = False, (value,)
    for i, el in enumerate(value):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                                f"but the value at index {i} has type {type(el)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the given {arg_name} has type {type(el)}.")
    return is_tuple, value


def _untuple(res, to_unpack):
    """Undo `_as_tuple`: unwrap one level (bool) or two levels ((bool, bool), for nested results)."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if to_unpack else res[0]


def _prepare(inputs, create_graph, need_graph):
    # Differentiate with respect to fresh leaves so that the user's tensors' graphs are untouched;
    # with create_graph the result must still link back to the user's graph, hence a view.
    out = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            out.append(inp.view_as(inp))
        else:
            out.append(inp.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(values, create_graph):
    """Detach results unless the caller asked for a graph (None and nested tuples pass through)."""
    if isinstance(values[0] if values else None, tuple):
        return tuple(_finish(v, create_graph) for v in values)
    if create_graph:
        return tuple(values)
    return tuple(v.detach() if isinstance(v, Tensor) else v for v in values)


def _validate_v(v, other, other_is_tuple):
    if len(other) != len(v):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if other_is_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.shape} but got {el_v.shape}.")


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be "
               "computed in a differentiable manner from the input when running in strict mode.",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice "
               "differentiable and that the hessian depends on the inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect "
                "to input {i} is independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is twice differentiable and that the jacobian depends on the inputs (this "
                "would be violated by a linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
}


def _check_requires_grad(values, kind, strict):
    if not strict:
        return
    for i, v in enumerate(values):
        if v is None or not v.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that have a graph; None for inputs they do not reach."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs = [o for o, _ in pairs]
    gos = [g if g is not None else _C.ones_like(o) for o, g in pairs]
    from . import grad
    return grad(outs, inputs, gos, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                         "This is not allowed in strict mode as it prevents from using the double backward trick to "
                         "replace forward mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Replace the None gradients (input not reached) by zeros, or raise in strict mode."""
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = _C.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is "
                               "not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _check_single_scalar_output(out, fn_name):
    if isinstance(out, (tuple, list)) or not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns `(func(inputs), v^T J)`: the vector-Jacobian product at `inputs`.

    `v` may be omitted when `func` returns a one-element Tensor.

        >>> import ferrotorch as torch
        >>> out, g = torch.autograd.functional.vjp(lambda x: x.sum(), torch.ones(2))
        >>> g
        tensor([1., 1.])
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, outputs, outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad(outputs, inputs, v, create_graph=create_graph)
        g = _zeros_for_none(g, inputs, strict, create_graph, "back")
    return _untuple(_finish(outputs, create_graph), outputs_tuple), _untuple(_finish(g, create_graph), inputs_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns `(func(inputs), J v)`: the Jacobian-vector product, by the double-backward trick.

    `v` may be omitted when `inputs` is a single one-element Tensor.

        >>> import ferrotorch as torch
        >>> out, t = torch.autograd.functional.jvp(lambda x: 3 * x, torch.ones(2), torch.ones(2))
        >>> t
        tensor([3., 3.])
    """
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, inputs, inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # u -> J^T u is linear in u; differentiating it with respect to u, in the direction v, gives J v.
        dummy = tuple(_C.zeros_like(o).requires_grad_(True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, dummy, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad(grad_inputs, dummy, v, create_graph=create_graph)
        g = _zeros_for_none(g, outputs, strict, create_graph, "back_trick")
    return _untuple(_finish(outputs, create_graph), outputs_tuple), _untuple(_finish(g, create_graph), outputs_tuple)


_STRATEGY_MESSAGE = ('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has '
                     'more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to '
                     'use "reverse-mode".')


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of `func` at `inputs`; entry `[i][j]` has shape `outputs[i].shape + inputs[j].shape`.

    `strategy="reverse-mode"`: one backward pass per output element (`vectorize` is accepted but
    runs the same loop). `strategy="forward-mode"` (PyTorch requires `vectorize=True` with it):
    one forward-mode pass per input element, through `autograd.forward_ad`.

        >>> import ferrotorch as torch
        >>> torch.autograd.functional.jacobian(lambda x: 2 * x, torch.ones(2))
        tensor([[2., 0.],
                [0., 2.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_MESSAGE)
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacobian_forward_mode(func, inputs, strict, vectorize)
    if vectorize and strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
                           "together. Please either set `strict=False` or `vectorize=False`.")
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(flat.numel()):
                vk = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(vk, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = _C.zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            per_input = []
            for j, inp in enumerate(inputs):
                shape = tuple(out.shape) + tuple(inp.shape)
                if rows[j]:
                    per_input.append(_C.stack(rows[j]).reshape(shape))
                else:
                    # An empty output: an empty Jacobian of the right shape.
                    per_input.append(_C.zeros(shape, dtype=inp.dtype, device=inp.device))
            jac.append(tuple(per_input))
        jac = _finish(tuple(jac), create_graph)
        return _untuple(jac, (outputs_tuple, inputs_tuple))


def _jacobian_forward_mode(func, inputs, strict, vectorize):
    """`jacobian(strategy="forward-mode")`: column `k` of the Jacobian with respect to input `j`
    is the tangent of the outputs when input `j` carries the tangent e_k. `forward_ad` computes
    each tangent by double backward, so `func` must be differentiable twice. As in PyTorch, the
    Jacobian stays attached to the graph of an input that requires grad."""
    from . import forward_ad as fw_ad
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                           'not supported together (yet). Please either set `strict=False` or '
                           '`strategy="reverse-mode"`.')
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        # PyTorch's message, missing space included.
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
                                  "implemented for `vectorize=True`.")
    keep_graph = is_grad_enabled()
    outputs, outputs_tuple = None, False
    columns = [[] for _ in inputs]  # columns[j][k]: the flat tangent of every output, for e_k of input j
    with enable_grad():
        for j, inp in enumerate(inputs):
            for k in range(inp.numel()):
                basis = _C.zeros(tuple(inp.shape), dtype=inp.dtype, device=inp.device)
                basis.view(-1)[k] = 1
                # One level per column, so each level only holds its own dual.
                with fw_ad.dual_level():
                    args = list(inputs)
                    args[j] = fw_ad.make_dual(inp, basis)
                    outputs_tuple, outputs = _as_tuple(func(*args), "outputs of the user-provided function",
                                                       "jacobian")
                    tangents = [fw_ad.unpack_dual(o).tangent for o in outputs]
                columns[j].append([_C.zeros(o.numel(), dtype=o.dtype, device=o.device) if t is None else t.reshape(-1)
                                   for o, t in zip(outputs, tangents)])
        if outputs is None:
            # Every input is empty: func runs once, only for the outputs' shapes.
            outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        jac = []
        for i, out in enumerate(outputs):
            per_input = []
            for j, inp in enumerate(inputs):
                shape = tuple(out.shape) + tuple(inp.shape)
                if columns[j]:
                    per_input.append(_C.stack([col[i] for col in columns[j]], 1).reshape(shape))
                else:
                    per_input.append(_C.zeros(shape, dtype=out.dtype, device=out.device))
            jac.append(tuple(per_input))
    jac = _finish(tuple(jac), keep_graph)
    return _untuple(jac, (outputs_tuple, inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar `func` at `inputs`; entry `[i][j]` has shape `inputs[i].shape + inputs[j].shape`.

        >>> import ferrotorch as torch
        >>> torch.autograd.functional.hessian(lambda x: (x ** 3).sum(), torch.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_output(*inp):
        out = func(*inp)
        _, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        _check_single_scalar_output(out, "hessian")
        return out.squeeze()

    def gradient(*inp):
        jac = jacobian(scalar_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _untuple(res, (inputs_tuple, inputs_tuple))


def _second_order_setup(func, inputs, v, create_graph, strict, fn_name):
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _prepare(v, create_graph, need_graph=False)
        _validate_v(v, inputs, inputs_tuple)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                           "Tensor with a single element.")
    outputs = func(*inputs)
    _, t_out = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    _check_requires_grad(t_out, "outputs", strict)
    _check_single_scalar_output(outputs, fn_name)
    # The gradient, kept differentiable for the second backward pass.
    jac = _grad(t_out, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return inputs_tuple, inputs, v, t_out, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns `(func(inputs), v^T H)` for a scalar `func`.

        >>> import ferrotorch as torch
        >>> _, r = torch.autograd.functional.vhp(lambda x: (x ** 2).sum(), torch.ones(2), torch.ones(2))
        >>> r
        tensor([2., 2.])
    """
    with enable_grad():
        inputs_tuple, inputs, v, outputs, jac = _second_order_setup(func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad(jac, inputs, v, create_graph=create_graph)
        g = _zeros_for_none(g, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _untuple(_finish(g, create_graph), inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns `(func(inputs), H v)` for a scalar `func` (double-backward trick).

        >>> import ferrotorch as torch
        >>> _, r = torch.autograd.functional.hvp(lambda x: (x ** 3).sum(), torch.ones(2), torch.ones(2))
        >>> r
        tensor([6., 6.])
    """
    with enable_grad():
        inputs_tuple, inputs, v, outputs, jac = _second_order_setup(func, inputs, v, create_graph, strict, "hvp")
        dummy = tuple(_C.zeros_like(inp).requires_grad_(True) for inp in inputs)
        double_back = _grad(jac, inputs, dummy, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad(double_back, dummy, v, create_graph=create_graph)
        g = _zeros_for_none(g, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _untuple(_finish(g, create_graph), inputs_tuple)
