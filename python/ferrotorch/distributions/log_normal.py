"""torch.distributions.log_normal: the log-normal distribution under PyTorch's module path, so
`from torch.distributions.log_normal import LogNormal` works; the class lives in a shared file."""
from .transformed_distribution import LogNormal

__all__ = ["LogNormal"]
