"""Forward-mode AD (autograd.forward_ad, emulated by double backward) where PyTorch uses it:
gradcheck(check_forward_ad=True), gradgradcheck(check_fwd_over_rev=True),
functional.jacobian(strategy="forward-mode") and hessian(outer_jacobian_strategy="forward-mode").

With the emulation a custom Function's tangent comes from its backward, so the failing cases are
built so that the forward-mode Jacobian really differs from the numerical one."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close, to_numpy
from ferrotorch.autograd import GradcheckError, gradcheck, gradgradcheck
from ferrotorch.autograd.functional import hessian, jacobian

FORWARD_MISMATCH = "^Jacobian computed with forward mode mismatch for output 0 with respect to input 0,"


def leaf(values, device="cpu"):
    return torch.tensor(np.array(values, dtype=np.float64), device=device).requires_grad_()


class WrongSquare(torch.autograd.Function):
    """x ** 2 with a wrong backward: 3 x g instead of 2 x g."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


class SquareGrad(torch.autograd.Function):
    """(x, g) -> 2 x g, the gradient of x ** 2, with a wrong derivative with respect to x."""

    @staticmethod
    def forward(ctx, x, g):
        ctx.save_for_backward(x, g)
        return 2 * x * g

    @staticmethod
    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        return 5 * g * gg, 2 * x * gg  # d/dx should be 2 g gg


class SquareWithWrongSecondDerivative(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return SquareGrad.apply(x, g)


# ----------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("check_backward_ad", [True, False])
def test_gradcheck_forward_ad_passes_on_correct_functions(check_backward_ad):
    x, y = leaf([0.3, -1.2, 2.0]), leaf([[0.5, 1.5], [-0.7, 0.2], [1.1, -2.0]])
    for func, args in [(torch.sin, (x,)),
                       (lambda a, b: (a @ b, (a.exp() * a).sum(), b.tanh()), (x, y)),
                       (lambda a: a.reshape(3, 1) * a, (x,))]:
        assert gradcheck(func, args, check_forward_ad=True, check_backward_ad=check_backward_ad)


def test_gradcheck_forward_ad_ignores_inputs_without_grad():
    x, constant = leaf([0.3, -1.2]), torch.tensor([2.0, 3.0], dtype=torch.float64)
    assert gradcheck(lambda a, c: a * c + c.exp(), (x, constant), check_forward_ad=True, check_backward_ad=False)


def test_gradcheck_forward_ad_catches_a_wrong_backward():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(GradcheckError, match=FORWARD_MISMATCH) as info:
        gradcheck(WrongSquare.apply, (x,), check_forward_ad=True, check_backward_ad=False)
    # The message shows the numerical Jacobian (2 x) and the forward-mode one (3 x).
    message = str(info.value)
    numerical, analytical = message.split("numerical:")[1].split("analytical:")
    to_array = lambda text: np.array([float(v) for v in text.replace("[", " ").replace("]", " ").split()])  # noqa: E731
    np.testing.assert_allclose(to_array(numerical), np.diag([2.0, 4.0, 6.0]).reshape(-1), atol=1e-5)
    np.testing.assert_allclose(to_array(analytical), np.diag([3.0, 6.0, 9.0]).reshape(-1))
    assert gradcheck(WrongSquare.apply, (x,), check_forward_ad=True, check_backward_ad=False,
                     raise_exception=False) is False


def test_gradcheck_reports_the_backward_mismatch_first():
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,"):
        gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),), check_forward_ad=True)


def test_gradcheck_forward_ad_catches_what_reverse_mode_misses():
    # The backward is right, but it is not differentiable (its graph is cut): forward mode, derived
    # from it by double backward, gets no tangent, which the check must not take for a pass.
    class CutBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return (2 * x * g).detach()

    x = leaf([1.0, -2.0])
    assert gradcheck(CutBackward.apply, (x,))
    with pytest.raises(GradcheckError, match=FORWARD_MISMATCH):
        gradcheck(CutBackward.apply, (x,), check_forward_ad=True)


def test_gradcheck_forward_ad_sees_float32_rounding_as_pytorch_does():
    # The tangent of a cast is exact (identity) while finite differences of a float32 output are
    # not: PyTorch's check fails here too.
    with pytest.raises(GradcheckError, match=FORWARD_MISMATCH):
        gradcheck(lambda a: a.float(), (leaf([1.0, 2.0, 3.0]),), check_forward_ad=True, check_backward_ad=False)


