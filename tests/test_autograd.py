"""Autograd semantics as PyTorch defines them: leaves and .grad, grad_fn graphs, backward's
options, autograd.grad, higher-order gradients, grad modes, in-place safety, hooks, custom
Functions, and the errors users hit. Per-op gradients are in test_autograd_registry.py."""
import gc
import os
import threading

import numpy as np
import pytest

import ferrotorch as torch
from conftest import run_in_fresh_process, to_numpy


def leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- leaves and .grad
def test_leaf_attributes_and_grad_starts_as_none():
    x = leaf([1.0, 2.0])
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    plain = torch.tensor([1.0])
    assert not plain.requires_grad and plain.is_leaf


def test_requires_grad_only_on_floating_dtypes():
    for dtype in (torch.int64, torch.int32, torch.uint8, torch.bool):
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
            torch.zeros(2, dtype=dtype, requires_grad=True)
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            torch.zeros(2, dtype=dtype).requires_grad_()
        with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require"):
            torch.zeros(2, dtype=dtype).requires_grad = True
    t = torch.zeros(2, dtype=torch.int64)
    t.requires_grad_(False)  # turning it off is always allowed
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        assert torch.zeros(2, dtype=dtype, requires_grad=True).requires_grad


def test_requires_grad_on_non_leaf_can_only_be_turned_on():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)


def test_grad_accumulates_across_backward_calls_and_is_assignable():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 7.0, 9.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [3.0, 3.0, 3.0])
    x.grad = torch.ones(3, dtype=torch.float64)
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [4.0, 4.0, 4.0])


def test_grad_is_the_same_object_while_it_is_the_same_tensor():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    g = x.grad
    assert x.grad is g  # PyTorch hands out one Python object per gradient tensor
    (x * 3).sum().backward()  # accumulates into the same tensor
    assert x.grad is g
    np.testing.assert_allclose(to_numpy(g), [5.0, 5.0])
    assigned = torch.zeros(2, dtype=torch.float64)
    x.grad = assigned
    assert x.grad is assigned
    assigned.add_(1.0)  # the assigned object is the gradient itself
    np.testing.assert_allclose(to_numpy(x.grad), [1.0, 1.0])
    x.grad = None
    assert x.grad is None
    (x * 2).sum().backward()
    assert x.grad is not g and x.grad is x.grad


def test_assigning_grad_of_wrong_shape_or_type_fails():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^attempting to assign a gradient of size '\[3\]' to a tensor of size "
                                           r"'\[2\]'. Please ensure that the gradient and the tensor are the same size$"):
        x.grad = torch.ones(3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype 'float' to a tensor with "
                                           "grad_dtype 'Double'. The gradient must match the tensor's grad_dtype"):
        x.grad = torch.ones(2, dtype=torch.float32)
    with pytest.raises(TypeError, match="^assigned grad expected to be a Tensor or None but got grad of type int$"):
        x.grad = 3
    x.grad = None
    assert x.grad is None


def test_grad_of_non_leaf_is_none_with_a_warning_unless_retained():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z.sum().backward()
    np.testing.assert_allclose(to_numpy(y.grad), [4.0, 8.0])
    w = x * 5
    w.sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert w.grad is None


def test_integer_and_comparison_results_never_require_grad():
    x = leaf([1.0, -2.0, 3.0])
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    assert not x.long().requires_grad
    assert not torch.isnan(x).requires_grad
    assert x.max(0).values.requires_grad and not x.max(0).indices.requires_grad


def test_detach_shares_memory_and_cuts_history():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.data_ptr() == y.data_ptr()
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_numpy_refuses_tensors_that_require_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
        x.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(x)
    forced = x.numpy(force=True)
    forced[0] = 10
    assert x[0].item() == 1.0
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 2.0])


# ----------------------------------------------------------------------------- grad_fn graph
def test_next_functions_walk_to_accumulate_grad():
    x = leaf([1.0])
    w = leaf([2.0])
    y = x * w + 1
    add = y.grad_fn
    assert add.name() == "AddBackward0"
    mul, _ = add.next_functions[0]
    assert mul.name() == "MulBackward0"
    acc_x, nr = mul.next_functions[0]
    assert acc_x.name() == "torch::autograd::AccumulateGrad" and nr == 0
    assert acc_x.variable is x or acc_x.variable.data_ptr() == x.data_ptr()
    # A constant operand has no edge.
    assert add.next_functions[1] == (None, 0)


# ----------------------------------------------------------------------------- backward options
def test_implicit_gradient_only_for_scalars():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(torch.tensor([1.0, 10.0], dtype=torch.float64))
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 20.0])


