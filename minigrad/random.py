"""The one random generator behind every random op (rand, randn, init, dropout, RReLU).

`manual_seed(s)` resets it. Two views of the same state:
- `numpy_rng()`: a NumPy Generator (PCG64) for whole-array draws made in Python;
- `next_offset(n)`: reserves n numbers of a counter-based stream for kernels, which derive
  element i's number from (seed, offset + i) alone, so results never depend on how many
  threads split the work.
"""
import numpy as np

_DEFAULT_SEED = 0x6D696E69  # "mini"


class _Generator:
    __slots__ = ("seed", "offset", "rng")

    def __init__(self, seed):
        self.reset(seed)

    def reset(self, seed):
        self.seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self.offset = 0
        self.rng = np.random.Generator(np.random.PCG64(self.seed))


_gen = _Generator(_DEFAULT_SEED)


def manual_seed(seed):
    """Seed every random op in minigrad. Returns the seed, like torch.manual_seed returns its generator."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _gen.reset(seed)
    return int(seed)


def initial_seed():
    return _gen.seed


def numpy_rng():
    """The shared NumPy Generator."""
    return _gen.rng


def next_offset(n):
    """Reserve `n` numbers of the kernels' counter-based stream; returns (seed, first_offset)."""
    first = _gen.offset
    _gen.offset += int(n)
    return _gen.seed, first
