"""Run PyTorch code on minigrad without editing it.

    python -m minigrad.compat train.py --epochs 3     # the script's `import torch...` get minigrad

or, in Python, `with minigrad.compat.as_torch(): ...`. Inside, `sys.modules` maps `torch` and the
submodules a CPU training script imports (`torch.nn`, `torch.nn.functional`, `torch.optim`,
`torch.optim.lr_scheduler`, `torch.utils.data`, `torch.autograd`, ...) to minigrad's, so
`import torch` and `from torch.utils.data import DataLoader` resolve to minigrad. Outside, the
real torch (if installed) is untouched.
"""
import contextlib
import importlib
import runpy
import sys

# torch's module name -> minigrad's
MODULES = {
    "torch": "minigrad",
    "torch.nn": "minigrad.nn",
    "torch.nn.functional": "minigrad.nn.functional",
    "torch.nn.init": "minigrad.nn.init",
    "torch.nn.utils": "minigrad.nn.utils",
    "torch.optim": "minigrad.optim",
    "torch.optim.lr_scheduler": "minigrad.optim.lr_scheduler",
    "torch.utils": "minigrad.utils",
    "torch.utils.data": "minigrad.utils.data",
    "torch.autograd": "minigrad.autograd",
}


@contextlib.contextmanager
def as_torch():
    saved = {name: sys.modules.get(name) for name in MODULES}
    try:
        for name, target in MODULES.items():
            sys.modules[name] = importlib.import_module(target)
        yield sys.modules["torch"]
    finally:
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2].strip())
        return 0 if argv else 2
    sys.argv = list(argv)
    with as_torch():
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
