"""`repr`/`str` of tensors, formatted as PyTorch formats them, and the print options.

Rules (PyTorch's): floats print with `precision` decimals, or as `1.` when every value is an
integer, or in scientific notation when the values span more than 3 orders of magnitude (or
exceed 1e8, or go below 1e-4) unless `sci_mode` forces a choice; elements are right-aligned to a
common width and wrapped at `linewidth`; tensors with more than `threshold` elements show the
first and last `edgeitems` entries of each dim around `...`; a dtype suffix appears unless the
dtype is implied by the values. Complex values print as `a+bj`, the real and the imaginary parts
each with their own formatter (mode and width chosen from the real parts, resp. the imaginary ones).

    >>> import ferrotorch as torch
    >>> torch.set_printoptions(precision=2)
    >>> torch.tensor([1.12345])
    tensor([1.12])
    >>> torch.set_printoptions(profile="default")
"""
import contextlib
import dataclasses
import math
from typing import Optional

from ._utils import _to_host


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: Optional[bool] = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set options for printing tensors (PyTorch's, taken from NumPy).

    Args:
        precision: digits after the decimal point for floating point output (default 4).
        threshold: total number of elements above which the repr is summarised (default 1000).
        edgeitems: items shown at the beginning and end of each summarised dim (default 3).
        linewidth: characters per line before a line break (default 80).
        profile: "default", "short" or "full": sane defaults, overridden by the options above.
        sci_mode: True/False forces scientific notation on/off; None (the default, and what every
            call that omits it restores) lets the formatter choose.

        >>> import ferrotorch as torch
        >>> torch.set_printoptions(threshold=5)
        >>> torch.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> torch.set_printoptions(profile="default")
        >>> torch.arange(10)
        tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    if profile is not None and profile in _PROFILES:  # PyTorch ignores an unknown profile
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as keyword arguments of :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Sets print options (as :func:`set_printoptions`) for the duration of a `with` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses int/fixed/scientific mode and the column width from the values shown."""

    def __init__(self, values, is_float):
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        precision = PRINT_OPTS.precision
        if not is_float:
            self.max_width = max((len(str(v)) for v in values), default=1)
            return
        # As in PyTorch, the mode and the width come from the finite non-zero values only; zeros,
        # nan and inf are printed unpadded if they are wider.
        nonzero = [v for v in values if math.isfinite(v) and v != 0]
        if not nonzero:
            return  # only zeros, nan and inf: fixed notation even when sci_mode is forced
        self.int_mode = all(v == math.ceil(v) for v in nonzero)
        lo, hi = min(abs(v) for v in nonzero), max(abs(v) for v in nonzero)
        if PRINT_OPTS.sci_mode is not None:
            # A forced mode also sizes the columns for that mode (PyTorch >= 2.x).
            self.sci_mode = PRINT_OPTS.sci_mode
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        if self.sci_mode:
            widths = (len(f"{v:.{precision}e}") for v in nonzero)
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in nonzero)
        else:
            widths = (len(f"{v:.{precision}f}") for v in nonzero)
        self.max_width = max(widths)

    def format(self, v):
        precision = PRINT_OPTS.precision
        if not self.is_float:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.max_width}.{precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}"
            if math.isfinite(v):
                s += "."
        else:
            s = f"{v:.{precision}f}"
        return s.rjust(self.max_width)


class _ComplexFormatter:
    """PyTorch's two formatters for complex values: one sized on the real parts, one on the
    imaginary parts; only the real part is padded, the imaginary one is printed unpadded after its
    sign (so `-3.-0.1000j` and `1.+2.5000j` sit in one column of varying width)."""

    def __init__(self, values):
        self.real = _Formatter([v.real for v in values], True)
        self.imag = _Formatter([v.imag for v in values], True)
        # The column width that decides how many elements fit on a line: both parts and the "j".
        self.max_width = self.real.max_width + self.imag.max_width + 1

    def format(self, v):
        imag = (self.imag.format(v.imag) + "j").lstrip()
        sign = "" if imag[0] in "+-" else "+"
        return self.real.format(v.real) + sign + imag


_ELLIPSIS = object()  # marks the elided middle of a summarised dim


def _to_nested(t, summarize):
    """Nested Python values; summarised dims keep `edgeitems` at each end around `_ELLIPSIS`."""
    if not summarize:
        return t.tolist()
    edge = PRINT_OPTS.edgeitems
    if t.ndim == 0:
        return t.item()
    n = t.shape[0]
    if not edge:
        return [_ELLIPSIS]
    long = n > 2 * edge
    if t.ndim == 1:
        if not long:
            return t.tolist()
        return t.narrow(0, 0, edge).tolist() + [_ELLIPSIS] + t.narrow(0, n - edge, edge).tolist()
    idx = list(range(edge)) + [_ELLIPSIS] + list(range(n - edge, n)) if long else range(n)
    return [i if i is _ELLIPSIS else _to_nested(t.select(0, i), summarize) for i in idx]


def _formatter_values(t, nested, summarize):
    """The values the formatter sees: the shown ones (PyTorch's get_summarized_data)."""
    if summarize and not PRINT_OPTS.edgeitems:
        # PyTorch's `self[-0:]` keeps a whole vector; higher dims keep nothing.
        return t.reshape(-1).tolist() if t.ndim == 1 else []
    return _flat_values(nested, t.ndim)


def _flat_values(nested, ndim):
    if ndim == 0:
        return [nested]
    out = []
    for x in nested:
        if x is not _ELLIPSIS:
            out.extend(_flat_values(x, ndim - 1))
    return out


def _format_nested(nested, ndim, fmt, indent):
    if ndim == 0:
        return fmt.format(nested)
    if ndim == 1:
        if len(nested) == 1 and nested[0] is _ELLIPSIS:
            return "[...]"
        elems = [" ..." if v is _ELLIPSIS else fmt.format(v) for v in nested]
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.max_width + 2))
        lines = [", ".join(elems[i:i + per_line]) for i in range(0, len(elems), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if r is _ELLIPSIS else _format_nested(r, ndim - 1, fmt, indent + 1) for r in nested]
    sep = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _add_suffixes(text, suffixes, indent):
    """Appends `, suffix` items, starting a new line where the current one would pass linewidth."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix="tensor(", extra_suffixes=()):
    import ferrotorch

    dtype = t.dtype
    suffixes = []
    grad_fn, requires_grad = t.grad_fn, t.requires_grad
    if t.is_cuda:
        # PyTorch names the device first; the values are read from a host copy.
        suffixes.append(f"device='{t.device}'")
        t = _to_host(t)
    default_dtype = ferrotorch.get_default_dtype()
    # The complex dtype whose parts have the default dtype is implied too (PyTorch's rule: complex128
    # under a float64 default, complex64 under any other).
    default_complex = ferrotorch.complex128 if default_dtype == ferrotorch.float64 else ferrotorch.complex64
    default_implied = dtype in (default_dtype, default_complex, ferrotorch.int64, ferrotorch.bool)
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if dtype != ferrotorch.get_default_dtype():
            suffixes.append("dtype=" + str(dtype))
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t.shape)))
        src = t.float() if dtype in (ferrotorch.float16, ferrotorch.bfloat16) else t
        summarize = t.numel() > PRINT_OPTS.threshold
        nested = _to_nested(src, summarize)
        values = _formatter_values(src, nested, summarize)
        if dtype == ferrotorch.bool:
            fmt = _Formatter([str(v) for v in values], False)
        elif dtype.is_complex:
            fmt = _ComplexFormatter(values)
        else:
            fmt = _Formatter(values, dtype.is_floating_point)
        body = _format_nested(nested, t.ndim, fmt, len(prefix))
        if not default_implied:
            suffixes.append("dtype=" + str(dtype))
    suffixes.extend(extra_suffixes)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))
