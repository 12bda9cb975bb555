"""Comparisons and tests of values (eq lt isnan allclose ...): plain bool results, never part of a graph."""
from .. import ops  # noqa: F401
from ._bind import op  # noqa: F401
