"""minigrad.config(): what this build is and what it runs."""
import platform
import sysconfig

import numpy as np

from . import _parallel, memory
from ._C import act as _cact
from ._C import gemm as _cgemm
from ._C import parallel as _cparallel
from ._C import pool as _cpool


def config():
    """A dict describing the build: compiler, OpenMP, CPU features, kernels chosen, threads."""
    info = {
        "version": "0.1.0",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "compiler": (sysconfig.get_config_var("CC") or "cc").split()[0],
        "openmp": _parallel.OPENMP,
        "num_threads": _parallel.get_num_threads(),
        "cpu": _cparallel.cpu_features(),
        "kernels": {
            "gemm": _cgemm.get_isa(),   # matmul/Linear/Conv2d micro-kernels: "avx2" or "baseline"
            "pool": _cpool.isa(),   # fast paths: "avx2" or "baseline"
            "act": _cact.get_isa(),   # activations: "avx2" or "baseline" (MINIGRAD_ACT_ISA)
        },
        # the caching allocator for large NumPy buffers (minigrad.memory_stats() has every counter)
        "allocator": {k: v for k, v in memory.memory_stats().items()
                      if k in ("enabled", "installed", "cached_bytes", "hits", "misses", "evictions")},
    }
    if not info["openmp"]:
        info["warning"] = "built without OpenMP: every kernel runs on one thread"
    return info
