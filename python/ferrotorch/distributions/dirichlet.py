"""torch.distributions.dirichlet: the Dirichlet distribution under PyTorch's module path, so
`from torch.distributions.dirichlet import Dirichlet` works; the class lives in a shared file."""
from .gamma_family import Dirichlet

__all__ = ["Dirichlet"]
