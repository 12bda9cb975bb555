"""Hypothesis profiles for the property tests (their strategies and layouts: prop_helpers.py).

HYPOTHESIS_PROFILE=ci (default): 200 examples per property, no deadline (a shared 2-core
machine has slow moments); =long: 5000 examples, for a soak run before a release.
"""
import os

from hypothesis import HealthCheck, settings

# The autouse seed/thread fixture in tests/conftest.py is function-scoped; it only restores
# state the properties set themselves, so running it once per test (not per example) is fine.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
               print_blob=True)
settings.register_profile("ci", max_examples=200, **_common)
settings.register_profile("long", max_examples=5000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
