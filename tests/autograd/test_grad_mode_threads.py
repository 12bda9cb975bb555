"""Grad mode is per thread (as in PyTorch): overlapping no_grad windows in two threads must
not leave it off for anyone, and a new thread starts with it on."""
import threading
import time

import minigrad


def _overlapping_no_grad(d1, d2, seen):
    time.sleep(d1)
    with minigrad.no_grad():
        seen.append(minigrad.is_grad_enabled())
        time.sleep(d2)
    seen.append(minigrad.is_grad_enabled())


def test_overlapping_no_grad_in_two_threads_leaves_grad_mode_on():
    seen = []
    a = threading.Thread(target=_overlapping_no_grad, args=(0, 0.2, seen))
    b = threading.Thread(target=_overlapping_no_grad, args=(0.1, 0.2, seen))
    a.start(); b.start(); a.join(); b.join()
    assert sorted(seen) == [False, False, True, True]
    assert minigrad.is_grad_enabled()
    x = minigrad.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_new_thread_starts_enabled_and_its_setting_stays_its_own():
    seen = {}

    def worker():
        seen["start"] = minigrad.is_grad_enabled()
        minigrad.set_grad_enabled(False)
        seen["after"] = minigrad.is_grad_enabled()

    with minigrad.no_grad():
        t = threading.Thread(target=worker)
        t.start(); t.join()
        assert not minigrad.is_grad_enabled()
    assert seen == {"start": True, "after": False} and minigrad.is_grad_enabled()


def test_training_thread_records_while_an_evaluation_thread_is_in_no_grad():
    stop, errors = threading.Event(), []

    def evaluate():
        while not stop.is_set():
            with minigrad.no_grad():
                minigrad.ones(3) * 2

    def train():
        try:
            w = minigrad.ones(3, requires_grad=True)
            for _ in range(300):
                w.grad = None
                (w * w).sum().backward()
                assert w.grad.tolist() == [2.0, 2.0, 2.0]
        except Exception as exc:   # recorded for the main thread's assert
            errors.append(exc)

    ev, tr = threading.Thread(target=evaluate), threading.Thread(target=train)
    ev.start(); tr.start(); tr.join(); stop.set(); ev.join()
    assert errors == []
