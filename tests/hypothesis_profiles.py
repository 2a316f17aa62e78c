"""Hypothesis profiles: how many generated sequences the state machine runs
(tests/test_state_machine.py).

- "default" (the README's `python -m pytest`): 100 sequences of up to 12 steps, so the
  whole suite stays quick enough to run before every commit (200 made the state machine
  the suite's longest test once the races moved behind `slow`: 98 s of its 5 minutes);
- "ci": 2,000 such sequences; `.ci/run` runs them in their own step, split over the
  machine's two cores with MANZOORI_MACHINE_SHARDS=2 and MANZOORI_MACHINE_SHARD=0|1 (each
  shard a fixed seed of its own and its share of the sequences);
- "nightly": 20,000 new, longer sequences, keeping the failures it finds in .hypothesis/
  so that a developer's next run replays them first;
- "quick": 50, while working on the machine.

"default" and "ci" are reproducible (derandomized, or a fixed seed per shard): every run
tries the same sequences, so a red build points at the change, not at luck, and needs no
example database carried between CI machines.

Property tests other than the state machine set their own max_examples (see test_api.py).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

settings.register_profile("default", max_examples=100, stateful_step_count=12, derandomize=True,
                          database=None, print_blob=True, **_COMMON)
settings.register_profile("ci", max_examples=2000, stateful_step_count=12, derandomize=True,
                          database=None, print_blob=True, **_COMMON)
settings.register_profile("nightly", max_examples=20000, stateful_step_count=30,
                          print_blob=True, **_COMMON)
settings.register_profile("quick", max_examples=50, stateful_step_count=12, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def shard() -> tuple[int, int]:
    """(this shard, how many) of a state-machine run split over processes; (0, 1) unsplit."""
    count = int(os.environ.get("MANZOORI_MACHINE_SHARDS", "1"))
    index = int(os.environ.get("MANZOORI_MACHINE_SHARD", "0"))
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"MANZOORI_MACHINE_SHARD={index} of MANZOORI_MACHINE_SHARDS={count}")
    return index, count
