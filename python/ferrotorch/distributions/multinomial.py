"""torch.distributions.multinomial: the Multinomial distribution under PyTorch's module path, so
`from torch.distributions.multinomial import Multinomial` works; the class lives in a shared file."""
from .discrete_more import Multinomial

__all__ = ["Multinomial"]