def test_gradcheck_flag_validation():
    x = leaf([1.0])
    with pytest.raises(AssertionError,
                       match="^Expected at least one of check_forward_ad or check_backward_ad to be True$"):
        gradcheck(torch.sin, (x,), check_forward_ad=False, check_backward_ad=False)
    with pytest.raises(AssertionError,
                       match="^Setting check_batched_forward_grad=True requires check_forward_ad to be True$"):
        gradcheck(torch.sin, (x,), check_batched_forward_grad=True)
    with pytest.raises(AssertionError, match="^Setting check_batched_grad=True requires check_backward_ad to be True$"):
        gradcheck(torch.sin, (x,), check_batched_grad=True, check_backward_ad=False, check_forward_ad=True)
    # ferrotorch has no batched forward mode to check: refused, not reported as passing.
    with pytest.raises(NotImplementedError, match="check_batched_forward_grad=True is not supported"):
        gradcheck(torch.sin, (x,), check_forward_ad=True, check_batched_forward_grad=True)
    with pytest.raises(ValueError, match="but none of them have requires_grad=True.$"):
        gradcheck(torch.sin, (x.detach(),), check_forward_ad=True)


# ----------------------------------------------------------------------------- gradgradcheck
@pytest.mark.parametrize("check_rev_over_rev", [True, False])
def test_gradgradcheck_forward_over_reverse(check_rev_over_rev):
    x = leaf([0.4, -1.1, 1.7])
    assert gradgradcheck(lambda a: a.sin() * a, (x,), check_fwd_over_rev=True, check_rev_over_rev=check_rev_over_rev,
                         check_undefined_grad=check_rev_over_rev)
    assert gradgradcheck(lambda a: (a.exp() * a).sum(), (x,), check_fwd_over_rev=True)


def test_gradgradcheck_forward_over_reverse_catches_a_wrong_second_derivative():
    x = leaf([1.0, -2.0])
    with pytest.raises(GradcheckError, match="^Jacobian computed with forward mode mismatch"):
        gradgradcheck(SquareWithWrongSecondDerivative.apply, (x,), check_fwd_over_rev=True,
                      check_rev_over_rev=False, check_undefined_grad=False)
    with pytest.raises(GradcheckError, match="^Jacobian mismatch"):
        gradgradcheck(SquareWithWrongSecondDerivative.apply, (x,))
    assert gradcheck(SquareWithWrongSecondDerivative.apply, (x,), check_forward_ad=True)


def test_gradgradcheck_flag_validation():
    x = leaf([1.0])
    with pytest.raises(AssertionError,
                       match="^Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True$"):
        gradgradcheck(torch.sin, (x,), check_fwd_over_rev=False, check_rev_over_rev=False)
    with pytest.raises(AssertionError,
                       match="^Setting check_undefined_grad=True requires check_rev_over_rev to be True$"):
        gradgradcheck(torch.sin, (x,), check_fwd_over_rev=True, check_rev_over_rev=False)
    with pytest.raises(AssertionError,
                       match="^Setting check_batched_grad=True requires check_rev_over_rev to be True$"):
        gradgradcheck(torch.sin, (x,), check_fwd_over_rev=True, check_rev_over_rev=False, check_undefined_grad=False,
                      check_batched_grad=True)


# ----------------------------------------------------------------------------- jacobian / hessian
def forward_jacobian(func, inputs):
    return jacobian(func, inputs, strategy="forward-mode", vectorize=True)


@pytest.mark.parametrize("device", DEVICES)
def test_forward_mode_jacobian_matches_numpy_and_reverse_mode(device):
    a = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]])
    values = np.array([0.2, -0.7, 1.3])
    x = torch.tensor(values, device=device)
    mat = torch.tensor(a, device=device)
    got = forward_jacobian(lambda v: (mat @ v).sin(), x)
    expected = np.cos(a @ values)[:, None] * a
    assert_close(got.cpu(), expected, rtol=1e-12, atol=1e-12)
    assert_close(got.cpu(), to_numpy(jacobian(lambda v: (mat @ v).sin(), x).cpu()), rtol=1e-12, atol=1e-12)
    assert got.device.type == torch.device(device).type and not got.requires_grad


