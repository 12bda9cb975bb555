"""Reductions (sum mean prod std var norm max min ... cumsum): dim/keepdim as PyTorch."""
from .. import ops  # noqa: F401
from ._bind import op  # noqa: F401
