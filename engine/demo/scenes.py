"""The scenes `manzoori demo` plays, one per text of `shared/context/`.

Named people act only in the office and on the day their text shows them in. Every
other actor is a `[sample]` officer, and every step the texts do not describe is
marked illustrative. Costs and constituencies of the PSDP requests are sample values.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.demo.script import Move, ProgressMove, Scene

PUNJAB_ACTION_PLAN = Scene(
    title="Punjab: the Women Parliamentary Caucus Action Plan",
    source="context 000, Lahore, 19 November 2025",
    kind="work_plan",
    parties=["punjab"],
    item_title="Women Parliamentary Caucus Action Plan",
    drafter="asfa.khan",
    drafted_at="2025-11-19T09:00",
    form={
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "summary": "The caucus's plan for advancing the women's rights agenda in Punjab, "
                   "presented at the WPC–civil society interface session.",
        "activities": [
            {"pillar": "Legislative reforms", "activity": "Review of women-related legislation",
             "lead": "Women Parliamentary Caucus", "quarter": "2026-Q1"},
            {"pillar": "Gender-responsive governance",
             "activity": "Policy coordination with civil society organisations",
             "lead": "Women Parliamentary Caucus", "quarter": "2026-Q1"},
            {"pillar": "Capacity building", "activity": "Capacity building for caucus members",
             "lead": "Parliamentary Development Unit", "quarter": "2026-Q2"},
            {"pillar": "Oversight of women-related policies",
             "activity": "Oversight of women-related policies",
             "lead": "Women Parliamentary Caucus", "quarter": "2026-Q3"},
        ],
    },
    moves=[
        Move("2025-11-19T09:05", "asfa.khan", "submit",
             "Asfa Khan, Director PDU, submits the plan and presents its four pillars"),
        Move("2025-11-19T11:00", "punjab.wpc-member.1", "clear",
             "A caucus member [sample] clears the plan for approval",
             comment="Pillars and leads agree with the session's discussion.", illustrative=True),
        Move("2025-11-19T12:00", "ishrat.ashraf", "approve",
             "Begum Ishrat Ashraf, Convener of the caucus, approves it", illustrative=True),
        Move("2025-11-19T12:05", "ishrat.ashraf", "sign",
             "and signs it", illustrative=True),
    ],
)

BALOCHISTAN_PWL_WORK_PLAN = Scene(
    title="Balochistan: the PWL project work plan approved by WPC members",
    source="context 001, Quetta, 3 June 2025",
    kind="work_plan",
    parties=["balochistan"],
    item_title="Pakistan Women Leaders (PWL) project work plan",
    drafter="balochistan.assembly-secretary",
    drafted_at="2025-05-26T10:00",
    form={
        "period_start": "2025-07-01",
        "period_end": "2026-06-30",
        "summary": "Ongoing and planned activities of the caucus under the PWL project.",
        "activities": [
            {"activity": "Mentorship programme for young women leaders", "quarter": "2025-Q3"},
            {"activity": "Design of an official logo and letterhead for the WPC",
             "quarter": "2025-Q3"},
            {"activity": "Capacity building, WPC rules of procedure and leadership training in Quetta",
             "quarter": "2025-Q4"},
        ],
        "psdp_schemes": [
            {"constituency": "PB-41", "scheme": "WPC member's constituency scheme [sample]",
             "estimated_cost_pkr": 40_000_000},
            {"constituency": "PB-45", "scheme": "WPC member's constituency scheme [sample]",
             "estimated_cost_pkr": 35_000_000},
        ],
    },
    moves=[
        Move("2025-05-26T10:05", "balochistan.assembly-secretary", "submit",
             "The assembly secretariat [sample] submits the work plan; the PSDP requests "
             "exceed PKR 50 million, so Balochistan's rule adds a finance review", illustrative=True),
        Move("2025-06-03T10:00", "balochistan.wpc-member.1", "return",
             "At the session in the Deputy Speaker's office a member returns it with the "
             "members' inputs and recommendations",
             comment="Members ask for locally impact-oriented actions; add the mentorship "
                     "programme's scope and stakeholder engagement."),
        Move("2025-06-03T11:00", "balochistan.assembly-secretary", "submit",
             "The secretariat resubmits it with the recommendations", illustrative=True,
             form={
                 "period_start": "2025-07-01",
                 "period_end": "2026-06-30",
                 "summary": "Ongoing and planned activities of the caucus under the PWL project, "
                            "revised with the members' inputs and recommendations.",
                 "activities": [
                     {"activity": "Mentorship programme for young women leaders: scope, "
                                  "structure and areas of impact", "quarter": "2025-Q3"},
                     {"activity": "Design of an official logo and letterhead for the WPC",
             "quarter": "2025-Q3"},
                     {"activity": "Capacity building, WPC rules of procedure and leadership "
                                  "training in Quetta", "quarter": "2025-Q4"},
                     {"activity": "Engagement with political parties, ECP, NADRA, CSOs, "
                                  "academia and local government", "quarter": "2026-Q1"},
                 ],
                 "psdp_schemes": [
                     {"constituency": "PB-41", "scheme": "WPC member's constituency scheme [sample]",
                      "estimated_cost_pkr": 40_000_000},
                     {"constituency": "PB-45", "scheme": "WPC member's constituency scheme [sample]",
                      "estimated_cost_pkr": 35_000_000},
                 ],
             }),
        Move("2025-06-03T11:30", "balochistan.wpc-member.1", "clear",
             "The reviewing member clears the revised plan"),
        Move("2025-06-04T10:00", "balochistan.finance-secretary", "clear",
             "The Finance Department [sample] clears the PSDP requests", illustrative=True),
        Move("2025-06-05T10:00", "balochistan.wpc-member.2", "approve",
             "WPC member 2 [sample] approves"),
        Move("2025-06-05T10:10", "balochistan.wpc-member.3", "approve",
             "WPC member 3 [sample] approves"),
        Move("2025-06-05T10:20", "balochistan.wpc-member.4", "approve",
             "WPC member 4 [sample] approves: three of the caucus's members, the quorum"),
        Move("2025-06-06T10:00", "balochistan.deputy-speaker", "sign",
             "The Deputy Speaker's office [sample] signs it", illustrative=True),
    ],
)

_IPMG_PARTIES = ["ncsw", "punjab", "sindh", "kp", "balochistan", "mohr"]
_NAMES = {"punjab": "Punjab", "sindh": "Sindh", "kp": "Khyber Pakhtunkhwa",
          "balochistan": "Balochistan", "mohr": "The Ministry of Human Rights"}
_IPMG_DAY = "2015-11-26"

IPMG_JOINT_RESOLUTION = Scene(
    title="IPMG: joint resolution of the 16th meeting, with a feedback round",
    source="contexts 002 and 003, Azad Jammu and Kashmir, 26 November 2015",
    kind="joint_resolution",
    parties=_IPMG_PARTIES,
    item_title="Joint resolution of the IPMG meeting of 26 November 2015",
    drafter="ncsw.secretary",
    drafted_at=f"{_IPMG_DAY}T15:00",
    form={
        "meeting": "Inter-Provincial Ministerial Group on Women's Empowerment",
        "meeting_date": _IPMG_DAY,
        "meeting_number": 16,
        "host": "State Commission for Azad Jammu and Kashmir",
        "points": [
            {"text": "Share experiences and peer learning between the provinces.",
             "priority_area": "Peer learning", "parties": []},
            {"text": "Develop strategies for implementing the government's gender agenda in the "
                     "light of Pakistan's national and international commitments, particularly CEDAW.",
             "priority_area": "International commitments", "parties": ["mohr"]},
            {"text": "Initiate the process of establishing independent Women Development "
                     "Departments and strengthen them.",
             "priority_area": "Women's machineries", "parties": ["punjab", "sindh", "kp", "balochistan"]},
            {"text": "Undertake joint leadership capacity building measures and trainings.",
             "priority_area": "Capacity building", "parties": []},
        ],
    },
    moves=[
        Move(f"{_IPMG_DAY}T15:05", "ncsw.secretary", "submit",
             "The IPMG secretariat at NCSW [sample] shares the resolutions with the participants "
             "for feedback"),
        *[Move(f"{_IPMG_DAY}T15:{40 + i}", f"{party}.{office}", "feedback",
               f"{_NAMES[party]} [sample] gives feedback",
               comment="No change requested.", illustrative=True)
          for i, (party, office) in enumerate([("punjab", "wdd-secretary"), ("sindh", "wdd-secretary"),
                                               ("kp", "swd-secretary"), ("balochistan", "wdd-secretary"),
                                               ("mohr", "dg-hr")])],
        Move(f"{_IPMG_DAY}T16:00", "ncsw.secretary", "submit",
             "The secretariat submits the revised resolutions for approval", illustrative=True),
        Move(f"{_IPMG_DAY}T16:10", "khawar.mumtaz", "approve",
             "The Chairperson NCSW approves", illustrative=True),
        *[Move(f"{_IPMG_DAY}T16:{20 + i}", f"{party}.{office}", "approve",
               f"{_NAMES[party]} [sample] approves",
               illustrative=True)
          for i, (party, office) in enumerate([("punjab", "wdd-minister"), ("sindh", "wdd-minister"),
                                               ("kp", "swd-minister"), ("balochistan", "wdd-minister"),
                                               ("mohr", "secretary")])],
        Move(f"{_IPMG_DAY}T16:40", "khawar.mumtaz", "sign",
             "The Chairperson NCSW signs for the commission", illustrative=True),
        *[Move(f"{_IPMG_DAY}T16:{45 + i}", f"{party}.{office}", "sign",
               f"{_NAMES[party]} [sample] signs"
               + ("; signed, the resolutions become the next quarter's action plan"
                  if party == "mohr" else ""),
               illustrative=True)
          for i, (party, office) in enumerate([("punjab", "wdd-minister"), ("sindh", "wdd-minister"),
                                               ("kp", "swd-minister"), ("balochistan", "wdd-minister"),
                                               ("mohr", "minister")])],
    ],
)

PUNJAB_BALOCHISTAN_LOI = Scene(
    title="Punjab–Balochistan: Letter of Intent on social protection",
    source="context 004, Karachi, 25 February 2025",
    kind="agreement",
    parties=["punjab", "balochistan"],
    item_title="Letter of Intent on inter-provincial cooperation in social protection",
    drafter="punjab.pspa-dg",
    drafted_at="2025-02-17T10:00",
    form={
        "instrument": "Letter of Intent",
        "purpose": "Promote inter-provincial cooperation between Punjab and Balochistan, making "
                   "social protection systems more effective for deserving individuals.",
        "areas": ["Knowledge and experience sharing", "Policy harmonisation", "Data sharing",
                  "Effective use of technology"],
        "data_sharing": True,
        "data_protection_clause": "Data is shared only to let deserving individuals reach "
                                  "programmes across the provinces. [sample clause]",
        "signing_place": "Karachi",
    },
    moves=[
        Move("2025-02-17T10:05", "punjab.pspa-dg", "submit",
             "The Punjab Social Protection Authority [sample] submits the draft to both parties",
             illustrative=True),
        Move("2025-02-19T11:00", "punjab.swd-secretary", "clear",
             "Punjab's Social Welfare Department [sample] clears it", illustrative=True),
        Move("2025-02-20T11:00", "balochistan.law-secretary", "clear",
             "Balochistan's Law Department [sample] clears it", illustrative=True),
        Move("2025-02-25T10:00", "jahanara.wattoo", "approve",
             "At the National Social Protection Conference, Jahan Ara Manzoor Wattoo, Vice "
             "Chairperson PSPA, approves for Punjab"),
        Move("2025-02-25T10:05", "wali.noorzai", "approve",
             "Haji Wali Muhammad Noorzai, Parliamentary Secretary Social Welfare, approves for "
             "Balochistan"),
        Move("2025-02-25T10:30", "jahanara.wattoo", "sign", "She signs for Punjab"),
        Move("2025-02-25T10:35", "wali.noorzai", "sign", "He signs for Balochistan"),
    ],
)

SCENES = [PUNJAB_BALOCHISTAN_LOI, BALOCHISTAN_PWL_WORK_PLAN, IPMG_JOINT_RESOLUTION, PUNJAB_ACTION_PLAN]

FOLLOW_UP_QUARTER = "2016-Q1"
"""The quarter after the IPMG resolution's adoption on 26 November 2015."""

