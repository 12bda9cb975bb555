"""Parameter: a Tensor that a Module registers as learnable (requires_grad by default)."""
import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        arr = np.empty(0, np.float32) if data is None else (data._data if isinstance(data, Tensor) else data)
        arr = np.asarray(arr)
        if not arr.flags.c_contiguous:   # optimizers update parameters through flat views
            arr = np.ascontiguousarray(arr)
        if arr.dtype.kind != "f":
            raise TypeError(f"Parameter: only floating point data can be a parameter, got {arr.dtype}")
        # Shares the array, as torch.nn.Parameter(t) shares t's storage.
        self._init(arr, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
