"""`repr`/`str` of tensors, formatted as PyTorch formats them.

Rules (PyTorch's): floats print with 4 decimals, or as `1.` when every value is an integer,
or in scientific notation when the values span more than 3 orders of magnitude (or exceed
1e8, or go below 1e-4); elements are right-aligned to a common width; tensors with more
than 1000 elements show the first and last 3 entries of each dim around `...`; a dtype
suffix appears unless the dtype is implied by the values.
"""
import math

from . import _C

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    def __init__(self, values, is_float):
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not is_float:
            self.max_width = max((len(str(v)) for v in values), default=1)
            return
        # As in PyTorch, the mode and the column width come from the finite non-zero values
        # only; zeros, nan and inf are printed unpadded if they are wider.
        nonzero = [v for v in values if math.isfinite(v) and v != 0]
        if not nonzero:
            return
        self.int_mode = all(v == math.ceil(v) for v in nonzero)
        lo, hi = min(abs(v) for v in nonzero), max(abs(v) for v in nonzero)
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.max_width = max(len(self.format(v, pad=False)) for v in nonzero)

    @staticmethod
    def _special(v):
        if math.isnan(v):
            return "nan"
        return "inf" if v > 0 else "-inf"

    def format(self, v, pad=True):
        if not self.is_float:
            s = str(v)
        elif not math.isfinite(v):
            s = self._special(v)
        elif self.sci_mode:
            s = f"{v:.{PRECISION}e}"
        elif self.int_mode:
            s = f"{v:.0f}."
        else:
            s = f"{v:.{PRECISION}f}"
        return s.rjust(self.max_width) if pad else s


_ELLIPSIS = object()  # marks the elided middle of a summarised dim


def _to_nested(t, summarize):
    """Nested Python values; summarised dims keep EDGEITEMS at each end around `_ELLIPSIS`."""
    if not summarize:
        return t.tolist()
    if t.ndim == 0:
        return t.item()
    n = t.shape[0]
    long = n > 2 * EDGEITEMS
    if t.ndim == 1:
        if not long:
            return t.tolist()
        return t.narrow(0, 0, EDGEITEMS).tolist() + [_ELLIPSIS] + t.narrow(0, n - EDGEITEMS, EDGEITEMS).tolist()
    idx = list(range(EDGEITEMS)) + [_ELLIPSIS] + list(range(n - EDGEITEMS, n)) if long else range(n)
    return [i if i is _ELLIPSIS else _to_nested(t.select(0, i), summarize) for i in idx]


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
        elems = [" ..." if v is _ELLIPSIS else fmt.format(v) for v in nested]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
        lines = [", ".join(elems[i:i + per_line]) for i in range(0, len(elems), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if r is _ELLIPSIS else _format_nested(r, ndim - 1, fmt, indent + 1) for r in nested]
    sep = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix="tensor(", extra_suffixes=()):
    import ferrotorch

    dtype = t.dtype
    suffixes = []
    if t.is_cuda:
        # PyTorch names the device first; the values are read from a host copy.
        suffixes.append(f"device='{t.device}'")
        grad_fn, requires_grad = t.grad_fn, t.requires_grad
        t = t.detach().cpu()
    else:
        grad_fn, requires_grad = t.grad_fn, t.requires_grad
    default_implied = dtype in (ferrotorch.get_default_dtype(), ferrotorch.int64, ferrotorch.bool)
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if dtype != ferrotorch.get_default_dtype():
            suffixes.append("dtype=" + str(dtype))
        body = "[]"
    else:
        src = t.float() if dtype in (ferrotorch.float16, ferrotorch.bfloat16) else t
        nested = _to_nested(src, t.numel() > THRESHOLD)
        values = _flat_values(nested, t.ndim)
        if dtype == ferrotorch.bool:
            fmt = _Formatter([str(v) for v in values], False)
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
    if suffixes:
        sep = ",\n" + " " * len(prefix) if "\n" in body else ", "
        body = body + sep + ", ".join(suffixes)
    return prefix + body + ")"
