"""torch.distributions.half_normal: the half-normal distribution under PyTorch's module path, so
`from torch.distributions.half_normal import HalfNormal` works; the class lives in a shared file."""
from .transformed_more import HalfNormal

__all__ = ["HalfNormal"]
