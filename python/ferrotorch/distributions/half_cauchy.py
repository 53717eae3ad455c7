"""torch.distributions.half_cauchy: the half-Cauchy distribution under PyTorch's module path, so
`from torch.distributions.half_cauchy import HalfCauchy` works; the class lives in a shared file."""
from .transformed_more import HalfCauchy

__all__ = ["HalfCauchy"]
