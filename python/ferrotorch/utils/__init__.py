"""ferrotorch.utils: hooks and (with `utils.data`) data loading."""
from . import hooks  # noqa: F401
from . import data  # noqa: F401
from . import checkpoint  # noqa: F401
