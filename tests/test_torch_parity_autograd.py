"""Regression tests for autograd API differences from PyTorch found by a differential check:
`autograd.grad`/`autograd.backward` options and messages, grad-mode switches, custom
`autograd.Function` (kwargs, setup_context, mark_dirty, ...), anomaly mode, checkpoint helpers and
`testing.assert_allclose`. Expected values are computed by hand; messages are PyTorch's texts."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close


def leaf(values, device="cpu"):
    return torch.tensor(np.array(values, dtype=np.float64), device=device).requires_grad_()


# ----------------------------------------------------------------------------- autograd.grad
def test_grad_unused_message_names_the_index(device):
    x, unused = leaf([1.0, 2.0], device), leaf([3.0], device)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"^The differentiated Tensor at index 1 appears to not have been used in "
                                           r"the graph. Set allow_unused=True if this is the desired behavior.$"):
        torch.autograd.grad(y, [x, unused], retain_graph=True)
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 0 appears"):
        torch.autograd.grad(y, [unused, x], retain_graph=True)
    gx, gu = torch.autograd.grad(y, [x, unused], allow_unused=True)
    assert_close(gx.cpu(), [2.0, 4.0])
    assert gu is None


def test_grad_empty_inputs_and_grad_count_messages():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^`inputs` argument to `grad\(\)` cannot be empty.$"):
        torch.autograd.grad((x * 2).sum(), [])
    with pytest.raises(RuntimeError, match=r"^got 2 tensors and 1 gradients$"):
        torch.autograd.grad([x * 2, x * x], x, grad_outputs=[torch.ones(2, dtype=torch.float64)])
    with pytest.raises(RuntimeError, match=r"^got 2 tensors and 1 gradients$"):
        torch.autograd.backward([x * 2, x * x], [torch.ones(2, dtype=torch.float64)])


def test_grad_only_inputs_false_warns():
    x = leaf([1.0, 2.0])
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated and is ignored now"):
        (g,) = torch.autograd.grad((x * 3).sum(), x, only_inputs=False)
    assert_close(g, [3.0, 3.0])


def test_grad_is_grads_batched(device):
    x = leaf([1.0, 2.0, -1.5], device)
    y = x * x  # Jacobian diag(2x)
    basis = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 2.0]])
    v = torch.tensor(basis, device=device)
    (g,) = torch.autograd.grad(y, x, v, is_grads_batched=True, retain_graph=True)
    assert tuple(g.shape) == (3, 3)
    assert_close(g.cpu(), basis * (2 * np.array([1.0, 2.0, -1.5]))[None, :])
    # Two outputs: the rows of both grad_outputs are summed per batch entry.
    (g2,) = torch.autograd.grad([y, x * 3], x, [v, v], is_grads_batched=True, create_graph=True)
    assert_close(g2.detach().cpu(), basis * (2 * np.array([1.0, 2.0, -1.5]) + 3)[None, :])
    assert g2.requires_grad
    # An unused input stays None, or is materialized with the batch dimension.
    z = leaf([4.0], device)
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], torch.ones(2, dtype=torch.float64, device=device),
                                 is_grads_batched=True, allow_unused=True, retain_graph=True)
    assert_close(gx.cpu(), np.full((2, 3), 2.0))
    assert gz is None


# ----------------------------------------------------------------------------- autograd.backward
def test_backward_inputs_not_requiring_grad_message():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^can't retain_grad on Tensor that has requires_grad=False$"):
        torch.autograd.backward((a * 2).sum(), inputs=[a, torch.ones(2)])


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad_as_bare_decorators():
    x = leaf([1.0])

    @torch.no_grad
    def off(t):
        return t * 2, torch.is_grad_enabled()

    @torch.enable_grad
    def on(t):
        return t * 2

    y, enabled = off(x)
    assert not y.requires_grad and enabled is False and torch.is_grad_enabled()
    assert off.__name__ == "off"
    with torch.no_grad():
        assert on(x).requires_grad
    assert isinstance(torch.no_grad(), torch.no_grad)


def test_set_grad_enabled_requires_a_bool():
    for bad, name in [(1, "int"), (None, "NoneType"), ("x", "str")]:
        with pytest.raises(TypeError, match=rf"^set_grad_enabled\(\): argument 'enabled' \(position 1\) must be "
                                            rf"bool, not {name}$"):
            torch.set_grad_enabled(bad)
    assert torch.is_grad_enabled()


def test_set_multithreading_enabled():
    from ferrotorch.autograd.grad_mode import set_multithreading_enabled
    assert torch.autograd.is_multithreading_enabled()
    with set_multithreading_enabled(False):
        assert not torch.autograd.is_multithreading_enabled()
    assert torch.autograd.is_multithreading_enabled()


def test_anomaly_mode_switches():
    from ferrotorch.autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
    with pytest.warns(UserWarning, match="^Anomaly Detection has been enabled. This mode will increase the runtime"):
        ctx = torch.autograd.detect_anomaly(check_nan=False)
    assert not is_anomaly_enabled()
    with ctx:
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        x = leaf([1.0, 2.0])
        (x * x).sum().backward()
    assert not is_anomaly_enabled() and is_anomaly_check_nan_enabled()
    assert_close(x.grad, [2.0, 4.0])
    torch.autograd.set_detect_anomaly(True)
    assert is_anomaly_enabled()
    torch.autograd.set_detect_anomaly(False)
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
    assert not is_anomaly_enabled()


# ----------------------------------------------------------------------------- autograd.Function
class _Scaled(torch.autograd.Function):
    """y = x * k * w, with `w` and `k` optional (keywords in the tests)."""

    @staticmethod
    def forward(ctx, x, w=None, k=2.0):
        ctx.save_for_backward(x, w)
        ctx.k = k
        return x * k * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * ctx.k * w, g * ctx.k * x, None


def test_function_apply_binds_keyword_tensors(device):
    x, w = leaf([1.0, 2.0], device), leaf([3.0, -1.0], device)
    y = _Scaled.apply(x, w=w, k=3.0)
    assert y.grad_fn.name() == "_ScaledBackward"
    assert len(y.grad_fn.next_functions) == 2  # both tensors are edges of the node
    y.sum().backward()
    assert_close(x.grad.cpu(), [9.0, -3.0])
    assert_close(w.grad.cpu(), [3.0, 6.0])
    with pytest.raises(TypeError, match="^forward\\(\\) got an unexpected keyword argument 'z'$"):
        _Scaled.apply(x, w=w, z=1)


class _KwOnly(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, *, k):
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g


def test_function_apply_rejects_keyword_only_arguments():
    with pytest.raises(TypeError, match="^forward\\(\\) got an unexpected keyword argument 'k'$"):
        _KwOnly.apply(leaf([1.0]), k=2)


class _SetupStyle(torch.autograd.Function):
    @staticmethod
    def forward(x, k=2.0):
        return x.exp() * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, k = inputs
        _SetupStyle.seen = (len(inputs), ctx.needs_input_grad)
        ctx.k = k
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out, None


def test_function_setup_context_style(device):
    x = leaf([0.0, 1.0], device)
    y = _SetupStyle.apply(x)
    assert _SetupStyle.seen == (2, (True, False))  # the default k is bound as an input
    assert y.grad_fn.name() == "_SetupStyleBackward"
    y.sum().backward()
    assert_close(x.grad.cpu(), 2.0 * np.exp([0.0, 1.0]))


class _DoubleInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_function_mark_dirty_returns_the_input_with_new_history(device):
    a = leaf([1.0, 3.0], device)
    b = a * 1
    c = _DoubleInPlace.apply(b)
    assert c is b
    assert b.grad_fn.name() == "_DoubleInPlaceBackward"
    assert b.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert_close(b.detach().cpu(), [2.0, 6.0])
    (c * c).sum().backward()  # d/da (2a)^2 = 8a
    assert_close(a.grad.cpu(), [8.0, 24.0])


def test_function_mark_dirty_on_leaf_raises():
    with pytest.raises(RuntimeError, match=r"^a leaf Variable that requires grad has been used in an in-place "
                                           r"operation.$"):
        _DoubleInPlace.apply(leaf([1.0]))


def test_function_save_for_backward_non_tensor_message():
    class SaveInt(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="^save_for_backward can only save variables, but argument 1 is of type int$"):
        SaveInt.apply(leaf([1.0, 2.0]))


def test_function_instantiation_warns_and_class_attributes():
    with pytest.warns(DeprecationWarning, match="should not be instantiated. Methods on autograd functions are all "
                                                "static"):
        obj = _Scaled()
    with pytest.raises(RuntimeError, match="^Legacy autograd function with non-static forward method is deprecated"):
        obj(leaf([1.0]))
    F = torch.autograd.Function
    assert F.generate_vmap_rule is False and hasattr(_Scaled, "mark_dirty")
    with pytest.raises(NotImplementedError, match="^To use autograd.Function with vmap, you must either override "
                                                  "the vmap staticmethod or set generate_vmap_rule=True.$"):
        F.vmap(None, None)
    with pytest.raises(NotImplementedError, match="^You must implement the jvp function for custom "
                                                  "autograd.Function to use it with forward mode AD.$"):
        F.jvp(None)
    with pytest.raises(NotImplementedError, match="^setup_context is not implemented.$"):
        F.setup_context(None, None, None)
    from ferrotorch.autograd.function import FunctionMeta, InplaceFunction
    assert type(F) is FunctionMeta
    assert issubclass(InplaceFunction, F)


# ----------------------------------------------------------------------------- checkpoint helpers
def test_checkpoint_reentrant_node_name_and_warning_text():
    from ferrotorch.utils.checkpoint import checkpoint
    x = leaf([0.5, 1.0])
    with pytest.warns(UserWarning, match="^torch.utils.checkpoint: the use_reentrant parameter should be passed "
                                         "explicitly. In a future release, calling checkpoint without "
                                         "use_reentrant will raise an exception."):
        y = checkpoint(lambda t: t.sin() * t, x)
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    y.sum().backward()
    xs = np.array([0.5, 1.0])
    assert_close(x.grad, np.cos(xs) * xs + np.sin(xs))


def test_checkpoint_detach_variable_and_validity():
    from ferrotorch.utils.checkpoint import check_backward_validity, detach_variable, noop_context_fn
    a, b = leaf([1.0]) * 2, torch.ones(1)
    da, db, k = detach_variable((a, b, 3))
    assert da.is_leaf and da.requires_grad and not db.requires_grad and k == 3
    with pytest.raises(RuntimeError, match="^Only tuple of tensors is supported. Got Unsupported input type: list$"):
        detach_variable([a])
    with pytest.warns(UserWarning, match="^None of the inputs have requires_grad=True. Gradients will be None$"):
        check_backward_validity((b, 1))
    f, r = noop_context_fn()
    with f, r:
        pass


# ----------------------------------------------------------------------------- testing.assert_allclose
def test_testing_assert_allclose_deprecated_with_looser_defaults():
    t = torch.tensor
    with pytest.warns(FutureWarning, match=r"`torch.testing.assert_allclose\(\)` is deprecated since 1.12"):
        torch.testing.assert_allclose(t([1.0, 2.0]), t([1.0, 2.0001]))  # within rtol 1e-4 for float32
    with pytest.warns(FutureWarning):
        torch.testing.assert_allclose(t([1.0, float("nan")]), [1.0, float("nan")])  # NaNs equal, list converted
    with pytest.warns(FutureWarning):
        with pytest.raises(AssertionError) as info:
            torch.testing.assert_allclose(t([1.0]), t([1.5]))
    assert str(info.value) == ("Tensor-likes are not close!\n\nMismatched elements: 1 / 1 (100.0%)\n"
                               "Greatest absolute difference: 0.5 at index (0,) (up to 1e-05 allowed)\n"
                               "Greatest relative difference: 0.3333333432674408 at index (0,) (up to 0.0001 allowed)")
