"""torch.distributions.exponential: the Exponential distribution under PyTorch's module path, so
`from torch.distributions.exponential import Exponential` works; the class lives in a shared file."""
from .univariate import Exponential

__all__ = ["Exponential"]
