"""minigrad: NumPy tensors, a readable autograd engine, and Cython/OpenMP kernels."""
import os as _os

# Two thread pools spinning on two cores fight (../KERNELS.md): bound GOMP's and OpenBLAS's
# spin-wait before either runtime loads, unless the user chose otherwise.
_os.environ.setdefault("GOMP_SPINCOUNT", "20000")
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from . import accelerator, autograd, backends, cuda, random  # noqa: E402,F401
from ._device import device, get_default_device, set_default_device  # noqa: E402
from ._dtype import *  # noqa: E402,F401,F403  (dtype, float32, ..., get/set_default_dtype)
from ._size import Size  # noqa: E402
from ._config import config  # noqa: E402
from . import memory  # noqa: E402  (installs the caching allocator unless MINIGRAD_CACHING_ALLOCATOR=0)
from .memory import empty_cache, memory_stats  # noqa: E402
from ._parallel import get_num_threads, set_num_threads  # noqa: E402
from ._deterministic import (are_deterministic_algorithms_enabled,  # noqa: E402
                             is_deterministic_algorithms_warn_only_enabled, use_deterministic_algorithms)
from ._tensor_str import get_printoptions, set_printoptions  # noqa: E402
from .autograd import (enable_grad, gradcheck, inference_mode, is_grad_enabled,  # noqa: E402
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled  # noqa: E402
from .creation import *  # noqa: E402,F401,F403
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: E402
                     seed, set_rng_state)
from .tensor import Tensor  # noqa: E402
from .api import FUNCTIONS as _FUNCTIONS  # noqa: E402

globals().update(_FUNCTIONS)   # minigrad.exp, minigrad.sum, ...: PyTorch's names, builtins shadowed as in torch
from . import data, nn, onnx, optim, profiler, utils  # noqa: E402,F401
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"
