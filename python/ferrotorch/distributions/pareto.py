"""torch.distributions.pareto: the Pareto distribution under PyTorch's module path, so
`from torch.distributions.pareto import Pareto` works; the class lives in a shared file."""
from .transformed_more import Pareto

__all__ = ["Pareto"]
