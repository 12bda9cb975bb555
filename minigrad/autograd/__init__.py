"""Autograd: Function (forward/backward side by side), the backward engine, grad mode, gradcheck,
higher-order gradients (create_graph=True, gradgradcheck)."""
from . import functional, graph
from .engine import grad
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "graph"]
