"""repr(tensor), following torch/_tensor_str.py on NumPy arrays, with its print options
(set_printoptions; the defaults described here): one width for every element, 4 decimals, scientific notation when the magnitudes span more
than 1000x (or pass 1e8 or fall under 1e-4), integer-valued floats as `1.`; long tensors are
summarized to their first and last 3 items per dim."""
import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrinterOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """torch.set_printoptions: a profile ("default", "short", "full"; any other is ignored, as in
    torch) first, then the options given; sci_mode is always set (None: chosen per tensor)."""
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current options as a dict that set_printoptions(**options) takes back."""
    return dataclasses.asdict(PRINT_OPTS)


class _Formatter:
    def __init__(self, arr):
        self.floating = arr.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        if not self.floating:
            self.max_width = max([len(str(v)) for v in arr.reshape(-1).tolist()] or [1])
            return
        vals = arr[np.isfinite(arr) & (arr != 0)].astype(np.float64)
        if vals.size == 0:
            return
        absvals = np.abs(vals)
        lo, hi = absvals.min(), absvals.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = (bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if PRINT_OPTS.sci_mode is None
                         else PRINT_OPTS.sci_mode)
        if self.sci_mode:
            widths = [len(f"{v:.{PRINT_OPTS.precision}e}") for v in vals.tolist()]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in vals.tolist()]
        else:
            widths = [len(f"{v:.{PRINT_OPTS.precision}f}") for v in vals.tolist()]
        self.max_width = max(widths)

    def format(self, value):
        if not self.floating:
            ret = str(value)
        elif self.sci_mode:
            ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            ret = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            ret = f"{value:.{PRINT_OPTS.precision}f}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(arr):
    """The elements that will be shown (the formatter's width depends on those only)."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * PRINT_OPTS.edgeitems:
        arr = np.concatenate([arr[:PRINT_OPTS.edgeitems], arr[-PRINT_OPTS.edgeitems:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarized(a) for a in arr])


def _vector(arr, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    if summarize and arr.shape[0] > 2 * PRINT_OPTS.edgeitems:
        data = ([fmt.format(v) for v in arr[:PRINT_OPTS.edgeitems].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-PRINT_OPTS.edgeitems:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * PRINT_OPTS.edgeitems:
        rows = ([_body(arr[i], indent + 1, summarize, fmt) for i in range(PRINT_OPTS.edgeitems)] + ["..."]
                + [_body(arr[i], indent + 1, summarize, fmt) for i in range(n - PRINT_OPTS.edgeitems, n)])
    else:
        rows = [_body(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(arr, indent):
    """The bracketed values of `arr`, as torch prints them after `tensor(`."""
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    return _body(arr, indent, summarize, _Formatter(_summarized(arr) if summarize else arr))


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t, default_dtype):
    from ._dtype import bool as bool_, int64
    prefix = "tensor("
    indent = len(prefix)
    arr, dtype = t._data, t.dtype
    suffixes = []
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype != default_dtype:   # an empty tensor shows no values to tell int64 from float
            suffixes.append(f"dtype={dtype}")
    elif dtype not in (default_dtype, int64, bool_):
        suffixes.append(f"dtype={dtype}")
    if t._ctx is not None:
        suffixes.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + array_str(arr, indent), suffixes, indent)
