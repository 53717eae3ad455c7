"""ferrotorch.utils.benchmark: PyTorch's Timer / Measurement / Compare, GPU-synchronized wall time."""
from ._measurement import Measurement, TaskSpec, select_unit
from .compare import Compare
from .timer import Timer, timer

__all__ = ["Timer", "timer", "Measurement", "TaskSpec", "Compare", "select_unit"]