def test_gradient_of_wrong_shape_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3, dtype=torch.float64))


def test_gradient_must_match_the_outputs_complexness():
    z = torch.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    message = (r"For complex Tensors, both grad_output and output are required to have the same dtype. Mismatch in "
               r"dtype: grad_output\[0\] has a dtype of torch.float32 and output\[0\] has a dtype of torch.complex64.")
    with pytest.raises(RuntimeError, match=message):
        (z * 2).backward(torch.ones(2))
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad_output\\[0\\] has a dtype of torch.complex64 and output\\[0\\] has a "
                                           "dtype of torch.float64"):
        torch.autograd.grad(x * 2, x, torch.ones(2, dtype=torch.complex64))


def test_gradient_is_cast_to_the_outputs_dtype():
    # PyTorch casts grad_output to the output's dtype before the first backward formula runs.
    x = leaf([1.0, 2.0], dtype=torch.float32)
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.dtype))
    y.backward(torch.tensor([1, 2]))
    assert seen == [torch.float32]
    np.testing.assert_allclose(to_numpy(x.grad), [3.0, 6.0])
    z = torch.tensor([1 + 1j], dtype=torch.complex64, requires_grad=True)
    w = torch.fft.fft(z)
    w.backward(torch.tensor([2 - 1j], dtype=torch.complex128))
    assert z.grad.dtype == torch.complex64
    np.testing.assert_allclose(to_numpy(z.grad), [2 - 1j])


def test_backward_on_tensor_without_graph_fails():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.tensor(1.0).backward()


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = to_numpy(x.grad)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * first)


def test_saved_tensors_are_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    assert len(y.grad_fn._saved_tensors) == 2
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        y.grad_fn._saved_tensors


def test_backward_inputs_restricts_accumulation():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(to_numpy(w.grad), [1.0, 2.0])
    (x * w).sum().backward(inputs=x)
    np.testing.assert_allclose(to_numpy(x.grad), [3.0, 4.0])


def test_autograd_backward_function_with_several_roots():
    x = leaf([1.0, 2.0])
    a, b = x * 2, (x * x).sum()
    torch.autograd.backward([a, b], [torch.ones(2, dtype=torch.float64), None])
    np.testing.assert_allclose(to_numpy(x.grad), [4.0, 6.0])


def test_diamond_graph_and_reused_tensor_sum_their_paths():
    x = leaf([2.0])
    a = x * 3
    b = a * a + a.exp() + a  # a used three times
    b.backward()
    expected = 2 * 6.0 * 3 + np.exp(6.0) * 3 + 3
    np.testing.assert_allclose(to_numpy(x.grad), [expected])


def test_broadcast_inputs_get_summed_gradients():
    x = leaf([[1.0], [2.0]])  # (2, 1)
    y = leaf([1.0, 2.0, 3.0])  # (3,)
    (x * y).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [[6.0], [6.0]])
    np.testing.assert_allclose(to_numpy(y.grad), [3.0, 3.0, 3.0])


def test_mixed_dtypes_give_gradients_in_each_inputs_dtype():
    x = leaf([1.0, 2.0], dtype=torch.float32)
    y = leaf([3.0, 4.0], dtype=torch.float64)
    (x * y).sum().backward()
    assert x.grad.dtype == torch.float32 and y.grad.dtype == torch.float64


# ----------------------------------------------------------------------------- autograd.grad
def test_grad_returns_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(to_numpy(g), [3.0, 12.0])
    assert x.grad is None


def test_grad_with_grad_outputs_and_allow_unused():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used in the graph"):
        torch.autograd.grad(y, [x, unused], grad_outputs=torch.ones(2, dtype=torch.float64), retain_graph=True)
    gx, gu = torch.autograd.grad(y, [x, unused], grad_outputs=torch.tensor([1.0, 3.0], dtype=torch.float64),
                                 allow_unused=True)
    np.testing.assert_allclose(to_numpy(gx), [2.0, 6.0])
    assert gu is None


def test_grad_of_input_that_does_not_require_grad_fails():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        torch.autograd.grad((x * 2).sum(), torch.tensor([1.0]))


# ----------------------------------------------------------------------------- higher order
def test_second_derivative_with_create_graph():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_numpy(h), [6.0, 12.0])


