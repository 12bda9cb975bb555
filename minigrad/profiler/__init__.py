"""torch.profiler's entry points, over minigrad.autograd.profiler (one recorder for both).

    from minigrad.profiler import profile, ProfilerActivity, record_function
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for batch in loader:
            train_step(batch)
            prof.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))

No `schedule` (warm-up/active cycles): the whole block is recorded.
"""
import enum

from ..autograd import profiler as _autograd_profiler
from ..autograd.profiler import record_function

__all__ = ["profile", "record_function", "ProfilerActivity"]


class ProfilerActivity(enum.Enum):
    CPU = "CPU"
    CUDA = "CUDA"


class profile(_autograd_profiler.profile):
    """torch.profiler.profile: `with` block, or start()/stop(); step() counts steps;
    on_trace_ready(prof) is called when recording stops."""

    def __init__(self, *, activities=None, on_trace_ready=None, record_shapes=False, profile_memory=False,
                 with_stack=False):
        for a in activities or (ProfilerActivity.CPU,):
            if a is not ProfilerActivity.CPU:
                raise ValueError(f"profile: activity {a} is not available: minigrad runs on the CPU only "
                                 "(use ProfilerActivity.CPU)")
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory, with_stack=with_stack)
        self.on_trace_ready = on_trace_ready
        self.step_num = 0

    def start(self):
        self.__enter__()

    def stop(self):
        self.__exit__(None, None, None)

    def step(self):
        self.step_num += 1

    def __exit__(self, *exc):
        super().__exit__(*exc)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)
        return False

    def events(self):
        return self.function_events
