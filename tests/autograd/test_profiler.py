"""The profiler: exact counts, nesting (self vs total), bytes, kernel paths, totals against wall
time, PyTorch's table and Chrome trace, nothing recorded outside the block or on other threads."""
import json
import threading
import time

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import Function, function
from minigrad.autograd.profiler import profile, record_function


@pytest.fixture(autouse=True)
def _no_observer_left():
    yield
    assert function._observer is None


def _counts(prof):
    return {e.key: e.count for e in prof.key_averages()}


def _known_graph(x, w, b):
    return F.relu(x * w + b).sum()


def test_counts_exact_for_a_known_graph():
    x = minigrad.ones(4, requires_grad=True)
    w, b = minigrad.full((4,), 2.0), minigrad.full((4,), -1.0)
    _known_graph(x, w, b).backward()                      # before: not recorded
    with profile() as prof:
        for _ in range(3):
            _known_graph(x, w, b).backward()
    _known_graph(x, w, b).backward()                      # after: not recorded
    # b needs no grad and the Add's other input does: AddBackward0 still runs once per step
    assert _counts(prof) == {"Mul": 3, "Add": 3, "ReLU": 3, "Sum": 3,
                             "SumBackward0": 3, "ReLUBackward0": 3, "AddBackward0": 3, "MulBackward0": 3}
    assert all(e.cpu_parent is None for e in prof.function_events)      # nothing nests here
    assert [e.cat for e in prof.function_events[:8]] == ["cpu_op"] * 4 + ["backward"] * 4


class TwoOps(Function):
    """A user Function whose forward and backward call minigrad ops: they nest under it."""
    @staticmethod
    def forward(ctx, x):
        return (x * 2).exp()

    @staticmethod
    def backward(ctx, g):
        return g * 2.0


def test_nesting_self_and_total():
    x = minigrad.ones(3, requires_grad=True)
    with profile() as prof:
        with record_function("outer", args="a note"):
            y = TwoOps.apply(x)
        y.sum().backward()
    ev = {e.name: e for e in prof.function_events}
    outer, fn = ev["outer"], ev["TwoOps"]
    assert fn.cpu_parent is outer and [c.name for c in fn.cpu_children] == ["Mul", "Exp"]
    assert [c.name for c in ev["TwoOpsBackward"].cpu_children] == ["Mul"]
    for e in prof.function_events:
        kids = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - kids, abs=1e-3)
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total
        for c in e.cpu_children:                           # children lie inside their parent
            assert e.time_range.start <= c.time_range.start <= c.time_range.end <= e.time_range.end
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["Mul"].count == 2 and avg["TwoOps"].count == 1
    assert ev["outer"].record_args == "a note"


def test_bytes_kernels_threads():
    minigrad.set_num_threads(1)
    x = minigrad.ones(5, 8, requires_grad=True)
    lin = nn.Linear(8, 3).double()
    with profile() as prof:
        lin(x.double()).sum().backward()
    ev = {e.name: e for e in prof.function_events}
    linear = ev["Linear"]
    assert linear.self_cpu_memory_usage == 5 * 3 * 8                 # the float64 output
    assert linear.saved_memory_usage >= (5 * 8 + 3 * 8) * 8          # it saved x and the weight
    assert ev["LinearBackward0"].self_cpu_memory_usage == (5 * 8 + 3 * 8 + 3) * 8   # dx, dW, db
    assert ev["LinearBackward0"].saved_memory_usage == 0
    assert "gemm" in linear.kernel and ev["Sum"].kernel == "numpy"
    assert {e.num_threads for e in prof.function_events} == {1}


def test_kernel_paths():
    from minigrad.autograd.profiler import kernel_path
    from minigrad.ops import activation, conv, elementwise, pool
    assert kernel_path(conv.Conv2d, "cpu_op").startswith("gemm")     # the implicit-GEMM convolution
    assert kernel_path(conv.Conv2dIm2col, "cpu_op").split("+")[0].startswith("im2col")   # im2col, then gemm
    assert "gemm" in kernel_path(conv.Conv2dIm2col, "cpu_op") and "im2col" in kernel_path(conv.Conv2dIm2col,
                                                                                         "backward")
    assert kernel_path(activation.ReLU, "cpu_op").startswith("act")               # through a class attribute
    assert kernel_path(pool.MaxPool2d, "cpu_op").startswith("pool")
    assert kernel_path(elementwise.Mul, "cpu_op") == "numpy"
    assert kernel_path(TwoOps, "cpu_op") == "python" and kernel_path(None, "user_annotation") == ""


