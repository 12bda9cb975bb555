"""The optimizers' update equations in NumPy, as torch's documentation prints them (SGD, Adam,
AdamW); one `step(p, g) -> new p` per call, state kept on the object. Written from the
equations, not from minigrad/optim, so the two can disagree."""
import numpy as np


class SGD:
    def __init__(self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov, self.maximize = weight_decay, nesterov, maximize
        self.buf = None

    def step(self, p, g):
        g = -g if self.maximize else g
        g = g + self.weight_decay * p
        if self.momentum:
            # NOTE: the buffer starts as the first gradient, not as zeros (torch, not the paper)
            self.buf = g if self.buf is None else self.momentum * self.buf + (1 - self.dampening) * g
            g = g + self.momentum * self.buf if self.nesterov else self.buf
        return p - self.lr * g


class Adam:
    decoupled = False       # AdamW: weight decay shrinks p directly instead of joining the gradient

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad, self.maximize = weight_decay, amsgrad, maximize
        self.t, self.m, self.v, self.v_max = 0, 0.0, 0.0, 0.0

    def step(self, p, g):
        g = -g if self.maximize else g
        if self.decoupled:
            p = p * (1 - self.lr * self.weight_decay)
        else:
            g = g + self.weight_decay * p
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1 ** self.t)
        if self.amsgrad:
            self.v_max = np.maximum(self.v_max, self.v)
        v_hat = (self.v_max if self.amsgrad else self.v) / (1 - self.b2 ** self.t)
        return p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    decoupled = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize)
