"""create_graph=True through the activations, softmax, losses and normalisations: the recorded
first-order gradient equals the ordinary one; second derivatives against torch (the gradient of
<gradient, w> w.r.t. the inputs and the output gradient, helpers.check_second_order); third
derivatives where the differentiable backward runs ops of its own; a WGAN-GP gradient penalty
through Linear, Tanh, BatchNorm1d and cross_entropy; full backward hooks under double backward.
(gradgradcheck beside each op's gradcheck covers each op and its options.)"""
import numpy as np
import pytest

import minigrad
from minigrad.autograd import grad, gradgradcheck
from helpers import check_second_order, first_derivative, needs_torch, torch

RNG = np.random.default_rng(0)
X = RNG.uniform(0.2, 2, (2, 3)) * RNG.choice([-1, 1], (2, 3))     # away from the kinks at 0 and ±1
Y = RNG.uniform(-2, 2, (2, 3))
P = RNG.uniform(0.1, 0.9, (2, 3))                                   # probabilities
W3 = np.array([0.25, -0.5, 0.75])
STATS = np.array([[0.5, -0.2], [1.5, 0.3]])                         # running mean and variance


def _f(lib):
    return lib.nn.functional


CASES = {
    "sigmoid": (lambda lib, x: lib.sigmoid(x), [X]),
    "tanh": (lambda lib, x: lib.tanh(x), [X]),
    "relu": (lambda lib, x: _f(lib).relu(x) * x, [X]),
    "leaky_relu": (lambda lib, x: _f(lib).leaky_relu(x, 0.2) * x, [X]),
    "prelu": (lambda lib, x, w: _f(lib).prelu(x, w) * x, [X.reshape(2, 3, 1), W3]),
    "elu": (lambda lib, x: _f(lib).elu(x, 0.7), [X]),
    "gelu": (lambda lib, x: _f(lib).gelu(x), [X]),
    "gelu_tanh": (lambda lib, x: _f(lib).gelu(x, approximate="tanh"), [X]),
    "silu": (lambda lib, x: _f(lib).silu(x), [X]),
    "softplus": (lambda lib, x: _f(lib).softplus(x, 2.0, 3.0), [X]),
    "hardtanh": (lambda lib, x: _f(lib).hardtanh(x, -0.5, 1.5) * x, [X]),
    "log_softmax": (lambda lib, x: _f(lib).log_softmax(x, 1), [X]),
    "softmax": (lambda lib, x: _f(lib).softmax(x, 0), [X]),
    "cross_entropy": (lambda lib, x: _f(lib).cross_entropy(x, lib.tensor([2, 0]), weight=lib.tensor(W3 + 1),
                                                           label_smoothing=0.1), [X]),
    "nll_loss": (lambda lib, x: _f(lib).nll_loss(x * x, lib.tensor([1, 2]), reduction="none"), [X]),
    "l1": (lambda lib, x, y: _f(lib).l1_loss(x * y, y), [X, Y]),
    "smooth_l1": (lambda lib, x, y: _f(lib).smooth_l1_loss(x, y, reduction="sum", beta=1.5), [X, Y]),
    "huber": (lambda lib, x, y: _f(lib).huber_loss(x, y, reduction="none", delta=1.2), [X, Y]),
    "bce": (lambda lib, x, y: _f(lib).binary_cross_entropy(x, y, reduction="sum"), [P, 1 - P]),
    "bce_logits": (lambda lib, x, y: _f(lib).binary_cross_entropy_with_logits(
        x, y, pos_weight=lib.tensor(W3 + 1), reduction="none"), [X, P]),
    "kl_div": (lambda lib, x, y: _f(lib).kl_div(x, y, reduction="batchmean"), [X, P]),
    "kl_div_log_target": (lambda lib, x, y: _f(lib).kl_div(x, y, reduction="sum", log_target=True), [X, Y]),
    "batch_norm_train": (lambda lib, x, w, b: _f(lib).batch_norm(x, None, None, w, b, training=True),
                         [X.T.copy(), W3[:2], W3[1:]]),
    "batch_norm_eval": (lambda lib, x, w, b: _f(lib).batch_norm(x * x, *map(lib.tensor, STATS), w, b),
                        [X.T.copy(), W3[:2], W3[1:]]),
    "layer_norm": (lambda lib, x, w, b: _f(lib).layer_norm(x, (3,), w, b), [X, W3, W3 + 1]),
}


