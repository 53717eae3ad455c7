"""ferrotorch.utils: hooks, data loading (`utils.data`), checkpointing and DLPack exchange."""
from . import hooks  # noqa: F401
from . import data  # noqa: F401
from . import checkpoint  # noqa: F401
from . import dlpack  # noqa: F401
