"""torch.distributions.beta: the Beta distribution under PyTorch's module path, so
`from torch.distributions.beta import Beta` works; the class lives in a shared file."""
from .gamma_family import Beta

__all__ = ["Beta"]
