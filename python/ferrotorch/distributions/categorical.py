"""torch.distributions.categorical: the Categorical distribution under PyTorch's module path, so
`from torch.distributions.categorical import Categorical` works; the class lives in a shared file."""
from .discrete import Categorical

__all__ = ["Categorical"]
