"""`assert_close`: PyTorch's comparison of tensors, numbers and (nested) sequences and mappings
of them, with its per-dtype default tolerances and its error messages."""
import cmath
import collections.abc

import numpy as np

from .. import _C

__all__ = ["assert_close", "assert_allclose"]

# {dtype: (rtol, atol)}, PyTorch's defaults; other dtypes compare exactly.
_DTYPE_PRECISIONS = {
    _C.float16: (0.001, 1e-5),
    _C.bfloat16: (0.016, 1e-5),
    _C.float32: (1.3e-6, 1e-5),
    _C.float64: (1e-7, 1e-7),
    _C.complex64: (1.3e-6, 1e-5),
    _C.complex128: (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: _C.int64, float: _C.float64, complex: _C.complex128}


class _ErrorMeta(Exception):
    """A failure found while comparing: the exception type to raise, its message and the path."""

    def __init__(self, type, msg, *, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    """The inputs are not of the kind a comparison handles; the next one is tried."""


def _tolerances(*dtypes, rtol, atol, id):
    if (rtol is None) ^ (atol is None):
        raise _ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                     f"but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_DTYPE_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _mismatch_msg(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        if idx is None:
            msg = f"{kind.title()} difference: {diff}"
        else:
            msg = f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_mismatch_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff,
                         None, rtol)


def _tensor_mismatch_msg(actual, expected, matches, rtol, atol):
    shape = tuple(matches.shape)

    def unravel(flat):
        index = []
        for size in shape[::-1]:
            flat, mod = divmod(flat, size)
            index.append(mod)
        return tuple(index[::-1])

    total = matches.numel()
    mismatches = total - int(matches.sum().item())
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    a, b = actual.flatten(), expected.flatten()
    if not (a.dtype.is_floating_point or a.dtype.is_complex):
        a, b = a.to(_C.int64), b.to(_C.int64)
    unmatched = ~matches.flatten()
    abs_diff = _C.where(unmatched, (a - b).abs(), 0)
    max_abs, abs_idx = abs_diff.max(0)
    rel_diff = _C.where(unmatched, abs_diff / b.abs(), 0)
    max_rel, rel_idx = rel_diff.max(0)
    return _mismatch_msg("Tensor-likes", extra, max_abs.item(), unravel(int(abs_idx.item())), atol,
                         max_rel.item(), unravel(int(rel_idx.item())), rtol)


class _NonePair:
    def __init__(self, actual, expected, *, id, **options):
        if not (actual is None or expected is None):
            raise _Unsupported
        self.actual, self.expected, self.id = actual, expected, id

    def compare(self):
        if not (self.actual is None and self.expected is None):
            raise _ErrorMeta(AssertionError, f"None mismatch: {self.actual} is not {self.expected}", id=self.id)


class _BooleanPair:
    def __init__(self, actual, expected, *, id, **options):
        if not all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
            raise _Unsupported
        self.actual, self.expected, self.id = bool(actual), bool(expected), id

    def compare(self):
        if self.actual is not self.expected:
            raise _ErrorMeta(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}", id=self.id)


class _NumberPair:
    def __init__(self, actual, expected, *, id, rtol=None, atol=None, equal_nan=False, check_dtype=False,
                 **options):
        if not all(isinstance(v, (int, float, complex, np.number)) and not isinstance(v, bool)
                   for v in (actual, expected)):
            raise _Unsupported
        actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
        self.actual, self.expected, self.id = actual, expected, id
        dtypes = [_NUMBER_DTYPES.get(type(v), _C.float64) for v in (actual, expected)]
        self.rtol, self.atol = _tolerances(*dtypes, rtol=rtol, atol=atol, id=id)
        self.equal_nan, self.check_dtype = equal_nan, check_dtype

    def compare(self):
        actual, expected = self.actual, self.expected
        if self.check_dtype and type(actual) is not type(expected):
            raise _ErrorMeta(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.",
                             id=self.id)
        if actual == expected:
            return
        if self.equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
            return
        abs_diff = abs(actual - expected)
        if cmath.isfinite(abs_diff) and abs_diff <= self.atol + self.rtol * abs(expected):
            return
        raise _ErrorMeta(AssertionError, _scalar_mismatch_msg(actual, expected, self.rtol, self.atol), id=self.id)


class _TensorLikePair:
    def __init__(self, actual, expected, *, id, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, **options):
        if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
            raise _Unsupported
        if not allow_subclasses and type(actual) is not type(expected):
            raise _Unsupported
        actual, expected = (self._to_tensor(v) for v in (actual, expected))
        self.actual, self.expected, self.id = actual, expected, id
        self.rtol, self.atol = _tolerances(actual.dtype, expected.dtype, rtol=rtol, atol=atol, id=id)
        self.equal_nan = equal_nan
        self.check_device, self.check_dtype = check_device, check_dtype
        self.check_layout, self.check_stride = check_layout, check_stride

    @staticmethod
    def _to_tensor(value):
        if isinstance(value, _C.Tensor):
            return value
        try:
            return _C.as_tensor(value)
        except Exception:
            raise _Unsupported from None

    def _fail_attribute(self, name, actual, expected):
        raise _ErrorMeta(AssertionError, f"The values for attribute '{name}' do not match: {actual} != {expected}.",
                         id=self.id)

    def compare(self):
        actual, expected = self.actual, self.expected
        if actual.shape != expected.shape:
            self._fail_attribute("shape", actual.shape, expected.shape)
        if self.check_layout and actual.layout != expected.layout:
            self._fail_attribute("layout", actual.layout, expected.layout)
        if self.check_stride and actual.stride() != expected.stride():
            self._fail_attribute("stride()", actual.stride(), expected.stride())
        if self.check_device and actual.device != expected.device:
            self._fail_attribute("device", actual.device, expected.device)
        if self.check_dtype and actual.dtype != expected.dtype:
            self._fail_attribute("dtype", actual.dtype, expected.dtype)
        actual, expected = actual.detach(), expected.detach()
        if actual.device != expected.device:
            actual, expected = actual.cpu(), expected.cpu()
        if actual.dtype != expected.dtype:
            dtype = _C.promote_types(actual.dtype, expected.dtype)
            actual, expected = actual.to(dtype), expected.to(dtype)
        matches = actual.isclose(expected, rtol=self.rtol, atol=self.atol, equal_nan=self.equal_nan)
        if bool(matches.all()):
            return
        if actual.ndim == 0:
            msg = _scalar_mismatch_msg(actual.item(), expected.item(), self.rtol, self.atol)
        else:
            msg = _tensor_mismatch_msg(actual, expected, matches, self.rtol, self.atol)
        raise _ErrorMeta(AssertionError, msg, id=self.id)


_PAIR_TYPES = (_NonePair, _BooleanPair, _NumberPair, _TensorLikePair)


def _originate_pairs(actual, expected, *, id=(), **options):
    is_seq = (lambda v: isinstance(v, collections.abc.Sequence) and not isinstance(v, str))
    if is_seq(actual) and is_seq(expected):
        if len(actual) != len(expected):
            raise _ErrorMeta(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                             id=id)
        pairs = []
        for i in range(len(actual)):
            pairs.extend(_originate_pairs(actual[i], expected[i], id=(*id, i), **options))
        return pairs
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise _ErrorMeta(AssertionError,
                             "The keys of the mappings do not match:\n"
                             f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                             f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}", id=id)
        keys = actual_keys
        try:
            keys = sorted(keys)
        except Exception:
            pass
        pairs = []
        for key in keys:
            pairs.extend(_originate_pairs(actual[key], expected[key], id=(*id, key), **options))
        return pairs
    for pair_type in _PAIR_TYPES:
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except _Unsupported:
            continue
    raise _ErrorMeta(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} "
                                f"and {type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False, check_device=True,
                 check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Asserts that `actual` and `expected` are close: |actual - expected| <= atol + rtol * |expected|
    elementwise (inf only equal to itself, NaN only with `equal_nan`), with the same shape and, unless
    disabled, the same device, dtype, layout and (with `check_stride`) strides.

    Tensors, numbers, numpy arrays and (nested) sequences and mappings of them are compared; except
    for Python numbers the two sides must be of directly related types. Omitted tolerances default
    per dtype as in PyTorch: float16 (1e-3, 1e-5), bfloat16 (1.6e-2, 1e-5), float32 (1.3e-6, 1e-5),
    float64 (1e-7, 1e-7), others exact. `msg` replaces the message, or (a callable) edits it.

        >>> import ferrotorch as torch
        >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
        >>> torch.testing.assert_close(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.5]))
        Traceback (most recent call last):
        ...
        AssertionError: Tensor-likes are not close!
        <BLANKLINE>
        Mismatched elements: 1 / 3 (33.3%)
        Greatest absolute difference: 0.5 at index (2,) (up to 1e-05 allowed)
        Greatest relative difference: 0.1428571492433548 at index (2,) (up to 1.3e-06 allowed)
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    try:
        pairs = _originate_pairs(actual, expected, **options)
    except _ErrorMeta as meta:
        raise meta.to_error() from None  # as in PyTorch, `msg` only replaces comparison failures
    for pair in pairs:
        try:
            pair.compare()
        except _ErrorMeta as meta:
            raise meta.to_error(msg) from None


# assert_allclose's own (looser) defaults; dtypes not listed compare exactly.
_ALLCLOSE_PRECISIONS = {_C.float16: (1e-3, 1e-3), _C.float32: (1e-4, 1e-5), _C.float64: (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated predecessor of `assert_close` (warns FutureWarning, as PyTorch does): NaNs compare
    equal by default, dtypes may differ, non-tensors become tensors (`expected` in `actual`'s dtype),
    and the default tolerances are looser: float16 (1e-3, 1e-3), float32 (1e-4, 1e-5),
    float64 (1e-5, 1e-8)."""
    __tracebackhide__ = True
    import warnings
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead.", FutureWarning, stacklevel=2)
    if not isinstance(actual, _C.Tensor):
        actual = _C.tensor(actual)
    if not isinstance(expected, _C.Tensor):
        expected = _C.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtols, atols = zip(*[_ALLCLOSE_PRECISIONS.get(t.dtype, (0.0, 0.0)) for t in (actual, expected)])
        rtol, atol = max(rtols), max(atols)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)
