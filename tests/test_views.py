"""Views share storage and have the right shapes, strides and values (numpy as reference)."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close


def arange(*shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


@pytest.fixture
def base():
    return torch.tensor(arange(2, 3, 4))


def shares(a, b):
    return a._storage_id() == b._storage_id()


VIEW_CASES = [
    ("view", lambda t: t.view(6, 4), lambda a: a.reshape(6, 4)),
    ("view-infer", lambda t: t.view(-1, 2), lambda a: a.reshape(-1, 2)),
    ("view-tuple", lambda t: t.view((4, 6)), lambda a: a.reshape(4, 6)),
    ("reshape", lambda t: t.reshape(3, 8), lambda a: a.reshape(3, 8)),
    ("permute", lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute-neg", lambda t: t.permute(-1, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("transpose", lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    ("T", lambda t: t.T, lambda a: a.T),
    ("mT", lambda t: t.mT, lambda a: a.swapaxes(-1, -2)),
    ("expand", lambda t: t.narrow(0, 0, 1).expand(3, 3, 4), lambda a: np.broadcast_to(a[0:1], (3, 3, 4))),
    ("expand-new-dim", lambda t: t.expand(2, 2, 3, 4), lambda a: np.broadcast_to(a, (2, 2, 3, 4))),
    ("expand-minus-one", lambda t: t.narrow(1, 0, 1).expand(-1, 5, -1), lambda a: np.broadcast_to(a[:, :1], (2, 5, 4))),
    ("broadcast_to", lambda t: t.narrow(0, 1, 1).broadcast_to((4, 3, 4)), lambda a: np.broadcast_to(a[1:2], (4, 3, 4))),
    ("squeeze", lambda t: t.narrow(0, 0, 1).squeeze(), lambda a: a[0:1].squeeze()),
    ("squeeze-dim", lambda t: t.narrow(0, 0, 1).squeeze(0), lambda a: a[0:1].squeeze(0)),
    ("squeeze-noop", lambda t: t.squeeze(1), lambda a: a),
    ("unsqueeze", lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    ("unsqueeze-neg", lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    ("flatten", lambda t: t.flatten(), lambda a: a.reshape(-1)),
    ("flatten-range", lambda t: t.flatten(1), lambda a: a.reshape(2, 12)),
    ("unflatten", lambda t: t.unflatten(2, (2, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    ("narrow", lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    ("narrow-neg", lambda t: t.narrow(-1, -2, 2), lambda a: a[:, :, 2:4]),
    ("select", lambda t: t.select(1, -1), lambda a: a[:, -1]),
    ("diagonal", lambda t: t.diagonal(0, 1, 2), lambda a: np.diagonal(a, 0, 1, 2)),
    ("diagonal-offset", lambda t: t.diagonal(1, 1, 2), lambda a: np.diagonal(a, 1, 1, 2)),
    ("diagonal-neg-offset", lambda t: t.diagonal(-1, 1, 2), lambda a: np.diagonal(a, -1, 1, 2)),
    ("as_strided", lambda t: t.as_strided((3, 3), (4, 1), 1), lambda a: np.lib.stride_tricks.as_strided(a.reshape(-1)[1:], (3, 3), (16, 4))),
    ("movedim", lambda t: t.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1)),
    ("movedim-multi", lambda t: t.movedim((0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    ("unfold", lambda t: t.unfold(2, 2, 1), lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=2)),
    ("unfold-step", lambda t: t.unfold(2, 2, 2), lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=2)[:, :, ::2]),
    ("view-of-transposed", lambda t: t.transpose(1, 2).view(2, 4, 3, 1), lambda a: a.swapaxes(1, 2).reshape(2, 4, 3, 1)),
]


@pytest.mark.parametrize("name,op,ref", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_shares_storage_and_matches_numpy(base, name, op, ref):
    v = op(base)
    assert shares(v, base), "a view must not copy"
    assert_close(v, ref(arange(2, 3, 4)))


def test_writes_through_views_are_visible(base):
    v = base.transpose(0, 2)
    v.narrow(0, 0, 1).fill_(-1)
    expected = arange(2, 3, 4)
    expected[:, :, 0] = -1
    assert_close(base, expected)


def test_split_chunk_unbind_are_views(base):
    parts = base.split(2, dim=2)
    assert [tuple(p.shape) for p in parts] == [(2, 3, 2), (2, 3, 2)]
    assert all(shares(p, base) for p in parts)
    assert [tuple(p.shape) for p in base.split([1, 3], 2)] == [(2, 3, 1), (2, 3, 3)]
    assert [tuple(p.shape) for p in base.chunk(3, 1)] == [(2, 1, 4)] * 3
    assert [tuple(p.shape) for p in torch.tensor(arange(5)).chunk(3)] == [(2,), (2,), (1,)]
    assert [tuple(p.shape) for p in base.unbind(1)] == [(2, 4)] * 3
    assert_close(base.unbind(2)[3], arange(2, 3, 4)[:, :, 3])


def test_reshape_copies_only_when_needed(base):
    assert shares(base.reshape(24), base)
    t = base.transpose(1, 2)
    r = t.reshape(24)
    assert not shares(r, base)
    assert_close(r, arange(2, 3, 4).swapaxes(1, 2).reshape(24))


def test_contiguous(base):
    t = base.transpose(0, 1)
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and not shares(c, base)
    assert c.stride() == (8, 4, 1)
    assert shares(base.contiguous(), base)


def test_metadata(base):
    assert base.shape == torch.Size([2, 3, 4]) and base.size() == (2, 3, 4)
    assert base.size(-1) == 4 and base.dim() == 3 and base.ndim == 3
    assert base.numel() == 24 and base.element_size() == 4 and base.nbytes == 96
    assert base.stride() == (12, 4, 1) and base.stride(0) == 12
    assert base.narrow(2, 1, 2).storage_offset() == 1
    assert base.dtype == torch.float32 and str(base.device) == "cpu"
    assert base.data_ptr() + 4 == base.narrow(2, 1, 1).data_ptr()
    assert repr(base.shape) == "torch.Size([2, 3, 4])"
    assert base.T.shape == (4, 3, 2)


def test_zero_dim_and_empty():
    s = torch.tensor(3.5)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1 and s.item() == 3.5
    assert s.unsqueeze(0).shape == (1,) and s.view(1, 1).shape == (1, 1)
    assert s.flatten().shape == (1,) and s.t().shape == ()
    e = torch.tensor(np.zeros((0, 3), np.float32))
    assert e.shape == (0, 3) and e.numel() == 0
    assert e.view(3, 0).shape == (3, 0) and e.reshape(-1, 3).shape == (0, 3)
    assert e.T.shape == (3, 0) and e.transpose(0, 1).is_contiguous() is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(e)


@pytest.mark.parametrize(
    "fn,exc,msg",
    [
        (lambda t: t.view(5, 5), RuntimeError, r"shape '\[5, 5\]' is invalid for input of size 24"),
        (lambda t: t.view(-1, -1), RuntimeError, "only one dimension can be inferred"),
        (lambda t: t.transpose(0, 1).view(24), RuntimeError, "view size is not compatible with input tensor's size and stride"),
        (lambda t: t.permute(0, 1), RuntimeError, "number of dimensions in the tensor input does not match"),
        (lambda t: t.permute(0, 1, 1), RuntimeError, "permute\\(\\): duplicate dims are not allowed."),
        (lambda t: t.permute(0, 1, -2), RuntimeError, "permute\\(\\): duplicate dims are not allowed."),
        (lambda t: t.transpose(0, 3), IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"),
        (lambda t: t.expand(3, 3, 4), RuntimeError, r"The expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0"),
        (lambda t: t.narrow(0, 1, 5), RuntimeError, r"start \(1\) \+ length \(5\) exceeds dimension size \(2\)"),
        (lambda t: t.narrow(0, 0, -1), RuntimeError, r"narrow\(\): length must be non-negative\."),
        (lambda t: t.narrow(0, 1, 2**63 - 1), RuntimeError, r"start \(1\) \+ length \(9223372036854775807\) exceeds dimension size \(2\)"),
        (lambda t: t.narrow(0, -3, 1), IndexError, r"start out of range \(expected to be in range of \[-2, 2\], but got -3\)"),
        (lambda t: t.narrow(0, torch.tensor([0]), 1), RuntimeError, r"start must be an 0-dim integral Tensor\."),
        (lambda t: t.narrow(0, torch.tensor(True), 1), RuntimeError, r"start must be an 0-dim integral Tensor\."),
        (lambda t: t.select(0, 2), IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
        (lambda t: t.t(), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"),
        (lambda t: t.unsqueeze(5), IndexError, "Dimension out of range"),
        (lambda t: t.as_strided((10, 10), (10, 1)), RuntimeError, "out of bounds for storage of size 96"),
        (lambda t: t.diagonal(0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical 1, 1"),
        (lambda t: t.split([1, 2], 0), RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 2"),
        (lambda t: t.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
        (lambda t: t.unflatten(1, (2, 2)), RuntimeError, "unflatten: Provided sizes"),
        (lambda t: t.flatten(2, 1), RuntimeError, "start_dim cannot come after end_dim"),
        (lambda t: len(torch.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor"),
        (lambda t: iter(torch.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
        (lambda t: t.item(), RuntimeError, "a Tensor with 24 elements cannot be converted to Scalar"),
        (lambda t: t.narrow(0, 0, 1).expand(5, 3, 4).fill_(1),
         RuntimeError, "more than one element of the written-to tensor refers to a single memory location"),
    ],
)
def test_view_errors(base, fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(base)


def test_iteration_and_len(base):
    rows = list(base)
    assert len(rows) == len(base) == 2
    assert_close(rows[1], arange(2, 3, 4)[1])
