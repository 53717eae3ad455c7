"""torch.func.rearrange against numpy transposes and reshapes on every device: permutations,
merged and split axes, ellipsis, unit axes, stacking a list of tensors, gradients, and PyTorch's
exception classes and messages for bad patterns and sizes that do not fit."""
import doctest

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _rearrange
from ferrotorch.func import rearrange
from conftest import assert_close as _assert_close, to_numpy

DimensionBindError = _rearrange.DimensionBindError


def assert_equal(actual, expected):
    _assert_close(actual.cpu(), expected, rtol=0, atol=0)


def arange(shape, device, dtype=np.float32):
    a = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    return a, torch.tensor(a).to(device)


# Each case: input shape, pattern, axes lengths, the numpy reference.
CASES = [
    ((2, 3, 4), "a b c -> c a b", {}, lambda a: a.transpose(2, 0, 1)),
    ((2, 3, 4), "a b c -> a b c", {}, lambda a: a),
    ((2, 3, 4), "a b c -> (a b) c", {}, lambda a: a.reshape(6, 4)),
    ((2, 3, 4), "a b c -> b (c a)", {}, lambda a: a.transpose(1, 2, 0).reshape(3, 8)),
    ((2, 3, 4), "a b c -> (a b c)", {}, lambda a: a.reshape(24)),
    ((6, 4), "(h w) c -> h w c", {"h": 2}, lambda a: a.reshape(2, 3, 4)),
    ((6, 4), "(h w) c -> c w h", {"w": 2}, lambda a: a.reshape(3, 2, 4).transpose(2, 1, 0)),
    ((6, 4), "(h w) c -> h w c", {"h": 3, "w": 2}, lambda a: a.reshape(3, 2, 4)),
    # space-to-depth: each 2x2 block's pixels become channels
    ((1, 4, 6, 3), "b (h h2) (w w2) c -> b h w (c h2 w2)", {"h2": 2, "w2": 2},
     lambda a: a.reshape(1, 2, 2, 3, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(1, 2, 3, 12)),
    ((2, 3, 4, 5), "b ... c -> b c ...", {}, lambda a: a.transpose(0, 3, 1, 2)),
    ((2, 3, 4), "... c -> c ...", {}, lambda a: a.transpose(2, 0, 1)),
    ((2, 3, 4), "a ... -> a (...)", {}, lambda a: a.reshape(2, 12)),
    ((2, 3, 4), "... -> (...)", {}, lambda a: a.reshape(24)),
    ((2, 3, 4), "a b c ... -> ... c b a", {}, lambda a: a.transpose(2, 1, 0)),
    ((6,), "a ... -> ... a", {}, lambda a: a),
    ((6, 2), "(a b) ... -> a ... b", {"b": 3}, lambda a: a.reshape(2, 3, 2).transpose(0, 2, 1)),
    ((2, 3), "a b -> a 1 b ()", {}, lambda a: a.reshape(2, 1, 3, 1)),
    ((2, 3), "a b -> a (1 b 1)", {}, lambda a: a),
    ((2, 1, 3), "a 1 b -> b a", {}, lambda a: a[:, 0, :].T),
    ((2, 1, 3), "a () b -> (b a)", {}, lambda a: a[:, 0, :].T.reshape(6)),
    ((0, 3), "a b -> b a", {}, lambda a: a.T),
    ((0, 3), "(a b) c -> b c a", {"a": 2}, lambda a: a.reshape(2, 0, 3).transpose(1, 2, 0)),
]


@pytest.mark.parametrize("shape, pattern, lengths, ref", CASES, ids=[c[1] for c in CASES])
def test_rearrange_matches_numpy(device, shape, pattern, lengths, ref):
    a, x = arange(shape, device)
    y = rearrange(x, pattern, **lengths)
    assert y.device.type == torch.device(device).type and y.dtype == torch.float32
    assert_equal(y, ref(a))


def test_rearrange_of_a_non_contiguous_view_and_integers(device):
    a, x = arange((3, 4, 2), device, np.int64)
    view = x.transpose(0, 2)  # (2, 4, 3), not contiguous
    assert_equal(rearrange(view, "a b c -> (c a) b"), a.transpose(2, 1, 0).transpose(2, 0, 1).reshape(6, 4))


def test_rearrange_stacks_a_list_or_tuple_along_a_new_first_axis(device):
    parts = [np.arange(6.0).reshape(2, 3) + 10 * i for i in range(4)]
    tensors = [torch.tensor(p).to(device) for p in parts]
    stacked = np.stack(parts)
    assert_equal(rearrange(tensors, "n a b -> a n b"), stacked.transpose(1, 0, 2))
    assert_equal(rearrange(tuple(tensors), "n a b -> (n a) b"), stacked.reshape(8, 3))
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        rearrange([], "n -> n")
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        rearrange([torch.ones(2), torch.ones(3)], "n a -> a n")


def test_rearrange_zero_dim_identity_returns_the_input():
    x = torch.tensor(5.0)
    assert rearrange(x, "->") is x
    # PyTorch returns a 0-dim input untouched whenever the left side names no axis, even when the
    # right side asks for unit axes.
    assert rearrange(x, "-> 1 ()") is x


def test_left_unit_axis_of_larger_size_is_summed_as_in_pytorch(device):
    # PyTorch binds a left "1" to the dim's actual size and sums it away instead of raising.
    a, x = arange((2, 3, 4), device, np.int32)
    y = rearrange(x, "a 1 c -> c a")
    assert y.dtype == torch.int64  # sum promotes integers
    assert_equal(y, a.sum(1).T.astype(np.int64))


def test_rearrange_gradient_is_the_inverse_rearrangement(device):
    a, x = arange((2, 6, 3), device, np.float64)
    x.requires_grad_(True)
    w = np.random.default_rng(0).standard_normal((3, 2, 2, 3))
    y = rearrange(x, "b (h w) c -> c b h w", w=3)
    (y * torch.tensor(w).to(device)).sum().backward()
    assert_equal(x.grad, w.reshape(3, 2, 2, 3).transpose(1, 2, 3, 0).reshape(2, 6, 3))
    assert torch.autograd.gradcheck(lambda t: rearrange(t, "a (b c) d -> (d a) c b", b=2),
                                    (torch.tensor(np.random.default_rng(1).standard_normal((2, 4, 3)))
                                     .requires_grad_(True),))


PATTERN_ERRORS = [
    ("a b c", {}, ValueError, "Pattern must contain a single '->' separator"),
    ("a b -> b a -> a", {}, ValueError, "Pattern must contain a single '->' separator"),
    ("a b c -> a b", {}, ValueError, r"Identifiers only on one side of rearrange expression \(should be on both\): "
                                     r"\{'c'\}"),
    ("a b -> a b", {}, ValueError, r"Number of dimensions in pattern \(2\) must be equal to the number of dimensions "
                                   r"in the tensor \(3\)"),
    ("a b c d ... -> a b c d ...", {}, ValueError, r"Number of dimensions in pattern \(4\) must be less than or "
                                                   r"equal to the number of dimensions in the tensor \(3\)"),
    ("a b c -> a b c", {"d": 2}, ValueError, r"Identifiers not found in rearrange expression: \{'d'\}"),
    ("a b c -> (a (b c))", {}, ValueError, r"Axis composition is one-level \(brackets inside brackets not allowed\)"),
    ("a b c -> a b c)", {}, ValueError, "Brackets are not balanced"),
    ("a b c -> (a b c", {}, ValueError, r"Imbalanced parentheses in expression: ' \(a b c'"),
    ("a b c -> a b c 2", {}, ValueError, "rearrange only supports unnamed axes of size 1"),
    ("a 0 c -> a c", {}, ValueError, "Anonymous axis should have positive length, not 0"),
    ("a a c -> a c", {}, ValueError, "Indexing expression contains duplicate dimension 'a'"),
    ("a b c -> a b c ...", {}, ValueError, r"Ellipsis found in right side, but not left side of a pattern "
                                           r"a b c -> a b c \.\.\."),
    ("(a ...) c -> a c", {}, ValueError, r"Ellipsis is parenthesis in the left side is not allowed: "
                                         r"\(a \.\.\.\) c -> a c"),
    ("a b. c -> a b c", {}, ValueError, r"^Expression may contain dots only inside ellipsis \(\.\.\.\)$"),
    ("a b .... -> a b", {}, ValueError, r"Expression may contain dots only inside ellipsis \(\.\.\.\); only one "
                                        "ellipsis for tensor"),
    ("a b c -> a b c _x", {}, ValueError, "Invalid axis identifier: _x\naxis name should should not start or end "
                                          "with underscore"),
    ("a 1b c -> a c", {}, ValueError, "Invalid axis identifier: 1b\nnot a valid python identifier"),
    ("a b+ c -> a b c", {}, ValueError, r"Unknown character '\+'"),
    ("a b c -> a b c", {"a": 2.0}, TypeError, "rearrange axis lengths must be integers, got: <class 'float'>"),
    ("a b c -> a b c", {"a": True}, TypeError, "rearrange axis lengths must be integers, got: <class 'bool'>"),
    ("a b c -> c b a", {"\u2026": 2}, ValueError, "'\u2026' is not an allowed axis identifier"),
]


@pytest.mark.parametrize("pattern, lengths, exc, message", PATTERN_ERRORS, ids=[e[3][:40] for e in PATTERN_ERRORS])
def test_bad_patterns_raise_pytorchs_errors(pattern, lengths, exc, message):
    with pytest.raises(exc, match=message):
        rearrange(torch.zeros(2, 3, 4), pattern, **lengths)


SIZE_ERRORS = [
    ((2, 3, 4), "(a b) c d -> a b c d", {}, "cannot infer the sizes of two dimensions at once d0 and d1"),
    ((6, 2), "(a b c) d -> a b c d", {"a": 2}, "cannot infer the sizes of two dimensions at once d1 and d2"),
    ((6, 2, 5), "a (b c) (d e) -> a b c d e", {}, "cannot infer the sizes of two dimensions at once d1 and d2"),
    ((6, 2), "(a b) c -> a b c", {"a": 4}, r"inferred dimension does not evenly fit into larger dimension: 6 vs "
                                           r"\(4, '\?'\)"),
    ((6, 2), "(a b c) d -> a b c d", {"a": 2, "c": 2}, r"inferred dimension does not evenly fit into larger "
                                                       r"dimension: 6 vs \(2, '\?', 2\)"),
    ((2, 3, 4), "a b c -> a b c", {"b": 1}, r"Dimension sizes to do not match \(3 != 1\) when matching dimension "
                                            r"pack \(d1,\)"),
    ((6, 2), "(a b) c -> a b c", {"a": 2, "b": 2}, r"Dimension sizes to do not match \(6 != 4\) when matching "
                                                   r"dimension pack \(d0, d1\)"),
]


@pytest.mark.parametrize("shape, pattern, lengths, message", SIZE_ERRORS, ids=[e[1] for e in SIZE_ERRORS])
def test_sizes_that_do_not_fit_raise_dimension_bind_error(shape, pattern, lengths, message):
    with pytest.raises(DimensionBindError, match=message):
        rearrange(torch.zeros(shape), pattern, **lengths)


def test_a_one_dim_tensor_cannot_be_split_as_in_pytorch():
    # functorch indexes the input with the group's dims as a tuple, so a 1-D input is refused
    # even when every size is given; with a second dim the same split works.
    for pattern, lengths, count in [("(a b) -> a b", {"a": 2}, 2), ("(a b) -> b a", {"a": 2, "b": 3}, 2),
                                    ("(a b 1) -> b a", {"a": 2}, 2), ("(a b c) -> a b c", {"a": 1, "b": 2}, 3)]:
        with pytest.raises(ValueError, match=f"at least {count} indices were supplied but the tensor only has 1 "
                                             "dimensions"):
            rearrange(torch.zeros(6), pattern, **lengths)
    a, x = arange((6, 1), "cpu")
    assert_equal(rearrange(x, "(a b) 1 -> b a", a=2), a.reshape(2, 3).T)
    assert_equal(rearrange(torch.arange(6.0), "(a) -> a"), np.arange(6.0, dtype=np.float32))


def test_axis_length_minus_one_is_inferred():
    a, x = arange((2, 4), "cpu")
    assert_equal(rearrange(x, "a (b c) -> a b c", b=-1, c=4), a.reshape(2, 1, 4))
    assert_equal(rearrange(x, "a b -> b a", b=-1), a.T)
    with pytest.raises(DimensionBindError, match="cannot infer the sizes of two dimensions at once d1 and d2"):
        rearrange(x, "a (b c) -> a b c", b=-1)


def test_discouraged_axis_names_warn():
    x = torch.zeros(2, 3)
    with pytest.warns(RuntimeWarning, match="It is discouraged to use axes names that are keywords: lambda"):
        y = rearrange(x, "lambda b -> b lambda")
    assert tuple(y.shape) == (3, 2)
    with pytest.warns(FutureWarning, match="It is discouraged to use 'axis' as an axis name"):
        rearrange(x, "axis b1 -> b1 axis")


def test_exported_from_torch_func():
    assert torch.func.rearrange is rearrange and "rearrange" in torch.func.__all__


def test_docstring_examples():
    result = doctest.testmod(_rearrange)
    assert result.attempted > 0 and result.failed == 0