def test_gradient_penalty_backward_through_grad():
    x = leaf([0.5, -1.0, 2.0])
    w = leaf([1.5, 2.0, -0.5])
    out = (x * w).tanh().sum()
    (gx,) = torch.autograd.grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    # d/dw sum((w (1 - tanh^2(xw)))^2), by hand.
    xv, wv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 2.0, -0.5])
    s = 1 - np.tanh(xv * wv) ** 2
    d_gx_dw = s + wv * (-2 * np.tanh(xv * wv) * s * xv)
    np.testing.assert_allclose(to_numpy(w.grad), 2 * wv * s * d_gx_dw, rtol=1e-10)


def test_hessian_vector_product():
    x = leaf([1.0, 2.0, 3.0])
    v = torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64)
    f = (x * x * x).sum() + (x * x).sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(to_numpy(hv), (6 * np.array([1.0, 2.0, 3.0]) + 2) * np.array([1.0, 0.0, -1.0]))


@pytest.mark.parametrize("name,fn", [
    ("pow", lambda a, b: a.abs().add(0.5) ** b),
    ("pow-scalar", lambda a, b: (a * b).pow(2)),
    ("exp-sin", lambda a, b: a.exp().sin() * b),
    ("div", lambda a, b: a / (b * b + 1)),
    ("tanh-sigmoid", lambda a, b: a.tanh() + b.sigmoid() * a),
    ("maximum", lambda a, b: torch.maximum(a, b * 2)),
    ("log-softmax-like", lambda a, b: (a * b) - (a * b).logsumexp(dim=-1, keepdim=True)),
    ("softmax-like", lambda a, b: (a - a.amax(dim=-1, keepdim=True)).exp() / (a - a.amax(dim=-1, keepdim=True)).exp().sum(-1, keepdim=True) * b),
    ("var-mean", lambda a, b: a.var(dim=0) + b.mean()),
    ("std-norm", lambda a, b: a.std() * b.norm()),
    ("prod-cumsum", lambda a, b: a.prod(dim=1) + b.cumsum(0).sum(1)),
    ("clamp", lambda a, b: a.clamp(-0.5, 0.5) * b),
])
def test_gradgradcheck_representative_ops(name, fn):
    gen = np.random.default_rng(0)
    a = torch.tensor(gen.uniform(-1.5, 1.5, (3, 4)), requires_grad=True)
    b = torch.tensor(gen.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    assert torch.autograd.gradgradcheck(fn, (a, b)), name


# ----------------------------------------------------------------------------- modes
def test_no_grad_records_nothing_and_restores():
    x = leaf([1.0])
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad


def test_modes_as_decorators():
    x = leaf([1.0])

    @torch.no_grad()
    def f():
        return x * 2

    @torch.enable_grad()
    def g():
        return x * 2

    @torch.inference_mode()
    def h():
        return x * 2

    assert not f().requires_grad
    with torch.no_grad():
        assert g().requires_grad
    assert not h().requires_grad
    assert torch.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context():
    x = leaf([1.0])
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_inference_mode_implies_no_grad():
    x = leaf([1.0])
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        assert not (x * 2).requires_grad
        with torch.inference_mode(False):
            assert not torch.is_inference_mode_enabled()
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = torch.is_grad_enabled()
        x = leaf([1.0])
        seen["records"] = (x * 2).requires_grad

    with torch.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == {"enabled": True, "records": True}


def test_exception_inside_no_grad_restores_mode():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError
    assert torch.is_grad_enabled()


# ----------------------------------------------------------------------------- in-place safety
def test_inplace_on_leaf_that_requires_grad_fails():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x.mul_(2)
    with torch.no_grad():
        x.add_(1)  # allowed: the usual optimizer update
    np.testing.assert_allclose(x.detach().numpy(), [2.0, 3.0])


def test_modifying_a_saved_tensor_fails_at_backward():
    x = leaf([1.0, 2.0])
    a = x * 1
    b = a.exp()  # saves its output
    c = a * a  # saves a
    c.add_(0)  # fine: c is not saved by anyone
    a.add_(1)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified by an inplace operation"):
        c.sum().backward()
    b.mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0 instead"):
        b.sum().backward()


def test_inplace_on_non_leaf_rebases_history():
    x = leaf([1.0, 2.0])
    y = x * 3
    version = y._version
    y.mul_(y)  # y = (3x)^2
    assert y._version == version + 1 and y.grad_fn.name() == "MulBackward0"
    y.exp_()
    y.sum().backward()
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(to_numpy(x.grad), np.exp(9 * xv ** 2) * 18 * xv)


def test_version_counter_increments_on_each_inplace_op():
    t = torch.zeros(3)
    v0 = t._version
    t.add_(1)
    t[0] = 5
    t.zero_()
    assert t._version == v0 + 3


# ----------------------------------------------------------------------------- hooks
def test_tensor_hook_can_observe_and_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(to_numpy(g)))
    h = y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], [4.0, 8.0])
    np.testing.assert_allclose(to_numpy(x.grad), [80.0, 160.0])
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 2.0])