def _conv_net():
    minigrad.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def test_totals_agree_with_wall_time():
    model = _conv_net()
    opt = minigrad.optim.SGD(model.parameters(), lr=0.01)
    x, y = minigrad.randn(32, 1, 28, 28), minigrad.randint(0, 10, (32,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    step()                                                 # warm up (thread team, scratch buffers)
    with profile() as prof:
        t0 = time.perf_counter()
        step()
        wall = (time.perf_counter() - t0) * 1e6
    top = sum(e.cpu_time_total for e in prof.function_events if e.cpu_parent is None)
    assert prof.self_cpu_time_total == pytest.approx(top, rel=1e-9)   # self times add up to the top level
    assert top <= wall
    assert top >= 0.5 * wall, (top, wall)                  # the kernels are inside ops: most of the step


def test_trace_is_valid_chrome_json(tmp_path):
    model = _conv_net()
    x = minigrad.randn(2, 1, 28, 28)
    with profile(record_shapes=True, with_stack=True) as prof:
        with record_function("step"):
            model(x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(events) == len(prof.function_events)
    for e in events:
        assert {"name", "cat", "ts", "dur", "pid", "tid", "args"} <= e.keys()
        assert e["dur"] >= 0 and e["tid"] == threading.get_native_id()
    cats = {e["cat"] for e in events}
    assert cats == {"cpu_op", "backward", "user_annotation"}
    conv = next(e for e in events if e["name"] == "Conv2d")
    assert conv["args"]["Input Dims"][0] == [2, 1, 28, 28] and "gemm" in conv["args"]["Kernel"]
    innermost = conv["args"]["Call stack"].split(";")[0]          # the user's line, not nn's or minigrad's
    assert innermost.startswith(__file__ + "(") and innermost.endswith("): test_trace_is_valid_chrome_json")
    names = {e["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
    assert names == {"process_name", "thread_name"}


def test_table_like_torch():
    model = _conv_net()
    x = minigrad.randn(2, 1, 28, 28)
    with profile(profile_memory=True, record_shapes=True) as prof:
        model(x).sum().backward()
    avgs = prof.key_averages()
    text = avgs.table(sort_by="self_cpu_time_total", row_limit=5)
    lines = text.splitlines()
    header = lines[1].split("  ")
    columns = [c.strip() for c in header if c.strip()]
    assert columns == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "CPU Mem",
                       "Self CPU Mem", "Saved Mem", "# of Calls", "Kernel", "Threads"]
    rows = lines[3:8]
    assert lines[8].startswith("---") and lines[9].startswith("Self CPU time total: ")
    top5 = sorted(avgs, key=lambda a: a.self_cpu_time_total, reverse=True)[:5]
    assert [r.split()[0] for r in rows] == [a.key for a in top5]
    with profile() as plain_prof:
        model(x).sum().backward()
    plain = plain_prof.key_averages().table()      # no memory columns unless profile_memory
    assert "Self CPU Mem" not in plain.splitlines()[1] and "Conv2dBackward0" in plain
    shaped = prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total")
    assert "Input Shapes" in shaped and "[[2, 1, 28, 28], [8, 1, 5, 5], [8]]" in shaped
    with pytest.raises(AttributeError, match="sort_by='bogus'"):
        avgs.table(sort_by="bogus")


def test_fields_and_columns_are_torchs():
    torch = pytest.importorskip("torch")
    with torch.autograd.profiler.profile(profile_memory=True) as tprof:
        torch.ones(2, requires_grad=True).mul(2).sum().backward()
    tavg = tprof.key_averages()[0]
    x = minigrad.ones(2, requires_grad=True)
    with profile() as prof:
        x.mul(2).sum().backward()
    avg = prof.key_averages()[0]
    for field in ("key", "count", "cpu_time", "cpu_time_total", "self_cpu_time_total", "cpu_memory_usage",
                  "self_cpu_memory_usage", "input_shapes", "stack"):
        assert hasattr(tavg, field) and hasattr(avg, field), field
    ours = prof.key_averages().table().splitlines()[1]
    theirs = tprof.key_averages().table().splitlines()[1]
    for column in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert column in ours and column in theirs


def test_other_threads_and_disabled_record_nothing():
    x = minigrad.ones(3, requires_grad=True)

    def elsewhere():
        (x * 3).sum().backward()
    with profile() as prof:
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        (x + 1).sum()
    assert _counts(prof) == {"Add": 1, "Sum": 1}
    with profile(enabled=False) as off:
        assert function._observer is None
        (x + 1).sum()
    with pytest.raises(RuntimeError, match="once the `with profile"):
        off.key_averages()


def test_misuse_is_refused():
    with profile():
        with pytest.raises(RuntimeError, match="already recording this thread"):
            with profile():
                pass
    with pytest.raises(RuntimeError, match="once the `with profile"):
        with profile() as prof:
            prof.key_averages()
    with pytest.raises(RuntimeError, match="use_cuda"):
        profile(use_cuda=True)


class FailsInForward(Function):
    @staticmethod
    def forward(ctx, x):
        x * 2
        raise ValueError("forward failed")


def test_an_error_inside_leaves_consistent_events():
    x = minigrad.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="forward failed"):
        with profile() as prof:
            with record_function("range"):
                FailsInForward.apply(x)
    events = prof.function_events
    assert [e.name for e in events] == ["range", "FailsInForward", "Mul"]
    assert [e.cpu_parent for e in events] == [None, events[0], events[1]]
    assert [e.self_cpu_memory_usage for e in events] == [0, 0, 3 * 4]      # the failed op made nothing
    assert all(e.cpu_time_total >= 0 for e in events)
    (x * 2).sum().backward()                 # and ops run normally afterwards


def test_record_function_outside_a_profile_and_as_decorator():
    @record_function("decorated")
    def f(t):
        return t * 2
    f(minigrad.ones(2))                       # no profiler: nothing happens
    with profile() as prof:
        f(minigrad.ones(2))
    [outer, inner] = prof.function_events
    assert (outer.name, inner.name, inner.cpu_parent) == ("decorated", "Mul", outer)


def test_with_anomaly_mode_too():
    x = minigrad.ones(3, requires_grad=True)
    with minigrad.autograd.set_detect_anomaly(True), profile() as prof:
        y = x * 2
        y.sum().backward()
    assert "traceback_" in y.grad_fn.metadata and _counts(prof)["MulBackward0"] == 1


@pytest.mark.parametrize("watch", [profile, lambda: minigrad.autograd.set_detect_anomaly(True)],
                         ids=["profile", "anomaly"])
def test_gradients_unchanged_by_watching(watch):
    def grads():
        model = _conv_net()
        out = model(minigrad.ones(2, 1, 28, 28))
        out.register_hook(lambda g: g * 3)           # a node with hooks: the engine's other path
        F.cross_entropy(out, minigrad.tensor([0, 2])).backward()
        return [p.grad.numpy() for p in model.parameters()]
    off = grads()
    with watch():
        on = grads()
    for a, b in zip(off, on):
        np.testing.assert_array_equal(a, b)


def test_torch_profiler_module():
    from minigrad.profiler import ProfilerActivity
    from minigrad.profiler import profile as tprofile
    seen = []
    x = minigrad.ones(2, requires_grad=True)
    with tprofile(activities=[ProfilerActivity.CPU], on_trace_ready=seen.append) as prof:
        for _ in range(2):
            (x * 2).sum().backward()
            prof.step()
    assert seen == [prof] and prof.step_num == 2 and _counts(prof)["Mul"] == 2
    with pytest.raises(ValueError, match="CUDA"):
        tprofile(activities=[ProfilerActivity.CUDA])


def test_create_graph_backward_ops_nest_under_their_node():
    x = minigrad.ones(3, requires_grad=True)
    with profile() as prof:
        gx, = minigrad.autograd.grad((x * x).sum(), x, create_graph=True)   # the tensor engine's loop
    node = next(e for e in prof.function_events if e.name == "MulBackward0")
    assert node.cat == "backward" and [c.name for c in node.cpu_children] == ["Mul", "Mul"]
    assert gx.requires_grad
