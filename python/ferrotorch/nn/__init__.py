"""`ferrotorch.nn`: modules, parameters, `functional` and `init`, following `torch.nn`."""
from .parameter import Parameter  # noqa: F401
from .parameter import Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401,E402
from .parallel import DataParallel  # noqa: F401,E402
from .modules.lazy_extra import UninitializedBuffer  # noqa: F401,E402
