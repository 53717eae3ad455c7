"""Packed sequences (`torch.nn.utils.rnn`): batches of variable-length sequences for the recurrent modules.

A `PackedSequence` stores the valid time steps of a batch of sequences sorted by decreasing length, time
step after time step: `data[sum(batch_sizes[:t]) : sum(batch_sizes[:t+1])]` holds step t of the
`batch_sizes[t]` sequences that are still running. `batch_sizes` always lives on the CPU (it drives Python
loops); `data` may live on any device. Packing and unpacking are composed from slicing, `cat`, `stack` and
`index_select`, so gradients flow through them and GPU data never visits the host.
"""
from collections import namedtuple
from collections.abc import Iterable

from ... import _C
from ..._C import Tensor
from ..._elementwise import _scalar_name

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None): out[permutation[i]] = i."""
    if permutation is None:
        return None
    output = _C.empty_like(permutation)
    output.scatter_(0, permutation, _C.arange(permutation.numel(), device=permutation.device))
    return output


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                "manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    # The legacy form PackedSequence((data, batch_sizes)).
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise TypeError("PackedSequence expects (data, batch_sizes) when batch_sizes is not given")
    return data[0], data[1], sorted_indices, unsorted_indices


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices",
                                                     "unsorted_indices"])):
    """A packed batch of variable-length sequences (see the module docstring for the layout).

    Made by `pack_padded_sequence` / `pack_sequence`, consumed by `RNN`, `LSTM` and `GRU`, undone by
    `pad_packed_sequence`. `sorted_indices[i]` is the original batch index of packed column i;
    `unsorted_indices` is its inverse.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([torch.tensor([1., 2., 3.]), torch.tensor([4.])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                                unsorted_indices))

    def to(self, *args, **kwargs):
        """Moves/casts `data` like `Tensor.to`; the indices follow data's device, batch_sizes stays on the
        CPU. Returns self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data or (data.dtype == self.data.dtype and data.device == self.data.device):
            return self
        kwargs = {k: v for k, v in kwargs.items() if k not in ("device", "dtype")}
        sorted_indices = None if self.sorted_indices is None else self.sorted_indices.to(data.device, **kwargs)
        unsorted_indices = (None if self.unsorted_indices is None
                            else self.unsorted_indices.to(data.device, **kwargs))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def _to_device(self, device, args, kwargs):
        # to(*args) when the arguments already name a device of that kind, else to(*args, device=device).
        ex = _C.empty(0, dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.device.type == _C.empty(0, device=device).device.type:
            return self.to(*args, **kwargs)
        return self.to(*args, device=device, **kwargs)

    def cuda(self, *args, **kwargs):
        return self._to_device("cuda", args, kwargs)

    def cpu(self, *args, **kwargs):
        return self._to_device("cpu", args, kwargs)

    def double(self):
        return self.to(dtype=_C.float64)

    def float(self):
        return self.to(dtype=_C.float32)

    def half(self):
        return self.to(dtype=_C.float16)

    def long(self):
        return self.to(dtype=_C.int64)

    def int(self):
        return self.to(dtype=_C.int32)

    def short(self):
        return self.to(dtype=_C.int16)

    def char(self):
        return self.to(dtype=_C.int8)

    def byte(self):
        return self.to(dtype=_C.uint8)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    @property
    def is_cuda(self):
        """Whether `data` is on the GPU."""
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


# ----------------------------------------------------------------------------- packing
def _check_long_cpu_1d(t, name):
    if t.dim() != 1 or t.device.type != "cpu" or t.dtype != _C.int64:
        raise RuntimeError(f"'{name}' argument should be a 1D CPU int64 tensor, but got {t.dim()}D "
                           f"{t.device} {_scalar_name(t.dtype)} tensor")


def _pack_padded(input, lengths_t, batch_first):
    """(data, batch_sizes) of a padded (T, B, *) (or (B, T, *)) input whose lengths are sorted, decreasing."""
    input = input.transpose(0, 1) if batch_first else input
    _check_long_cpu_1d(lengths_t, "lengths")
    batch_size = input.shape[1]
    lengths = lengths_t.tolist()
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if len(lengths) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch_size})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                           "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                           "to sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: the longest length {lengths[0]} exceeds the padded "
                           f"sequence length {input.shape[0]}")
    # Runs of time steps with the same number of live sequences are copied as one block each, walking the
    # lengths from the shortest sequence up (the padded layout is a staircase).
    trailing = tuple(input.shape[2:])
    steps, batch_sizes, prev = [], [], 0
    for i in range(batch_size):
        length = lengths[batch_size - 1 - i]
        if length > prev:
            live = batch_size - i
            steps.append(input[prev:length, :live].reshape((-1,) + trailing))
            batch_sizes.extend([live] * (length - prev))
            prev = length
    return _C.cat(steps, 0), _C.tensor(batch_sizes, dtype=_C.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (or (B, T, *) with `batch_first`) of sequences of the given lengths.

    `lengths` is a list or a 1-D CPU int64 tensor. With `enforce_sorted=True` they must be decreasing;
    otherwise the batch is sorted here and the permutation kept in the result, so that
    `pad_packed_sequence` restores the original order.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import pack_padded_sequence
        >>> x = torch.tensor([[1, 2, 3], [4, 5, 0]])
        >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
        tensor([1, 4, 2, 5, 3])
    """
    if not isinstance(lengths, Tensor):
        lengths = _C.as_tensor(lengths, dtype=_C.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=_C.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = lengths.sort(descending=True, stable=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_padded(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of `pack_padded_sequence`: returns (padded, lengths), padded (T, B, *) or (B, T, *) with
    `padding_value` past each length, T = `total_length` when given, lengths a CPU int64 tensor.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> p = pack_sequence([torch.tensor([1, 2]), torch.tensor([3])])
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1, 2],
                [3, 0]]), tensor([2, 1]))
    """
    batch_sizes = sequence.batch_sizes
    max_seq_length = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being "
                             f"{max_seq_length}")
        max_seq_length = total_length
    _check_long_cpu_1d(batch_sizes, "batch_sizes")
    sizes = batch_sizes.tolist()
    data = sequence.data
    trailing = tuple(data.shape[1:])
    batch = sizes[0] if sizes else 0
    opts = {"dtype": data.dtype, "device": data.device}
    # One block per run of equal batch sizes: (steps, live, *) from data, padded up to the full batch.
    blocks, offset, t = [], 0, 0
    while t < len(sizes):
        live, start = sizes[t], t
        while t < len(sizes) and sizes[t] == live:
            t += 1
        block = data[offset:offset + (t - start) * live].reshape((t - start, live) + trailing)
        offset += (t - start) * live
        if live < batch:
            block = _C.cat([block, _C.full((t - start, batch - live) + trailing, padding_value, **opts)], 1)
        blocks.append(block)
    if max_seq_length > len(sizes):
        blocks.append(_C.full((max_seq_length - len(sizes), batch) + trailing, padding_value, **opts))
    padded = _C.cat(blocks, 0) if len(blocks) > 1 else blocks[0]
    lengths = _C.tensor([sum(1 for s in sizes if s > b) for b in range(batch)], dtype=_C.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        return (padded.index_select(0 if batch_first else 1, sequence.unsorted_indices),
                lengths[sequence.unsorted_indices.cpu()])
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shapes (L_i, *) into one (L_max, B, *) tensor (or (B, L_max, *) with
    `batch_first`), filling with `padding_value` on the right (or the left).

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import pad_sequence
        >>> pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], batch_first=True, padding_value=-1)
        tensor([[ 1,  2],
                [ 3, -1]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        # Like PyTorch, the result takes the first sequence's dtype and device.
        s = s.to(dtype=first.dtype, device=first.device)
        if s.shape[0] < max_len:
            pad = _C.full((max_len - s.shape[0],) + trailing, padding_value, dtype=first.dtype,
                          device=first.device)
            s = _C.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return _C.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of tensors, sequence i keeping its first `lengths[i]` steps.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import unpad_sequence
        >>> unpad_sequence(torch.tensor([[1, 2], [3, 0]]), torch.tensor([2, 1]), batch_first=True)
        [tensor([1, 2]), tensor([3])]
    """
    # PyTorch transposes the caller's tensor in place here; a transposed view gives the same result
    # without that side effect.
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [seq[:int(length)] for seq, length in zip(padded_sequences.unbind(0), lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors (L_i, *); with `enforce_sorted=True` they must be sorted by decreasing length.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils.rnn import pack_sequence
        >>> pack_sequence([torch.tensor([3]), torch.tensor([1, 2])], enforce_sorted=False).data
        tensor([1, 3, 2])
    """
    lengths = _C.as_tensor([v.shape[0] for v in sequences], dtype=_C.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Inverse of `pack_sequence`: the list of the original tensors, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
