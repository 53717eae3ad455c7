"""Anomaly mode in the backward pass: forward tracebacks for failing nodes, the NaN check, and
the saved-tensor version error's naming and hint. Messages checked against PyTorch 2.15."""
import re
import warnings

import pytest

import ferrotorch as torch
from conftest import assert_close


@pytest.fixture
def anomaly(request):
    """Anomaly mode on (check_nan as parametrized, default True) for one test, then restored."""
    check_nan = getattr(request, "param", True)
    before = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    torch.set_anomaly_enabled(True, check_nan)
    yield
    torch.set_anomaly_enabled(*before)


def sqrt_of_zero_times_zero(x):
    y = x * 2
    return torch.sqrt(y) * 0  # the forward line the traceback must show


def test_nan_gradient_fails_naming_the_node_and_shows_its_forward_traceback(anomaly, device):
    x = torch.tensor([0.0, 1.0], device=device, requires_grad=True)
    z = sqrt_of_zero_times_zero(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match=re.escape("Function 'SqrtBackward0' returned nan values in its 0th output.")):
            z.sum().backward()
    reports = [str(w.message) for w in caught if "Error detected in" in str(w.message)]
    assert len(reports) == 1 and all(w.category is UserWarning for w in caught)
    report = reports[0]
    assert report.startswith("Error detected in SqrtBackward0. Traceback of forward call that caused the error:\n")
    assert "in sqrt_of_zero_times_zero" in report and "return torch.sqrt(y) * 0" in report
    assert __file__ in report


@pytest.mark.parametrize("anomaly", [False], indirect=True)
def test_without_check_nan_nan_gradients_pass(anomaly, device):
    x = torch.tensor([0.0, 1.0], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sqrt_of_zero_times_zero(x).sum().backward()
    assert torch.isnan(x.grad.cpu()).tolist() == [True, False]


def test_outside_anomaly_mode_nan_gradients_pass_silently():
    assert not torch.is_anomaly_enabled()
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sqrt_of_zero_times_zero(x).sum().backward()
    assert torch.isnan(x.grad).tolist() == [True, False]


def test_check_happens_at_backward_time_and_nodes_recorded_before_have_no_traceback():
    x = torch.tensor([0.0], requires_grad=True)
    z = sqrt_of_zero_times_zero(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
                z.backward()
    assert [str(w.message) for w in caught if "Error detected in" in str(w.message)] == [
        "Error detected in SqrtBackward0. No forward pass information available. Enable detect anomaly during "
        "forward pass for more information."]


def test_nan_in_a_later_output_names_its_index(anomaly):
    a = torch.tensor([float("inf")], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    # The product's gradient is 0: 0 * b for a, but 0 * inf = NaN for b.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=re.escape("Function 'MulBackward0' returned nan values in its 1th output.")):
            (a * b * 0).backward()


class Explodes(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        raise ValueError("custom backward failed")


def test_an_error_raised_by_a_custom_backward_comes_with_the_forward_traceback(anomaly):
    x = torch.ones(2, requires_grad=True)
    y = Explodes.apply(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="custom backward failed"):
            y.sum().backward()
    reports = [str(w.message) for w in caught if "Error detected in" in str(w.message)]
    assert len(reports) == 1 and reports[0].startswith("Error detected in ExplodesBackward.")
    assert "y = Explodes.apply(x)" in reports[0]


def test_nodes_recorded_on_a_gradient_are_checked_too(anomaly):
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x, create_graph=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match=re.escape("Function 'SqrtBackward0' returned nan values in its 0th output.")):
            (torch.sqrt(g) * 0).sum().backward()
    assert any("Error detected in SqrtBackward0" in str(w.message) for w in caught)


# ----------------------------------------------------------------------------- in-place errors
def version_error(build):
    a = torch.ones(3, requires_grad=True)
    out, _kept = build(a)
    with pytest.raises(RuntimeError) as err:
        out.sum().backward()
    return str(err.value)


def add_to_saved_input(a):
    b = a * 2
    c = b.sin()
    b.add_(1)
    return c, b  # b stays alive, as a user's variable does


def mul_saved_input(a):
    b = a * 2
    c = b.sin()
    b.mul_(3)
    return c, b


def add_to_saved_input_of_a_product(a):
    b = a.exp()
    c = b * b
    b.add_(1)
    return c, b


def mul_saved_output(a):
    c = a.exp().exp()
    c.mul_(3)
    return c, None


def add_through_a_view(a):
    b = a * 1
    c = b.sin()
    b.view(3).add_(1)
    return c, b


@pytest.mark.parametrize("build, which", [
    # A saved input is named by the history it has now, by its forward op's name.
    (add_to_saved_input, ", which is output 0 of Add,"),
    (mul_saved_input, ", which is output 0 of Mul,"),
    (add_to_saved_input_of_a_product, ", which is output 0 of Add,"),
    # A saved output is named by the node that saved it.
    (mul_saved_output, ", which is output 0 of Exp,"),
    # Written through a view: the base's history is CopySlices.
    (add_through_a_view, ", which is output 0 of torch::autograd::CopySlices,"),
])
def test_version_error_names_the_current_history(build, which):
    message = version_error(build)
    assert message.startswith("one of the variables needed for gradient computation has been modified by an "
                              "inplace operation: [torch.FloatTensor [3]]" + which + " is at version ")
    assert message.endswith("; expected version 0 instead. Hint: enable anomaly detection to find the operation that "
                            "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def test_version_error_of_a_leaf_names_no_history_and_in_anomaly_mode_gives_the_other_hint(anomaly):
    a = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    c = a.sin()
    with torch.no_grad():
        a.add_(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError) as err:
            c.sum().backward()
    assert str(err.value) == (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.DoubleTensor [2, 3]] is at version 1; expected version 0 instead. Hint: the backtrace further above "
        "shows the operation that failed to compute its gradient. The variable in question was changed in there or "
        "anywhere later. Good luck!")
