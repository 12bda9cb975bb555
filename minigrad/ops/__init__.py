"""Differentiable ops: one ArrayFunction class per op, forward and backward side by side.
Everything inside works on NumPy arrays; ArrayFunction.apply wraps Tensors around them."""
from .elementwise import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .pointwise_math import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
