"""Run a PyTorch-style script with minigrad standing in for torch (minigrad.compat.as_torch), or with
torch itself. A script imports `torch`, `torch.nn`, ... at its top and defines
`main(init_state=None)`, which prints what a user would look at and returns the numbers to
compare (losses, ...); the script's text is PyTorch's, unchanged.
"""
import contextlib
import io
import re
import runpy
from pathlib import Path

import numpy as np

from minigrad.compat import as_torch

SCRIPTS = Path(__file__).parent / "scripts"
EXPECTED = Path(__file__).parent / "expected"


def run(script, backend, init_state=None, **kwargs):
    """-> (printed text, main's result, the script's namespace). backend: "minigrad" or "torch"."""
    out = io.StringIO()
    ctx = as_torch() if backend == "minigrad" else contextlib.nullcontext()
    with ctx, contextlib.redirect_stdout(out):
        ns = runpy.run_path(str(SCRIPTS / f"{script}.py"), run_name=f"compat_{script}")
        if init_state is not None:
            init_state = {k: ns["torch"].tensor(v) for k, v in init_state.items()}
        result = ns["main"](init_state, **kwargs)
    text = out.getvalue()
    if backend == "minigrad":
        text = text.replace("minigrad.", "torch.")
    return text, result, ns


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?")


def assert_same_transcript(got, want, rtol=1e-2, atol=1e-3):
    """Lines equal once numbers are masked; numbers equal within tolerance."""
    got_lines, want_lines = got.strip().splitlines(), want.strip().splitlines()
    assert len(got_lines) == len(want_lines), (got, want)
    for g, w in zip(got_lines, want_lines):
        assert _NUMBER.sub("#", g) == _NUMBER.sub("#", w), f"\n got: {g}\nwant: {w}"
        gn = [float(v) for v in _NUMBER.findall(g)]
        wn = [float(v) for v in _NUMBER.findall(w)]
        np.testing.assert_allclose(gn, wn, rtol=rtol, atol=atol, err_msg=f"\n got: {g}\nwant: {w}")


def initial_state(script):
    """minigrad's freshly initialised weights for the script's `Net`, as NumPy arrays."""
    with as_torch():
        ns = runpy.run_path(str(SCRIPTS / f"{script}.py"), run_name=f"compat_{script}")
        return {k: np.array(v) for k, v in ns["Net"]().state_dict().items()}
