"""torch.distributions.bernoulli: the Bernoulli distribution under PyTorch's module path, so
`from torch.distributions.bernoulli import Bernoulli` works; the class lives in a shared file."""
from .discrete import Bernoulli

__all__ = ["Bernoulli"]
