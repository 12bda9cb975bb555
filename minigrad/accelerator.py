"""minigrad.accelerator: torch's device-agnostic query; minigrad has no accelerator."""


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    return None
