"""Module-level shape functions and the shape composites (tensor_split, block_diag, diff, cross, ...).

Values against numpy on every device, on contiguous and transposed inputs; gradients against a
numpy-derived expectation (index bookkeeping for the ops that move elements, the transposed
Jacobian for the linear ones, the analytic derivative for vander); errors against PyTorch's texts.
"""
import doctest
import itertools
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch._shape_functions as shape_functions
import ferrotorch._view_functions as view_functions
from conftest import GPU_AVAILABLE, to_numpy
from conftest import assert_close as _assert_close


def assert_close(actual, expected, **kwargs):
    """conftest's comparison, reading GPU results back first."""
    if isinstance(actual, torch.Tensor):
        actual = actual.detach().cpu()
    _assert_close(actual, expected, **kwargs)


def T(a, device="cpu", grad=False):
    t = torch.tensor(np.array(a, order="C")).to(device)
    return t.requires_grad_(True) if grad else t


def base(shape=(2, 3, 4), dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def moved_grad(ref, shape, weights):
    """The gradient of ``sum(op(x) * weights)`` for an op that only moves (or repeats) elements:
    run the numpy reference on element positions and add each weight back to its source."""
    n = int(np.prod(shape))
    pos = ref(np.arange(n).reshape(shape))
    pos = pos if isinstance(pos, (list, tuple)) else [pos]
    grad = np.zeros(n)
    for p, w in zip(pos, weights):
        np.add.at(grad, np.asarray(p).ravel(), np.asarray(w, np.float64).ravel())
    return grad.reshape(shape)


def linear_grad(ref, a, weights):
    """The gradient of ``sum(ref(x) * weights)`` at `a` for an affine `ref`: column k of the Jacobian
    is ref(a + e_k) - ref(a)."""
    a = np.asarray(a, np.float64)
    at_a = ref(a)
    grad = np.zeros(a.size)
    for k in range(a.size):
        e = a.copy().ravel()
        e[k] += 1
        grad[k] = np.sum((ref(e.reshape(a.shape)) - at_a) * weights)
    return grad.reshape(a.shape)


def weights_like(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def backward_with(outputs, weights, device):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    total = None
    for o, w in zip(outputs, weights):
        term = (o * T(w, device)).sum()
        total = term if total is None else total + term
    total.backward()


# ----------------------------------------------------------------------------- views as functions

# name, call, numpy reference (applied to the (2, 3, 4) input, or to its transposed layout)
VIEW_CASES = [
    ("reshape", lambda x: torch.reshape(x, (4, 6)), lambda a: a.reshape(4, 6)),
    ("reshape-infer", lambda x: torch.reshape(x, shape=[-1, 3]), lambda a: a.reshape(-1, 3)),
    ("permute", lambda x: torch.permute(x, (2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    ("permute-kw", lambda x: torch.permute(x, dims=[-1, 1, 0]), lambda a: a.transpose(2, 1, 0)),
    ("transpose", lambda x: torch.transpose(x, dim0=0, dim1=2), lambda a: np.swapaxes(a, 0, 2)),
    ("swapaxes", lambda x: torch.swapaxes(x, axis0=1, axis1=-1), lambda a: np.swapaxes(a, 1, 2)),
    ("swapdims", lambda x: torch.swapdims(x, dim0=0, dim1=1), lambda a: np.swapaxes(a, 0, 1)),
    ("moveaxis", lambda x: torch.moveaxis(x, 0, -1), lambda a: np.moveaxis(a, 0, -1)),
    ("movedim", lambda x: torch.movedim(x, source=(0, 1), destination=(2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    ("squeeze-none", lambda x: torch.squeeze(torch.narrow(x, 0, 1, 1)), lambda a: a[1:2].squeeze()),
    ("squeeze-dim", lambda x: torch.squeeze(torch.narrow(x, 1, 0, 1), dim=1), lambda a: a[:, 0:1].squeeze(1)),
    ("squeeze-tuple", lambda x: torch.squeeze(x[:1, :1], (0, 1)), lambda a: a[:1, :1].squeeze((0, 1))),
    ("unsqueeze", lambda x: torch.unsqueeze(x, dim=-2), lambda a: np.expand_dims(a, -2)),
    ("flatten", lambda x: torch.flatten(x), lambda a: a.ravel()),
    ("flatten-range", lambda x: torch.flatten(x, start_dim=1), lambda a: a.reshape(a.shape[0], -1)),
    ("flatten-end", lambda x: torch.flatten(x, 0, end_dim=1), lambda a: a.reshape(-1, a.shape[2])),
    ("unflatten", lambda x: torch.unflatten(x, -1, (2, -1)), lambda a: a.reshape(a.shape[:-1] + (2, -1))),
    ("ravel", lambda x: torch.ravel(x), lambda a: a.ravel()),
    ("narrow", lambda x: torch.narrow(x, 2, 1, 2), lambda a: a[:, :, 1:3]),
    ("narrow-neg-start", lambda x: torch.narrow(x, dim=-1, start=-2, length=2), lambda a: a[..., -2:]),
    ("narrow-tensor-start", lambda x: torch.narrow(x, 1, torch.tensor(1), 2), lambda a: a[:, 1:3]),
    ("select", lambda x: torch.select(x, 1, -1), lambda a: a[:, -1]),
    ("select-kw", lambda x: torch.select(x, dim=0, index=1), lambda a: a[1]),
    ("t", lambda x: torch.t(x[0]), lambda a: a[0].T),
    ("t-1d", lambda x: torch.t(x[0, 0]), lambda a: a[0, 0]),
    ("clone", lambda x: torch.clone(x), lambda a: a.copy()),
    ("clone-format", lambda x: torch.clone(x, memory_format=None), lambda a: a.copy()),
    ("diagonal", lambda x: torch.diagonal(x), lambda a: np.diagonal(a)),
    ("diagonal-args", lambda x: torch.diagonal(x, offset=1, dim1=1, dim2=2), lambda a: np.diagonal(a, 1, 1, 2)),
    ("diagonal-neg", lambda x: torch.diagonal(x, -1, 2, 1), lambda a: np.diagonal(a, -1, 2, 1)),
    ("broadcast_to", lambda x: torch.broadcast_to(x, (2, 2, 3, 4)), lambda a: np.broadcast_to(a, (2, 2, 3, 4))),
    ("broadcast_to-minus-one", lambda x: torch.broadcast_to(x[:, :1], size=(-1, 3, -1)), lambda a: np.broadcast_to(a[:, :1], (a.shape[0], 3, a.shape[2]))),
]

# The transposed layout is a (2, 3, 4) view of a (4, 3, 2) buffer.
LAYOUTS = {
    "contiguous": (lambda a: a, lambda t: t),
    "transposed": (lambda a: np.ascontiguousarray(a.transpose(2, 1, 0)), lambda t: t.transpose(0, 2)),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name,call,ref", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_functions(name, call, ref, layout, device):
    to_buffer, to_view = LAYOUTS[layout]
    a = base()
    buf = T(to_buffer(a), device, grad=True)
    x = to_view(buf)
    out = call(x)
    assert_close(out, ref(a))
    assert out.device == x.device
    w = weights_like(tuple(out.shape), 1)
    backward_with(out, [w], device)
    expected = moved_grad(ref, a.shape, [w])
    assert_close(buf.grad, to_buffer(expected).astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,call,ref", [
    ("split", lambda x: torch.split(x, 3, dim=2), lambda a: [a[..., :3], a[..., 3:]]),
    ("split-sizes", lambda x: torch.split(x, [1, 2], 1), lambda a: [a[:, :1], a[:, 1:]]),
    ("split-kw", lambda x: torch.split(tensor=x, split_size_or_sections=1), lambda a: [a[:1], a[1:]]),
    ("chunk", lambda x: torch.chunk(x, 3, dim=-1), lambda a: [a[..., :2], a[..., 2:]]),
    ("chunk-kw", lambda x: torch.chunk(x, chunks=2, dim=1), lambda a: [a[:, :2], a[:, 2:]]),
    ("unbind", lambda x: torch.unbind(x, dim=1), lambda a: [a[:, i] for i in range(3)]),
    ("unbind-default", lambda x: torch.unbind(x), lambda a: [a[0], a[1]]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_multi_output_functions(name, call, ref, device):
    a = base()
    buf = T(a.transpose(2, 1, 0), device, grad=True)
    x = buf.transpose(0, 2)
    parts = call(x)
    assert isinstance(parts, tuple)
    expected = ref(a)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        assert_close(p, e)
    ws = [weights_like(tuple(p.shape), i) for i, p in enumerate(parts)]
    backward_with(parts, ws, device)
    assert_close(buf.grad, moved_grad(ref, a.shape, ws).transpose(2, 1, 0).astype(np.float32), atol=1e-5)


def test_as_strided_function(device):
    x = T(np.arange(6, dtype=np.float32), device, grad=True)
    out = torch.as_strided(x, (2, 2), (2, 1), storage_offset=1)
    assert_close(out, np.array([[1, 2], [3, 4]], np.float32))
    with pytest.raises(RuntimeError, match="out of bounds for storage of size"):
        torch.as_strided(x, (3, 2), (2, 1), storage_offset=1)
    overlapping = torch.as_strided(x, size=(2, 3), stride=(1, 1))
    assert_close(overlapping, np.array([[0, 1, 2], [1, 2, 3]], np.float32))
    overlapping.sum().backward()
    assert_close(x.grad, np.array([1, 2, 2, 1, 0, 0], np.float32))


def test_views_share_storage():
    x = T(base())
    for v in [torch.reshape(x, (6, 4)), torch.permute(x, (1, 0, 2)), torch.narrow(x, 1, 1, 1), torch.select(x, 0, 1),
              torch.diagonal(x, 0, 1, 2), torch.broadcast_to(x, (2, 2, 3, 4)), torch.split(x, 1)[1],
              torch.unbind(x, 2)[3], torch.squeeze(x), torch.t(x[0]), torch.movedim(x, 0, 2)]:
        assert v._storage_id() == x._storage_id()
    c = torch.clone(x)
    assert c._storage_id() != x._storage_id()
    c.add_(1)
    assert_close(x, base())


def test_zero_dim_and_empty_views(device):
    s = T(np.float32(3.0), device)
    assert tuple(torch.reshape(s, (1, 1)).shape) == (1, 1)
    assert tuple(torch.flatten(s).shape) == (1,)
    assert tuple(torch.ravel(s).shape) == (1,)
    assert tuple(torch.squeeze(s).shape) == ()
    assert tuple(torch.unsqueeze(s, 0).shape) == (1,)
    assert tuple(torch.t(s).shape) == ()
    assert_close(torch.clone(s), np.float32(3.0))
    e = T(np.zeros((0, 3), np.float32), device)
    assert tuple(torch.permute(e, (1, 0)).shape) == (3, 0)
    assert tuple(torch.narrow(e, 1, 1, 2).shape) == (0, 2)
    assert [tuple(p.shape) for p in torch.split(e, 2, 1)] == [(0, 2), (0, 1)]
    assert torch.unbind(e) == ()
    assert tuple(torch.flatten(e).shape) == (0,)


def test_view_function_errors():
    x = T(base())
    with pytest.raises(TypeError, match=r"reshape\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        torch.reshape([1, 2], (2,))
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        torch.permute(3, (0,))
    with pytest.raises(RuntimeError, match=r"shape '\[5, 5\]' is invalid for input of size 24"):
        torch.reshape(x, (5, 5))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        torch.transpose(x, 0, 3)
    with pytest.raises(RuntimeError, match="start must be an 0-dim integral Tensor."):
        torch.narrow(x, 0, torch.tensor([1]), 1)
    with pytest.raises(RuntimeError, match="start must be an 0-dim integral Tensor."):
        torch.narrow(x, 0, torch.tensor(1.0), 1)
    with pytest.raises(RuntimeError, match=r"start \(1\) \+ length \(3\) exceeds dimension size \(2\)\."):
        torch.narrow(x, 0, 1, 3)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        torch.select(x, 1, 3)
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        torch.t(x)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0, got: 0"):
        torch.chunk(x, 0)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 3"):
        torch.split(x, [1, 1], 1)
    with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
        torch.broadcast_to(x, (3, 3, 4))


# ----------------------------------------------------------------------------- broadcasting


def test_broadcast_tensors(device):
    a, b, c = base((3, 1)), base((1, 4)) + 10, np.float32(7.0)
    ta, tb, tc = T(a, device, True), T(b, device, True), T(c, device, True)
    outs = torch.broadcast_tensors(ta, tb, tc)
    assert isinstance(outs, tuple) and len(outs) == 3
    for o, e in zip(outs, np.broadcast_arrays(a, b, c)):
        assert_close(o, e)
        assert o._storage_id() in (ta._storage_id(), tb._storage_id(), tc._storage_id())
    ws = [weights_like((3, 4), i) for i in range(3)]
    backward_with(outs, ws, device)
    assert_close(ta.grad, ws[0].sum(1, keepdims=True), atol=1e-5)
    assert_close(tb.grad, ws[1].sum(0, keepdims=True), atol=1e-5)
    assert_close(tc.grad, ws[2].sum(), atol=1e-5)
    (single,) = torch.broadcast_tensors(ta)
    assert tuple(single.shape) == (3, 1)
    assert torch.broadcast_tensors() == ()
    empty = torch.broadcast_tensors(T(np.zeros((0, 1), np.float32), device), tb)
    assert [tuple(o.shape) for o in empty] == [(0, 4), (0, 4)]


def test_broadcast_tensors_errors():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"):
        torch.broadcast_tensors(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"):
        torch.broadcast_tensors(torch.zeros(2, 1), torch.zeros(4), torch.zeros(3, 1))
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got list"):
        torch.broadcast_tensors(torch.zeros(1), [1])


@pytest.mark.parametrize("shapes", [
    [(2,), (3, 1), (1, 1, 1)], [(5, 4), (1,)], [(0, 3), (1, 3)], [(0,), (1,)], [()], [(), (2, 2)],
    [(8, 1, 6, 1), (7, 1, 5)], [[2, 1], (1, 2)], [torch.Size([3, 1]), torch.Size([3])],
])
def test_broadcast_shapes(shapes):
    r = torch.broadcast_shapes(*shapes)
    assert isinstance(r, torch.Size)
    assert tuple(r) == np.broadcast_shapes(*[tuple(s) for s in shapes])


def test_broadcast_shapes_ints_and_errors():
    assert tuple(torch.broadcast_shapes(3, (2, 1))) == (2, 3)
    assert tuple(torch.broadcast_shapes(1, 4)) == (4,)
    assert tuple(torch.broadcast_shapes()) == ()
    with pytest.raises(RuntimeError) as err:
        torch.broadcast_shapes((2,), (3,))
    assert str(err.value) == ("Shape mismatch: objects cannot be broadcast to a single shape.  "
                              "Mismatch is between arg 0 with shape (2,) and arg 1 with shape (3,).")
    with pytest.raises(RuntimeError, match=r"Mismatch is between arg 1 with shape \(4, 1\) and arg 2 with shape \(5, 3\)\."):
        torch.broadcast_shapes((1, 3), (4, 1), (5, 3))
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension \(-1\): \(-1\)"):
        torch.broadcast_shapes((2, -1))
    with pytest.raises(RuntimeError, match="Input shapes should be of type ints, a tuple of ints, or a list of ints, got "):
        torch.broadcast_shapes("ab")


# ----------------------------------------------------------------------------- tensor_split & co


@pytest.mark.parametrize("spec,dim", [
    (3, 0), (4, 1), (1, -1), (7, 1), ([1, 4], 1), ((2, -1), 1), ([0, 0, 10], -1), ([3, 1], 1), ([], 0),
])
def test_tensor_split(spec, dim, device):
    a = base((2, 5), np.float32)
    buf = T(a.T, device, grad=True)
    x = buf.t()
    parts = torch.tensor_split(x, spec, dim)
    expected = np.array_split(a, spec, axis=dim)
    assert isinstance(parts, tuple) and len(parts) == len(expected)
    for p, e in zip(parts, expected):
        assert_close(p, e)
        assert p._storage_id() == buf._storage_id()
    ws = [weights_like(tuple(p.shape), i) for i, p in enumerate(parts)]
    backward_with(parts, ws, device)
    assert_close(buf.grad, moved_grad(lambda v: np.array_split(v, spec, axis=dim), a.shape, ws).T.astype(np.float32), atol=1e-5)
    assert [tuple(p.shape) for p in x.tensor_split(spec, dim=dim)] == [e.shape for e in expected]


def test_tensor_split_tensor_spec_and_empty(device):
    x = T(np.arange(7, dtype=np.float32), device)
    sections = torch.tensor_split(x, torch.tensor(3))
    assert [p.tolist() for p in sections] == [[0, 1, 2], [3, 4], [5, 6]]
    by_index = torch.tensor_split(x, torch.tensor([2, 5, 6]).narrow(0, 0, 2))
    assert [p.tolist() for p in by_index] == [[0, 1], [2, 3, 4], [5, 6]]
    strided = torch.tensor([[1, 9], [4, 9]]).select(1, 0)  # a non-contiguous index vector
    assert [p.tolist() for p in torch.tensor_split(x, strided)] == [[0], [1, 2, 3], [4, 5, 6]]
    empty = torch.tensor_split(T(np.zeros((0, 2), np.float32), device), 3)
    assert [tuple(p.shape) for p in empty] == [(0, 2)] * 3


def test_tensor_split_errors():
    x = torch.zeros(4, 3)
    with pytest.raises(RuntimeError, match="tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"):
        torch.tensor_split(torch.tensor(1.0), 2)
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0, got 0"):
        torch.tensor_split(x, 0)
    with pytest.raises(RuntimeError, match="tensor_split expected tensor_indices_or_sections to have dtype of long, but got Int"):
        torch.tensor_split(x, torch.tensor([1], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="to be a zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims"):
        torch.tensor_split(x, torch.tensor([[1]]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.tensor_split(x, 2, dim=2)
    with pytest.raises(TypeError):
        torch.tensor_split(x, 2.0)
    if GPU_AVAILABLE:
        with pytest.raises(RuntimeError, match="tensor_split expected tensor_indices_or_sections to be on cpu, but it's on gpu"):
            torch.tensor_split(x, torch.tensor([1]).to("gpu"))


@pytest.mark.parametrize("fn,np_fn,shape,spec", [
    ("hsplit", np.hsplit, (2, 4, 1), 2), ("hsplit", np.hsplit, (6,), 3), ("hsplit", np.hsplit, (2, 4), [1, 3]),
    ("vsplit", np.vsplit, (4, 2), 2), ("vsplit", np.vsplit, (3, 2, 1), [1]),
    ("dsplit", np.dsplit, (1, 2, 4), 4), ("dsplit", np.dsplit, (1, 1, 5), (2, 3)),
])
def test_hsplit_vsplit_dsplit(fn, np_fn, shape, spec, device):
    a = base(shape)
    x = T(a, device, grad=True)
    parts = getattr(torch, fn)(x, spec)
    expected = np_fn(a, spec)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        assert_close(p, e)
    assert [tuple(p.shape) for p in getattr(x, fn)(spec)] == [e.shape for e in expected]
    ws = [weights_like(tuple(p.shape), i) for i, p in enumerate(parts)]
    backward_with(parts, ws, device)
    assert_close(x.grad, moved_grad(lambda v: np_fn(v, spec), shape, ws).astype(np.float32), atol=1e-5)


def test_hsplit_vsplit_dsplit_errors():
    with pytest.raises(RuntimeError, match="torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions!"):
        torch.hsplit(torch.tensor(1.0), 1)
    with pytest.raises(RuntimeError, match="torch.hsplit attempted to split along dimension 1, but the size of the dimension 3 is not divisible by the split_size 2!"):
        torch.hsplit(torch.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="torch.hsplit attempted to split along dimension 0, but the size of the dimension 3 is not divisible by the split_size 0!"):
        torch.hsplit(torch.zeros(3), 0)
    with pytest.raises(RuntimeError, match="torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 dimensions!"):
        torch.vsplit(torch.zeros(4), 2)
    with pytest.raises(RuntimeError, match="torch.vsplit attempted to split along dimension 0, but the size of the dimension 5 is not divisible by the split_size 2!"):
        torch.vsplit(torch.zeros(5, 2), 2)
    with pytest.raises(RuntimeError, match="torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with 2 dimensions!"):
        torch.dsplit(torch.zeros(2, 2), [1])
    with pytest.raises(RuntimeError, match="torch.dsplit attempted to split along dimension 2, but the size of the dimension 3 is not divisible by the split_size 2!"):
        torch.dsplit(torch.zeros(1, 1, 3), 2)


# ----------------------------------------------------------------------------- building


def np_block_diag(*arrays):
    arrays = [np.atleast_2d(a) if a.ndim < 2 else a for a in arrays]
    out = np.zeros((sum(a.shape[0] for a in arrays), sum(a.shape[1] for a in arrays)),
                   np.result_type(*arrays))
    r = c = 0
    for a in arrays:
        out[r:r + a.shape[0], c:c + a.shape[1]] = a
        r, c = r + a.shape[0], c + a.shape[1]
    return out


def test_block_diag(device):
    a, b, c, d = base((2, 3)), base((3,)) + 10, np.float32(7), base((2, 1)) + 20
    buf_a = T(a.T, device, True)
    tb, tc, td = T(b, device, True), T(c, device, True), T(d, device, True)
    out = torch.block_diag(buf_a.t(), tb, tc, td)
    assert_close(out, np_block_diag(a, b, c, d))
    w = weights_like(tuple(out.shape), 3)
    backward_with(out, [w], device)
    assert_close(buf_a.grad, w[0:2, 0:3].T, atol=1e-6)
    assert_close(tb.grad, w[2, 3:6], atol=1e-6)
    assert_close(tc.grad, w[3, 6], atol=1e-6)
    assert_close(td.grad, w[4:6, 7:8], atol=1e-6)


def test_block_diag_dtypes_and_empties(device):
    ints, floats = T(np.array([[1, 2]], np.int64), device), T(np.array([0.5], np.float32), device)
    r = torch.block_diag(ints, floats)
    assert r.dtype == torch.float32
    assert_close(r, np.array([[1, 2, 0], [0, 0, 0.5]], np.float32))
    # A 0-d operand does not raise the dtype of a dimensioned one of the same category.
    zero_d = torch.block_diag(T(np.ones((1, 1), np.float32), device), T(np.float64(2), device))
    assert zero_d.dtype == torch.float32
    assert torch.block_diag(T(np.ones(1, np.int32), device), T(np.float64(2), device)).dtype == torch.float64
    assert torch.block_diag(T(np.array([True]), device), T(np.array([3], np.uint8), device)).dtype == torch.uint8
    # A 1-d empty tensor is a row with no columns; a (0, 2) block adds columns only.
    r = torch.block_diag(T(np.zeros(0, np.float32), device), T(np.ones((0, 2), np.float32), device), T(np.ones((1, 1), np.float32), device))
    assert_close(r, np.array([[0, 0, 0], [0, 0, 1]], np.float32))
    none = torch.block_diag()
    assert tuple(none.shape) == (1, 0) and none.dtype == torch.float32


def test_block_diag_errors():
    with pytest.raises(RuntimeError, match="torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions"):
        torch.block_diag(torch.zeros(1), torch.zeros(1, 1, 1))
    if GPU_AVAILABLE:
        with pytest.raises(RuntimeError, match="torch.block_diag: input tensors must all be on the same device. Input 0 is on device cpu and input 1 is on device gpu"):
            torch.block_diag(torch.zeros(1), torch.zeros(1).to("gpu"))


def test_cartesian_prod(device):
    a, b, c = np.array([1, 2], np.float32), np.array([3, 4, 5], np.float32), np.array([6], np.float32)
    ta, tb, tc = T(a, device, True), T(b, device, True), T(c, device, True)
    out = torch.cartesian_prod(ta, tb, tc)
    assert_close(out, np.array(list(itertools.product(a, b, c)), np.float32))
    w = weights_like(tuple(out.shape), 4)
    backward_with(out, [w], device)
    assert_close(ta.grad, w[:, 0].reshape(2, 3).sum(1), atol=1e-5)
    assert_close(tb.grad, w[:, 1].reshape(2, 3).sum(0), atol=1e-5)
    assert_close(tc.grad, w[:, 2].sum(keepdims=True), atol=1e-5)
    assert torch.cartesian_prod(ta) is ta
    ints = torch.cartesian_prod(T(np.array([1, 2]), device), T(np.array([7]), device))
    assert ints.dtype == torch.int64 and ints.tolist() == [[1, 7], [2, 7]]
    assert tuple(torch.cartesian_prod(ta, T(np.zeros(0, np.float32), device)).shape) == (0, 2)
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 1\]"):
        torch.cartesian_prod(ta, torch.zeros(2, 1))


@pytest.mark.parametrize("n,r,with_replacement", [(4, 2, False), (4, 3, False), (3, 2, True), (2, 3, True), (2, 3, False), (1, 1, False)])
def test_combinations(n, r, with_replacement, device):
    a = (np.arange(n, dtype=np.float32) + 1) * 1.5
    x = T(a, device, True)
    out = torch.combinations(x, r, with_replacement=with_replacement)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    combos = list(pick(range(n), r))
    assert tuple(out.shape) == (len(combos), r)
    assert_close(out, a[np.array(combos, dtype=np.int64).reshape(-1, r)])
    w = weights_like(tuple(out.shape), 5)
    backward_with(out, [w], device)
    assert_close(x.grad, moved_grad(lambda v: v[np.array(combos, dtype=np.int64).reshape(-1, r)], a.shape, [w]).astype(np.float32), atol=1e-5)


def test_combinations_edges_and_errors(device):
    x = T(np.array([1, 2, 3]), device)
    assert torch.combinations(x).tolist() == [[1, 2], [1, 3], [2, 3]]
    zero = torch.combinations(x, r=0)
    assert tuple(zero.shape) == (0,) and zero.dtype == torch.int64 and zero.device == x.device
    assert tuple(torch.combinations(T(np.zeros(0, np.float32), device)).shape) == (0, 2)
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[1, 3\]"):
        torch.combinations(torch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="Expect a non-negative number, but got -1"):
        torch.combinations(torch.zeros(3), -1)


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 3, 1), (3, 5, -1), (3, 4, 2), (2, 2, -3), (0, 3, 0), (3, 0, 0), (1, 1, 10)])
def test_tril_triu_indices(row, col, offset, device):
    tril = torch.tril_indices(row, col, offset, device=device)
    triu = torch.triu_indices(row, col, offset=offset, device=device)
    assert tril.dtype == torch.int64 and str(tril.device).startswith(device)
    assert_close(tril, np.stack(np.tril_indices(row, offset, col)).reshape(2, -1))
    assert_close(triu, np.stack(np.triu_indices(row, offset, col)).reshape(2, -1))
    small = torch.tril_indices(row, col, offset, dtype=torch.int32)
    assert small.dtype == torch.int32 and small.tolist() == tril.tolist()


def test_tril_triu_indices_errors():
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        torch.tril_indices(-1, 3)
    with pytest.raises(RuntimeError, match="col must be non-negative, got-2"):
        torch.triu_indices(3, -2)
    with pytest.raises(NotImplementedError, match="\"tril_indices\" not implemented for 'Float'"):
        torch.tril_indices(3, 3, dtype=torch.float32)


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((2, 2), 1), ((2, 1), -2), ((), 0), ((0,), 1)])
def test_diagflat(shape, offset, device):
    a = base(shape) + 1
    x = T(a, device, True)
    out = torch.diagflat(x, offset)
    assert_close(out, np.diagflat(a, offset))
    assert_close(x.diagflat(offset=offset), np.diagflat(a, offset))
    w = weights_like(tuple(out.shape), 6)
    backward_with(out, [w], device)
    assert_close(x.grad, linear_grad(lambda v: np.diagflat(v, offset), a, w).astype(np.float32), atol=1e-5)


def test_msort(device):
    a = np.array([[3.0, -1.0, 2.0], [1.0, 5.0, 2.5], [0.5, 0.0, -4.0]], np.float32)
    buf = T(a.T, device, True)
    x = buf.t()
    out = torch.msort(x)
    assert_close(out, np.sort(a, axis=0))
    assert_close(x.msort(), np.sort(a, axis=0))
    w = weights_like(a.shape, 7)
    backward_with(out, [w], device)
    order = np.argsort(a, axis=0)
    expected = np.zeros_like(a)
    np.put_along_axis(expected, order, w, axis=0)
    assert_close(buf.grad, expected.T, atol=1e-6)
    assert_close(torch.msort(T(np.float32(2), device)), np.float32(2))
    assert_close(torch.msort(T(np.array([3, 1, 2]), device)), np.array([1, 2, 3]))
    out_t = torch.zeros(3, 3)
    assert torch.msort(torch.tensor(a), out=out_t) is out_t
    assert_close(out_t, np.sort(a, axis=0))


def test_narrow_copy(device):
    a = base((3, 4))
    buf = T(a.T, device, True)
    x = buf.t()
    out = torch.narrow_copy(x, 1, 1, 2)
    assert_close(out, a[:, 1:3])
    assert out.is_contiguous() and out._storage_id() != buf._storage_id()
    assert_close(x.narrow_copy(0, -2, 1), a[-2:-1])
    w = weights_like((3, 2), 8)
    backward_with(out, [w], device)
    expected = np.zeros_like(a)
    expected[:, 1:3] = w
    assert_close(buf.grad, expected.T, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)\."):
        torch.narrow_copy(x, 1, 3, 2)


def test_narrow_copy_does_not_alias():
    x = torch.tensor(base((3, 4)))
    c = torch.narrow_copy(x, 0, 0, 3)  # the full range: narrow would return an alias
    c.add_(100)
    assert_close(x, base((3, 4)))


@pytest.mark.parametrize("n,dim,pre,app", [
    (1, -1, None, None), (2, 1, None, None), (1, 0, None, None), (3, -1, None, None), (7, -1, None, None),
    (0, -1, None, None), (1, -1, (3, 1), None), (2, 1, None, (3, 2)), (2, 0, (1, 4), (2, 4)), (0, 0, (1, 4), None),
])
def test_diff(n, dim, pre, app, device):
    a = (base((3, 4)) ** 2) * 0.5
    p = None if pre is None else base(pre) - 3
    q = None if app is None else base(app) + 7
    buf = T(a.T, device, True)
    x = buf.t()
    out = torch.diff(x, n=n, dim=dim, prepend=None if p is None else T(p, device),
                     append=None if q is None else T(q, device))

    def ref(v):
        if n == 0:  # PyTorch ignores prepend/append for n == 0
            return v.copy()
        kwargs = {}
        if p is not None:
            kwargs["prepend"] = p
        if q is not None:
            kwargs["append"] = q
        return np.diff(v, n=n, axis=dim, **kwargs)

    assert_close(out, ref(a), rtol=1e-5, atol=1e-4)
    w = weights_like(tuple(out.shape), 9)
    backward_with(out, [w], device)
    assert_close(buf.grad, linear_grad(ref, a, w).T.astype(np.float32), atol=1e-4)


def test_diff_dtypes_and_method(device):
    b = np.array([True, True, False, True, False])
    assert_close(torch.diff(T(b, device)), np.diff(b))
    assert_close(torch.diff(T(b, device), n=2), np.diff(b, n=2))
    u = np.array([5, 3, 9], np.uint8)
    assert_close(torch.diff(T(u, device)), np.diff(u))
    i = np.array([[1, 4, 9], [2, 2, 0]], np.int64)
    assert_close(T(i, device).diff(dim=0), np.diff(i, axis=0))
    mixed = torch.diff(T(i, device), prepend=T(np.zeros((2, 1), np.float32), device))
    assert mixed.dtype == torch.float32
    assert_close(mixed, np.diff(i.astype(np.float32), prepend=np.zeros((2, 1), np.float32)))
    assert tuple(torch.diff(T(np.zeros(0, np.float32), device)).shape) == (0,)
    out = torch.zeros(2)
    assert torch.diff(torch.tensor([1.0, 3.0, 6.0]), out=out) is out
    assert out.tolist() == [2.0, 3.0]


def test_diff_errors():
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        torch.diff(torch.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        torch.diff(torch.zeros(3), n=-1)
    with pytest.raises(RuntimeError, match="diff expects prepend or append to be the same dimension as input"):
        torch.diff(torch.zeros(2, 3), prepend=torch.zeros(3))
    with pytest.raises(RuntimeError, match=r"diff expects the shape of tensor to prepend or append to match that of input except along the differencing dimension; input.size\(0\) = 2, but got tensor.size\(0\) = 3"):
        torch.diff(torch.zeros(2, 3), append=torch.zeros(3, 1))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        torch.diff(torch.zeros(2, 3), dim=2)
    with pytest.raises(TypeError, match=r"diff\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        torch.diff([1, 2])


@pytest.mark.parametrize("N,increasing", [(None, False), (None, True), (4, False), (1, True), (2, False)])
def test_vander(N, increasing, device):
    a = np.array([2.0, 0.0, -1.5], np.float32)
    x = T(a, device, True)
    out = torch.vander(x, N=N, increasing=increasing)
    assert_close(out, np.vander(a, N, increasing=increasing).astype(np.float32), rtol=1e-5)
    if N == 1:
        # Only the constant column: like PyTorch, the result does not depend on x.
        assert not out.requires_grad
        return
    w = weights_like(tuple(out.shape), 10)
    backward_with(out, [w], device)
    n = len(a) if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    # d/dx x**p = p * x**(p - 1), with the p == 0 column contributing nothing (also at x == 0).
    deriv = np.where(powers > 0, powers * a[:, None] ** np.maximum(powers - 1, 0), 0.0)
    assert_close(x.grad, (w * deriv).sum(1).astype(np.float32), rtol=1e-5, atol=1e-5)


def test_vander_dtypes_and_errors(device):
    ints = torch.vander(T(np.array([1, 2, 3], np.int32), device))
    assert ints.dtype == torch.int64
    assert_close(ints, np.vander(np.array([1, 2, 3])))
    assert torch.vander(T(np.array([True, False]), device)).dtype == torch.int64
    empty = torch.vander(T(np.array([1.0, 2.0], np.float32), device), N=0)
    assert tuple(empty.shape) == (2, 0)
    assert tuple(torch.vander(T(np.zeros(0, np.float32), device)).shape) == (0, 0)
    with pytest.raises(RuntimeError, match="x must be a one-dimensional tensor."):
        torch.vander(torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match="N must be non-negative."):
        torch.vander(torch.zeros(2), N=-1)


# ----------------------------------------------------------------------------- cross


@pytest.mark.parametrize("sa,sb,dim", [((3,), (3,), 0), ((2, 3), (2, 3), 1), ((3, 2), (3, 2), 0), ((1, 3), (4, 3), -1), ((2, 3, 1), (1, 3, 2), 1)])
def test_cross(sa, sb, dim, device):
    rng = np.random.default_rng(11)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    ta, tb = T(a, device, True), T(b, device, True)
    out = torch.cross(ta, tb, dim=dim)
    expected = np.cross(a, b, axis=dim)
    assert_close(out, expected, rtol=1e-5, atol=1e-6)
    assert_close(torch.linalg.cross(T(a, device), T(b, device), dim=dim), expected, rtol=1e-5, atol=1e-6)
    assert_close(T(a, device).cross(T(b, device), dim), expected, rtol=1e-5, atol=1e-6)
    w = weights_like(expected.shape, 12)
    backward_with(out, [w], device)
    # d/da sum(w . (a x b)) = b x w and d/db = w x a, summed back over broadcast dims.
    ga, gb = np.cross(b, w, axis=dim), np.cross(w, a, axis=dim)
    assert_close(ta.grad, ga.sum(axis=tuple(i for i in range(ga.ndim) if sa[i] == 1 and ga.shape[i] != 1), keepdims=True), atol=1e-5)
    assert_close(tb.grad, gb.sum(axis=tuple(i for i in range(gb.ndim) if sb[i] == 1 and gb.shape[i] != 1), keepdims=True), atol=1e-5)


def test_cross_transposed_and_ints(device):
    a = base((3, 4))
    b = base((3, 4))[::-1].copy() - 5
    ta, tb = T(a.T, device).t(), T(b, device)
    assert_close(torch.linalg.cross(ta, tb, dim=0), np.cross(a, b, axis=0))
    i = np.array([[1, 2, 3]], np.int64)
    j = np.array([[4, 5, 6]], np.int64)
    r = torch.linalg.cross(T(i, device), T(j, device))
    assert r.dtype == torch.int64
    assert_close(r, np.cross(i, j))
    out = torch.zeros(1, 3, dtype=torch.int64)
    assert torch.linalg.cross(torch.tensor(i), torch.tensor(j), out=out) is out
    assert_close(out, np.cross(i, j))


def test_cross_default_dim_warns_once(monkeypatch):
    monkeypatch.setattr(shape_functions, "_cross_dim_warned", False)
    a = np.arange(12, dtype=np.float32).reshape(4, 3)
    b = a[::-1].copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = torch.cross(torch.tensor(a), torch.tensor(b))
        torch.cross(torch.tensor(a), torch.tensor(b))
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and messages[0].startswith("Using torch.cross without specifying the dim arg is deprecated.")
    assert_close(first, np.cross(a, b, axis=1))
    # The first size-3 dim of the input wins, even when a later one is meant.
    sq = np.arange(9, dtype=np.float32).reshape(3, 3)
    assert_close(torch.cross(torch.tensor(sq), torch.tensor(sq.T.copy())), np.cross(sq, sq.T, axis=0))


def test_cross_errors():
    with pytest.raises(RuntimeError, match="no dimension of size 3 in input"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.cross(torch.zeros(2, 4), torch.zeros(2, 4))
    with pytest.raises(RuntimeError, match="linalg.cross: inputs must have the same number of dimensions."):
        torch.linalg.cross(torch.zeros(2, 3), torch.zeros(5, 2, 3))
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension -1 must have length 3. Got 2 and 3"):
        torch.linalg.cross(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension 0 must have length 3. Got 3 and 2"):
        torch.cross(torch.zeros(3, 3), torch.zeros(2, 3), dim=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.linalg.cross(torch.zeros(3), torch.zeros(3), dim=1)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 0"):
        torch.linalg.cross(torch.zeros(2, 3), torch.zeros(4, 3))


# ----------------------------------------------------------------------------- module surface


def test_exports_and_methods():
    for module in (shape_functions, view_functions):
        for name in module.__all__:
            assert getattr(torch, name) is getattr(module, name), name
        assert getattr(torch, name).__doc__, name
    for name in ["diff", "cross", "tensor_split", "hsplit", "vsplit", "dsplit", "msort", "narrow_copy", "diagflat"]:
        assert callable(getattr(torch.Tensor, name)), name
    # Native methods are left alone.
    assert type(torch.Tensor.reshape).__name__ in ("method_descriptor", "builtin_function_or_method")
    assert torch.linalg.cross is not torch.cross


def test_docstring_examples():
    import ferrotorch.linalg

    for module in (shape_functions, view_functions, ferrotorch.linalg):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0


def test_gpu_results_stay_on_gpu():
    if not GPU_AVAILABLE:
        pytest.skip("no GPU")
    x = torch.tensor(base((2, 3))).to("gpu")
    outs = [torch.diff(x), torch.cross(x, x.flip(1), dim=1), torch.block_diag(x, x[0]), torch.msort(x),
            torch.vander(x[0]), torch.combinations(x[0]), torch.cartesian_prod(x[0], x[1]), torch.diagflat(x[0]),
            torch.narrow_copy(x, 1, 0, 2), *torch.tensor_split(x, 2, 1), *torch.broadcast_tensors(x, x[0])]
    for o in outs:
        assert str(o.device).startswith("gpu")
    cpu = [torch.diff(x.cpu()), torch.block_diag(x.cpu(), x.cpu()[0])]
    assert_close(outs[0], to_numpy(cpu[0]))
    assert_close(outs[2], to_numpy(cpu[1]))
