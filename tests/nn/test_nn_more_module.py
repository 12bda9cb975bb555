"""Module traversal and registration against torch: apply, named_modules (shared modules, memo,
remove_duplicate), children, buffers (persistent or not), requires_grad_, get_submodule /
get_parameter / get_buffer, registration errors, repr with extra_repr and children."""
import numpy as np
import pytest

import minigrad
from helpers import needs_torch, torch


def _build(lib):
    """The same tree in minigrad or torch: a shared Linear, a buffer and a non-persistent one."""
    nn = lib.nn
    shared = nn.Linear(2, 2)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = shared
            self.act = nn.ReLU()
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.ones(2), persistent=False)

        def extra_repr(self):
            return "block=1"

    net = nn.Sequential(Block(), shared, nn.Sequential(nn.Linear(2, 3), nn.Identity()))
    return net


def _names(it):
    return [n for n, _ in it]


def test_traversal_numpy_reference():
    net = _build(minigrad)
    assert _names(net.named_modules()) == ["", "0", "0.fc", "0.act", "2", "2.0", "2.1"]
    assert _names(net.named_modules(remove_duplicate=False)) == ["", "0", "0.fc", "0.act", "1", "2", "2.0", "2.1"]
    assert _names(net.named_parameters()) == ["0.fc.weight", "0.fc.bias", "2.0.weight", "2.0.bias"]
    assert len(_names(net.named_parameters(remove_duplicate=False))) == 6
    assert _names(net.named_buffers()) == ["0.steps", "0.cache"]
    assert _names(net.named_buffers(recurse=False)) == []
    assert _names(net.named_children()) == ["0", "1", "2"]
    assert list(net.state_dict()) == ["0.steps", "0.fc.weight", "0.fc.bias", "1.weight", "1.bias",
                                      "2.0.weight", "2.0.bias"]   # a shared module under each name
    assert len(list(net.modules())) == 7 and len(list(net.buffers())) == 2


@needs_torch
def test_traversal_matches_torch():
    ours, theirs = _build(minigrad), _build(torch)
    for method in ("named_modules", "named_parameters", "named_buffers", "named_children"):
        assert _names(getattr(ours, method)()) == _names(getattr(theirs, method)()), method
    assert _names(ours.named_modules(prefix="m", remove_duplicate=False)) == \
        _names(theirs.named_modules(prefix="m", remove_duplicate=False))
    assert _names(ours.named_parameters(prefix="p", recurse=False)) == \
        _names(theirs.named_parameters(prefix="p", recurse=False))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


def test_apply_order_and_return():
    net = _build(minigrad)
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Block", "Linear", "Linear", "Identity", "Sequential",
                    "Sequential"]

    def init(m):
        if isinstance(m, minigrad.nn.Linear):
            m.weight.data.fill_(0.5)
    net.apply(init)
    assert np.all(net[2][0].weight.detach().numpy() == 0.5)


@needs_torch
def test_apply_order_matches_torch():
    seen = {lib: [] for lib in (minigrad, torch)}
    for lib in seen:
        _build(lib).apply(lambda m, out=seen[lib]: out.append(type(m).__name__))
    assert seen[minigrad] == seen[torch]


def test_non_persistent_buffer_load_and_save():
    net = _build(minigrad)
    sd = net.state_dict()
    assert "0.cache" not in sd
    net.load_state_dict(sd)                          # strict: cache is neither missing nor unexpected
    with pytest.raises(RuntimeError, match='Unexpected key'):
        net.load_state_dict({**sd, "0.cache": np.ones(2, np.float32)})
    net[0].register_buffer("cache", minigrad.ones(2))      # re-registering as persistent adds it
    assert "0.cache" in net.state_dict()
    del net[0].cache
    assert "cache" not in net[0]._non_persistent_buffers_set


def test_requires_grad_freezes():
    net = _build(minigrad)
    assert net[2].requires_grad_(False) is net[2]
    assert [p.requires_grad for p in net.parameters()] == [True, True, False, False]
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_get_submodule_parameter_buffer():
    net = _build(minigrad)
    assert net.get_submodule("") is net
    assert net.get_submodule("2.0") is net[2][0]
    assert net.get_parameter("2.0.bias") is net[2][0].bias
    assert net.get_buffer("0.steps") is net[0].steps
    with pytest.raises(AttributeError, match="Linear has no attribute `zz`"):
        net.get_submodule("1.zz")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.get_submodule("1.weight")
    with pytest.raises(AttributeError, match="`steps` is not an nn.Parameter"):
        net.get_parameter("0.steps")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("1.weight")


REGISTRATION_ERRORS = [
    (lambda m, lib: m.register_buffer(3, None), TypeError, "buffer name should be a string. Got int"),
    (lambda m, lib: m.register_buffer("a.b", None), KeyError, 'buffer name can\'t contain "."'),
    (lambda m, lib: m.register_buffer("", None), KeyError, "buffer name can't be empty string"),
    (lambda m, lib: m.register_buffer("training", None), KeyError, "attribute 'training' already exists"),
    (lambda m, lib: m.register_buffer("x", 3), TypeError, "cannot assign 'int' object to buffer 'x'"),
    (lambda m, lib: m.register_parameter("x", lib.zeros(1)), TypeError, "object to parameter 'x'"),
    (lambda m, lib: m.register_parameter("", None), KeyError, "parameter name can't be empty string"),
    (lambda m, lib: m.add_module("x", 3), TypeError, "int is not a Module subclass"),
    (lambda m, lib: m.add_module("a.b", None), KeyError, "module name can't contain \".\", got: a.b"),
    (lambda m, lib: m.add_module(3, None), TypeError, "module name should be a string. Got int"),
    (lambda m, lib: m.add_module("", None), KeyError, "module name can't be empty string"),
]


@pytest.mark.parametrize("case", range(len(REGISTRATION_ERRORS)))
def test_registration_errors(case):
    fn, exc, msg = REGISTRATION_ERRORS[case]
    with pytest.raises(exc) as info:
        fn(minigrad.nn.Module(), minigrad)
    assert msg in info.value.args[0]   # args[0]: str() of a KeyError is its repr
    if torch is not None:
        with pytest.raises(exc):
            fn(torch.nn.Module(), torch)


def test_register_module_alias_and_named_children_dedupe():
    m = minigrad.nn.Module()
    lin = minigrad.nn.Linear(1, 1)
    m.register_module("a", lin)
    m.add_module("b", lin)
    assert _names(m.named_children()) == ["a"]
    assert _names(m.named_modules()) == ["", "a"]


@needs_torch
@pytest.mark.parametrize("extra", ["", "one line", "two\nlines"])
@pytest.mark.parametrize("with_child", [False, True])
def test_repr_layout_matches_torch(extra, with_child):
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                if with_child:
                    self.fc = lib.nn.Linear(1, 2)

            def extra_repr(self):
                return extra
        return M()
    assert repr(make(minigrad)) == repr(make(torch))
