"""torch.distributions.poisson: the Poisson distribution under PyTorch's module path, so
`from torch.distributions.poisson import Poisson` works; the class lives in a shared file."""
from .discrete import Poisson

__all__ = ["Poisson"]
