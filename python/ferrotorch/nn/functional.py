"""`nn.functional`: PyTorch's functional API. Each family lives in `nn/_functional/<family>.py`."""
from ._functional.activation import *  # noqa: F401,F403
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.linear import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.sampling import *  # noqa: F401,F403
