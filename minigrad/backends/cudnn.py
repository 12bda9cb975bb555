"""Scripts set `benchmark`/`deterministic`; minigrad reads neither (its CPU kernels are deterministic)."""
enabled = False
benchmark = False
deterministic = False


def is_available():
    return False


def version():
    return None
