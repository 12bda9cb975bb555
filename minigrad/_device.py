"""minigrad.device: minigrad runs on the CPU only, so "cpu" is the one device there is.

Asking for any other device type fails at once (not later, at the first op), with a message
that says why: code written as `device = "cuda" if minigrad.cuda.is_available() else "cpu"`
then runs unchanged.
"""
import builtins

_KNOWN = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "ipu", "hpu", "vulkan", "privateuseone")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type=None, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            type, index = "cuda", type   # torch.device(0) is the first accelerator
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = builtins.int(idx)
        if name not in _KNOWN:
            raise RuntimeError(f"Expected one of cpu, cuda, mps, ... device type at start of device string: {type}")
        if name != "cpu":
            raise RuntimeError(f"minigrad runs on the CPU only; device '{type}' is not available "
                               f"(minigrad.cuda.is_available() is False)")
        if index is not None and index != 0:
            raise RuntimeError(f"minigrad has one CPU device, cpu:0; got index {index}")
        self.type = name
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):   # as torch.device: never equal to a string (compare `.type` with one)
        if isinstance(other, device):
            return self.type == other.type and self.index == other.index
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d):
    """A `device=` argument (None, "cpu", "cpu:0", device, 0 ...) checked: the CPU or an error."""
    return CPU if d is None else (d if isinstance(d, device) else device(d))


def set_default_device(device):
    """Only "cpu" (or None) is accepted: it is already the default."""
    as_device(device)


def get_default_device():
    return CPU
