"""torch.types: the type aliases PyTorch code uses in annotations (`Number`, `Device`, `FileLike`,
and the underscore shorthands such as `_size` and `_dtype`), built on ferrotorch's own classes so
`isinstance` checks against them and annotations resolve.

PyTorch's `Storage` protocol and its symbolic-shape aliases (`SymInt`-based `IntLikeType`, ...) are
absent: ferrotorch has no storage objects and no symbolic shapes.

    >>> import ferrotorch as torch
    >>> from ferrotorch.types import Number
    >>> isinstance(2.5, Number)
    True
"""
import os
from collections.abc import Sequence
from typing import IO, Union

from ._C import Tensor, device as _device, dtype as _dtype
from ._memory_format import layout as _layout
from ._size import Size

__all__ = ["Number", "Device", "FileLike"]

# Python builtins under the names PyTorch's signatures use (they shadow torch.int etc. there).
_bool, _bytes, _complex, _float, _int, _str = bool, bytes, complex, float, int, str

Number = Union[int, float, bool]
_Number = (int, float, bool)  # the same, as an isinstance() tuple
Device = Union[_device, str, int, None]
FileLike = Union[str, os.PathLike, IO[bytes]]
_size = Union[Size, list[int], tuple[int, ...]]
_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors = Union[Tensor, Sequence[Union[Tensor, None]]]
