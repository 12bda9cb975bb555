"""minigrad.nn.functional: torch's names, arguments and defaults. Each function validates and
normalises its arguments, then calls one ops Function (which calls one minigrad._C kernel).
One file per family; this module only gathers them."""
from ._loss import *  # noqa: F401,F403
from ._regularization import *  # noqa: F401,F403
from ._activation import *  # noqa: F401,F403
from ._pooling import *  # noqa: F401,F403
from ._linear import *  # noqa: F401,F403
from ._activation_np import *  # noqa: F401,F403
from ._loss_np import *  # noqa: F401,F403
from ._normalization import *  # noqa: F401,F403
from ._pooling_np import *  # noqa: F401,F403
from ._pad import *  # noqa: F401,F403
from ._conv import *  # noqa: F401,F403
