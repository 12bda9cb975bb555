"""Neural-network layers (minigrad.nn) and their functional forms (minigrad.nn.functional)."""
from . import functional  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401
from . import init  # noqa: F401,E402
from . import utils  # noqa: F401,E402
