"""Valid form data for each party's form of each kind, as a drafter would fill it in."""

from __future__ import annotations

import copy
from typing import Any

_PERIOD = {"period_start": "2026-01-01", "period_end": "2026-12-31"}

_FORMS: dict[tuple[str, str], dict[str, Any]] = {
    ("punjab", "work_plan"): {
        **_PERIOD,
        "summary": "The Women Parliamentary Caucus Action Plan for 2026.",
        "activities": [
            {"pillar": "Legislative reforms", "activity": "Review of pending women-related bills",
             "lead": "WPC legislative committee", "quarter": "2026-Q1"},
            {"pillar": "Gender-responsive governance", "activity": "Gender audit of assembly committees",
             "lead": "Parliamentary Development Unit", "quarter": "2026-Q2"},
            {"pillar": "Capacity building", "activity": "Training for first-time women legislators",
             "lead": "Parliamentary Development Unit", "quarter": "2026-Q2"},
            {"pillar": "Oversight of women-related policies", "activity": "Oversight hearings on protection laws",
             "lead": "WPC Convener", "quarter": "2026-Q3"},
        ],
    },
    ("balochistan", "work_plan"): {
        **_PERIOD,
        "summary": "The caucus's work plan under the Pakistan Women Leaders project.",
        "activities": [
            {"activity": "Mentorship programme for young women leaders", "quarter": "2026-Q1"},
            {"activity": "Leadership training in Quetta", "quarter": "2026-Q2"},
        ],
        "psdp_schemes": [
            {"constituency": "PB-41", "scheme": "Women's skills centre [sample]", "estimated_cost_pkr": 40_000_000},
            {"constituency": "PB-45", "scheme": "Girls' school transport [sample]", "estimated_cost_pkr": 25_000_000},
        ],
    },
    ("sindh", "work_plan"): {
        **_PERIOD, "summary": "Women Development Department work plan for 2026.",
        "activities": [{"activity": "Working women hostels review", "quarter": "2026-Q1"}],
        "districts": ["Karachi South", "Hyderabad"],
    },
    ("kp", "work_plan"): {
        **_PERIOD, "summary": "Women empowerment work plan for 2026.",
        "activities": [{"activity": "Social protection outreach for women", "quarter": "2026-Q2"}],
        "adp_cost_pkr": 20_000_000,
    },
    ("punjab", "agreement"): {
        "instrument": "Letter of Intent",
        "purpose": "Inter-provincial cooperation to make social protection systems more effective.",
        "areas": ["Knowledge sharing", "Policy harmonisation", "Data sharing"],
        "data_sharing": True,
        "data_protection_clause": "Personal data is shared only for eligibility checks.",
        "signing_place": "Karachi",
    },
    ("sindh", "agreement"): {
        "instrument": "Memorandum of Understanding",
        "purpose": "Harmonise social protection registries between the provinces.",
        "areas": ["Data sharing"], "data_sharing": True,
        "data_protection_clause": "Data is exchanged under each province's data protection law.",
    },
}


def form_for(party: str, kind: str, parties: list[str] | None = None) -> dict[str, Any]:
    """A fresh copy of valid form data (tests may change it freely)."""
    if kind == "joint_resolution":
        data: dict[str, Any] = {
            "meeting": "Inter-Provincial Ministerial Group meeting",
            "meeting_date": "2015-11-26",
            "points": [
                {"text": "Develop strategies to implement the gender agenda in line with CEDAW.",
                 "priority_area": "International commitments", "parties": []},
                {"text": "Strengthen independent Women Development Departments in every province.",
                 "priority_area": "Women's machineries", "parties": [p for p in (parties or []) if p != "ncsw"][:2]},
            ],
        }
        if party == "ncsw":
            data.update(meeting_number=16, host="State Commission for Azad Jammu and Kashmir")
        return data
    return copy.deepcopy(_FORMS[(party, kind)])
