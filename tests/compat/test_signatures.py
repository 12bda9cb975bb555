"""Every name minigrad shares with torch has torch's Python-level signature: the same parameter
names in the same positional order, and the same defaults.

Torch's C++-bound functions have no inspectable signature, so theirs is read from the first
line of the docstring (and its `.. function::` overloads), e.g. `sum(input, dim, keepdim=False,
*, dtype=None) -> Tensor`. minigrad may leave out parameters it does not support (`out=`,
`layout=`, `pin_memory=`, ...) when they are keyword-only or come after all of its own.
"""
import inspect
import re

import pytest

import minigrad
import minigrad.nn
import minigrad.nn.functional
import minigrad.optim

torch = pytest.importorskip("torch", reason="torch not installed: signatures cannot be compared")
import torch.nn.functional  # noqa: E402
import torch.nn.utils  # noqa: E402
import torch.optim.lr_scheduler  # noqa: E402
import torch.utils.data  # noqa: E402

REQUIRED = object()
# Parameters minigrad leaves out on purpose: deprecated ones (size_average, reduce), memory
# layout and placement it has one answer for, pickle plumbing it does not use (no pickle).
UNSUPPORTED = {"out", "layout", "pin_memory", "memory_format", "size_average", "reduce", "pickle_module",
               "pickle_protocol", "_use_new_zipfile_serialization", "_disable_byteorder_record", "mmap",
               "pickle_load_args"}
_OVERLOAD = re.compile(r"^\s*(?:\.\. function:: )?(\w+)\((.*)\)\s*(?:->.*)?$")


