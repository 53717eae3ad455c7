"""Internals of ferrotorch.utils.data: collation, fetchers, the worker loop, and exception transport."""
import sys
import traceback

# How often (seconds) blocking queue reads wake up to check that the other side is still alive.
MP_STATUS_CHECK_INTERVAL = 5.0


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised KeyError prints its multi-line message readably."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """Carries an exception from a worker process to the main one: the class (pickled by reference)
    and the formatted traceback text, which is otherwise lost when the exception crosses processes."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raises an exception of the original class whose message holds the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            # Exceptions that take their message as a keyword argument.
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # Exception classes whose constructor needs other arguments.
            raise RuntimeError(msg) from None
        raise exception
