"""torch.distributions.uniform: the continuous Uniform distribution under PyTorch's module path, so
`from torch.distributions.uniform import Uniform` works; the class lives in a shared file."""
from .univariate import Uniform

__all__ = ["Uniform"]
