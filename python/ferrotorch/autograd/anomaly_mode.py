"""Anomaly detection switches: `detect_anomaly` (a context manager) and `set_detect_anomaly`
(a function and a context manager), with PyTorch's signatures and warning.

ferrotorch keeps the two flags (`is_anomaly_enabled`, `is_anomaly_check_nan_enabled`) so that
scripts that turn anomaly mode on, or read it, run unchanged; the engine does not yet act on
them (no forward traceback is attached to backward errors and no NaN check runs).

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

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

# [enabled, check_nan]: process-wide, as PyTorch's anomaly mode is.
_state = [False, True]


def is_anomaly_enabled():
    """True inside `detect_anomaly` / after `set_detect_anomaly(True)`."""
    return _state[0]


def is_anomaly_check_nan_enabled():
    """Whether anomaly mode was asked to check backward results for NaN."""
    return _state[1]


def _set(mode, check_nan):
    prev = (_state[0], _state[1])
    _state[0], _state[1] = bool(mode), bool(check_nan)
    return prev


class detect_anomaly:
    """Context manager that turns anomaly detection on inside its block (warns, as PyTorch does,
    that the mode slows things down)."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev, self.prev_check_nan = _state[0], _state[1]
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
