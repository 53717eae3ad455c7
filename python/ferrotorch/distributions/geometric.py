"""torch.distributions.geometric: the Geometric distribution under PyTorch's module path, so
`from torch.distributions.geometric import Geometric` works; the class lives in a shared file."""
from .discrete import Geometric

__all__ = ["Geometric"]
