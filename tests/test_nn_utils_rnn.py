"""nn.utils.rnn (PackedSequence, packing, padding) against numpy loops, on every device, with gradients."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence, pack_sequence,
                                     pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)
from conftest import assert_close, from_numpy, requires_gpu, to_numpy


# ----------------------------------------------------------------------------- numpy references
def ref_pad(seqs, batch_first, value, side="right"):
    n = max(len(s) for s in seqs)
    out = np.full((len(seqs), n) + seqs[0].shape[1:], value, dtype=seqs[0].dtype)
    for i, s in enumerate(seqs):
        if side == "right":
            out[i, :len(s)] = s
        else:
            out[i, n - len(s):] = s
    return out if batch_first else out.swapaxes(0, 1)


def ref_pack(x, lengths):
    """x time-major (T, B, *): data rows step by step, the live sequences in decreasing-length order."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    rows, sizes = [], []
    for t in range(max(lengths)):
        live = [b for b in order if lengths[b] > t]
        sizes.append(len(live))
        rows.extend(x[t, b] for b in live)
    return np.stack(rows), np.array(sizes, dtype=np.int64), order


def seqs_np(lengths, trailing=(2,), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n,) + trailing) for n in lengths]


# ----------------------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(device, batch_first, side):
    seqs = seqs_np([3, 1, 4, 0], trailing=(2, 3))
    ts = [from_numpy(s).to(device) for s in seqs]
    ts[2] = from_numpy(np.array(seqs[2].transpose(0, 2, 1), order="C")).to(device).transpose(1, 2)
    assert not ts[2].is_contiguous()
    out = pad_sequence(ts, batch_first=batch_first, padding_value=-2.5, padding_side=side)
    assert out.device.type == torch.device(device).type
    assert_close(out.cpu(), ref_pad(seqs, batch_first, -2.5, side))


def test_pad_sequence_inputs_and_errors():
    a, b = torch.tensor([1, 2, 3]), torch.tensor([4])
    assert_close(pad_sequence(x for x in (a, b)), np.array([[1, 4], [2, 0], [3, 0]]))  # any iterable
    assert_close(pad_sequence([a]), np.array([[1], [2], [3]]))
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="pad_sequence: Expected iterable for input sequences, but got arg "
                                           "of type: <class 'int'>"):
        pad_sequence(3)
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle."):
        pad_sequence([a, b], padding_side="middle")


def test_pad_sequence_gradcheck():
    xs = [torch.randn(n, 2, dtype=torch.float64, requires_grad=True) for n in (2, 3, 1)]
    assert torch.autograd.gradcheck(lambda *s: pad_sequence(list(s), batch_first=True, padding_value=1.0), xs)
    assert torch.autograd.gradcheck(lambda *s: pad_sequence(list(s), padding_side="left"), xs)


# ----------------------------------------------------------------------------- pack_padded_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[4, 3, 3, 1], [2, 4, 1, 4]])
def test_pack_padded_sequence(device, batch_first, lengths):
    sorted_ = lengths == sorted(lengths, reverse=True)
    x = np.random.default_rng(1).standard_normal((5, 4, 2))  # (T, B, 2), T longer than every length
    data, sizes, order = ref_pack(x, lengths)
    inp = from_numpy(x.swapaxes(0, 1) if batch_first else x).to(device)
    p = pack_padded_sequence(inp, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=sorted_)
    assert isinstance(p, PackedSequence) and isinstance(p, tuple) and len(p) == 4
    assert p.data.device.type == torch.device(device).type
    assert_close(p.data.cpu(), data)
    assert_close(p.batch_sizes, sizes)
    assert p.batch_sizes.device.type == "cpu"
    if sorted_:
        assert p.sorted_indices is None and p.unsorted_indices is None
    else:
        assert_close(p.sorted_indices.cpu(), order)
        assert_close(p.unsorted_indices.cpu(), np.argsort(order))
    padded, out_lengths = pad_packed_sequence(p, batch_first=batch_first, padding_value=7.0)
    expect = x.copy()
    for b, n in enumerate(lengths):
        expect[n:, b] = 7.0
    expect = expect[:max(lengths)]
    assert_close(padded.cpu(), expect.swapaxes(0, 1) if batch_first else expect)
    assert_close(out_lengths, np.array(lengths, dtype=np.int64))
    assert out_lengths.device.type == "cpu"


def test_pack_padded_lengths_forms():
    x = torch.arange(6).reshape(3, 2)  # (T, B) without trailing dims
    for lengths in ([3, 2], (3, 2), torch.tensor([3, 2], dtype=torch.int32)):
        p = pack_padded_sequence(x, lengths)
        assert_close(p.data, np.array([0, 1, 2, 3, 4]))
        assert p.batch_sizes.dtype == torch.int64


def test_pack_padded_errors(device):
    x = torch.randn(3, 3, 2, device=device)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order when "
                                           "`enforce_sorted` is True. You can pass `enforce_sorted=False`"):
        pack_padded_sequence(x, [1, 3, 2])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0, but found an "
                                           "element in 'lengths' that is <= 0"):
        pack_padded_sequence(x, [3, 0, 2], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                                           r"\(batch_size=3\)"):
        pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu "
                                           "Long tensor"):
        pack_padded_sequence(x, [[3, 2, 1]])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors."):
        pack_padded_sequence(torch.randn(3, 0, 2), torch.tensor([], dtype=torch.int64))
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length 3"):
        pack_padded_sequence(x, [4, 2, 1])


