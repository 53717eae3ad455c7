"""torch.distributions.generalized_pareto: the generalized Pareto distribution under PyTorch's module path, so
`from torch.distributions.generalized_pareto import GeneralizedPareto` works; the class lives in a shared file."""
from .univariate_extra import GeneralizedPareto

__all__ = ["GeneralizedPareto"]
