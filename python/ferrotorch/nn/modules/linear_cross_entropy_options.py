"""`LinearCrossEntropyOptions`: PyTorch's settings for the chunked `linear_cross_entropy`.

In PyTorch, passing an instance selects a kernel that processes the batch in chunks (never holding
all (N, C) logits) and whose precision can be widened for float16/bfloat16 inputs. ferrotorch has
one path, the reference one, which gives the same loss. The options are therefore accepted with
PyTorch's fields, defaults and validation, and the argument checks that reach users are reproduced
(acc_dtype combinations the chunked kernel refuses, a batch_chunk_size that contradicts
chunking_method); the rest does not change results and is not acted on:

- `batch_chunk_size`, `chunking_method`: memory only; the loss is the same in one chunk.
- `acc_policy`, and an acc_dtype that PyTorch accepts: only the rounding of float16/bfloat16 inputs.
- `allow_retain_graph`: PyTorch's chunked backward can run only once unless it is True; here
  backward can always be repeated with retain_graph=True.

    >>> import ferrotorch as torch
    >>> torch.nn.LinearCrossEntropyOptions(batch_chunk_size=64)
    LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=64, chunking_method='auto', acc_policy='auto', acc_dtype=None)
"""
import dataclasses

from ... import _C

__all__ = ["LinearCrossEntropyOptions"]

_ACC_POLICIES = ("auto", "accurate", "compact")


def _ceil_div(a, b):
    return -(-a // b)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Options of the chunked `linear_cross_entropy` (see the module docstring for what ferrotorch
    does with each): `allow_retain_graph`, `batch_chunk_size` (rows per chunk, None for one chunk),
    `chunking_method` ("auto", "aspect_ratio", "aspect_ratio:N" or None), `acc_policy` ("auto",
    "accurate", "compact") and `acc_dtype` (None or a floating dtype)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}; expected one of "
                             f"{', '.join(map(repr, _ACC_POLICIES))}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            if self._aspect_ratio_factor(self.chunking_method) is None:
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        size = self.batch_chunk_size
        if not (size is None or (isinstance(size, int) and size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in (_C.float16, _C.bfloat16, _C.float32, _C.float64):
            raise ValueError("acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, "
                             f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick "
                             "automatically.")

    @staticmethod
    def _aspect_ratio_factor(method):
        """N of "aspect_ratio:N" (1 without ":N"), or None when `method` is not that form."""
        name, sep, factor = method.partition(":")
        if not sep:
            factor = "1"
        if name == "aspect_ratio" and factor.isdigit() and int(factor) > 0:
            return int(factor)
        return None

    def _check_for_call(self, dtype, num_batches, in_features, num_classes):
        """The refusals PyTorch's chunked path makes for one call: an acc_dtype it cannot widen to,
        and an explicit batch_chunk_size that disagrees with an explicit chunking_method."""
        acc = self.acc_dtype
        # acc_dtype=None resolves to the input dtype or float32, both accepted.
        if acc is not None and acc != dtype and not (dtype in (_C.float16, _C.bfloat16) and acc == _C.float32):
            raise RuntimeError(f"linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but "
                               f"got {acc} acc_dtype and {dtype} inputs.")
        method = self.chunking_method
        if self.batch_chunk_size is None or method is None or method == "auto":
            return
        # chunking_method sizes each chunk's logits like the input: next_pow2(ceil(N / ceil(C / D))) / factor.
        target = _ceil_div(num_batches, _ceil_div(num_classes, in_features))
        chunk = min((1 << (target - 1).bit_length()) // self._aspect_ratio_factor(method), num_batches)
        if chunk != self.batch_chunk_size:
            raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method ('{method}') give "
                             f"different chunk sizes ({self.batch_chunk_size} vs {chunk}); pass only one.")
