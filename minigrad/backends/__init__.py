"""minigrad.backends: the flags and queries PyTorch scripts touch; none of these backends exist here."""
from . import cudnn, mps  # noqa: F401