def test_hook_on_leaf_runs_before_accumulation():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g + 1)
    (x * 2).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [3.0, 3.0])


def test_hook_returning_wrong_shape_or_raising_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="hook 'hook' has changed the size of value"):
        y.sum().backward()
    z = x * 2

    def boom(g):
        raise KeyError("from hook")

    z.register_hook(boom)
    with pytest.raises(KeyError, match="from hook"):
        z.sum().backward()


def test_register_hook_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad_and_the_parameter_itself():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda p: seen.append((p is x, to_numpy(p.grad).tolist())))
    x.register_hook(lambda g: g * 10)  # tensor hooks run before accumulation
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert seen == [(True, [30.0, 30.0]), (True, [60.0, 60.0])]
    torch.autograd.grad((x * 2).sum(), x)  # autograd.grad accumulates nothing, so runs no such hook
    assert len(seen) == 2
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_runs_an_optimizer_in_backward():
    model = torch.nn.Linear(3, 2)
    optimizers = {p: torch.optim.SGD([p], lr=0.5) for p in model.parameters()}
    before = {name: to_numpy(p).copy() for name, p in model.named_parameters()}

    def step(p):  # the parameter keys the dict, so the hook must get the object itself
        optimizers[p].step()
        p.grad = None

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(step)
    x = torch.ones(4, 3)
    model(x).sum().backward()
    assert all(p.grad is None for p in model.parameters())
    np.testing.assert_allclose(to_numpy(model.bias), before["bias"] - 0.5 * 4, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(model.weight), before["weight"] - 0.5 * 4, rtol=1e-6)


def test_post_accumulate_grad_hook_errors_and_lifetime():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_post_accumulate_grad_hook(lambda p: None)
    x.register_post_accumulate_grad_hook(lambda p: 5)
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
        (x * 1).sum().backward()
    # The hook holds its tensor weakly: registering one does not keep a parameter alive.
    import weakref
    y = leaf([1.0])
    y.register_post_accumulate_grad_hook(lambda p: None)
    ref = weakref.ref(y)
    del y
    gc.collect()
    assert ref() is None


# ----------------------------------------------------------------------------- custom Functions
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x * ctx.scale, None


def test_custom_function_forward_backward_and_non_tensor_args():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [6.0, 24.0])
    assert torch.autograd.gradcheck(lambda t: Cube.apply(t, 0.5), (leaf([0.3, -0.7]),))


def test_custom_function_needs_input_grad_and_non_differentiable_outputs():
    seen = {}

    class SortLike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            out, idx = a * b, (a > 0).long()
            ctx.mark_non_differentiable(idx)
            return out, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            seen["needs"] = ctx.needs_input_grad
            return g * 2, None

    a, b = leaf([1.0, -1.0]), torch.tensor([3.0, 4.0], dtype=torch.float64)
    out, idx = SortLike.apply(a, b)
    assert out.requires_grad and not idx.requires_grad
    out.sum().backward()
    assert seen["needs"] == (True, False)
    np.testing.assert_allclose(to_numpy(a.grad), [2.0, 2.0])


def test_custom_function_set_materialize_grads():
    got = {}

    class TwoOut(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got["g2"] = g2
            return (g1 if g1 is not None else 0) + (g2 * 2 if g2 is not None else 0), None

    x = leaf([1.0])
    TwoOut.apply(x, False)[0].sum().backward()
    assert got["g2"] is None
    TwoOut.apply(x, True)[0].sum().backward()
    np.testing.assert_allclose(to_numpy(got["g2"]), [0.0])


def test_custom_function_wrong_number_of_gradients():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="function BadBackward returned an incorrect number of gradients"):
        Bad.apply(leaf([1.0])).sum().backward()


def test_custom_function_double_backward():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    assert torch.autograd.gradgradcheck(Square.apply, (leaf([0.5, -1.5]),))


