"""The functions and Tensor methods a PyTorch user calls, each defined once (see _bind.py).

pointwise.py   arithmetic and math, element by element
Each module defines its ops with `@op`; importing it binds them onto Tensor and into FUNCTIONS.
"""
from . import pointwise  # noqa: F401
from ._bind import FUNCTIONS, apply_inplace  # noqa: F401
