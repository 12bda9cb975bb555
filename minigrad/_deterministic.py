"""torch.use_deterministic_algorithms. minigrad's kernels are deterministic already: each thread
owns a fixed slice of the output and reductions combine partial results in a fixed order, so
results never depend on the thread count or timing (README, "Threads and kernels"), and
scatter-style ops with duplicate indices are serial. So the flag is recorded and reported and
changes nothing else: there is no nondeterministic kernel to refuse or warn about."""

_mode = False
_warn_only = False


def use_deterministic_algorithms(mode, *, warn_only=False):
    global _mode, _warn_only
    for name, value, pos in (("mode", mode, " (position 1)"), ("warn_only", warn_only, "")):
        if not isinstance(value, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{pos} must be bool, "
                            f"not {type(value).__name__}")
    _mode, _warn_only = mode, warn_only


def are_deterministic_algorithms_enabled():
    return _mode


def is_deterministic_algorithms_warn_only_enabled():
    return _warn_only
