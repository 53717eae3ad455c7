"""Padding layers: Zero/Constant/Reflection/Replication/CircularPad for 1, 2 and 3 spatial dims.

Each is `F.pad` with the layer's mode and a padding tuple of 2 entries per dim, last dim first
(left, right, top, bottom, front, back); an int pads every side by that amount.
"""
from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _expand(padding, n):
    """An int -> 2n copies; a sequence must already have 2n entries (left, right, top, bottom)."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 2 * n:
            raise ValueError(f"expected padding to be a single integer value or a list of {2 * n} values, "
                             f"but got {len(padding)}")
        return tuple(padding)
    return (padding,) * (2 * n)


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with `value`."""
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with `value`; padding is (left, right, top, bottom)."""
    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with `value`; padding is (left, right, top, bottom, front, back)."""
    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros; padding is (left, right, top, bottom).

    >>> import ferrotorch as torch
    >>> torch.nn.ZeroPad2d(1)
    ZeroPad2d((1, 1, 1, 1))
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros; padding is (left, right, top, bottom, front, back).

    >>> import ferrotorch as torch
    >>> torch.nn.ZeroPad3d((1, 0, 0, 0, 2, 2))(torch.ones(1, 1, 1, 1, 1)).shape
    torch.Size([1, 1, 5, 1, 2])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Reflects the last dim at its borders (edge not repeated)."""
    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Reflects the last two dims at their borders."""
    _n, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeats the edge values of the last dim."""
    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeats the edge values of the last two dims."""
    _n, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Wraps the last dim around."""
    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wraps the last two dims around."""
    _n, _mode = 2, "circular"


class ReflectionPad3d(_PadNd):
    """Reflects the last three dims at their borders."""
    _n, _mode = 3, "reflect"


class ReplicationPad3d(_PadNd):
    """Repeats the edge values of the last three dims."""
    _n, _mode = 3, "replicate"


class CircularPad3d(_PadNd):
    """Wraps the last three dims around."""
    _n, _mode = 3, "circular"
