"""Compiled kernels (built from _ext/*.pyx). Import errors here mean the extension was not built."""
try:
    from . import elementwise, parallel  # noqa: F401
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "minigrad's compiled kernels are missing or stale. Rebuild them with "
        "`pip install -e .` (or `python setup.py build_ext --inplace`) from the source tree."
    ) from exc
