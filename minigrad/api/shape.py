"""Shape and indexing ops (view reshape permute cat split gather sort ...)."""
from .. import ops  # noqa: F401
from ._bind import op  # noqa: F401
