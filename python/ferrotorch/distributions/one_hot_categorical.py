"""torch.distributions.one_hot_categorical: the one-hot categorical distributions under PyTorch's module path, so
`from torch.distributions.one_hot_categorical import OneHotCategorical` works; the class lives in a shared file."""
from .discrete import OneHotCategorical
from .discrete_more import OneHotCategoricalStraightThrough

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
