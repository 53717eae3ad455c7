"""torch.distributions.normal: the Normal (Gaussian) distribution under PyTorch's module path, so
`from torch.distributions.normal import Normal` works; the class lives in a shared file."""
from .univariate import Normal

__all__ = ["Normal"]
