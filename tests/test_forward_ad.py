"""torch.autograd.forward_ad: tangents of dual tensors against closed forms, central finite
differences (float64) and autograd.functional.jvp, on both devices; level bookkeeping, which
results have a tangent, requires_grad of what unpack_dual returns, and PyTorch's errors."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.autograd.forward_ad as fwAD
import ferrotorch.nn.functional as F
from ferrotorch.autograd.functional import jvp
from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(0)


def t(a, device, dtype="float64"):
    return from_numpy(np.asarray(a, dtype=dtype)).to(device)


def rand(*shape):
    return RNG.standard_normal(shape)


@pytest.fixture(autouse=True)
def no_level_left_open():
    yield
    # A test that leaves a level open would make every later one fail for the wrong reason.
    if fwAD._current_level >= 0:
        fwAD.exit_dual_level()
        pytest.fail("a forward-AD level was left open")


def forward_tangent(fn, primals, tangents, device):
    """The tangent of fn(*duals), through make_dual / unpack_dual."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(t(p, device), t(v, device)) for p, v in zip(primals, tangents)]
        out = fwAD.unpack_dual(fn(*duals))
    assert out.tangent is not None
    assert out.tangent.device == out.primal.device
    return out.tangent.cpu()


def finite_difference(fn, primals, tangents, eps=1e-6):
    """(fn(x + eps t) - fn(x - eps t)) / 2 eps, with the ops evaluated on the CPU in float64."""
    def at(sign):
        return to_numpy(fn(*[t(p + sign * eps * v, "cpu") for p, v in zip(primals, tangents)]))
    return (at(1) - at(-1)) / (2 * eps)


