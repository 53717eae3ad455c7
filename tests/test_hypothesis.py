"""Property-based tests: random shapes, strides, dtypes and ops against numpy. They check
values, and that no input (however odd) crashes the interpreter or leaks a Rust panic."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ferrotorch as torch
from conftest import assert_close

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.uint8, np.bool_]

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "mul": (lambda a, b: a * b, np.multiply),
    "maximum": (lambda a, b: torch.maximum(a, b), np.maximum),
    "eq": (lambda a, b: a == b, np.equal),
    "lt": (lambda a, b: a < b, np.less),
}


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    dtype = draw(st.sampled_from(DTYPES))
    elems = hnp.from_dtype(np.dtype(dtype), allow_nan=False, allow_infinity=False,
                           min_value=-100 if dtype != np.bool_ and dtype != np.uint8 else None,
                           max_value=100 if dtype != np.bool_ else None)
    a = draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elems))
    b = draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=elems))
    return a, b


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(sorted(BINARY)), st.booleans())
def test_binary_broadcasting_matches_numpy(pair, name, transpose):
    a, b = pair
    op, ref = BINARY[name]
    ta, tb = torch.tensor(np.array(a)), torch.tensor(np.array(b))
    if transpose:  # exercise non-contiguous inputs: build from transposed copies, view back
        ta = torch.tensor(np.ascontiguousarray(a.T)).T if a.ndim else ta
        tb = torch.tensor(np.ascontiguousarray(b.T)).T if b.ndim else tb
    if a.dtype == np.bool_ and name == "add":
        expected = np.logical_or(a, b)
    else:
        with np.errstate(over="ignore"):
            expected = ref(a, b)
    assert_close(op(ta, tb), expected, check_dtype=False)


@st.composite
def strided_view(draw):
    """A random permutation + slicing of a random array (a non-contiguous view)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    perm = draw(st.permutations(range(len(shape))))
    starts = [draw(st.integers(0, max(s - 1, 0))) for s in shape]
    steps = [draw(st.integers(1, 3)) for _ in shape]
    return a, list(perm), starts, steps


@SETTINGS
@given(strided_view(), st.sampled_from(["exp", "neg", "abs", "contiguous", "reshape", "sum_via_add"]))
def test_views_then_ops_match_numpy(view, op):
    a, perm, starts, steps = view
    t = torch.tensor(a)
    ref = a
    for d, (s, k) in enumerate(zip(starts, steps)):
        size = ref.shape[d]
        length = len(range(s, size, k))
        t = t.as_strided(t.shape[:d] + (length,) + t.shape[d + 1:], t.stride()[:d] + (t.stride(d) * k,) + t.stride()[d + 1:],
                         t.storage_offset() + (s * t.stride(d) if length else 0))
        ref = ref[(slice(None),) * d + (slice(s, None, k),)]
    t = t.permute(*perm)
    ref = ref.transpose(perm)
    if op == "exp":
        assert_close(t.exp(), np.exp(ref))
    elif op == "neg":
        assert_close(-t, -ref)
    elif op == "abs":
        assert_close(t.abs(), np.abs(ref))
    elif op == "contiguous":
        c = t.contiguous()
        assert c.is_contiguous()
        assert_close(c, ref)
    elif op == "reshape":
        assert_close(t.reshape(-1), ref.reshape(-1))
    else:
        assert_close(t + t, ref + ref)


@SETTINGS
@given(st.lists(st.integers(-3, 6), min_size=0, max_size=4), st.lists(st.integers(-3, 6), min_size=0, max_size=4))
def test_odd_sizes_never_crash(sizes, view_sizes):
    """Negative sizes, impossible views: always a Python exception, never a panic."""
    try:
        t = torch.tensor(np.zeros([max(s, 0) for s in sizes]))
    except (RuntimeError, ValueError):
        return
    for fn in (lambda: t.view(*view_sizes), lambda: t.reshape(*view_sizes), lambda: t.expand(*view_sizes),
               lambda: t.permute(*view_sizes), lambda: t.as_strided(view_sizes, view_sizes)):
        try:
            fn()
        except (RuntimeError, IndexError, ValueError, TypeError):
            pass


@SETTINGS
@given(st.one_of(st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True), st.booleans()),
       st.sampled_from(DTYPES))
def test_scalar_ops_any_value(x, dtype):
    t = torch.tensor(np.zeros(3, dtype=dtype))
    for fn in (lambda: t + x, lambda: t * x, lambda: t // x, lambda: t % x, lambda: t ** x, lambda: t / x,
               lambda: t == x, lambda: x - t):
        try:
            fn()
        except (RuntimeError, TypeError):
            pass
