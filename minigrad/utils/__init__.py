"""torch.utils's counterpart: `minigrad.utils.data` (datasets, samplers, DataLoader)."""
from . import data, hooks

__all__ = ["data", "hooks"]