FOLLOW_UP = [
    ProgressMove("NCSW-JR-2015-0001", 2, "punjab", "done", "punjab.wdd-secretary", "2016-03-14T10:00",
                 "punjab.wdd-minister", "2016-03-16T11:00",
                 "Punjab [sample] reports the Women Development Department established and staffed: done",
                 note="Department notified and staffed [sample]."),
    ProgressMove("NCSW-JR-2015-0001", 3, "sindh", "in_progress", "sindh.wdd-secretary",
                 "2016-03-18T10:00", "sindh.wdd-minister", "2016-03-21T11:00",
                 "Sindh [sample] reports the joint leadership trainings under way",
                 note="First training held in Karachi; two to follow [sample]."),
    ProgressMove("NCSW-JR-2015-0001", 2, "balochistan", "blocked", "balochistan.wdd-secretary",
                 "2016-03-22T10:00", "balochistan.wdd-minister", "2016-03-28T11:00",
                 "Balochistan [sample] reports its independent department blocked",
                 reason="Awaiting the provincial cabinet's approval of the department's budget [sample]."),
]


def live_scenes(now: datetime) -> list[Scene]:
    """Items the demo leaves in flight, so that a newcomer finds work waiting: in the web
    app's inboxes, in `manzoori inbox`, and as Suspended runs in the Prefect UI. They are
    illustrative, acted by [sample] officers in the days before `now` (so that their
    deadlines lie ahead), and say so in their titles. README's "Work waiting in the demo"
    names the [sample] officer to log in as for each."""
    def ago(days: float) -> str:
        return (now - timedelta(days=days)).isoformat(timespec="minutes")

    plan = {**PUNJAB_ACTION_PLAN.form, "period_start": "2027-01-01", "period_end": "2027-12-31",
            "summary": "The caucus's plan for the year after its 2026 action plan, on the same four "
                       "pillars [sample].",
            "activities": [{**activity, "quarter": f"2027-Q{index % 4 + 1}"}
                           for index, activity in enumerate(PUNJAB_ACTION_PLAN.form["activities"])]}
    mou = {**PUNJAB_BALOCHISTAN_LOI.form, "instrument": "Memorandum of Understanding",
           "purpose": "Carry the Letter of Intent of February 2025 into a memorandum on sharing "
                      "social protection data between Punjab and Balochistan [sample]."}
    resolution = {**IPMG_JOINT_RESOLUTION.form, "meeting_date": (now - timedelta(days=3)).date().isoformat(),
                  "meeting": "Inter-Provincial Ministerial Group on Women's Empowerment [sample meeting]",
                  "meeting_number": 17}
    feedback = [("punjab", "wdd-secretary"), ("kp", "swd-secretary")]
    return [
        Scene(
            title="Waiting now: a Punjab work plan at review",
            source="illustrative, [sample] officers", kind="work_plan", parties=["punjab"],
            item_title="WPC Action Plan 2027 [sample]", form=plan,
            drafter="punjab.pdu-director", drafted_at=ago(3),
            moves=[Move(ago(2), "punjab.pdu-director", "submit",
                        "The PDU [sample] submits next year's plan; the caucus's members review it",
                        illustrative=True)],
        ),
        Scene(
            title="Waiting now: an agreement signed by Punjab, not yet by Balochistan",
            source="illustrative, [sample] officers", kind="agreement", parties=["punjab", "balochistan"],
            item_title="MoU on sharing social protection data [sample]", form=mou,
            drafter="punjab.pspa-dg", drafted_at=ago(6),
            moves=[
                Move(ago(6), "punjab.pspa-dg", "submit", "PSPA [sample] submits the MoU to both parties",
                     illustrative=True),
                Move(ago(5), "punjab.swd-secretary", "clear", "Punjab's SWD [sample] clears it",
                     illustrative=True),
                Move(ago(5), "balochistan.law-secretary", "clear", "Balochistan's Law Department [sample] "
                     "clears it", illustrative=True),
                Move(ago(4), "punjab.pspa-vice-chair", "approve", "PSPA's Vice Chairperson [sample] approves",
                     illustrative=True),
                Move(ago(4), "balochistan.ps-social-welfare", "approve",
                     "Balochistan's Parliamentary Secretary Social Welfare [sample] approves", illustrative=True),
                Move(ago(1), "punjab.pspa-vice-chair", "sign", "and signs for Punjab; Balochistan's "
                     "signature is awaited", illustrative=True),
            ],
        ),
        Scene(
            title="Waiting now: an IPMG resolution in its feedback round",
            source="illustrative, [sample] officers", kind="joint_resolution", parties=_IPMG_PARTIES,
            item_title="Joint resolution of an IPMG meeting [sample]", form=resolution,
            drafter="ncsw.secretary", drafted_at=ago(2),
            moves=[
                Move(ago(2), "ncsw.secretary", "submit", "The IPMG secretariat [sample] shares the draft "
                     "for feedback", illustrative=True),
                *[Move(ago(1), f"{party}.{office}", "feedback", f"{_NAMES[party]} [sample] gives feedback",
                       comment="No change requested [sample].", illustrative=True)
                  for party, office in feedback],
            ],
        ),
    ]


#: Who to log in as to act on each live item (README: "Work waiting in the demo").
LIVE_OFFICERS = {
    "WPC Action Plan 2027 [sample]": "punjab.wpc-member.1",
    "MoU on sharing social protection data [sample]": "balochistan.ps-social-welfare",
    "Joint resolution of an IPMG meeting [sample]": "sindh.wdd-secretary",
}
