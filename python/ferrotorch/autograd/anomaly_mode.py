"""Anomaly detection switches: `detect_anomaly` (a context manager) and `set_detect_anomaly`
(a function and a context manager), with PyTorch's signatures and warning.

While anomaly mode is on (process-wide, as in PyTorch), each graph node keeps the traceback of
the forward call that created it; an error in its backward is preceded by a UserWarning
"Error detected in <node>. Traceback of forward call that caused the error: ...", and with
`check_nan` a backward that returns NaN fails ("Function 'SqrtBackward0' returned nan values in
its 0th output."). The engine side is `src/autograd/anomaly.rs`.

    >>> import warnings
    >>> import ferrotorch as torch
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with torch.autograd.detect_anomaly():
    ...         on = torch.autograd.anomaly_mode.is_anomaly_enabled()
    >>> on, torch.autograd.anomaly_mode.is_anomaly_enabled()
    (True, False)
"""
import warnings

from .. import _C

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled():
    """True inside `detect_anomaly` / after `set_detect_anomaly(True)`."""
    return _C._anomaly_mode()[0]


def is_anomaly_check_nan_enabled():
    """Whether anomaly mode checks backward results for NaN."""
    return _C._anomaly_mode()[1]


def _set(mode, check_nan):
    return _C._set_anomaly_mode(bool(mode), bool(check_nan))


class detect_anomaly:
    """Context manager that turns anomaly detection on inside its block (warns, as PyTorch does,
    that the mode slows things down)."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev, self.prev_check_nan = _C._anomaly_mode()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Sets anomaly detection on or off: immediately when called, and until the end of a `with`
    block when used as a context manager."""

    def __init__(self, mode, check_nan=True):
        self.prev, self.prev_check_nan = _set(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)