def test_forward_mode_jacobian_of_tuples_matches_reverse_mode():
    x = torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64)
    y = torch.tensor([[2.0, -1.0], [0.5, 3.0]], dtype=torch.float64)

    def func(a, b):
        return a.exp() * a.sum(), (b @ b) * a[0], a[:0]

    forward, reverse = forward_jacobian(func, (x, y)), jacobian(func, (x, y))
    assert isinstance(forward, tuple) and len(forward) == 3
    for f_row, r_row in zip(forward, reverse):
        assert isinstance(f_row, tuple) and len(f_row) == 2
        for f, r in zip(f_row, r_row):
            assert_close(f, to_numpy(r), rtol=1e-12, atol=1e-12)
    # d(exp(a_i) * sum(a)) / da_j = delta_ij exp(a_i) sum(a) + exp(a_i)
    xv = to_numpy(x)
    assert_close(forward[0][0], np.diag(np.exp(xv) * xv.sum()) + np.exp(xv)[:, None], rtol=1e-12, atol=1e-12)


def test_forward_mode_jacobian_shapes_at_the_edges():
    assert_close(forward_jacobian(torch.sin, torch.tensor(2.0, dtype=torch.float64)), np.cos(2.0), rtol=1e-12)
    assert tuple(forward_jacobian(torch.sin, torch.empty(0, dtype=torch.float64)).shape) == (0, 0)
    assert tuple(forward_jacobian(lambda v: v.sum(), torch.ones(3, dtype=torch.float64)).shape) == (3,)
    # An output that does not depend on the input has a zero Jacobian.
    constant = forward_jacobian(lambda v: torch.ones(2, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    assert_close(constant, np.zeros((2, 3)))


def test_forward_mode_jacobian_stays_on_the_inputs_graph():
    # As in PyTorch, the forward-mode Jacobian of an input that requires grad is differentiable.
    x = leaf([0.5, 1.0, 2.0])
    jac = forward_jacobian(torch.sin, x)
    assert jac.requires_grad
    jac.sum().backward()
    assert_close(x.grad, -np.sin([0.5, 1.0, 2.0]), rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        assert not forward_jacobian(torch.sin, x).requires_grad


def test_forward_mode_jacobian_argument_errors():
    x = torch.ones(2, dtype=torch.float64)
    with pytest.raises(NotImplementedError, match=r"^Computing Jacobian using forward-AD or forward-over-reverse "
                                                  r"Hessian isonly implemented for `vectorize=True`.$"):
        jacobian(torch.sin, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match=r"`create_graph=True` and `strategy=\"forward-mode\"` are not "
                                                  r"supported together \(yet\). Please either set "
                                                  r"`create_graph=False` or `strategy=\"reverse-mode\"`.$"):
        jacobian(torch.sin, x, create_graph=True, strategy="forward-mode", vectorize=True)
    with pytest.raises(RuntimeError, match=r"`strict=True` and `strategy=\"forward-mode\"` are not supported"):
        jacobian(torch.sin, x, strict=True, strategy="forward-mode", vectorize=True)


@pytest.mark.parametrize("device", DEVICES)
def test_forward_over_reverse_hessian(device):
    values = np.array([0.5, -1.0, 2.0])
    x = torch.tensor(values, device=device)

    def func(v):
        return (v ** 3).sum() + v[0] * v[1] * v[2]

    got = hessian(func, x, outer_jacobian_strategy="forward-mode", vectorize=True)
    expected = np.diag(6 * values)
    expected[0, 1] = expected[1, 0] = values[2]
    expected[0, 2] = expected[2, 0] = values[1]
    expected[1, 2] = expected[2, 1] = values[0]
    assert_close(got.cpu(), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(NotImplementedError, match="isonly implemented for `vectorize=True`"):
        hessian(func, x, outer_jacobian_strategy="forward-mode")


def test_non_contiguous_inputs():
    # A clone keeps a transposed input's strides: the checks must not rely on flat views of it.
    values = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    x = torch.tensor(values).t()
    assert not x.is_contiguous()
    assert gradcheck(lambda a: a.sin() * a, (x.requires_grad_(),), check_forward_ad=True)
    got = forward_jacobian(torch.sin, x.detach())
    expected = np.zeros((3, 2, 3, 2))
    for i in range(3):
        for j in range(2):
            expected[i, j, i, j] = np.cos(values.T[i, j])
    assert_close(got, expected, rtol=1e-12, atol=1e-12)
