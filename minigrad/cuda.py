"""minigrad.cuda: present so `minigrad.cuda.is_available()` answers; minigrad has no GPU backend."""


def is_available():
    return False


def device_count():
    return 0


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """Nothing to seed without a GPU (torch's manual_seed seeds the CPU already)."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """CPU ops finish before they return: nothing to wait for."""


def empty_cache():
    pass


def current_device():
    raise RuntimeError("minigrad runs on the CPU only: there is no CUDA device")
