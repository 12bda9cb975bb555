"""RMSprop, as torch.optim.RMSprop (NumPy in-place updates, torch's order of operations)."""
import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _signed_decayed_grad


def _lerp_(start, end, weight):
    """start <- torch.lerp(start, end, weight), with torch's two formulas (exact at weight 0 and at 1)."""
    if abs(weight) < 0.5:
        diff = np.subtract(end, start)
        diff *= weight
        start += diff
    else:
        diff = np.subtract(end, start)
        diff *= 1 - weight
        np.subtract(end, diff, out=start)



def _buffer(state, name, p):
    """A state buffer made (zeros) on first use: a schedule (OneCycleLR) may switch momentum or
    centering on after the first step."""
    buf = state.get(name)
    if buf is None:
        buf = state[name] = np.zeros_like(p._data)
    return buf

class RMSprop(Optimizer):
    """For each parameter with a gradient (torch's equations):

        step += 1 ; g = -grad if maximize else grad ; g = g + weight_decay * p
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        centered:  grad_avg = lerp(grad_avg, g, 1 - alpha) ; avg = sqrt(square_avg - grad_avg**2) + eps
        else:      avg = sqrt(square_avg) + eps
        momentum > 0:  buf = momentum * buf + g / avg ; p = p - lr * buf
        else:          p = p - lr * g / avg

    capturable, foreach and differentiable are kept in the param groups (as torch does) and otherwise ignored.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_nonnegative({"learning rate": lr, "epsilon value": eps, "momentum value": momentum,
                            "weight_decay value": weight_decay, "alpha value": alpha})
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    @staticmethod
    def _update(p, grad, state, group):
        if not state:      # torch's keys, in torch's order
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p._data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p._data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p._data)
        state["step"] += 1
        alpha, lr = group["alpha"], group["lr"]
        g = _signed_decayed_grad(p._data, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"]

        tmp = np.multiply(g, 1 - alpha)         # addcmul: (value * t1) * t2
        tmp *= g
        square_avg *= alpha
        square_avg += tmp
        if group["centered"]:
            grad_avg = _buffer(state, "grad_avg", p)
            _lerp_(grad_avg, g, 1 - alpha)
            avg = np.multiply(grad_avg, grad_avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]

        if group["momentum"] > 0:
            buf = _buffer(state, "momentum_buffer", p)
            np.divide(g, avg, out=tmp)
            buf *= group["momentum"]
            buf += tmp
            np.multiply(buf, -lr, out=tmp)
        else:
            np.multiply(g, -lr, out=tmp)        # addcdiv: (value * t1) / t2
            tmp /= avg
        p._data += tmp