def _assert_recorded_equals_ordinary(fn, arrays):
    xs = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    out = fn(minigrad, *xs)
    go = minigrad.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)), requires_grad=True)
    recorded = grad(out, xs, go, create_graph=True)
    ordinary = grad(out, xs, go)
    for r, o in zip(recorded, ordinary):
        assert r.requires_grad and not o.requires_grad
        np.testing.assert_array_equal(np.isfinite(r.detach().numpy()), True)
        np.testing.assert_allclose(r.detach().numpy(), o.numpy(), rtol=1e-13, atol=1e-15)


def _seeded(fn):
    return lambda lib, x: (minigrad.manual_seed(3), fn(lib.nn.functional, x))[1]


# minigrad only: random masks and slopes (torch draws others)
MINIGRAD_CASES = {
    "dropout": (_seeded(lambda F, x: F.dropout(x, 0.4)), [X]),
    "dropout2d": (_seeded(lambda F, x: F.dropout2d(x.reshape(1, 2, 3, 1), 0.5)), [X]),
    "rrelu_train": (_seeded(lambda F, x: F.rrelu(x, 0.1, 0.3, training=True)), [X]),
}


@pytest.mark.parametrize("name", sorted(CASES) + sorted(MINIGRAD_CASES))
def test_recorded_gradient_equals_the_ordinary_one(name):
    _assert_recorded_equals_ordinary(*(CASES.get(name) or MINIGRAD_CASES[name]))


@pytest.mark.parametrize("name", sorted(MINIGRAD_CASES))
def test_gradgradcheck_minigrad_only_cases(name):
    fn, arrays = MINIGRAD_CASES[name]
    assert gradgradcheck(lambda *xs: fn(minigrad, *xs), [minigrad.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_torch(name):
    fn, arrays = CASES[name]
    check_second_order(None, fn, vals=arrays, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu_tanh", "silu", "softplus", "log_softmax", "softmax"])
def test_third_derivatives(name):
    """These differentiable backwards call ops again (the activation, Sigmoid, Tanh, Softmax):
    their recorded backwards are differentiated in turn."""
    fn, arrays = CASES[name]
    x = minigrad.tensor(arrays[0], requires_grad=True)
    assert gradgradcheck(first_derivative(lambda x: fn(minigrad, x)), (x,))


def test_normal_cdf_behind_gelu_is_differentiable_twice():
    from minigrad.ops.activation_np import _NormalCdf
    assert gradgradcheck(_NormalCdf.apply, (minigrad.tensor(X, requires_grad=True),))


@needs_torch
def test_gradient_penalty_through_linear_tanh_batchnorm_cross_entropy_matches_torch():
    """WGAN-GP style: the loss plus the penalty (|d loss / d x̂| - 1)² at points x̂ between two
    batches, then one backward through both into the parameters."""
    rng = np.random.default_rng(7)
    real, fake, alpha = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(size=(4, 1))
    params = [rng.standard_normal((5, 3)) * 0.7, rng.standard_normal(5) * 0.1, rng.uniform(0.5, 1.5, 5),
              rng.standard_normal(5) * 0.1, rng.standard_normal((3, 5)) * 0.7, rng.standard_normal(3) * 0.1]

    def run(lib):
        nn = lib.nn
        critic = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.BatchNorm1d(5), nn.Linear(5, 3)).double()
        with (torch.no_grad() if lib is torch else minigrad.no_grad()):
            for p, value in zip(critic.parameters(), params):
                p.copy_(lib.tensor(value))
        x = lib.tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
        loss = nn.functional.cross_entropy(critic(x), lib.tensor([0, 2, 1, 2]))
        g, = lib.autograd.grad(loss, x, create_graph=True)
        penalty = ((((g * g).sum(dim=1) + 1e-12).sqrt() - 1) ** 2).mean()
        (loss + 10 * penalty).backward()
        return [g.detach().numpy(), x.grad.numpy(), critic[2].running_var.numpy()] + \
            [p.grad.numpy() for p in critic.parameters()]
    for i, (m, t) in enumerate(zip(run(minigrad), run(torch))):
        np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-12, err_msg=f"result {i}")


@needs_torch
def test_full_backward_hooks_under_double_backward_match_torch():
    """The hooks see recorded gradients, and are not called again when the second backward
    reaches the module's input without passing through its output (torch's rule)."""
    def run(lib):
        m = lib.nn.Tanh()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: (seen.append(gi[0].requires_grad), (gi[0] * 2,))[1])
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
        x = lib.tensor([0.3, -0.5], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(m(x).sum(), x, create_graph=True)
        (g * g).sum().backward()
        return g.detach().numpy(), x.grad.numpy(), seen
    (mg, mx, mseen), (tg, tx, tseen) = run(minigrad), run(torch)
    np.testing.assert_allclose(mg, tg, rtol=1e-12)
    np.testing.assert_allclose(mx, tx, rtol=1e-12)
    assert mseen == tseen == [True]