# fn, primal shapes, closed-form J.t (None where only finite differences check it)
CASES = {
    "sin": (lambda x: x.sin(), [(2, 3)], lambda x, tx: np.cos(x) * tx),
    "exp": (lambda x: torch.exp(x), [(4,)], lambda x, tx: np.exp(x) * tx),
    "mul_two_duals": (lambda x, y: x * y, [(3,), (3,)], lambda x, y, tx, ty: tx * y + x * ty),
    "div_two_duals": (lambda x, y: x / (y * y + 1.0), [(3,), (3,)],
                      lambda x, y, tx, ty: tx / (y * y + 1) - x * 2 * y * ty / (y * y + 1) ** 2),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 4)], lambda a, b, ta, tb: ta @ b + a @ tb),
    "sum": (lambda x: (x * x).sum(), [(2, 3)], lambda x, tx: np.sum(2 * x * tx)),
    "mean_dim": (lambda x: x.mean(1), [(2, 3)], lambda x, tx: tx.mean(1)),
    "softmax": (lambda x: torch.softmax(x, -1), [(2, 4)], None),
    "broadcast": (lambda x, y: x * y + x, [(3, 1), (1, 4)], lambda x, y, tx, ty: tx * y + x * ty + tx),
    "transpose": (lambda x: x.t() * 2.0, [(2, 3)], lambda x, tx: 2 * tx.T),
    "slice": (lambda x: x[1:, ::2].exp(), [(3, 4)], lambda x, tx: np.exp(x[1:, ::2]) * tx[1:, ::2]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(2, 3), (4, 3), (4,)],
               lambda x, w, b, tx, tw, tb: tx @ w.T + x @ tw.T + tb),
    "relu": (lambda x: F.relu(x) * x, [(5,)], lambda x, tx: np.where(x > 0, 2 * x * tx, 0.0)),
    "conv1d": (lambda x, w: F.conv1d(x, w, padding=1), [(1, 2, 5), (3, 2, 3)], None),
    "zero_dim": (lambda x: (x * x).sin(), [()], lambda x, tx: np.cos(x * x) * 2 * x * tx),
    "to_zero_dim": (lambda x: x.exp().sum(), [(3,)], lambda x, tx: np.sum(np.exp(x) * tx)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangent_matches_closed_form_finite_differences_and_jvp(name, device):
    fn, shapes, closed = CASES[name]
    primals = [rand(*s) for s in shapes]
    tangents = [rand(*s) for s in shapes]
    tangent = forward_tangent(fn, primals, tangents, device)
    if closed is not None:
        assert_close(tangent, closed(*primals, *tangents), rtol=1e-10, atol=1e-12)
    assert_close(tangent, finite_difference(fn, primals, tangents), rtol=1e-6, atol=1e-7)
    _, reference = jvp(fn, tuple(t(p, device) for p in primals), tuple(t(v, device) for v in tangents))
    assert_close(tangent, to_numpy(reference.cpu()), rtol=1e-10, atol=1e-12)


def test_empty_tensor(device):
    tangent = forward_tangent(lambda x: x.exp() * 3.0, [np.zeros((0, 3))], [np.zeros((0, 3))], device)
    assert tuple(tangent.shape) == (0, 3)


def test_unpacking_the_dual_returns_its_tangent_and_a_plain_primal(device):
    p, v = t([1.0, -2.0], device), t([0.5, 4.0], device)
    with fwAD.dual_level() as level:
        assert level == 0
        d = fwAD.make_dual(p, v)
        primal, tangent = fwAD.unpack_dual(d)
        assert tangent is v  # as in PyTorch, the tangent given, not a copy
        assert not primal.requires_grad
        assert_close(primal.cpu(), [1.0, -2.0])
        assert type(fwAD.unpack_dual(d)) is fwAD.UnpackedDualTensor
        assert fwAD.unpack_dual(d, level=0).tangent is v
    # The level is gone: no tangent, and the dual is a plain tensor again.
    assert fwAD.unpack_dual(d).tangent is None
    assert not d.requires_grad


def test_a_dual_shares_memory_with_its_primal():
    p = torch.tensor([1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(p, torch.ones(2))
        with torch.no_grad():
            p.mul_(10.0)
        assert_close(d.detach(), np.array([10.0, 20.0], dtype="float32"))


def test_results_without_a_tangent(device):
    p, other = t([0.5, -1.5, 2.5], device), t([1.0, 2.0, 3.0], device)
    user = t([1.0, 1.0, 1.0], device).requires_grad_()
    with fwAD.dual_level():
        d = fwAD.make_dual(p, t([1.0, 1.0, 1.0], device))
        assert fwAD.unpack_dual(other * 2).tangent is None  # depends on no dual
        assert fwAD.unpack_dual(user * 2).tangent is None  # needs grad, but not through a dual
        assert fwAD.unpack_dual(d.detach() * 2).tangent is None  # detach drops the tangent, as in PyTorch
        for integral in (d > 0, (d * 2).long(), d.argmax()):
            primal, tangent = fwAD.unpack_dual(integral)
            assert tangent is None
            assert not primal.dtype.is_floating_point
        primal, tangent = fwAD.unpack_dual(d > 0)
        assert_close(primal.cpu(), np.array([True, False, True]))
        # A zero Jacobian gives zero tangents, not None.
        assert_close(fwAD.unpack_dual(d.round()).tangent.cpu(), np.zeros(3))
    outside = t([1.0], device)
    assert fwAD.unpack_dual(outside).primal is outside
    assert fwAD.unpack_dual(outside).tangent is None


def test_in_place_op_on_a_result(device):
    p, v = rand(3), rand(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(t(p, device), t(v, device))
        y = d * 2.0
        y.add_(d.sin())
        assert_close(fwAD.unpack_dual(y).tangent.cpu(), 2 * v + np.cos(p) * v, rtol=1e-10, atol=1e-12)


def test_unpack_twice_and_then_backward():
    # unpack_dual keeps the graph: it can be unpacked again, and reverse mode still works.
    x = torch.tensor([0.3, 0.7], dtype=torch.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, torch.ones(2, dtype=torch.float64))
        y = (d * d).sum()
        first = fwAD.unpack_dual(y).tangent
        second = fwAD.unpack_dual(y).tangent
        assert_close(first, np.array(2.0), rtol=1e-12)
        assert_close(second, np.array(2.0), rtol=1e-12)


def test_primal_and_tangent_require_grad_only_with_the_users_graph():
    p, v = torch.tensor([0.5, -1.0]), torch.tensor([1.0, 2.0])
    w = torch.tensor([2.0, 3.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, v)
        assert d.is_leaf and d.grad_fn is None
        out = fwAD.unpack_dual(d.sin())
        assert not out.primal.requires_grad and not out.tangent.requires_grad
        out = fwAD.unpack_dual(d.sin() * w)  # the tangent depends on w
        assert out.primal.requires_grad and out.tangent.requires_grad
        out = fwAD.unpack_dual(d.sin() + w)  # only the primal does
        assert out.primal.requires_grad and not out.tangent.requires_grad


def test_an_unpacked_tangent_used_in_later_ops_is_a_constant(device):
    # With a parameter that requires grad, the tangent stays on the user's graph; it must still be
    # a constant to forward mode: tangent(y + ty * ty) is ty, with no second-order term.
    x_np, v_np, w_np = rand(4), rand(4), rand(4)
    w = t(w_np, device).requires_grad_()
    with fwAD.dual_level():
        d = fwAD.make_dual(t(x_np, device), t(v_np, device))
        y = (d * w).tanh()
        ty = fwAD.unpack_dual(y).tangent
        assert ty.requires_grad
        later = fwAD.unpack_dual(y + ty * ty).tangent
    expected = (1 - np.tanh(x_np * w_np) ** 2) * w_np * v_np
    assert_close(ty.detach().cpu(), expected, rtol=1e-10, atol=1e-12)
    assert_close(later.detach().cpu(), expected, rtol=1e-10, atol=1e-12)


def test_an_unpacked_primal_has_no_tangent_but_keeps_the_users_graph(device):
    x_np, v_np, w_np = rand(3), rand(3), rand(3)
    w = t(w_np, device).requires_grad_()
    x = t(x_np, device).requires_grad_()
    with fwAD.dual_level():
        d = fwAD.make_dual(t(x_np, device), t(v_np, device))
        primal = fwAD.unpack_dual(d.sin() * w).primal
        assert primal.requires_grad
        assert fwAD.unpack_dual(primal * 2).tangent is None
        assert fwAD.unpack_dual(primal * d).tangent is not None  # through d only
        assert_close(fwAD.unpack_dual(primal * d).tangent.detach().cpu(), np.sin(x_np) * w_np * v_np,
                     rtol=1e-10, atol=1e-12)
        dual_of_x = fwAD.make_dual(x, t(v_np, device))
        assert fwAD.unpack_dual(fwAD.unpack_dual(dual_of_x).primal.exp()).tangent is None
        (primal * 2).sum().backward()
    assert_close(w.grad.cpu(), 2 * np.sin(x_np), rtol=1e-10, atol=1e-12)


def test_backward_inside_a_level_reaches_the_parameters_and_leaves_no_grad_on_the_dual(device):
    x_np, v_np, w_np = rand(4), rand(4), rand(4)
    w = t(w_np, device).requires_grad_()
    with fwAD.dual_level():
        d = fwAD.make_dual(t(x_np, device), t(v_np, device))
        y = (d * w).sin()
        tangent = fwAD.unpack_dual(y).tangent
        y.sum().backward()
        assert d.grad is None
        assert_close(w.grad.cpu(), np.cos(x_np * w_np) * x_np, rtol=1e-10, atol=1e-12)
    assert_close(tangent.detach().cpu(), np.cos(x_np * w_np) * w_np * v_np, rtol=1e-10, atol=1e-12)


def test_unpacking_a_dual_at_another_level_is_refused():
    with fwAD.dual_level() as level:
        d = fwAD.make_dual(torch.ones(2), torch.ones(2))
        for other in [level + 1, level + 5]:
            for tensor in [d, d * 2]:
                with pytest.raises(RuntimeError, match="Invalid level given to _fw_primal"):
                    fwAD.unpack_dual(tensor, level=other)
        # Without a tangent there is nothing to refuse; a negative level means "none".
        assert fwAD.unpack_dual(torch.ones(2), level=level + 1).tangent is None
        assert fwAD.unpack_dual(d, level=-1).tangent is None
    assert fwAD.unpack_dual(d, level=level + 1).tangent is None


def test_reverse_mode_through_a_tangent(device):
    # forward-over-reverse: d/dw and d/dv of sum(cos(w) * v) are -sin(w) * v and cos(w).
    w_np, v_np = rand(3), rand(3)
    w, v = t(w_np, device).requires_grad_(), t(v_np, device).requires_grad_()
    with fwAD.dual_level():
        d = fwAD.make_dual(w, v)
        assert d.requires_grad and not d.is_leaf
        assert fwAD.unpack_dual(d).tangent is v
        tangent = fwAD.unpack_dual(d.sin()).tangent
        assert tangent.requires_grad
        tangent.sum().backward()
        primal_out = fwAD.unpack_dual(d.sin()).primal
        assert primal_out.requires_grad
    assert_close(w.grad.cpu(), -np.sin(w_np) * v_np, rtol=1e-10, atol=1e-12)
    assert_close(v.grad.cpu(), np.cos(w_np), rtol=1e-10, atol=1e-12)


def test_two_duals_of_one_primal_and_a_loop_of_levels():
    p, v = np.array([0.2, 0.4]), np.array([1.0, -1.0])
    with fwAD.dual_level():
        a = fwAD.make_dual(t(p, "cpu"), t(v, "cpu"))
        b = fwAD.make_dual(t(p, "cpu"), t(2 * v, "cpu"))
        assert_close(fwAD.unpack_dual(a * b).tangent, v * p + p * 2 * v, rtol=1e-12)
    # Columns of a Jacobian, one level each.
    x = t([0.1, 0.2, 0.3], "cpu")
    columns = []
    for k in range(3):
        with fwAD.dual_level():
            d = fwAD.make_dual(x, t(np.eye(3)[k], "cpu"))
            columns.append(to_numpy(fwAD.unpack_dual(d.cumsum(0)).tangent))
    assert_close(np.stack(columns, 1), np.tril(np.ones((3, 3))), rtol=1e-12)


def test_dual_level_as_a_decorator():
    @fwAD.dual_level()
    def tangent_of_square(x, v):
        return fwAD.unpack_dual(fwAD.make_dual(x, v) ** 2).tangent

    assert_close(tangent_of_square(torch.tensor([3.0]), torch.tensor([1.0])), np.array([6.0], dtype="float32"))
    assert fwAD._current_level == -1


def test_tangent_of_another_dtype_is_kept_and_cast_when_propagated():
    v = torch.tensor([1.0, 2.0], dtype=torch.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.tensor([0.0, 1.0]), v)
        assert fwAD.unpack_dual(d).tangent is v
        tangent = fwAD.unpack_dual(d * 3.0).tangent
    assert tangent.dtype == torch.float32
    assert_close(tangent, np.array([3.0, 6.0], dtype="float32"))


# ----------------------------------------------------------------------------- errors (PyTorch's)
def test_make_dual_needs_an_open_level():
    with pytest.raises(RuntimeError, match=r"^Trying to create a dual Tensor for forward AD but no level exists, "
                                           r"make sure to enter_dual_level\(\) first\.$"):
        fwAD.make_dual(torch.ones(2), torch.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="but no level exists"):
            fwAD.make_dual(torch.ones(2), torch.ones(2), level=-1)


def test_nested_levels_are_refused():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported at the moment$"):
            fwAD.enter_dual_level()
        assert fwAD._current_level == 0  # the failed enter left the open level alone


def test_make_dual_argument_errors():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="^Expected primal to be floating point or complex, but got: torch.int64$"):
            fwAD.make_dual(torch.arange(3), torch.ones(3))
        with pytest.raises(ValueError, match="^Expected tangent to be floating point or complex, but got: "
                                             "torch.int64$"):
            fwAD.make_dual(torch.ones(3), torch.arange(3))
        with pytest.raises(RuntimeError, match=r"^Trying to set a forward gradient that has a different size than that "
                                               r"of the original Tensor, this is not supported\. Tensor is of size "
                                               r"\[3\] while the given forward gradient is of size \[2, 3\]\.$"):
            fwAD.make_dual(torch.ones(3), torch.ones(2, 3))
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[\] while the given forward gradient is of "
                                               r"size \[1\]\.$"):
            fwAD.make_dual(torch.tensor(1.0), torch.ones(1))
        with pytest.raises(RuntimeError, match="^Invalid level given to _make_dual$"):
            fwAD.make_dual(torch.ones(3), torch.ones(3), level=4)
        with pytest.raises(TypeError, match="^_make_dual\\(\\): argument 'level' must be int, not float$"):
            fwAD.make_dual(torch.ones(3), torch.ones(3), level=0.0)
        with pytest.raises(AttributeError, match="'int' object has no attribute 'is_floating_point'"):
            fwAD.make_dual(3, torch.ones(3))


def test_make_dual_of_a_tensor_that_already_has_a_tangent():
    message = ("^Making a dual Tensor based on a Tensor that already has a forward gradient at the same level 0 is "
               "not supported.$")
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.ones(3), torch.ones(3))
        with pytest.raises(RuntimeError, match=message):
            fwAD.make_dual(d, torch.ones(3))
        with pytest.raises(RuntimeError, match=message):
            fwAD.make_dual(d * 2, torch.ones(3))


def test_exit_dual_level_errors():
    with pytest.raises(RuntimeError, match=r"^Dual level must be a positive number\.$"):
        fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match=r"^Trying to exit a forward AD level that was not the last one that was "
                                           r"created\. This is not supported\.$"):
        fwAD.exit_dual_level(level=0)
    assert fwAD.enter_dual_level() == 0
    try:
        with pytest.raises(RuntimeError, match="was not the last one that was created"):
            fwAD.exit_dual_level(level=1)
    finally:
        fwAD.exit_dual_level(level=0)
    assert fwAD.enter_dual_level() == 0  # the index is reused once the level is gone
    fwAD.exit_dual_level()


def test_unpack_dual_of_a_non_tensor():
    assert fwAD.unpack_dual(3) == (3, None)  # outside a level, anything comes back as it is
    with fwAD.dual_level():
        with pytest.raises(TypeError, match=r"^_unpack_dual\(\): argument 'dual' \(position 1\) must be Tensor, "
                                            r"not int$"):
            fwAD.unpack_dual(3)


def test_in_place_on_a_dual_is_not_supported():
    # Documented difference: PyTorch accepts these and updates the tangent.
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.ones(3), torch.ones(3))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            d.mul_(2.0)
    w = torch.ones(3, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(w * 1.0, torch.ones(3))
        d.mul_(2.0)
        with pytest.raises(RuntimeError, match="a dual Tensor of this level was modified by an inplace operation"):
            fwAD.unpack_dual(d)
