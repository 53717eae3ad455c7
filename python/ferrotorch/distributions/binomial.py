"""torch.distributions.binomial: the Binomial distribution under PyTorch's module path, so
`from torch.distributions.binomial import Binomial` works; the class lives in a shared file."""
from .discrete import Binomial

__all__ = ["Binomial"]
