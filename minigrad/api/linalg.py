"""Products (mm bmm matmul dot mv t outer einsum)."""
from .. import ops  # noqa: F401
from ._bind import op  # noqa: F401
