"""The functions and Tensor methods a PyTorch user calls, each defined once (see _bind.py).

pointwise.py    arithmetic and math, element by element
comparison.py   comparisons and value tests (bool results, no graph)
reduction.py    sum, mean, max, ... over dims
linalg.py       matrix products
shape.py        views, reshapes, joins, splits
indexing.py     gather, scatter, index_select, sorting, flip, roll, tril/triu
misc.py         unbind nonzero unique bincount diag trace tensordot meshgrid nan_to_num sampling ...
Each module defines its ops with `@op`; importing it binds them onto Tensor and into FUNCTIONS.
"""
from . import comparison, indexing, linalg, misc, pointwise, reduction, shape  # noqa: F401
from ._bind import FUNCTIONS, apply_inplace  # noqa: F401
