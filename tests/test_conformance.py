"""The conformance kit, run against every party that ships with Manzoori: the same
checks a new province's package runs against itself (`engine.testing`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.registry import registry
from engine.testing import ConformanceSuite, conformance


class TestPunjab(ConformanceSuite):
    party = "punjab"


class TestBalochistan(ConformanceSuite):
    party = "balochistan"


class TestSindh(ConformanceSuite):
    party = "sindh"


class TestKhyberPakhtunkhwa(ConformanceSuite):
    party = "kp"


class TestNcsw(ConformanceSuite):
    party = "ncsw"


class TestMinistryOfHumanRights(ConformanceSuite):
    party = "mohr"
