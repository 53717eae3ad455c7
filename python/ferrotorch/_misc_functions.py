"""Top-level functions and Tensor members PyTorch has that compose from existing ops.

Each family lives in its own module: integer ops (`_integer_ops`), float bit ops (`_float_bits`),
scatter variants (`_scatter_variants`), histograms (`_histogram`), finite differences
(`_gradient`), and small leftovers (`_tensor_extras`). Importing them attaches their Tensor
methods; this module gathers their public names for the package's top level.
"""
from ._float_bits import angle, frexp, isreal, ldexp, nextafter
from ._gradient import gradient
from ._histogram import histogram, histogramdd
from ._integer_ops import bitwise_left_shift, bitwise_right_shift, gcd, lcm
from ._scatter_variants import (addr, diagonal_scatter, index_reduce, select_scatter,
                                slice_scatter, unravel_index)
from ._tensor_extras import (are_deterministic_algorithms_enabled, frombuffer, get_default_device,
                             is_deterministic_algorithms_warn_only_enabled, range, set_default_device,
                             use_deterministic_algorithms)

__all__ = [
    "angle", "frexp", "isreal", "ldexp", "nextafter", "gradient", "histogram", "histogramdd",
    "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "addr", "diagonal_scatter",
    "index_reduce", "select_scatter", "slice_scatter", "unravel_index",
    "are_deterministic_algorithms_enabled", "frombuffer",
    "is_deterministic_algorithms_warn_only_enabled", "range", "use_deterministic_algorithms",
    "set_default_device", "get_default_device",
]
