"""torch.distributions.gumbel: the Gumbel distribution under PyTorch's module path, so
`from torch.distributions.gumbel import Gumbel` works; the class lives in a shared file."""
from .univariate import Gumbel

__all__ = ["Gumbel"]