# ----------------------------------------------------------------------------- gradcheck itself
def test_gradcheck_catches_a_wrong_backward():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 x g

    with pytest.raises(torch.autograd.GradcheckError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(Wrong.apply, (leaf([1.0, 2.0]),))
    assert not torch.autograd.gradcheck(Wrong.apply, (leaf([1.0, 2.0]),), raise_exception=False)


# ----------------------------------------------------------------------------- memory
def test_graph_is_freed_when_outputs_go_out_of_scope():
    live = torch._C._live_graph_nodes
    x = leaf([1.0, 2.0])
    gc.collect()
    before = live()
    y = ((x * 2 + 1).relu() * x).sum()
    assert live() > before
    del y
    gc.collect()
    assert live() <= before + 1  # x's AccumulateGrad node may stay cached on x


def test_memory_stays_flat_over_10000_training_iterations():
    live = torch._C._live_graph_nodes
    w = torch.randn(8, 4, requires_grad=True)
    b = torch.zeros(4, requires_grad=True)
    x = torch.randn(16, 8)

    def step():
        loss = (x.matmul(w) + b).relu().pow(2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 0.01)
            b.sub_(b.grad * 0.01)
        w.grad = None
        b.grad = None

    for _ in range(100):
        step()
    gc.collect()
    nodes = live()
    rss = _rss_bytes()
    for _ in range(10_000):
        step()
    gc.collect()
    assert live() == nodes
    assert _rss_bytes() - rss < 8 * 2 ** 20  # no growth beyond allocator noise


def _rss_bytes():
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("resident memory is read from /proc (Linux)")
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_pickle_and_deepcopy_keep_requires_grad():
    import copy
    import pickle
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    for b in (copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert b.requires_grad and b.is_leaf and b.tolist() == [1.0, 2.0]
        assert b.data_ptr() != a.data_ptr()
    plain = pickle.loads(pickle.dumps(torch.arange(3)))
    assert not plain.requires_grad and plain.dtype == torch.int64


# ----------------------------------------------------------------------------- cumprod with zeros
def _cumprod_grad_reference(x, g):
    """d(sum(g * cumprod(x)))/dx by the definition: sum over j >= i of g_j * prod_{k<=j, k!=i} x_k."""
    n = len(x)
    return np.array([sum(g[j] * np.prod([x[k] for k in range(j + 1) if k != i]) for j in range(i, n))
                     for i in range(n)])


@pytest.mark.parametrize("row", [[0.0, 2.0, 3.0], [2.0, 0.0, 3.0, 0.0, 5.0], [1.5, -2.0, 0.5], [0.0, 0.0, 4.0]])
def test_cumprod_gradient_is_exact_with_zeros(device, row):
    g = np.linspace(0.5, 1.5, len(row))
    x = torch.tensor([row, row[::-1]], dtype=torch.float64, device=device, requires_grad=True)
    (x.cumprod(1) * torch.tensor(np.stack([g, g]), device=device)).sum().backward()
    got = x.grad.cpu().numpy()
    np.testing.assert_allclose(got[0], _cumprod_grad_reference(row, g), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], _cumprod_grad_reference(row[::-1], g), rtol=1e-12, atol=1e-12)


def test_cumprod_with_zeros_passes_gradgradcheck():
    x = torch.tensor([[0.0, 1.5, -0.7, 2.0], [0.9, 0.0, 1.1, 0.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: t.cumprod(1), (x,))
    assert torch.autograd.gradgradcheck(lambda t: t.cumprod(1), (x,))


def test_gradcheck_runs_on_gpu_tensors(device):
    x = torch.tensor([[0.3, -0.7], [1.1, 0.2]], dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: (t.exp() * t).sum(1), (x,))
    assert torch.autograd.gradgradcheck(lambda t: t.sin() * t, (x,))


def test_cumprod_double_backward_without_zeros_stays_linear(device):
    # The O(n^2) formula is only for inputs holding a zero: 6000 elements would need 137 MiB.
    x = (torch.rand(6000, device=device) + 1).requires_grad_()
    (g,) = torch.autograd.grad(x.cumprod(0).sum(), x, create_graph=True)
    assert g.shape == (6000,) and g.requires_grad


def test_backward_with_create_graph_warns_once_per_process_about_the_reference_cycle():
    # PyTorch's TORCH_WARN_ONCE from backward(), not from autograd.grad (checked against 2.15).
    code = ("import warnings, ferrotorch as torch\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    y = torch.ones(2, requires_grad=True)\n"
            "    torch.autograd.grad((y * y).sum(), y, create_graph=True); (y * y).sum().backward(); print(len(w))\n"
            "    x = torch.ones(2, requires_grad=True)\n"
            "    (x * x).sum().backward(create_graph=True); (x * x).sum().backward(create_graph=True); print(len(w))\n"
            "    print(w[0].category.__name__, w[0].message)\n"
            "    x.grad = None\n")
    assert run_in_fresh_process(code) == [
        "0", "1",
        "UserWarning Using backward() with create_graph=True will create a reference cycle between the parameter and "
        "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
        "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters to "
        "None after use to break the cycle and avoid the leak.",
    ]
