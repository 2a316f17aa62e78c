"""Hypothesis profiles: how many generated sequences the state machine runs
(tests/test_state_machine.py). "ci" is the default; HYPOTHESIS_PROFILE=nightly runs ten
times as many, longer ones; "quick" (50) while working on the machine.

"ci" is derandomized: every run tries the same sequences, so a red build points at the
change, not at luck, and needs no example database carried between CI machines. "nightly"
draws new sequences each night and keeps the failures it finds in .hypothesis/ so that a
developer's next run replays them first.

Property tests other than the state machine set their own max_examples (see test_api.py).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

settings.register_profile("ci", max_examples=2000, stateful_step_count=12, derandomize=True,
                          database=None, print_blob=True, **_COMMON)
settings.register_profile("nightly", max_examples=20000, stateful_step_count=30,
                          print_blob=True, **_COMMON)
settings.register_profile("quick", max_examples=50, stateful_step_count=12, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
