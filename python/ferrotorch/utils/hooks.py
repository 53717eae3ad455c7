"""Handles for hooks stored in Python dicts (Module hooks)."""
import itertools

_next_id = itertools.count()


class RemovableHandle:
    """Returned by `Module.register_forward_hook` and friends; `remove()` unregisters the hook.

    Holds the hook dicts it was added to, so removing it after the module changed is harmless.
    """

    def __init__(self, *hook_dicts):
        self.id = next(_next_id)
        self._dicts = hook_dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
