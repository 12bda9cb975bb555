"""Random generators: `default_generator` behind every random op (rand, randn, init, dropout,
RReLU, DataLoader shuffling), and `Generator` objects for reproducible private streams.

`manual_seed(s)` resets the default one. A Generator holds two views of one state:
- its NumPy Generator (PCG64) for whole-array draws made in Python (`numpy_rng()`);
- a counter-based stream for kernels (`next_offset(n)`), which derive element i's number from
  (seed, offset + i) alone, so results never depend on how many threads split the work.
Per process, as in PyTorch (the default generator is module-level state).
"""
import os

import numpy as np

_DEFAULT_SEED = 0x6D696E69  # "mini"
_MASK64 = 0xFFFFFFFFFFFFFFFF
# get_state's byte layout: seed, offset, PCG64 state and increment (128 bits each), has_uint32, uinteger
_STATE_BYTES = 8 + 8 + 16 + 16 + 1 + 4


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expected an int, but got seed of type {type(seed).__name__}")
    return int(seed) & _MASK64   # torch also accepts negative seeds, reduced modulo 2**64


class Generator:
    """torch.Generator on the CPU: `Generator().manual_seed(0)` gives a stream of its own, for
    `minigrad.randperm(..., generator=g)`, `DataLoader(..., generator=g)` and `random_split`."""
    __slots__ = ("_seed", "_offset", "_rng", "device")

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise RuntimeError(f"minigrad has only the CPU device, got device={device!r}")
        self.device = "cpu"
        self._reset(_DEFAULT_SEED)

    def _reset(self, seed):
        self._seed = seed
        self._offset = 0
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def manual_seed(self, seed):
        self._reset(_check_seed(seed))
        return self

    def seed(self):
        """Reseed from the OS's entropy; returns the new seed."""
        self._reset(int.from_bytes(os.urandom(8), "little") >> 1)
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The whole state as a uint8 Tensor (torch returns a ByteTensor too)."""
        from .tensor import Tensor
        st = self._rng.bit_generator.state
        raw = (self._seed.to_bytes(8, "little") + self._offset.to_bytes(8, "little")
               + st["state"]["state"].to_bytes(16, "little") + st["state"]["inc"].to_bytes(16, "little")
               + bytes([st["has_uint32"]]) + int(st["uinteger"]).to_bytes(4, "little"))
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        raw = np.asarray(getattr(new_state, "_data", new_state))
        if raw.dtype != np.uint8 or raw.shape != (_STATE_BYTES,):
            raise RuntimeError(f"RNG state must be a uint8 tensor of {_STATE_BYTES} bytes (from get_state()), "
                               f"got dtype {raw.dtype} and shape {tuple(raw.shape)}")
        b = raw.tobytes()
        self._reset(int.from_bytes(b[0:8], "little"))
        self._offset = int.from_bytes(b[8:16], "little")
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(b[16:32], "little"), "inc": int.from_bytes(b[32:48], "little")},
            "has_uint32": b[48], "uinteger": int.from_bytes(b[49:53], "little")}
        return self

    def __repr__(self):
        return f"<minigrad.Generator object at {id(self):#x}>"


default_generator = Generator()


def manual_seed(seed):
    """Seed every random op in minigrad; returns the default generator, as torch.manual_seed does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def numpy_rng(generator=None):
    """The NumPy Generator of `generator` (a minigrad.Generator), or of the default one."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a minigrad.Generator, not {type(generator).__name__}")
    return generator._rng


def next_offset(n, generator=None):
    """Reserve `n` numbers of the kernels' counter-based stream; returns (seed, first_offset)."""
    g = default_generator if generator is None else generator
    first = g._offset
    g._offset += int(n)
    return g._seed, first
