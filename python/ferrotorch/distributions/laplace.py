"""torch.distributions.laplace: the Laplace distribution under PyTorch's module path, so
`from torch.distributions.laplace import Laplace` works; the class lives in a shared file."""
from .univariate import Laplace

__all__ = ["Laplace"]