@requires_gpu
def test_pack_padded_lengths_on_gpu_rejected():
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor, but got 1D gpu"):
        pack_padded_sequence(torch.randn(3, 2, 2), torch.tensor([3, 2], device="gpu"))


def test_pad_packed_total_length():
    p = pack_sequence([torch.tensor([1., 2.]), torch.tensor([3.])])
    padded, lengths = pad_packed_sequence(p, total_length=4, padding_value=-1)
    assert_close(padded, np.array([[1., 3.], [2., -1.], [-1., -1.], [-1., -1.]], dtype=np.float32))
    assert_close(lengths, np.array([2, 1]))
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest "
                                         "sequence in input, but got total_length=1 and max sequence length "
                                         "being 2"):
        pad_packed_sequence(p, total_length=1)


# ----------------------------------------------------------------------------- pack_sequence and friends
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_unpack_sequence_round_trip(device, enforce_sorted):
    lengths = [4, 2, 2, 1] if enforce_sorted else [2, 4, 1, 2]
    seqs = seqs_np(lengths, trailing=(3,), seed=2)
    ts = [from_numpy(s).to(device) for s in seqs]
    p = pack_sequence(ts, enforce_sorted=enforce_sorted)
    data, sizes, _ = ref_pack(ref_pad(seqs, False, 0.0), lengths)
    assert_close(p.data.cpu(), data)
    assert_close(p.batch_sizes, sizes)
    back = unpack_sequence(p)
    assert len(back) == len(seqs)
    for b, s in zip(back, seqs):
        assert_close(b.cpu(), s)


def test_unpad_sequence():
    seqs = seqs_np([3, 1, 2], seed=3)
    for batch_first in (False, True):
        padded = from_numpy(ref_pad(seqs, batch_first, 9.0))
        before = to_numpy(padded)
        out = unpad_sequence(padded, torch.tensor([3, 1, 2]), batch_first=batch_first)
        for o, s in zip(out, seqs):
            assert_close(o, s)
        assert tuple(padded.shape) == before.shape  # the input is left as it was


def test_gradients_through_packing():
    x = torch.randn(3, 3, 2, dtype=torch.float64, requires_grad=True)

    def f(x):
        p = pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        return pad_packed_sequence(p, batch_first=True, total_length=4)[0]
    assert torch.autograd.gradcheck(f, (x,))
    xs = [torch.randn(n, 2, dtype=torch.float64, requires_grad=True) for n in (1, 3, 2)]
    assert torch.autograd.gradcheck(lambda *s: tuple(unpack_sequence(pack_sequence(list(s), enforce_sorted=False))),
                                    xs)
    # The gradient of the packed data reaches exactly the valid padded entries.
    y = torch.randn(3, 3, 2, requires_grad=True)
    pack_padded_sequence(y, [3, 2, 1]).data.sum().backward()
    mask = np.zeros((3, 3, 2), dtype=np.float32)
    for b, n in enumerate([3, 2, 1]):
        mask[:n, b] = 1
    assert_close(y.grad, mask)


# ----------------------------------------------------------------------------- PackedSequence
def test_packed_sequence_tuple_behaviour():
    p = pack_sequence([torch.tensor([1., 2.]), torch.tensor([3., 4., 5.])], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data is p.data and batch_sizes is p.batch_sizes
    assert_close(sorted_indices, np.array([1, 0]))
    assert_close(unsorted_indices, np.array([1, 0]))
    legacy = PackedSequence((p.data, p.batch_sizes))
    assert legacy.sorted_indices is None and legacy.data is p.data
    q = PackedSequence(p.data, p.batch_sizes, torch.tensor([2, 0, 1]))
    assert_close(q.unsorted_indices, np.array([1, 2, 0]))
    assert_close(invert_permutation(torch.tensor([3, 0, 2, 1])), np.array([1, 3, 2, 0]))
    assert invert_permutation(None) is None
    assert not p.is_cuda
    d = p.double()
    assert d.data.dtype == torch.float64 and d.batch_sizes is p.batch_sizes
    assert p.float() is p and p.to(torch.float32) is p
    assert p.long().data.dtype == torch.int64


def test_packed_sequence_to_device(device):
    p = pack_sequence([torch.tensor([1., 2.]), torch.tensor([3., 4., 5.])], enforce_sorted=False)
    q = p.to(device)
    for t in (q.data, q.sorted_indices, q.unsorted_indices):
        assert t.device.type == torch.device(device).type
    assert q.batch_sizes.device.type == "cpu"
    assert q.is_cuda == (device != "cpu")
    back = q.cpu()
    assert not back.is_cuda and back.sorted_indices.device.type == "cpu"
    assert_close(back.data, to_numpy(p.data))
    if device != "cpu":
        assert p.cuda().is_cuda
        with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
            PackedSequence(q.data, q.batch_sizes.to(device))
