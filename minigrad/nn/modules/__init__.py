from .module import Module  # noqa: F401
from .container import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
