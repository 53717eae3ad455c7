"""torch.distributions.fishersnedecor: the Fisher-Snedecor (F) distribution under PyTorch's module path, so
`from torch.distributions.fishersnedecor import FisherSnedecor` works; the class lives in a shared file."""
from .univariate_extra import FisherSnedecor

__all__ = ["FisherSnedecor"]
