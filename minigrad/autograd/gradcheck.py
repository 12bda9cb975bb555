"""Finite-difference gradient check (float64), after torch.autograd.gradcheck."""
import numpy as np

from . import grad_mode
from .engine import grad as _grad

# Set by minigrad.tensor once Tensor exists (it imports this module, so no import here);
# a module global is also much cheaper on the hot path than an import inside a function.
Tensor = None


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical_jacobians(fn, inputs, eps):
    """J[i][j] has shape (out_i.size, in_j.size): central differences, one input element at a time."""
    with grad_mode.no_grad():
        n_out = len(_outputs(fn, inputs))
        jac = [[None] * len(inputs) for _ in range(n_out)]
        for j, x in enumerate(inputs):
            flat = x._data.reshape(-1)   # a view: perturbing it perturbs x
            cols = [[] for _ in range(n_out)]
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = [o._data.copy() for o in _outputs(fn, inputs)]
                flat[k] = orig - eps
                minus = [o._data.copy() for o in _outputs(fn, inputs)]
                flat[k] = orig
                for i in range(n_out):
                    cols[i].append(((plus[i] - minus[i]) / (2 * eps)).reshape(-1))
            for i in range(n_out):
                jac[i][j] = np.stack(cols[i], axis=1) if cols[i] else np.zeros((0, 0))
    return jac


def _analytical_jacobians(fn, inputs):
    outs = _outputs(fn, inputs)
    jac = [[np.zeros((o._data.size, x._data.size)) for x in inputs] for o in outs]
    for i, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for r in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[r] = 1.0
            grads = _grad(o, inputs, seed.reshape(o._data.shape), retain_graph=True, materialize_grads=True)
            for j, g in enumerate(grads):
                jac[i][j][r] = g._data.reshape(-1)
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare fn's analytical Jacobians (autograd) with central differences.

    `inputs`: a Tensor or a tuple of Tensors; those with requires_grad=True are checked and must
    be float64 leaves (float32 finite differences are too coarse to mean anything).
    Returns True, or raises GradcheckError naming the output and input that disagree.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: at least one input must be a Tensor with requires_grad=True")
    for k, x in enumerate(checked):
        if x._data.dtype != np.float64:
            raise ValueError(f"gradcheck: input {k} has dtype {x._data.dtype}; gradcheck needs float64 inputs")
        if not x.is_leaf:
            raise ValueError(f"gradcheck: input {k} is not a leaf tensor")

    def f(*xs):
        it = iter(xs)
        return fn(*[next(it) if (isinstance(x, Tensor) and x.requires_grad) else x for x in inputs])

    numerical = _numerical_jacobians(f, checked, eps)
    analytical = _analytical_jacobians(f, checked)
    for i, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        for j, (num, ana) in enumerate(zip(num_row, ana_row)):
            if not np.allclose(ana, num, atol=atol, rtol=rtol, equal_nan=True):
                msg = (f"Jacobian mismatch for output {i} with respect to input {j},\n"
                       f"numerical:{num}\nanalytical:{ana}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True):
    """Check second derivatives, as torch.autograd.gradgradcheck: the first-order gradients,
    computed with create_graph=True as a function of the inputs and of the output gradients
    (`grad_outputs`, random when None), are themselves checked with gradcheck."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    with grad_mode.no_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._wrap(rng.standard_normal(o._data.shape)).requires_grad_() for o in outs]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if len(grad_outputs) != len(outs):
        raise ValueError(f"gradgradcheck: expected {len(outs)} grad_outputs (one per float output), "
                         f"got {len(grad_outputs)}")
    n = len(inputs)

    def first_order(*args):
        xs, gos = args[:n], args[n:]
        differentiable = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        with grad_mode.enable_grad():   # also while gradcheck differences it under no_grad
            outs = _outputs(fn, xs)
        pairs = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
        if not pairs:
            return tuple(Tensor._wrap(np.zeros_like(x._data)) for x in differentiable)
        with grad_mode.enable_grad():
            return _grad([o for o, _ in pairs], differentiable, [g for _, g in pairs], create_graph=True,
                         materialize_grads=True)

    return gradcheck(first_order, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
