"""`nn.functional`: PyTorch's functional API. Each family lives in `nn/_functional/<family>.py`."""
from ._functional.activation import *  # noqa: F401,F403
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.linear import *  # noqa: F401,F403
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.loss_nll import *  # noqa: F401,F403
from ._functional.loss_multi import *  # noqa: F401,F403
from ._functional.sparse import *  # noqa: F401,F403
from ._functional.distance import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.sampling import *  # noqa: F401,F403
