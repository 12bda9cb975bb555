"""PyTorch scripts run unchanged on minigrad (`import torch` resolves to minigrad).

Each script's transcript is compared with the one real torch printed (tests/compat/expected,
recorded with torch 2.13 and checked to be current whenever torch is importable), so a machine
without torch still checks minigrad against torch's behaviour. With torch installed, both also
run from the same initial weights and their losses are compared step by step.
"""
import numpy as np
import pytest

import minigrad

from .harness import EXPECTED, assert_same_transcript, initial_state, run

SCRIPTS = ["tensor_basics", "mnist_cnn", "cifar_tutorial", "polynomial_function", "old_style_data"]

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed: live comparison with PyTorch skipped")


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_prints_what_torch_printed(script):
    text, _, _ = run(script, "minigrad")
    assert_same_transcript(text, (EXPECTED / f"{script}.txt").read_text())


@needs_torch
@pytest.mark.parametrize("script", SCRIPTS)
def test_recorded_transcript_is_torchs(script):
    text, _, _ = run(script, "torch")
    assert_same_transcript(text, (EXPECTED / f"{script}.txt").read_text())


def _both(script, **kwargs):
    init = initial_state(script) if script in ("mnist_cnn", "cifar_tutorial") else None
    _, mine, _ = run(script, "minigrad", init, **kwargs)
    _, theirs, _ = run(script, "torch", init, **kwargs)
    return mine, theirs


@needs_torch
def test_cifar_tutorial_losses_match_torch_step_by_step():
    mine, theirs = _both("cifar_tutorial")
    np.testing.assert_allclose(mine["losses"], theirs["losses"], rtol=1e-4)
    np.testing.assert_allclose(mine["logits"], theirs["logits"], rtol=1e-3, atol=1e-4)


@needs_torch
def test_mnist_cnn_matches_torch_until_dropout_draws_differ():
    mine, theirs = _both("mnist_cnn", epochs=2)
    # Same weights, eval mode: the same test loss. Training draws dropout masks from each
    # framework's own generator, so after that only the trend is comparable.
    np.testing.assert_allclose(mine["first_test_loss"], theirs["first_test_loss"], rtol=1e-5)
    for r in (mine, theirs):
        assert r["final_test_loss"] < r["first_test_loss"] * 0.9


@needs_torch
def test_polynomial_custom_function_losses_match_torch():
    mine, theirs = _both("polynomial_function", steps=300)
    np.testing.assert_allclose(mine["losses"], theirs["losses"], rtol=1e-3)


@needs_torch
def test_old_style_data_updates_match_torch():
    mine, theirs = _both("old_style_data")
    np.testing.assert_allclose(mine["losses"], theirs["losses"], rtol=1e-10)
    np.testing.assert_allclose(mine["w"], theirs["w"], rtol=1e-10)


def test_minigrad_alone_learns_in_every_training_script():
    """What a user without torch can still check: the losses fall."""
    for script in ("mnist_cnn", "cifar_tutorial", "polynomial_function", "old_style_data"):
        _, r, _ = run(script, "minigrad")
        losses = r["losses"]
        assert losses[-1] < losses[0], script


def test_python_dash_m_minigrad_compat_runs_an_unedited_script(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "train.py"
    script.write_text("import sys\nimport torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
                      "print(torch.__name__, nn.Linear(2, 3).weight.shape, sys.argv[1:])\n")
    out = subprocess.run([sys.executable, "-m", "minigrad.compat", str(script), "--epochs", "2"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "minigrad minigrad.Size([3, 2]) ['--epochs', '2']"


def test_as_torch_restores_sys_modules():
    import sys
    from minigrad.compat import MODULES, as_torch
    before = {name: sys.modules.get(name) for name in MODULES}
    with as_torch() as t:
        import torch as inside
        assert inside is t is minigrad
    assert {name: sys.modules.get(name) for name in MODULES} == before
