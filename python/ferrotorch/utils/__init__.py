"""ferrotorch.utils: hooks and (with `utils.data`) data loading."""
from . import hooks  # noqa: F401
