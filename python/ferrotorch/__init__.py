"""ferrotorch: PyTorch's programming model on a Rust core.

    >>> import ferrotorch as torch
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> (x @ x.T).sum().item()
    54.0
"""
from . import _C
from ._C import Tensor, dtype, device, from_numpy, tensor
from ._C import promote_types, result_type, can_cast, set_default_dtype, get_default_dtype
from ._C import (
    bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
)
from ._size import Size

# PyTorch's dtype aliases.
half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

_C._set_size_type(Size)

from .version import __version__  # noqa: E402

from ._elementwise import *  # noqa: E402,F401,F403
from ._reduce import *  # noqa: E402,F401,F403
from ._indexing import *  # noqa: E402,F401,F403
from ._shape import *  # noqa: E402,F401,F403
from ._creation import *  # noqa: E402,F401,F403
from ._view_functions import *  # noqa: E402,F401,F403
from ._shape_functions import *  # noqa: E402,F401,F403
from ._math_composites import *  # noqa: E402,F401,F403
from ._math_statistics import *  # noqa: E402,F401,F403
from ._dtype_info import finfo, iinfo  # noqa: E402,F401
from ._tensor_methods import *  # noqa: E402,F401,F403
from ._linalg_solvers import *  # noqa: E402,F401,F403
from ._linalg_factorizations import *  # noqa: E402,F401,F403
from . import linalg, return_types  # noqa: E402,F401
from . import nn, utils, cuda, optim  # noqa: E402,F401
from . import cuda as gpu  # noqa: E402,F401
from ._C import OutOfMemoryError  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from ._typename import typename  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: E402,F401
                                 is_grad_enabled, is_inference_mode_enabled)
from ._constants import e, inf, nan, pi, is_complex, is_nonzero  # noqa: E402,F401
from ._complex import *  # noqa: E402,F401,F403
from ._tensor_str import set_printoptions  # noqa: E402,F401
from . import _tensor_str  # noqa: E402,F401
from ._memory_format import (memory_format, preserve_format, contiguous_format,  # noqa: E402,F401
                             channels_last, channels_last_3d, layout, strided)
from ._gamma_functions import lgamma, digamma, polygamma, mvlgamma  # noqa: E402,F401
from ._bessel_functions import i0  # noqa: E402,F401
from . import special, testing, backends  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401
from ._legacy_types import (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor,  # noqa: E402,F401
                            LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor)
from ._linalg_spectral import *  # noqa: E402,F401,F403
from ._linalg_matrix_functions import *  # noqa: E402,F401,F403
from ._linalg_extras import *  # noqa: E402,F401,F403
from ._random_draws import *  # noqa: E402,F401,F403
from ._misc_functions import *  # noqa: E402,F401,F403
from ._windows import *  # noqa: E402,F401,F403
from . import distributions, amp, func  # noqa: E402,F401
from .amp.autocast_mode import (autocast, is_autocast_enabled, get_autocast_dtype, set_autocast_enabled,  # noqa: E402,F401
                                set_autocast_dtype, is_autocast_cache_enabled, set_autocast_cache_enabled,
                                clear_autocast_cache, get_autocast_gpu_dtype, get_autocast_cpu_dtype,
                                is_autocast_cpu_enabled)
from .func import vmap  # noqa: E402,F401
from . import jit, multiprocessing  # noqa: E402,F401
from . import _inplace_extras  # noqa: E402,F401
from ._tensor_extras import (adjoint, conj, conj_physical, resolve_conj, resolve_neg, is_conj,  # noqa: E402,F401
                             is_neg, is_same_size)
from ._special_incomplete import igamma, igammac  # noqa: E402,F401
from . import random, version  # noqa: E402,F401
from . import masked  # noqa: E402,F401
from ._C import set_num_threads, get_num_threads  # noqa: E402,F401
from ._matmul_precision import set_float32_matmul_precision, get_float32_matmul_precision  # noqa: E402,F401
from ._runtime_flags import *  # noqa: E402,F401,F403
from . import cpu, accelerator  # noqa: E402,F401
from ._aten_nn_functions import *  # noqa: E402,F401,F403
from ._rnn_functions import *  # noqa: E402,F401,F403
from . import hub  # noqa: E402,F401
from . import types  # noqa: E402,F401
from .utils import model_zoo as _utils_model_zoo  # noqa: E402,F401  (makes torch.utils.model_zoo resolve)
from . import profiler  # noqa: E402,F401
from ._tensor_members_composed import *  # noqa: E402,F401,F403
from ._aten_legacy_functions import *  # noqa: E402,F401,F403
from ._control_flow import *  # noqa: E402,F401,F403
from . import storage  # noqa: E402,F401
from .storage import (UntypedStorage, TypedStorage, FloatStorage, DoubleStorage, HalfStorage,  # noqa: E402,F401
                      BFloat16Storage, LongStorage, IntStorage, ShortStorage, CharStorage, ByteStorage,
                      BoolStorage, is_storage)
from .storage import ComplexFloatStorage, ComplexDoubleStorage  # noqa: E402,F401
from . import fft  # noqa: E402,F401
from ._spectral import stft, istft  # noqa: E402,F401
from ._build_queries import *  # noqa: E402,F401,F403
from . import distributed  # noqa: E402,F401