def _split_args(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _literal(text):
    text = text.strip()
    try:
        return eval(text, {"inf": float("inf"), "True": True, "False": False, "None": None})  # noqa: S307
    except Exception:
        return text   # a non-literal default (torch.strided, ...): compared as text


def _from_doc(name, doc):
    """Overloads from a docstring: lists of (name, kind, default)."""
    overloads = []
    for line in (doc or "").splitlines()[:80]:
        m = _OVERLOAD.match(line)
        if not m or m.group(1) != name:
            continue
        params, kw_only = [], False
        for arg in _split_args(m.group(2)):
            if arg == "*":
                kw_only = True
                continue
            if arg.startswith("**"):
                continue
            if arg.startswith("*"):
                params.append((arg.lstrip("*").split(":")[0].strip(), "varargs", REQUIRED))
                kw_only = True
                continue
            pname, _, default = arg.partition("=")
            pname = pname.split(":")[0].split("(")[0].strip()
            params.append((pname, "kwonly" if kw_only else "pos", _literal(default) if default else REQUIRED))
        overloads.append(params)
    return overloads


def _from_signature(sig, drop_first=False):
    params = []
    for p in list(sig.parameters.values())[1 if drop_first else 0:]:
        if p.kind is p.VAR_KEYWORD:
            continue
        kind = {p.VAR_POSITIONAL: "varargs", p.KEYWORD_ONLY: "kwonly"}.get(p.kind, "pos")
        params.append((p.name, kind, REQUIRED if p.default is p.empty else p.default))
    return params


def _torch_overloads(obj, name, is_method=False):
    if isinstance(obj, _Either):
        return [o for src in obj.sources for o in _torch_overloads(src, name, is_method)]
    try:
        overloads = [_from_signature(inspect.signature(obj), drop_first=is_method)]
    except (TypeError, ValueError):
        overloads = []
    if all([n for n, _, _ in o] == ["args"] for o in overloads):
        overloads = _from_doc(name, obj.__doc__)
        if isinstance(obj, _WithoutInput):
            overloads = [o[1:] for o in overloads]
    # `(*args, **kwargs)` says nothing about the real parameters
    return [o for o in overloads if [n for n, _, _ in o] != ["args"]]


def _positions_agree(mine, theirs):
    """None when every position both take positionally has the same name in both, else why not.
    (minigrad may take more positionally, or fewer: a torch call by position or by name works.)"""
    their_pos = [n for n, k, _ in theirs if k == "pos" and n not in UNSUPPORTED]
    my_pos = [n for n, k, _ in mine if k == "pos" and n not in UNSUPPORTED]
    common = min(len(my_pos), len(their_pos))
    if my_pos[:common] != their_pos[:common]:
        return f"positional parameters {my_pos} vs torch's {their_pos}"
    return None


# Where torch's docstring is not what torch accepts (checked by calling torch 2.13): the
# parameters torch takes beyond its documented signature.
UNDOCUMENTED = {
    "true_divide": {"input", "other"},          # documented as (dividend, divisor)
    "true_divide_": {"input", "other"},
    # the legacy overload std(input, dim, unbiased, keepdim); correction's schema default is None (= 1)
    "std": {"unbiased", "correction"}, "var": {"unbiased", "correction"},
    "scatter": {"value"}, "scatter_": {"value"},   # the scatter(input, dim, index, value) overload
    "median": {"dim"},                         # median(input) | median(input, dim=-1, keepdim=False)
    "normal": {"dtype", "layout", "device", "requires_grad"},   # the factory overload
    "set_num_threads": {"n"},                  # documented as set_num_threads(int)
}


def _compatible(mine, overloads, name=""):
    """None when `mine` accepts what torch's overloads accept, else why not: positions agree
    with one overload; every named parameter is one of torch's; defaults agree where both have one."""
    extra = UNDOCUMENTED.get(name, set())
    mine_checked = [p for p in mine if p[0] not in extra and p[0] not in UNSUPPORTED]
    reasons = [_positions_agree(mine_checked, o) for o in overloads]
    if None not in reasons:
        return "; ".join(reasons)
    theirs = {}
    for o in overloads:
        for n, _, d in o:
            theirs.setdefault(n, []).append(d)
    for n, k, d in mine_checked:
        if k == "varargs":
            continue      # `*size` / `*args`: minigrad takes more forms than torch, never fewer
        if n not in theirs:
            return f"parameter {n!r} is not torch's (torch has {sorted(theirs)})"
        literal = [td for td in theirs[n] if td is not REQUIRED and not isinstance(td, str)]
        if d is not REQUIRED and literal and d not in literal:
            return f"default of {n!r} is {d!r}, torch's is {literal[0]!r}"
    return None


def _pairs():
    """(label, minigrad callable, torch callable, name, is_method) for every shared public name."""
    spaces = [
        ("minigrad", minigrad, torch, False),
        ("Tensor", minigrad.Tensor, torch.Tensor, True),   # checked against torch.<name> where it exists
        ("nn.functional", minigrad.nn.functional, torch.nn.functional, False),
        ("nn.utils", minigrad.nn.utils, torch.nn.utils, False),
    ]
    for label, mine, theirs, is_method in spaces:
        for name in sorted(dir(mine)):
            if name.startswith("_"):
                continue
            m, t = getattr(mine, name), getattr(theirs, name, None)
            if t is None or not callable(m) or inspect.isclass(m) or inspect.ismodule(m):
                continue
            if label == "Tensor":
                # torch's method docstrings name parameters loosely (`mul(value)` for `other`):
                # the function's signature without `input` (`div_`: div's) is a method's too
                fn = getattr(torch, name, None) or getattr(torch, name.rstrip("_"), None)
                if callable(fn):
                    t = _Either(t, _WithoutInput(fn, name))
            yield f"{label}.{name}", m, t, name, is_method
    for label, mine, theirs in [("nn", minigrad.nn, torch.nn), ("optim", minigrad.optim, torch.optim),
                                ("lr_scheduler", minigrad.optim.lr_scheduler, torch.optim.lr_scheduler),
                                ("utils.data", getattr(getattr(minigrad, "utils", None), "data", None),
                                 torch.utils.data),
                                ("autograd", minigrad.autograd, torch.autograd),
                                ("autograd.profiler", minigrad.autograd.profiler, torch.autograd.profiler),
                                ("profiler", minigrad.profiler, torch.profiler)]:
        for name in sorted(dir(mine) if mine is not None else ()):
            m, t = getattr(mine, name), getattr(theirs, name, None)
            if not name.startswith("_") and inspect.isclass(m) and inspect.isclass(t):
                yield f"{label}.{name}", m.__init__, t.__init__, "__init__", True


class _Either:
    """A method whose overloads are those of either of two torch callables."""
    def __init__(self, *sources):
        self.sources = sources


class _WithoutInput:
    """torch.<name> seen as the method Tensor.<name>: its first parameter is the tensor."""
    def __init__(self, fn, name):
        self.__doc__ = (fn.__doc__ or "").replace(f"{fn.__name__}(", f"{name}(")
        self._fn = fn

    @property
    def __signature__(self):
        sig = inspect.signature(self._fn)   # raises for C++-bound functions: the doc is read then
        return sig.replace(parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
                           + list(sig.parameters.values())[1:])


PAIRS = list(_pairs())


@pytest.mark.parametrize("label, mine, theirs, name, is_method", PAIRS, ids=[p[0] for p in PAIRS])
def test_signature_matches_torch(label, mine, theirs, name, is_method):
    overloads = _torch_overloads(theirs, name, is_method)
    if not overloads:
        pytest.skip(f"torch's {label} has no readable signature")
    try:
        sig = inspect.signature(mine)
    except (TypeError, ValueError):
        pytest.skip(f"minigrad's {label} has no Python signature")
    # A method bound from a function takes `input` where torch's method has `self`.
    my_params = _from_signature(sig, drop_first=is_method)
    reason = _compatible(my_params, overloads, label.rsplit(".", 1)[-1])
    assert reason is None, f"{label}{sig}: {reason}"


def test_most_shared_names_are_checked():
    checked = sum(1 for label, m, t, name, is_method in PAIRS if _torch_overloads(t, name, is_method))
    assert len(PAIRS) >= 100 and checked >= 0.8 * len(PAIRS), (checked, len(PAIRS))
