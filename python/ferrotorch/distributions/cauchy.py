"""torch.distributions.cauchy: the Cauchy distribution under PyTorch's module path, so
`from torch.distributions.cauchy import Cauchy` works; the class lives in a shared file."""
from .univariate import Cauchy

__all__ = ["Cauchy"]
