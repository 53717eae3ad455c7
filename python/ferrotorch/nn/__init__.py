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
import importlib as _importlib  # noqa: E402
# `from .modules import *` copied the submodule nn.modules.attention in as `attention`; torch.nn.attention
# is the SDPA-backend package, so bind that name to it.
attention = _importlib.import_module(".attention", __name__)
from .modules.legacy import CrossMapLRN2d, NLLLoss2d, Container  # noqa: F401,E402
