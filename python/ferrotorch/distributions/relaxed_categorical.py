"""torch.distributions.relaxed_categorical: the relaxed (Concrete) categorical distributions under PyTorch's module
path, so `from torch.distributions.relaxed_categorical import ExpRelaxedCategorical` works; the class lives in a
shared file."""
from .relaxed import ExpRelaxedCategorical, RelaxedOneHotCategorical

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]
