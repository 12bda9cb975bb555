"""Build minigrad's kernels: every _ext/<name>.pyx becomes the module minigrad._C.<name>.

OpenMP is probed, not assumed: a tiny `#pragma omp parallel` program is compiled and linked
with -fopenmp. If that fails (or MINIGRAD_NO_OPENMP=1), the kernels build serially with one
warning, and minigrad.config() says so. The build never fails for lack of OpenMP.

No -march=native: the wheel must run on any x86-64. Kernels that want AVX2/AVX-512 carry
`target` attributes and are picked at run time (see _ext/*.h).
MINIGRAD_BUILD_ONLY=pool,act limits a development rebuild to those modules.
MINIGRAD_SANITIZE=address builds with AddressSanitizer and UBSan (-O1 -g, frame pointers kept) for
.ci/sanitize; such a build runs only with libasan preloaded into Python (see README, Tests).
"""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
OPENMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n > 0);
    return 0;
}
"""


def openmp_works(flag="-fopenmp"):
    """Compile, link and run a tiny OpenMP program with the compiler Python was built with."""
    if os.environ.get("MINIGRAD_NO_OPENMP") == "1":
        return False
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        subprocess.run(cc + [flag, src, "-o", exe], check=True, capture_output=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        return out.strip() == "1"
    except (OSError, subprocess.CalledProcessError):
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


HAVE_OPENMP = openmp_works()
if not HAVE_OPENMP:
    warnings.warn("minigrad: the C compiler has no working OpenMP; kernels are built single-threaded "
                  "(minigrad.config()['openmp'] will be False).")

compile_args = ["-O3", "-fno-math-errno", "-Wno-unused-function", "-Wno-unreachable-code"]
link_args = []
sanitize = os.environ.get("MINIGRAD_SANITIZE", "")
if sanitize == "address":
    # -O1 keeps stack traces truthful; later flags win, so -O3 above is overridden
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
    compile_args += san
    link_args += san
elif sanitize:
    sys.exit(f"MINIGRAD_SANITIZE={sanitize!r}: only 'address' (ASan + UBSan) is supported")
if HAVE_OPENMP:
    compile_args.append("-fopenmp")
    link_args.append("-fopenmp")

only = [s for s in os.environ.get("MINIGRAD_BUILD_ONLY", "").split(",") if s]
sources = sorted(glob.glob(os.path.join("_ext", "*.pyx")))
extensions = [
    Extension(
        f"minigrad._C.{os.path.splitext(os.path.basename(src))[0]}",
        [src],
        include_dirs=[np.get_include(), "_ext"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("MINIGRAD_OPENMP", "1" if HAVE_OPENMP else "0")],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        # headers, .pxd and .pxi files are shared: a change to any of them rebuilds every module
        depends=sorted(glob.glob(os.path.join("_ext", "*.h")) + glob.glob(os.path.join("_ext", "*.pxd"))
                       + glob.glob(os.path.join("_ext", "*.pxi"))),
    )
    for src in sources
    if not only or os.path.splitext(os.path.basename(src))[0] in only
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["_ext"],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "nonecheck": False,
        },
    ),
)
